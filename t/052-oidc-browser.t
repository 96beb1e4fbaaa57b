# The login in a real browser: headless Chromium (t/helpers/browser_login.js, playwright-core)
# signs in at the real provider (t/helpers/op/provider.js) through nginx and must end on the
# requested page with the identity, with the browser's own cookie, redirect and SameSite rules.
# Skipped where Chromium or the npm packages are missing (scripts/install-deps test installs
# both).

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use JSON::PP ();
use OidcOp;

sub slurp { open my $fh, '<', shift or return ''; local $/; <$fh> }

my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';
plan skip_all => "no Chromium at $chromium (apt-get install chromium, or scripts/install-deps test)"
    unless -x $chromium;
for my $pkg ('playwright-core', 'oidc-provider') {
    if (my $why = OidcOp::unavailable($pkg)) { plan skip_all => $why }
}

my $dir = key_dir();
my $port = OidcOp::free_port();
my $base = "http://127.0.0.1:$port";
my $keys = session_keys('browser-session.key', 'browser');
my $echo = "$dir/browser-echo.sock";

my $op = OidcOp->start(dir => $dir, clients => [
    { client_id => 'test-client', client_secret => 'test-secret',
      redirect_uris => ["$base/oidc_callback"],
      token_endpoint_auth_method => 'client_secret_basic' },
]);
my $issuer = $op->issuer;

my $ngx = OidcOp::Nginx->new(root => "$dir/browser-servroot");
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
    oidc_provider op {
        issuer $issuer;
        allow_http on;
        client_id test-client;
        client_secret test-secret;
        redirect_uri $base/oidc_callback;
        scope openid email profile;
        session_claims email name;
        session_key_file $keys;
        cookie_secure off;
        provider_timeout 2s;
        login_timeout 5m;
    }
    server {
        listen unix:$echo;
        edge_auth_scrub_headers off;
        location / {
            default_type text/plain;
            return 200 "sub=\$http_x_auth_subject email=\$http_x_auth_email uri=\$request_uri\\n";
        }
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            auth_oidc op;
            proxy_set_header X-Auth-Subject \$oidc_claim_sub;
            proxy_set_header X-Auth-Email \$oidc_claim_email;
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

my $start = "$base/hello?x=1";
my @cmd = ($OidcOp::NODE, "$OidcOp::ROOT/t/helpers/browser_login.js", $start,
           '--user', 'alice', '--timeout', 30000, '--chromium', $chromium,
           '--screenshot-dir', $dir);
open my $fh, '-|', @cmd or die "cannot run @cmd: $!";
my @out = <$fh>;
close $fh;
my $exit = $? >> 8;
is($exit, 0, 'browser_login.js signs in') or diag(join '', @out, $ngx->new_log_lines);

my ($line) = grep { /^\{/ } @out;
my $res = eval { JSON::PP->new->decode($line // '') } // {};
is_deeply($res->{steps}, ['login', 'consent'], 'the browser went through login and consent');
is($res->{url}, $start, 'the browser ends on the requested page');
is($res->{status}, 200, '... with 200');
like($res->{body} // '', qr/sub=alice email=alice\@example\.test uri=\/hello\?x=1/,
     '... showing the identity nginx passed upstream');

my @bad = grep { /\[(alert|crit|emerg)\]|exited on signal/ } $ngx->new_log_lines;
is_deeply(\@bad, [], 'no alert, crit or crash in the error log');
unlike(slurp($ngx->stderr_log), qr/Sanitizer|runtime error:/, 'no sanitizer report');

done_testing();
