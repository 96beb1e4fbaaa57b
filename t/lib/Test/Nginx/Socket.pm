package Test::Nginx::Socket;

# A small runner compatible with the Test::Nginx::Socket data-driven format
# (the Test-Nginx distribution on CPAN), for machines where that distribution is
# not installed. It supports the subset of sections this project uses; the same
# .t files are expected to pass under the real module too, so where the two
# could disagree this runner errs on the strict side.
#
# Per block: (re)create the server root, write nginx.conf, start nginx (see
# Util.pm), send the request(s) over a plain TCP socket, parse the response(s),
# run the checks, check error.log, stop nginx, and fail the block if nginx
# crashed or printed a sanitizer report.
#
# Test counting follows upstream, per repeat_each() round of a block:
#   - for each response: 1 for the status (always; 200 when no error_code),
#     1 per line of response_headers and of response_headers_like, 1 for
#     raw_response_headers_like/_unlike, 1 for response_body (or _like/_unlike);
#   - after each response: 1 per error_log / no_error_log pattern and 1 for
#     grep_error_log_out (as upstream, when several requests are sent the logs
#     are checked after every one of them, each time on the new lines only);
#   - must_die: 1 for the exit check plus the error log patterns;
#   - skip_nginx / skip_eval: the given number of skipped tests.
# Extra tests appear only on failure (timeouts, invalid responses, nginx
# crashes, sanitizer reports), so a fixed plan still catches them.
#
# Sections: config, http_config, main_config, post_main_config, server_name,
# request (string or eval array; an entry may itself be an array of packets,
# strings or {value, delay_before}), raw_request (+ raw_request_middle_delay),
# pipelined_requests, more_headers (string or one per request), error_code,
# error_code_like, response_body, response_body_like, response_body_unlike,
# response_headers ("Name: v", "!Name", "Name:" = present and empty),
# response_headers_like, raw_response_headers_like/_unlike, error_log,
# no_error_log, grep_error_log + grep_error_log_out, shutdown_error_log,
# no_shutdown_error_log, user_files, log_level, timeout, abort, shutdown,
# wait, init, ignore_response, must_die, skip_nginx, skip_eval, and Test::Base's
# ONLY, SKIP, LAST. Upstream sections not listed in @Unsupported below are
# ignored (e.g. no_check_leak); the listed ones fail the block.
#
# Environment: TEST_NGINX_BINARY, TEST_NGINX_PORT, TEST_NGINX_SERVER_PORT,
# TEST_NGINX_CLIENT_PORT, TEST_NGINX_SERVROOT, TEST_NGINX_TIMEOUT,
# TEST_NGINX_SLEEP (unit of the short waits before reading error.log),
# TEST_NGINX_NO_CLEAN, TEST_NGINX_NO_SHUFFLE, TEST_NGINX_LOG_LEVEL,
# TEST_NGINX_MASTER_PROCESS, TEST_NGINX_EVENT_TYPE, and our own
# TEST_NGINX_LD_PRELOAD (LD_PRELOAD for nginx only, e.g. the ASan runtime).
#
# Known differences from upstream:
#   - nginx is restarted for every block, in the foreground; nginx.conf has
#     its own layout (do not assert on config line numbers);
#   - a block that cannot start nginx fails on its own instead of bailing out
#     (except when the port is taken);
#   - a block without --- config still restarts nginx (with the previous
#     config and its own http_config/main_config);
#   - $TEST_NGINX_* is also expanded in requests, headers and expectations;
#   - "Name:" in response_headers requires the header to be present;
#   - must_die errors are looked for in error.log and in nginx's stderr;
#   - no HUP reload, valgrind, systemtap, leak or benchmark modes.

use strict;
use warnings;

use Test::Base -base;
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use IO::Socket::INET;
use List::Util qw(shuffle min max);
use Time::HiRes qw(sleep time);

use Test::Nginx::Util;
use Test::Nginx::Util qw(
    setup_server_root write_user_files write_config_file start_nginx stop_nginx
    error_log_data read_file_lines expand_env parse_time nginx_version
    kill_stale_nginx cleanup
);

