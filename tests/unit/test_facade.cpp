// The C facade, used exactly as the nginx glue uses it.

#include <cstdlib>
#include <cstring>

#include "edge_auth.h"
#include "unit.h"

using edge_auth::Alg;

namespace {

// A malloc-backed stand-in for an nginx pool: everything is freed at the end of the test.
struct Pool {
    std::vector<void *> blocks;
    bool fail = false;
    ~Pool()
    {
        for (void *b : blocks) {
            std::free(b);
        }
    }
    static void *alloc(void *ctx, size_t size)
    {
        auto *p = static_cast<Pool *>(ctx);
        if (p->fail) {
            return nullptr;
        }
        void *m = std::malloc(size ? size : 1);
        p->blocks.push_back(m);
        return m;
    }
};

struct Warnings {
    std::vector<std::string> lines;
    static void fn(void *ctx, const char *msg) { static_cast<Warnings *>(ctx)->lines.push_back(msg); }
};

std::string str(const ea_str_t &s)
{
    return std::string(s.data, s.len);
}

struct Fixture {
    ea_keyset_t *keys = nullptr;
    ea_policy_t *policy = nullptr;
    Fixture(const std::string &jwks, const ea_policy_conf_t &conf)
    {
        keys = ea_keyset_new();
        char err[256];
        ck_assert_int_eq(ea_keyset_add_jwks(keys, jwks.data(), jwks.size(), nullptr, nullptr, err, sizeof(err)), 0);
        policy = ea_policy_create(&conf, err, sizeof(err));
        ck_assert_msg(policy != nullptr, "%s", err);
    }
    ~Fixture()
    {
        ea_policy_free(policy);
        ea_keyset_free(keys);
    }
};

ea_policy_conf_t defaults()
{
    ea_policy_conf_t c;
    ea_policy_conf_init(&c);
    return c;
}

} // namespace

START_TEST(status_reasons)
{
    const char *expected[] = {"ok", "no_credentials", "token_too_large", "malformed", "bad_header", "alg_not_allowed",
        "unknown_key", "bad_signature", "bad_claim", "missing_exp", "expired", "not_yet_valid", "issuer", "audience",
        "token_type", "no_keys", "internal"};
    ck_assert_int_eq(EA_STATUS_COUNT, 17);
    for (int i = 0; i < EA_STATUS_COUNT; i++) {
        ck_assert_str_eq(ea_status_reason(static_cast<ea_status_t>(i)), expected[i]);
    }
    ck_assert_str_eq(ea_status_reason(static_cast<ea_status_t>(999)), "internal");
    ck_assert_str_eq(ea_status_reason(static_cast<ea_status_t>(-1)), "internal");
}
END_TEST

START_TEST(alg_names)
{
    const char *names[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
        "HS256", "HS384", "HS512"};
    for (unsigned i = 0; i < 13; i++) {
        ck_assert_uint_eq(ea_alg_from_name(names[i], std::strlen(names[i])), 1u << i);
        ck_assert_str_eq(ea_alg_name(1u << i), names[i]);
    }
    ck_assert_uint_eq(ea_alg_from_name("none", 4), 0);
    ck_assert_uint_eq(ea_alg_from_name("rs256", 5), 0);
    ck_assert_uint_eq(ea_alg_from_name("RS2560", 6), 0);
    ck_assert_uint_eq(ea_alg_from_name("RS256", 3), 0);
    ck_assert_uint_eq(ea_alg_from_name(nullptr, 0), 0);
    ck_assert_ptr_null(ea_alg_name(0));
    ck_assert_ptr_null(ea_alg_name(3));
    ck_assert_ptr_null(ea_alg_name(1u << 13));
}
END_TEST

