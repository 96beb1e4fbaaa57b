// token_value.h: renders a member of a verified token's header or claims as the text of an
// nginx variable (and so, often, of an upstream request header).
//
// Usage:
//
//     std::string_view path[] = {"realm_access", "roles"};
//     if (const json_t *v = find_member(claims, path, 2)) {
//         std::string text;
//         render_value(v, text);          // e.g. "admin,user"
//     }
//
// The same three functions take a JsonValue of a JsonDoc (json_doc.h) and produce the same text,
// byte for byte, as for the jansson tree of the same document.
//
// Rendering: strings as they are; numbers, true, false and null in JSON form (integers without
// a decimal point, reals as jansson prints them); arrays of scalars joined with ","; objects
// and arrays holding objects or arrays as compact JSON. Control bytes 0x00-0x1f and 0x7f are
// then written as %XX (upper-case hex), so no claim can split a header line or smuggle a new
// header. Nothing else is changed: non-ASCII UTF-8 passes through, and '%' itself is not
// escaped (the encoding is for safety, not for reversibility).

#ifndef EDGE_AUTH_CORE_TOKEN_VALUE_H
#define EDGE_AUTH_CORE_TOKEN_VALUE_H

#include <cstddef>
#include <string>
#include <string_view>

#include <jansson.h>

#include "json_doc.h"

namespace edge_auth {

// The value at `path` (member names, top-down), or nullptr when any step is absent or not an
// object. depth 0 yields nullptr.
const json_t *find_member(const json_t *root, const std::string_view *path, size_t depth) noexcept;

// Appends the rendering of `v` to `out`. Throws only std::bad_alloc.
void render_value(const json_t *v, std::string &out);

// Appends `v` as compact JSON, control bytes escaped as above. Throws only std::bad_alloc.
void render_compact_json(const json_t *v, std::string &out);

// The same for a JsonDoc value: absent when any step is absent or not an object.
JsonValue find_member(const JsonValue &root, const std::string_view *path, size_t depth) noexcept;

// The same renderings of a JsonDoc value, as jansson would print it (an absent value appends
// nothing). Throw only std::bad_alloc.
void render_value(const JsonValue &v, std::string &out);
void render_compact_json(const JsonValue &v, std::string &out);

// Appends `in` with control bytes written as %XX.
void append_escaped_controls(std::string_view in, std::string &out);

} // namespace edge_auth

#endif