our @EXPORT = (@Test::Nginx::Util::EXPORT,
               qw(run_tests run_test is_str add_response_body_check));

# Upstream's package variables, reachable as $Test::Nginx::Socket::ServerPort
# as well as $Test::Nginx::Util::ServerPort.
BEGIN {
    no strict 'refs';
    for my $v (qw(ServerPort ServerPortForClient ServerAddr ServerName ServRoot
                  HtmlDir LogDir ErrLogFile AccLogFile PidFile ConfFile
                  RepeatEach NginxBinary)) {
        *{"Test::Nginx::Socket::$v"} = \${"Test::Nginx::Util::$v"};
    }
}
our ($ServerPort, $ServerPortForClient, $ServerAddr, $ServerName, $LogDir,
     $ErrLogFile, $RepeatEach);

our @ResponseBodyChecks;
our $PrevConfig;
our @Unsupported = qw(
    tcp_listen tcp_reply tcp_query tcp_query_len udp_listen udp_reply udp_query
    stap stap_out stap_out_like stap_out_unlike http09 charset todo todo_nginx
    skip_nginx2 skip_slave error_log_file server_addr_for_client curl
    request_eval response_body_eval response_body_filters
);

sub add_response_body_check { push @ResponseBodyChecks, shift }

sub is_str {
    my ($got, $expected, $name) = @_;
    return ref $expected eq 'Regexp' ? like($got, $expected, $name)
                                     : is($got, $expected, $name);
}

sub run_tests {
    plan('no_plan') unless Test::More->builder->has_plan;
    # Upstream always exports the listening port, for configs that proxy to
    # themselves ($TEST_NGINX_SERVER_PORT).
    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        unless defined $ENV{TEST_NGINX_SERVER_PORT};

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $Test::Nginx::Util::NoShuffle;
    for my $block (@blocks) {
        $_->($block) for @Test::Nginx::Util::BlockPreprocessors;
        run_test($block);
    }
    cleanup();
}

sub run_test {
    my $block = shift;
    my $name = $block->name;

    # Upstream sections this runner does not implement must not pass silently.
    my @unsupported = grep { defined $block->$_ } @Unsupported;
    if (@unsupported) {
        fail("$name - not supported by the bundled runner: --- @unsupported");
        return;
    }

    if (my ($count, $why) = skip_spec($block)) {
        SKIP: { skip("$name - $why", $count * $RepeatEach) }
        return;
    }

    # A block without "--- config" reuses the previous block's (upstream).
    my $config = $block->config;
    $config = $PrevConfig unless defined $config;
    if (!defined $config) {
        fail("$name - no --- config section and no previous block to take it from");
        return;
    }
    $PrevConfig = $config;
    expand_block_env($block);

    stop_nginx();
    kill_stale_nginx();
    my $prepared = eval {
        setup_server_root();
        write_user_files($block);
        write_config_file($block, expand_env($config, 1));
        1;
    };
    if (!$prepared) {
        fail("$name - cannot prepare the server root: $@");
        return;
    }

    return run_must_die($block) if defined $block->must_die;

    my ($started, $status) = start_nginx();
    if (!$started) {
        my $report = startup_report();
        fail("$name - nginx failed to start (" . describe_status($status) . ")");
        diag($report);
        # Nothing else can pass if our own port is taken.
        bail_out("port $ServerPort is already in use (TEST_NGINX_PORT)")
            if $report =~ /bind\(\) to \Q$ServerAddr:$ServerPort\E failed \(98:/;
        return;
    }

    if (defined $block->init) {
        eval "package main; " . $block->init;
        bail_out("$name - init failed: $@") if $@;
    }

    $Test::Nginx::Util::ErrLogFilePos = 0;
    for my $round (0 .. $RepeatEach - 1) {
        run_requests($block, $round);
    }
    finish_block($block);
}

# "--- skip_nginx: N: < 1.21.0" and "--- skip_eval: N: perl-code".
sub skip_spec {
    my $block = shift;
    if (defined(my $spec = $block->skip_nginx)) {
        $spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)\s*(?::\s*(.*?))?\s*$/s
            or bail_out($block->name . " - invalid --- skip_nginx: $spec");
        my ($n, $op, $want, $why) = ($1, $2, sprintf('%d.%03d%03d', $3, $4, $5), $6);
        my $have = nginx_version();
        my $skip = $op eq '<' ? $have < $want : $op eq '<=' ? $have <= $want
                 : $op eq '>' ? $have > $want : $have >= $want;
        return ($n, $why || "nginx version $op $3.$4.$5") if $skip;
    }
    if (defined(my $spec = $block->skip_eval)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)$/s
            or bail_out($block->name . " - invalid --- skip_eval: $spec");
        my ($n, $code) = ($1, $2);
        my $skip = eval "package main; $code";
        bail_out($block->name . " - skip_eval failed: $@") if $@;
        return ($n, 'skip_eval') if $skip;
    }
    return;
}