START_TEST(policy_conf_defaults_and_errors)
{
    ea_policy_conf_t c = defaults();
    ck_assert_uint_eq(c.algorithms, EA_ALGS_ASYMMETRIC);
    ck_assert_int_eq(c.require_exp, 1);
    ck_assert_uint_eq(c.max_token_size, 8192);
    ck_assert_int_eq(c.leeway, 0);
    ck_assert_ptr_null(c.issuers);
    char err[128];
    ea_policy_t *p = ea_policy_create(&c, err, sizeof(err));
    ck_assert_ptr_nonnull(p);
    ea_policy_free(p);

    c.algorithms = 0;
    ck_assert_ptr_null(ea_policy_create(&c, err, sizeof(err)));
    ck_assert_msg(std::strstr(err, "allow-list") != nullptr, "%s", err);
    c = defaults();
    c.n_issuers = 2;   // NULL list with a count
    ck_assert_ptr_null(ea_policy_create(&c, err, sizeof(err)));
    ea_str_t bad[] = {{nullptr, 3}};
    c = defaults();
    c.audiences = bad;
    c.n_audiences = 1;
    ck_assert_ptr_null(ea_policy_create(&c, err, sizeof(err)));
    ck_assert_ptr_null(ea_policy_create(nullptr, err, sizeof(err)));
    ck_assert_ptr_null(ea_policy_create(nullptr, nullptr, 0));
    ea_policy_free(nullptr);
    ea_policy_conf_init(nullptr);
}
END_TEST

