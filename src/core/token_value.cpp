#include "token_value.h"

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

} // namespace edge_auth
