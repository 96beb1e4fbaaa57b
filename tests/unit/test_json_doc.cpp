// test_json_doc.cpp: JsonDoc (json_doc.h), the single-pass parser that must accept exactly what
// parse_json_object (json.h, i.e. jansson) accepts, with the same JsonError and the same tree.
//
// The differential table is the heart of it: each entry is parsed by both and must give the
// expected JsonError from both, and on success json_equal trees (so integer 1 and real 1.0 must
// come out as jansson has them). Add an entry for any input the two were ever seen to disagree on
// (fuzz/fuzz_json_doc.cpp finds them).

#include <string>
#include <vector>

#include "json.h"
#include "json_doc.h"
#include "unit.h"

using namespace std::string_literals;
using edge_auth::Json;
using edge_auth::JsonDoc;
using edge_auth::JsonError;
using edge_auth::JsonLimits;
using edge_auth::JsonType;
using edge_auth::JsonValue;

namespace {

// The text with bytes outside printable ASCII as \xNN, for failure messages.
std::string printable(const std::string &s)
{
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s.substr(0, 200)) {
        if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Both parsers on `text`: same error, the expected one, and on success the same tree.
void check_same(const std::string &text, JsonError expected, JsonLimits limits = JsonLimits{1 << 20, 16})
{
    Json tree;
    JsonError jansson = edge_auth::parse_json_object(text, limits, tree);
    JsonDoc doc;
    JsonError got = doc.parse(text, limits);
    ck_assert_msg(got == jansson, "%s: JsonDoc says \"%s\", parse_json_object \"%s\"",
        printable(text).c_str(), edge_auth::json_error_text(got), edge_auth::json_error_text(jansson));
    ck_assert_msg(jansson == expected, "%s: parse_json_object says \"%s\", the table \"%s\"",
        printable(text).c_str(), edge_auth::json_error_text(jansson), edge_auth::json_error_text(expected));
    if (got == JsonError::None) {
        Json copy = doc.to_jansson();
        ck_assert_msg(json_equal(copy.get(), tree.get()), "%s: trees differ", printable(text).c_str());
    } else {
        ck_assert(doc.empty());
        ck_assert(!doc.root().valid());
    }
}

// `n` copies of `item` joined by commas.
std::string repeat(const std::string &item, unsigned n)
{
    std::string s;
    for (unsigned i = 0; i < n; i++) {
        s += (i ? "," : "") + item;
    }
    return s;
}

std::string nested_objects(unsigned depth)
{
    std::string s;
    for (unsigned i = 1; i < depth; i++) {
        s += "{\"a\":";
    }
    s += "{}";
    return s + std::string(depth - 1, '}');
}

// {"k0":0,"k1":1,...} with `n` members, then `tail` before the closing brace.
std::string big_object(unsigned n, const std::string &tail = "")
{
    std::string s = "{";
    for (unsigned i = 0; i < n; i++) {
        s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    }
    return s + tail + "}";
}

struct Case {
    std::string text;
    JsonError expected;
};

const JsonError OK = JsonError::None;
const JsonError SYNTAX = JsonError::Syntax;
const JsonError DUP = JsonError::Duplicate;
const JsonError DEEP = JsonError::TooDeep;
const JsonError NOTOBJ = JsonError::NotObject;

const std::vector<Case> &differential_cases()
{
    static const std::vector<Case> cases = {
        // Numbers: integers have no '.', 'e' or 'E'; jansson's grammar, int64 range, double range.
        {R"({"a":0})", OK},
        {R"({"a":-0})", OK},
        {R"({"a":-0.0})", OK},
        {R"({"a":1.0})", OK},
        {R"({"a":1e2})", OK},
        {R"({"a":1E2})", OK},
        {R"({"a":1e+2})", OK},
        {R"({"a":1e-2})", OK},
        {R"({"a":0.5})", OK},
        {R"({"a":-2.5e-3})", OK},
        {R"({"a":0.1})", OK},
        {R"({"a":1e22})", OK},
        {R"({"a":1e23})", OK},
        {R"({"a":123456789012345678})", OK},
        {R"({"a":1234567890123456.5})", OK},
        {R"({"a":123456789012345678901234567890.5})", OK},
        {R"({"a":1.00000000000000000000000000001})", OK},
        {R"({"a":0.000000000000000000000000000001})", OK},
        {R"({"a":9007199254740993.0})", OK},
        {R"({"a":9223372036854775807})", OK},
        {R"({"a":-9223372036854775808})", OK},
        {R"({"a":9223372036854775808})", SYNTAX},
        {R"({"a":-9223372036854775809})", SYNTAX},
        {R"({"a":99999999999999999999999})", SYNTAX},
        {R"({"a":18446744073709551616})", SYNTAX},
        {R"({"a":1e400})", SYNTAX},
        {R"({"a":-1e400})", SYNTAX},
        {R"({"a":1.7976931348623157e308})", OK},
        {R"({"a":1.7976931348623159e308})", SYNTAX},
        {R"({"a":1e-400})", OK},
        {R"({"a":-1e-400})", OK},
        {R"({"a":4.9e-324})", OK},
        {R"({"a":0e999999999})", OK},
        {R"({"a":1e0000000000000000000001})", OK},
        {R"({"a":01})", SYNTAX},
        {R"({"a":-01})", SYNTAX},
        {R"({"a":00})", SYNTAX},
        {R"({"a":+1})", SYNTAX},
        {R"({"a":.5})", SYNTAX},
        {R"({"a":1.})", SYNTAX},
        {R"({"a":1.e5})", SYNTAX},
        {R"({"a":1e})", SYNTAX},
        {R"({"a":1e+})", SYNTAX},
        {R"({"a":-})", SYNTAX},
        {R"({"a":--1})", SYNTAX},
        {R"({"a":0x10})", SYNTAX},
        {R"({"a":NaN})", SYNTAX},
        {R"({"a":Infinity})", SYNTAX},
        {R"({"a":-Infinity})", SYNTAX},
        {R"({"a":1 2})", SYNTAX},
        // Literals.
        {R"({"t":true,"f":false,"n":null})", OK},
        {R"({"a":tru})", SYNTAX},
        {R"({"a":True})", SYNTAX},
        {R"({"a":truex})", SYNTAX},
        {R"({"a":nulll})", SYNTAX},
        {R"({"a":true1})", SYNTAX},
        // jansson drops one NUL right after a number or literal (see json_doc.cpp), nowhere else.
        {"{\"a\":1\0}"s, OK},
        {"{\"a\":true\0,\"b\":[null\0,2.5\0]}"s, OK},
        {"{\"a\":1\0\0}"s, SYNTAX},
        {"{\"a\":1 \0}"s, SYNTAX},
        {"{\"a\":\"x\"\0}"s, SYNTAX},
        {"{\"a\"\0:1}"s, SYNTAX},
        {"{\"a\":1}\0"s, SYNTAX},
        {"\0{}"s, SYNTAX},
        // Escapes and surrogates.
        {R"({"a":"\"\\\/\b\f\n\r\t"})", OK},
        {R"({"a":"\x"})", SYNTAX},
        {R"({"a":"\'"})", SYNTAX},
        {R"({"a":"\U00e9"})", SYNTAX},
        {R"({"a":"\u00e9\u00E9"})", OK},
        {R"({"a":"\u00g9"})", SYNTAX},
        {R"({"a":"\u00e"})", SYNTAX},
        {R"({"a":"\u0000"})", SYNTAX},
        {R"({"\u0000":1})", SYNTAX},
        {R"({"a":"x\u0000y"})", SYNTAX},
        {R"({"a":"\u0001\u001f\u007f"})", OK},
        {R"({"a":"\ud83d\ude00"})", OK},
        {R"({"a":"\uD83D\uDE00"})", OK},
        {R"({"a":"\udbff\udfff"})", OK},
        {R"({"a":"\uffff\ufffe"})", OK},
        {R"({"a":"\ud800"})", SYNTAX},
        {R"({"a":"\udc00"})", SYNTAX},
        {R"({"a":"\ude00\ud83d"})", SYNTAX},
        {R"({"a":"\ud800\u0041"})", SYNTAX},
        {R"({"a":"\ud800\ud800"})", SYNTAX},
        {R"({"a":"\ud800x"})", SYNTAX},
        {R"({"a":"\ud800\n"})", SYNTAX},
        {R"({"a":"\ud800\u"})", SYNTAX},
        {R"({"a":"x\"})", SYNTAX},
        {R"({"a":"unterminated})", SYNTAX},
        {"{\"a\":\"raw\ttab\"}", SYNTAX},
        {"{\"a\":\"raw\nnewline\"}", SYNTAX},
        {"{\"a\":\"x\0y\"}"s, SYNTAX},
        {"{\"a\":\"del\x7f\"}", OK},
        // UTF-8: jansson checks every byte of the text, strings or not.
        {"{\"a\":\"caf\xc3\xa9\"}", OK},
        {"{\"\xc3\xa9\":\"\xe2\x98\x83\xf0\x9f\x98\x80\"}", OK},
        {"{\"a\":\"\xc0\xaf\"}", SYNTAX},
        {"{\"a\":\"\xc1\xbf\"}", SYNTAX},
        {"{\"a\":\"\xc2\x80\xdf\xbf\"}", OK},
        {"{\"a\":\"\xe0\x80\xaf\"}", SYNTAX},
        {"{\"a\":\"\xe0\x9f\xbf\"}", SYNTAX},
        {"{\"a\":\"\xe0\xa0\x80\"}", OK},
        {"{\"a\":\"\xed\x9f\xbf\xee\x80\x80\"}", OK},
        {"{\"a\":\"\xed\xa0\x80\"}", SYNTAX},
        {"{\"a\":\"\xed\xbf\xbf\"}", SYNTAX},
        {"{\"a\":\"\xf0\x8f\xbf\xbf\"}", SYNTAX},
        {"{\"a\":\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}", OK},
        {"{\"a\":\"\xf4\x90\x80\x80\"}", SYNTAX},
        {"{\"a\":\"\xf5\x80\x80\x80\"}", SYNTAX},
        {"{\"a\":\"\xff\"}", SYNTAX},
        {"{\"a\":\"\x80\"}", SYNTAX},
        {"{\"a\":\"\xc3\"}", SYNTAX},
        {"{\"a\":\"\xe2\x98\"}", SYNTAX},
        {"{\"a\":\"\xe2\x98", SYNTAX},
        {"{\"a\":\"\xe2(\xa1\"}", SYNTAX},
        {"{\"a\":1}\xc3\xa9", SYNTAX},
        {"{\xc3\xa9:1}", SYNTAX},
        {"\xef\xbb\xbf{}", SYNTAX},
        // Long strings (the 8-byte copy) with the special byte at every offset.
        {"{\"a\":\"0123456789abcdef0123456789abcdef\"}", OK},
        {"{\"a\":\"0123456\\n89abcdef01234567\xc3\xa9\x39\"}", OK},
        {"{\"a\":\"0123456789abcde\x01\"}", SYNTAX},
        {"{\"a\":\"01234567\xff\x39\x61\x62\x63\x64\x65\x66\"}", SYNTAX},
        {"{\"0123456789abcdef\":\"x\",\"0123456789abcdeg\":\"y\"}", OK},
        // Whitespace is space, tab, CR and LF only.
        {" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } }\r\n ", OK},
        {"{}\f", SYNTAX},
        {"\v{}", SYNTAX},
        {"{}\xc2\xa0", SYNTAX},
        {"{\"a\":\x00 1}"s, SYNTAX},
        // Structure.
        {"", SYNTAX},
        {"   ", SYNTAX},
        {"{", SYNTAX},
        {"}", SYNTAX},
        {"{}}", SYNTAX},
        {"{}{}", SYNTAX},
        {"{,}", SYNTAX},
        {R"({"a":1,})", SYNTAX},
        {R"({"a"})", SYNTAX},
        {R"({"a":})", SYNTAX},
        {R"({"a" 1})", SYNTAX},
        {R"({"a":1 "b":2})", SYNTAX},
        {R"({1:1})", SYNTAX},
        {R"({'a':1})", SYNTAX},
        {R"({a:1})", SYNTAX},
        {R"({"a":[1,]})", SYNTAX},
        {R"({"a":[,1]})", SYNTAX},
        {R"({"a":[1 2]})", SYNTAX},
        {R"({"a":[}})", SYNTAX},
        {R"({"a":{]})", SYNTAX},
        {R"({"a":[[],[[]],{}],"b":{"c":{}}})", OK},
        {"[]", NOTOBJ},
        {"[1,\"x\",{}]", NOTOBJ},
        {" [ {\"a\":1} ] ", NOTOBJ},
        {"[1] x", SYNTAX},
        {"[1", SYNTAX},
        {"1", SYNTAX},
        {"-1", SYNTAX},
        {"\"s\"", SYNTAX},
        {"true", SYNTAX},
        {"null", SYNTAX},
        // Duplicates: compared after unescaping, in every object, found where jansson finds them.
        {R"({"a":1,"a":1})", DUP},
        {R"({"a":1,"b":2,"a":3})", DUP},
        {R"({"a":1,"\u0061":2})", DUP},
        {"{\"\\u00e9\":1,\"\xc3\xa9\":2}", DUP},
        {"{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", DUP},
        {R"({"sub":"alice","\u0073ub":"admin"})", DUP},
        {R"({"a":{"b":1,"b":2}})", DUP},
        {R"({"a":[{"b":1,"b":2}]})", DUP},
        {R"([{"b":1,"b":2}])", DUP},
        {R"({"a":{"b":1},"b":{"a":1}})", OK},
        {R"({"":1,"":2})", DUP},
        {R"({"":1," ":2})", OK},
        {R"({"ab":1,"abc":2,"a":3})", OK},
        {R"({"abcdefghij":1,"abcdefghik":2})", OK},
        {R"({"abcdefghij":1,"abcdefghij":2})", DUP},
        {R"({"abcdefgh":1,"abcdefgh\u0000":2})", SYNTAX},
        // jansson stops at the first problem in document order: a duplicate name counts as soon as
        // it is read, even if the text breaks right after it.
        {R"({"a":1,"a":2,"b":1e400})", DUP},
        {R"({"a":1,"a")", DUP},
        {R"({"a":1,"a" x)", DUP},
        {R"({"a":1,"a":)", DUP},
        {R"({"a":1,"a":{"x":})", DUP},
        {R"({"x":{"a":1,"a":2},"y":[1,]})", DUP},
        {R"({"a":1e400,"a":1})", SYNTAX},
        {R"({"a":1,"b":[1,],"a":2})", SYNTAX},
        {R"({"a":1,"a\u0000":2})", SYNTAX},
        {R"({"a":1,"a\ud800":2})", SYNTAX},
        {R"({"a":1,"b":{"c":1,"c":2},"a":2})", DUP},
        // Depth (limit 16 here): parse_json_object's pre-scan runs first, over the whole text.
        {nested_objects(16), OK},
        {nested_objects(17), DEEP},
        {"{\"a\":" + std::string(16, '[') + std::string(16, ']') + "}", DEEP},
        {"{\"a\":" + std::string(15, '[') + std::string(15, ']') + "}", OK},
        {"x" + std::string(17, '['), DEEP},
        {R"({"a":1,"a":2,"b":)" + std::string(17, '['), DEEP},
        {R"({"a":1e400,"b":)" + std::string(17, '{'), DEEP},
        {"[" + std::string(16, '{'), DEEP},
        {R"({"a":"[[[[[[[[[[[[[[[[[[[[\"{{{{{{{{{{{{{{{{{{{{{"})", OK},
        {R"({"a":"\\","b":)" + std::string(15, '[') + std::string(15, ']') + "}", OK},
        {"{}" + std::string(20, ']'), SYNTAX},
        {"{\"a\":" + std::string(15, '[') + "1" + std::string(15, ']') + "}", OK},
        // Texts denser in values than one per 4 bytes (parsed again in a bigger block).
        {"{\"a\":[" + repeat("1", 100) + "]}", OK},
        {"{\"a\":[" + repeat("[]", 100) + "]}", OK},
        {"{\"a\":[" + repeat("{}", 60) + "," + repeat("\"\"", 60) + "]}", OK},
        {"[" + repeat("0", 200) + "]", NOTOBJ},
        {"{\"a\":[" + repeat("1", 100) + ",]}", SYNTAX},
        {"{\"a\":[" + repeat("1", 100) + "],\"a\":1}", DUP},
        {"{\"a\":[" + repeat("1", 40) + "]" + std::string(17, '['), DEEP},
        // Large objects (sorted duplicate check).
        {big_object(17), OK},
        {big_object(17, ",\"k3\":0"), DUP},
        {big_object(17, ",\"\\u006b16\":0"), DUP},
        {big_object(40, ",\"k39\":"), DUP},
        {big_object(40, ",\"k40\":"), SYNTAX},
        {"{\"o\":" + big_object(20, ",\"k0\":[") + "}", DUP},
    };
    return cases;
}

} // namespace

START_TEST(differential_table)
{
    size_t accepted = 0;
    for (const Case &c : differential_cases()) {
        check_same(c.text, c.expected);
        accepted += c.expected == OK;
    }
    // Both halves of the table matter.
    ck_assert_uint_ge(accepted, 40);
    ck_assert_uint_ge(differential_cases().size() - accepted, 80);
}
END_TEST

START_TEST(accessors)
{
    JsonDoc doc;
    ck_assert(doc.empty());
    ck_assert(!doc.root().valid());
    ck_assert(!doc.to_jansson());
    std::string text = R"({"s":"x\u00e9\n","i":-42,"r":2.5,"t":true,"f":false,"n":null,)"
                       R"("a":[1,"two",[3],{"k":"v"}],"o":{"k":"v","e":{}},"ea":[],"big":1e300})";
    ck_assert_int_eq((int)doc.parse(text, JsonLimits{4096, 16}), (int)JsonError::None);
    JsonValue root = doc.root();
    ck_assert(root.valid() && static_cast<bool>(root));
    ck_assert(root.is_object() && root.type() == JsonType::Object);
    ck_assert_uint_eq(root.size(), 10);
    ck_assert(root.key(0) == "s" && root.key(9) == "big" && root.key(10).empty());
    ck_assert(root.value(0).string() == "x\xc3\xa9\n");
    ck_assert(!root.value(10).valid());

    JsonValue s = root.member("s");
    ck_assert(s.is_string() && !s.is_number() && s.size() == 0 && s.integer() == 0 && s.real() == 0.0);
    JsonValue i = root.member("i");
    ck_assert(i.is_integer() && i.is_number() && !i.is_real() && i.integer() == -42 && i.real() == -42.0);
    ck_assert(i.string().empty());
    JsonValue r = root.member("r");
    ck_assert(r.is_real() && r.is_number() && r.real() == 2.5 && r.integer() == 0);
    ck_assert(root.member("big").real() == 1e300);
    ck_assert(root.member("t").is_true() && root.member("t").is_bool());
    ck_assert(root.member("f").is_bool() && !root.member("f").is_true());
    ck_assert(root.member("n").is_null() && root.member("n").type() == JsonType::Null);

    JsonValue a = root.member("a");
    ck_assert(a.is_array() && a.size() == 4);
    ck_assert(a.at(0).integer() == 1);
    ck_assert(a.at(1).string() == "two");
    ck_assert(a.at(2).is_array() && a.at(2).at(0).integer() == 3);
    ck_assert(a.at(3).member("k").string() == "v");
    ck_assert(!a.at(4).valid());
    ck_assert(!a.member("k").valid() && a.key(0).empty() && !a.value(0).valid());

    JsonValue o = root.member("o");
    ck_assert(o.is_object() && o.size() == 2);
    ck_assert(o.member("k").string() == "v");
    ck_assert(o.member("e").is_object() && o.member("e").size() == 0);
    ck_assert(!o.at(0).valid());
    ck_assert(root.member("ea").is_array() && root.member("ea").size() == 0);
    ck_assert(!root.member("ea").at(0).valid());

    // Names match with their exact length.
    ck_assert(!root.member(std::string_view("s\0x", 3)).valid());
    ck_assert(root.member(std::string_view("sx", 1)).is_string());
    ck_assert(!root.member("S").valid());
    ck_assert(!root.member("").valid());

    // Absent handles are safe everywhere.
    JsonValue absent = root.member("missing");
    for (JsonValue v : {absent, JsonValue(), absent.member("x"), absent.at(0), absent.value(0)}) {
        ck_assert(!v.valid() && !static_cast<bool>(v));
        ck_assert(v.type() == JsonType::Null);
        ck_assert(!v.is_null() && !v.is_bool() && !v.is_true() && !v.is_number() && !v.is_string());
        ck_assert(!v.is_array() && !v.is_object() && !v.is_integer() && !v.is_real());
        ck_assert(v.string().empty() && v.integer() == 0 && v.real() == 0.0 && v.size() == 0);
        ck_assert(v.key(0).empty());
    }

    Json copy = doc.to_jansson();
    ck_assert_int_eq(json_object_size(copy.get()), 10);
    ck_assert_str_eq(json_object_iter_key(json_object_iter(copy.get())), "s");   // document order
}
END_TEST

START_TEST(moves_and_reparses)
{
    JsonDoc a;
    ck_assert_int_eq((int)a.parse(R"({"k":"first"})", JsonLimits{100, 4}), (int)JsonError::None);
    JsonValue k = a.root().member("k");

    // Handles follow the document when it moves.
    JsonDoc b(std::move(a));
    ck_assert(a.empty() && !a.root().valid());
    ck_assert(k.string() == "first");
    ck_assert(b.root().member("k").string() == "first");
    JsonDoc c;
    c = std::move(b);
    ck_assert(b.empty());
    ck_assert(k.string() == "first");

    // Parsing again replaces the document; a failed parse leaves it empty.
    ck_assert_int_eq((int)c.parse(R"({"k":"second","n":1})", JsonLimits{100, 4}), (int)JsonError::None);
    ck_assert(c.root().member("k").string() == "second");
    ck_assert_int_eq((int)c.parse(R"({"k":)", JsonLimits{100, 4}), (int)JsonError::Syntax);
    ck_assert(c.empty() && !c.root().valid() && !c.to_jansson());
    ck_assert_int_eq((int)c.parse(std::string(200, ' '), JsonLimits{100, 4}), (int)JsonError::TooLarge);
    ck_assert(c.empty());
    ck_assert_int_eq((int)c.parse(R"({"big":")" + std::string(5000, 'x') + "\"}", JsonLimits{8192, 4}),
        (int)JsonError::None);
    ck_assert_uint_eq(c.root().member("big").string().size(), 5000);
    // An empty (default) view is an empty text.
    ck_assert_int_eq((int)c.parse(std::string_view(), JsonLimits{100, 4}), (int)JsonError::Syntax);
}
END_TEST

START_TEST(dense_documents)
{
    // One doc parsing texts of every density and size in turn: a block from an earlier parse is
    // reused when big enough, and a text with more values than the first block holds is parsed
    // again in a block sized for the worst case.
    JsonDoc doc;
    for (unsigned n : {0u, 1u, 3u, 10u, 30u, 100u, 1000u, 5u, 300u, 2u}) {
        for (const char *item : {"1", "[]", "{}", "\"ab\"", "true"}) {
            std::string text = "{\"a\":[" + repeat(item, n) + "],\"b\":0}";
            ck_assert_int_eq((int)doc.parse(text, JsonLimits{text.size(), 16}), (int)JsonError::None);
            ck_assert_uint_eq(doc.root().member("a").size(), n);
            ck_assert(doc.root().member("b").is_integer());
            Json tree;
            JsonError e = edge_auth::parse_json_object(text, JsonLimits{text.size(), 16}, tree);
            ck_assert(e == JsonError::None);
            ck_assert(json_equal(doc.to_jansson().get(), tree.get()));
        }
    }
}
END_TEST

START_TEST(rejection_classes)
{
    JsonDoc doc;
    auto parse = [&doc](const std::string &text, size_t max_bytes = 4096, unsigned depth = 16) {
        return doc.parse(text, JsonLimits{max_bytes, depth});
    };
    std::string big = "{\"a\":\"" + std::string(100, 'x') + "\"}";
    ck_assert_int_eq((int)parse(big, big.size()), (int)JsonError::None);
    ck_assert_int_eq((int)parse(big, big.size() - 1), (int)JsonError::TooLarge);
    // Size first, whatever else is wrong.
    ck_assert_int_eq((int)parse(std::string(50, '['), 10), (int)JsonError::TooLarge);
    ck_assert_int_eq((int)parse("{\"a\":[[[[1]]]]}", 4096, 5), (int)JsonError::None);
    ck_assert_int_eq((int)parse("{\"a\":[[[[1]]]]}", 4096, 4), (int)JsonError::TooDeep);
    ck_assert_int_eq((int)parse("{}", 4096, 0), (int)JsonError::TooDeep);
    ck_assert_int_eq((int)parse("{}", 4096, 1), (int)JsonError::None);
    ck_assert_int_eq((int)parse("{\"a\":{\"b\":1,\"b\":2}}"), (int)JsonError::Duplicate);
    ck_assert_int_eq((int)parse("{\"a\":1}x"), (int)JsonError::Syntax);
    ck_assert_int_eq((int)parse("[{}]"), (int)JsonError::NotObject);
    // The depth bomb from test_json.cpp.
    std::string bomb = "{\"a\":" + std::string(3000, '[') + std::string(3000, ']') + "}";
    ck_assert_int_eq((int)parse(bomb, 1 << 20), (int)JsonError::TooDeep);
}
END_TEST

START_TEST(large_objects)
{
    // 3000 members: accepted; with one duplicate pair (the last member repeats an early name, or
    // an escaped spelling of it) refused. The sorted check keeps this O(n log n).
    check_same(big_object(3000), OK);
    check_same(big_object(3000, ",\"k7\":true"), DUP);
    check_same(big_object(3000, ",\"k\\u0037\":true"), DUP);
    check_same(big_object(3000, ",\"k2999\":true"), DUP);
    check_same(big_object(3000, ",\"k3000\":true"), OK);
    // A duplicate in a large object still open when the text breaks.
    check_same(big_object(3000, ",\"k1\":[1,"), DUP);
    check_same(big_object(3000, ",\"k3000\":[1,"), SYNTAX);

    JsonDoc doc;
    std::string text = big_object(3000);
    ck_assert_int_eq((int)doc.parse(text, JsonLimits{text.size(), 16}), (int)JsonError::None);
    ck_assert_uint_eq(doc.root().size(), 3000);
    ck_assert_int_eq(doc.root().member("k2999").integer(), 2999);
    ck_assert(doc.root().key(1234) == "k1234");
}
END_TEST

START_TEST(jansson_depth_limit)
{
    // jansson refuses any value nested deeper than 2048 (scalars count), which only shows with a
    // max_depth above that; the errors must still match.
    JsonLimits deep{1 << 20, 5000};
    auto arrays = [](unsigned n, const std::string &inner) {
        return std::string(n, '[') + inner + std::string(n, ']');
    };
    check_same("{\"a\":" + arrays(2047, "") + "}", OK, deep);
    check_same("{\"a\":" + arrays(2046, "1") + "}", OK, deep);
    check_same("{\"a\":" + arrays(2047, "1") + "}", DEEP, deep);
    check_same("{\"a\":" + arrays(2048, "") + "}", DEEP, deep);
    check_same("{\"a\":" + arrays(2047, "x") + "}", DEEP, deep);
    check_same("{\"a\":" + arrays(2047, "\xff") + "}", SYNTAX, deep);
    check_same("{\"a\":" + arrays(2047, "1e400") + "}", SYNTAX, deep);
    check_same("{\"a\":" + std::string(2047, '[') + "{}", DEEP, deep);     // the '{' is one too deep
    check_same("{\"a\":" + std::string(2047, '['), SYNTAX, deep);          // nothing after the last '['
}
END_TEST

Suite *json_doc_suite()
{
    Suite *s = suite_create("json_doc");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, differential_table);
    tcase_add_test(tc, accessors);
    tcase_add_test(tc, moves_and_reparses);
    tcase_add_test(tc, dense_documents);
    tcase_add_test(tc, rejection_classes);
    tcase_add_test(tc, large_objects);
    tcase_add_test(tc, jansson_depth_limit);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(json_doc_suite);
