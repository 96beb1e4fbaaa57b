# Token refresh against the real provider, which rotates refresh tokens (each works once): when
# the access token runs out, the next request refreshes it, once, even when 20 requests with the
# same expiring cookie arrive together on two workers; every one of them succeeds and carries the
# new cookie. A refresh token the provider has revoked ends the session cleanly: a page load goes
# to sign in again, an API call gets 401, and the cookie is expired.

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use OidcOp;
use HTTP::Tiny;
use Time::HiRes qw(sleep time);

sub slurp { open my $fh, '<', shift or return ''; local $/; <$fh> }

my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';
if (my $why = OidcOp::unavailable('oidc-provider')) { plan skip_all => $why }

my $dir = key_dir();
my $port = OidcOp::free_port();
my $base = "http://127.0.0.1:$port";
my $keys = session_keys('refresh-session.key', 'refresh');
my $echo = "$dir/refresh-echo.sock";
my $ttl = 3;     # the provider's access token lifetime, seconds

my $op = OidcOp->start(dir => $dir, access_ttl => $ttl, clients => [
    { client_id => 'test-client', client_secret => 'test-secret',
      redirect_uris => ["$base/oidc_callback"],
      grant_types => ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method => 'client_secret_basic' },
]);
my $issuer = $op->issuer;

my $ngx = OidcOp::Nginx->new(root => "$dir/refresh-servroot");
my $temp = $ngx->temp_paths;
$ngx->write_conf(<<"CONF");
load_module $module;
master_process on;
worker_processes 2;
daemon on;
pid logs/nginx.pid;
error_log logs/error.log info;
events { worker_connections 256; }
http {
    access_log off;
$temp
    oidc_provider op {
        issuer $issuer;
        allow_http on;
        client_id test-client;
        client_secret test-secret;
        redirect_uri $base/oidc_callback;
        scope openid offline_access;
        extra_auth_args prompt=consent;
        refresh_margin 1s;
        session_key_file $keys;
        cookie_secure off;
        provider_timeout 3s;
    }
    server {
        listen unix:$echo;
        edge_auth_scrub_headers off;
        location / {
            default_type text/plain;
            return 200 "sub=\$http_x_auth_subject at=\$http_x_access_token\\n";
        }
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            auth_oidc op;
            proxy_set_header X-Auth-Subject \$oidc_claim_sub;
            proxy_set_header X-Access-Token \$oidc_access_token;
            proxy_pass http://unix:$echo:;
        }
    }
}
CONF

if (!$ngx->start) {
    fail('nginx starts');
    diag(join '', $ngx->new_log_lines, slurp($ngx->stderr_log));
    # on failure, what nginx and the provider said
if (!Test::More->builder->is_passing) {
    diag(join '', grep { /edge_auth|grant/ } split /^/, slurp($ngx->error_log));
    diag(join '', grep { /grant/ } split /^/, slurp($op->log_file));
}

done_testing();
    exit;
}

sub refreshes_at_op {
    my $n = () = slurp($op->log_file) =~ /op grant\.success refresh_token/g;
    return $n;
}

sub cookie_header {
    my ($ua) = @_;
    return join '; ', map { "$_->{name}=$_->{value}" }
                      grep { $_->{name} =~ /^NGX_OIDC_SESSION(?:\.\d+)?$/ } $ua->jar->all;
}

