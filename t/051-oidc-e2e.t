# The whole OpenID Connect login against a real provider (oidc-provider, t/helpers/op/provider.js)
# with a headless browser (OidcOp::Browser): redirect to the provider, login and consent, the
# callback, the session, across a reload and two workers, two providers side by side, API
# requests, session fixation, the flow cookie's single use and a replayed callback. Test::Nginx
# restarts nginx for every block and cannot carry cookies between requests, so this suite drives
# nginx itself with plain Test::More, like t/021-jwks-reload.t.

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
my $keys = session_keys('e2e-session.key', 'e2e');
my $secret_file = "$dir/second-client.secret";
{ open my $fh, '>', $secret_file or die; print {$fh} "second-secret\n"; close $fh; chmod 0600, $secret_file }
my $echo = "$dir/e2e-echo.sock";

my $op = OidcOp->start(dir => $dir, clients => [
    { client_id => 'test-client', client_secret => 'test-secret',
      redirect_uris => ["$base/oidc_callback"],
      token_endpoint_auth_method => 'client_secret_basic' },
    { client_id => 'second-client', client_secret => 'second-secret',
      redirect_uris => ["$base/second/callback"],
      token_endpoint_auth_method => 'client_secret_post' },
]);
my $issuer = $op->issuer;
my $authz = $op->authorization_endpoint;

