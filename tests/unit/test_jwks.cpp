// Key policy at JWKS ingest, document caps, and key selection.

#include <openssl/core_names.h>

#include "base64url.h"
#include "jwk.h"
#include "unit.h"

using edge_auth::Alg;
using edge_auth::KeySet;
using edge_auth::Status;

namespace {

// Loads a one-key document and returns the warnings; asserts the key was dropped (or kept).
std::vector<std::string> load_one(const std::string &jwk, bool expect_kept)
{
    std::vector<std::string> warnings;
    KeySet set = unit::keyset(unit::jwks({jwk}), &warnings);
    ck_assert_msg(set.size() == (expect_kept ? 1u : 0u), "%s: kept %zu keys", jwk.substr(0, 80).c_str(), set.size());
    if (!expect_kept) {
        ck_assert_uint_eq(warnings.size(), 1);
    }
    return warnings;
}

void expect_dropped(const std::string &jwk, const char *reason_part)
{
    std::vector<std::string> w = load_one(jwk, false);
    ck_assert_msg(w[0].find(reason_part) != std::string::npos, "warning \"%s\" lacks \"%s\"", w[0].c_str(),
        reason_part);
    ck_assert_msg(w[0].find("dropped") != std::string::npos, "warning: %s", w[0].c_str());
}

// An RSA JWK with its e replaced.
std::string rsa_with_e(const std::string &e_bytes)
{
    std::string jwk = test::public_jwk(test::keys().rsa2048, "\"kid\":\"e\"");
    size_t at = jwk.find("\"e\":\"") + 5;
    size_t end = jwk.find('"', at);
    return jwk.substr(0, at) + edge_auth::base64url_encode(e_bytes) + jwk.substr(end);
}

std::string b64(const std::string &s)
{
    return edge_auth::base64url_encode(s);
}

bool document_fails(const std::string &doc, const char *err_part)
{
    KeySet set;
    std::string err;
    bool ok = set.add_document(doc, nullptr, err);
    ck_assert_msg(!ok, "document accepted");
    ck_assert_uint_eq(set.size(), 0);
    ck_assert_msg(err.find(err_part) != std::string::npos, "error \"%s\" lacks \"%s\"", err.c_str(), err_part);
    return true;
}

} // namespace

// ---- key policy ----------------------------------------------------------------------------

START_TEST(drops_weak_rsa)
{
    const test::Keys &k = test::keys();
    expect_dropped(test::public_jwk(k.rsa1024, "\"kid\":\"small\""), "under 2048");
    expect_dropped(test::public_jwk(k.rsa2048_e3, "\"kid\":\"e3\""), "exponent 3 ");
    expect_dropped(rsa_with_e("\x01"), "exponent 1 ");
    expect_dropped(rsa_with_e(std::string("\x01\x00\x02", 3)), "exponent 65538 ");
    expect_dropped(rsa_with_e(std::string("\x01\x00\x00\x00\x00\x00\x00\x00\x01", 9)), "over 64 bits");
    // A larger odd exponent is legal and accepted (key import only: the key's real e is 65537).
    load_one(rsa_with_e(std::string("\x01\x00\x03", 3)), true);
    // An even modulus.
    std::string jwk = test::public_jwk(k.rsa2048, "");
    std::string n;
    size_t at = jwk.find("\"n\":\"") + 5, end = jwk.find('"', at);
    edge_auth::base64url_decode(jwk.substr(at, end - at), n);
    n.back() = static_cast<char>(n.back() & 0xfe);
    expect_dropped(jwk.substr(0, at) + b64(n) + jwk.substr(end), "even");
    // Missing or non-canonical members.
    expect_dropped("{\"kty\":\"RSA\",\"e\":\"AQAB\"}", "n is missing");
    expect_dropped("{\"kty\":\"RSA\",\"n\":\"AQAB=\",\"e\":\"AQAB\"}", "not canonical");
    // A leading zero byte on n is tolerated.
    load_one(jwk.substr(0, at) + b64(std::string(1, '\0') + [&] {
        std::string nn;
        edge_auth::base64url_decode(jwk.substr(at, end - at), nn);
        return nn;
    }()) + jwk.substr(end),
        true);
}
END_TEST