START_TEST(keyset_api)
{
    ea_keyset_t *ks = ea_keyset_new();
    ck_assert_ptr_nonnull(ks);
    ck_assert_uint_eq(ea_keyset_size(ks), 0);
    const test::Keys &k = test::keys();
    std::string doc = unit::jwks({test::public_jwk(k.p256, "\"kid\":\"a\""), test::public_jwk(k.rsa1024, "\"kid\":\"w\""),
        test::public_jwk(k.p384, "\"kid\":\"b\",\"use\":\"enc\"")});
    Warnings w;
    char err[128] = "x";
    ck_assert_int_eq(ea_keyset_add_jwks(ks, doc.data(), doc.size(), Warnings::fn, &w, err, sizeof(err)), 0);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(ea_keyset_size(ks), 1);
    ck_assert_uint_eq(w.lines.size(), 2);
    ck_assert_msg(w.lines[0].find("kid \"w\"") != std::string::npos, "%s", w.lines[0].c_str());
    // Without a warn callback.
    ck_assert_int_eq(ea_keyset_add_jwks(ks, doc.data(), doc.size(), nullptr, nullptr, nullptr, 0), 0);
    ck_assert_uint_eq(ea_keyset_size(ks), 2);
    // A refused document.
    ck_assert_int_eq(ea_keyset_add_jwks(ks, "{\"keys\":1}", 10, nullptr, nullptr, err, sizeof(err)), -1);
    ck_assert_msg(std::strstr(err, "not an array") != nullptr, "%s", err);
    ck_assert_int_eq(ea_keyset_add_jwks(ks, "{\"keys\":[]", 10, nullptr, nullptr, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_keyset_add_jwks(ks, nullptr, 5, nullptr, nullptr, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_keyset_add_jwks(nullptr, "{}", 2, nullptr, nullptr, err, sizeof(err)), -1);
    // A tiny error buffer is still NUL-terminated.
    char tiny[4];
    ck_assert_int_eq(ea_keyset_add_jwks(ks, "x", 1, nullptr, nullptr, tiny, sizeof(tiny)), -1);
    ck_assert_uint_eq(std::strlen(tiny), 3);
    ck_assert_uint_eq(ea_keyset_size(ks), 2);
    ck_assert_uint_eq(ea_keyset_size(nullptr), 0);
    ea_keyset_free(ks);
    ea_keyset_free(nullptr);
}
END_TEST

START_TEST(verify_and_values)
{
    const test::Keys &k = test::keys();
    ea_str_t iss[] = {{"https://idp.example", 19}};
    ea_str_t aud[] = {{"api", 3}};
    ea_str_t typ[] = {{"at+jwt", 6}};
    ea_policy_conf_t c = defaults();
    c.issuers = iss;
    c.n_issuers = 1;
    c.audiences = aud;
    c.n_audiences = 1;
    c.types = typ;
    c.n_types = 1;
    Fixture f(unit::jwks({test::public_jwk(k.ed25519, "\"kid\":\"ed\"")}), c);

    std::string claims = "{\"iss\":\"https://idp.example\",\"aud\":[\"api\",\"x\"],\"sub\":\"alice\\r\\n\","
                         "\"exp\":" + std::to_string(unit::kNow + 60) + ",\"realm_access\":{\"roles\":[\"a\",\"b\"]},"
                         "\"n\":42,\"obj\":{\"k\":true}}";
    std::string tok = test::make_token("{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"typ\":\"at+jwt\"}", claims, Alg::EdDSA,
        unit::signer(k.ed25519));
    ea_token_t *t = nullptr;
    char detail[128] = "stale";
    ea_status_t s = ea_jwt_verify(f.policy, f.keys, tok.data(), tok.size(), unit::kNow, &t, detail, sizeof(detail));
    ck_assert_msg(s == EA_OK, "%s: %s", ea_status_reason(s), detail);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ea_token_expires(t), unit::kNow + 60);

    Pool pool;
    ea_str_t v;
    ea_str_t sub[] = {{"sub", 3}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, sub, 1, Pool::alloc, &pool, &v), 1);
    ck_assert_string(str(v), "alice%0D%0A");
    ea_str_t roles[] = {{"realm_access", 12}, {"roles", 5}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, roles, 2, Pool::alloc, &pool, &v), 1);
    ck_assert_string(str(v), "a,b");
    ea_str_t audp[] = {{"aud", 3}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, audp, 1, Pool::alloc, &pool, &v), 1);
    ck_assert_string(str(v), "api,x");
    ea_str_t np[] = {{"n", 1}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, np, 1, Pool::alloc, &pool, &v), 1);
    ck_assert_string(str(v), "42");
    ea_str_t objp[] = {{"obj", 3}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, objp, 1, Pool::alloc, &pool, &v), 1);
    ck_assert_string(str(v), "{\"k\":true}");
    ea_str_t kid[] = {{"kid", 3}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_HEADER, kid, 1, Pool::alloc, &pool, &v), 1);
    ck_assert_string(str(v), "ed");
    ea_str_t alg[] = {{"alg", 3}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_HEADER, alg, 1, Pool::alloc, &pool, &v), 1);
    ck_assert_string(str(v), "EdDSA");
    // Absent values, wrong part, depth 0.
    ea_str_t nope[] = {{"nope", 4}};
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, nope, 1, Pool::alloc, &pool, &v), 0);
    ck_assert_int_eq(ea_token_value(t, EA_PART_HEADER, sub, 1, Pool::alloc, &pool, &v), 0);
    ck_assert_int_eq(ea_token_value(t, 7, sub, 1, Pool::alloc, &pool, &v), 0);
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, sub, 0, Pool::alloc, &pool, &v), 0);
    // A deep path (more names than the inline buffer) that does not exist.
    std::vector<ea_str_t> deep(12, ea_str_t{"realm_access", 12});
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, deep.data(), deep.size(), Pool::alloc, &pool, &v), 0);
    // Allocation failure.
    pool.fail = true;
    ck_assert_int_eq(ea_token_value(t, EA_PART_CLAIMS, sub, 1, Pool::alloc, &pool, &v), -1);
    ck_assert_int_eq(ea_token_payload(t, Pool::alloc, &pool, &v), -1);
    pool.fail = false;
    // The payload.
    ck_assert_int_eq(ea_token_payload(t, Pool::alloc, &pool, &v), 1);
    std::string payload = str(v);
    ck_assert_msg(payload.find("\"sub\":\"alice\\r\\n\"") != std::string::npos, "%s", payload.c_str());
    ck_assert_msg(payload.find("\"realm_access\":{\"roles\":[\"a\",\"b\"]}") != std::string::npos, "%s",
        payload.c_str());
    for (char ch : payload) {
        ck_assert(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f);
    }
    ea_token_free(t);
    ea_token_free(nullptr);
    ck_assert_int_eq(ea_token_expires(nullptr), 0);
    ck_assert_int_eq(ea_token_value(nullptr, EA_PART_CLAIMS, sub, 1, Pool::alloc, &pool, &v), -1);

    // Rejections: *out NULL and a detail line.
    t = reinterpret_cast<ea_token_t *>(0x1);
    std::string wrong_typ = test::make_token("{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"typ\":\"JWT\"}", claims, Alg::EdDSA,
        unit::signer(k.ed25519));
    s = ea_jwt_verify(f.policy, f.keys, wrong_typ.data(), wrong_typ.size(), unit::kNow, &t, detail, sizeof(detail));
    ck_assert_int_eq(s, EA_ERR_TOKEN_TYPE);
    ck_assert_ptr_null(t);
    ck_assert_msg(std::strstr(detail, "typ \"JWT\"") != nullptr, "%s", detail);
    s = ea_jwt_verify(f.policy, f.keys, tok.data(), tok.size(), unit::kNow + 60, &t, detail, sizeof(detail));
    ck_assert_int_eq(s, EA_ERR_EXPIRED);
    // No out pointer and no detail buffer are both fine.
    s = ea_jwt_verify(f.policy, f.keys, tok.data(), tok.size(), unit::kNow, nullptr, nullptr, 0);
    ck_assert_int_eq(s, EA_OK);
    // A small detail buffer is truncated and terminated.
    char small[8];
    s = ea_jwt_verify(f.policy, f.keys, "x.y.z", 5, unit::kNow, &t, small, sizeof(small));
    ck_assert_int_eq(s, EA_ERR_MALFORMED);
    ck_assert_uint_eq(std::strlen(small), 7);
}
END_TEST

