# The audit variables: every decision of auth_jwt and auth_oidc is on the record with its stable
# reason code, actor kind, subject and session id ($edge_auth_*), and a request no check decided
# is "public" where edge_auth_public applies, else empty. The values are read back from a response
# header (add_header ... always, set at server level for every block) and, in the last blocks,
# from access logs in JSON and plain form.
#
# Sign-in, login redirects and the provider's calls run against the stub provider
# (t/helpers/stub_op.js), as in 050-oidc-callback.t.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;
use OidcOp;

edge_auth_blocks();
no_shuffle();
no_root_location();
log_level('info');

our $stub = OidcOp::Stub->start(dir => key_dir());
$ENV{TEST_NGINX_STUB_ISSUER} = $stub->origin;
$ENV{TEST_NGINX_AUDIT_KEYS} = session_keys('audit-oidc.key', 'audit-current');
$ENV{TEST_NGINX_AUDIT_DIR} = key_dir();
our $ISSUER_ENCODED = $stub->origin =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ger;

gen_key(name => 'audit-rs', kty => 'RSA', kid => 'audit-rs');
gen_key(name => 'audit-stranger', kty => 'RSA', kid => 'audit-stranger');
$ENV{TEST_NGINX_JWKS} = write_jwks('audit-jwks.json', 'audit-rs');

my %base = (sub => 'alice', iss => 'https://issuer.test', aud => 'api');

our %T = (
    ok       => sign(key => 'audit-rs', ttl => 600,
                     claims => { %base, scope => 'orders:read orders:write' }),
    reader   => sign(key => 'audit-rs', ttl => 600, claims => { %base, scope => 'orders:read' }),
    expired  => sign(key => 'audit-rs', ttl => -600, claims => \%base),
    stranger => sign(key => 'audit-stranger', ttl => 600, claims => \%base),
    issuer   => sign(key => 'audit-rs', ttl => 600,
                     claims => { %base, iss => 'https://elsewhere.test' }),
    audience => sign(key => 'audit-rs', ttl => 600, claims => { %base, aud => 'another-api' }),
    crlf     => sign(key => 'audit-rs', ttl => 600,
                     claims => { %base, sub => "alice\r\nX-Evil: 1\x01" }),
);
$T{bad_sig} = tamper_signature($T{ok});

# A session with a known id (22 base64url characters, 16 bytes), and a login flow for the
# callback with the nonce the stub puts in its ID tokens.
our $SID = 'auditsession000000000A';
our $STATE = 'auditstate000000000001';

our %C = (
    alice => join('; ', seal_session(keys => $ENV{TEST_NGINX_AUDIT_KEYS}, provider => 'op',
                                     cookie => 'NGX_OIDC_SESSION',
                                     session => { sub => 'alice', iss => $stub->origin,
                                                  sid => $SID })),
    flow  => OidcOp::flow_cookie(keys => $ENV{TEST_NGINX_AUDIT_KEYS}, provider => 'op',
                                 cookie_name => 'NGX_OIDC_SESSION', state => $STATE,
                                 nonce => 'test-nonce-0123456789',
                                 verifier => 'audit-verifier-' . ('0123456789' x 4),
                                 return => '/app', issuer => $stub->origin),
);
$C{tampered} = do { my ($n, $v) = split /=/, $C{alice}, 2; my $i = int(length($v) / 2);
                    substr($v, $i, 1) = substr($v, $i, 1) eq 'A' ? 'B' : 'A'; "$n=$v" };

