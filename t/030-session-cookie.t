# auth_oidc with sealed session cookies: a valid cookie passes with its identity; every way of
# altering, moving, replaying or splitting one fails closed with its reason; the cookie re-seals
# as the idle window slides and never reaches the upstream. Cookies are minted with edge-auth.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;

edge_auth_blocks();
no_shuffle();
log_level('info');

my $now = time;
my $KEYS = session_keys('current.key', 'current');
$ENV{TEST_NGINX_SESSION_KEYS} = $KEYS;
$ENV{TEST_NGINX_ROTATED_KEYS} = session_keys('rotated.key', 'next', 'current');
$ENV{TEST_NGINX_RETIRED_KEYS} = session_keys('retired.key', 'next');
my $OTHER = session_keys('other.key', 'other');
$ENV{TEST_NGINX_SHORT_KEY} = do {
    my $p = key_dir() . '/short.key';
    open my $fh, '>', $p or die; print {$fh} b64url('0123456789abcdef') . "\n"; close $fh; $p
};

my %alice = (sub => 'alice', iss => 'https://idp.test',
             claims => { email => 'alice@example.test', name => "Alice\r\nX-Evil: 1" },
             at => 'access.token.value', idt => 'id.token.value');

sub cookie { join '; ', seal_session(keys => $KEYS, provider => 'main', cookie => 'S', @_) }

our %C = (
    valid      => cookie(session => \%alice),
    other_key  => join('; ', seal_session(keys => $OTHER, provider => 'main', cookie => 'S',
                                          session => \%alice)),
    other_prov => join('; ', seal_session(keys => $KEYS, provider => 'other', cookie => 'S',
                                          session => \%alice)),
    other_name => do { my $c = join('; ', seal_session(keys => $KEYS, provider => 'main',
                                                       cookie => 'T', session => \%alice));
                       $c =~ s/^T=/S=/; $c },
    expired    => cookie(session => \%alice, now => $now - 9 * 3600),
    idle       => cookie(session => { %alice, iat => $now - 7200, seen => $now - 7200 }),
    stale_seen => cookie(session => { %alice, iat => $now - 600, seen => $now - 120 }),
    big        => cookie(session => { %alice, claims => { email => 'alice@example.test',
                                      groups => [map { "group-number-$_-" . ('x' x 40) } 1 .. 80] } }),
    big_other  => cookie(session => { %alice, sub => 'mallory', claims => {
                                      groups => [map { "other-group-$_-" . ('y' x 40) } 1 .. 80] } }),
);

sub tamper { my $c = shift; my ($n, $v) = split /=/, $c, 2; my $i = int(length($v) / 2);
             my $ch = substr($v, $i, 1); substr($v, $i, 1) = $ch eq 'A' ? 'B' : 'A'; "$n=$v" }

