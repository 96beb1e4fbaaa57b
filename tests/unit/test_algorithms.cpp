// Every algorithm, positive and negative, through the full verification pipeline.

#include <atomic>
#include <thread>
#include <vector>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "base64url.h"
#include "signature.h"
#include "unit.h"

using edge_auth::Alg;
using edge_auth::alg_info;
using edge_auth::Status;

namespace {

struct AlgCase {
    Alg alg;
    test::SignKey key;     // signs the tokens, its public part is in the key set
    test::SignKey other;   // same type, not in the key set
};

AlgCase alg_case(Alg a)
{
    const test::Keys &k = test::keys();
    switch (a) {
    case Alg::RS256:
    case Alg::RS384:
    case Alg::RS512:
    case Alg::PS256:
    case Alg::PS384:
    case Alg::PS512:
        return {a, unit::signer(k.rsa2048), unit::signer(k.rsa2048b)};
    case Alg::ES256:
        return {a, unit::signer(k.p256), unit::signer(k.p256b)};
    case Alg::ES384:
        return {a, unit::signer(k.p384), unit::signer(k.p384b)};
    case Alg::ES512:
        return {a, unit::signer(k.p521), unit::signer(k.p521b)};
    case Alg::EdDSA:
        return {a, unit::signer(k.ed25519), unit::signer(k.ed25519b)};
    case Alg::HS256:
        return {a, unit::hmac_signer(k.hs32), unit::hmac_signer(std::string(32, 'x'))};
    case Alg::HS384:
        return {a, unit::hmac_signer(k.hs48), unit::hmac_signer(std::string(48, 'x'))};
    default:
        return {a, unit::hmac_signer(k.hs64), unit::hmac_signer(std::string(64, 'x'))};
    }
}

std::string jwk_of(const test::SignKey &key, const std::string &extra)
{
    return key.pkey ? test::public_jwk(key.pkey, extra) : test::oct_jwk(key.secret, extra);
}

// Replaces the signature segment of a token.
std::string with_signature(const std::string &tok, const std::string &sig_bytes)
{
    return tok.substr(0, tok.rfind('.') + 1) + edge_auth::base64url_encode(sig_bytes);
}

std::string signature_of(const std::string &tok)
{
    std::string sig;
    ck_assert(edge_auth::base64url_decode(tok.substr(tok.rfind('.') + 1), sig));
    return sig;
}

constexpr Alg kAll[] = {Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS256, Alg::PS384, Alg::PS512, Alg::ES256,
    Alg::ES384, Alg::ES512, Alg::EdDSA, Alg::HS256, Alg::HS384, Alg::HS512};

} // namespace

START_TEST(each_alg_verifies)
{
    AlgCase c = alg_case(kAll[_i]);
    const char *name = alg_info(c.alg).name;
    // Without and with the key's own alg member.
    for (const std::string &extra : {std::string("\"kid\":\"k1\""),
             std::string("\"kid\":\"k1\",\"alg\":\"") + name + "\",\"use\":\"sig\""}) {
        auto keys = unit::keyset(unit::jwks({jwk_of(c.key, extra)}));
        std::unique_ptr<edge_auth::VerifiedToken> out;
        std::string detail;
        Status s = unit::verify(unit::token(c.alg, c.key, unit::good_claims(), "k1"), keys, unit::all_algs_policy(),
            unit::kNow, &out, &detail);
        ck_assert_msg(s == Status::Ok, "%s: %s (%s)", name, edge_auth::status_reason(s), detail.c_str());
        ck_assert_ptr_nonnull(out.get());
        ck_assert_str_eq(out->alg().name, name);
        ck_assert(out->has_exp());
        ck_assert_int_eq(out->exp(), unit::kNow + 600);
        // Without kid, one key: the key is found anyway.
        s = unit::verify(unit::token(c.alg, c.key, unit::good_claims()), keys, unit::all_algs_policy());
        ck_assert_msg(s == Status::Ok, "%s without kid: %s", name, edge_auth::status_reason(s));
    }
}
END_TEST

START_TEST(each_alg_rejects_wrong_key)
{
    AlgCase c = alg_case(kAll[_i]);
    auto keys = unit::keyset(unit::jwks({jwk_of(c.key, "\"kid\":\"k1\"")}));
    Status s = unit::verify(unit::token(c.alg, c.other, unit::good_claims(), "k1"), keys, unit::all_algs_policy());
    ck_assert_status(s, Status::BadSignature);
}
END_TEST