# Expand $TEST_NGINX_* in the non-config sections (an extension: upstream
# expands them in the config sections only).
sub expand_block_env {
    my $block = shift;
    my $walk;
    $walk = sub {
        my $v = shift;
        return [map { $walk->($_) } @$v] if ref $v eq 'ARRAY';
        return { %$v, value => $walk->($v->{value}) } if ref $v eq 'HASH';
        return expand_env($v);
    };
    for my $sec (qw(request raw_request pipelined_requests more_headers
                    response_body response_body_like response_body_unlike
                    response_headers response_headers_like
                    raw_response_headers_like raw_response_headers_unlike
                    error_log no_error_log grep_error_log grep_error_log_out
                    shutdown_error_log no_shutdown_error_log)) {
        my $v = $block->$sec;
        $block->set_value($sec, $walk->($v)) if defined $v;
    }
}

sub describe_status {
    my $st = shift;
    return "did not start within ${Test::Nginx::Util::StartupTimeout}s" unless defined $st;
    return "killed by signal " . ($st & 127) if $st & 127;
    return "exit code " . ($st >> 8);
}

# What went wrong at startup: the non-debug part of error.log and stderr.
sub startup_report {
    my @log = grep { is_notable($_) } read_file_lines($ErrLogFile);
    my @err = read_file_lines($Test::Nginx::Util::StderrFile);
    my @tail = (@log, @err);
    @tail = @tail[-30 .. -1] if @tail > 30;
    return "error.log / stderr:\n" . join('', @tail);
}

# "--- must_die": nginx has to refuse to start; error_log patterns are then
# looked for in error.log and in what nginx wrote to stderr.
sub run_must_die {
    my $block = shift;
    my $name = $block->name;
    for my $round (0 .. $RepeatEach - 1) {
        if ($round) {
            setup_server_root();
            write_user_files($block);
            write_config_file($block, expand_env($PrevConfig, 1));
        }
        my ($started, $status) = start_nginx();
        my $want = $block->must_die;
        if ($started) {
            stop_nginx();
            fail("$name - die as expected (nginx started)");
        } elsif (!defined $status || $status & 127) {
            fail("$name - die as expected (" . describe_status($status) . ")");
        } elsif ($want =~ /^\s*(\d+)\s*$/) {
            is($status >> 8, $1, "$name - die with the expected exit code");
        } else {
            ok($status != 0, "$name - die as expected");
        }
        $Test::Nginx::Util::ErrLogFilePos = 0;
        my @lines = (@{ error_log_data() },
                     read_file_lines($Test::Nginx::Util::StderrFile));
        check_error_log($block, $round, \@lines);
    }
}

# ---- requests ------------------------------------------------------------------

