#!/usr/bin/env perl
# Checks EdgeAuthTest.pm and the edge-auth tool behind it: perl t/helpers/selftest.pl
# (after `make cli`). Not a .t file on purpose: `prove -r t/` runs the nginx suites only.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Digest::SHA qw(hmac_sha256);
use JSON::PP;
use Test::More;

use EdgeAuthTest;

my $json = JSON::PP->new;
sub part { my ($tok, $i) = @_; return b64url_decode((split /\./, $tok, -1)[$i]) }

ok(-x cli(), 'cli() finds the binary');
ok(-d key_dir(), 'key_dir() exists');

is(b64url("\xfb\xff"), '-_8', 'b64url uses the URL alphabet, no padding');
is(b64url_decode('-_8'), "\xfb\xff", 'b64url_decode inverts it');

my %keys = (
    rsa1 => [kty => 'RSA', kid => 'rsa1'],
    rsa3 => [kty => 'RSA', bits => 1024, e => 3, kid => 'rsa3'],
    ec1  => [kty => 'EC', crv => 'P-256', kid => 'ec1', key_ops => ['verify', 'sign']],
    ec3  => [kty => 'EC', crv => 'P-384', kid => 'ec3'],
    ed1  => [kty => 'OKP', crv => 'Ed25519', kid => 'ed1', use => 'sig'],
    hs1  => [kty => 'oct', size => 32, kid => 'hs1', alg => 'HS256'],
);
for my $name (sort keys %keys) {
    my $path = gen_key(name => $name, @{ $keys{$name} });
    ok(-s $path, "gen_key $name");
}
my $mtime = (stat(gen_key(name => 'rsa1', kty => 'RSA')))[9];
is(gen_key(name => 'rsa1', kty => 'RSA'), key_path('rsa1'), 'gen_key caches by name');
is((stat(key_path('rsa1')))[9], $mtime, 'a cached key is not rewritten');

my $rsa3 = $json->decode(do { local (@ARGV, $/) = key_path('rsa3'); <> });
is($rsa3->{e}, 'Aw', 'RSA exponent 3');

my $jwks_path = write_jwks('jwks.json', sort keys %keys);
my $jwks = $json->decode(do { local (@ARGV, $/) = $jwks_path; <> });
is(scalar @{ $jwks->{keys} }, 6, 'write_jwks writes every key');
for my $k (@{ $jwks->{keys} }) {
    if ($k->{kty} eq 'oct') {
        ok(exists $k->{k}, 'oct key kept whole');
    } else {
        ok(!grep({ exists $k->{$_} } qw(d p q dp dq qi)), "$k->{kid} has no private members");
    }
}
is_deeply((grep { $_->{kid} eq 'ec1' } @{ $jwks->{keys} })[0]{key_ops}, ['verify', 'sign'],
    'key_ops kept');

my $now = 1_700_000_000;
for my $case ([rsa1 => 'RS256'], [rsa1 => 'PS384'], [rsa3 => 'RS256'], [ec1 => 'ES256'],
              [ec3 => 'ES384'], [ed1 => 'EdDSA'], [hs1 => 'HS256']) {
    my ($key, $alg) = @$case;
    my $tok = sign(key => $key, alg => $alg, claims => { sub => 'alice' }, ttl => 60,
                   now => $now);
    like($tok, qr/^[\w-]+\.[\w-]+\.[\w-]+$/, "$alg token is compact base64url");
    is_deeply($json->decode(part($tok, 0)), { alg => $alg, typ => 'JWT', kid => $key },
        "$alg default header");
    is(part($tok, 1), '{"exp":1700000060,"iat":1700000000,"sub":"alice"}',
        "$alg claims are canonical JSON with iat/exp");
}

# HMAC is checkable with core Perl: an independent check of the signing input and encoding.
my $secret = b64url_decode($json->decode(do { local (@ARGV, $/) = key_path('hs1'); <> })->{k});
my $hs = sign(key => 'hs1', claims => { sub => 'bob' });
my ($h, $p, $s) = split /\./, $hs;
is($s, b64url(hmac_sha256("$h.$p", $secret)), 'HS256 signature matches Digest::SHA');

my $es = sign(key => 'ec1');
is(length(part($es, 2)), 64, 'ES256 signature is raw r||s, 64 bytes');
is(length(part(sign(key => 'ec3'), 2)), 96, 'ES384 signature is 96 bytes');

my $tampered = tamper_signature($es);
isnt($tampered, $es, 'tamper_signature changes the token');
is(length(part($tampered, 2)), 64, '... keeping the signature length');
my ($a, $b) = (part($es, 2), part($tampered, 2));
is(unpack('%32b*', $a ^ $b), 1, '... by exactly one bit');

my $none = sign(alg => 'none', claims => { sub => 'x' });
like($none, qr/\.$/, 'alg none has an empty signature');
is_deeply($json->decode(part($none, 0)), { alg => 'none', typ => 'JWT' }, 'none header');

my $raw = sign(key => 'rsa1', raw_header => '{"alg":"RS256","alg":"none"}', raw => 'not json');
is(part($raw, 0), '{"alg":"RS256","alg":"none"}', 'raw_header is verbatim');
is(part($raw, 1), 'not json', 'raw claims are verbatim');

my $hdr = sign(key => 'rsa1', header => { alg => 'RS256', crit => ['exp'] });
is(part($hdr, 0), '{"alg":"RS256","crit":["exp"]}', 'header hash is canonical JSON');

my $nokid = sign(key => 'rsa1', no_kid => 1, typ => 'at+jwt');
is_deeply($json->decode(part($nokid, 0)), { alg => 'RS256', typ => 'at+jwt' },
    'no_kid and typ');

is((split /\./, sign(key => 'rsa1', signature => 'AAAA='))[2], 'AAAA=', 'signature verbatim');

is(part(sign(key => 'hs1', raw => "a\0b\xff"), 1), "a\0b\xff", 'raw claims are any bytes');
my $pad = sign(key => 'hs1', claims_b64 => 'e30=', header_b64 => 'eyJhbGciOiJIUzI1NiJ9');
like($pad, qr/^eyJhbGciOiJIUzI1NiJ9\.e30=\.[\w-]+$/, 'segments verbatim, even padded');
{
    use utf8;
    my $u = sign(key => 'hs1', claims => { name => "é✓" });
    is(part($u, 1), "{\"name\":\"\xc3\xa9\xe2\x9c\x93\"}", 'character strings become UTF-8');
}
is(part(sign(key => 'hs1', claims => { name => "\xc3\xa9" }), 1), "{\"name\":\"\xc3\xa9\"}",
    'UTF-8 byte strings pass through');

ok(!eval { sign(key => 'rsa1', raw => '{}', ttl => 5); 1 }, 'ttl with raw dies');
ok(!eval { sign(key => 'nokey'); 1 }, 'unknown key dies');
ok(!eval { sign(key => 'hs1', alg => 'RS256'); 1 }, 'tool failure dies');
ok(!eval { tamper_signature($none); 1 }, 'tamper_signature needs a signature');

done_testing();
