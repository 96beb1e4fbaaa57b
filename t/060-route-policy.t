# Route coverage: with `edge_auth_policy strict`, nginx refuses a configuration in which a route
# has no auth decision (auth_jwt, auth_oidc, or edge_auth_public "reason"), naming the route, its
# server, file and line; `warn` logs the same and starts; the default (off) changes nothing. Each
# kind of location is covered (prefix, exact, regex, named, nested, if, limit_except, internal),
# and so are the rewrite-phase traps: a `return` or a redirect in a protected location is answered
# before any access check.
#
# Routes whose line numbers are asserted live in an included file (user_files), whose layout the
# runner does not change.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;

edge_auth_blocks();
no_shuffle();
no_root_location();
log_level('info');

gen_key(name => 'rs', kty => 'RSA', kid => 'rs');
$ENV{TEST_NGINX_JWKS} = write_jwks('policy.json', qw(rs));
$ENV{TEST_NGINX_SESSION_KEYS} = session_keys('policy-session.key', 'policy');

our $token = sign(key => 'rs', claims => { sub => 'alice' }, ttl => 600);

run_tests();

__DATA__

=== TEST 1: off by default: an unprotected location and a bare "auth_jwt off" start, and nothing is logged
--- config
    location / {
        return 200 "open\n";
    }
    location /x {
        auth_jwt off;
        return 200 "x\n";
    }
--- request
GET /x
--- response_body
x
--- no_error_log
edge_auth_policy



=== TEST 2: strict: every kind of location resolves to a decision, nginx starts, and the decisions hold
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;

    location / {
        auth_jwt "site";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;

        location /nested/ {
            limit_except GET {
                deny all;
            }
            if ($arg_debug) {
                set $debug 1;
            }
            proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
        }

        location ~ \.json$ {
            proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
        }
    }
    location = /health {
        edge_auth_public "liveness probe, no user data";
        return 200 "ok\n";
    }
    location /static/ {
        edge_auth_public "public assets";
        try_files $uri @missing;
    }
    location @missing {
        edge_auth_public "the not-found page";
        return 404 "missing\n";
    }
    location = /_private {
        internal;
        return 200 "internal\n";
    }
--- request eval
["GET /health", "GET /nested/a?debug=1", "GET /a/b.json", "GET /static/nothing", "GET /",
 "GET /_private"]
--- error_code eval
[200, 401, 401, 404, 401, 404]
--- no_error_log
edge_auth_policy



=== TEST 3: the same locations pass with a token
--- request eval
["GET /nested/a?debug=1", "GET /a/b.json", "GET /"]
--- more_headers eval
["Authorization: Bearer $::token", "Authorization: Bearer $::token",
 "Authorization: Bearer $::token"]
--- error_code eval
[200, 200, 200]



=== TEST 4: strict: a location without a decision fails nginx -t, naming the route, server, file and line
--- user_files
>>> routes.conf
location / { edge_auth_public "home page"; }
location /admin/ {
    proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
}
--- config
    edge_auth_policy strict;
    include ../html/routes.conf;
--- must_die
--- error_log eval
[qr{\[emerg\] .*edge_auth_policy strict: location /admin/ in \S+/html/routes\.conf:2 \(server "localhost" on 127\.0\.0\.1:\d+\) has no auth decision: add "auth_jwt <realm>;" or "auth_oidc <provider>;" to it or to an enclosing block, or say why it is public with edge_auth_public "<reason>"},
 qr{\[emerg\] .*edge_auth_policy strict \(\S+/nginx\.conf:\d+\): nginx refuses this configuration for the 1 route problem listed above}]



=== TEST 5: warn: the same configuration starts, logs the route at warn level, and serves it
--- user_files
>>> routes.conf
location / { edge_auth_public "home page"; }
location /admin/ {
    proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
}
--- config
    edge_auth_policy warn;
    include ../html/routes.conf;
--- request
GET /admin/
--- error_code: 200
--- error_log eval
qr{\[warn\] .*edge_auth_policy warn: location /admin/ in \S+/html/routes\.conf:2 \(server "localhost" on 127\.0\.0\.1:\d+\) has no auth decision}
--- no_error_log
[emerg]



