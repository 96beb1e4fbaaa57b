# Self-test of the Test::Nginx::Socket runner bundled in t/lib, using stock
# nginx features only (no module under test).
#
# First, a nested run of a deliberately failing suite checks that broken
# expectations are reported as failures (a runner that always passes would
# make every suite meaningless) and that tests are counted as upstream does.
# Then the blocks below exercise every supported section.

use Test::Nginx::Socket 'no_plan';
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

repeat_each(2);
no_shuffle();

$ENV{TEST_NGINX_GREETING} = 'hi-there';
$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();   # upstream convention

# Blocks that do not say otherwise must log no alerts (upstream's usual
# preprocessor idiom); must_die blocks expect an [emerg], so leave them alone.
add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->no_error_log && !defined $block->must_die) {
        $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]");
    }
});

env_to_nginx('TEST_NGINX_GREETING');

# ---- the failing suite, run in a child process ----------------------------------

my $failing = <<'EOT';
use Test::Nginx::Socket tests => 24;
no_shuffle();
run_tests();
__DATA__

=== F0: passing block, for the test count (7 tests)
--- config
    location = /t { add_header X-A a; return 200 "x"; }
--- request
GET /t
--- response_headers
X-A: a
!X-B
--- response_body: x
--- error_log
[debug]
http request line
--- no_error_log
[alert]

=== F1: wrong body, wrong status
--- config
    location = /t { return 200 "actual\n"; }
--- request
GET /t
--- error_code: 201
--- response_body
expected

=== F2: missing and unwanted log lines
--- config
    location = /t { return 200 "x"; }
--- request
GET /missing.txt
--- error_code: 404
--- error_log
this line is never logged
--- no_error_log
No such file or directory

=== F3: headers
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
--- response_headers
!Server
X-Empty:
Content-Type: text/html

=== F4: client timeout
--- config
    location = /t { limit_rate 1; return 200 "0123456789"; }
--- request
GET /t
--- timeout: 300ms
--- ignore_response

=== F5: bad config without must_die
--- config
    location = /t { no_such_directive; }
--- request
GET /t

=== F6: must_die but nginx starts
--- config
    location = /t { return 200 "x"; }
--- must_die

=== F7: several requests need array expectations
--- config
    location = /t { return 200 "x"; }
--- request eval
["GET /t", "GET /t"]
--- response_body
x

=== F8: LAST
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
--- LAST

=== F9: after LAST, never run
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
EOT

# Runs a suite in a child perl with this runner; returns (output, exit code).
my $tmp = tempdir(CLEANUP => 1);
sub run_child {
    my ($spec, %env) = @_;
    open my $fh, '>', "$tmp/child.t" or die $!;
    print $fh $spec;
    close $fh;
    my $lib = abs_path('t/lib');
    local $ENV{TEST_NGINX_SERVROOT} = Test::Nginx::Util::servroot() . '-selftest';
    local @ENV{keys %env} = values %env;
    my $out = `'$^X' -I'$lib' '$tmp/child.t' 2>&1`;
    return ($out, $? >> 8);
}