START_TEST(roca_fingerprint)
{
    const test::Keys &k = test::keys();
    for (EVP_PKEY *p : {k.rsa2048, k.rsa2048b, k.rsa3072, k.rsa1024}) {
        BIGNUM *bn = nullptr;
        EVP_PKEY_get_bn_param(p, OSSL_PKEY_PARAM_RSA_N, &bn);
        std::string n(static_cast<size_t>(BN_num_bytes(bn)), '\0');
        BN_bn2bin(bn, reinterpret_cast<unsigned char *>(n.data()));
        BN_free(bn);
        ck_assert(!edge_auth::rsa_modulus_has_roca_fingerprint(reinterpret_cast<const unsigned char *>(n.data()),
            n.size()));
    }
    // A modulus built as 65537^a mod M for the primorial M has the fingerprint by construction.
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *m = BN_new(), *g = BN_new(), *a = BN_new(), *v = BN_new();
    BN_one(m);
    for (unsigned p = 3; p < 170; p += 2) {
        bool prime = true;
        for (unsigned d = 3; d * d <= p; d += 2) {
            prime = prime && p % d != 0;
        }
        if (prime) {
            BN_mul_word(m, p);
        }
    }
    BN_set_word(g, 65537);
    BN_set_word(a, 123456789);
    BN_mod_exp(v, g, a, m, ctx);
    std::string vb(static_cast<size_t>(BN_num_bytes(v)), '\0');
    BN_bn2bin(v, reinterpret_cast<unsigned char *>(vb.data()));
    ck_assert(edge_auth::rsa_modulus_has_roca_fingerprint(reinterpret_cast<const unsigned char *>(vb.data()), vb.size()));
    BN_free(m);
    BN_free(g);
    BN_free(a);
    BN_free(v);
    BN_CTX_free(ctx);
}
END_TEST

START_TEST(drops_bad_ec)
{
    const test::Keys &k = test::keys();
    std::string good = test::public_jwk(k.p256, "\"kid\":\"ec\"");
    load_one(good, true);
    // Off-curve point: y changed.
    size_t at = good.find("\"y\":\"") + 5, end = good.find('"', at);
    std::string y;
    edge_auth::base64url_decode(good.substr(at, end - at), y);
    y[31] = static_cast<char>(y[31] ^ 1);
    expect_dropped(good.substr(0, at) + b64(y) + good.substr(end), "not on curve");
    // P-256 coordinates labelled P-384: wrong size.
    std::string relabelled = good;
    relabelled.replace(relabelled.find("P-256"), 5, "P-384");
    expect_dropped(relabelled, "exactly 48 bytes");
    // Coordinates one byte short (leading zero stripped), or padded.
    std::string x;
    size_t xa = good.find("\"x\":\"") + 5, xe = good.find('"', xa);
    edge_auth::base64url_decode(good.substr(xa, xe - xa), x);
    expect_dropped(good.substr(0, xa) + b64(x.substr(1)) + good.substr(xe), "exactly 32 bytes");
    expect_dropped(good.substr(0, xa) + b64(std::string(1, '\0') + x) + good.substr(xe), "exactly 32 bytes");
    // Unknown and non-EC curves.
    expect_dropped("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}", "not supported");
    expect_dropped("{\"kty\":\"EC\",\"crv\":\"Ed25519\",\"x\":\"AA\",\"y\":\"AA\"}", "not supported");
    expect_dropped("{\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"}", "crv is missing");
    // The point at infinity / all-zero coordinates.
    expect_dropped("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + b64(std::string(32, '\0')) + "\",\"y\":\""
            + b64(std::string(32, '\0')) + "\"}",
        "not on curve");
}
END_TEST

START_TEST(drops_bad_okp)
{
    load_one(test::public_jwk(test::keys().ed25519, ""), true);
    expect_dropped("{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"" + b64(std::string(57, 'a')) + "\"}", "Ed448");
    expect_dropped("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + b64(std::string(32, 'a')) + "\"}",
        "key-agreement");
    expect_dropped("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + b64(std::string(31, 'a')) + "\"}", "32 bytes");
    expect_dropped("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + b64(std::string(33, 'a')) + "\"}", "32 bytes");
}
END_TEST

