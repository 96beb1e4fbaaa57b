/*
 * fuzz_common.h: checks shared by the libFuzzer targets.
 *
 * Besides crashes and sanitizer reports, the targets assert the documented contracts of the C
 * facade (src/core/edge_auth.h) that the nginx glue relies on: status codes in range, *out NULL on
 * failure, NUL-terminated error buffers, and no control bytes in anything that ends up in a log
 * line or an HTTP header. A broken contract aborts, so libFuzzer saves the input as a crash.
 */

#ifndef EDGE_AUTH_FUZZ_COMMON_H
#define EDGE_AUTH_FUZZ_COMMON_H

#include "edge_auth.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace fuzz {

[[noreturn]] inline void violation(const char *what, const char *data, size_t len)
{
    std::fprintf(stderr, "facade contract violated: %s: \"", what);
    for (size_t i = 0; i < len && i < 200; i++) {
        unsigned char c = static_cast<unsigned char>(data[i]);
        std::fprintf(stderr, c < 0x20 || c == 0x7f || c == '"' ? "\\x%02x" : "%c", c);
    }
    std::fprintf(stderr, "\"\n");
    std::abort();
}

/* Control bytes would split a log line or a header value. */
inline void check_no_controls(const char *what, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = static_cast<unsigned char>(data[i]);
        if (c < 0x20 || c == 0x7f) {
            violation(what, data, len);
        }
    }
}

/* A caller-supplied message buffer must come back NUL-terminated within its size. */
inline void check_message(const char *what, const char *buf, size_t cap)
{
    const void *nul = std::memchr(buf, '\0', cap);
    if (nul == nullptr) {
        violation(what, buf, cap);
    }
    check_no_controls(what, buf, static_cast<const char *>(nul) - buf);
}

/* An ea_alloc_fn handing out exact-size malloc blocks (so ASan sees any overrun), all freed
 * together when the arena goes out of scope, as an nginx pool would be. */
struct Arena {
    std::vector<void *> blocks;

    Arena() = default;
    Arena(const Arena &) = delete;
    Arena &operator=(const Arena &) = delete;
    ~Arena()
    {
        for (void *p : blocks) {
            std::free(p);
        }
    }

    static void *alloc(void *ctx, size_t size)
    {
        void *p = std::malloc(size ? size : 1);
        if (p != nullptr) {
            static_cast<Arena *>(ctx)->blocks.push_back(p);
        }
        return p;
    }
};

/* Renders one member and checks the result: 1 found, 0 absent, -1 only on allocation failure. */
inline void render(const ea_token_t *tok, int part, std::vector<ea_str_t> path)
{
    Arena arena;
    ea_str_t out = {nullptr, 0};
    int rc = ea_token_value(tok, part, path.data(), path.size(), Arena::alloc, &arena, &out);
    if (rc != 0 && rc != 1) {
        violation("ea_token_value returned neither 0 nor 1", "", 0);
    }
    if (rc == 1) {
        if (out.data == nullptr && out.len != 0) {
            violation("ea_token_value: NULL data with a length", "", 0);
        }
        check_no_controls("ea_token_value output", out.data, out.len);
    }
}

inline void check_status(ea_status_t rc)
{
    if (static_cast<unsigned>(rc) >= EA_STATUS_COUNT) {
        violation("status out of range", "", 0);
    }
    const char *reason = ea_status_reason(rc);
    if (reason == nullptr || *reason == '\0') {
        violation("ea_status_reason gave no reason", "", 0);
    }
}

/* ---- base64url, for the structure-aware mutator ------------------------------------------ */

inline std::string b64url_encode(const std::string &in)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += A[(acc >> bits) & 63];
        }
    }
    if (bits > 0) {
        out += A[(acc << (6 - bits)) & 63];
    }
    return out;
}

/* Lenient on purpose: skips anything outside the alphabet, so any segment decodes to something
 * the mutator can work on. */
inline std::string b64url_decode_lenient(const char *in, size_t len)
{
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-'             ? 62
                : c == '_'             ? 63
                                       : -1;
        if (v < 0) {
            continue;
        }
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

}  // namespace fuzz

#endif /* EDGE_AUTH_FUZZ_COMMON_H */
