# The OpenID Connect callback against a stub provider (t/helpers/stub_op.js) that fails on
# demand: every defect of the ID token is refused with 401 and its reason, every failure of the
# token endpoint is a 502 (504 when it is too slow), a callback without a usable login flow
# restarts the login, the provider's error is a 403 that reflects nothing, and no failure ever
# leaves a session cookie behind. The flow cookies are sealed with `edge-auth flow-seal`, with
# the nonce the stub puts in its ID tokens.
#
# The stub runs for the whole file; each block resets it before nginx starts, then applies the
# block's `--- stub_control` (a query string for /stub/control, e.g. issuer_mismatch=1).
# `GET /stub/...` is proxied to the stub so a block can read what the token endpoint received.

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
$ENV{TEST_NGINX_OIDC_KEYS} = session_keys('oidc.key', 'oidc-current');

# state: 22 base64url characters, like the module's; the PKCE verifier: 43.
our $STATE = 'teststate0000000000001';
our $OTHER_STATE = 'teststate0000000000002';
our $VERIFIER = 'test-verifier-' . ('0123456789' x 3) . 'abcdefghi';
our $NONCE = 'test-nonce-0123456789';   # the stub's default nonce
our $ISSUER_ENCODED = $stub->origin =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ger;

sub flow {
    my (%o) = @_;
    my $cookie = eval {
        OidcOp::flow_cookie(keys => $ENV{TEST_NGINX_OIDC_KEYS}, provider => 'op',
                            cookie_name => 'NGX_OIDC_SESSION', state => $o{state} // $STATE,
                            nonce => $NONCE, verifier => $VERIFIER, return => '/private',
                            issuer => $o{issuer} // $stub->origin, now => $o{now});
    };
    return $cookie if defined $cookie;
    Test::More::fail("edge-auth flow-seal: $@");
    return "NGX_OIDC_SESSION_flow_$STATE=flow-seal-failed";
}

# Nine pending logins, the oldest first (states teststate...11 to ...19, 20 s apart, all younger
# than login_timeout), and one expired long ago (...10): what many tabs or abandoned logins
# leave in a browser.
sub pending_flows {
    my $now = time;
    my @c = (flow(state => 'teststate0000000000010', now => $now - 3600));
    push @c, flow(state => sprintf('teststate00000000000%02d', 10 + $_), now => $now - 200 + 20 * $_)
        for 1 .. 9;
    return join '; ', @c;
}

our %FLOW = (
    main         => flow(),
    other_issuer => flow(issuer => 'http://127.0.0.1:9/not-the-issuer'),
);

# A reason in the module's own words: the part of the log line before ", client: " (the request
# line that follows holds the scenario's name, which must not satisfy the check).
sub reason {
    my @words = @_;
    my $any = '(?:(?!, client: ).)*';
    my $re = join $any, map { "\\b$_\\b" } @words;
    return qr/edge_auth: $any$re/;
}

# No session cookie with a value (a removal "NGX_OIDC_SESSION=;" would be allowed).
our $NO_SESSION = qr/^Set-Cookie:\s*NGX_OIDC_SESSION(?:\.\d+)?=[^;\s]/mi;

add_block_preprocessor(sub {
    my $block = shift;

    # the stub's state for this block, before nginx starts (it may fetch discovery at once)
    $stub->reset;
    if (defined(my $q = $block->stub_control)) {
        $q =~ s/^\s+|\s+$//g;
        $stub->control(map { split /=/, $_, 2 } split /&/, $q) if length $q;
    }

    my $provider = <<'CONF';
    oidc_provider op {
        issuer $TEST_NGINX_STUB_ISSUER;
        allow_http on;
        client_id test-client;
        client_secret test-secret;
        redirect_uri http://127.0.0.1:$TEST_NGINX_SERVER_PORT/oidc_callback;
        scope openid email;
        session_key_file $TEST_NGINX_OIDC_KEYS;
        cookie_secure off;
        provider_timeout 2s;
        login_timeout 5m;
    }
CONF
    my $http = $block->http_config // '';
    $block->set_value('http_config', $http . $provider) unless $http =~ /oidc_provider/;

    $block->set_value('config', <<'CONF') unless defined $block->config;
    location /stub/ {
        proxy_pass $TEST_NGINX_STUB_ISSUER/stub/;
    }
    location / {
        auth_oidc op;
        proxy_set_header X-Auth-Subject $oidc_claim_sub;
        proxy_set_header X-Auth-Email $oidc_claim_email;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
CONF
});

run_tests();

__DATA__

=== TEST 1: a good code: 302 to the saved return path, a new session, the flow cookie removed
--- request eval
["GET /oidc_callback?code=ok&state=$::STATE", "GET /stub/last-token-request"]
--- more_headers eval
["Cookie: $::FLOW{main}", ""]
--- error_code eval
[302, 200]
--- response_headers_like eval
["Location: (?:http://[^/]+)?/private", ""]
--- raw_response_headers_like eval
["(?mi)(?=.*^Set-Cookie:\\s*NGX_OIDC_SESSION=[A-Za-z0-9_-]+;[^\\r\\n]*HttpOnly)(?=.*^Set-Cookie:\\s*NGX_OIDC_SESSION_flow_$::STATE=;[^\\r\\n]*Max-Age=0)", ""]
--- response_body_like eval
["", qr/"grant_type":"authorization_code"/]
--- no_error_log
[error]



=== TEST 2: the token request: code, PKCE verifier, redirect_uri, client_secret_basic
--- request eval
["GET /oidc_callback?code=ok&state=$::STATE", "GET /stub/last-token-request"]
--- more_headers eval
["Cookie: $::FLOW{main}", ""]
--- error_code eval
[302, 200]
--- response_body_like eval
["", qr{(?s)^(?=.*"method":"POST")(?=.*"authorization":"Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ=")(?=.*"code":"ok")(?=.*"code_verifier":"\Q$::VERIFIER\E")(?=.*"redirect_uri":"http://127\.0\.0\.1:\d+/oidc_callback")(?!.*"client_secret":)}]



=== TEST 3: a provider that only takes client_secret_post gets the secret in the body
--- stub_control: auth_methods=client_secret_post
--- request eval
["GET /oidc_callback?code=ok&state=$::STATE", "GET /stub/last-token-request"]
--- more_headers eval
["Cookie: $::FLOW{main}", ""]
--- error_code eval
[302, 200]
--- response_body_like eval
["", qr{(?s)^(?=.*"client_id":"test-client")(?=.*"client_secret":"test-secret")(?!.*"authorization":)}]



=== TEST 4: ID token with a broken signature
--- request eval
"GET /oidc_callback?code=bad-sig&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('bad_signature')



=== TEST 5: ID token from another issuer
--- request eval
"GET /oidc_callback?code=wrong-iss&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('issuer')



=== TEST 6: ID token for another client
--- request eval
"GET /oidc_callback?code=wrong-aud&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('audience')



=== TEST 7: ID token with several audiences and no azp
--- request eval
"GET /oidc_callback?code=multi-aud-no-azp&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('audience')



=== TEST 8: ID token whose azp names another client
--- request eval
"GET /oidc_callback?code=azp-mismatch&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('audience')



=== TEST 9: expired ID token
--- request eval
"GET /oidc_callback?code=expired&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('expired')



=== TEST 10: ID token without iat
--- request eval
"GET /oidc_callback?code=no-iat&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('bad_claim', 'iat')



=== TEST 11: ID token without sub
--- request eval
"GET /oidc_callback?code=no-sub&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('bad_claim', 'sub')



=== TEST 12: ID token with another nonce than the flow's
--- request eval
"GET /oidc_callback?code=wrong-nonce&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('bad_claim', 'nonce')



=== TEST 13: unsigned ID token (alg none)
--- request eval
"GET /oidc_callback?code=alg-none&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('(?:alg_not_allowed|malformed)')



=== TEST 14: ID token signed with a key the provider does not publish (even after a refetch)
--- request eval
"GET /oidc_callback?code=unknown-kid&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('unknown_key')



=== TEST 15: the token endpoint answers 400 invalid_grant: 502
--- request eval
"GET /oidc_callback?code=error400&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 502
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('invalid_grant')



=== TEST 16: the token endpoint fails with 500: 502
--- request eval
"GET /oidc_callback?code=status500&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 502
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('500')



=== TEST 17: the token endpoint answers broken JSON: 502
--- request eval
"GET /oidc_callback?code=garbage&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 502
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('token endpoint')



=== TEST 18: the token endpoint drops the connection: 502
--- request eval
"GET /oidc_callback?code=close&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 502
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('token endpoint')



=== TEST 19: the token endpoint is slower than provider_timeout (2s): 504
--- timeout: 8
--- request eval
"GET /oidc_callback?code=slow&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 504
--- raw_response_headers_unlike eval
$::NO_SESSION
--- error_log eval
main::reason('token endpoint', 'timed out')



=== TEST 20: no flow cookie: the login restarts, the code is never exchanged
--- request eval
["GET /oidc_callback?code=ok&state=$::STATE", "GET /stub/count"]
--- more_headers eval
["Accept: text/html", ""]
--- error_code eval
[302, 200]
--- response_headers_like eval
["Location: \Q$::stub->{origin}\E/authorize\\?.*", ""]
--- raw_response_headers_unlike eval
[$::NO_SESSION, '^\z']
--- response_body_like eval
["", qr/"token":0\b/]



=== TEST 21: a state no flow cookie belongs to: the login restarts
--- request eval
["GET /oidc_callback?code=ok&state=$::OTHER_STATE", "GET /stub/count"]
--- more_headers eval
["Accept: text/html\r\nCookie: $::FLOW{main}", ""]
--- error_code eval
[302, 200]
--- response_headers_like eval
["Location: \Q$::stub->{origin}\E/authorize\\?.*", ""]
--- raw_response_headers_unlike eval
[$::NO_SESSION, '^\z']
--- response_body_like eval
["", qr/"token":0\b/]



=== TEST 22: no state parameter: the login restarts
--- request eval
["GET /oidc_callback?code=ok", "GET /stub/count"]
--- more_headers eval
["Accept: text/html\r\nCookie: $::FLOW{main}", ""]
--- error_code eval
[302, 200]
--- response_headers_like eval
["Location: \Q$::stub->{origin}\E/authorize\\?.*", ""]
--- raw_response_headers_unlike eval
[$::NO_SESSION, '^\z']
--- response_body_like eval
["", qr/"token":0\b/]



=== TEST 23: state given twice: 400, nothing exchanged
--- request eval
["GET /oidc_callback?code=ok&state=$::STATE&state=$::STATE", "GET /stub/count"]
--- more_headers eval
["Cookie: $::FLOW{main}", ""]
--- error_code eval
[400, 200]
--- raw_response_headers_unlike eval
[$::NO_SESSION, '^\z']
--- response_body_like eval
["", qr/"token":0\b/]



=== TEST 24: the provider says access_denied: 403, no session
--- request eval
"GET /oidc_callback?error=access_denied&error_description=User+said+no&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 403
--- raw_response_headers_unlike eval
$::NO_SESSION
--- response_body_unlike: User said no
--- error_log eval
main::reason('access_denied')



=== TEST 25: a provider error is never reflected in the page
--- request eval
"GET /oidc_callback?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&error_description=%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 403
--- raw_response_headers_unlike eval
$::NO_SESSION
--- response_body_unlike: (?i)<script|%3Cscript|alert\(|<img|onerror



=== TEST 26: an iss parameter naming another issuer (mix-up): 401, nothing exchanged
--- request eval
["GET /oidc_callback?code=ok&state=$::STATE&iss=http%3A%2F%2F127.0.0.1%3A9%2Fnot-the-issuer", "GET /stub/count"]
--- more_headers eval
["Cookie: $::FLOW{main}", ""]
--- error_code eval
[401, 200]
--- raw_response_headers_unlike eval
[$::NO_SESSION, '^\z']
--- response_body_like eval
["", qr/"token":0\b/]



=== TEST 27: the right iss parameter is accepted
--- stub_control: iss_param=1
--- request eval
"GET /oidc_callback?code=ok&state=$::STATE&iss=$::ISSUER_ENCODED"
--- more_headers eval
"Cookie: $::FLOW{main}"
--- error_code: 302
--- response_headers_like
Location: (?:http://[^/]+)?/private



=== TEST 28: a flow started for another issuer is not completed with this provider: 401
--- request eval
"GET /oidc_callback?code=ok&state=$::STATE"
--- more_headers eval
"Cookie: $::FLOW{other_issuer}"
--- error_code: 401
--- raw_response_headers_unlike eval
$::NO_SESSION



=== TEST 29: login start: a navigation without a session is sent to the authorization endpoint
--- request
GET /private?a=1
--- more_headers
Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8
--- error_code: 302
--- response_headers_like eval
"Location: \Q$::stub->{origin}\E/authorize\\?"
  . '(?=.*\bresponse_type=code\b)(?=.*\bclient_id=test-client\b)'
  . '(?=.*\bredirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Foidc_callback\b)'
  . '(?=.*\bscope=openid(?:%20|\+)email\b)'
  . '(?=.*\bcode_challenge=[A-Za-z0-9_-]{43}(?:&|$))(?=.*\bcode_challenge_method=S256\b)'
  . '(?=.*\bstate=[A-Za-z0-9_-]{22}(?:&|$))(?=.*\bnonce=[A-Za-z0-9_-]+).*'
  . "\nCache-Control: .*no-store.*"
--- raw_response_headers_like: (?mi)^Set-Cookie:\s*NGX_OIDC_SESSION_flow_[A-Za-z0-9_-]{22}=[^;\s]+;(?=[^\r\n]*HttpOnly)(?=[^\r\n]*SameSite=Lax)



=== TEST 30: login start: an API request without a session gets 401
--- request
GET /private?a=1
--- more_headers
Accept: application/json
--- error_code: 401
--- raw_response_headers_like: (?mi)^WWW-Authenticate:
--- raw_response_headers_unlike: (?mi)^Set-Cookie:\s*NGX_OIDC_SESSION



=== TEST 31: login start: discovery names another issuer: 503
--- stub_control: issuer_mismatch=1
--- request
GET /private
--- more_headers
Accept: text/html
--- error_code: 503
--- raw_response_headers_unlike: (?mi)^Set-Cookie:\s*NGX_OIDC_SESSION
--- error_log eval
main::reason('issuer')



=== TEST 32: token_endpoint_auth_method forces client_secret_post where both are offered
--- http_config
    oidc_provider op {
        issuer $TEST_NGINX_STUB_ISSUER;
        allow_http on;
        client_id test-client;
        client_secret test-secret;
        token_endpoint_auth_method client_secret_post;
        redirect_uri http://127.0.0.1:$TEST_NGINX_SERVER_PORT/oidc_callback;
        session_key_file $TEST_NGINX_OIDC_KEYS;
        cookie_secure off;
        provider_timeout 2s;
    }
--- request eval
["GET /oidc_callback?code=ok&state=$::STATE", "GET /stub/last-token-request"]
--- more_headers eval
["Cookie: $::FLOW{main}", ""]
--- error_code eval
[302, 200]
--- response_body_like eval
["", qr{(?s)^(?=.*"client_id":"test-client")(?=.*"client_secret":"test-secret")(?!.*"authorization":)}]



=== TEST 33: login start: pending flow cookies are capped; the expired and the oldest go
--- request
GET /private
--- more_headers eval
"Accept: text/html\nCookie: " . main::pending_flows()
--- error_code: 302
--- raw_response_headers_like eval
'(?mi)(?=(?:.*\n)*^Set-Cookie:\s*NGX_OIDC_SESSION_flow_teststate0000000000010=;[^\r\n]*Max-Age=0)'
. CORE::join('', map { "(?=(?:.*\\n)*^Set-Cookie:\\s*NGX_OIDC_SESSION_flow_teststate00000000000$_=;[^\\r\\n]*Max-Age=0)" } 11 .. 13)
. '(?=(?:.*\n)*^Set-Cookie:\s*NGX_OIDC_SESSION_flow_(?!teststate)[A-Za-z0-9_-]{22}=[^;\s]+;[^\r\n]*Max-Age=300)'
--- raw_response_headers_unlike eval
'(?mi)^Set-Cookie:\s*NGX_OIDC_SESSION_flow_teststate00000000000(?:1[4-9])='



=== TEST 34: login start: the provider is down (connection refused): 503, one clear line
--- http_config
    oidc_provider op {
        issuer http://127.0.0.1:9;
        allow_http on;
        client_id test-client;
        client_secret test-secret;
        redirect_uri http://127.0.0.1:$TEST_NGINX_SERVER_PORT/oidc_callback;
        session_key_file $TEST_NGINX_OIDC_KEYS;
        cookie_secure off;
        provider_timeout 2s;
    }
--- request
GET /private
--- more_headers
Accept: text/html
--- error_code: 503
--- raw_response_headers_unlike: (?mi)^Set-Cookie:\s*NGX_OIDC_SESSION
--- error_log eval
qr/provider "op": cannot start a login: no usable discovery document from "http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration"/
