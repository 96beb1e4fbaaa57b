#include "json.h"
#include "token_value.h"
#include "unit.h"

using edge_auth::find_member;
using edge_auth::Json;
using edge_auth::render_value;

namespace {

Json doc(const std::string &text)
{
    Json d;
    ck_assert(edge_auth::parse_json_object(text, edge_auth::JsonLimits{1 << 16, 16}, d) == edge_auth::JsonError::None);
    return d;
}

// Renders claims[path...] or returns "<absent>".
std::string value(const Json &d, std::initializer_list<std::string_view> path)
{
    std::vector<std::string_view> p(path);
    const json_t *v = find_member(d.get(), p.data(), p.size());
    if (!v) {
        return "<absent>";
    }
    std::string out;
    render_value(v, out);
    return out;
}

} // namespace

START_TEST(scalars)
{
    Json d = doc("{\"s\":\"alice\",\"i\":1700000000,\"neg\":-5,\"r\":1.5,\"big\":1e20,\"t\":true,\"f\":false,"
                 "\"n\":null,\"u\":\"caf\\u00e9 \\u2603\",\"e\":\"\"}");
    ck_assert_string(value(d, {"s"}), "alice");
    ck_assert_string(value(d, {"i"}), "1700000000");
    ck_assert_string(value(d, {"neg"}), "-5");
    ck_assert_string(value(d, {"r"}), "1.5");
    ck_assert_string(value(d, {"big"}), "1e20");
    ck_assert_string(value(d, {"t"}), "true");
    ck_assert_string(value(d, {"f"}), "false");
    ck_assert_string(value(d, {"n"}), "null");
    ck_assert_string(value(d, {"u"}), "caf\xc3\xa9 \xe2\x98\x83");
    ck_assert_string(value(d, {"e"}), "");
}
END_TEST

START_TEST(control_bytes_escaped)
{
    Json d = doc("{\"s\":\"a\\r\\nSet-Cookie: x\",\"t\":\"\\u0001\\u001f\\u007f%41\",\"o\":{\"k\":\"\\u007f\\n\"},"
                 "\"a\":[\"x\\ty\",\"\\u007f\"]}");
    ck_assert_string(value(d, {"s"}), "a%0D%0ASet-Cookie: x");
    ck_assert_string(value(d, {"t"}), "%01%1F%7F%41");
    // Inside JSON, jansson escapes < 0x20 itself; DEL is escaped by us.
    ck_assert_string(value(d, {"o"}), "{\"k\":\"%7F\\n\"}");
    ck_assert_string(value(d, {"a"}), "x%09y,%7F");
    std::string out;
    edge_auth::append_escaped_controls(std::string("a\0b", 3), out);
    ck_assert_str_eq(out.c_str(), "a%00b");
}
END_TEST

START_TEST(arrays_and_objects)
{
    Json d = doc("{\"roles\":[\"admin\",\"user\"],\"mixed\":[\"a\",1,true,null,2.5],\"empty\":[],"
                 "\"nested\":[\"a\",[\"b\"]],\"objs\":[{\"x\":1}],\"obj\":{\"b\":[1,2],\"a\":\"x\"},"
                 "\"comma\":[\"a,b\",\"c\"]}");
    ck_assert_string(value(d, {"roles"}), "admin,user");
    ck_assert_string(value(d, {"mixed"}), "a,1,true,null,2.5");
    ck_assert_string(value(d, {"empty"}), "");
    ck_assert_string(value(d, {"nested"}), "[\"a\",[\"b\"]]");
    ck_assert_string(value(d, {"objs"}), "[{\"x\":1}]");
    ck_assert_string(value(d, {"obj"}), "{\"b\":[1,2],\"a\":\"x\"}");
    ck_assert_string(value(d, {"comma"}), "a,b,c");
}
END_TEST

START_TEST(paths)
{
    Json d = doc("{\"realm_access\":{\"roles\":[\"r1\",\"r2\"],\"deep\":{\"x\":\"y\"}},\"a.b\":\"dotted\",\"s\":\"str\"}");
    ck_assert_string(value(d, {"realm_access", "roles"}), "r1,r2");
    ck_assert_string(value(d, {"realm_access", "deep", "x"}), "y");
    ck_assert_string(value(d, {"a.b"}), "dotted");
    ck_assert_string(value(d, {"realm_access", "missing"}), "<absent>");
    ck_assert_string(value(d, {"missing"}), "<absent>");
    ck_assert_string(value(d, {"s", "x"}), "<absent>");   // through a non-object
    ck_assert_string(value(d, {"realm_access", "roles", "0"}), "<absent>");   // no array indexing
    ck_assert_ptr_null(find_member(d.get(), nullptr, 0));
    // Member names are matched with their exact length, not as C strings.
    std::string_view with_tail[] = {std::string_view("s\0x", 3)};
    ck_assert_ptr_null(find_member(d.get(), with_tail, 1));
    std::string_view prefix[] = {std::string_view("str", 1)};
    ck_assert_ptr_nonnull(find_member(d.get(), prefix, 1));
}
END_TEST

START_TEST(compact_payload)
{
    Json d = doc("{ \"sub\" : \"a\\nb\",\n \"n\" : [ 1 , 2 ] }");
    std::string out;
    edge_auth::render_compact_json(d.get(), out);
    ck_assert_str_eq(out.c_str(), "{\"sub\":\"a\\nb\",\"n\":[1,2]}");
}
END_TEST

Suite *token_value_suite()
{
    Suite *s = suite_create("token_value");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, scalars);
    tcase_add_test(tc, control_bytes_escaped);
    tcase_add_test(tc, arrays_and_objects);
    tcase_add_test(tc, paths);
    tcase_add_test(tc, compact_payload);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(token_value_suite);
