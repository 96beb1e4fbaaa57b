# auth_jwt with a master process and two workers: keys are loaded in the master at configuration
# time and inherited by every worker, so each worker verifies the same way.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;

edge_auth_blocks();
master_on();
workers(2);
no_shuffle();
log_level('info');

gen_key(name => 'es', kty => 'EC', kid => 'es', crv => 'P-256');
gen_key(name => 'ed', kty => 'OKP', kid => 'ed', crv => 'Ed25519');
$ENV{TEST_NGINX_JWKS} = write_jwks('jwks.json', qw(es ed));

our @good = map { sign(key => $_ % 2 ? 'es' : 'ed', ttl => 600,
                       claims => { sub => "user$_" }) } 1 .. 20;
our @bad = map { tamper_signature($_) } @good;

run_tests();

__DATA__

=== TEST 1: 20 valid tokens, alternating algorithms, all accepted with their own identity
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
[map { "GET /api" } 1 .. 20]
--- more_headers eval
[map { "Authorization: Bearer $_" } @::good]
--- error_code eval
[(200) x 20]
--- response_body_like eval
[map { qr/^subject=user$_\n/ } 1 .. 20]
--- no_error_log
[alert]
[emerg]



=== TEST 2: the same 20 tokens with one bit flipped, all refused
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
[map { "GET /api" } 1 .. 20]
--- more_headers eval
[map { "Authorization: Bearer $_" } @::bad]
--- error_code eval
[(401) x 20]
--- error_log
bad_signature
--- no_error_log
[alert]