sub run_requests {
    my ($block, $round) = @_;
    my $name = $block->name;
    my $reqs = eval { build_requests($block) };
    if (!$reqs) {
        fail("$name - " . ($@ || "bad request section\n"));
        return;
    }
    my $timeout = parse_time(scalar($block->timeout));
    $timeout = $Test::Nginx::Util::Timeout unless defined $timeout;
    my $total = 0;
    $total += $_->{responses} for @$reqs;
    my $need_array = $total > 1;

    my $idx = 0;
    for my $req (@$reqs) {
        my ($raw, $timed_out, $err) = send_request($block, $req->{packets}, $timeout);
        fail("$name - $err") if $err;
        fail("ERROR: client socket timed out - $name")
            if $timed_out && !defined $block->abort;
        for (1 .. $req->{responses}) {
            my ($res, $left) = parse_response($raw, $req->{head});
            $raw = $left;
            check_response($block, $res, $idx, $round, $need_array)
                unless defined $block->ignore_response;
            if (++$idx < $total) {
                sleep parse_time(scalar($block->wait)) if scalar($block->wait);
                check_error_log($block, $round);
            }
        }
    }
    sleep parse_time(scalar($block->wait)) if scalar($block->wait);
    check_error_log($block, $round);
}

# Returns a list of {packets => [{value, delay_before}], head, responses}.
sub build_requests {
    my $block = shift;

    if (defined(my $raw = $block->raw_request)) {
        my @parts = ref $raw eq 'ARRAY' ? @$raw : ($raw);
        my $delay = parse_time(scalar($block->raw_request_middle_delay));
        my $i = 0;
        my @packets = map { { value => $_, delay_before => ($i++ ? $delay : undef) } } @parts;
        return [{ packets => \@packets, responses => 1,
                  head => (join('', @parts) =~ /^\s*HEAD\s/ ? 1 : 0) }];
    }

    my $more = $block->more_headers;
    my $headers_for = sub {
        my $i = shift;
        return '' unless defined $more;
        return $more unless ref $more eq 'ARRAY';
        return defined $more->[$i] ? $more->[$i] : die "--- more_headers has no entry for request $i\n";
    };

    if (defined(my $list = $block->pipelined_requests)) {
        die "--- pipelined_requests must be an array\n" unless ref $list eq 'ARRAY';
        my $wire = '';
        for my $i (0 .. $#$list) {
            my $conn = $i == $#$list ? 'close' : 'keep-alive';
            my ($one) = build_one([{ value => $list->[$i] }], $headers_for->($i), $conn);
            $wire .= $one->{value};
        }
        return [{ packets => [{ value => $wire }], head => 0, responses => scalar @$list }];
    }

    my $request = $block->request;
    die "no --- request, --- raw_request or --- pipelined_requests section\n"
        unless defined $request;
    if (!ref $request) {
        # Upstream skips leading blank and "#" comment lines.
        1 while $request =~ s/\A\s*#[^\n]*\n// || $request =~ s/\A\s+//;
    }
    my @list = ref $request eq 'ARRAY' ? @$request : ($request);
    my @reqs;
    for my $i (0 .. $#list) {
        my $spec = $list[$i];
        my @packets = ref $spec eq 'ARRAY'
            ? map { ref $_ eq 'HASH' ? { %$_ } : { value => $_ } } @$spec
            : ({ value => $spec });
        my @wire = build_one(\@packets, $headers_for->($i), 'close');
        push @reqs, { packets => \@wire, responses => 1,
                      head => ($packets[0]{value} =~ /^\s*HEAD\s/ ? 1 : 0) };
    }
    return \@reqs;
}

