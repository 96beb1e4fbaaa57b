# auth_jwt: the attack catalogue (../shared/reference/security.md section 2, jwt_tool's playbook
# recreated). Every token here must be refused with 401, one info line, and the stable reason code.

use Test::Nginx::Socket 'no_plan';
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use EdgeAuthSuite;
use Digest::SHA qw(hmac_sha256);

edge_auth_blocks();
no_shuffle();
log_level('info');

gen_key(name => 'rs',   kty => 'RSA', kid => 'rs', alg => 'RS256');
gen_key(name => 'es',   kty => 'EC',  kid => 'es', crv => 'P-256');
gen_key(name => 'es3',  kty => 'EC',  kid => 'es3', crv => 'P-384');
gen_key(name => 'evil', kty => 'RSA', kid => 'evil');
gen_key(name => 'solo', kty => 'OKP', kid => 'solo', crv => 'Ed25519');

$ENV{TEST_NGINX_JWKS} = write_jwks('jwks.json', qw(rs es es3));
$ENV{TEST_NGINX_SOLO_JWKS} = write_jwks('solo.json', qw(solo));

my $ISS = 'https://issuer.test';
my %good = (sub => 'alice', iss => $ISS, aud => 'api');
my $now = time;

sub with_header { my ($raw, %o) = @_; sign(key => 'rs', alg => 'RS256', raw_header => $raw,
                                           claims => \%good, ttl => 600, %o) }

my $valid = sign(key => 'rs', claims => \%good, ttl => 600);
my ($vh, $vp, $vs) = split /\./, $valid;

# A signature whose unused trailing bits are not zero: same bytes once decoded, so a lax decoder
# would accept it (security.md F5). 256 bytes = 342 chars with 4 spare bits in the last one.
my $noncanonical = do {
    my $alphabet = join '', 'A'..'Z', 'a'..'z', '0'..'9', '-', '_';
    my $last = index($alphabet, substr($vs, -1));
    substr($vs, 0, -1) . substr($alphabet, $last | 1, 1);
};