START_TEST(oct_length_policy)
{
    expect_dropped(test::oct_jwk(std::string(31, 'k'), "\"kid\":\"short\""), "shorter than 32");
    expect_dropped(test::oct_jwk("", "\"kid\":\"empty\""), "shorter than 32");
    // 32 bytes: HS256 only. 48: HS256 and HS384. A declared alg beyond the length is dropped.
    expect_dropped(test::oct_jwk(std::string(32, 'k'), "\"alg\":\"HS384\""), "at least 48 bytes");
    expect_dropped(test::oct_jwk(std::string(47, 'k'), "\"alg\":\"HS384\""), "at least 48 bytes");
    expect_dropped(test::oct_jwk(std::string(63, 'k'), "\"alg\":\"HS512\""), "at least 64 bytes");
    load_one(test::oct_jwk(std::string(64, 'k'), "\"alg\":\"HS512\""), true);

    KeySet set = unit::keyset(unit::jwks({test::oct_jwk(std::string(32, 'k'), "")}));
    ck_assert_uint_eq(set.at(0).alg_bits(), edge_auth::alg_bit(Alg::HS256));
    set = unit::keyset(unit::jwks({test::oct_jwk(std::string(48, 'k'), "")}));
    ck_assert_uint_eq(set.at(0).alg_bits(), edge_auth::alg_bit(Alg::HS256) | edge_auth::alg_bit(Alg::HS384));
    // Through the pipeline: an HS512 token against a 48-byte key finds no key.
    test::SignKey sk = unit::hmac_signer(std::string(48, 'k'));
    ck_assert_status(unit::verify(unit::token(Alg::HS512, sk, unit::good_claims()), set, unit::all_algs_policy()),
        Status::UnknownKey);
    ck_assert_status(unit::verify(unit::token(Alg::HS384, sk, unit::good_claims()), set, unit::all_algs_policy()),
        Status::Ok);
}
END_TEST

START_TEST(use_and_key_ops)
{
    EVP_PKEY *p = test::keys().p256;
    load_one(test::public_jwk(p, "\"use\":\"sig\""), true);
    load_one(test::public_jwk(p, "\"key_ops\":[\"verify\"]"), true);
    load_one(test::public_jwk(p, "\"key_ops\":[\"sign\",\"verify\"]"), true);
    expect_dropped(test::public_jwk(p, "\"use\":\"enc\""), "use is not \"sig\"");
    expect_dropped(test::public_jwk(p, "\"use\":\"SIG\""), "use is not \"sig\"");
    expect_dropped(test::public_jwk(p, "\"use\":1"), "use is not \"sig\"");
    expect_dropped(test::public_jwk(p, "\"key_ops\":[\"encrypt\"]"), "lacks \"verify\"");
    expect_dropped(test::public_jwk(p, "\"key_ops\":[]"), "lacks \"verify\"");
    expect_dropped(test::public_jwk(p, "\"key_ops\":\"verify\""), "not an array");
    expect_dropped(test::public_jwk(p, "\"key_ops\":[\"verify\",1]"), "non-string");
}
END_TEST

START_TEST(alg_member_policy)
{
    const test::Keys &k = test::keys();
    expect_dropped(test::public_jwk(k.p256, "\"alg\":\"ES521\""), "not a supported signature algorithm");
    expect_dropped(test::public_jwk(k.p256, "\"alg\":\"ES224\""), "not a supported signature algorithm");
    expect_dropped(test::public_jwk(k.p256, "\"alg\":\"none\""), "not a supported signature algorithm");
    expect_dropped(test::public_jwk(k.p256, "\"alg\":\"es256\""), "not a supported signature algorithm");
    expect_dropped(test::public_jwk(k.p256, "\"alg\":\"ES384\""), "does not fit this EC P-256 key");
    expect_dropped(test::public_jwk(k.p256, "\"alg\":\"RS256\""), "does not fit");
    expect_dropped(test::public_jwk(k.rsa2048, "\"alg\":\"ES256\""), "does not fit this RSA key");
    expect_dropped(test::public_jwk(k.rsa2048, "\"alg\":\"RSA-OAEP\""), "not a supported");
    expect_dropped(test::public_jwk(k.rsa2048, "\"alg\":\"HS256\""), "does not fit");
    expect_dropped(test::public_jwk(k.ed25519, "\"alg\":\"ES256\""), "does not fit");
    expect_dropped(test::oct_jwk(std::string(32, 'k'), "\"alg\":\"A256GCM\""), "not a supported");
    expect_dropped(test::oct_jwk(std::string(32, 'k'), "\"alg\":\"RS256\""), "does not fit");
    expect_dropped(test::public_jwk(k.p256, "\"alg\":256"), "alg is not a string");
    load_one(test::public_jwk(k.ed25519, "\"alg\":\"EdDSA\""), true);
}
END_TEST

