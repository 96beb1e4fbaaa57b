#include "json.h"

#include <new>

namespace edge_auth {

// jansson's own nesting limit (2048) is far above anything a JWT or JWKS needs and a deep
// document costs stack and time inside the recursive parser; a linear pre-scan enforces a small
// limit before jansson sees the input.
bool json_depth_within(std::string_view text, unsigned max_depth) noexcept
{
    unsigned depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                i++;    // the escaped character cannot end the string
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                return false;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return true;
}

const char *json_error_text(JsonError e) noexcept
{
    switch (e) {
    case JsonError::None:
        return "ok";
    case JsonError::TooLarge:
        return "JSON too large";
    case JsonError::TooDeep:
        return "JSON nested too deep";
    case JsonError::Duplicate:
        return "duplicate JSON member";
    case JsonError::Syntax:
        return "invalid JSON";
    case JsonError::NotObject:
        return "JSON is not an object";
    }
    return "invalid JSON";
}

JsonError parse_json_object(std::string_view text, const JsonLimits &limits, Json &out)
{
    out = Json();
    if (text.size() > limits.max_bytes) {
        return JsonError::TooLarge;
    }
    if (!json_depth_within(text, limits.max_depth)) {
        return JsonError::TooDeep;
    }
    json_error_t err;
    json_t *v = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err);
    if (!v) {
        switch (json_error_code(&err)) {
        case json_error_out_of_memory:
            throw std::bad_alloc();
        case json_error_duplicate_key:
            return JsonError::Duplicate;
        case json_error_stack_overflow:
            return JsonError::TooDeep;
        default:
            return JsonError::Syntax;
        }
    }
    Json doc(v);
    if (!json_is_object(v)) {
        return JsonError::NotObject;
    }
    out = std::move(doc);
    return JsonError::None;
}

bool json_string_member(const json_t *obj, const char *name, std::string_view &out) noexcept
{
    const json_t *v = json_object_get(obj, name);
    if (!json_is_string(v)) {
        return false;
    }
    out = json_string_view(v);
    return true;
}

} // namespace edge_auth