# Turns "METHOD [URI [VERSION]]\n[body]" (possibly split into packets) into
# the bytes to send: request line, Host and Connection unless given, the
# more_headers, Content-Length for a body (which upstream trims), blank line.
sub build_one {
    my ($packets, $more, $conn) = @_;
    my $text = join '', map { $_->{value} } @$packets;
    $text =~ /\A[ \t]*(\S+)(?:[ \t]+(\S+))?(?:[ \t]+(\S+))?[ \t]*(?:\r?\n|\z)/
        or die "cannot parse the request line of: $text\n";
    my ($method, $uri, $version, $line_end) = ($1, $2 || '/', $3 || 'HTTP/1.1', $+[0]);
    my $body = substr $text, $line_end;

    my ($extra, %seen) = ('');
    for my $line (split /\n+/, $more) {
        $line =~ s/\r$//;
        next if $line =~ /^\s*#/ || $line !~ /\S/;
        my ($k, $v) = split /:\s*/, $line, 2;
        $v = '' unless defined $v;
        $seen{lc $k} = $v;
        $extra .= "$k: $v\r\n";
    }
    my $lead = 0;
    if ($body ne '' && !defined $seen{'content-length'}
        && lc($seen{'transfer-encoding'} || '') ne 'chunked') {
        $lead = length(($body =~ /\A(\s*)/)[0]);
        $body =~ s/^\s+|\s+$//g;
        $extra .= 'Content-Length: ' . length($body) . "\r\n";
    }
    my $line = "$method $uri $version";
    my $head = "$line\r\n"
        . (defined $seen{host} ? '' : "Host: $ServerName\r\n")
        . (defined $seen{connection} ? '' : "Connection: $conn\r\n")
        . "$extra\r\n";
    my $wire = $head . $body;

    # Keep the caller's packet boundaries: an offset inside the request line
    # stays where it is; one inside the body moves by what was added/trimmed.
    my ($from, $pos, @out) = (0, 0);
    for my $i (0 .. $#$packets) {
        $pos += length $packets->[$i]{value};
        my $to = $i == $#$packets ? length $wire
               : $pos < $line_end ? min($pos, length $line)
               : length($head) + max(0, $pos - $line_end - $lead);
        $to = max($from, min($to, length $wire));
        push @out, { %{ $packets->[$i] }, value => substr($wire, $from, $to - $from) };
        $from = $to;
    }
    return @out;
}

# Sends the packets and reads until the server closes the connection (or the
# timeout passes with no I/O). Returns (response bytes, timed out, error).
sub send_request {
    my ($block, $packets, $timeout) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $sock;
    for (1 .. 20) {
        $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                      PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => $timeout);
        last if $sock;
        sleep 0.05;
    }
    return (undef, 0, "cannot connect to $ServerAddr:$ServerPortForClient: $!")
        unless $sock;
    $sock->blocking(0);

    my @queue = @$packets;
    my ($buf, $resp, $writing, $timed_out) = ('', '', 1, 0);
    my $next_packet = sub {
        my $p = shift @queue or return 0;
        sleep $p->{delay_before} if $p->{delay_before};
        $buf = $p->{value};
        return 1;
    };
    $next_packet->();
    my $fd = fileno $sock;
    while (1) {
        my $rin = '';
        vec($rin, $fd, 1) = 1;
        my ($rout, $wout) = ($rin, $writing ? $rin : '');
        my $n = select($rout, $wout, undef, $timeout);
        next if $n < 0 && $! == EINTR;
        if ($n <= 0) { $timed_out = 1; last }
        if ($writing && vec($wout, $fd, 1)) {
            my $w = syswrite $sock, $buf;
            if (defined $w) {
                substr($buf, 0, $w) = '';
            } elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
                $writing = 0;   # the server closed early; read what it sent
            }
            if ($writing && $buf eq '' && !$next_packet->()) {
                $writing = 0;
                if (defined(my $how = $block->shutdown)) {
                    shutdown $sock, ($how =~ /^\s*(\d)/ ? $1 : 1);
                }
            }
        }
        if (vec($rout, $fd, 1)) {
            my $r = sysread $sock, my $chunk, 65536;
            if (!defined $r) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                last;   # e.g. connection reset
            }
            last if $r == 0;
            $resp .= $chunk;
        }
    }
    close $sock;
    return ($resp, $timed_out);
}

# ---- responses -----------------------------------------------------------------