my $ngx = OidcOp::Nginx->new(root => "$dir/e2e-servroot");
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
    oidc_provider second {
        issuer $issuer;
        allow_http on;
        client_id second-client;
        client_secret_file $secret_file;
        redirect_uri $base/second/callback;
        scope openid email;
        session_claims email;
        cookie_name SECOND_SESSION;
        session_key_file $keys;
        cookie_secure off;
        provider_timeout 2s;
        login_timeout 5m;
    }

    # the upstream: shows the identity headers and the Cookie header it received
    server {
        listen unix:$echo;
        edge_auth_scrub_headers off;
        location / {
            default_type text/plain;
            return 200 "sub=\$http_x_auth_subject email=\$http_x_auth_email uri=\$request_uri cookie=\$http_cookie\\n";
        }
    }

    server {
        listen 127.0.0.1:$port;
        location / {
            auth_oidc op;
            auth_oidc_unauthenticated auto;
            proxy_set_header X-Auth-Subject \$oidc_claim_sub;
            proxy_set_header X-Auth-Email \$oidc_claim_email;
            proxy_pass http://unix:$echo:;
        }
        location /second/ {
            auth_oidc second;
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
pass('nginx starts with two oidc_provider blocks');

# ---- helpers -------------------------------------------------------------------------------

sub header_list {
    my ($hop, $name) = @_;
    my $v = $hop->{headers}{ lc $name };
    return !defined $v ? () : ref $v ? @$v : ($v);
}

sub set_cookie_named {   # the Set-Cookie lines of a hop for one cookie name (regex or string)
    my ($hop, $name) = @_;
    my $re = ref $name ? $name : qr/^\Q$name\E$/;
    return grep { /^\s*([^=;\s]+)=/ && $1 =~ $re } @{ $hop->{set_cookie} };
}

sub hop_to {             # the first hop whose URL matches
    my ($chain, $re) = @_;
    my ($hop) = grep { $_->{url} =~ $re } @$chain;
    return $hop;
}

sub describe_chain {
    my ($chain) = @_;
    return join "\n", map {
        "$_->{method} $_->{url} -> $_->{status}"
        . (defined $_->{location} ? " Location: $_->{location}" : '')
        . join('', map { "\n    Set-Cookie: $_" } @{ $_->{set_cookie} })
    } @$chain;
}

sub session_value {      # the session cookie's value in a jar ('' when none)
    my ($ua, $name) = @_;
    my $c = $ua->jar->get($name // 'NGX_OIDC_SESSION');
    return $c ? $c->{value} : '';
}

my $callback_re = qr{^\Q$base\E/oidc_callback\?};

# ---- (a) a navigation without a session goes to the provider --------------------------------

my $ua = OidcOp::Browser->new;
my $first = $ua->get("$base/", follow => 0);
is($first->{status}, 302, '(a) a navigation without a session: 302');
my $loc = $first->{headers}{location} // '';
like($loc, qr{^\Q$authz\E\?}, '(a) ... to the authorization endpoint');
my $q = OidcOp::Browser::query_params($loc);
is_deeply($q->{response_type}, ['code'], '(a) response_type=code');
is_deeply($q->{client_id}, ['test-client'], '(a) client_id');
is_deeply($q->{redirect_uri}, ["$base/oidc_callback"], '(a) redirect_uri');
like($q->{scope}[0] // '', qr/^(?=.*\bopenid\b)(?=.*\bemail\b)(?=.*\bprofile\b)/, '(a) scope');
like($q->{state}[0] // '', qr/^[A-Za-z0-9_-]{22,}$/, '(a) state');
like($q->{nonce}[0] // '', qr/^[A-Za-z0-9_-]{22,}$/, '(a) nonce');
like($q->{code_challenge}[0] // '', qr/^[A-Za-z0-9_-]{43}$/, '(a) code_challenge (S256 of a verifier)');
is_deeply($q->{code_challenge_method}, ['S256'], '(a) code_challenge_method=S256');
my $state = $q->{state}[0] // 'none';
my ($flow) = set_cookie_named($first->{hop}, "NGX_OIDC_SESSION_flow_$state");
ok($flow, '(a) a flow cookie named after the state') or diag(describe_chain($first->{chain}));
like($flow // '', qr/;\s*HttpOnly\b/i, '(a) the flow cookie is HttpOnly');
like($flow // '', qr/;\s*SameSite=Lax\b/i, '(a) the flow cookie is SameSite=Lax');
like(join(',', header_list($first->{hop}, 'cache-control')), qr/\bno-store\b/,
     '(a) Cache-Control: no-store');

# ---- (b) the whole login lands on the requested path with the identity ----------------------

$ua = OidcOp::Browser->new;
my ($res, $chain) = $ua->login("$base/hello?x=1", user => 'alice');
is($res->{status}, 200, '(b) login as alice ends in 200') or diag(describe_chain($chain));
is($res->{url}, "$base/hello?x=1", '(b) ... on the requested path and query');
like($res->{content} // '', qr/^sub=alice email=alice\@example\.test uri=\/hello\?x=1 /,
     '(b) the upstream sees the identity');
unlike($res->{content} // '', qr/cookie=.*NGX_OIDC_SESSION/, '(b) ... and not the session cookie');
is_deeply($res->{prompts}, ['login', 'consent'], '(b) the provider asked for login and consent');

my $cb = hop_to($chain, $callback_re);
ok($cb, '(b) the provider redirected to the callback') or diag(describe_chain($chain));
$cb //= { url => '', status => 0, set_cookie => [], headers => {} };
is($cb->{status}, 302, '(b) the callback answers 302');
is(OidcOp::Browser::resolve($cb->{url}, $cb->{location} // ''), "$base/hello?x=1",
   '(b) ... back to the saved return path');
my ($session) = set_cookie_named($cb, 'NGX_OIDC_SESSION');
like($session // '', qr/^NGX_OIDC_SESSION=[A-Za-z0-9_-]+;/, '(b) the callback sets the session');
like($session // '', qr/;\s*HttpOnly\b/i, '(b) the session cookie is HttpOnly');
like($session // '', qr/;\s*SameSite=Lax\b/i, '(b) the session cookie is SameSite=Lax');
unlike($session // '', qr/;\s*Secure\b/i, '(b) not Secure with cookie_secure off');

# (h) the flow cookie is single use: removed by the callback's response
my $cb_state = OidcOp::Browser::query_params($cb->{url})->{state}[0] // 'none';
my ($removal) = set_cookie_named($cb, "NGX_OIDC_SESSION_flow_$cb_state");
like($removal // '', qr/^NGX_OIDC_SESSION_flow_\Q$cb_state\E=;.*\bMax-Age=0\b/i,
     '(h) the callback removes the flow cookie (Max-Age=0)');
is_deeply([$ua->jar->names(qr/^NGX_OIDC_SESSION_flow_/)], [], '(h) no flow cookie left');

# ---- (c) the session alone: no provider involved, on both workers ---------------------------

for my $i (1 .. 4) {
    my $again = $ua->get("$base/hello?x=1");
    is(scalar @{ $again->{chain} }, 1, "(c) request $i with the session: no redirect");
    is($again->{status}, 200, "(c) request $i: 200");
    like($again->{content} // '', qr/^sub=alice email=alice\@example\.test /, "(c) request $i: alice");
}

# ---- (d) a reload keeps the session working ---------------------------------------------------

ok($ngx->reload, '(d) nginx -s reload: new workers');
for my $i (1 .. 4) {
    my $after = $ua->get("$base/hello?x=1");
    is(scalar @{ $after->{chain} }, 1, "(d) request $i after reload: no redirect");
    is($after->{status}, 200, "(d) request $i after reload: 200");
    like($after->{content} // '', qr/^sub=alice email=alice\@example\.test /,
         "(d) request $i after reload: same identity");
}

# ---- (e) a second provider side by side ------------------------------------------------------

my $start2 = $ua->get("$base/second/page", follow => 0);
is($start2->{status}, 302, '(e) the second location starts its own login');
my $q2 = OidcOp::Browser::query_params($start2->{headers}{location});
is_deeply($q2->{client_id}, ['second-client'], '(e) ... with its own client_id');
is_deeply($q2->{redirect_uri}, ["$base/second/callback"], '(e) ... and its own redirect_uri');

my ($res2, $chain2) = $ua->login("$base/second/page", user => 'alice');
is($res2->{status}, 200, '(e) login at the second provider') or diag(describe_chain($chain2));
is($res2->{url}, "$base/second/page", '(e) ... lands on the second location');
like($res2->{content} // '', qr/^sub=alice /, '(e) ... with the identity');
ok(session_value($ua, 'SECOND_SESSION'), '(e) its session has its own cookie name');
like($ua->get("$base/hello?x=1")->{content} // '', qr/^sub=alice /,
     '(e) the first session still works beside it');

my $bob = OidcOp::Browser->new;
my ($rb, $cb_chain) = $bob->login("$base/second/page", user => 'bob');
like($rb->{content} // '', qr/^sub=bob /, '(e) bob signs in at the second provider only')
    or diag(describe_chain($cb_chain));
my $cross = $bob->get("$base/hello?x=1", follow => 0);
is($cross->{status}, 302, "(e) the second provider's session does not open the first location");
like($cross->{headers}{location} // '', qr{^\Q$authz\E\?.*\bclient_id=test-client\b},
     '(e) ... which starts its own login instead');
# the same value under the first provider's name does not open it either
my $moved = OidcOp::Browser->new;
$moved->jar->set(name => 'NGX_OIDC_SESSION', value => session_value($bob, 'SECOND_SESSION'));
isnt($moved->get("$base/hello", follow => 0)->{status}, 200,
     "(e) the second provider's cookie value under the first one's name is refused");

# ---- (f) API requests get 401, not a redirect -------------------------------------------------

my $api = OidcOp::Browser->new;
for my $h ({ Accept => 'application/json' },
           { Accept => '*/*', 'Sec-Fetch-Mode' => 'cors', 'Sec-Fetch-Dest' => 'empty' }) {
    my $label = join ', ', map { "$_: $h->{$_}" } sort keys %$h;
    my $r = $api->get("$base/hello?x=1", headers => $h, follow => 0);
    is($r->{status}, 401, "(f) no session, $label: 401");
    ok(defined $r->{headers}{'www-authenticate'}, "(f) ... with WWW-Authenticate");
    is_deeply([grep { /^NGX_OIDC_SESSION_flow_/ } @{ $r->{hop}{set_cookie} }], [],
              '(f) ... and no login flow started');
}

# ---- (g) no session fixation -----------------------------------------------------------------

my $fix = OidcOp::Browser->new;
$fix->jar->set(name => 'NGX_OIDC_SESSION', value => 'planted-by-an-attacker');
my ($rf, $fchain) = $fix->login("$base/hello?x=1", user => 'alice');
is($rf->{status}, 200, '(g) login with a planted session cookie') or diag(describe_chain($fchain));
my $fcb = hop_to($fchain, $callback_re) // { set_cookie => [] };
my ($fresh) = set_cookie_named($fcb, 'NGX_OIDC_SESSION');
like($fresh // '', qr/^NGX_OIDC_SESSION=[A-Za-z0-9_-]+;/, '(g) the callback sets a new session');
my $now_value = session_value($fix);
ok(length $now_value && $now_value ne 'planted-by-an-attacker', '(g) the planted value is gone');
isnt($now_value, session_value($ua), "(g) ... and it is not another browser's session either");

# ---- (i) a replayed callback does not make a session -----------------------------------------

my $replay_url = $cb->{url};
for my $who (['the same browser', $ua], ['a fresh browser', OidcOp::Browser->new]) {
    my ($label, $b) = @$who;
    my $before = session_value($b);
    my $r = $b->get($replay_url, follow => 0);
    isnt($r->{status}, 500, "(i) replayed callback in $label: not a 500");
    is($r->{status}, 302, "(i) ... 302");
    like($r->{headers}{location} // '', qr{^\Q$authz\E\?}, '(i) ... back to the provider');
    is_deeply([grep { /^NGX_OIDC_SESSION=[^;\s]/ } @{ $r->{hop}{set_cookie} }], [],
              '(i) ... and no session cookie set');
    is(session_value($b), $before, '(i) ... the browser keeps what it had');
}

# ---- the error log: nothing at [alert] or worse, no crash --------------------------------------

my @bad = grep { /\[(alert|crit|emerg)\]|exited on signal/ } $ngx->new_log_lines;
is_deeply(\@bad, [], 'no alert, crit or crash in the error log');
unlike(slurp($ngx->stderr_log), qr/Sanitizer|runtime error:/, 'no sanitizer report');

done_testing();