add_block_preprocessor(sub {
    my $block = shift;

    $stub->reset;

    my $provider = <<'CONF';
    oidc_provider op {
        issuer $TEST_NGINX_STUB_ISSUER;
        allow_http on;
        client_id test-client;
        client_secret test-secret;
        redirect_uri http://127.0.0.1:$TEST_NGINX_SERVER_PORT/oidc_callback;
        session_key_file $TEST_NGINX_AUDIT_KEYS;
        cookie_secure off;
        provider_timeout 2s;
        logout_uri /logout;
        frontchannel_logout_uri /frontchannel;
    }
CONF
    my $http = $block->http_config // '';
    $block->set_value('http_config', $http . $provider);

    # every location without an add_header of its own reports the audit record
    my $audit = '    add_header X-Audit "[$edge_auth_decision|$edge_auth_reason|$edge_auth_actor|'
              . '$edge_auth_subject|$edge_auth_session_id]" always;' . "\n";
    $block->set_value('config', $audit . ($block->config // <<'CONF'));
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_issuer https://issuer.test;
        auth_jwt_audience api;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location / {
        auth_oidc op;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
CONF
});

run_tests();

__DATA__

=== TEST 1: auth_jwt accepts a token: allow, actor client, the token's subject, no session
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{ok}"
--- error_code: 200
--- response_headers
X-Audit: [allow||client|alice|]



=== TEST 2: no token: deny no_credentials
--- request
GET /api
--- error_code: 401
--- response_headers
X-Audit: [deny|no_credentials|client||]



=== TEST 3: an expired token: deny expired, and no subject from a refused token
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{expired}"
--- error_code: 401
--- response_headers
X-Audit: [deny|expired|client||]



=== TEST 4: an altered signature: deny bad_signature
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{bad_sig}"
--- error_code: 401
--- response_headers
X-Audit: [deny|bad_signature|client||]



=== TEST 5: a key the JWKS does not have: deny unknown_key
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{stranger}"
--- error_code: 401
--- response_headers
X-Audit: [deny|unknown_key|client||]



=== TEST 6: another issuer: deny issuer
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{issuer}"
--- error_code: 401
--- response_headers
X-Audit: [deny|issuer|client||]



=== TEST 7: another audience: deny audience
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{audience}"
--- error_code: 401
--- response_headers
X-Audit: [deny|audience|client||]



=== TEST 8: auth_jwt_require fails: deny claim (403), the subject withheld; it passes with the scope
--- http_config
    map $jwt_claim_scope $can_write {
        "~(^|\s)orders:write(\s|$)" 1;
        default                     0;
    }
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_require $can_write error=403;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["GET /api", "GET /api"]
--- more_headers eval
["Authorization: Bearer $::T{reader}", "Authorization: Bearer $::T{ok}"]
--- error_code eval
[403, 200]
--- response_headers eval
["X-Audit: [deny|claim|client||]", "X-Audit: [allow||client|alice|]"]



=== TEST 9: the subject cannot split a line: control bytes are escaped as in $jwt_claim_sub
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{crlf}"
--- error_code: 200
--- response_headers
X-Audit: [allow||client|alice%0D%0AX-Evil: 1%01|]



=== TEST 10: auth_oidc with a valid session: allow, actor user, the session's subject and id
--- request
GET /app
--- more_headers eval
"Cookie: $::C{alice}"
--- error_code: 200
--- response_headers eval
"X-Audit: [allow||user|alice|$::SID]"



=== TEST 11: an API call without a session: deny no_session
--- request
GET /app
--- more_headers
Accept: application/json
--- error_code: 401
--- response_headers
X-Audit: [deny|no_session|user||]



=== TEST 12: an altered session cookie: deny bad_seal
--- request
GET /app
--- more_headers eval
"Accept: application/json\r\nCookie: $::C{tampered}"
--- error_code: 401
--- response_headers
X-Audit: [deny|bad_seal|user||]



=== TEST 13: a page load without a session: redirect to the provider, reason no_session
--- request
GET /app?a=1
--- more_headers
Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8
--- error_code: 302
--- response_headers_like eval
"Location: \Q$::stub->{origin}\E/authorize\\?.*"
--- response_headers
X-Audit: [redirect|no_session|user||]



=== TEST 14: a page load with an altered cookie: redirect, and the reason says why
--- request
GET /app
--- more_headers eval
"Accept: text/html\r\nCookie: $::C{tampered}"
--- error_code: 302
--- response_headers
X-Audit: [redirect|bad_seal|user||]



=== TEST 15: auth_oidc_unauthenticated pass: decision pass with the session's reason, no identity
--- config
    location / {
        auth_oidc op;
        auth_oidc_unauthenticated pass;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["GET /app", "GET /app", "GET /app"]
--- more_headers eval
["", "Cookie: $::C{tampered}", "Cookie: $::C{alice}"]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["X-Audit: [pass|no_session|user||]", "X-Audit: [pass|bad_seal|user||]",
 "X-Audit: [allow||user|alice|$::SID]"]



=== TEST 16: the callback signs the user in: redirect signed_in, the new subject and session id
--- request
GET /oidc_callback?code=ok&state=auditstate000000000001
--- more_headers eval
"Cookie: $::C{flow}"
--- error_code: 302
--- response_headers_like
X-Audit: \[redirect\|signed_in\|user\|stub-user\|[A-Za-z0-9_-]{22}\]



=== TEST 17: the callback refuses the ID token: deny with the token's reason
--- request
GET /oidc_callback?code=bad-sig&state=auditstate000000000001
--- more_headers eval
"Cookie: $::C{flow}"
--- error_code: 401
--- response_headers
X-Audit: [deny|bad_signature|user||]



=== TEST 18: a callback without its login flow: a new sign-in, reason flow_missing
--- request
GET /oidc_callback?code=ok&state=auditstate000000000001
--- more_headers
Accept: text/html
--- error_code: 302
--- response_headers
X-Audit: [redirect|flow_missing|user||]



=== TEST 19: the provider's error: deny provider_error
--- request
GET /oidc_callback?error=access_denied&state=auditstate000000000001
--- more_headers eval
"Cookie: $::C{flow}"
--- error_code: 403
--- response_headers
X-Audit: [deny|provider_error|user||]



=== TEST 20: sign-out records who and which session; the cookie is then refused as revoked
--- request eval
["GET /logout", "GET /app"]
--- more_headers eval
["Cookie: $::C{alice}", "Accept: application/json\r\nCookie: $::C{alice}"]
--- error_code eval
[200, 401]
--- response_headers eval
["X-Audit: [logout|signed_out|user|alice|$::SID]", "X-Audit: [deny|revoked|user||]"]



=== TEST 21: sign-out without a session
--- request
GET /logout
--- error_code: 200
--- response_headers
X-Audit: [logout|no_session|user||]



=== TEST 22: front-channel logout: logout by the provider (no actor), deny for another issuer
--- request eval
["GET /frontchannel?iss=$::ISSUER_ENCODED&sid=provider-session-1",
 "GET /frontchannel?iss=http%3A%2F%2F127.0.0.1%3A9&sid=provider-session-1"]
--- error_code eval
[200, 400]
--- response_headers eval
["X-Audit: [logout|frontchannel|||]", "X-Audit: [deny|issuer|||]"]



=== TEST 23: edge_auth_public: decision public even though no check runs (return before access)
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location = /health {
        edge_auth_public "liveness probe, no user data";
        return 200 "ok\n";
    }
    location /docs/ {
        edge_auth_public "documentation";
        location /docs/inner/ {
            return 200 "inner\n";
        }
    }
    location /api {
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["GET /health", "GET /docs/inner/page", "GET /nothing-matches", "GET /api"]
--- error_code eval
[200, 200, 401, 401]
--- response_headers eval
["X-Audit: [public||||]", "X-Audit: [public||||]", "X-Audit: [deny|no_credentials|client||]",
 "X-Audit: [deny|no_credentials|client||]"]



=== TEST 24: a location no auth directive applies to: every audit variable is empty
--- config
    location /open {
        return 200 "open\n";
    }
    location /off {
        auth_jwt off;
        return 200 "off\n";
    }
--- request eval
["GET /open", "GET /off"]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Audit: [||||]", "X-Audit: [||||]"]



=== TEST 25: the decision survives an internal redirect to a public error page
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        error_page 401 = /denied;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location = /denied {
        edge_auth_public "error page";
        return 401 "denied\n";
    }
--- request
GET /api
--- error_code: 401
--- response_headers
X-Audit: [deny|no_credentials|client||]
--- response_body
denied



=== TEST 26: an audit log in JSON and in nginx's default escaping (empty values: "" and "-")
--- http_config
    log_format audit_json escape=json
        '{"decision":"$edge_auth_decision","reason":"$edge_auth_reason",'
        '"actor":"$edge_auth_actor","subject":"$edge_auth_subject",'
        '"session_id":"$edge_auth_session_id","method":"$request_method",'
        '"uri":"$uri","status":$status}';
    log_format audit_plain '$edge_auth_decision $edge_auth_reason $edge_auth_actor '
                           '$edge_auth_subject $edge_auth_session_id $request_method $status';
--- config
    access_log $TEST_NGINX_AUDIT_DIR/audit-26.json audit_json;
    access_log $TEST_NGINX_AUDIT_DIR/audit-26.log audit_plain;
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location / {
        auth_oidc op;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location = /health {
        edge_auth_public "liveness probe";
        return 200 "ok\n";
    }
    location = /read-json {
        access_log off;
        auth_jwt off;
        auth_oidc off;
        default_type text/plain;
        alias $TEST_NGINX_AUDIT_DIR/audit-26.json;
    }
    location = /read-plain {
        access_log off;
        auth_jwt off;
        auth_oidc off;
        default_type text/plain;
        alias $TEST_NGINX_AUDIT_DIR/audit-26.log;
    }
--- request eval
["POST /api\nx", "GET /api", "GET /app", "GET /health", "GET /read-json", "GET /read-plain"]
--- more_headers eval
["", "Authorization: Bearer $::T{crlf}", "Cookie: $::C{alice}", "", "", ""]
--- error_code eval
[401, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/^/, qr/^/, qr/^/, qr/^/,
 qr/\A\{"decision":"deny","reason":"no_credentials","actor":"client","subject":"","session_id":"","method":"POST","uri":"\/api","status":401\}
\{"decision":"allow","reason":"","actor":"client","subject":"alice%0D%0AX-Evil: 1%01","session_id":"","method":"GET","uri":"\/api","status":200\}
\{"decision":"allow","reason":"","actor":"user","subject":"alice","session_id":"\Q$::SID\E","method":"GET","uri":"\/app","status":200\}
\{"decision":"public","reason":"","actor":"","subject":"","session_id":"","method":"GET","uri":"\/health","status":200\}
\z/,
 qr/\A\Qdeny no_credentials client - - POST 401
allow - client alice%0D%0AX-Evil: 1%01 - GET 200
allow - user alice $::SID GET 200
public - - - - GET 200
\E\z/]



=== TEST 27: front-channel logout without a sid: deny bad_request, no actor
--- request
GET /frontchannel?iss=x
--- error_code: 400
--- response_headers
X-Audit: [deny|bad_request|||]



=== TEST 28: a callback whose query cannot be read (state twice): deny bad_request
--- request
GET /oidc_callback?code=ok&state=auditstate000000000001&state=auditstate000000000002
--- more_headers eval
"Cookie: $::C{flow}"
--- error_code: 400
--- response_headers
X-Audit: [deny|bad_request|user||]



=== TEST 29: more Cookie headers than the module reads on a protected location: deny too_large
--- request
GET /app
--- more_headers eval
join "\n", "Accept: application/json", map { "Cookie: c$_=1" } 1 .. 33
--- error_code: 401
--- response_headers
X-Audit: [deny|too_large|user||]
--- error_log
more than 32 Cookie headers



=== TEST 30: more Cookie headers than the module reads on the callback: deny too_large
--- request
GET /oidc_callback?code=ok&state=auditstate000000000001
--- more_headers eval
join "\n", (map { "Cookie: c$_=1" } 1 .. 33), "Cookie: $::C{flow}"
--- error_code: 400
--- response_headers
X-Audit: [deny|too_large|user||]
--- error_log
callback rejected: too many Cookie headers