START_TEST(kty_and_kid_members)
{
    expect_dropped("{\"kty\":\"DSA\"}", "kty \"DSA\" is not supported");
    expect_dropped("{\"kty\":\"rsa\"}", "not supported");
    expect_dropped("{\"n\":\"AQAB\"}", "kty is missing");
    expect_dropped("{\"kty\":7}", "kty is missing");
    expect_dropped(test::public_jwk(test::keys().p256, "\"kid\":5"), "kid is not a string");
    expect_dropped(test::public_jwk(test::keys().p256, "\"kid\":\"\""), "kid is empty");
    expect_dropped("[1]", "not a JSON object");
    // Wycheproof json_web_key tc 24: EC coordinates under kty RSA.
    expect_dropped("{\"kty\":\"RSA\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}", "n is missing");
}
END_TEST

START_TEST(private_members_ignored_with_note)
{
    std::string jwk = test::public_jwk(test::keys().p256, "\"kid\":\"priv\",\"d\":\"AAAA\"");
    std::vector<std::string> w = load_one(jwk, true);
    ck_assert_uint_eq(w.size(), 1);
    ck_assert_msg(w[0].find("private key members ignored") != std::string::npos, "%s", w[0].c_str());
    ck_assert_msg(w[0].find("kid \"priv\"") != std::string::npos, "%s", w[0].c_str());
}
END_TEST

START_TEST(warnings_escape_kid)
{
    std::vector<std::string> w;
    KeySet set = unit::keyset(unit::jwks({"{\"kty\":\"oct\",\"kid\":\"a\\nb\\u001b[31m\",\"k\":\"AA\"}"}), &w);
    ck_assert_uint_eq(w.size(), 1);
    for (char c : w[0]) {
        ck_assert_msg(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control byte in warning");
    }
    ck_assert_msg(w[0].find("\\x0a") != std::string::npos, "%s", w[0].c_str());
    ck_assert_msg(w[0].find("JWK #0") != std::string::npos, "%s", w[0].c_str());
}
END_TEST

START_TEST(one_bad_key_never_fails_document)
{
    const test::Keys &k = test::keys();
    std::vector<std::string> w;
    KeySet set = unit::keyset(unit::jwks({test::public_jwk(k.rsa1024, "\"kid\":\"weak\""),
                                  test::public_jwk(k.p256, "\"kid\":\"good\""), "17", "{\"kty\":\"foo\"}",
                                  test::public_jwk(k.ed25519, "\"kid\":\"ed\"")}),
        &w);
    ck_assert_uint_eq(set.size(), 2);
    ck_assert_uint_eq(w.size(), 3);
    ck_assert_str_eq(set.at(0).kid().c_str(), "good");
    ck_assert_str_eq(set.at(1).kid().c_str(), "ed");
}
END_TEST

START_TEST(document_caps_and_shape)
{
    const test::Keys &k = test::keys();
    document_fails("not json", "invalid JSON");
    document_fails("[]", "not an object");
    document_fails("{\"keys\":[],\"keys\":[]}", "duplicate");
    document_fails("{\"keys\":{}}", "not an array");
    document_fails("{\"foo\":1}", "neither");
    // kid over 256 bytes refuses the document, even next to good keys.
    document_fails(unit::jwks({test::public_jwk(k.p256, "\"kid\":\"ok\""),
                       test::public_jwk(k.p256, "\"kid\":\"" + std::string(257, 'k') + "\"")}),
        "longer than 256");
    // 256 bytes is fine.
    unit::keyset(unit::jwks({test::public_jwk(k.p256, "\"kid\":\"" + std::string(256, 'k') + "\"")}));
    // 101 keys.
    std::vector<std::string> many(101, test::oct_jwk(std::string(32, 'k'), ""));
    document_fails(unit::jwks(many), "more than 100");
    many.resize(100);
    KeySet hundred = unit::keyset(unit::jwks(many));
    ck_assert_uint_eq(hundred.size(), 100);
    // Over 1 MiB.
    document_fails("{\"keys\":[],\"pad\":\"" + std::string(1 << 20, 'x') + "\"}", "1 MiB");
    // Too deep.
    document_fails("{\"keys\":[{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}]}", "too deep");
    // A single JWK document.
    KeySet single = unit::keyset(test::public_jwk(k.p256, "\"kid\":\"solo\""));
    ck_assert_uint_eq(single.size(), 1);
    // Documents accumulate; a refused document leaves the set unchanged.
    std::string err;
    ck_assert(!single.add_document("{\"keys\":[" + test::public_jwk(k.p384, "") + ",{\"kty\":\"oct\",\"kid\":\""
            + std::string(300, 'x') + "\",\"k\":\"AA\"}]}",
        nullptr, err));
    ck_assert_uint_eq(single.size(), 1);
    ck_assert(single.add_document(unit::jwks({test::public_jwk(k.p384, "")}), nullptr, err));
    ck_assert_uint_eq(single.size(), 2);
}
END_TEST

START_TEST(set_total_cap)
{
    KeySet set;
    std::string err;
    std::vector<std::string> hundred(100, test::oct_jwk(std::string(32, 'k'), ""));
    for (int i = 0; i < 10; i++) {
        ck_assert(set.add_document(unit::jwks(hundred), nullptr, err));
    }
    ck_assert_uint_eq(set.size(), 1000);
    ck_assert(!set.add_document(unit::jwks({hundred[0]}), nullptr, err));
    ck_assert_msg(err.find("1000") != std::string::npos, "%s", err.c_str());
}
END_TEST

// ---- key selection -------------------------------------------------------------------------

START_TEST(selects_by_kid)
{
    const test::Keys &k = test::keys();
    KeySet set = unit::keyset(unit::jwks({test::public_jwk(k.rsa2048, "\"kid\":\"a\""),
        test::public_jwk(k.rsa2048b, "\"kid\":\"b\"")}));
    auto pol = unit::default_policy();
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(k.rsa2048), unit::good_claims(), "a"), set, pol),
        Status::Ok);
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(k.rsa2048b), unit::good_claims(), "b"), set, pol),
        Status::Ok);
    // Right kid, wrong key behind it: no fallback to the other key.
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(k.rsa2048b), unit::good_claims(), "a"), set, pol),
        Status::BadSignature);
    std::string detail;
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(k.rsa2048), unit::good_claims(), "c"), set, pol,
                         unit::kNow, nullptr, &detail),
        Status::UnknownKey);
    ck_assert_msg(detail.find("no key with kid \"c\"") != std::string::npos, "%s", detail.c_str());
    // kid compared byte for byte.
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(k.rsa2048), unit::good_claims(), "A"), set, pol),
        Status::UnknownKey);
    // Without kid: both keys are candidates and the right one is found.
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(k.rsa2048b), unit::good_claims()), set, pol),
        Status::Ok);
}
END_TEST

