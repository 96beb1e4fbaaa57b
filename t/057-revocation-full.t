# A full revocation list fails closed, as documented: with auth_oidc_revocation_size 16, sixteen
# logouts are remembered one by one; the seventeenth cannot be, so every session issued until
# that moment is refused (an alert says so and names the directive), while sessions issued
# afterwards still open. The list and that floor survive a restart through the journal.

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use OidcOp;
use HTTP::Tiny;
use Time::HiRes qw(sleep);

sub slurp { open my $fh, '<', shift or return ''; local $/; <$fh> }

my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';

my $dir = key_dir();
my $port = OidcOp::free_port();
my $base = "http://127.0.0.1:$port";
my $keys = session_keys('full-session.key', 'full');
my $echo = "$dir/full-echo.sock";
my $journal = "$dir/full-revocations";
unlink $journal;

my $ngx = OidcOp::Nginx->new(root => "$dir/full-servroot");
my $temp = $ngx->temp_paths;
$ngx->write_conf(<<"CONF");
load_module $module;
master_process on;
worker_processes 2;
daemon on;
pid logs/nginx.pid;
error_log logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
$temp
    auth_oidc_revocation_size 16;
    auth_oidc_revocation_file $journal;

    # sessions only (no issuer): cookies sealed by edge-auth seal, signed out at /logout
    oidc_provider op {
        session_key_file $keys;
        cookie_secure off;
        logout_uri /logout;
    }
    server {
        listen unix:$echo;
        edge_auth_scrub_headers off;
        location / {
            default_type text/plain;
            return 200 "sub=\$http_x_auth_subject\\n";
        }
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            auth_oidc op;
            proxy_set_header X-Auth-Subject \$oidc_claim_sub;
            proxy_pass http://unix:$echo:;
        }
    }
}
CONF

if (!$ngx->start) {
    fail('nginx starts');
    diag(join '', $ngx->new_log_lines, slurp($ngx->stderr_log));
    done_testing();
    exit;
}

my $http = HTTP::Tiny->new(max_redirect => 0, timeout => 10);

# A session of user $sub issued at $iat, as a Cookie header value.
sub session {
    my ($sub, $iat) = @_;
    my @cookies = seal_session(keys => $keys, provider => 'op', cookie => 'NGX_OIDC_SESSION',
                               session => { sub => $sub, iss => 'https://full.test',
                                            iat => $iat, seen => $iat });
    return join '; ', @cookies;
}
sub status_with { $http->get("$base/hello", { headers => { cookie => $_[0] } })->{status} }
sub logout_with { $http->get("$base/logout", { headers => { cookie => $_[0] } })->{status} }

my $t0 = time - 100;
my @users = map { session("user$_", $t0) } 1 .. 17;
my $bystander = session('bystander', $t0);

is(status_with($users[0]), 200, 'a session opens');
my @out = map { logout_with($users[$_]) } 0 .. 15;
is_deeply(\@out, [(200) x 16], 'sixteen logouts (the built-in page: no provider)');
my @refused = map { status_with($users[$_]) } 0 .. 15;
is_deeply(\@refused, [(401) x 16], '... each of those sessions is refused');
is(status_with($bystander), 200, 'a session nobody logged out still opens');
my $log = join '', $ngx->new_log_lines;
unlike($log, qr/revocation list is full/, 'the list is not full yet');

# the seventeenth: no room, so everything issued until now is refused
is(logout_with($users[16]), 200, 'a seventeenth logout');
$log = join '', $ngx->new_log_lines;
like($log, qr/\[alert\].*the revocation list is full \(16 live revocations\): every session issued until now is refused; raise "auth_oidc_revocation_size"/,
     'an alert says the list is full and what to raise');
is(status_with($users[16]), 401, 'the seventeenth session is refused');
is(status_with($bystander), 401, 'so is every other session issued before that moment (fail closed)');
sleep 1.1;
my $fresh = session('newcomer', time);
is(status_with($fresh), 200, 'a session issued afterwards opens');

# a restart brings the list and the floor back from the journal
$ngx->stop;
ok($ngx->start, 'nginx restarts');
is(status_with($users[3]), 401, 'after a restart a logged-out session is still refused');
is(status_with($bystander), 401, '... and so is one from before the floor');
is(status_with($fresh), 200, '... while the newer one opens');
$log = join '', $ngx->new_log_lines;
like($log, qr/16 live revocation\(s\) loaded from/, 'the journal was loaded');

my @bad = grep { /\[(crit|emerg)\]|exited on signal/ } $ngx->new_log_lines;
is_deeply(\@bad, [], 'no crit or crash in the error log');
unlike(slurp($ngx->stderr_log), qr/Sanitizer|runtime error:/, 'no sanitizer report');

done_testing();
