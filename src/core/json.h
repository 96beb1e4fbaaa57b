// json.h: an owning handle on a jansson value, and the jansson-based parse of the documents read
// at configuration time (key sets, discovery). The documents parsed while serving requests (a
// bearer token's header and claims, an opened session, a flow cookie, a token response) go
// through JsonDoc (json_doc.h), which accepts exactly the same texts.
//
// Usage:
//
//     Json doc;
//     JsonError e = parse_json_object(text, JsonLimits{8192, 16}, doc);
//     if (e != JsonError::None) return reject(json_error_text(e));
//     std::string_view alg;
//     if (json_string_member(doc.get(), "alg", alg)) ...
//
// Every parse rejects duplicate member names (after unescaping, so "\u0073ub" duplicates
// "sub"), NUL characters, invalid UTF-8, trailing data and anything nested deeper than the
// limit, and requires the top level to be an object. The same parsed tree is then used both for
// the checks and for the values handed to nginx, so no second parser can read a document
// differently from the one that validated it.

#ifndef EDGE_AUTH_CORE_JSON_H
#define EDGE_AUTH_CORE_JSON_H

#include <cstddef>
#include <string_view>

#include <jansson.h>

namespace edge_auth {

class Json {
public:
    Json() noexcept : v_(nullptr) {}
    // Takes ownership of one reference.
    explicit Json(json_t *owned) noexcept : v_(owned) {}
    ~Json() { json_decref(v_); }

    Json(Json &&o) noexcept : v_(o.v_) { o.v_ = nullptr; }
    Json &operator=(Json &&o) noexcept
    {
        if (this != &o) {
            json_decref(v_);
            v_ = o.v_;
            o.v_ = nullptr;
        }
        return *this;
    }
    Json(const Json &) = delete;
    Json &operator=(const Json &) = delete;

    json_t *get() const noexcept { return v_; }
    explicit operator bool() const noexcept { return v_ != nullptr; }

private:
    json_t *v_;
};

struct JsonLimits {
    size_t max_bytes;
    unsigned max_depth;   // the top-level object counts as depth 1
};

enum class JsonError {
    None,
    TooLarge,
    TooDeep,
    Duplicate,
    Syntax,     // includes invalid UTF-8, NUL, trailing data, numbers jansson cannot represent
    NotObject,
};

const char *json_error_text(JsonError e) noexcept;

// Parses `text` (explicit length, no NUL terminator needed). Allocation failure inside jansson
// throws std::bad_alloc; every other problem is a JsonError.
JsonError parse_json_object(std::string_view text, const JsonLimits &limits, Json &out);

// False when `text` nests objects and arrays deeper than `max_depth` (a linear scan that skips
// strings). parse_json_object runs it before jansson sees the text, so TooDeep is decided ahead
// of every other error, wherever they are; JsonDoc reports errors in the same order with it.
bool json_depth_within(std::string_view text, unsigned max_depth) noexcept;

// Well-formed UTF-8 as jansson requires of every string: no overlong forms, no surrogates,
// nothing above U+10FFFF, no stray or missing continuation bytes.
bool json_valid_utf8(std::string_view s) noexcept;

// Appends `s` as a quoted JSON string the way jansson's dump writes it: '"', '\' and the short
// escapes, other bytes below 0x20 as \u00XX (upper-case hex), everything else (non-ASCII, '/',
// DEL) raw. With `del_as_percent`, DEL becomes "%7F" instead, for values bound for an HTTP header
// (see token_value.h). `s` must be valid UTF-8. Throws std::bad_alloc.
void append_json_string(std::string &out, std::string_view s, bool del_as_percent = false);

// The member `name` of object `obj` as a string view into the tree (valid while the tree
// lives). False when absent or not a string.
bool json_string_member(const json_t *obj, const char *name, std::string_view &out) noexcept;

inline std::string_view json_string_view(const json_t *s) noexcept
{
    return std::string_view(json_string_value(s), json_string_length(s));
}

} // namespace edge_auth

#endif