# HS256 "signed" with the RSA public key bytes as the secret (key confusion, A3).
my $confused = do {
    my $h = b64url('{"alg":"HS256","typ":"JWT","kid":"rs"}');
    my $p = b64url(qq({"sub":"alice","iss":"$ISS","aud":"api","exp":) . ($now + 600) . '}');
    my $pub = do { local $/; open my $fh, '<', $ENV{TEST_NGINX_JWKS} or die; <$fh> };
    "$h.$p." . b64url(hmac_sha256("$h.$p", $pub));
};

# ES256 signature in DER instead of raw r||s, and zero-padded to 66 bytes (A9, F3).
my $es_token = sign(key => 'es', claims => \%good, ttl => 600);
my ($eh, $ep, $es) = split /\./, $es_token;
my $raw_sig = b64url_decode($es);
my ($r, $s) = (substr($raw_sig, 0, 32), substr($raw_sig, 32));
sub der_int { my $v = shift; $v =~ s/^\x00+//; $v = "\x00$v" if ord($v) & 0x80;
              "\x02" . chr(length $v) . $v }
my $der = do { my $body = der_int($r) . der_int($s); "\x30" . chr(length $body) . $body };
my $padded = "\x00$r\x00$s";

our %T = (
    none          => sign(key => 'rs', alg => 'none', claims => \%good, ttl => 600),
    none_sig      => "" . b64url('{"alg":"none","typ":"JWT"}') . ".$vp.$vs",
    None          => b64url('{"alg":"None"}') . ".$vp.$vs",
    nOnE          => b64url('{"alg":"nOnE"}') . ".$vp.$vs",
    no_alg        => with_header('{"typ":"JWT","kid":"rs"}'),
    alg_array     => with_header('{"alg":["RS256"],"kid":"rs"}'),
    alg_space     => with_header('{"alg":"RS256 ","kid":"rs"}'),
    alg_lower     => with_header('{"alg":"rs256","kid":"rs"}'),
    confused      => $confused,
    crit          => with_header('{"alg":"RS256","kid":"rs","crit":["urn:x"],"urn:x":1}'),
    crit_empty    => with_header('{"alg":"RS256","kid":"rs","crit":[]}'),
    enc           => with_header('{"alg":"RS256","kid":"rs","enc":"A256GCM"}'),
    zip           => with_header('{"alg":"RS256","kid":"rs","zip":"DEF"}'),
    b64           => with_header('{"alg":"RS256","kid":"rs","b64":false,"crit":["b64"]}'),
    dup_alg       => with_header('{"alg":"none","kid":"rs","alg":"RS256"}'),
    dup_sub       => sign(key => 'rs', raw => qq({"sub":"alice","iss":"$ISS","aud":"api","exp":)
                          . ($now + 600) . ',"sub":"admin"}'),
    dup_escaped   => sign(key => 'rs', raw => qq({"sub":"alice","iss":"$ISS","aud":"api","exp":)
                          . ($now + 600) . ',"\u0073ub":"admin"}'),
    jwk_embedded  => sign(key => 'evil', alg => 'RS256', claims => \%good, ttl => 600,
                          raw_header => '{"alg":"RS256","kid":"rs","jwk":'
                          . do { local $/; open my $fh, '<', write_jwks('evil.json', 'evil') or die;
                                 my $j = <$fh>; $j =~ s/^\{"keys":\[//; $j =~ s/\]\}\s*$//; $j }
                          . '}'),
    jku           => sign(key => 'evil', alg => 'RS256', claims => \%good, ttl => 600,
                          raw_header => '{"alg":"RS256","kid":"evil","jku":"http://127.0.0.1:1/k.json"}'),
    pad           => "$valid=",
    pad_junk      => "$valid=junk",
    noncanonical  => "$vh.$vp.$noncanonical",
    plus_slash    => "$vh.$vp." . ($vs =~ tr/-_/+\//r),
    space_inside  => "$vh.$vp." . substr($vs, 0, 10) . '%20' . substr($vs, 10),
    two_segments  => "$vh.$vp",
    four_segments => "$valid.$vs",
    jwe           => "$vh.$vp.AAAA.AAAA.AAAA",
    empty_sig     => "$vh.$vp.",
    empty_payload => "$vh..$vs",
    not_json      => b64url('not json') . ".$vp.$vs",
    header_array  => with_header('["alg","RS256"]'),
    big           => sign(key => 'rs', claims => { %good, pad => 'x' x 2000 }, ttl => 600),
    no_exp        => sign(key => 'rs', claims => { %good, iat => $now }),
    expired       => sign(key => 'rs', claims => { %good, iat => $now - 700, exp => $now - 100 }),
    exp_now       => sign(key => 'rs', claims => { %good, exp => $now - 1 }),
    exp_string    => sign(key => 'rs', raw => qq({"sub":"alice","iss":"$ISS","aud":"api","exp":")
                          . ($now + 600) . '"}'),
    exp_bool      => sign(key => 'rs', raw => qq({"sub":"a","iss":"$ISS","aud":"api","exp":true})),
    exp_huge      => sign(key => 'rs', raw => qq({"sub":"a","iss":"$ISS","aud":"api","exp":1e400})),
    exp_float     => sign(key => 'rs', raw => qq({"sub":"a","iss":"$ISS","aud":"api","exp":)
                          . ($now + 600) . '.5}'),
    nbf_future    => sign(key => 'rs', claims => { %good, nbf => $now + 300 }, ttl => 600),
    iat_future    => sign(key => 'rs', claims => { %good, iat => $now + 300, exp => $now + 900 }),
    iss_slash     => sign(key => 'rs', claims => { %good, iss => "$ISS/" }, ttl => 600),
    iss_case      => sign(key => 'rs', claims => { %good, iss => 'https://ISSUER.test' }, ttl => 600),
    iss_missing   => sign(key => 'rs', claims => { sub => 'alice', aud => 'api' }, ttl => 600),
    aud_other     => sign(key => 'rs', claims => { %good, aud => 'billing' }, ttl => 600),
    aud_missing   => sign(key => 'rs', claims => { sub => 'alice', iss => $ISS }, ttl => 600),
    aud_array_ok  => sign(key => 'rs', claims => { %good, aud => ['billing', 'api'] }, ttl => 600),
    aud_empty     => sign(key => 'rs', claims => { %good, aud => [] }, ttl => 600),
    aud_number    => sign(key => 'rs', claims => { %good, aud => [42] }, ttl => 600),
    kid_unknown   => sign(key => 'rs', kid => 'rotated-away', claims => \%good, ttl => 600),
    kid_path      => sign(key => 'rs', kid => '../../../../../../dev/null', claims => \%good,
                          ttl => 600),
    kid_long      => sign(key => 'rs', kid => 'k' x 300, claims => \%good, ttl => 600),
    kid_number    => with_header('{"alg":"RS256","kid":1}'),
    kid_empty     => sign(key => 'rs', kid => '', claims => \%good, ttl => 600),
    es256_on_p384 => sign(key => 'es3', alg => 'ES256', kid => 'es3', claims => \%good, ttl => 600),
    es_der        => "$eh.$ep." . b64url($der),
    es_padded     => "$eh.$ep." . b64url($padded),
    es_zero       => "$eh.$ep." . b64url("\x00" x 64),
    typ_jwt       => sign(key => 'rs', typ => 'JWT', claims => \%good, ttl => 600),
    typ_at        => sign(key => 'rs', typ => 'at+jwt', claims => \%good, ttl => 600),
    typ_app_at    => sign(key => 'rs', typ => 'application/AT+JWT', claims => \%good, ttl => 600),
    solo_no_kid   => sign(key => 'solo', no_kid => 1, claims => \%good, ttl => 600),
    valid         => $valid,
);

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('request', "GET /api\n") unless defined $block->request;
    return if defined $block->config;
    $block->set_value('config', <<'CONF');
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_issuer https://issuer.test;
        auth_jwt_audience api;
        auth_jwt_max_token_size 1k;
        proxy_set_header X-Auth-Subject $jwt_claim_sub;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
CONF
});

run_tests();

__DATA__

=== TEST 1: control: the valid token passes this location
--- more_headers eval
"Authorization: Bearer $::T{valid}"
--- error_code: 200
--- response_body_like chomp
(?m)^subject=alice$



=== TEST 2: alg none (A1)
--- more_headers eval
"Authorization: Bearer $::T{none}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected request: malformed



=== TEST 3: alg none with the original signature left on (A1)
--- more_headers eval
"Authorization: Bearer $::T{none_sig}"
--- error_code: 401
--- error_log
rejected request: alg_not_allowed



=== TEST 4: alg None (A1)
--- more_headers eval
"Authorization: Bearer $::T{None}"
--- error_code: 401
--- error_log
rejected request: alg_not_allowed



=== TEST 5: alg nOnE (A1)
--- more_headers eval
"Authorization: Bearer $::T{nOnE}"
--- error_code: 401
--- error_log
rejected request: alg_not_allowed



=== TEST 6: no alg (A2)
--- more_headers eval
"Authorization: Bearer $::T{no_alg}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 7: alg as an array (A2)
--- more_headers eval
"Authorization: Bearer $::T{alg_array}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 8: alg with a trailing space (A2)
--- more_headers eval
"Authorization: Bearer $::T{alg_space}"
--- error_code: 401
--- error_log
rejected request: alg_not_allowed



=== TEST 9: alg in lower case (A2)
--- more_headers eval
"Authorization: Bearer $::T{alg_lower}"
--- error_code: 401
--- error_log
rejected request: alg_not_allowed



=== TEST 10: HS256 keyed with the RSA public key, HS256 not allowed (A3)
--- more_headers eval
"Authorization: Bearer $::T{confused}"
--- error_code: 401
--- error_log
rejected request: alg_not_allowed



=== TEST 11: HS256 keyed with the RSA public key, even where HS256 is allowed: no oct key (A3)
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_algorithms RS256 HS256;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- more_headers eval
"Authorization: Bearer $::T{confused}"
--- error_code: 401
--- error_log
rejected request: unknown_key



=== TEST 12: unknown crit (A13)
--- more_headers eval
"Authorization: Bearer $::T{crit}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 13: empty crit (A13)
--- more_headers eval
"Authorization: Bearer $::T{crit_empty}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 14: enc in a JWS header: never take a JWE path (A12)
--- more_headers eval
"Authorization: Bearer $::T{enc}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 15: zip (A26)
--- more_headers eval
"Authorization: Bearer $::T{zip}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 16: b64 (RFC 7797) is not implemented
--- more_headers eval
"Authorization: Bearer $::T{b64}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 17: duplicate alg in the header (F8, A14)
--- more_headers eval
"Authorization: Bearer $::T{dup_alg}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 18: duplicate sub in the claims (A14)
--- more_headers eval
"Authorization: Bearer $::T{dup_sub}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 19: duplicate sub spelled with a unicode escape (A14)
--- more_headers eval
"Authorization: Bearer $::T{dup_escaped}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 20: embedded jwk header is never used (A6)
--- more_headers eval
"Authorization: Bearer $::T{jwk_embedded}"
--- error_code: 401
--- error_log
rejected request: bad_signature



=== TEST 21: jku is never fetched; its kid is unknown here (A7)
--- more_headers eval
"Authorization: Bearer $::T{jku}"
--- error_code: 401
--- error_log
rejected request: unknown_key



=== TEST 22: padding (F5, A22)
--- more_headers eval
"Authorization: Bearer $::T{pad}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 23: padding plus junk (F5)
--- more_headers eval
"Authorization: Bearer $::T{pad_junk}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 24: non-zero unused bits in the last character (F5, A22)
--- more_headers eval
"Authorization: Bearer $::T{noncanonical}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 25: standard base64 alphabet (+ and /) (A22)
--- more_headers eval
"Authorization: Bearer $::T{plus_slash}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 26: two segments
--- more_headers eval
"Authorization: Bearer $::T{two_segments}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 27: four segments
--- more_headers eval
"Authorization: Bearer $::T{four_segments}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 28: five segments (a JWE shape) (A12)
--- more_headers eval
"Authorization: Bearer $::T{jwe}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 29: empty signature segment (A11)
--- more_headers eval
"Authorization: Bearer $::T{empty_sig}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 30: empty payload segment
--- more_headers eval
"Authorization: Bearer $::T{empty_payload}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 31: header is not JSON
--- more_headers eval
"Authorization: Bearer $::T{not_json}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 32: header is a JSON array, not an object
--- more_headers eval
"Authorization: Bearer $::T{header_array}"
--- error_code: 401
--- error_log
rejected request: malformed



=== TEST 33: over auth_jwt_max_token_size, refused before decoding (A15)
--- more_headers eval
"Authorization: Bearer $::T{big}"
--- error_code: 401
--- error_log
rejected request: token_too_large



=== TEST 34: no exp (A16)
--- more_headers eval
"Authorization: Bearer $::T{no_exp}"
--- error_code: 401
--- error_log
rejected request: missing_exp



=== TEST 35: no exp, accepted where auth_jwt_require_exp is off
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_require_exp off;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- more_headers eval
"Authorization: Bearer $::T{no_exp}"
--- error_code: 200



=== TEST 36: expired (A16)
--- more_headers eval
"Authorization: Bearer $::T{expired}"
--- error_code: 401
--- error_log
rejected request: expired



=== TEST 37: exp one second ago (A16)
--- more_headers eval
"Authorization: Bearer $::T{exp_now}"
--- error_code: 401
--- error_log
rejected request: expired



=== TEST 38: expired 100s ago, within a 5m leeway
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_leeway 5m;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- more_headers eval
"Authorization: Bearer $::T{expired}"
--- error_code: 200



=== TEST 39: exp as a string (A16)
--- more_headers eval
"Authorization: Bearer $::T{exp_string}"
--- error_code: 401
--- error_log
rejected request: bad_claim



=== TEST 40: exp as a boolean (A16)
--- more_headers eval
"Authorization: Bearer $::T{exp_bool}"
--- error_code: 401
--- error_log
rejected request: bad_claim



=== TEST 41: exp beyond any date (A15)
--- more_headers eval
"Authorization: Bearer $::T{exp_huge}"
--- error_code: 401
--- error_log eval
qr/rejected request: (bad_claim|malformed)/



=== TEST 42: a fractional exp is a valid NumericDate (RFC 7519 2)
--- more_headers eval
"Authorization: Bearer $::T{exp_float}"
--- error_code: 200



=== TEST 43: nbf in the future (A16)
--- more_headers eval
"Authorization: Bearer $::T{nbf_future}"
--- error_code: 401
--- error_log
rejected request: not_yet_valid



=== TEST 44: iat in the future (A16)
--- more_headers eval
"Authorization: Bearer $::T{iat_future}"
--- error_code: 401
--- error_log
rejected request: not_yet_valid



=== TEST 45: iss with a trailing slash (A17)
--- more_headers eval
"Authorization: Bearer $::T{iss_slash}"
--- error_code: 401
--- error_log
rejected request: issuer



=== TEST 46: iss in another case (A17)
--- more_headers eval
"Authorization: Bearer $::T{iss_case}"
--- error_code: 401
--- error_log
rejected request: issuer



=== TEST 47: no iss where an issuer is configured (A17)
--- more_headers eval
"Authorization: Bearer $::T{iss_missing}"
--- error_code: 401
--- error_log
rejected request: issuer



=== TEST 48: aud for another resource server (A18)
--- more_headers eval
"Authorization: Bearer $::T{aud_other}"
--- error_code: 401
--- error_log
rejected request: audience



=== TEST 49: no aud where an audience is configured (A18)
--- more_headers eval
"Authorization: Bearer $::T{aud_missing}"
--- error_code: 401
--- error_log
rejected request: audience



=== TEST 50: aud array that contains ours passes
--- more_headers eval
"Authorization: Bearer $::T{aud_array_ok}"
--- error_code: 200



=== TEST 51: empty aud array (A18)
--- more_headers eval
"Authorization: Bearer $::T{aud_empty}"
--- error_code: 401
--- error_log eval
qr/rejected request: (audience|bad_claim)/



=== TEST 52: aud array holding a number (A18)
--- more_headers eval
"Authorization: Bearer $::T{aud_number}"
--- error_code: 401
--- error_log eval
qr/rejected request: (audience|bad_claim)/



=== TEST 53: unknown kid (A5, A25)
--- more_headers eval
"Authorization: Bearer $::T{kid_unknown}"
--- error_code: 401
--- error_log
rejected request: unknown_key



=== TEST 54: kid as a path is only an opaque lookup key (A5)
--- more_headers eval
"Authorization: Bearer $::T{kid_path}"
--- error_code: 401
--- error_log
rejected request: unknown_key



=== TEST 55: kid longer than 256 bytes (A5)
--- more_headers eval
"Authorization: Bearer $::T{kid_long}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 56: kid as a number (A5)
--- more_headers eval
"Authorization: Bearer $::T{kid_number}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 57: empty kid (A5)
--- more_headers eval
"Authorization: Bearer $::T{kid_empty}"
--- error_code: 401
--- error_log
rejected request: bad_header



=== TEST 58: ES256 header with a P-384 key (F2, A4)
--- more_headers eval
"Authorization: Bearer $::T{es256_on_p384}"
--- error_code: 401
--- error_log
rejected request: unknown_key



=== TEST 59: ES256 signature in DER form (A9)
--- more_headers eval
"Authorization: Bearer $::T{es_der}"
--- error_code: 401
--- error_log
rejected request: bad_signature



=== TEST 60: ES256 signature zero-padded to 66 bytes (F3, A9)
--- more_headers eval
"Authorization: Bearer $::T{es_padded}"
--- error_code: 401
--- error_log
rejected request: bad_signature



=== TEST 61: ES256 all-zero signature, the "psychic signature" (A8)
--- more_headers eval
"Authorization: Bearer $::T{es_zero}"
--- error_code: 401
--- error_log
rejected request: bad_signature



=== TEST 62: typ is enforced when auth_jwt_typ is set (A19)
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_typ at+jwt;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- more_headers eval
"Authorization: Bearer $::T{typ_jwt}"
--- error_code: 401
--- error_log
rejected request: token_type



=== TEST 63: typ compares case-insensitively with an optional application/ prefix
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_JWKS;
        auth_jwt_typ at+jwt;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- request eval
["GET /api", "GET /api"]
--- more_headers eval
["Authorization: Bearer $::T{typ_at}", "Authorization: Bearer $::T{typ_app_at}"]
--- error_code eval
[200, 200]



=== TEST 64: no kid and exactly one key: the key is used (rp-id_token-kid-absent-single-jwks)
--- config
    location /api {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_SOLO_JWKS;
        proxy_pass http://unix:$TEST_NGINX_ECHO_SOCKET:;
    }
--- more_headers eval
"Authorization: Bearer $::T{solo_no_kid}"
--- error_code: 200



=== TEST 65: a token in the query string is not a bearer token unless configured
--- request eval
"GET /api?access_token=$::T{valid}"
--- error_code: 401
--- error_log
no_credentials



=== TEST 66: one info line per rejection, nothing at warn or above
--- more_headers eval
"Authorization: Bearer $::T{expired}"
--- error_code: 401
--- error_log
[info]
--- no_error_log
[error]
[warn]
[alert]
[crit]
