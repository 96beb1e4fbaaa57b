# Signing out, against the real provider: a copy of a logged-out cookie never opens again, on any
# worker, after a reload, and (with auth_oidc_revocation_file) after a restart. The provider's own
# logout reaches nginx through Back-Channel Logout and ends the session it names. Logout tokens
# that break a rule of Back-Channel Logout 1.0 section 2.6 are refused with 400, and a replayed one
# too. Front-channel logout checks iss and revokes the sid.

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use JSON::PP ();
use OidcOp;

sub slurp { open my $fh, '<', shift or return ''; local $/; <$fh> }

my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';
if (my $why = OidcOp::unavailable('oidc-provider')) { plan skip_all => $why }

my $dir = key_dir();
my $port = OidcOp::free_port();
my $base = "http://127.0.0.1:$port";
my $keys = session_keys('logout-session.key', 'logout');
my $echo = "$dir/logout-echo.sock";
my $journal = "$dir/logout-revocations";
unlink $journal;

# The provider signs with a key of ours, so this test can also sign logout tokens it would send.
my $jwk_path = gen_key(name => 'logout-op', kty => 'RSA', kid => 'logout-op', alg => 'RS256',
                       use => 'sig');
my $jwk = JSON::PP->new->decode(slurp($jwk_path));
my $op_jwks = "$dir/logout-op-jwks.json";
{ open my $fh, '>', $op_jwks or die; print {$fh} JSON::PP->new->encode({ keys => [$jwk] }); }

my $op = OidcOp->start(dir => $dir, jwks => $op_jwks, clients => [
    { client_id => 'test-client', client_secret => 'test-secret',
      redirect_uris => ["$base/oidc_callback"],
      post_logout_redirect_uris => ["$base/bye"],
      backchannel_logout_uri => "$base/backchannel",
      backchannel_logout_session_required => JSON::PP::true,
      token_endpoint_auth_method => 'client_secret_basic' },
]);
my $issuer = $op->issuer;

