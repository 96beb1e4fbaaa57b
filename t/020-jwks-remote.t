# auth_jwt_key_request: keys fetched from the provider through a subrequest, shared by two
# workers through shared memory, refreshed on rotation with a rate limit, kept through outages.
# The provider is a stub (t/helpers/JwksStub.pm) because these are faults on demand.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;
use JwksStub;

edge_auth_blocks();
master_on();
workers(2);
no_shuffle();
log_level('info');

gen_key(name => 'k1', kty => 'RSA', kid => 'k1');
gen_key(name => 'k2', kty => 'EC', kid => 'k2', crv => 'P-256');
gen_key(name => 'attacker', kty => 'EC', kid => 'x', crv => 'P-256');

sub slurp { open my $fh, '<', shift or die; local $/; <$fh> }
our $stub = JwksStub->start(dir => key_dir(), versions => {
    v1 => slurp(write_jwks('v1.json', 'k1')),
    v2 => slurp(write_jwks('v2.json', 'k1', 'k2')),
    v3 => slurp(write_jwks('v3.json', 'k2')),
});
$ENV{TEST_NGINX_STUB_SOCKET} = $stub->socket;

$ENV{TEST_NGINX_STATIC_JWKS} = write_jwks('static.json', 'k1');

our %T = (
    k1 => sign(key => 'k1', claims => { sub => 'one' }, ttl => 600),
    k2 => sign(key => 'k2', claims => { sub => 'two' }, ttl => 600),
    k9 => sign(key => 'k2', kid => 'k9', claims => { sub => 'nine' }, ttl => 600),
);
our @flood = map { sign(key => 'attacker', kid => "random-$_-" . int(rand(1e9)),
                        claims => { sub => 'x' }, ttl => 600) } 1 .. 200;

add_block_preprocessor(sub {
    my $block = shift;
    my $cache = $block->key_cache // 'auth_jwt_key_cache 1h;';
    $block->set_value('config', <<"CONF") unless defined $block->config;
    location = /_jwks {
        internal;
        proxy_read_timeout 1s;
        proxy_pass http://unix:\$TEST_NGINX_STUB_SOCKET:/jwks;
    }
    location /stub/ {
        proxy_pass http://unix:\$TEST_NGINX_STUB_SOCKET:/;
    }
    # the error log so far, for checks after several requests (error_log checks each request)
    location = /errlog {
        default_type text/plain;
        alias logs/error.log;
    }
    location /api {
        auth_jwt "api";
        auth_jwt_key_request /_jwks;
        $cache
        proxy_set_header X-Auth-Subject \$jwt_claim_sub;
        proxy_pass http://unix:\$TEST_NGINX_ECHO_SOCKET:;
    }
CONF
});

sub api { my $tok = shift; ("GET /api", "Authorization: Bearer $tok") }

run_tests();

__DATA__

=== TEST 1: first request fetches the keys once; later requests on both workers reuse them
--- request eval
["GET /stub/reset", ("GET /api") x 10, "GET /stub/count"]
--- more_headers eval
["", ("Authorization: Bearer $::T{k1}") x 10, ""]
--- error_code eval
[200, (200) x 10, 200]
--- response_body_like eval
[qr/ok/, (qr/^subject=one$/m) x 10, qr/^fetches=1$/]



=== TEST 2: rotation: a new kid is accepted on first use after one forced refresh
--- request eval
["GET /stub/reset", "GET /api", "GET /stub/control?version=v2", "GET /api", "GET /api",
 "GET /stub/count"]