$C{tampered} = tamper($C{valid});
$C{truncated} = substr($C{valid}, 0, -4);
my @chunks = split /; /, $C{big};
my @other_chunks = split /; /, $C{big_other};
die "the big session should need several cookies" unless @chunks >= 2;
$C{chunk_missing} = join '; ', @chunks[0, 2 .. $#chunks];
$C{chunk_extra} = join '; ', @chunks, 'S.7=' . substr((split /=/, $chunks[1], 2)[1], 0, 64);
$C{chunk_swapped} = join '; ', $chunks[0], $other_chunks[1], @chunks[2 .. $#chunks];
$C{chunk_reordered} = do { my @c = @chunks; my ($a) = $c[0] =~ /=(.*)/; my ($b) = $c[1] =~ /=(.*)/;
                           $c[0] = "S=$b"; $c[1] = "S.1=$a"; join '; ', @c };
$C{chunk_absurd} = "$C{valid}; S.99999999=AAAA";

add_block_preprocessor(sub {
    my $block = shift;
    my $default_provider = <<'CONF';
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_SESSION_KEYS;
        session_idle_timeout 1h;
    }
CONF
    my $http = $block->http_config // '';
    $block->set_value('http_config', $http . $default_provider)
        unless $http =~ /oidc_provider/;
    $block->set_value('config', <<'CONF') unless defined $block->config;
    location /app {
        auth_oidc main;
        proxy_set_header X-Auth-Subject $oidc_claim_sub;
        proxy_set_header X-Auth-Email $oidc_claim_email;
        proxy_set_header X-Auth-Issuer $oidc_claim_iss;
        proxy_set_header X-Auth-Extra "$oidc_claim_name|$oidc_access_token|$oidc_id_token";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
CONF
    $block->set_value('request', "GET /app\n") unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: a valid cookie passes; the upstream sees the identity and not the session cookie
--- more_headers eval
"Cookie: theme=dark; $::C{valid}; lang=en\r\nX-Auth-Subject: admin"
--- error_code: 200
--- response_body_like eval
qr/\Asubject=alice\nemail=alice\@example.test\nissuer=https:\/\/idp.test\n.*extra=Alice%0D%0AX-Evil: 1\|access.token.value\|id.token.value\ncookie=theme=dark; lang=en\n\z/s
--- response_headers
!Set-Cookie



=== TEST 2: no cookie: 401 and one line saying so
--- error_code: 401
--- error_log
auth_oidc rejected request: no_session



=== TEST 3: one altered character: 401 bad_seal, and the browser is told to drop the cookie
--- more_headers eval
"Cookie: $::C{tampered}"
--- error_code: 401
--- response_headers_like
Set-Cookie: S=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax
--- error_log
auth_oidc rejected request: bad_seal



=== TEST 4: a truncated cookie is refused
--- more_headers eval
"Cookie: $::C{truncated}"
--- error_code: 401
--- error_log eval
qr/auth_oidc rejected request: (bad_seal|malformed)/



=== TEST 5: a cookie sealed under a key this server does not have
--- more_headers eval
"Cookie: $::C{other_key}"
--- error_code: 401
--- error_log
auth_oidc rejected request: unknown_key



=== TEST 6: another provider's cookie cannot be moved here (AAD binds the provider)
--- more_headers eval
"Cookie: $::C{other_prov}"
--- error_code: 401
--- error_log
auth_oidc rejected request: bad_seal



=== TEST 7: another cookie name's value cannot be moved here (AAD binds the cookie name)
--- more_headers eval
"Cookie: $::C{other_name}"
--- error_code: 401
--- error_log
auth_oidc rejected request: bad_seal



=== TEST 8: past the absolute timeout
--- more_headers eval
"Cookie: $::C{expired}"
--- error_code: 401
--- error_log
auth_oidc rejected request: expired



=== TEST 9: past the idle timeout
--- more_headers eval
"Cookie: $::C{idle}"
--- error_code: 401
--- error_log
auth_oidc rejected request: idle_expired



=== TEST 10: the same cookie name twice is refused, never guessed
--- more_headers eval
"Cookie: $::C{valid}; $::C{valid}"
--- error_code: 401
--- error_log
auth_oidc rejected request: duplicate



=== TEST 11: key rotation: a cookie sealed with the old key opens while the old key is listed
--- http_config
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_ROTATED_KEYS;
    }
--- more_headers eval
"Cookie: $::C{valid}"
--- error_code: 200



=== TEST 12: key rotation: once the old key is removed, its cookies stop opening
--- http_config
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_RETIRED_KEYS;
    }
--- more_headers eval
"Cookie: $::C{valid}"
--- error_code: 401
--- error_log
auth_oidc rejected request: unknown_key



=== TEST 13: key rotation: a re-seal uses the new first key
--- http_config
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_ROTATED_KEYS;
        session_idle_timeout 1h;
    }
--- more_headers eval
"Cookie: $::C{stale_seen}"
--- error_code: 200
--- response_headers_like
Set-Cookie: S=[A-Za-z0-9_-]+; Path=/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax



=== TEST 14: re-seal cadence: a session last seen 2 minutes ago is re-sealed ...
--- more_headers eval
"Cookie: $::C{stale_seen}"
--- error_code: 200
--- response_headers_like
Set-Cookie: S=[A-Za-z0-9_-]+; Path=/; Max-Age=(2[0-9]{4}); HttpOnly; Secure; SameSite=Lax



=== TEST 15: ... and one sealed just now is not (at most once a minute)
--- more_headers eval
"Cookie: $::C{valid}"
--- error_code: 200
--- response_headers
!Set-Cookie



=== TEST 16: a large session split across cookies opens whole; no chunk reaches the upstream
--- http_config
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_SESSION_KEYS;
        session_claims email groups;
    }