START_TEST(kid_in_token_never_matches_kidless_key)
{
    const test::Keys &k = test::keys();
    KeySet set = unit::keyset(unit::jwks({test::public_jwk(k.p256, "")}));
    ck_assert_status(unit::verify(unit::token(Alg::ES256, unit::signer(k.p256), unit::good_claims(), "x"), set,
                         unit::default_policy()),
        Status::UnknownKey);
    ck_assert_status(unit::verify(unit::token(Alg::ES256, unit::signer(k.p256), unit::good_claims()), set,
                         unit::default_policy()),
        Status::Ok);
}
END_TEST

START_TEST(bounded_tries_without_kid)
{
    const test::Keys &k = test::keys();
    // Four P-256 keys, the signer last: found.
    std::vector<EVP_PKEY *> others;
    std::vector<std::string> jwks4;
    for (int i = 0; i < 3; i++) {
        others.push_back(test::generate_ec("P-256"));
        jwks4.push_back(test::public_jwk(others.back(), ""));
    }
    jwks4.push_back(test::public_jwk(k.p256, ""));
    KeySet four = unit::keyset(unit::jwks(jwks4));
    std::string tok = unit::token(Alg::ES256, unit::signer(k.p256), unit::good_claims());
    ck_assert_status(unit::verify(tok, four, unit::default_policy()), Status::Ok);
    // Five: refused without trying, even though the signer is among them.
    jwks4.insert(jwks4.begin(), test::public_jwk(k.p256b, ""));
    KeySet five = unit::keyset(unit::jwks(jwks4));
    std::string detail;
    ck_assert_status(unit::verify(tok, five, unit::default_policy(), unit::kNow, nullptr, &detail), Status::UnknownKey);
    ck_assert_msg(detail.find("more than 4") != std::string::npos, "%s", detail.c_str());
    // Keys of other algorithms do not count towards the bound.
    std::vector<std::string> mixed = {test::public_jwk(k.rsa2048, ""), test::public_jwk(k.rsa2048b, ""),
        test::public_jwk(k.ed25519, ""), test::public_jwk(k.p384, ""), test::public_jwk(k.p521, ""),
        test::public_jwk(k.p256, "")};
    KeySet m = unit::keyset(unit::jwks(mixed));
    ck_assert_status(unit::verify(tok, m, unit::default_policy()), Status::Ok);
    for (EVP_PKEY *p : others) {
        EVP_PKEY_free(p);
    }
}
END_TEST