{
    my ($out, $status) = run_child($failing);
    my @not_ok = $out =~ /^not ok \d+ - (.*)$/mg;
    my @ok = $out =~ /^ok \d+ - (.*)$/mg;
    my $failed = sub {
        my ($pat, $what) = @_;
        ok((grep { /$pat/ } @not_ok), "runner reports a failure: $what")
            or diag($out);
    };
    $failed->(qr/^F1: .* - status code ok$/, 'wrong status code');
    $failed->(qr/^F1: .* - response_body - response is expected/, 'wrong body');
    $failed->(qr/^F2: .* pattern "this line is never logged" matches/, 'error_log pattern absent');
    $failed->(qr/^F2: .* pattern "No such file or directory" does not match/, 'no_error_log pattern present');
    $failed->(qr/^F3: .* - header Server not present/, '!Header present');
    $failed->(qr/^F3: .* - header X-Empty ok$/, 'Name: (present and empty) absent');
    $failed->(qr/^F3: .* - header Content-Type ok$/, 'wrong header value');
    $failed->(qr/^ERROR: client socket timed out - F4/, 'client timeout');
    $failed->(qr/^F5: .* - nginx failed to start/, 'nginx fails to start');
    $failed->(qr/^F6: .* - die as expected/, 'must_die but nginx started');
    $failed->(qr/^F7: .* must be an array/, 'scalar expectation for several requests');
    is(scalar(grep { /^F0: / } @ok), 7, 'passing block: all its checks pass') or diag($out);
    ok((grep { /^F8: .* - status code ok$/ } @ok), 'block marked LAST runs') or diag($out);
    unlike($out, qr/F9: after LAST/, 'blocks after LAST are not run');
    like($out, qr/^1\.\.24$/m, 'plan printed');
    is(@ok + @not_ok, 24, 'tests counted as upstream does (matches the plan)')
        or diag($out);
    is($status, scalar(@not_ok), 'exit status is the number of failures');
    like($out, qr/nginx failed to start.*\n(?:#.*\n|\n)*#.*unknown directive "no_such_directive"/,
         'startup failure shows the error log');
}

# A sanitizer report on nginx's stderr fails the block, even when every
# check passed: simulated with a wrapper that writes one and runs nginx.
{
    my $real = $ENV{TEST_NGINX_BINARY} || 'nginx';
    open my $fh, '>', "$tmp/asan-nginx" or die $!;
    print $fh "#!/bin/sh\n",
              "echo '==1==ERROR: AddressSanitizer: heap-use-after-free (simulated)' >&2\n",
              "exec $real \"\$@\"\n";
    close $fh;
    chmod 0755, "$tmp/asan-nginx";
    my ($out) = run_child(<<'EOT', TEST_NGINX_BINARY => "$tmp/asan-nginx");
use Test::Nginx::Socket 'no_plan';
run_tests();
__DATA__
=== S1: passes, but nginx reports an error
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
--- response_body: x
EOT
    like($out, qr/^ok \d+ - S1: .* - response_body/m, 'sanitizer: the checks themselves pass');
    like($out, qr/^not ok \d+ - S1: .* - nginx reported a sanitizer error\n(?:#.*\n|\n)*# ==1==ERROR: AddressSanitizer/m,
         'runner reports a failure: sanitizer report on stderr');
}

run_tests();

__DATA__

=== TEST 1: sanity, default status 200
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello



=== TEST 2: block without --- config reuses the previous one
--- request
    # leading comments and blanks are skipped
    GET /t
--- response_body
hello



=== TEST 3: error_code and response_body_like with a filter
--- config
    location = /t {
        return 403 "forbidden here\n";
    }
--- request
GET /t
--- error_code: 403
--- response_body_like chomp
^forbidden \w+$



=== TEST 4: error_code_like, response_body_unlike
--- config
    location = /t {
        return 418;
    }
--- request
GET /t
--- error_code_like: ^4\d\d$
--- response_body_unlike: hello



=== TEST 5: several requests in sequence
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 404; }
    location = /c { return 200 "c\n"; }
--- request eval
["GET /a", "GET /b", "GET /c"]
--- error_code eval
[200, 404, 200]
--- response_body_like eval
["^a\$", "404 Not Found", "^c\$"]
--- response_headers eval
["Content-Type: text/plain", "Content-Type: text/html", "!X-Nope"]



=== TEST 6: response_body eval with a regex, more_headers reflected
--- config
    location = /t {
        return 200 "foo=$http_x_foo bar=$http_x_bar\n";
    }
--- request
GET /t
--- more_headers
X-Foo: one
# a comment line
X-Bar: two words
--- response_body eval
qr/^foo=one bar=two words$/



=== TEST 7: response headers: exact, absent, present-and-empty, like
--- config
    location = /t {
        add_header X-Foo bar;
        add_header X-Multi a;
        add_header X-Multi b;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Foo: bar
X-Multi: a, b
!X-Absent
Content-Length: 3
--- response_headers_like
Server: nginx(/[\d.]+)?
Date: \w{3}, \d+ .*



=== TEST 8: raw_response_headers_like
--- config
    location = /t {
        return 302 /elsewhere;
    }
--- request
GET /t
--- error_code: 302
--- raw_response_headers_like: Location: http://localhost(?::\d+)?/elsewhere\r\n



=== TEST 9: POST body: trimmed and sized like upstream
--- config
    location = /echo {
        client_body_in_single_buffer on;
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/reflect;
    }
    location = /reflect {
        return 200 "len=$http_content_length body=[$http_x_body]\n";
    }
--- request
POST /echo
hello world
--- response_body
len=11 body=[hello world]



=== TEST 10: request split into delayed packets
--- config
    location = /echo {
        client_body_in_single_buffer on;
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/reflect;
    }
    location = /reflect {
        return 200 "body=[$http_x_body]\n";
    }
--- request eval
[["POST /echo\nhel", {value => "lo", delay_before => 0.1}]]
--- response_body
body=[hello]



=== TEST 11: raw_request sent verbatim, in two packets
--- config
    location = /t {
        return 200 "proto=$server_protocol host=$host\n";
    }
--- raw_request eval
["GET /t HTTP/1.0\r\nHo", "st: raw.example\r\n\r\n"]
--- raw_request_middle_delay: 0.05
--- response_body
proto=HTTP/1.0 host=raw.example



=== TEST 12: HEAD request has no body
--- config
    location = /t {
        return 200 "some body\n";
    }
--- request
HEAD /t
--- response_headers
Content-Length: 10
--- response_body



=== TEST 13: chunked response is decoded
--- config
    location = /t {
        sub_filter_types text/plain;
        sub_filter 'world' 'there';
        return 200 "hello world\n";
    }
--- request
GET /t
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body
hello there



=== TEST 14: pipelined requests on one connection
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 200 "b\n"; }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- response_body eval
["a\n", "b\n"]



=== TEST 15: error_log (substring, regex list), grep_error_log
--- config
    location = /t {
        return 200 "x";
    }
--- request
GET /missing.txt
--- error_code: 404
--- error_log eval
[qr/open\(\) "[^"]+missing\.txt" failed/, "No such file or directory", "[error]"]
--- grep_error_log chop
No such file or directory
--- grep_error_log_out
No such file or directory
--- no_error_log
[alert]
[emerg]



=== TEST 16: per-block log_level
--- config
    location = /t {
        return 200 "x";
    }
--- log_level: warn
--- request
GET /t
--- no_error_log
[debug]
[info]



=== TEST 17: default log level is debug
--- config
    location = /t {
        return 200 "x";
    }
--- request
GET /t
--- error_log
[debug]



=== TEST 18: user_files under the html dir
--- config
    location /files/ {
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files
>>> foo.txt
Hello, file!
>>> sub/dir/bar.txt 202001021504.05
second
--- request eval
["GET /files/foo.txt", "GET /files/sub/dir/bar.txt", "GET /index.html"]
--- response_body eval
["Hello, file!\n", "second\n", qr/It works!/]
--- response_headers eval
["", "Last-Modified: Thu, 02 Jan 2020 15:04:05 GMT", ""]



=== TEST 19: http_config and main_config
--- main_config
    thread_pool selftest threads=2;
--- http_config
    map $uri $mapped {
        default "from-http-config";
    }
--- config
    location = /t {
        return 200 "$mapped\n";
    }
    location = /index.html {
        root html;
        aio threads=selftest;
    }
--- request eval
["GET /t", "GET /index.html"]
--- response_body_like eval
["^from-http-config\$", "It works!"]



=== TEST 20: $TEST_NGINX_* expansion in config, request, headers and expectations
--- config
    location = /$TEST_NGINX_GREETING {
        add_header X-Greeting $TEST_NGINX_GREETING;
        return 200 "$TEST_NGINX_GREETING $http_x_in\n";
    }
--- request
GET /$TEST_NGINX_GREETING
--- more_headers
X-In: $TEST_NGINX_GREETING
--- response_headers
X-Greeting: $TEST_NGINX_GREETING
--- response_body
$TEST_NGINX_GREETING $TEST_NGINX_GREETING



=== TEST 21: $ServerPort in expectations
--- config
    location = /t {
        return 200 "port=$server_port\n";
    }
--- request
GET /t
--- response_body
port=$ServerPort



=== TEST 22: server_name section
--- server_name: selftest.example
--- config
    location = /t {
        return 200 "$server_name\n";
    }
--- request
GET /t
--- response_body
selftest.example



=== TEST 23: client timeout tolerated with --- abort
--- config
    location = /t {
        limit_rate 1;
        return 200 "0123456789";
    }
--- request
GET /t
--- timeout: 200ms
--- abort
--- ignore_response



=== TEST 24: --- wait before the log checks; logs from the log phase
--- http_config
    log_format selftest "logged $uri";
--- config
    location = /t {
        access_log logs/error.log selftest;
        return 200 "x";
    }
--- request
GET /t
--- wait: 0.1
--- error_log
logged /t



=== TEST 25: must_die with a broken directive
--- config
    location = /t {
        return a b c;
    }
--- must_die
--- error_log
invalid number of arguments in "return" directive



=== TEST 26: must_die with an unknown directive in main_config, exit code
--- main_config
    no_such_main_directive on;
--- config
    location = /t { return 200; }
--- must_die: 1
--- error_log eval
qr/\[emerg\] .*unknown directive "no_such_main_directive"/



=== TEST 27: shutdown_error_log
--- config
    location = /t {
        return 200 "x";
    }
--- request
GET /t
--- shutdown_error_log
SIGQUIT
--- no_shutdown_error_log
[alert]



=== TEST 28: skip_nginx skips the given number of tests
--- config
    location = /t { return 500; }
--- request
GET /t
--- response_body
never checked
--- skip_nginx
2: < 999.0.0



=== TEST 29: skip_eval
--- config
    location = /t { return 500; }
--- request
GET /t
--- skip_eval: 1: 1



=== TEST 30: SKIP blocks are dropped
--- config
    location = /t { return 500; }
--- request
GET /t
--- response_body
never checked
--- SKIP
