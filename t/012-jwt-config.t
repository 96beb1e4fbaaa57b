# auth_jwt configuration: every mistake fails `nginx -t` (here: nginx refuses to start) with a
# message that names the directive and says what to do; weak keys are dropped with a warning.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;
use File::Spec;

edge_auth_blocks();
no_shuffle();
log_level('info');

gen_key(name => 'rs', kty => 'RSA', kid => 'rs');
gen_key(name => 'weak', kty => 'RSA', kid => 'weak', bits => 1024);
gen_key(name => 'e3', kty => 'RSA', kid => 'e3', e => 3);
gen_key(name => 'enc', kty => 'RSA', kid => 'enc', use => 'enc');
gen_key(name => 'short', kty => 'oct', kid => 'short', size => 16);
gen_key(name => 'ed448', kty => 'OKP', kid => 'ed448', crv => 'Ed448');

$ENV{TEST_NGINX_JWKS} = write_jwks('good.json', qw(rs));
$ENV{TEST_NGINX_MIXED_JWKS} = write_jwks('mixed.json', qw(rs weak e3 enc short ed448));
$ENV{TEST_NGINX_WEAK_JWKS} = write_jwks('weak.json', qw(weak e3));

my $dir = key_dir();
sub put { my ($name, $data) = @_; my $p = File::Spec->catfile($dir, $name);
          open my $fh, '>', $p or die; print {$fh} $data; close $fh; $p }
$ENV{TEST_NGINX_GARBAGE_JWKS} = put('garbage.json', "this is not json\n");
$ENV{TEST_NGINX_DUP_JWKS} = put('dup.json', '{"keys":[],"keys":[]}');
$ENV{TEST_NGINX_EMPTY_JWKS} = put('empty.json', '{"keys":[]}');
$ENV{TEST_NGINX_MISSING_JWKS} = File::Spec->catfile($dir, 'does-not-exist.json');

our $rs_token = sign(key => 'rs', claims => { sub => 'alice' }, ttl => 600);

run_tests();

__DATA__

=== TEST 1: a key file that does not exist fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_MISSING_JWKS;
    }
--- must_die
--- error_log eval
qr/auth_jwt_key_file ".*does-not-exist.json": cannot open/



=== TEST 2: a key file that is not JSON fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_GARBAGE_JWKS;
    }
--- must_die
--- error_log eval
qr/auth_jwt_key_file ".*garbage.json": not a usable JWKS/



=== TEST 3: duplicate JSON members in a key file fail
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DUP_JWKS;
    }
--- must_die
--- error_log eval
qr/auth_jwt_key_file ".*dup.json": not a usable JWKS/



=== TEST 4: a key file without keys fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_EMPTY_JWKS;
    }
--- must_die
--- error_log eval
qr/auth_jwt_key_file ".*empty.json": no usable key/



=== TEST 5: a key file whose keys are all too weak fails, and says why for each key
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_WEAK_JWKS;
    }
--- must_die
--- error_log eval
[qr/\[warn\].*weak.json": key ignored: .*weak/, qr/\[warn\].*weak.json": key ignored: .*e3/,
 qr/weak.json": no usable key/]



=== TEST 6: weak keys in a mixed file are dropped with a warning each; the good key works
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_MIXED_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::rs_token"
--- error_code: 200
--- error_log eval
[qr/key ignored: .*"?weak"?/, qr/key ignored: .*"?e3"?/, qr/key ignored: .*"?enc"?/,
 qr/key ignored: .*"?short"?/, qr/key ignored: .*"?ed448"?/]



=== TEST 7: auth_jwt without any key source fails and names the fix
--- config
    location /api {
        auth_jwt "api";
    }
--- must_die
--- error_log eval
qr/"auth_jwt" in .*nginx.conf:\d+ has no keys to verify tokens with: add "auth_jwt_key_file/



=== TEST 8: an unknown algorithm fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_algorithms RS256 none;
    }
--- must_die
--- error_log
unknown algorithm "none"



=== TEST 9: algorithm names are case-sensitive
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_algorithms rs256;
    }
--- must_die
--- error_log
unknown algorithm "rs256"



=== TEST 10: encrypted tokens are not supported: auth_jwt_type encrypted fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_type encrypted;
    }
--- must_die
--- error_log
auth_jwt_type "encrypted" is not supported



=== TEST 11: auth_jwt_type signed is accepted for NGINX Plus configurations
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_type signed;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- error_code: 401



=== TEST 12: a leeway that would hide expired tokens fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_leeway 1h;
    }
--- must_die
--- error_log
"auth_jwt_leeway" directive is too large



=== TEST 13: token= needs a variable
--- config
    location /api {
        auth_jwt "api" token=literal;
        auth_jwt_key_file $TEST_NGINX_JWKS;
    }
--- must_die
--- error_log
"token=" needs a variable



=== TEST 14: a key file name with variables is refused
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file /etc/$host.json;
    }
--- must_die
--- error_log
does not support variables



=== TEST 15: auth_jwt_require takes variables, not constants
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_require yes;
    }
--- must_die
--- error_log
"yes" is a constant



=== TEST 16: auth_jwt_require with an invalid error= fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_require $arg_x error=404;
    }
--- must_die
--- error_log
use error=401 or error=403



=== TEST 17: a duplicate auth_jwt at one level fails
--- config
    location /api {
        auth_jwt "api";
        auth_jwt "again";
        auth_jwt_key_file $TEST_NGINX_JWKS;
    }
--- must_die
--- error_log
"auth_jwt" directive is duplicate



=== TEST 18: auth_jwt_claim_set belongs to the http level
--- config
    location /api {
        auth_jwt_claim_set $role realm_access roles;
    }
--- must_die
--- error_log
"auth_jwt_claim_set" directive is not allowed here



=== TEST 19: allowing HMAC next to asymmetric algorithms warns (RFC 8725 3.1)
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_algorithms RS256 HS256;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- error_code: 401
--- error_log
allows both HMAC and asymmetric algorithms



=== TEST 20: keys declared at the http level serve every server and location
--- http_config
    auth_jwt_key_file $TEST_NGINX_JWKS;
--- config
    location /api {
        auth_jwt "api";
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request
GET /api
--- more_headers eval
"Authorization: Bearer $::rs_token"
--- error_code: 200
