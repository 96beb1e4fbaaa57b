# auth_jwt: tokens of every supported algorithm verify, the identity reaches the upstream, and
# requests without a valid token get an RFC 6750 challenge.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;

edge_auth_blocks();
no_shuffle();
log_level('info');

my $ISS = 'https://issuer.test';

gen_key(name => 'rs',   kty => 'RSA', kid => 'rs',   alg => 'RS256');
gen_key(name => 'rs4k', kty => 'RSA', kid => 'rs4k', bits => 4096);
gen_key(name => 'ps',   kty => 'RSA', kid => 'ps',   alg => 'PS384');
gen_key(name => 'es',   kty => 'EC',  kid => 'es',   crv => 'P-256');
gen_key(name => 'es3',  kty => 'EC',  kid => 'es3',  crv => 'P-384');
gen_key(name => 'es5',  kty => 'EC',  kid => 'es5',  crv => 'P-521');
gen_key(name => 'ed',   kty => 'OKP', kid => 'ed',   crv => 'Ed25519');
gen_key(name => 'hs',   kty => 'oct', kid => 'hs',   size => 64);
gen_key(name => 'other', kty => 'RSA', kid => 'rs');   # same kid, different key

$ENV{TEST_NGINX_JWKS} = write_jwks('all.json', qw(rs rs4k ps es es3 es5 ed));
$ENV{TEST_NGINX_HMAC_JWKS} = write_jwks('hmac.json', qw(hs));

my %claims = (sub => 'alice', iss => $ISS, aud => 'api', email => 'alice@example.test',
              scope => 'orders:read orders:write');

our %T = (
    rs256 => sign(key => 'rs', alg => 'RS256', claims => \%claims, ttl => 600),
    rs384 => sign(key => 'rs4k', alg => 'RS384', claims => \%claims, ttl => 600),
    rs512 => sign(key => 'rs4k', alg => 'RS512', claims => \%claims, ttl => 600),
    ps384 => sign(key => 'ps', alg => 'PS384', claims => \%claims, ttl => 600),
    ps256_on_ps384_key => sign(key => 'ps', alg => 'PS256', claims => \%claims, ttl => 600),
    es256 => sign(key => 'es', alg => 'ES256', claims => \%claims, ttl => 600),
    es384 => sign(key => 'es3', alg => 'ES384', claims => \%claims, ttl => 600),
    es512 => sign(key => 'es5', alg => 'ES512', claims => \%claims, ttl => 600),
    eddsa => sign(key => 'ed', alg => 'EdDSA', claims => \%claims, ttl => 600),
    hs512 => sign(key => 'hs', alg => 'HS512', claims => \%claims, ttl => 600),
    forged => sign(key => 'other', alg => 'RS256', claims => \%claims, ttl => 600),
    tampered => tamper_signature(sign(key => 'es', alg => 'ES256', claims => \%claims,
                                      ttl => 600)),
);

run_tests();

__DATA__

=== TEST 1: RS256 token verifies and the identity reaches the upstream
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_issuer https://issuer.test;
        auth_jwt_audience api;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_set_header X-Auth-Email $jwt_claim_email;
        proxy_set_header X-Auth-Scopes $jwt_claim_scope;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rs256}"
--- error_code: 200
--- response_body_like chomp
\Asubject=alice
email=alice\@example.test
issuer=
scopes=orders:read orders:write
--- no_error_log
rejected



=== TEST 2: the Bearer scheme is case-insensitive and extra spaces are tolerated
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: bEaReR    $::T{rs256}"
--- error_code: 200
--- response_body_like chomp
(?m)^subject=alice$



=== TEST 3: every asymmetric algorithm verifies with its key (same run, several requests)
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_issuer https://issuer.test;
        proxy_set_header X-Auth-Subject "$jwt_header_alg:$jwt_claim_sub";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
[map { "GET /api?$_" } qw(rs256 rs384 rs512 ps384 es256 es384 es512 eddsa)]
--- more_headers eval
[map { "Authorization: Bearer $::T{$_}" } qw(rs256 rs384 rs512 ps384 es256 es384 es512 eddsa)]
--- error_code eval
[(200) x 8]
--- response_body_like eval
[map { qr/^subject=$_:alice$/m } qw(RS256 RS384 RS512 PS384 ES256 ES384 ES512 EdDSA)]



=== TEST 4: no token: 401 with a challenge that carries no error (RFC 6750 3.1)
--- config
    location /api {
        auth_jwt "my api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="my api"
--- error_log
auth_jwt rejected request: no_credentials



=== TEST 5: another scheme is not a bearer token
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers
Authorization: Basic YWxpY2U6c2VjcmV0
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
no_credentials



=== TEST 6: a token signed by another key with the same kid is refused
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{forged}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt rejected request: bad_signature



=== TEST 7: one flipped signature bit is refused
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{tampered}"
--- error_code: 401
--- error_log
bad_signature



=== TEST 8: the key's own alg binds it: a PS256 token against a PS384 key is refused
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{ps256_on_ps384_key}"
--- error_code: 401
--- error_log
unknown_key



=== TEST 9: HMAC is refused by default, even with an oct key configured
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HMAC_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{hs512}"
--- error_code: 401
--- error_log
alg_not_allowed



=== TEST 10: HMAC verifies once explicitly allowed
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HMAC_JWKS;
        auth_jwt_algorithms HS512;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{hs512}"
--- error_code: 200
--- response_body_like chomp
(?m)^subject=alice$



=== TEST 11: the allow-list narrows the accepted algorithms: ES256 listed, passes
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_algorithms ES256;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{es256}"
--- error_code: 200



=== TEST 12: the allow-list narrows the accepted algorithms: RS256 not listed, refused
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_algorithms ES256;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rs256}"
--- error_code: 401
--- error_log
alg_not_allowed



=== TEST 13: token from a variable (a cookie) instead of the Authorization header
--- config
    location /api {
        auth_jwt "api" token=$cookie_access;
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Cookie: theme=dark; access=$::T{eddsa}"
--- error_code: 200
--- response_body_like chomp
(?m)^subject=alice$



=== TEST 14: with token=, the Authorization header is not consulted
--- config
    location /api {
        auth_jwt "api" token=$cookie_access;
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rs256}"
--- error_code: 401
--- error_log
no_credentials



=== TEST 15: auth_jwt off in a nested location cancels the inherited check
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location /api {
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location /public {
        auth_jwt off;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["GET /api", "GET /public"]
--- error_code eval
[401, 200]



=== TEST 16: the realm may contain variables and is escaped in the challenge
--- config
    location /api {
        auth_jwt "realm \"$arg_r\"";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api?r=x
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="realm \"x\""