START_TEST(each_alg_rejects_tampering)
{
    AlgCase c = alg_case(kAll[_i]);
    auto keys = unit::keyset(unit::jwks({jwk_of(c.key, "\"kid\":\"k1\"")}));
    std::string tok = unit::token(c.alg, c.key, unit::good_claims(), "k1");

    // Payload swapped for another valid payload, signature kept.
    std::string forged_claims = "{\"sub\":\"admin\",\"exp\":" + std::to_string(unit::kNow + 600) + "}";
    size_t d1 = tok.find('.'), d2 = tok.rfind('.');
    std::string forged = tok.substr(0, d1 + 1) + edge_auth::base64url_encode(forged_claims) + tok.substr(d2);
    ck_assert_status(unit::verify(forged, keys, unit::all_algs_policy()), Status::BadSignature);

    // One bit of the signature flipped (the last byte, so ECDSA s stays non-zero).
    std::string sig = signature_of(tok);
    sig.back() = static_cast<char>(sig.back() ^ 0x01);
    ck_assert_status(unit::verify(with_signature(tok, sig), keys, unit::all_algs_policy()), Status::BadSignature);

    // Header swapped (kid changed to a kid that also exists would need a second key; here the
    // header changes while the key stays the same).
    std::string header2 = std::string("{\"alg\":\"") + alg_info(c.alg).name + "\",\"kid\":\"k1\",\"x\":1}";
    std::string reheaded = edge_auth::base64url_encode(header2) + tok.substr(d1);
    ck_assert_status(unit::verify(reheaded, keys, unit::all_algs_policy()), Status::BadSignature);
}
END_TEST

START_TEST(each_alg_checks_signature_length)
{
    AlgCase c = alg_case(kAll[_i]);
    auto keys = unit::keyset(unit::jwks({jwk_of(c.key, "\"kid\":\"k1\"")}));
    std::string tok = unit::token(c.alg, c.key, unit::good_claims(), "k1");
    std::string sig = signature_of(tok);
    std::string detail;

    // One byte more: a trailing zero, and a leading zero (the zero-padding trick of F3).
    ck_assert_status(unit::verify(with_signature(tok, sig + std::string(1, '\0')), keys, unit::all_algs_policy(),
                         unit::kNow, nullptr, &detail),
        Status::BadSignature);
    ck_assert_msg(detail.find("bytes") != std::string::npos, "detail: %s", detail.c_str());
    ck_assert_status(unit::verify(with_signature(tok, std::string(1, '\0') + sig), keys, unit::all_algs_policy()),
        Status::BadSignature);
    // One byte less, and a single byte (the HS heap over-read of F4).
    ck_assert_status(unit::verify(with_signature(tok, sig.substr(1)), keys, unit::all_algs_policy()),
        Status::BadSignature);
    ck_assert_status(unit::verify(with_signature(tok, sig.substr(0, 1)), keys, unit::all_algs_policy()),
        Status::BadSignature);
}
END_TEST

START_TEST(hmac_needs_explicit_policy)
{
    AlgCase c = alg_case(Alg::HS256);
    auto keys = unit::keyset(unit::jwks({jwk_of(c.key, "")}));
    std::string tok = unit::token(Alg::HS256, c.key, unit::good_claims());
    ck_assert_status(unit::verify(tok, keys, unit::default_policy()), Status::AlgNotAllowed);
    edge_auth::PolicyConfig hs = unit::default_policy();
    hs.algorithms = edge_auth::kHmacAlgBits;
    ck_assert_status(unit::verify(tok, keys, hs), Status::Ok);
    // And an asymmetric alg outside a HS-only allow-list is refused the same way.
    ck_assert_status(unit::verify(unit::token(Alg::RS256, unit::signer(test::keys().rsa2048), unit::good_claims()),
                         keys, hs),
        Status::AlgNotAllowed);
}
END_TEST

