package OidcOp;

# OpenID Providers for the login tests, and a headless browser to log in through them.
#
#   use lib "$FindBin::Bin/helpers";
#   use OidcOp;
#
#   # the real provider (t/helpers/op/provider.js, the oidc-provider package)
#   my $op = OidcOp->start(dir => key_dir(), clients => [{
#       client_id => 'test-client', client_secret => 'test-secret',
#       redirect_uris => ["http://127.0.0.1:$port/oidc_callback"],
#       token_endpoint_auth_method => 'client_secret_basic' }]);
#   $op->issuer;                  # http://127.0.0.1:<port>  (port => N, default a free one)
#   $op->authorization_endpoint;  # $issuer/auth
#
#   # the stub provider (t/helpers/stub_op.js) for faults
#   my $stub = OidcOp::Stub->start(dir => key_dir());
#   $stub->origin; $stub->control(issuer_mismatch => 1); $stub->reset;
#   $stub->count->{token}; $stub->last_token_request->{headers}{authorization};
#
#   # a browser: cookies, redirects followed by hand, every hop recorded
#   my $ua = OidcOp::Browser->new;
#   my $res = $ua->get("http://127.0.0.1:$port/hello?x=1");
#   for my $hop (@{ $res->{chain} }) { $hop->{status}, $hop->{location}, $hop->{set_cookie} }
#   my ($final, $chain) = $ua->login("http://127.0.0.1:$port/hello?x=1", user => 'alice');
#   my $c = $ua->jar->get('NGX_OIDC_SESSION');   # {value, path, httponly, samesite, secure, ...}
#
#   # nginx in a server root of its own (plain Test::More suites)
#   my $ngx = OidcOp::Nginx->new(root => key_dir() . '/servroot', conf => $text);
#   $ngx->start; $ngx->reload; $ngx->stop;   (stopped at exit as well)
#
# Child processes are stopped when their object goes away and at exit, only by the process that
# started them. Perl core only (HTTP::Tiny; IO::Socket::SSL for https).

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec;
use IO::Handle;
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

our $ROOT = dirname(dirname(dirname(abs_path(__FILE__))));   # t/helpers/X.pm -> project root
our $NODE = $ENV{NODE} || 'node';
my $JSON = JSON::PP->new->canonical;
my %LIVE;   # pid => 1, children of this process still to stop at exit

sub root { $ROOT }

# Why the provider cannot run here ('' when it can): node or the npm packages are missing.
sub unavailable {
    my ($what) = @_;
    $what //= 'oidc-provider';
    return "node not found (scripts/install-deps test)" unless _which($NODE);
    return "node_modules/$what is missing (run npm ci, or scripts/install-deps test)"
        unless -d "$ROOT/node_modules/$what";
    return '';
}

sub _which {
    my ($cmd) = @_;
    return -x $cmd ? $cmd : undef if $cmd =~ m{/};
    for (split /:/, $ENV{PATH} // '') { return "$_/$cmd" if -x "$_/$cmd" }
    return;
}

# A TCP port on 127.0.0.1 that nobody listens on right now.
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
                                  Listen => 1, ReuseAddr => 1) or croak "free_port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# Runs `node SCRIPT ARGS...` with stdout on a pipe and stderr in $log, waits for its
