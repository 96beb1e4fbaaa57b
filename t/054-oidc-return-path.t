# Where the browser lands after signing in (security.md S14, open redirects): the path it asked
# for when that is a same-origin absolute path, and "/" for every other value of the deny list,
# whatever the request line carried. The whole login runs each time against the real provider,
# so what is checked is the Location the callback finally sends.

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use OidcOp;

sub slurp { open my $fh, '<', shift or return ''; local $/; <$fh> }

my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';
if (my $why = OidcOp::unavailable('oidc-provider')) { plan skip_all => $why }

my $dir = key_dir();
my $port = OidcOp::free_port();
my $base = "http://127.0.0.1:$port";
my $keys = session_keys('return-session.key', 'return');
my $echo = "$dir/return-echo.sock";

my $op = OidcOp->start(dir => $dir, clients => [
    { client_id => 'test-client', client_secret => 'test-secret',
      redirect_uris => ["$base/oidc_callback"],
      token_endpoint_auth_method => 'client_secret_basic' },
]);
my $issuer = $op->issuer;

my $ngx = OidcOp::Nginx->new(root => "$dir/return-servroot");
my $temp = $ngx->temp_paths;
$ngx->write_conf(<<"CONF");
load_module $module;
master_process on;
worker_processes 1;
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
        session_key_file $keys;
        cookie_secure off;
    }
    server {
        listen unix:$echo;
        location / {
            default_type text/plain;
            return 200 "uri=\$request_uri\\n";
        }
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            auth_oidc op;
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

# Each login starts from a fresh browser (no session), so every one goes through the callback;
# the provider remembers the user, so after the first one it answers without its login page.
my $op_jar = OidcOp::CookieJar->new;

sub landing {
    my ($target) = @_;
    my $ua = OidcOp::Browser->new(jar => $op_jar->clone);
    my ($res, $chain) = $ua->login("$base$target", user => 'erin');
    # keep the provider's own cookies (its session) for the next login, not ours
    for my $c ($ua->jar->all) {
        $op_jar->set(%$c) if ($c->{name} // '') !~ /^NGX_OIDC_SESSION/;
    }
    my ($callback) = grep { $_->{url} =~ m{/oidc_callback\?} } @$chain;
    return ($callback ? $callback->{location} // '' : "no callback for $target", $res);
}

my ($loc, $res) = landing('/kept/path?x=1&next=%2Fhome');
is($loc, "$base/kept/path?x=1&next=%2Fhome", 'a plain path and query are kept');
like($res->{content} // '', qr{uri=/kept/path\?x=1&next=%2Fhome}, '... and served after login');

# The deny list of security.md S14, as far as an HTTP/1.1 request line can carry it (raw tabs,
# CR and LF cannot be sent, nginx itself refuses an encoded NUL with 400, and an absolute-form
# target is not a path nginx hands on).
my @hostile = (
    '//evil.com', '//evil.com/x', '/\\evil.com', '/%5cevil.com', '/%5Cevil.com',
    '/%2F/evil.com', '/%2f', '/%09/evil.com', '/%68ttp:%2F%2Fevil.com', '/http://evil',
    '/HTTPS:', '/javascript:alert(1)', '/%01javascript:', '/<script>',
    "/\xe3\x80\xb1", "/\xe3\x80\xb5", "/\xe3\x82\x9d", "/\xe3\x83\xbc", "/\xef\xbd\xb0",
    '/%0d%0aSet-Cookie:x=1',
);

for my $target (@hostile) {
    my ($where) = landing($target);
    (my $shown = $target) =~ s/([^\x21-\x7e])/sprintf '\\x%02x', ord $1/ge;
    is($where, "$base/", "after login, $shown returns to / on the configured origin");
}

my @bad = grep { /\[(alert|crit|emerg)\]|exited on signal/ } $ngx->new_log_lines;
is_deeply(\@bad, [], 'no alert, crit or crash in the error log');
unlike(slurp($ngx->stderr_log), qr/Sanitizer|runtime error:/, 'no sanitizer report');

done_testing();