START_TEST(hmac_with_rsa_public_key_as_secret)
{
    // A3: an attacker HMACs with the published RSA key bytes as the secret and claims HS256.
    EVP_PKEY *rsa = test::keys().rsa2048;
    std::string jwk = test::public_jwk(rsa, "\"kid\":\"r1\"");
    auto keys = unit::keyset(unit::jwks({jwk}));
    for (const std::string &secret : {jwk, std::string(test::public_jwk(rsa, ""))}) {
        std::string tok = unit::token(Alg::HS256, unit::hmac_signer(secret), unit::good_claims(), "r1");
        ck_assert_status(unit::verify(tok, keys, unit::all_algs_policy()), Status::UnknownKey);
        tok = unit::token(Alg::HS256, unit::hmac_signer(secret), unit::good_claims());
        ck_assert_status(unit::verify(tok, keys, unit::all_algs_policy()), Status::UnknownKey);
    }
}
END_TEST

START_TEST(rsa_padding_families_do_not_mix)
{
    EVP_PKEY *rsa = test::keys().rsa2048;
    auto keys = unit::keyset(unit::jwks({test::public_jwk(rsa, "")}));
    std::string header_rs = "{\"alg\":\"RS256\"}", header_ps = "{\"alg\":\"PS256\"}";
    std::string claims = edge_auth::base64url_encode(unit::good_claims());
    // A PKCS#1 v1.5 signature under a PS256 header, and the other way round.
    std::string in_ps = edge_auth::base64url_encode(header_ps) + "." + claims;
    std::string in_rs = edge_auth::base64url_encode(header_rs) + "." + claims;
    std::string t1 = in_ps + "." + edge_auth::base64url_encode(test::sign(Alg::RS256, unit::signer(rsa), in_ps));
    std::string t2 = in_rs + "." + edge_auth::base64url_encode(test::sign(Alg::PS256, unit::signer(rsa), in_rs));
    ck_assert_status(unit::verify(t1, keys, unit::default_policy()), Status::BadSignature);
    ck_assert_status(unit::verify(t2, keys, unit::default_policy()), Status::BadSignature);
    // Hash mismatch inside a family: RS384 signature under an RS256 header.
    std::string t3 = in_rs + "." + edge_auth::base64url_encode(test::sign(Alg::RS384, unit::signer(rsa), in_rs));
    ck_assert_status(unit::verify(t3, keys, unit::default_policy()), Status::BadSignature);
}
END_TEST

START_TEST(ecdsa_encodings)
{
    EVP_PKEY *p256 = test::keys().p256;
    auto keys = unit::keyset(unit::jwks({test::public_jwk(p256, "")}));
    std::string tok = unit::token(Alg::ES256, unit::signer(p256), unit::good_claims());
    std::string raw = signature_of(tok);
    ck_assert_uint_eq(raw.size(), 64);
    ck_assert_status(unit::verify(tok, keys, unit::default_policy()), Status::Ok);

    // The same signature as DER (what OpenSSL produces natively) is refused by length.
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(reinterpret_cast<const unsigned char *>(raw.data()), 32, nullptr);
    BIGNUM *s = BN_bin2bn(reinterpret_cast<const unsigned char *>(raw.data()) + 32, 32, nullptr);
    ECDSA_SIG_set0(es, r, s);
    unsigned char *der = nullptr;
    int der_len = i2d_ECDSA_SIG(es, &der);
    std::string der_sig(reinterpret_cast<char *>(der), static_cast<size_t>(der_len));
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    ck_assert_status(unit::verify(with_signature(tok, der_sig), keys, unit::default_policy()), Status::BadSignature);

    // r and s each zero-padded to 33 bytes (66 in all).
    std::string padded = std::string(1, '\0') + raw.substr(0, 32) + std::string(1, '\0') + raw.substr(32);
    ck_assert_status(unit::verify(with_signature(tok, padded), keys, unit::default_policy()), Status::BadSignature);

    // Psychic signatures: all zero, r = 0, s = 0, r = s = n.
    ck_assert_status(unit::verify(with_signature(tok, std::string(64, '\0')), keys, unit::default_policy()),
        Status::BadSignature);
    ck_assert_status(unit::verify(with_signature(tok, std::string(32, '\0') + raw.substr(32)), keys,
                         unit::default_policy()),
        Status::BadSignature);
    ck_assert_status(unit::verify(with_signature(tok, raw.substr(0, 32) + std::string(32, '\0')), keys,
                         unit::default_policy()),
        Status::BadSignature);
    std::string n = test::hex_decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    ck_assert_status(unit::verify(with_signature(tok, n + n), keys, unit::default_policy()), Status::BadSignature);

    // Malleability: (r, n - s) is also a valid ECDSA signature. JOSE does not forbid it and
    // neither do we; this documents that the token string is not unique.
    BIGNUM *bn_s = BN_bin2bn(reinterpret_cast<const unsigned char *>(raw.data()) + 32, 32, nullptr);
    BIGNUM *bn_n = BN_bin2bn(reinterpret_cast<const unsigned char *>(n.data()), 32, nullptr);
    BIGNUM *neg = BN_new();
    BN_sub(neg, bn_n, bn_s);
    std::string s2(32, '\0');
    BN_bn2binpad(neg, reinterpret_cast<unsigned char *>(s2.data()), 32);
    BN_free(bn_s);
    BN_free(bn_n);
    BN_free(neg);
    ck_assert_status(unit::verify(with_signature(tok, raw.substr(0, 32) + s2), keys, unit::default_policy()),
        Status::Ok);
}
END_TEST