--- more_headers eval
["", "Authorization: Bearer $::T{k1}", "", "Authorization: Bearer $::T{k2}",
 "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/^subject=one$/m, qr/ok/, qr/^subject=two$/m, qr/^subject=one$/m, qr/^fetches=2$/]



=== TEST 3: rotation: a key the provider removed stops verifying after the next refresh
--- key_cache: auth_jwt_key_cache 1h rotation=1s;
--- request eval
["GET /stub/reset", "GET /api", "GET /stub/control?version=v3", "GET /stub/sleep?ms=1100",
 "GET /api", "GET /api", "GET /stub/count"]
--- more_headers eval
["", "Authorization: Bearer $::T{k1}", "", "", "Authorization: Bearer $::T{k2}",
 "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 200, 200, 200, 401, 200]
--- response_body_like eval
# Two fetches: the first request's and the refresh after rotation. A third one is the next
# periodic refresh, when a loaded machine takes more than another second over these requests.
[qr/ok/, qr/^subject=one$/m, qr/ok/, qr/slept/, qr/^subject=two$/m, qr/401/, qr/^fetches=[23]$/]



=== TEST 4: a flood of 200 random kids costs at most one forced fetch per interval
--- key_cache: auth_jwt_key_cache 1h rotation=60s;
--- request eval
["GET /stub/reset", "GET /api", ("GET /api") x 200, "GET /stub/count", "GET /errlog"]
--- more_headers eval
["", "Authorization: Bearer $::T{k1}", (map { "Authorization: Bearer $_" } @::flood), "", ""]
--- error_code eval
[200, 200, (401) x 200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/^subject=one$/m, (qr/401/) x 200, qr/^fetches=2$/, qr/\(unknown key id\)/]



=== TEST 5: provider down, keys cached: requests still verify, the failure is logged
--- request eval
["GET /stub/reset", "GET /api", "GET /stub/control?mode=500", "GET /api", "GET /api",
 "GET /errlog"]
--- more_headers eval
["", "Authorization: Bearer $::T{k1}", "", "Authorization: Bearer $::T{k9}",
 "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 200, 401, 200, 200]
--- response_body_like eval
[qr/ok/, qr/^subject=one$/m, qr/ok/, qr/401/, qr/^subject=one$/m,
 qr/JWKS refresh through "\/_jwks" failed: status 500; keeping the keys fetched \d+ s ago/]



=== TEST 6: provider down and no keys yet: 503, not 401, with a clear line
--- request eval
["GET /stub/reset", "GET /stub/control?mode=500", "GET /api", "GET /errlog"]
--- more_headers eval
["", "", "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 503, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/503/,
 qr/JWKS fetch through "\/_jwks" failed: status 500; no keys yet.*auth_jwt rejected request: no_keys/s]



=== TEST 7: provider too slow (timeout): 503 and the reason in the log
--- request eval
["GET /stub/reset", "GET /stub/control?mode=slow", "GET /api", "GET /errlog"]
--- more_headers eval
["", "", "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 503, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/503/, qr/upstream timed out.*JWKS fetch through "\/_jwks" failed: status 504/s]



=== TEST 8: garbage JSON from the provider: 503, never a pass
--- request eval
["GET /stub/reset", "GET /stub/control?mode=garbage", "GET /api", "GET /errlog"]
--- more_headers eval
["", "", "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 503, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/503/, qr/JWKS fetch through "\/_jwks" failed: /]



=== TEST 9: a key set without keys: 503
--- request eval
["GET /stub/reset", "GET /stub/control?mode=empty", "GET /api", "GET /errlog"]
--- more_headers eval
["", "", "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 503, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/503/, qr/failed: no usable key in the set/]



=== TEST 10: an oversized response is refused, cached keys stay in use
--- request eval
["GET /stub/reset", "GET /api", "GET /stub/control?mode=huge", "GET /api", "GET /api",
 "GET /errlog"]
--- more_headers eval
["", "Authorization: Bearer $::T{k1}", "", "Authorization: Bearer $::T{k9}",
 "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 200, 401, 200, 200]
--- response_body_like eval
[qr/ok/, qr/^subject=one$/m, qr/ok/, qr/401/, qr/^subject=one$/m,
 qr/JWKS refresh through "\/_jwks" failed: response over 1 MiB; keeping the keys/]



=== TEST 11: Cache-Control max-age (within min=) schedules the periodic refresh
--- key_cache: auth_jwt_key_cache 1h min=1s;
--- request eval
["GET /stub/reset", "GET /stub/control?cache_control=public,%20max-age=1", "GET /api",
 "GET /stub/sleep?ms=2100", "GET /api", "GET /stub/count"]
--- more_headers eval
["", "", "Authorization: Bearer $::T{k1}", "", "Authorization: Bearer $::T{k1}", ""]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/^subject=one$/m, qr/slept/, qr/^subject=one$/m, qr/^fetches=2$/]



=== TEST 12: the subrequest carries none of the client's headers to the provider
--- request eval
["GET /stub/reset", "GET /api", "GET /stub/seen"]
--- more_headers eval
["", "Authorization: Bearer $::T{k1}\r\nCookie: session=secret\r\nX-Custom: 1", ""]
--- error_code eval
[200, 200, 200]
--- response_body_unlike eval
[qr/^$/, qr/^$/, qr/authorization|cookie|x-custom/i]



=== TEST 13: auth_jwt_key_request and auth_jwt_key_file in one location is refused
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_request /_jwks;
        auth_jwt_key_file $TEST_NGINX_STATIC_JWKS;
    }
--- must_die
--- error_log
has both "auth_jwt_key_file" and "auth_jwt_key_request"
