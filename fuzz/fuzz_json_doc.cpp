/*
 * fuzz_json_doc.cpp: differential libFuzzer target for JsonDoc (src/core/json_doc.h), the
 * single-pass parser that replaced jansson on the per-request path, against
 * parse_json_object (src/core/json.h), the jansson-based parser it must agree with.
 *
 * Every input is parsed by both, with the same limits (the input's size, depth 16), and also by
 * one JsonDoc kept across inputs (so its block is reused at every size). It aborts when a
 * JsonError differs; when both accept and the trees are not json_equal (integer 1 and real 1.0
 * differ there); or when render_compact_json / render_value (src/core/token_value.h) of the
 * root, of every top-level member and of every element of a top-level array member give
 * different text for the two trees. Run with: make fuzz-run-fuzz_json_doc
 */

#include "fuzz_common.h"

#include <string>
#include <string_view>

#include "json.h"
#include "json_doc.h"
#include "token_value.h"

namespace {

using edge_auth::Json;
using edge_auth::JsonDoc;
using edge_auth::JsonError;
using edge_auth::JsonLimits;
using edge_auth::JsonValue;

void same_rendering(const char *what, const json_t *j, const JsonValue &v, const char *data, size_t size)
{
    std::string a, b;
    edge_auth::render_compact_json(j, a);
    edge_auth::render_compact_json(v, b);
    if (a != b) {
        std::fprintf(stderr, "%s: compact json differs:\n  jansson: %s\n  JsonDoc: %s\n", what, a.c_str(),
            b.c_str());
        fuzz::violation("render_compact_json differs", data, size);
    }
    a.clear();
    b.clear();
    edge_auth::render_value(j, a);
    edge_auth::render_value(v, b);
    if (a != b) {
        std::fprintf(stderr, "%s: rendering differs:\n  jansson: %s\n  JsonDoc: %s\n", what, a.c_str(),
            b.c_str());
        fuzz::violation("render_value differs", data, size);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = reinterpret_cast<const char *>(data);
    std::string_view input(text, size);
    JsonLimits limits{size, 16};

    Json tree;
    JsonError expected = edge_auth::parse_json_object(input, limits, tree);
    JsonDoc doc;
    JsonError got = doc.parse(input, limits);
    if (got != expected) {
        std::fprintf(stderr, "JsonDoc: %s, parse_json_object: %s\n", edge_auth::json_error_text(got),
            edge_auth::json_error_text(expected));
        fuzz::violation("JsonError differs", text, size);
    }
    static JsonDoc reused;
    if (reused.parse(input, limits) != got) {
        fuzz::violation("JsonError differs in a reused JsonDoc", text, size);
    }
    if (got != JsonError::None) {
        if (!doc.empty() || doc.root().valid() || !reused.empty()) {
            fuzz::violation("a refused document is not empty", text, size);
        }
        return 0;
    }

    Json copy = doc.to_jansson();
    if (!json_equal(copy.get(), tree.get())) {
        fuzz::violation("trees differ", text, size);
    }
    if (!json_equal(reused.to_jansson().get(), tree.get())) {
        fuzz::violation("trees differ in a reused JsonDoc", text, size);
    }

    // The renderers, on the root and one or two levels down; member lookup by name must find the
    // same value as iteration (names are unique).
    JsonValue root = doc.root();
    same_rendering("root", tree.get(), root, text, size);
    if (root.size() != json_object_size(tree.get())) {
        fuzz::violation("member count differs", text, size);
    }
    for (size_t i = 0; i < root.size(); i++) {
        std::string_view name = root.key(i);
        const json_t *j = json_object_getn(tree.get(), name.data(), name.size());
        JsonValue v = root.value(i);
        if (j == nullptr || root.member(name).string().data() != v.string().data()
            || root.member(name).size() != v.size() || root.member(name).type() != v.type()) {
            fuzz::violation("member lookup differs", text, size);
        }
        same_rendering("member", j, v, text, size);
        if (v.is_array()) {
            for (size_t k = 0; k < v.size(); k++) {
                same_rendering("element", json_array_get(j, k), v.at(k), text, size);
            }
            if (v.at(v.size()).valid()) {
                fuzz::violation("element past the end", text, size);
            }
        }
    }
    return 0;
}
