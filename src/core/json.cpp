#include "json.h"

#include <cstdint>
#include <new>
#include <string>

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

bool json_valid_utf8(std::string_view s) noexcept
{
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    const unsigned char *end = p + s.size();
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (static_cast<size_t>(end - p) <= n) {
            return false;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return false;
        }
        p += n + 1;
    }
    return true;
}

void append_json_string(std::string &out, std::string_view s, bool del_as_percent)
{
    static const char kHex[] = "0123456789ABCDEF";
    out.push_back('"');
    size_t start = 0;
    for (size_t i = 0; i < s.size(); i++) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && !(c == 0x7f && del_as_percent)) {
            continue;
        }
        out.append(s.data() + start, i - start);
        start = i + 1;
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case 0x7f: out.append("%7F"); break;
        default:
            out.append("\\u00");
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
            break;
        }
    }
    out.append(s.data() + start, s.size() - start);
    out.push_back('"');
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