START_TEST(ecdsa_curve_binding)
{
    const test::Keys &k = test::keys();
    // ES256 header, signed with the P-384 key (SHA-256, 96-byte signature), key set holds the
    // P-384 key: the key does not serve ES256 at all.
    auto p384_keys = unit::keyset(unit::jwks({test::public_jwk(k.p384, "\"kid\":\"e\"")}));
    std::string in = edge_auth::base64url_encode("{\"alg\":\"ES256\",\"kid\":\"e\"}") + "."
        + edge_auth::base64url_encode(unit::good_claims());
    test::SignKey p384 = unit::signer(k.p384);
    std::string t = in + "." + edge_auth::base64url_encode(test::sign(Alg::ES384, p384, in));
    std::string detail;
    ck_assert_status(unit::verify(t, p384_keys, unit::default_policy(), unit::kNow, nullptr, &detail),
        Status::UnknownKey);
    ck_assert_msg(detail.find("does not serve ES256") != std::string::npos, "detail: %s", detail.c_str());
    // ES384 header with a P-256 key.
    auto p256_keys = unit::keyset(unit::jwks({test::public_jwk(k.p256, "")}));
    ck_assert_status(unit::verify(unit::token(Alg::ES384, unit::signer(k.p256), unit::good_claims()), p256_keys,
                         unit::default_policy()),
        Status::UnknownKey);
}
END_TEST

START_TEST(rsa_3072_and_key_alg_binding)
{
    const test::Keys &k = test::keys();
    auto keys = unit::keyset(unit::jwks({test::public_jwk(k.rsa3072, "\"kid\":\"big\"")}));
    ck_assert_status(unit::verify(unit::token(Alg::PS512, unit::signer(k.rsa3072), unit::good_claims(), "big"), keys,
                         unit::default_policy()),
        Status::Ok);
    // A key labelled PS256 serves PS256 only (F1).
    auto ps_keys = unit::keyset(unit::jwks({test::public_jwk(k.rsa2048, "\"alg\":\"PS256\"")}));
    for (Alg a : {Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS384, Alg::PS512}) {
        ck_assert_status(unit::verify(unit::token(a, unit::signer(k.rsa2048), unit::good_claims()), ps_keys,
                             unit::default_policy()),
            Status::UnknownKey);
    }
    ck_assert_status(unit::verify(unit::token(Alg::PS256, unit::signer(k.rsa2048), unit::good_claims()), ps_keys,
                         unit::default_policy()),
        Status::Ok);
}
END_TEST

START_TEST(raw_verify_function)
{
    // The primitive the JWS path and the Wycheproof tests share.
    const test::Keys &k = test::keys();
    edge_auth::Json jwk;
    std::string text = test::public_jwk(k.p256, "");
    ck_assert(edge_auth::parse_json_object(text, edge_auth::JsonLimits{4096, 4}, jwk) == edge_auth::JsonError::None);
    edge_auth::KeyImport imp = edge_auth::import_jwk(jwk.get());
    ck_assert(imp.outcome == edge_auth::KeyImport::Outcome::Ok);
    std::string sig = test::sign(Alg::ES256, unit::signer(k.p256), "hello");
    ck_assert(edge_auth::verify_signature(alg_info(Alg::ES256), *imp.key, "hello", sig) == edge_auth::SigCheck::Valid);
    ck_assert(edge_auth::verify_signature(alg_info(Alg::ES256), *imp.key, "hellO", sig)
        == edge_auth::SigCheck::Invalid);
    ck_assert(edge_auth::verify_signature(alg_info(Alg::ES256), *imp.key, "hello", sig + "x")
        == edge_auth::SigCheck::WrongLength);
    // A key asked to verify an alg it does not serve says no without touching the signature.
    ck_assert(edge_auth::verify_signature(alg_info(Alg::ES384), *imp.key, "hello", sig)
        == edge_auth::SigCheck::Invalid);
}
END_TEST

