# What the upstream sees: claim and header variables, nested claims, auth_jwt_require, and the
# guarantee that a client can never inject an identity header.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;

edge_auth_blocks();
no_shuffle();
log_level('info');

gen_key(name => 'rs', kty => 'RSA', kid => 'rs');
$ENV{TEST_NGINX_JWKS} = write_jwks('jwks.json', qw(rs));

my %base = (sub => 'alice', iss => 'https://issuer.test', aud => 'api');

our %T = (
    rich => sign(key => 'rs', ttl => 600, claims => {
        %base,
        email => 'alice@example.test',
        roles => ['admin', 'ops'],
        admin => \1,
        level => 3,
        nothing => undef,
        realm_access => { roles => ['reader', 'writer'], tenant => 'acme' },
        'https://example.test/org' => 'Acme Inc.',
        Mixed => 'upper',
        scope => 'orders:read orders:write',
    }),
    reader => sign(key => 'rs', ttl => 600, claims => { %base, scope => 'orders:read' }),
    crlf => sign(key => 'rs', ttl => 600, claims => { %base,
                 sub => "alice\r\nX-Auth-Roles: admin", email => "a\x01b\x7f\tc" }),
    nul => sign(key => 'rs', ttl => 600, claims => { %base, sub => "alice\x00admin" }),
    utf8 => sign(key => 'rs', ttl => 600, claims => { %base, sub => "Jos\x{e9}" }),
);

run_tests();

__DATA__

=== TEST 1: scalars, arrays joined with commas, booleans and numbers in JSON form
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_set_header X-Auth-Roles $jwt_claim_roles;
        proxy_set_header X-Auth-Extra "$jwt_claim_admin|$jwt_claim_level|$jwt_claim_nothing|$jwt_claim_missing|";
        proxy_set_header X-Auth-Issuer $jwt_header_alg/$jwt_header_kid/$jwt_header_typ;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rich}"
--- error_code: 200
--- response_body_like chomp
(?ms)^subject=alice$.*^issuer=RS256/rs/JWT$.*^roles=admin,ops$.*^extra=true\|3\|null\|\|$



=== TEST 2: nested claims and names $jwt_claim_ cannot express, through auth_jwt_claim_set
--- http_config
    auth_jwt_claim_set $tenant realm_access tenant;
    auth_jwt_claim_set $realm_roles realm_access roles;
    auth_jwt_claim_set $org "https://example.test/org";
    auth_jwt_claim_set $mixed Mixed;
    auth_jwt_claim_set $absent realm_access nope;
    auth_jwt_header_set $key_id kid;
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $tenant;
        proxy_set_header X-Auth-Roles $realm_roles;
        proxy_set_header X-Auth-Email $org;
        proxy_set_header X-Auth-Extra "$mixed|$absent|$key_id";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rich}"
--- error_code: 200
--- response_body_like chomp
(?ms)^subject=acme$.*^email=Acme Inc\.$.*^roles=reader,writer$.*^extra=upper\|\|rs$



=== TEST 3: $jwt_payload is the claims JSON; an object claim renders as compact JSON
--- http_config
    auth_jwt_claim_set $realm realm_access;
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Extra $jwt_payload;
        proxy_set_header X-Auth-Roles $realm;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rich}"
--- error_code: 200
--- response_body_like chomp
(?ms)^roles=\{"roles":\["reader","writer"\],"tenant":"acme"\}$.*^extra=\{.*"sub":"alice".*\}$



=== TEST 4: control bytes in claims cannot split a header line (CR/LF, SOH, DEL, TAB)
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_set_header X-Auth-Email $jwt_claim_email;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{crlf}"
--- error_code: 200
--- response_body_like chomp
(?ms)^subject=alice%0D%0AX-Auth-Roles: admin$\nemail=a%01b%7F%09c$.*^roles=$



=== TEST 5: a NUL inside a claim string is refused outright (the JSON parser rejects \u0000)
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{nul}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 6: UTF-8 passes through unchanged
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
"Authorization: Bearer $::T{utf8}"
--- error_code: 200
--- response_body_like chomp
(?m)^subject=Jos\xc3\xa9$



=== TEST 7: auth_jwt_require passes when every value is non-empty and not "0"
--- http_config
    map $jwt_claim_scope $can_write {
        "~(^|\s)orders:write(\s|$)" 1;
        default                     0;
    }
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_require $can_write $jwt_claim_sub error=403;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{rich}"
--- error_code: 200



=== TEST 8: auth_jwt_require failure with error=403: insufficient_scope, and no identity upstream
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
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{reader}"
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="api", error="insufficient_scope"
--- error_log
auth_jwt rejected request: claim (auth_jwt_require value #1



=== TEST 9: auth_jwt_require failure defaults to 401
--- http_config
    map $jwt_claim_scope $can_write {
        "~(^|\s)orders:write(\s|$)" 1;
        default                     0;
    }
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_require $can_write;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{reader}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"



=== TEST 10: limit_except: reads need a token, writes also need the scope
--- http_config
    map $jwt_claim_scope $can_write {
        "~(^|\s)orders:write(\s|$)" 1;
        default                     0;
    }
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
        limit_except GET {
            auth_jwt "api";
            auth_jwt_require $can_write error=403;
            proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
        }
    }
--- request eval
["GET /api", "DELETE /api", "DELETE /api", "DELETE /api"]
--- more_headers eval
["Authorization: Bearer $::T{reader}", "Authorization: Bearer $::T{reader}",
 "Authorization: Bearer $::T{rich}", ""]
--- error_code eval
[200, 403, 200, 401]



=== TEST 11: client-sent X-Auth-* headers never reach the upstream, even on a public location
--- config
    location /public {
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /public
--- more_headers
X-Auth-Subject: admin
x-auth-roles: root
X-Auth_Email: spoof@example.test
X-Other: kept
--- error_code: 200
--- response_body_like chomp
\Asubject=
email=
issuer=
scopes=
roles=
extra=
cookie=
\z
--- error_log
dropped client-sent header "X-Auth-Subject"
dropped client-sent header "x-auth-roles"



=== TEST 12: on a protected location the client's header is dropped and the token's value set
--- config
    underscores_in_headers on;
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{reader}\r\nX-Auth-Subject: admin\r\nX_Auth_Roles: root"
--- error_code: 200
--- response_body_like chomp
(?ms)\Asubject=alice$.*^roles=$
--- error_log
dropped client-sent header "X_Auth_Roles"



=== TEST 13: a rejected request exports no identity (variables empty under satisfy any)
--- config
    location /api {
        satisfy any;
        allow 127.0.0.1;
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers
Authorization: Bearer not.a.token
--- error_code: 200
--- response_body_like chomp
(?m)\Asubject=$



=== TEST 14: scrubbing can be given other prefixes, or turned off
--- config
    edge_auth_scrub_headers X-User- Remote-User;
    location /public {
        proxy_set_header X-Auth-Extra "$http_x_user_id|$http_remote_user|$http_x_auth_subject";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /public
--- more_headers
X-User-Id: 7
Remote-User: root
X-Auth-Subject: kept-now
--- error_code: 200
--- response_body_like chomp
(?m)^extra=\|\|kept-now$



=== TEST 15: after an internal redirect, a location that refuses the token exports no identity
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        try_files /does-not-exist @strict;
    }
    location @strict {
        satisfy any;
        allow 127.0.0.1;
        auth_jwt "strict";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_audience somebody-else;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::T{reader}"
--- error_code: 200
--- response_body_like chomp
(?m)\Asubject=$
--- error_log
auth_jwt rejected request: audience