START_TEST(duplicate_kid_keeps_both)
{
    const test::Keys &k = test::keys();
    // Rotation: two keys under one kid, same kty and alg. Both are tried.
    KeySet set = unit::keyset(unit::jwks({test::public_jwk(k.p256b, "\"kid\":\"dup\",\"alg\":\"ES256\""),
        test::public_jwk(k.p256, "\"kid\":\"dup\",\"alg\":\"ES256\"")}));
    ck_assert_uint_eq(set.size(), 2);
    ck_assert_status(unit::verify(unit::token(Alg::ES256, unit::signer(k.p256), unit::good_claims(), "dup"), set,
                         unit::default_policy()),
        Status::Ok);
    // Five keys sharing a kid hit the same bound.
    std::vector<std::string> five(5, test::public_jwk(k.p256b, "\"kid\":\"dup\""));
    KeySet fs = unit::keyset(unit::jwks(five));
    ck_assert_status(unit::verify(unit::token(Alg::ES256, unit::signer(k.p256b), unit::good_claims(), "dup"), fs,
                         unit::default_policy()),
        Status::UnknownKey);
}
END_TEST

START_TEST(dropped_keys_are_not_candidates)
{
    const test::Keys &k = test::keys();
    for (const char *extra : {"\"kid\":\"k\",\"use\":\"enc\"", "\"kid\":\"k\",\"key_ops\":[\"encrypt\"]"}) {
        KeySet set = unit::keyset(unit::jwks({test::public_jwk(k.p256, extra)}));
        ck_assert_status(unit::verify(unit::token(Alg::ES256, unit::signer(k.p256), unit::good_claims(), "k"), set,
                             unit::default_policy()),
            Status::NoKeys);
    }
    KeySet set = unit::keyset(unit::jwks({test::public_jwk(k.rsa1024, "\"kid\":\"k\""),
        test::public_jwk(k.p256, "\"kid\":\"other\"")}));
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(k.rsa1024), unit::good_claims(), "k"), set,
                         unit::default_policy()),
        Status::UnknownKey);
}
END_TEST

START_TEST(empty_set_is_no_keys)
{
    KeySet empty;
    const test::Keys &k = test::keys();
    ck_assert_status(unit::verify(unit::token(Alg::ES256, unit::signer(k.p256), unit::good_claims()), empty,
                         unit::default_policy()),
        Status::NoKeys);
    // A malformed token is still malformed: the set is only consulted for a well-formed one.
    ck_assert_status(unit::verify("a.b", empty, unit::default_policy()), Status::Malformed);
    KeySet dropped_all = unit::keyset(unit::jwks({test::public_jwk(k.rsa1024, "")}));
    ck_assert_uint_eq(dropped_all.size(), 0);
}
END_TEST

Suite *jwks_suite()
{
    Suite *s = suite_create("jwks");
    TCase *policy = tcase_create("key policy");
    tcase_set_timeout(policy, 60);
    tcase_add_test(policy, drops_weak_rsa);
    tcase_add_test(policy, roca_fingerprint);
    tcase_add_test(policy, drops_bad_ec);
    tcase_add_test(policy, drops_bad_okp);
    tcase_add_test(policy, oct_length_policy);
    tcase_add_test(policy, use_and_key_ops);
    tcase_add_test(policy, alg_member_policy);
    tcase_add_test(policy, kty_and_kid_members);
    tcase_add_test(policy, private_members_ignored_with_note);
    tcase_add_test(policy, warnings_escape_kid);
    tcase_add_test(policy, one_bad_key_never_fails_document);
    tcase_add_test(policy, document_caps_and_shape);
    tcase_add_test(policy, set_total_cap);
    suite_add_tcase(s, policy);
    TCase *sel = tcase_create("key selection");
    tcase_set_timeout(sel, 60);
    tcase_add_test(sel, selects_by_kid);
    tcase_add_test(sel, kid_in_token_never_matches_kidless_key);
    tcase_add_test(sel, bounded_tries_without_kid);
    tcase_add_test(sel, duplicate_kid_keeps_both);
    tcase_add_test(sel, dropped_keys_are_not_candidates);
    tcase_add_test(sel, empty_set_is_no_keys);
    suite_add_tcase(s, sel);
    return s;
}

UNIT_SUITE(jwks_suite);