my $ngx = OidcOp::Nginx->new(root => "$dir/logout-servroot");
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
    auth_oidc_revocation_file $journal;

    oidc_provider op {
        issuer $issuer;
        allow_http on;
        client_id test-client;
        client_secret test-secret;
        redirect_uri $base/oidc_callback;
        logout_uri /logout;
        post_logout_uri /bye;
        logout_token_hint on;
        backchannel_logout_uri /backchannel;
        frontchannel_logout_uri /frontchannel;
        session_key_file $keys;
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
            auth_oidc op;
            proxy_set_header X-Auth-Subject \$oidc_claim_sub;
            proxy_pass http://unix:$echo:;
        }
        location = /bye {
            auth_oidc off;
            default_type text/plain;
            return 200 "signed out\\n";
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

sub session_cookies {
    my ($ua) = @_;
    return map { { name => $_->{name}, value => $_->{value} } }
           grep { $_->{name} =~ /^NGX_OIDC_SESSION(?:\.\d+)?$/ } $ua->jar->all;
}

# A fresh browser holding nothing but copies of these session cookies.
sub replay {
    my ($cookies, %o) = @_;
    my $ua = OidcOp::Browser->new(headers => $o{headers} // {});
    $ua->jar->set(%$_) for @$cookies;
    return $ua->request('GET', "$base/hello");
}

# ---- logout_uri: revoke, clear, go to the provider ---------------------------------------
my $alice = OidcOp::Browser->new;
my $res = $alice->login("$base/hello", user => 'alice');
is($res->{status}, 200, 'alice signs in');
my @copy = session_cookies($alice);
ok(@copy, '... and holds a session cookie (copied now)');
is(replay(\@copy)->{status}, 200, 'the copy opens before logout');

my $out = $alice->request('GET', "$base/logout");
is($out->{status}, 302, 'logout answers 302');
my $loc = $out->{headers}{location} // '';
like($loc, qr{^\Q$issuer\E/session/end\?}, '... to the provider\'s end_session_endpoint');
like($loc, qr{[?&]client_id=test-client(?:&|$)}, '... with client_id');
like($loc, qr{[?&]post_logout_redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A$port%2Fbye(?:&|$)},
     '... with post_logout_redirect_uri on the configured origin');
like($loc, qr{[?&]id_token_hint=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+}, '... and id_token_hint');
my @set = map { ref $_ ? @$_ : $_ } $out->{headers}{'set-cookie'} // ();
ok((grep { /^NGX_OIDC_SESSION=;[^\n]*Max-Age=0/ } @set), '... and the session cookie is expired');
like($out->{headers}{'cache-control'} // '', qr/no-store/, '... not cacheable');

my $log = join '', $ngx->new_log_lines;
like($log, qr/provider "op": signed out "alice"/, 'the logout is logged');

# the copy: refused everywhere, as a navigation (sign in again) and as an API call (401)
my @statuses = map { replay(\@copy)->{status} } 1 .. 6;
is_deeply(\@statuses, [(302) x 6], 'the copied cookie no longer opens, on every worker');
is(replay(\@copy, headers => { accept => 'application/json' })->{status}, 401,
   '... an API request with it gets 401');
$log = join '', $ngx->new_log_lines;
like($log, qr/auth_oidc rejected request: revoked \(by its session id\)/,
     '... and the reason is logged as revoked');

# reload: the shared zone carries the list over
ok($ngx->reload, 'nginx reloads');
is(replay(\@copy)->{status}, 302, 'after a reload the copy is still refused');

# restart: the journal brings it back
ok(-s $journal, 'the revocation is in the journal file');
$ngx->stop;
ok($ngx->start, 'nginx restarts');
is(replay(\@copy)->{status}, 302, 'after a restart the copy is still refused');
$log = join '', $ngx->new_log_lines;
like($log, qr/live revocation\(s\) loaded from/, '... the journal was loaded');

# a new login after logout works (the revocation covers only the old session)
my $again = OidcOp::Browser->new;
is($again->login("$base/hello", user => 'alice')->{status}, 200, 'alice can sign in again');

# ---- the provider's logout reaches nginx (Back-Channel Logout) ------------------------------
my $bob = OidcOp::Browser->new;
is($bob->login("$base/hello", user => 'bob')->{status}, 200, 'bob signs in');
my @bob_copy = session_cookies($bob);
is(replay(\@bob_copy)->{status}, 200, 'bob\'s session opens');

# bob signs out at the provider itself: its confirmation page, then the POST
my $end = $bob->get("$issuer/session/end");
my $form = OidcOp::Browser::find_form($end->{content}, 'xsrf');
ok($form, 'the provider asks to confirm the logout') or diag($end->{content});
if ($form) {
    my %f = (%{ $form->{fields} }, logout => 'yes');
    my $done = $bob->post_form(OidcOp::Browser::resolve($end->{url}, $form->{action}), \%f);
    ok($done->{status} < 500, 'the provider completes its logout');
}
my $bc_ok = 0;
for (1 .. 40) {
    $log .= join '', $ngx->new_log_lines;
    if ($log =~ /back-channel logout of sid/) { $bc_ok = 1; last }
    select undef, undef, undef, 0.1;
}
ok($bc_ok, 'the provider\'s back-channel logout reached nginx') or diag($log);
my @bob_after = map { replay(\@bob_copy)->{status} } 1 .. 6;
is_deeply(\@bob_after, [(302) x 6],
          'bob\'s session (and any copy of it) no longer opens, on either worker');

# ---- logout tokens that break the rules -----------------------------------------------------
my $now = time;
sub logout_token {
    my (%o) = @_;
    my %claims = (iss => $issuer, aud => 'test-client', iat => $now, jti => 'jti-' . rand(),
                  sid => 'some-sid',
                  events => { 'http://schemas.openid.net/event/backchannel-logout' => {} },
                  %{ $o{claims} // {} });
    delete @claims{ @{ $o{without} // [] } };
    return sign(key => 'logout-op', alg => $o{alg} // 'RS256', kid => 'logout-op',
                claims => \%claims, ($o{typ} ? (typ => $o{typ}) : ()));
}

my $http = HTTP::Tiny->new(timeout => 10);
sub backchannel {
    my ($body) = @_;
    return $http->request('POST', "$base/backchannel",
        { headers => { 'content-type' => 'application/x-www-form-urlencoded' },
          content => $body })->{status};
}

my $good = logout_token();
is(backchannel("logout_token=$good"), 200, 'a valid logout token: 200');
is(backchannel("logout_token=$good"), 400, 'the same token again (replayed jti): 400');

my %bad = (
    'wrong issuer'            => logout_token(claims => { iss => 'http://127.0.0.1:9' }),
    'wrong audience'          => logout_token(claims => { aud => 'another-client' }),
    'no events'               => logout_token(without => ['events']),
    'another event'           => logout_token(claims => { events => { 'http://example.test/x' => {} } }),
    'a nonce (an ID token)'   => logout_token(claims => { nonce => 'n-1' }),
    'neither sid nor sub'     => logout_token(without => ['sid']),
    'no jti'                  => logout_token(without => ['jti']),
    'iat from long ago'       => logout_token(claims => { iat => $now - 3600 }),
    'signed with HS256'       => sign(alg => 'HS256', kid => 'logout-op', signature => 'AAAA',
                                      claims => { iss => $issuer, aud => 'test-client' }),
);
for my $case (sort keys %bad) {
    is(backchannel("logout_token=$bad{$case}"), 400, "logout token with $case: 400");
}
my ($h, $c) = split /\./, $good;
is(backchannel("logout_token=$h.$c."), 400, 'an unsigned logout token: 400');
is(backchannel("logout_token=$good&logout_token=$good"), 400, 'two logout_token parameters: 400');
is(backchannel(''), 400, 'no body: 400');
is($http->get("$base/backchannel")->{status}, 405, 'a GET: 405');

$log = join '', $ngx->new_log_lines;
like($log, qr/back-channel logout rejected: replayed/, 'a replay is logged as such');

# ---- front-channel logout -----------------------------------------------------------------
my $carol = OidcOp::Browser->new;
is($carol->login("$base/hello", user => 'carol')->{status}, 200, 'carol signs in');
my @carol_copy = session_cookies($carol);
is($http->get("$base/frontchannel?iss=http%3A%2F%2F127.0.0.1%3A9&sid=x")->{status}, 400,
   'front-channel logout naming another issuer: 400');
is($http->get("$base/frontchannel?sid=x")->{status}, 400, '... without iss: 400');
# carol's provider session id: the ID token's sid, which every session keeps (the CLI opens it)
my $jar = join '; ', map { "$_->{name}=$_->{value}" } @carol_copy;
my $doc = `"$ENV{EDGE_AUTH_CLI}" open --keys "$keys" --provider op --cookie NGX_OIDC_SESSION '$jar' 2>&1`;
my ($sid) = $doc =~ /"claims":\{[^}]*"sid":"([^"]+)"/;
ok($sid, 'carol\'s session keeps the provider\'s sid') or diag($doc);
$sid //= 'missing';
my $iss_enc = $issuer =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ger;
is($http->get("$base/frontchannel?iss=$iss_enc&sid=$sid")->{status}, 200,
   'front-channel logout with the right iss and sid: 200');
is(replay(\@carol_copy)->{status}, 302, 'carol\'s session no longer opens');

my @bad_lines = grep { /\[(alert|crit|emerg)\]|exited on signal/ } $ngx->new_log_lines;
is_deeply(\@bad_lines, [], 'no alert, crit or crash in the error log');
unlike(slurp($ngx->stderr_log), qr/Sanitizer|runtime error:/, 'no sanitizer report');

done_testing();
