#include "token_value.h"

#include <charconv>
#include <cstring>
#include <new>

#include "json.h"

namespace edge_auth {

namespace {

const char kHexUpper[] = "0123456789ABCDEF";

bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int append_dump(const char *buffer, size_t size, void *data)
{
    // jansson calls this from C; an exception must not cross that frame.
    try {
        append_escaped_controls(std::string_view(buffer, size), *static_cast<std::string *>(data));
        return 0;
    } catch (...) {
        return -1;
    }
}

void dump(const json_t *v, std::string &out)
{
    if (json_dump_callback(v, append_dump, &out, JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
        // The callback only fails when appending failed to allocate.
        throw std::bad_alloc();
    }
}

bool is_scalar(const json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

void render_scalar(const json_t *v, std::string &out)
{
    if (json_is_string(v)) {
        append_escaped_controls(json_string_view(v), out);
    } else {
        dump(v, out);
    }
}

// ---- JsonValue: jansson's json_dumps(JSON_COMPACT | JSON_ENCODE_ANY), then DEL as %7F ----------

bool is_scalar(const JsonValue &v)
{
    return !v.is_object() && !v.is_array();
}

// jansson's jsonp_dtostr: %.17g; ".0" appended when there is neither '.' nor 'e'; '+' and leading
// zeros dropped from the exponent. std::to_chars prints as %.17g does in the "C" locale, which
// is what jansson's own locale fix-up yields.
void dump_real(double d, std::string &out)
{
    char buf[40];
    auto r = std::to_chars(buf, buf + sizeof(buf) - 3, d, std::chars_format::general, 17);
    size_t len = static_cast<size_t>(r.ptr - buf);
    if (!std::memchr(buf, '.', len) && !std::memchr(buf, 'e', len)) {
        buf[len++] = '.';
        buf[len++] = '0';
    }
    if (char *e = static_cast<char *>(std::memchr(buf, 'e', len))) {
        char *start = e + 1;
        char *end = start + 1;
        if (*start == '-') {
            start++;
        }
        while (end < buf + len && *end == '0') {
            end++;
        }
        if (end != start) {
            std::memmove(start, end, len - static_cast<size_t>(end - buf));
            len -= static_cast<size_t>(end - start);
        }
    }
    out.append(buf, len);
}

void dump(const JsonValue &v, std::string &out)
{
    switch (v.type()) {
    case JsonType::Null:
        out.append("null");
        return;
    case JsonType::False:
        out.append("false");
        return;
    case JsonType::True:
        out.append("true");
        return;
    case JsonType::Integer: {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof(buf), v.integer());
        out.append(buf, r.ptr);
        return;
    }
    case JsonType::Real:
        dump_real(v.real(), out);
        return;
    case JsonType::String:
        append_json_string(out, v.string(), true);   // DEL as %7F, like append_escaped_controls
        return;
    case JsonType::Array: {
        out.push_back('[');
        JsonValue e = JsonWalk::first(v);
        for (size_t i = 0, n = v.size(); i < n; i++, e = JsonWalk::next(e)) {
            if (i) {
                out.push_back(',');
            }
            dump(e, out);
        }
        out.push_back(']');
        return;
    }
    case JsonType::Object: {
        out.push_back('{');
        JsonValue k = JsonWalk::first(v);
        for (size_t i = 0, n = v.size(); i < n; i++) {
            if (i) {
                out.push_back(',');
            }
            append_json_string(out, k.string(), true);
            out.push_back(':');
            JsonValue value = JsonWalk::next(k);
            dump(value, out);
            k = JsonWalk::next(value);
        }
        out.push_back('}');
        return;
    }
    }
}

void render_scalar(const JsonValue &v, std::string &out)
{
    if (v.is_string()) {
        append_escaped_controls(v.string(), out);
    } else {
        dump(v, out);
    }
}

} // namespace

void append_escaped_controls(std::string_view in, std::string &out)
{
    size_t start = 0;
    for (size_t i = 0; i < in.size(); i++) {
        auto c = static_cast<unsigned char>(in[i]);
        if (is_control(c)) {
            out.append(in.data() + start, i - start);
            out.push_back('%');
            out.push_back(kHexUpper[c >> 4]);
            out.push_back(kHexUpper[c & 0xf]);
            start = i + 1;
        }
    }
    out.append(in.data() + start, in.size() - start);
}

const json_t *find_member(const json_t *root, const std::string_view *path, size_t depth) noexcept
{
    if (depth == 0) {
        return nullptr;
    }
    const json_t *cur = root;
    for (size_t i = 0; i < depth; i++) {
        if (!json_is_object(cur)) {
            return nullptr;
        }
        cur = json_object_getn(cur, path[i].data(), path[i].size());
        if (!cur) {
            return nullptr;
        }
    }
    return cur;
}

void render_value(const json_t *v, std::string &out)
{
    if (is_scalar(v)) {
        render_scalar(v, out);
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        bool flat = true;
        json_array_foreach(v, i, e) {
            flat = flat && is_scalar(e);
        }
        if (flat) {
            json_array_foreach(v, i, e) {
                if (i) {
                    out.push_back(',');
                }
                render_scalar(e, out);
            }
            return;
        }
    }
    dump(v, out);
}

void render_compact_json(const json_t *v, std::string &out)
{
    dump(v, out);
}

JsonValue find_member(const JsonValue &root, const std::string_view *path, size_t depth) noexcept
{
    if (depth == 0) {
        return JsonValue();
    }
    JsonValue cur = root;
    for (size_t i = 0; i < depth && cur.valid(); i++) {
        cur = cur.member(path[i]);
    }
    return cur;
}

void render_value(const JsonValue &v, std::string &out)
{
    if (!v.valid()) {
        return;
    }
    if (is_scalar(v)) {
        render_scalar(v, out);
        return;
    }
    if (v.is_array()) {
        bool flat = true;
        JsonValue e = JsonWalk::first(v);
        for (size_t i = 0, n = v.size(); i < n && flat; i++, e = JsonWalk::next(e)) {
            flat = is_scalar(e);
        }
        if (flat) {
            e = JsonWalk::first(v);
            for (size_t i = 0, n = v.size(); i < n; i++, e = JsonWalk::next(e)) {
                if (i) {
                    out.push_back(',');
                }
                render_scalar(e, out);
            }
            return;
        }
    }
    dump(v, out);
}

void render_compact_json(const JsonValue &v, std::string &out)
{
    if (v.valid()) {
        dump(v, out);
    }
}

} // namespace edge_auth
