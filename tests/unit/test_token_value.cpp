#include "json.h"
#include "json_doc.h"
#include "token_value.h"
#include "unit.h"

using edge_auth::find_member;
using edge_auth::Json;
using edge_auth::JsonDoc;
using edge_auth::JsonValue;
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

JsonDoc jdoc(const std::string &text)
{
    JsonDoc d;
    ck_assert(d.parse(text, edge_auth::JsonLimits{1 << 16, 16}) == edge_auth::JsonError::None);
    return d;
}

// Both renderings of a jansson value and of the JsonDoc value at the same place must be equal.
void same_rendering(const std::string &text, const json_t *j, const JsonValue &v)
{
    std::string a, b;
    render_value(j, a);
    render_value(v, b);
    ck_assert_msg(a == b, "%s: render_value gives \"%s\" from jansson, \"%s\" from JsonDoc", text.c_str(),
        a.c_str(), b.c_str());
    a.clear();
    b.clear();
    edge_auth::render_compact_json(j, a);
    edge_auth::render_compact_json(v, b);
    ck_assert_msg(a == b, "%s: render_compact_json gives \"%s\" from jansson, \"%s\" from JsonDoc",
        text.c_str(), a.c_str(), b.c_str());
}

// The document, every member, and every element of member arrays, rendered both ways.
void same_renderings(const std::string &text)
{
    Json d = doc(text);
    JsonDoc jd = jdoc(text);
    JsonValue root = jd.root();
    same_rendering(text, d.get(), root);
    for (size_t i = 0; i < root.size(); i++) {
        std::string_view name = root.key(i);
        const json_t *j = json_object_getn(d.get(), name.data(), name.size());
        ck_assert_ptr_nonnull(j);
        JsonValue v = root.value(i);
        same_rendering(text, j, v);
        for (size_t k = 0; v.is_array() && k < v.size(); k++) {
            same_rendering(text, json_array_get(j, k), v.at(k));
        }
    }
}

// Renders the JsonDoc's claims[path...] or returns "<absent>".
std::string jvalue(const JsonDoc &d, std::initializer_list<std::string_view> path)
{
    std::vector<std::string_view> p(path);
    JsonValue v = find_member(d.root(), p.data(), p.size());
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

START_TEST(json_doc_renders_as_jansson)
{
    const char *docs[] = {
        R"({"s":"alice","i":1700000000,"neg":-5,"zero":-0,"r":1.5,"t":true,"f":false,"n":null,"e":""})",
        // Reals as jansson prints them: %.17g, ".0" when needed, exponent without '+' or zeros.
        R"({"a":[1.5,1e300,-0.0,0.0,0.1,1e-7,1e20,1e22,1e-5,2.5e-5,123456789.0,1e16,1e17,5e-324,1e-400]})",
        R"({"b":[1.7976931348623157e308,-1.5e-300,3.0,100.0,0.30000000000000004,1E2,-1e+2,)"
        R"(9007199254740993.0]})",
        R"({"c":[9223372036854775807,-9223372036854775808,0,-1]})",
        // Strings: jansson's escapes inside JSON, %XX for control bytes outside it.
        R"({"s":"a\r\nSet-Cookie: x","t":"\u0001\u001f\u007f%41","q":"\"\\\/",)"
        R"("u":"caf\u00e9 \u2603 \ud83d\ude00"})",
        R"({"o":{"k":"\u007f\n","\u0001\"key\\":"\b\f\t\u000b\u001e"},"a":["x\ty","\u007f"]})",
        "{\"raw\":\"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80 del\x7f\",\"k\xc3\xa9\\u007f\":[\"\xc3\xa9\"]}",
        // Arrays and objects, flat and nested, empty.
        R"({"roles":["admin","user"],"mixed":["a",1,true,null,2.5],"empty":[],"eo":{},"nested":["a",["b"]]})",
        R"({"objs":[{"x":1}],"obj":{"b":[1,2],"a":"x"},"comma":["a,b","c"],"deep":[[[[]]],{"a":{"b":{}}}]})",
        R"({"realm_access":{"roles":["r1","r2"],"deep":{"x":"y"}},"a.b":"dotted","arr":[[],{},[1.0]]})",
        " { \"sp\" : [ 1 , { \"x\" : [ ] } ] , \"z\" : 0.5 } ",
    };
    for (const char *text : docs) {
        same_renderings(text);
    }

    // A few exact outputs, so that both cannot be wrong the same way.
    JsonDoc d = jdoc(R"({"o":{"k":"\u007f\n"},"r":[1e300,-0.0,0.1,1e-7,3.0],"c":"\u0001",)"
                     R"("u":{"k":"\u001f"}})");
    ck_assert_string(jvalue(d, {"o"}), "{\"k\":\"%7F\\n\"}");
    ck_assert_string(jvalue(d, {"r"}),
        "1.0000000000000001e300,-0.0,0.10000000000000001,9.9999999999999995e-8,3.0");
    ck_assert_string(jvalue(d, {"c"}), "%01");
    ck_assert_string(jvalue(d, {"u"}), "{\"k\":\"\\u001F\"}");
}
END_TEST

START_TEST(json_doc_paths)
{
    JsonDoc d = jdoc(R"({"realm_access":{"roles":["r1","r2"],"deep":{"x":"y"}},"a.b":"dotted","s":"str"})");
    ck_assert_string(jvalue(d, {"realm_access", "roles"}), "r1,r2");
    ck_assert_string(jvalue(d, {"realm_access", "deep", "x"}), "y");
    ck_assert_string(jvalue(d, {"a.b"}), "dotted");
    ck_assert_string(jvalue(d, {"realm_access", "missing"}), "<absent>");
    ck_assert_string(jvalue(d, {"missing"}), "<absent>");
    ck_assert_string(jvalue(d, {"missing", "x"}), "<absent>");
    ck_assert_string(jvalue(d, {"s", "x"}), "<absent>");                         // through a non-object
    ck_assert_string(jvalue(d, {"realm_access", "roles", "0"}), "<absent>");     // no array indexing
    ck_assert(!find_member(d.root(), nullptr, 0).valid());
    std::string_view with_tail[] = {std::string_view("s\0x", 3)};
    ck_assert(!find_member(d.root(), with_tail, 1).valid());
    std::string_view prefix[] = {std::string_view("str", 1)};
    ck_assert(find_member(d.root(), prefix, 1).valid());
    // An absent value renders as nothing.
    std::string out = "x";
    render_value(JsonValue(), out);
    edge_auth::render_compact_json(JsonValue(), out);
    ck_assert_string(out, "x");
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
    tcase_add_test(tc, json_doc_renders_as_jansson);
    tcase_add_test(tc, json_doc_paths);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(token_value_suite);