START_TEST(verify_argument_errors)
{
    const test::Keys &k = test::keys();
    Fixture f(unit::jwks({test::public_jwk(k.p256, "")}), defaults());
    ea_token_t *t = nullptr;
    char detail[64];
    ck_assert_int_eq(ea_jwt_verify(nullptr, f.keys, "a", 1, 0, &t, detail, sizeof(detail)), EA_ERR_INTERNAL);
    ck_assert_int_eq(ea_jwt_verify(f.policy, nullptr, "a", 1, 0, &t, detail, sizeof(detail)), EA_ERR_INTERNAL);
    ck_assert_int_eq(ea_jwt_verify(f.policy, f.keys, nullptr, 3, 0, &t, detail, sizeof(detail)), EA_ERR_INTERNAL);
    ck_assert_int_eq(ea_jwt_verify(f.policy, f.keys, nullptr, 0, 0, &t, detail, sizeof(detail)), EA_ERR_MALFORMED);
    ck_assert_int_eq(ea_jwt_verify(f.policy, f.keys, "", 0, 0, &t, detail, sizeof(detail)), EA_ERR_MALFORMED);
    // Empty key set.
    ea_keyset_t *empty = ea_keyset_new();
    std::string tok = unit::token(Alg::ES256, unit::signer(k.p256), unit::good_claims());
    ck_assert_int_eq(ea_jwt_verify(f.policy, empty, tok.data(), tok.size(), unit::kNow, &t, detail, sizeof(detail)),
        EA_ERR_NO_KEYS);
    ea_keyset_free(empty);
    ck_assert_int_eq(ea_jwt_verify(f.policy, f.keys, tok.data(), tok.size(), unit::kNow, &t, detail, sizeof(detail)),
        EA_OK);
    ea_token_free(t);
}
END_TEST

Suite *facade_suite()
{
    Suite *s = suite_create("facade");
    TCase *tc = tcase_create("C API");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, status_reasons);
    tcase_add_test(tc, alg_names);
    tcase_add_test(tc, policy_conf_defaults_and_errors);
    tcase_add_test(tc, keyset_api);
    tcase_add_test(tc, verify_and_values);
    tcase_add_test(tc, verify_argument_errors);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(facade_suite);
