// json_doc.h: a strict single-pass JSON parser into a compact, read-only document, for the small
// objects parsed on every request (a JWS header, a token's claims).
//
// Usage:
//
//     JsonDoc doc;
//     JsonError e = doc.parse(text, JsonLimits{8192, 16});
//     if (e != JsonError::None) return reject(json_error_text(e));
//     JsonValue alg = doc.root().member("alg");
//     if (!alg.is_string()) return reject("alg");
//     std::string_view name = alg.string();         // valid while `doc` lives
//     for (size_t i = 0; i < doc.root().size(); i++) use(doc.root().key(i), doc.root().value(i));
//
// The parser accepts exactly the texts parse_json_object (json.h) accepts, builds the same tree
// and reports the same JsonError for every rejected text, so moving a caller from one to the
// other changes no decision (tests/unit/test_json_doc.cpp and fuzz/fuzz_json_doc.cpp compare
// the two). Unlike jansson it allocates one block per parse, not one per value and a hash table
// per object: 16 bytes per value plus the decoded strings, sized from the text's length, and
// reused when the same doc parses again and the block is big enough. A text denser in values than
// one per 4 bytes (an array of small numbers) takes a second block and a second pass.
//
// A JsonValue is a small handle (pass it by value). It stays valid while its JsonDoc lives, also
// across moves of the doc, until the doc is parsed again or destroyed. Handles on absent values
// (a missing member, an index out of range, a default-constructed handle) are safe to use: every
// accessor then returns an empty, zero or absent result. Objects are small, so member lookup is a
// linear scan; at(), key() and value() walk from the first element, so loop with them only over
// small containers.

#ifndef EDGE_AUTH_CORE_JSON_DOC_H
#define EDGE_AUTH_CORE_JSON_DOC_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "json.h"

namespace edge_auth {

enum class JsonType : uint8_t { Null, False, True, Integer, Real, String, Array, Object };

struct JsonNode;   // one value of a JsonDoc; defined in json_doc.cpp
class JsonDoc;

class JsonValue {
public:
    JsonValue() noexcept : node_(nullptr), strings_(nullptr) {}

    // False for an absent value (member not found, index out of range, default handle).
    bool valid() const noexcept { return node_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }

    JsonType type() const noexcept;   // Null when absent: test valid() first where it matters

    // Each of these is false for an absent value (so is_null() means "present and null").
    bool is_null() const noexcept { return valid() && type() == JsonType::Null; }
    bool is_bool() const noexcept
    {
        JsonType t = type();
        return t == JsonType::True || t == JsonType::False;
    }
    bool is_true() const noexcept { return type() == JsonType::True; }
    bool is_integer() const noexcept { return type() == JsonType::Integer; }
    bool is_real() const noexcept { return type() == JsonType::Real; }
    bool is_number() const noexcept
    {
        JsonType t = type();
        return t == JsonType::Integer || t == JsonType::Real;
    }
    bool is_string() const noexcept { return type() == JsonType::String; }
    bool is_array() const noexcept { return type() == JsonType::Array; }
    bool is_object() const noexcept { return type() == JsonType::Object; }

    std::string_view string() const noexcept;   // decoded UTF-8; empty if not a string
    int64_t integer() const noexcept;           // 0 if not an integer
    double real() const noexcept;               // a Real, or an Integer converted; 0 otherwise
    size_t size() const noexcept;               // array elements / object members; 0 otherwise

    JsonValue at(size_t i) const noexcept;                   // absent if out of range or not an array
    JsonValue member(std::string_view name) const noexcept;  // by decoded name; absent if none
    std::string_view key(size_t i) const noexcept;           // name of member i, document order
    JsonValue value(size_t i) const noexcept;                // value of member i, document order

private:
    friend class JsonDoc;
    friend struct JsonWalk;
    JsonValue(const JsonNode *node, const char *strings) noexcept : node_(node), strings_(strings) {}

    const JsonNode *node_;     // nullptr: absent
    const char *strings_;      // the doc's string arena
};

// Sequential access for the core's own walkers (JsonDoc::to_jansson, the renderers of
// token_value.h), which would otherwise pay O(i) per key(i)/value(i). first(c): the first element
// of an array, or the first member name of an object (a string value); next(v): the value after
// v's subtree, which for a member name is its value. Unchecked: step at most size() times.
struct JsonWalk {
    static JsonValue first(const JsonValue &container) noexcept;
    static JsonValue next(const JsonValue &v) noexcept;
};

class JsonDoc {
public:
    JsonDoc() noexcept;
    ~JsonDoc();
    JsonDoc(JsonDoc &&o) noexcept;
    JsonDoc &operator=(JsonDoc &&o) noexcept;
    JsonDoc(const JsonDoc &) = delete;
    JsonDoc &operator=(const JsonDoc &) = delete;

    // Same contract as parse_json_object: the top level must be an object; rejects duplicate
    // member names (compared after unescaping), NUL (\u0000), raw control bytes in strings,
    // invalid UTF-8 anywhere, lone or mis-paired surrogate escapes, trailing non-whitespace,
    // nesting deeper than limits.max_depth (top-level object = depth 1), text longer than
    // limits.max_bytes, integers outside int64 and reals that overflow a double. Whitespace is
    // space, \t, \n and \r only. On failure the doc is empty. Throws only std::bad_alloc (also for
    // a text of 4 GiB or more, which the compact node format cannot index).
    JsonError parse(std::string_view text, const JsonLimits &limits);

    JsonValue root() const noexcept;   // absent when empty
    bool empty() const noexcept { return count_ == 0; }

    // A jansson copy of the whole document (a new reference, members in document order; empty
    // when the doc is), for the few consumers that still take json_t. Throws std::bad_alloc.
    Json to_jansson() const;

private:
    std::unique_ptr<JsonNode[]> block_;   // the nodes, then the string arena
    size_t block_nodes_;                  // size of block_, in nodes
    uint32_t count_;                      // nodes of the current document; 0: empty
    const char *strings_;                 // the string arena, inside block_
};

// A jansson copy of one value and its subtree (a new reference; empty for an absent value).
// Throws std::bad_alloc.
Json to_jansson(JsonValue v);

} // namespace edge_auth

#endif