# "ready <url>" line. Returns (pid, url, stdout handle).
sub _spawn {
    my (%o) = @_;
    pipe(my $r, my $w) or croak "pipe: $!";
    my $pid = fork();
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        close $r;
        open STDOUT, '>&', $w or POSIX::_exit(126);
        open STDERR, '>>', $o{log} or POSIX::_exit(126);
        open STDIN, '<', '/dev/null';
        exec { $NODE } $NODE, $o{script}, @{ $o{args} } or POSIX::_exit(127);
    }
    close $w;
    $LIVE{$pid} = 1;
    my $sel = IO::Select->new($r);
    my ($line, $deadline) = ('', time + ($o{timeout} // 30));
    while (time < $deadline && $line !~ /\n/) {
        next unless $sel->can_read(0.2);
        my $n = sysread $r, my $buf, 4096;
        last unless $n;
        $line .= $buf;
    }
    if ($line =~ /^ready (\S+)/m) {
        return ($pid, $1, $r);
    }
    _kill($pid);
    my $err = do { open my $fh, '<', $o{log}; local $/; $fh ? <$fh> : '' } // '';
    $err = substr($err, -2000) if length $err > 2000;
    croak "$o{script} did not start (no 'ready' line); its log $o{log}:\n$err";
}

sub _kill {
    my ($pid) = @_;
    return unless $pid && delete $LIVE{$pid};
    kill 'TERM', $pid;
    for (1 .. 100) {
        return if waitpid($pid, POSIX::WNOHANG()) != 0;
        sleep 0.05;
    }
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

my $OWNER = $$;
our @NGINX;   # OidcOp::Nginx objects (weak), stopped before File::Temp removes their root
END {
    # only the process that started them (not a forked child such as nginx's launcher)
    if ($$ == $OWNER) {
        local $?;
        $_->stop for grep { defined } @NGINX;
        _kill($_) for keys %LIVE;
    }
}

my $SEQ = 0;

# OidcOp->start(dir => D, clients => [...], port => 0, cert => F, key => F, jwks => F,
#               access_ttl => SECONDS)
sub start {
    my ($class, %o) = @_;
    if (my $why = unavailable()) { croak "OidcOp: $why" }
    my $dir = $o{dir} or croak 'OidcOp->start: dir is required';
    my $n = ++$SEQ;
    my $clients = "$dir/op-clients-$n.json";
    open my $fh, '>', $clients or croak "$clients: $!";
    print {$fh} $JSON->encode($o{clients} // croak 'OidcOp->start: clients are required');
    close $fh;
    my @args = ('--port', $o{port} // 0, '--clients', $clients);
    push @args, '--cert', $o{cert}, '--key', $o{key} if $o{cert};
    push @args, '--jwks', $o{jwks} if $o{jwks};
    push @args, '--access-ttl', $o{access_ttl} if $o{access_ttl};
    my $log = "$dir/op-$n.log";
    my ($pid, $issuer, $out) = _spawn(script => "$ROOT/t/helpers/op/provider.js",
                                      args => \@args, log => $log);
    my ($port) = $issuer =~ /:(\d+)$/;
    return bless { pid => $pid, issuer => $issuer, port => $port, log => $log, out => $out,
                   owner => $$ }, $class;
}

sub issuer { $_[0]{issuer} }
sub port   { $_[0]{port} }
sub pid    { $_[0]{pid} }
sub log_file { $_[0]{log} }
sub authorization_endpoint { "$_[0]{issuer}/auth" }
sub token_endpoint { "$_[0]{issuer}/token" }

sub stop {
    my $self = shift;
    _kill(delete $self->{pid}) if $self->{owner} == $$;
}

sub DESTROY { local $?; $_[0]->stop }

# The cookie flow-seal makes: "name=value" (the first line of its output).
# flow_cookie(keys => F, provider => 'op', cookie_name => 'NGX_OIDC_SESSION', state => S,
#             nonce => N, verifier => V, return => '/private', issuer => I, [now => T])
sub flow_cookie {
    my (%o) = @_;
    require EdgeAuthTest;
    my $cli = EdgeAuthTest::cli();
    my @args = ('flow-seal');
    for my $k (qw(keys provider cookie_name state nonce verifier return issuer now)) {
        next unless defined $o{$k};
        (my $opt = $k) =~ tr/_/-/;
        push @args, "--$opt", $o{$k};
    }
    # stderr goes to a file: on failure its first line is the message, not a page of usage
    require File::Temp;
    my $err = File::Temp->new;
    my $pid = open my $fh, '-|';
    croak "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDERR, '>&', $err or POSIX::_exit(126);
        exec { $cli } $cli, @args or POSIX::_exit(127);
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    if ($?) {
        seek $err, 0, 0;
        my ($why) = grep { /\S/ } <$err>;
        chomp($why //= '');
        croak "edge-auth flow-seal failed (exit " . ($? >> 8) . "): $why";
    }
    my ($line) = split /\n/, $out;
    croak "edge-auth flow-seal printed no name=value" unless $line && $line =~ /^[^=\s]+=\S/;
    return $line;
}


package OidcOp::Stub;

# The stub provider (t/helpers/stub_op.js); see that file for its endpoints.

use strict;
use warnings;
use Carp qw(croak);
use HTTP::Tiny;
use JSON::PP ();

my $STUB_SEQ = 0;

sub start {
    my ($class, %o) = @_;
    croak 'OidcOp::Stub: node not found' unless OidcOp::_which($OidcOp::NODE);
    my $dir = $o{dir} or croak 'OidcOp::Stub->start: dir is required';
    my $log = "$dir/stub-op-" . ++$STUB_SEQ . '.log';
    my ($pid, $origin, $out) = OidcOp::_spawn(script => "$OidcOp::ROOT/t/helpers/stub_op.js",
                                              args => ['--port', $o{port} // 0], log => $log);
    my ($port) = $origin =~ /:(\d+)$/;
    return bless { pid => $pid, origin => $origin, port => $port, log => $log, out => $out,
                   owner => $$, http => HTTP::Tiny->new(timeout => 5) }, $class;
}

sub origin { $_[0]{origin} }
sub issuer { $_[0]{origin} }
sub port   { $_[0]{port} }
sub log_file { $_[0]{log} }
sub authorization_endpoint { "$_[0]{origin}/authorize" }

sub _get {
    my ($self, $path) = @_;
    my $res = $self->{http}->get("$self->{origin}$path");
    croak "stub $path: $res->{status} $res->{content}" unless $res->{success};
    return JSON::PP->new->decode($res->{content});
}

# control(issuer_mismatch => 1, iss_param => 'wrong', rotate => 1, jwks_mode => 500, ...)
sub control {
    my ($self, %q) = @_;
    return $self->_get('/stub/control?' . $self->{http}->www_form_urlencode(\%q));
}

sub reset              { $_[0]->_get('/stub/reset') }
sub count              { $_[0]->_get('/stub/count') }
sub last_token_request { $_[0]->_get('/stub/last-token-request') }
sub last_authorize     { $_[0]->_get('/stub/last-authorize') }

sub stop {
    my $self = shift;
    OidcOp::_kill(delete $self->{pid}) if $self->{owner} == $$;
}

sub DESTROY { local $?; $_[0]->stop }


package OidcOp::CookieJar;

# A small RFC 6265 cookie jar, keyed by host (as browsers do, not by port): Domain, Path,
# Max-Age (wins over Expires; <= 0 removes), Expires (in the past removes), Secure (sent over
# https only), HttpOnly and SameSite recorded for tests to check. Each cookie is a hash:
#   {name, value, domain, host_only, path, expires (epoch or undef), secure, httponly,
#    samesite, max_age, raw (the Set-Cookie line), created}

use strict;
use warnings;
use Carp qw(croak);
use Time::Local qw(timegm);

my %MON = (jan => 0, feb => 1, mar => 2, apr => 3, may => 4, jun => 5,
           jul => 6, aug => 7, sep => 8, oct => 9, nov => 10, dec => 11);
my $CREATED = 0;

sub new { bless { cookies => [] }, shift }

sub _split_url {
    my ($url) = @_;
    my ($scheme, $host, $path) = ($url // '') =~ m{^(https?)://([^/:?#]+)(?::\d+)?([^?#]*)}i
        or return;   # not an http(s) URL: no cookies (HTTP::Tiny answers 599 for it)
    return (lc $scheme, lc $host, length $path ? $path : '/');
}

sub _is_ip { $_[0] =~ /^[\d.]+$/ || $_[0] =~ /:/ }

sub _default_path {
    my ($path) = @_;
    return '/' unless $path =~ m{^/} && $path =~ tr{/}{} > 1;
    $path =~ s{/[^/]*$}{};
    return $path;
}

sub _parse_date {
    my ($s) = @_;
    my ($d, $mon, $y, $h, $m, $sec) =
        $s =~ /(\d{1,2})[ -]([A-Za-z]{3})[a-z]*[ -](\d{2,4})\s+(\d\d?):(\d\d):(\d\d)/ or return;
    $y += $y < 70 ? 2000 : 1900 if $y < 100;
    my $mi = $MON{ lc $mon } // return;
    return eval { timegm($sec, $m, $h, $d, $mi, $y) };
}

# add($request_url, $set_cookie_line): stores, replaces or removes one cookie.
sub add {
    my ($self, $url, $line) = @_;
    my ($scheme, $host, $rpath) = _split_url($url) or return;
    my ($pair, @attrs) = split /;/, $line;
    return unless defined $pair && $pair =~ /=/;
    my ($name, $value) = split /=/, $pair, 2;
    s/^\s+|\s+$//g for $name, $value;
    return if $name eq '';
    my %c = (name => $name, value => $value, domain => $host, host_only => 1,
             path => _default_path($rpath), secure => 0, httponly => 0, raw => $line);
    my ($max_age, $expires);
    for my $a (@attrs) {
        my ($k, $v) = split /=/, $a, 2;
        $k = lc($k // ''); $k =~ s/^\s+|\s+$//g;
        $v //= ''; $v =~ s/^\s+|\s+$//g;
        if ($k eq 'max-age') { $max_age = $v if $v =~ /^-?\d+$/ }
        elsif ($k eq 'expires') { $expires = _parse_date($v) }
        elsif ($k eq 'path') { $c{path} = $v =~ m{^/} ? $v : _default_path($rpath) }
        elsif ($k eq 'domain' && length $v) {
            (my $d = lc $v) =~ s/^\.//;
            if ($d ne $host) {
                return if _is_ip($host) || substr($host, -length(".$d")) ne ".$d";
            }
            @c{qw(domain host_only)} = ($d, 0);
        }
        elsif ($k eq 'secure') { $c{secure} = 1 }
        elsif ($k eq 'httponly') { $c{httponly} = 1 }
        elsif ($k eq 'samesite') { $c{samesite} = $v }
    }
    $c{max_age} = $max_age;
    $c{expires} = defined $max_age ? time + $max_age : $expires;
    $c{created} = ++$CREATED;
    my @keep = grep { !($_->{name} eq $c{name} && $_->{domain} eq $c{domain}
                        && $_->{path} eq $c{path}) } @{ $self->{cookies} };
    my $removed = @keep < @{ $self->{cookies} };
    if (defined $c{expires} && $c{expires} <= time) {
        $self->{cookies} = \@keep;   # a removal (Max-Age=0, Expires in the past)
        return;
    }
    $self->{cookies} = [@keep, \%c];
    return \%c;
}

sub _purge {
    my $self = shift;
    my $now = time;
    $self->{cookies} = [grep { !defined $_->{expires} || $_->{expires} > $now }
                        @{ $self->{cookies} }];
}

sub _path_match {
    my ($rpath, $cpath) = @_;
    return 1 if $rpath eq $cpath;
    return 0 unless index($rpath, $cpath) == 0;
    return substr($cpath, -1) eq '/' || substr($rpath, length $cpath, 1) eq '/';
}

# The cookies a browser would send to $url, most specific path first.
sub cookies_for {
    my ($self, $url) = @_;
    my ($scheme, $host, $path) = _split_url($url) or return;
    $self->_purge;
    return sort { length($b->{path}) <=> length($a->{path}) || $a->{created} <=> $b->{created} }
           grep {
               ($_->{host_only} ? $host eq $_->{domain}
                                : $host eq $_->{domain} || substr($host, -length(".$_->{domain}"))
                                                           eq ".$_->{domain}")
               && _path_match($path, $_->{path})
               && (!$_->{secure} || $scheme eq 'https')
           } @{ $self->{cookies} };
}

sub cookie_header {
    my ($self, $url) = @_;
    return join '; ', map { "$_->{name}=$_->{value}" } $self->cookies_for($url);
}

# get($name, host => H, path => P): the first stored cookie of that name (and host/path).
sub get {
    my ($self, $name, %o) = @_;
    my @all = $self->get_all($name, %o);
    return $all[0];
}

sub get_all {
    my ($self, $name, %o) = @_;
    $self->_purge;
    return grep { (!defined $name || $_->{name} eq $name)
                  && (!defined $o{host} || $_->{domain} eq lc $o{host})
                  && (!defined $o{path} || $_->{path} eq $o{path}) } @{ $self->{cookies} };
}

# Names matching a regex, e.g. names(qr/^NGX_OIDC_SESSION_flow_/).
sub names {
    my ($self, $re) = @_;
    return map { $_->{name} } grep { !$re || $_->{name} =~ $re } $self->get_all(undef);
}

sub all { my $self = shift; $self->_purge; @{ $self->{cookies} } }

# set(name => N, value => V, host => '127.0.0.1', path => '/', secure => 0, ...): a cookie put
# in by hand (e.g. a planted session cookie).
sub set {
    my ($self, %c) = @_;
    defined $c{$_} or croak "CookieJar->set: $_ is required" for qw(name value);
    my %new = (domain => lc(delete $c{host} // '127.0.0.1'), host_only => 1, path => '/',
               secure => 0, httponly => 0, expires => undef, %c, created => ++$CREATED);
    $self->delete($new{name}, host => $new{domain}, path => $new{path});
    push @{ $self->{cookies} }, \%new;
    return \%new;
}

sub delete {
    my ($self, $name, %o) = @_;
    my %gone = map { $_ + 0 => 1 } $self->get_all($name, %o);
    $self->{cookies} = [grep { !$gone{ $_ + 0 } } @{ $self->{cookies} }];
    return scalar keys %gone;
}

sub clear { $_[0]{cookies} = [] }

# A copy of the jar (the same cookies, independent from now on).
sub clone {
    my $self = shift;
    return bless { cookies => [map { +{%$_} } @{ $self->{cookies} }] }, ref $self;
}


package OidcOp::Browser;

# A headless browser on HTTP::Tiny: a cookie jar, redirects followed one hop at a time (across
# hosts and ports, at most max_redirects), every hop recorded. Responses are HTTP::Tiny's hashes
# (lower-case header names; a repeated header is an array) plus:
#   url     the URL requested       method  its method
#   chain   [ {method, url, status, reason, location, set_cookie => [...], headers, content} ... ]
#           every hop of this call, the final response last

use strict;
use warnings;
use Carp qw(croak);
use HTTP::Tiny;

our $DEFAULT_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

# new(timeout => 10, max_redirects => 20, headers => {...}, jar => $jar,
#     verify_SSL => 0, SSL_options => {...})
sub new {
    my ($class, %o) = @_;
    my %tiny = (timeout => $o{timeout} // 10, max_redirect => 0, keep_alive => 0,
                agent => 'OidcOp-Browser/1', verify_SSL => $o{verify_SSL} // 0);
    $tiny{SSL_options} = $o{SSL_options} if $o{SSL_options};
    return bless {
        http          => HTTP::Tiny->new(%tiny),
        jar           => $o{jar} // OidcOp::CookieJar->new,
        max_redirects => $o{max_redirects} // 20,
        headers       => { accept => $DEFAULT_ACCEPT, %{ $o{headers} // {} } },
    }, $class;
}

sub jar { $_[0]{jar} }

# request($method, $url, headers => {...}, content => $bytes): one hop, no redirect followed.
# A header given as undef is not sent (e.g. accept => undef).
sub request {
    my ($self, $method, $url, %o) = @_;
    my %h = map { lc($_) => $self->{headers}{$_} } keys %{ $self->{headers} };
    while (my ($k, $v) = each %{ $o{headers} // {} }) { $h{ lc $k } = $v }
    delete $h{$_} for grep { !defined $h{$_} } keys %h;
    my $jar_cookies = $self->{jar}->cookie_header($url);
    if (length $jar_cookies) {
        $h{cookie} = defined $h{cookie} ? "$jar_cookies; $h{cookie}" : $jar_cookies;
    }
    my $res = $self->{http}->request($method, $url, {
        headers => \%h, (defined $o{content} ? (content => $o{content}) : ()) });
    my $sc = $res->{headers}{'set-cookie'};
    my @set = !defined $sc ? () : ref $sc ? @$sc : ($sc);
    $self->{jar}->add($url, $_) for @set;
    $res->{url} = $url;
    $res->{method} = $method;
    $res->{sent_headers} = \%h;
    $res->{hop} = {
        method => $method, url => $url, status => $res->{status}, reason => $res->{reason},
        location => $res->{headers}{location}, set_cookie => \@set,
        headers => $res->{headers}, content => $res->{content},
    };
    return $res;
}

# The response after following redirects: 301/302/303 become GET, 307/308 keep method and body.
# follow => 0 stops after the first hop.
sub navigate {
    my ($self, $method, $url, %o) = @_;
    my @chain;
    my $res;
    my $follow = $o{follow} // 1;
    for my $i (0 .. $self->{max_redirects}) {
        $res = $self->request($method, $url, %o);
        push @chain, $res->{hop};
        my $loc = $res->{headers}{location};
        last unless $follow && $res->{status} =~ /^30[12378]$/ && defined $loc;
        if ($i == $self->{max_redirects}) {
            $res->{too_many_redirects} = 1;
            last;
        }
        $url = resolve($url, $loc);
        if ($res->{status} =~ /^30[123]$/) {
            $method = 'GET';
            %o = (headers => { %{ $o{headers} // {} } });
            delete @{ $o{headers} }{qw(content-type Content-Type)};
        }
    }
    $res->{chain} = \@chain;
    return $res;
}

sub get  { my ($self, $url, %o) = @_; $self->navigate('GET', $url, %o) }
sub head { my ($self, $url, %o) = @_; $self->navigate('HEAD', $url, %o) }

# post_form($url, \%fields or \@pairs, %o)
sub post_form {
    my ($self, $url, $form, %o) = @_;
    return $self->navigate('POST', $url, %o,
        headers => { 'content-type' => 'application/x-www-form-urlencoded', %{ $o{headers} // {} } },
        content => $self->{http}->www_form_urlencode($form));
}

# login($start_url, user => 'alice', password => 'x', consent => 1, headers => {...}):
# GET $start_url, then answer the provider's dev-interaction pages (login, then consent) until
# a page without such a form. In list context (final response, chain of every hop); in scalar
# context the final response (its {chain} is the whole chain, {prompts} the pages answered).
sub login {
    my ($self, $start, %o) = @_;
    my $user = $o{user} // 'alice';
    my $res = $self->get($start, headers => $o{headers});
    my @chain = @{ $res->{chain} };
    my @prompts;
    for (1 .. 6) {
        my $form = find_form($res->{content}, 'prompt') or last;
        my %f = %{ $form->{fields} };
        my $prompt = $f{prompt} // '';
        if ($prompt eq 'login') {
            @f{qw(login password)} = ($user, $o{password} // 'any-password');
        } elsif ($prompt ne 'consent' || !($o{consent} // 1)) {
            last;
        }
        push @prompts, $prompt;
        $res = $self->post_form(resolve($res->{url}, $form->{action}), \%f);
        push @chain, @{ $res->{chain} };
    }
    $res->{chain} = \@chain;
    $res->{prompts} = \@prompts;
    return wantarray ? ($res, \@chain) : $res;
}

# The first <form> that has an input named $field (any form when undef):
# {action, method, fields => {name => value}}. Entities in attributes are decoded.
sub find_form {
    my ($html, $field) = @_;
    return unless defined $html;
    while ($html =~ m{<form\b([^>]*)>(.*?)</form>}gsi) {
        my ($attrs, $inner) = ($1, $2);
        my %a = _attrs($attrs);
        my %fields;
        while ($inner =~ m{<input\b([^>]*)>}gsi) {
            my %i = _attrs($1);
            next unless defined $i{name};
            next if ($i{type} // '') =~ /^(submit|button|image)$/i;
            $fields{ $i{name} } = $i{value} // '';
        }
        next if defined $field && !exists $fields{$field};
        return { action => $a{action} // '', method => lc($a{method} // 'get'),
                 fields => \%fields };
    }
    return;
}

sub _attrs {
    my ($s) = @_;
    my %a;
    while ($s =~ m{([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?}g) {
        $a{ lc $1 } = html_decode($2 // $3 // $4 // '');
    }
    return %a;
}

sub html_decode {
    my ($s) = @_;
    my %ent = (amp => '&', lt => '<', gt => '>', quot => '"', apos => "'", '#39' => "'");
    $s =~ s{&(#x[0-9a-fA-F]+|#\d+|\w+);}{
        my $e = $1;
        $e =~ /^#x(.+)/i ? chr hex $1 : $e =~ /^#(\d+)/ ? chr $1 : $ent{$e} // "&$e;"
    }ge;
    return $s;
}

# An absolute URL for $ref (a Location or a form action) relative to $base.
sub resolve {
    my ($base, $ref) = @_;
    return $ref if $ref =~ m{^[a-z][a-z0-9+.-]*:}i;
    my ($scheme, $auth, $path, $query) = $base =~ m{^([a-z]+:)(//[^/?#]*)?([^?#]*)(\?[^#]*)?}i;
    return "$scheme$ref" if $ref =~ m{^//};
    return "$scheme$auth$ref" if $ref =~ m{^/};
    return "$scheme$auth$path$ref" if $ref =~ m{^\?};
    return "$scheme$auth$path" . ($query // '') if $ref eq '' || $ref =~ /^#/;
    (my $dir = $path) =~ s{[^/]*$}{};
    my @out;
    for my $seg (split m{/}, "$dir$ref", -1) {
        if ($seg eq '..') { pop @out if @out > 1 } elsif ($seg ne '.') { push @out, $seg }
    }
    my $p = join '/', @out;
    $p .= '/' if $ref =~ m{(^|/)\.\.?$};
    return "$scheme$auth$p";
}

# Query parameters of a URL (or of its Location) as a hash of lists: {name => [values]}.
sub query_params {
    my ($url) = @_;
    my ($q) = ($url // '') =~ /\?([^#]*)/ or return {};
    my %p;
    for my $pair (split /&/, $q) {
        my ($k, $v) = map { my $s = $_ // ''; $s =~ tr/+/ /; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }
                      split /=/, $pair, 2;
        push @{ $p{$k} }, $v;
    }
    return \%p;
}


package OidcOp::Nginx;

# nginx in a server root of its own, for suites that need reloads or several requests with one
# nginx (Test::Nginx restarts nginx for every block). Honors TEST_NGINX_BINARY and
# TEST_NGINX_LD_PRELOAD (the ASan runtime under make test-asan).

use strict;
use warnings;
use Carp qw(croak);
use File::Path qw(make_path);
use Scalar::Util ();
use Time::HiRes qw(sleep);

# new(root => DIR, conf => TEXT): writes DIR/conf/nginx.conf. The text should have
# `pid logs/nginx.pid; daemon on;` and temp paths under DIR (see temp_paths).
sub new {
    my ($class, %o) = @_;
    my $root = $o{root} or croak 'OidcOp::Nginx: root is required';
    make_path("$root/conf", "$root/logs");
    my $self = bless { root => $root, owner => $$,
                       binary => $o{binary} // $ENV{TEST_NGINX_BINARY} // 'nginx' }, $class;
    push @OidcOp::NGINX, $self;
    Scalar::Util::weaken($OidcOp::NGINX[-1]);
    $self->write_conf($o{conf}) if defined $o{conf};
    return $self;
}

sub root { $_[0]{root} }
sub error_log { "$_[0]{root}/logs/error.log" }

# The *_temp_path directives for http {} under the root.
sub temp_paths {
    my $self = shift;
    return join '', map { "    ${_}_temp_path $self->{root}/tmp_$_;\n" }
                    qw(client_body proxy fastcgi uwsgi scgi);
}

sub write_conf {
    my ($self, $text) = @_;
    open my $fh, '>', "$self->{root}/conf/nginx.conf" or croak "nginx.conf: $!";
    print {$fh} $text;
    close $fh or croak "nginx.conf: $!";
}

# Runs the nginx binary with @args; its stderr (startup warnings, sanitizer reports) goes to
# logs/stderr.log. Returns the wait status.
sub _nginx {
    my ($self, @args) = @_;
    my @cmd = (split(' ', $self->{binary}), '-p', "$self->{root}/", '-c', 'conf/nginx.conf',
               '-e', 'logs/error.log', @args);
    my $pid = fork();
    croak "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{root}/logs/stderr.log" or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        # under make test-asan: the ASan runtime, for nginx only
        $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_LD_PRELOAD} if $ENV{TEST_NGINX_LD_PRELOAD};
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return $?;
}

sub stderr_log { "$_[0]{root}/logs/stderr.log" }

sub master_pid {
    my $self = shift;
    open my $fh, '<', "$self->{root}/logs/nginx.pid" or return;
    my $p = <$fh>;
    return unless defined $p && $p =~ /^(\d+)/;
    return $1;
}

sub workers {
    my $self = shift;
    my $master = $self->master_pid or return;
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        push @w, $1 if $line =~ /^(\d+) \(.*\) [^Z] (\d+) /s && $2 == $master;
    }
    return sort { $a <=> $b } @w;
}

# Starts nginx (daemon on); waits for the pid file. Returns 1, or 0 (see error_log).
sub start {
    my $self = shift;
    unlink "$self->{root}/logs/nginx.pid";
    $self->_nginx() == 0 or return 0;
    for (1 .. 100) { last if $self->master_pid; sleep 0.05 }
    $self->{started} = 1;
    return $self->master_pid ? 1 : 0;
}

# `nginx -s reload`, then waits until none of the old workers is left.
sub reload {
    my $self = shift;
    my %old = map { $_ => 1 } $self->workers;
    $self->_nginx('-s', 'reload') == 0 or return 0;
    for (1 .. 200) {
        my @now = $self->workers;
        return 1 if @now && !grep { $old{$_} } @now;
        sleep 0.05;
    }
    return 0;
}

sub stop {
    my $self = shift;
    return unless $self->{owner} == $$ && delete $self->{started};
    my $pid = $self->master_pid or return;
    kill 'QUIT', $pid;
    for (1 .. 100) { return unless kill 0, $pid; sleep 0.05 }
    kill 'TERM', $pid;
}

# The error log's lines added since the last call (or all of it the first time).
sub new_log_lines {
    my $self = shift;
    open my $fh, '<', $self->error_log or return ();
    seek $fh, $self->{log_pos} // 0, 0;
    my @lines = <$fh>;
    $self->{log_pos} = tell $fh;
    return @lines;
}

sub DESTROY { local $?; $_[0]->stop }

1;