// Verification contexts are reused from one verification to the next (verify_context.h): the
// result of each verification must not depend on what the context saw before, a context that
// saw a failure must not be kept, and concurrent users must not share one.
START_TEST(each_alg_reuses_contexts_safely)
{
    AlgCase c = alg_case(kAll[_i]);
    const edge_auth::AlgInfo &a = alg_info(c.alg);
    edge_auth::KeySet keys = unit::keyset(unit::jwks({jwk_of(c.key, "\"kid\":\"k1\"")}));
    ck_assert_int_eq(keys.size(), 1);
    const edge_auth::Key &key = keys.at(0);
    const edge_auth::VerifyContext &vc = key.verify_context(a);

    std::string sig_a = test::sign(c.alg, c.key, "message a");
    std::string sig_b = test::sign(c.alg, c.key, "message b");
    std::string sig_other = test::sign(c.alg, c.other, "message a");
    std::string flipped = sig_a;
    flipped.back() = static_cast<char>(flipped.back() ^ 0x01);
    using edge_auth::SigCheck;
    auto check = [&](std::string_view msg, const std::string &sig) {
        return edge_auth::verify_signature(a, key, msg, sig);
    };
    for (int round = 0; round < 3; round++) {
        ck_assert(check("message a", sig_a) == SigCheck::Valid);
        ck_assert(check("message b", sig_a) == SigCheck::Invalid);
        ck_assert(check("message b", sig_b) == SigCheck::Valid);
        ck_assert(check("message a", sig_b) == SigCheck::Invalid);
        ck_assert(check("message a", flipped) == SigCheck::Invalid);
        ck_assert(check("message a", sig_other) == SigCheck::Invalid);
        ck_assert(check("message a", sig_a + "x") == SigCheck::WrongLength);
        ck_assert(check("message a", sig_a) == SigCheck::Valid);
    }
    if (a.family != edge_auth::Family::Hmac) {
        // A success leaves a spare; a failure discards the context it used.
        ck_assert(check("message a", sig_a) == SigCheck::Valid);
        ck_assert(vc.holds_spare());
        ck_assert(check("message a", flipped) == SigCheck::Invalid);
        ck_assert(!vc.holds_spare());
        ck_assert(check("message b", sig_b) == SigCheck::Valid);
        ck_assert(vc.holds_spare());
    }

    // Four threads on the same key, each alternating valid and invalid signatures.
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 60; i++) {
                bool good = (i + t) % 2 == 0;
                SigCheck r = check(good ? "message a" : "message b", sig_a);
                if (r != (good ? SigCheck::Valid : SigCheck::Invalid)) {
                    wrong++;
                }
            }
        });
    }
    for (std::thread &th : threads) {
        th.join();
    }
    ck_assert_int_eq(wrong.load(), 0);
}
END_TEST

Suite *algorithms_suite()
{
    Suite *s = suite_create("algorithms");
    TCase *tc = tcase_create("each");
    tcase_set_timeout(tc, 60);
    int n = static_cast<int>(sizeof(kAll) / sizeof(kAll[0]));
    tcase_add_loop_test(tc, each_alg_verifies, 0, n);
    tcase_add_loop_test(tc, each_alg_rejects_wrong_key, 0, n);
    tcase_add_loop_test(tc, each_alg_rejects_tampering, 0, n);
    tcase_add_loop_test(tc, each_alg_checks_signature_length, 0, n);
    tcase_add_loop_test(tc, each_alg_reuses_contexts_safely, 0, n);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("confusion");
    tcase_set_timeout(tc2, 60);
    tcase_add_test(tc2, hmac_needs_explicit_policy);
    tcase_add_test(tc2, hmac_with_rsa_public_key_as_secret);
    tcase_add_test(tc2, rsa_padding_families_do_not_mix);
    tcase_add_test(tc2, ecdsa_encodings);
    tcase_add_test(tc2, ecdsa_curve_binding);
    tcase_add_test(tc2, rsa_3072_and_key_alg_binding);
    tcase_add_test(tc2, raw_verify_function);
    suite_add_tcase(s, tc2);
    return s;
}

UNIT_SUITE(algorithms_suite);
