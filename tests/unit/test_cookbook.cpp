// RFC 7520 (JOSE Cookbook) §4.1-4.4 compact signatures with the §3 keys. §4.5 (detached
// content) and §4.8 (multiple signatures, JSON only) are fed to the compact path and must be
// rejected.

#include <cstdio>

#include "json.h"
#include "jws.h"
#include "unit.h"

using edge_auth::Json;
using edge_auth::KeySet;
using edge_auth::Status;

namespace {

bool load(const char *relative, Json &doc)
{
    std::string text;
    if (!test::read_vector_file(relative, text)) {
        return false;
    }
    json_error_t err;
    doc = Json(json_loadb(text.data(), text.size(), 0, &err));
    ck_assert_msg(doc.get() != nullptr, "%s: %s", relative, err.text);
    return true;
}

std::string dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

Status verify_example(const char *example, const char *key_file, std::vector<std::string> *warnings,
    std::string *detail)
{
    Json ex, key;
    if (!load(example, ex) || !load(key_file, key)) {
        return Status::Count;   // skipped
    }
    KeySet keys = unit::keyset(dump(key.get()), warnings);
    const json_t *out = json_object_get(ex.get(), "output");
    const json_t *compact = json_object_get(out, "compact");
    std::string text = json_is_string(compact) ? json_string_value(compact) : dump(json_object_get(out, "json"));
    char buf[200];
    edge_auth::Detail d(buf, sizeof(buf));
    Status s = edge_auth::verify_compact_jws(text, keys, edge_auth::kAllAlgBits, d);
    if (detail) {
        *detail = buf;
    }
    return s;
}

struct Example {
    const char *example;
    const char *key;
    Status expected;
};

const Example kExamples[] = {
    {"jose-cookbook/jws/4_1.rsa_v15_signature.json", "jose-cookbook/jwk/3_3.rsa_public_key.json", Status::Ok},
    {"jose-cookbook/jws/4_2.rsa-pss_signature.json", "jose-cookbook/jwk/3_3.rsa_public_key.json", Status::Ok},
    {"jose-cookbook/jws/4_3.ecdsa_signature.json", "jose-cookbook/jwk/3_1.ec_public_key.json", Status::Ok},
    {"jose-cookbook/jws/4_4.hmac-sha2_integrity_protection.json", "jose-cookbook/jwk/3_5.symmetric_key_mac_computation.json",
        Status::Ok},
    // The private-key forms verify too; their private members are ignored with a warning.
    {"jose-cookbook/jws/4_1.rsa_v15_signature.json", "jose-cookbook/jwk/3_4.rsa_private_key.json", Status::Ok},
    {"jose-cookbook/jws/4_3.ecdsa_signature.json", "jose-cookbook/jwk/3_2.ec_private_key.json", Status::Ok},
    // Detached payload ("h..s") and JSON serialization with several signatures.
    {"jose-cookbook/jws/4_5.signature_with_detached_content.json",
        "jose-cookbook/jwk/3_5.symmetric_key_mac_computation.json", Status::Malformed},
    {"jose-cookbook/jws/4_8.multiple_signatures.json", "jose-cookbook/jwk/3_3.rsa_public_key.json", Status::Malformed},
};

} // namespace

START_TEST(cookbook_example)
{
    const Example &e = kExamples[_i];
    std::vector<std::string> warnings;
    std::string detail;
    Status s = verify_example(e.example, e.key, &warnings, &detail);
    if (s == Status::Count) {
        return;
    }
    ck_assert_msg(s == e.expected, "%s: %s (%s)", e.example, edge_auth::status_reason(s), detail.c_str());
    bool private_key = std::string(e.key).find("private") != std::string::npos;
    ck_assert_uint_eq(warnings.size(), private_key ? 1 : 0);
    std::printf("cookbook %s with %s: %s\n", e.example + sizeof("jose-cookbook/jws/") - 1,
        e.key + sizeof("jose-cookbook/jwk/") - 1, edge_auth::status_reason(s));
    std::fflush(stdout);
}
END_TEST

START_TEST(cookbook_encryption_key_dropped)
{
    Json key;
    if (!load("jose-cookbook/jwk/3_6.symmetric_key_encryption.json", key)) {
        return;
    }
    std::vector<std::string> warnings;
    KeySet keys = unit::keyset(dump(key.get()), &warnings);
    ck_assert_uint_eq(keys.size(), 0);
    ck_assert_uint_eq(warnings.size(), 1);
    ck_assert_msg(warnings[0].find("use is not \"sig\"") != std::string::npos, "%s", warnings[0].c_str());
}
END_TEST

START_TEST(cookbook_signed_content_is_not_a_jwt)
{
    // The cookbook payload is prose, not a claims object: the JWS verifies, the JWT does not.
    Json ex, key;
    if (!load("jose-cookbook/jws/4_3.ecdsa_signature.json", ex) || !load("jose-cookbook/jwk/3_1.ec_public_key.json", key)) {
        return;
    }
    KeySet keys = unit::keyset(dump(key.get()));
    std::string compact = json_string_value(json_object_get(json_object_get(ex.get(), "output"), "compact"));
    ck_assert_status(unit::verify(compact, keys, unit::default_policy()), Status::Malformed);
}
END_TEST

Suite *cookbook_suite()
{
    Suite *s = suite_create("cookbook");
    TCase *tc = tcase_create("rfc7520");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, cookbook_example, 0, static_cast<int>(sizeof(kExamples) / sizeof(kExamples[0])));
    tcase_add_test(tc, cookbook_encryption_key_dropped);
    tcase_add_test(tc, cookbook_signed_content_is_not_a_jwt);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(cookbook_suite);