=== TEST 6: strict: "auth_jwt off" without edge_auth_public is not a decision, nor is inheriting it
--- user_files
>>> routes.conf
location / { edge_auth_public "home page"; }
location /api/ {
    auth_jwt "api";
    location /api/debug/ {
        auth_jwt off;
        location /api/debug/deep/ {
        }
    }
}
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    include ../html/routes.conf;
--- must_die
--- error_log eval
[qr{edge_auth_policy strict: location /api/debug/ inside location /api/ in \S+/routes\.conf:4 \(server "localhost" on [^)]+\) has "auth_jwt off", which is not a decision: replace it with edge_auth_public "<reason>" if the route is meant to be public, or protect it},
 qr{edge_auth_policy strict: location /api/debug/deep/ inside location /api/debug/ in \S+/routes\.conf:6 \([^)]+\) is left open by "auth_jwt off" in \S+/routes\.conf:4, which is not a decision},
 qr{for the 2 route problems listed above}]



=== TEST 7: strict: "auth_oidc off" without edge_auth_public is not a decision either
--- http_config
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_SESSION_KEYS;
    }
--- user_files
>>> routes.conf
auth_oidc main;
location / {
}
location /logout-page {
    auth_oidc off;
}
--- config
    edge_auth_policy strict;
    include ../html/routes.conf;
--- must_die
--- error_log eval
qr{edge_auth_policy strict: location /logout-page in \S+/routes\.conf:4 \([^)]+\) has "auth_oidc off", which is not a decision}



=== TEST 8: strict: an auth_oidc decision passes, and requests without a session are refused
--- http_config
    oidc_provider main {
        cookie_name S;
        session_key_file $TEST_NGINX_SESSION_KEYS;
    }
--- config
    edge_auth_policy strict;
    location / {
        auth_oidc main;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /app
--- error_code: 401
--- no_error_log
edge_auth_policy



=== TEST 9: strict: a regex location without a decision is named with its modifier
--- user_files
>>> routes.conf
location / { edge_auth_public "home page"; }
location ~* \.(png|jpg)$ {
    root html;
}
--- config
    edge_auth_policy strict;
    include ../html/routes.conf;
--- must_die
--- error_log eval
qr{edge_auth_policy strict: location ~\* \\\.\(png\|jpg\)\$ in \S+/routes\.conf:2 \([^)]+\) has no auth decision}



=== TEST 10: strict: a named location needs its own decision (try_files and error_page reach it without the caller's)
--- user_files
>>> routes.conf
location / {
    edge_auth_public "home page";
    try_files $uri @backend;
}
location @backend {
    proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
}
--- config
    edge_auth_policy strict;
    include ../html/routes.conf;
--- must_die
--- error_log eval
qr{edge_auth_policy strict: location \@backend in \S+/routes\.conf:5 \([^)]+\) has no auth decision}



=== TEST 11: strict: limit_except that turns auth_jwt off is named inside its location
--- user_files
>>> routes.conf
location / { edge_auth_public "home page"; }
location /upload/ {
    auth_jwt "api";
    limit_except GET {
        auth_jwt off;
    }
}
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    include ../html/routes.conf;
--- must_die
--- error_log eval
qr{edge_auth_policy strict: limit_except GET inside location /upload/ in \S+/routes\.conf:4 \([^)]+\) has "auth_jwt off", which is not a decision}



=== TEST 12: strict: an internal location needs no decision, an exact one does
--- user_files
>>> routes.conf
location / { edge_auth_public "home page"; }
location = /_jwks {
    internal;
    return 200 "{}";
}
location = /status {
    return 200 "up\n";
}
--- config
    edge_auth_policy strict;
    include ../html/routes.conf;
--- must_die
--- error_log eval
qr{edge_auth_policy strict: location = /status in \S+/routes\.conf:6 \([^)]+\) has no auth decision}
--- no_error_log
/_jwks



=== TEST 13: strict: a server without "location /" and without a server-level decision fails
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location /api/ {
        auth_jwt "api";
    }
--- must_die
--- error_log eval
qr{edge_auth_policy strict: server "localhost" on 127\.0\.0\.1:\d+ \(\S+nginx\.conf:\d+\) has no location / and no auth decision at server level, so the URIs no location matches are served without one}