# Returns ({code, raw_headers, headers => [[name, value]...], body, error},
# bytes left over after this response).
sub parse_response {
    my ($raw, $head_req) = @_;
    my %res = (code => undef, raw_headers => '', headers => [], body => '');
    return (\%res, '') unless defined $raw && length $raw;

    my $rest = '';
    if ($raw =~ /\A(.*?\r?\n)\r?\n/s) {
        $res{raw_headers} = $1;
        $rest = substr $raw, $+[0];
    } else {
        $res{raw_headers} = $raw;
        $res{error} = 'incomplete response header';
    }
    my ($status, @lines) = split /\r?\n/, $res{raw_headers};
    $res{code} = $1 if defined $status && $status =~ m{^HTTP/\d+(?:\.\d+)?\s+(\d{3})};
    for (@lines) {
        push @{ $res{headers} }, [$1, $2] if /^([^:\s]+)\s*:\s*(.*?)\s*$/;
    }

    my $code = $res{code} || 0;
    return (\%res, $rest) if $head_req || $code =~ /^1/ || $code == 204 || $code == 304;

    my $te = header(\%res, 'Transfer-Encoding');
    my $len = header(\%res, 'Content-Length');
    if (defined $te && $te =~ /\bchunked\b/i) {
        my $body = '';
        while (1) {
            if ($rest !~ s/\A[ \t]*([0-9A-Fa-f]+)[^\r\n]*\r\n//) {
                $res{error} = 'invalid chunked body: bad or missing chunk size';
                last;
            }
            my $size = hex $1;
            if ($size == 0) {
                $res{error} = 'invalid chunked body: no CRLF after the last chunk'
                    unless $rest =~ s/\A(?:[^\r\n]+\r\n)*\r\n//;
                last;
            }
            if (length($rest) < $size + 2 || substr($rest, $size, 2) ne "\r\n") {
                $res{error} = 'invalid chunked body: truncated chunk';
                $body .= substr $rest, 0, $size;
                $rest = '';
                last;
            }
            $body .= substr $rest, 0, $size;
            substr($rest, 0, $size + 2) = '';
        }
        $res{body} = $body;
        return (\%res, $rest);
    }
    if (defined $len && $len =~ /^\d+$/) {
        $res{warning} = "response body truncated: $len bytes expected, got " . length $rest
            if length $rest < $len;
        $res{body} = substr $rest, 0, $len;
        return (\%res, length $rest > $len ? substr($rest, $len) : '');
    }
    $res{body} = $rest;
    return (\%res, '');
}

# Case-insensitive lookup; repeated headers are joined with ", " (as
# HTTP::Headers does, which upstream uses).
sub header {
    my ($res, $name) = @_;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $res->{headers} };
    return @v ? join(', ', @v) : undef;
}

sub subst_ports {
    my $s = shift;
    return $s if !defined $s || ref $s;
    $s =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
    $s =~ s/\$ServerPort\b/$ServerPort/g;
    return $s;
}

# The expected value of a section for response $idx: with several requests,
# expectations must be arrays (one entry per response), as upstream requires.
sub pick {
    my ($block, $sec, $idx, $need_array) = @_;
    my $v = $block->$sec;
    if (ref $v eq 'ARRAY') {
        return (1, $v->[$need_array ? $idx : 0]);
    }
    if ($need_array) {
        fail($block->name . " - --- $sec must be an array (one entry per request)");
        return (0);
    }
    return (1, $v);
}

