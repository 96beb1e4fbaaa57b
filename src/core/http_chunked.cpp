// http_chunked.cpp: decoding a complete chunked HTTP/1.1 body in place (RFC 9112 section 7.1),
// for responses of an OpenID Provider read by the module's own HTTP client. The input is
// untrusted: every size is bounded by what is left of the buffer, and anything unexpected
// (a missing CRLF, a size without hex digits, an overflowing size, no last chunk) is an error.

#include <cstddef>
#include <cstring>

#include "edge_auth.h"

namespace {

int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The offset just past the next CRLF at or after `pos`, or 0 when there is none.
size_t after_crlf(const char *buf, size_t len, size_t pos) noexcept
{
    for (size_t i = pos; i + 1 < len; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n') return i + 2;
        unsigned char c = static_cast<unsigned char>(buf[i]);
        if ((c < 0x20 && c != '\t') || c == 0x7f) return 0;   // bare LF, NUL, other controls
    }
    return 0;
}

} // namespace

extern "C" int ea_http_dechunk(char *buf, size_t len, size_t *out_len)
{
    if (buf == nullptr || out_len == nullptr) return -1;

    size_t in = 0, out = 0;

    for (;;) {
        // chunk-size [ chunk-ext ] CRLF
        size_t size = 0, digits = 0;
        while (in < len && hex_value(buf[in]) >= 0) {
            if (size > (static_cast<size_t>(-1) >> 4)) return -1;
            size = (size << 4) | static_cast<size_t>(hex_value(buf[in]));
            in++;
            digits++;
        }
        if (digits == 0) return -1;
        if (in < len && buf[in] != '\r' && buf[in] != ';' && buf[in] != ' ' && buf[in] != '\t') {
            return -1;
        }
        size_t next = after_crlf(buf, len, in);
        if (next == 0) return -1;
        in = next;

        if (size == 0) {
            // trailer fields, each ending in CRLF, then the final CRLF
            for (;;) {
                if (in + 2 <= len && buf[in] == '\r' && buf[in + 1] == '\n') {
                    *out_len = out;
                    return 0;
                }
                next = after_crlf(buf, len, in);
                if (next == 0) return -1;
                in = next;
            }
        }

        if (size > len - in || len - in - size < 2) return -1;
        std::memmove(buf + out, buf + in, size);
        out += size;
        in += size;
        if (buf[in] != '\r' || buf[in + 1] != '\n') return -1;
        in += 2;
    }
}
