#include "json.h"
#include "unit.h"

using edge_auth::Json;
using edge_auth::JsonError;
using edge_auth::JsonLimits;
using edge_auth::parse_json_object;

namespace {

JsonError parse(const std::string &text, size_t max_bytes = 4096, unsigned depth = 16)
{
    Json doc;
    return parse_json_object(text, JsonLimits{max_bytes, depth}, doc);
}

std::string nested(unsigned depth)
{
    // depth objects: {"a":{"a":...{}}}
    std::string s;
    for (unsigned i = 1; i < depth; i++) {
        s += "{\"a\":";
    }
    s += "{}";
    for (unsigned i = 1; i < depth; i++) {
        s += "}";
    }
    return s;
}

} // namespace

START_TEST(accepts_plain_objects)
{
    ck_assert_int_eq((int)parse("{}"), (int)JsonError::None);
    ck_assert_int_eq((int)parse(" {\"a\" : [1, 2.5, \"x\", null, true]} \n"), (int)JsonError::None);
    Json doc;
    ck_assert_int_eq((int)parse_json_object("{\"alg\":\"ES256\",\"n\":1}", JsonLimits{100, 4}, doc),
        (int)JsonError::None);
    std::string_view alg;
    ck_assert(edge_auth::json_string_member(doc.get(), "alg", alg));
    ck_assert(alg == "ES256");
    ck_assert(!edge_auth::json_string_member(doc.get(), "n", alg));
    ck_assert(!edge_auth::json_string_member(doc.get(), "missing", alg));
}
END_TEST

START_TEST(rejects_duplicate_members)
{
    ck_assert_int_eq((int)parse("{\"a\":1,\"a\":2}"), (int)JsonError::Duplicate);
    ck_assert_int_eq((int)parse("{\"alg\":\"HS256\",\"alg\":\"none\"}"), (int)JsonError::Duplicate);
    // An escaped name is the same name once decoded.
    ck_assert_int_eq((int)parse("{\"sub\":\"alice\",\"\\u0073ub\":\"admin\"}"), (int)JsonError::Duplicate);
    ck_assert_int_eq((int)parse("{\"aud\":\"other\",\"a\\u0075d\":\"me\"}"), (int)JsonError::Duplicate);
    // Nested objects too.
    ck_assert_int_eq((int)parse("{\"x\":{\"r\":[1],\"r\":[2]}}"), (int)JsonError::Duplicate);
    // Same name in different objects is fine.
    ck_assert_int_eq((int)parse("{\"a\":{\"a\":1}}"), (int)JsonError::None);
}
END_TEST

START_TEST(enforces_depth)
{
    ck_assert_int_eq((int)parse(nested(16)), (int)JsonError::None);
    ck_assert_int_eq((int)parse(nested(17)), (int)JsonError::TooDeep);
    ck_assert_int_eq((int)parse("{\"a\":[[[[1]]]]}", 4096, 5), (int)JsonError::None);
    ck_assert_int_eq((int)parse("{\"a\":[[[[1]]]]}", 4096, 4), (int)JsonError::TooDeep);
    // Brackets inside strings, including after an escaped quote, do not count.
    ck_assert_int_eq((int)parse("{\"a\":\"[[[[[[\\\"{{{{{{\"}", 4096, 1), (int)JsonError::None);
    // A 3000-deep header (jwt_tool's depth bomb) is refused by the pre-scan, long before jansson.
    std::string bomb = "{\"a\":" + std::string(3000, '[') + std::string(3000, ']') + "}";
    ck_assert_int_eq((int)parse(bomb, 1 << 20), (int)JsonError::TooDeep);
}
END_TEST

START_TEST(enforces_size)
{
    std::string big = "{\"a\":\"" + std::string(100, 'x') + "\"}";
    ck_assert_int_eq((int)parse(big, big.size()), (int)JsonError::None);
    ck_assert_int_eq((int)parse(big, big.size() - 1), (int)JsonError::TooLarge);
}
END_TEST

START_TEST(rejects_non_objects_and_bad_syntax)
{
    ck_assert_int_eq((int)parse("[]"), (int)JsonError::NotObject);
    ck_assert_int_eq((int)parse("[{\"a\":1}]"), (int)JsonError::NotObject);
    ck_assert_int_eq((int)parse("1"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("\"s\""), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("null"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse(""), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("foo"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"a\":1}x"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"a\":1}{}"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{'a':1}"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"a\":1,}"), (int)JsonError::Syntax);
    // NUL, as an escape or as a raw byte, and invalid UTF-8.
    ck_assert_int_eq((int)parse("{\"alg\":\"HS256\\u0000\"}"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse(std::string("{\"a\":\"x\0y\"}", 11)), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse(std::string("{\"a\":1}\0", 8)), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"a\":\"\xc0\xaf\"}"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"a\":\"\xff\"}"), (int)JsonError::Syntax);
    // Numbers jansson cannot represent exactly are refused rather than silently clamped.
    ck_assert_int_eq((int)parse("{\"exp\":9223372036854775808}"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"exp\":1e400}"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"exp\":NaN}"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("{\"exp\":9223372036854775807}"), (int)JsonError::None);
}
END_TEST

START_TEST(handle_moves_and_releases)
{
    Json a(json_object());
    json_t *raw = a.get();
    Json b(std::move(a));
    ck_assert_ptr_null(a.get());
    ck_assert_ptr_eq(b.get(), raw);
    Json c;
    c = std::move(b);
    ck_assert_ptr_eq(c.get(), raw);
    ck_assert(static_cast<bool>(c));
    ck_assert(!static_cast<bool>(b));
}
END_TEST

Suite *json_suite()
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("limits");
    tcase_add_test(tc, accepts_plain_objects);
    tcase_add_test(tc, rejects_duplicate_members);
    tcase_add_test(tc, enforces_depth);
    tcase_add_test(tc, enforces_size);
    tcase_add_test(tc, rejects_non_objects_and_bad_syntax);
    tcase_add_test(tc, handle_moves_and_releases);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(json_suite);