my $alice = OidcOp::Browser->new;
my $res = $alice->login("$base/hello", user => 'alice');
is($res->{status}, 200, 'alice signs in');
my ($at1) = ($res->{content} // '') =~ /at=(\S+)/;
ok($at1, 'the upstream sees an access token');
my $cookie = cookie_header($alice);
ok($cookie, 'alice holds a session cookie');
is(refreshes_at_op(), 0, 'no refresh yet');

# the access token runs out; then 20 requests with the same cookie at once
sleep $ttl + 0.5;
my @kids;
my $outdir = "$dir/refresh-out";
mkdir $outdir;
for my $i (1 .. 20) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $r = HTTP::Tiny->new(timeout => 15)->get("$base/hello",
                    { headers => { cookie => $cookie, accept => 'text/html' } });
        open my $fh, '>', "$outdir/$i" or POSIX::_exit(1);
        my $sc = $r->{headers}{'set-cookie'} // '';
        $sc = join "\n", @$sc if ref $sc;
        print {$fh} "$r->{status}\n$sc\n--\n$r->{content}";
        close $fh;
        require POSIX;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;

my (@statuses, @new_cookie, @tokens);
for my $i (1 .. 20) {
    my $out = slurp("$outdir/$i");
    my ($status) = $out =~ /^(\d+)/;
    push @statuses, $status // 0;
    push @new_cookie, scalar($out =~ /^NGX_OIDC_SESSION=[A-Za-z0-9_-]+;/m);
    my ($at) = $out =~ /at=(\S+)/;
    push @tokens, $at // '';
}
is_deeply(\@statuses, [(200) x 20], '20 concurrent requests with the expiring cookie all succeed');
is(refreshes_at_op(), 1, 'the provider saw exactly one refresh');
is(scalar(grep { $_ } @new_cookie), 20, 'every response carries the refreshed session cookie');
my %distinct = map { $_ => 1 } @tokens;
is(scalar(keys %distinct), 1, 'all 20 passed the same new access token upstream');
isnt($tokens[0], $at1, '... which is not the expired one');

my $log = join '', $ngx->new_log_lines;
my $refreshed = () = $log =~ /tokens refreshed/g;
is($refreshed, 1, 'nginx refreshed once');

# ---- a refresh token revoked at the provider ends the session ----------------------------
my $bob = OidcOp::Browser->new;
is($bob->login("$base/hello", user => 'bob')->{status}, 200, 'bob signs in');
my $bob_cookie = cookie_header($bob);
my $doc = `"$ENV{EDGE_AUTH_CLI}" open --keys "$keys" --provider op --cookie NGX_OIDC_SESSION '$bob_cookie' 2>&1`;
my ($rt) = $doc =~ /"rt":"([^"]+)"/;
ok($rt, 'bob\'s session holds a refresh token') or diag($doc);
my $rev = HTTP::Tiny->new->post_form("$issuer/token/revocation",
    { token => $rt // '', token_type_hint => 'refresh_token',
      client_id => 'test-client', client_secret => 'test-secret' });
ok($rev->{success}, 'the provider revokes the refresh token') or diag("$rev->{status} $rev->{content}");

sleep $ttl + 0.5;
my $page = HTTP::Tiny->new(max_redirect => 0)->get("$base/hello",
    { headers => { cookie => $bob_cookie, accept => 'text/html' } });
is($page->{status}, 302, 'a page load with the dead session is sent to sign in again');
like($page->{headers}{location} // '', qr{^\Q$issuer\E/auth\?}, '... at the provider');
my $sc = $page->{headers}{'set-cookie'} // '';
$sc = join "\n", @$sc if ref $sc;
like($sc, qr/^NGX_OIDC_SESSION=;[^\n]*Max-Age=0/m, '... and its cookie is expired');
my $api = HTTP::Tiny->new(max_redirect => 0)->get("$base/hello",
    { headers => { cookie => $bob_cookie, accept => 'application/json' } });
is($api->{status}, 401, 'an API call with it gets 401');
$log = join '', $ngx->new_log_lines;
like($log, qr/token refresh refused with error "invalid_grant": the session ends/,
     'the refusal is logged');

my @bad = grep { /\[(alert|crit|emerg)\]|exited on signal/ } $ngx->new_log_lines;
is_deeply(\@bad, [], 'no alert, crit or crash in the error log');
unlike(slurp($ngx->stderr_log), qr/Sanitizer|runtime error:/, 'no sanitizer report');

# on failure, what nginx and the provider said
if (!Test::More->builder->is_passing) {
    diag(join '', grep { /edge_auth|grant/ } split /^/, slurp($ngx->error_log));
    diag(join '', grep { /grant/ } split /^/, slurp($op->log_file));
}

done_testing();