--- config
    location /app {
        auth_oidc main;
        proxy_set_header X-Auth-Subject $oidc_claim_sub;
        proxy_set_header X-Auth-Roles $oidc_claim_groups;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- more_headers eval
"Cookie: $::C{big}; keep=1"
--- error_code: 200
--- response_body_like eval
qr/\Asubject=alice\n.*roles=group-number-1-x+,group-number-2-.*group-number-80-x+\n.*cookie=keep=1\n\z/s



=== TEST 17: a missing chunk
--- more_headers eval
"Cookie: $::C{chunk_missing}"
--- error_code: 401
--- error_log
auth_oidc rejected request: chunk



=== TEST 18: an extra chunk
--- more_headers eval
"Cookie: $::C{chunk_extra}"
--- error_code: 401
--- error_log
auth_oidc rejected request: chunk



=== TEST 19: a chunk taken from another session
--- more_headers eval
"Cookie: $::C{chunk_swapped}"
--- error_code: 401
--- error_log eval
qr/auth_oidc rejected request: (bad_seal|chunk)/



=== TEST 20: chunks in the wrong order
--- more_headers eval
"Cookie: $::C{chunk_reordered}"
--- error_code: 401
--- error_log eval
qr/auth_oidc rejected request: (bad_seal|chunk|unknown_version|malformed)/



=== TEST 21: an absurd chunk number costs nothing and is refused
--- more_headers eval
"Cookie: $::C{chunk_absurd}"
--- error_code: 401
--- error_log
auth_oidc rejected request: chunk



=== TEST 22: a Cookie header over nginx's buffer is refused by nginx itself
--- more_headers eval
"Cookie: $::C{valid}; pad=" . ('x' x 9000)
--- error_code: 400



=== TEST 23: $oidc_session_id carries the session id, never the cookie
--- config
    location /app {
        auth_oidc main;
        proxy_set_header X-Auth-Extra $oidc_session_id;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- more_headers eval
"Cookie: $::C{valid}"
--- error_code: 200
--- response_body_like eval
qr/^extra=[A-Za-z0-9_-]{22}$/m



=== TEST 24: strip_cookies off passes the session cookie upstream
--- http_config
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_SESSION_KEYS;
        strip_cookies off;
    }
--- more_headers eval
"Cookie: $::C{valid}"
--- error_code: 200
--- response_body_like eval
qr/^cookie=S=[A-Za-z0-9_-]+$/m



=== TEST 25: auth_oidc off and unprotected locations are untouched
--- config
    auth_oidc main;
    location /app {
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location /public {
        auth_oidc off;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["GET /app", "GET /public"]
--- error_code eval
[401, 200]



=== TEST 26: a provider without a key file fails nginx -t, and says how to make one
--- http_config
    oidc_provider main {
        cookie_name S;
    }
--- must_die
--- error_log
needs "session_key_file": create one with "edge-auth keygen



=== TEST 27: a short secret fails nginx -t
--- http_config
    oidc_provider main {
        session_key_file $TEST_NGINX_SHORT_KEY;
    }
--- must_die
--- error_log eval
qr/oidc_provider "main": session_key_file ".*short.key": /



=== TEST 28: auth_oidc naming an unknown provider fails nginx -t
--- config
    location /app {
        auth_oidc nope;
    }
--- must_die
--- error_log
auth_oidc "nope": no oidc_provider of that name



=== TEST 29: a __Host- cookie cannot be made insecure
--- http_config
    oidc_provider main {
        cookie_name __Host-S;
        cookie_secure off;
        session_key_file $TEST_NGINX_SESSION_KEYS;
    }
--- must_die
--- error_log
a "__Host-" cookie needs cookie_secure on



=== TEST 30: an unknown directive inside oidc_provider fails and lists what exists
--- http_config
    oidc_provider main {
        session_key_file $TEST_NGINX_SESSION_KEYS;
        cookie_nmae S;
    }
--- must_die
--- error_log
unknown directive "cookie_nmae" in oidc_provider



=== TEST 31: cookie attributes: Domain and SameSite=Strict when configured
--- http_config
    oidc_provider main {
        cookie_name S;
        cookie_domain example.test;
        cookie_samesite strict;
        session_key_file $TEST_NGINX_SESSION_KEYS;
    }
--- more_headers eval
"Cookie: $::C{stale_seen}"
--- error_code: 200
--- response_headers_like
Set-Cookie: S=[A-Za-z0-9_-]+; Path=/; Max-Age=\d+; Domain=example.test; HttpOnly; Secure; SameSite=Strict



=== TEST 32: the module's cookies are taken out of every Cookie header, the others kept in order
--- more_headers eval
"Cookie: a=1; $::C{valid}\r\nCookie: S_flow_abcdef=pending; b=2"
--- error_code: 200
--- response_body_like eval
qr/^cookie=a=1; b=2$/m



=== TEST 33: a session cookie alone: the upstream gets no Cookie header at all
--- more_headers eval
"Cookie: $::C{valid}; S_flow_abcdef=pending"
--- error_code: 200
--- response_body_like eval
qr/^cookie=$/m
