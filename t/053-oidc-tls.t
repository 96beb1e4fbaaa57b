# The provider over TLS, as in production: discovery, JWKS and the token exchange go through the
# module's client with certificate and host name verification. A provider whose certificate is
# signed by the CA given in ssl_trusted_certificate signs users in; the same provider without
# that CA (the system bundle does not know it) is refused at the TLS handshake, and a login
# cannot start (503, with the verification error in the log), never a pass.

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
plan skip_all => 'IO::Socket::SSL is missing (apt-get install libio-socket-ssl-perl, '
               . 'or scripts/install-deps test)'
    unless eval { require IO::Socket::SSL; require Net::SSLeay; 1 };

my $dir = key_dir();

# A CA of our own and a certificate for 127.0.0.1 signed by it.
sub openssl {
    my $cmd = join ' ', 'openssl', map { "'$_'" } @_;
    system("$cmd >/dev/null 2>&1") == 0 or die "$cmd failed";
}
{
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj',
            '/CN=edge-auth test CA', '-keyout', "$dir/tls-ca.key", '-out', "$dir/tls-ca.pem");
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
            '-keyout', "$dir/tls-op.key", '-out', "$dir/tls-op.csr");
    open my $ext, '>', "$dir/tls-op.ext" or die;
    print {$ext} "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n";
    close $ext;
    openssl('x509', '-req', '-in', "$dir/tls-op.csr", '-CA', "$dir/tls-ca.pem", '-CAkey',
            "$dir/tls-ca.key", '-CAcreateserial', '-days', '2', '-extfile', "$dir/tls-op.ext",
            '-out', "$dir/tls-op.pem");
}

my $port = OidcOp::free_port();
my $port2 = OidcOp::free_port();
my $base = "http://127.0.0.1:$port";
my $keys = session_keys('tls-session.key', 'tls');
my $echo = "$dir/tls-echo.sock";

my $op = OidcOp->start(dir => $dir, cert => "$dir/tls-op.pem", key => "$dir/tls-op.key",
                       clients => [
    { client_id => 'tls-client', client_secret => 'tls-secret',
      redirect_uris => ["$base/oidc_callback", "http://127.0.0.1:$port2/oidc_callback"],
      token_endpoint_auth_method => 'client_secret_post' },
]);
my $issuer = $op->issuer;
like($issuer, qr{^https://127\.0\.0\.1:\d+$}, 'the provider serves https');

my $ngx = OidcOp::Nginx->new(root => "$dir/tls-servroot");
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
    oidc_provider trusted {
        issuer $issuer;
        client_id tls-client;
        client_secret tls-secret;
        redirect_uri $base/oidc_callback;
        ssl_trusted_certificate $dir/tls-ca.pem;
        session_key_file $keys;
        cookie_secure off;
        provider_timeout 3s;
    }
    oidc_provider untrusted {
        issuer $issuer;
        client_id tls-client;
        client_secret tls-secret;
        redirect_uri http://127.0.0.1:$port2/oidc_callback;
        session_key_file $keys;
        cookie_name UNTRUSTED_SESSION;
        cookie_secure off;
        provider_timeout 3s;
    }
    server {
        listen unix:$echo;
        edge_auth_scrub_headers off;
        location / {
            default_type text/plain;
            return 200 "sub=\$http_x_auth_subject uri=\$request_uri\\n";
        }
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            auth_oidc trusted;
            proxy_set_header X-Auth-Subject \$oidc_claim_sub;
            proxy_pass http://unix:$echo:;
        }
    }
    server {
        listen 127.0.0.1:$port2;
        location / {
            auth_oidc untrusted;
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

# The browser talks to the provider over TLS too; it trusts our CA.
my $ua = OidcOp::Browser->new(verify_SSL => 1, SSL_options => { SSL_ca_file => "$dir/tls-ca.pem" });
my ($res, $chain) = $ua->login("$base/private?x=1", user => 'carol');
is($res->{status}, 200, 'sign-in through a TLS provider ends with 200');
like($res->{content} // '', qr{sub=carol uri=/private\?x=1}, '... with the identity upstream');
my @hosts = map { $_->{url} =~ m{^(https?)://} ? $1 : '' } @$chain;
ok((grep { $_ eq 'https' } @hosts), 'the browser went through the provider over https');

my $log = join '', $ngx->new_log_lines;
like($log, qr/discovery document from "\Q$issuer\E\/\.well-known\/openid-configuration" updated/,
     'discovery fetched over TLS');
like($log, qr/signed in "carol"/, 'the login completed');

# Without the CA: the handshake fails verification, and no login can start.
my $plain = OidcOp::Browser->new;
my $r2 = $plain->get("http://127.0.0.1:$port2/private");
is($r2->{status}, 503, 'an untrusted provider certificate: 503 at login start');
$log = join '', $ngx->new_log_lines;
like($log, qr/upstream SSL certificate verify error/, '... the TLS verification failure is logged');
like($log, qr/provider "untrusted": cannot start a login: no usable discovery document/,
     '... with one line saying why the login cannot start');
ok(!grep({ /^set-cookie:.*UNTRUSTED_SESSION=/im } @{ $r2->{chain}[0]{set_cookie} // [] }),
   '... and no session cookie');

my @bad = grep { /\[(alert|crit|emerg)\]|exited on signal/ } $ngx->new_log_lines;
is_deeply(\@bad, [], 'no alert, crit or crash in the error log');
unlike(slurp($ngx->stderr_log), qr/Sanitizer|runtime error:/, 'no sanitizer report');

done_testing();