sub check_response {
    my ($block, $res, $idx, $round, $need_array) = @_;
    my $name = $block->name;
    my $code = defined $res->{code} ? $res->{code} : '';
    my $body = $res->{body};
    fail("$name - $res->{error}") if $res->{error};
    diag("WARNING: $name - $res->{warning}") if $res->{warning};

    if (defined $block->error_code_like) {
        my ($ok, $want) = pick($block, 'error_code_like', $idx, $need_array);
        like($code, qr/$want/sm, "$name - status code ok") if $ok;
    } else {
        my ($ok, $want) = defined $block->error_code
            ? pick($block, 'error_code', $idx, $need_array) : (1, 200);
        is($code, $want, "$name - status code ok") if $ok;
    }

    for my $kind (qw(raw_response_headers_like raw_response_headers_unlike)) {
        next unless defined $block->$kind;
        my ($ok, $pat) = pick($block, $kind, $idx, $need_array);
        next unless $ok;
        my $cmp = $kind =~ /unlike/ ? \&unlike : \&like;
        $cmp->($res->{raw_headers}, qr/$pat/s, "$name - raw resp headers " . ($kind =~ /unlike/ ? 'unlike' : 'like'));
    }

    if (defined $block->response_headers) {
        my ($ok, $spec) = pick($block, 'response_headers', $idx, $need_array);
        for my $line ($ok && defined $spec ? split(/\n/, $spec) : ()) {
            $line =~ s/^\s+|\s+$//g;
            next if $line eq '';
            if ($line =~ s/^!\s*//) {
                unlike($res->{raw_headers}, qr/^\s*\Q$line\E\s*:/mi,
                       "$name - header $line not present in the raw headers");
                next;
            }
            my ($key, $want) = split /\s*:\s*/, $line, 2;
            $want = subst_ports(defined $want ? $want : '');
            my $got = header($res, $key);
            if ($want eq '') {
                # "Name:" means present with an empty value (stricter than
                # upstream, which also accepts an absent header here).
                ok(defined $got && $got eq '', "$name - header $key ok")
                    or diag(defined $got ? "got: '$got'" : "header $key is absent");
            } else {
                is(defined $got ? $got : '', $want, "$name - header $key ok");
            }
        }
    }
    if (defined $block->response_headers_like) {
        my ($ok, $spec) = pick($block, 'response_headers_like', $idx, $need_array);
        for my $line ($ok && defined $spec ? split(/\n/, $spec) : ()) {
            $line =~ s/^\s+|\s+$//g;
            next if $line eq '';
            my ($key, $pat) = split /\s*:\s*/, $line, 2;
            $pat = subst_ports(defined $pat ? $pat : '');
            my $got = header($res, $key);
            like(defined $got ? $got : '', qr/^$pat$/, "$name - header $key like ok");
        }
    }

    if (defined $block->response_body) {
        my ($ok, $want) = pick($block, 'response_body', $idx, $need_array);
        if ($ok) {
            $want = subst_ports($want);
            is_str($body, $want, "$name - response_body - response is expected (req $round)");
        }
    } else {
        for my $kind (qw(response_body_like response_body_unlike)) {
            next unless defined $block->$kind;
            my ($ok, $pat) = pick($block, $kind, $idx, $need_array);
            next unless $ok;
            $pat = subst_ports($pat);
            my $cmp = $kind =~ /unlike/ ? \&unlike : \&like;
            (my $type = $kind) =~ s/^response_body_//;
            $cmp->($body, qr/$pat/s, "$name - response_body_$type - response is expected (req $round)");
            last;
        }
    }

    $_->($block, $body, $idx, $round, 0) for @ResponseBodyChecks;
}

# ---- error log -----------------------------------------------------------------

sub patterns {
    my $spec = shift;
    return () unless defined $spec;
    return ($spec) if ref $spec eq 'Regexp';
    return grep { defined } @$spec if ref $spec eq 'ARRAY';
    return grep { $_ ne '' } split /\n+/, $spec;
}

sub line_matches {
    my ($line, $pat) = @_;
    return ref $pat eq 'Regexp' ? $line =~ $pat : index($line, $pat) >= 0;
}

# Log entries above debug level (debug entries can span several lines).
sub is_notable {
    my $line = shift;
    return $line =~ m{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?!debug\])}
        || $line =~ /^nginx: \[/;
}

# For showing why an error_log pattern was not found.
sub log_excerpt {
    my $lines = shift;
    my @l = grep { is_notable($_) } @$lines;
    @l = @l[-20 .. -1] if @l > 20;
    return @l ? "non-debug lines seen:\n" . join('', @l) : 'no non-debug lines seen';
}