=== TEST 14: edge_auth_public turns off the auth inherited from the server, for that location only
--- config
    edge_auth_policy strict;
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location / {
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location = /health {
        edge_auth_public "liveness probe, no user data";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["GET /health", "GET /anything"]
--- error_code eval
[200, 401]
--- no_error_log
edge_auth_policy



=== TEST 15: edge_auth_public needs a reason
--- config
    location / {
        edge_auth_public "   ";
    }
--- must_die
--- error_log
edge_auth_public needs a reason that says why the route is public



=== TEST 16: edge_auth_public and auth_jwt in the same block fail, whatever the policy
--- config
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location / {
        auth_jwt "api";
        edge_auth_public "health";
    }
--- must_die
--- error_log eval
qr{edge_auth_public "health" in \S+nginx\.conf:\d+ is in a block that also has "auth_jwt": a route is either protected or public}



=== TEST 17: strict: a return in a protected location (here inside an if) fails, and says why
--- user_files
>>> routes.conf
location / {
    auth_jwt "api";
    if ($arg_debug) {
        return 200 "debug\n";
    }
    proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
}
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    include ../html/routes.conf;
--- must_die
--- error_log eval
qr{edge_auth_policy strict: location / in \S+/routes\.conf:1 \([^)]+\) is protected by auth_jwt "api" but has "return 200": nginx runs return in the rewrite phase, before the access phase where auth_jwt and auth_oidc check the request, so that response is sent to anyone}



=== TEST 18: warn: the same trap starts, and the return is indeed answered without a token
--- user_files
>>> routes.conf
location / {
    auth_jwt "api";
    if ($arg_debug) {
        return 200 "debug\n";
    }
    proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
}
--- config
    edge_auth_policy warn;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    include ../html/routes.conf;
--- request
GET /?debug=1
--- error_code: 200
--- response_body
debug
--- error_log eval
qr{\[warn\] .*edge_auth_policy warn: location / in \S+/routes\.conf:1 .* has "return 200"}



=== TEST 19: the location itself is still protected without the trap's condition
--- user_files
>>> routes.conf
location / {
    auth_jwt "api";
    if ($arg_debug) {
        return 200 "debug\n";
    }
    proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
}
--- request
GET /
--- error_code: 401



=== TEST 20: strict: rewrite ... redirect in a protected location fails as well
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location / {
        auth_jwt "api";
        rewrite ^/old/(.*)$ /new/$1 permanent;
    }
--- must_die
--- error_log eval
qr{edge_auth_policy strict: location / in \S+nginx\.conf:\d+ \([^)]+\) is protected by auth_jwt "api" but has "rewrite \.\.\. redirect" \(or permanent\): nginx runs it in the rewrite phase}



=== TEST 21: strict: return with an error status, and rewrite ... break, refuse or stay: nginx starts
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location / {
        auth_jwt "api";
        if ($request_method = DELETE) {
            return 405;
        }
        rewrite ^/v1/(.*)$ /$1 break;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["DELETE /", "GET /v1/x"]
--- error_code eval
[405, 401]
--- no_error_log
edge_auth_policy



=== TEST 22: strict: rewrite ... last in a protected location is a note (the new location decides); nginx starts
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location / {
        auth_jwt "api";
        rewrite ^/legacy/(.*)$ /public/$1 last;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
    location /public/ {
        edge_auth_public "brochure pages";
        return 200 "public\n";
    }
--- request
GET /legacy/page
--- error_code: 200
--- response_body
public
--- error_log eval
qr{\[warn\] .*edge_auth_policy strict: location / in \S+nginx\.conf:\d+ .* has a rewrite that changes the URI without "break": nginx then looks for a location again before the access phase}



=== TEST 23: strict: a return at server level in a protected server fails
--- config
    edge_auth_policy strict;
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_JWKS;
    if ($http_x_moved) {
        return 301 https://example.com/;
    }
    location / {
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- must_die
--- error_log eval
qr{edge_auth_policy strict: server "localhost" on 127\.0\.0\.1:\d+ \(\S+nginx\.conf:\d+\) has a redirect at server level: nginx runs it before it chooses a location}



=== TEST 24: satisfy any in a protected location is a note: another access module can let a request in
--- config
    edge_auth_policy strict;
    auth_jwt_key_file $TEST_NGINX_JWKS;
    location / {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        auth_jwt "api";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /
--- error_code: 200
--- error_log eval
qr{\[warn\] .*edge_auth_policy strict: location / in \S+nginx\.conf:\d+ .* is protected by auth_jwt "api" with "satisfy any"}



=== TEST 25: edge_auth_policy at http level covers every server
--- http_config
    edge_auth_policy strict;
    server {
        listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
        server_name other.test;
        location / {
            return 200 "other\n";
        }
    }
--- config
    location / {
        edge_auth_public "home page";
    }
--- must_die
--- error_log eval
qr{edge_auth_policy strict: location / in \S+nginx\.conf:\d+ \(server "other\.test" on 127\.0\.0\.1:\d+\) has no auth decision}



=== TEST 26: edge_auth_policy takes strict, warn or off
--- config
    edge_auth_policy on;
--- must_die
--- error_log
invalid value "on": edge_auth_policy takes strict