# (Block accessors return lists in list context, hence the callers'
# scalar($block->x) when passing sections as arguments.)
sub check_patterns {
    my ($name, $lines, $spec, $negate, $what, $round) = @_;
    for my $pat (patterns($spec)) {
        my @hits = grep { line_matches($_, $pat) } @$lines;
        if ($negate) {
            ok(!@hits, "$name - pattern \"$pat\" does not match a line in $what (req $round)")
                or diag("matching line: $hits[0]");
        } else {
            ok(scalar @hits, "$name - pattern \"$pat\" matches a line in $what (req $round)")
                or diag(log_excerpt($lines));
        }
    }
}

sub check_error_log {
    my ($block, $round, $lines) = @_;
    my $name = $block->name;
    $lines ||= error_log_data();

    if (defined(my $grep = $block->grep_error_log)) {
        $grep = $grep->[$round] if ref $grep eq 'ARRAY';
        my $want = $block->grep_error_log_out;
        $want = $want->[$round] if ref $want eq 'ARRAY';
        if (!defined $want) {
            fail("$name - --- grep_error_log needs --- grep_error_log_out");
        } else {
            my $out = '';
            for my $line (@$lines) {
                next unless ref $grep eq 'Regexp' ? $line =~ $grep : $line =~ /\Q$grep\E/;
                $out .= "$&\n" unless $& =~ /\n/;
            }
            is_str($out, $want, "$name - grep_error_log_out (req $round)");
        }
    }

    check_patterns($name, $lines, scalar($block->error_log), 0, 'error.log', $round);
    check_patterns($name, $lines, scalar($block->no_error_log), 1, 'error.log', $round);

    # Like upstream: surface [alert]/[crit]/[emerg] lines the block does not
    # mention, and fail on assertion failures. A worker killed by a signal is
    # always a failure here, unless the block expects it.
    my @mentioned = (patterns(scalar($block->error_log)), patterns(scalar($block->no_error_log)));
    my $mentions = sub { my $s = shift; grep { !ref && index($_, $s) >= 0 } @mentioned };
    for my $line (@$lines) {
        if ($line =~ /\[(alert|crit|emerg)\]/) {
            my $level = $1;
            # (an [emerg] is what a must_die block expects)
            if (!$mentions->("[$level")
                && !($level eq 'emerg' && defined $block->must_die)) {
                chomp(my $l = $line);
                diag("WARNING: $name - $l");
            }
        }
        if ($line =~ /\bAssertion .*? failed\.$/) {
            chomp(my $l = $line);
            fail("$name - $l");
        }
        if ($line =~ /exited on signal (\d+)/ && !$mentions->('exited on signal')) {
            chomp(my $l = $line);
            fail("$name - nginx process crashed: $l");
        }
    }
}

# Stop nginx, then: shutdown_error_log checks, and fail if nginx had died on
# its own or printed a sanitizer report on stderr.
sub finish_block {
    my $block = shift;
    my $name = $block->name;
    return if $Test::Nginx::Util::NoClean;
    my ($status, $died) = stop_nginx();
    if ($died) {
        fail("$name - nginx exited during the test (" . describe_status($status) . ")");
        diag(startup_report());
    }
    if (defined $block->shutdown_error_log || defined $block->no_shutdown_error_log) {
        my $lines = error_log_data();
        check_patterns($name, $lines, scalar($block->shutdown_error_log), 0, 'error.log at shutdown', 0);
        check_patterns($name, $lines, scalar($block->no_shutdown_error_log), 1, 'error.log at shutdown', 0);
    }
    my @err = read_file_lines($Test::Nginx::Util::StderrFile);
    if (grep { /Sanitizer|runtime error:/ } @err) {
        fail("$name - nginx reported a sanitizer error");
        @err = @err[0 .. 79] if @err > 80;
        diag(join '', @err);
    } elsif (my @other = grep { !/^nginx: \[\w+\] / } @err) {
        # (nginx echoes its startup messages to stderr; error.log has them)
        diag("$name - nginx stderr:\n" . join '', @other);
    }
}

1;
