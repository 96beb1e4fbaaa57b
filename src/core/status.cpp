#include "status.h"

#include <cinttypes>
#include <cstdio>

namespace edge_auth {

namespace {

const char *const kReasons[] = {
    "ok",
    "no_credentials",
    "token_too_large",
    "malformed",
    "bad_header",
    "alg_not_allowed",
    "unknown_key",
    "bad_signature",
    "bad_claim",
    "missing_exp",
    "expired",
    "not_yet_valid",
    "issuer",
    "audience",
    "token_type",
    "no_keys",
    "internal",
};

static_assert(sizeof(kReasons) / sizeof(kReasons[0]) == static_cast<size_t>(Status::Count),
    "one reason string per status");

const char kHex[] = "0123456789abcdef";

// Printable ASCII except the quote and the backslash passes through; everything else (control
// bytes, DEL, non-ASCII, which may be invalid UTF-8 here) becomes \xNN so a log line can never be
// split or made ambiguous by token contents.
template <typename Sink>
void escape_into(Sink &&put, std::string_view s, size_t max_bytes)
{
    size_t n = s.size() < max_bytes ? s.size() : max_bytes;
    put('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            put(static_cast<char>(c));
        } else {
            put('\\');
            put('x');
            put(kHex[c >> 4]);
            put(kHex[c & 0xf]);
        }
    }
    put('"');
    if (n < s.size()) {
        put('.');
        put('.');
        put('.');
    }
}

} // namespace

const char *status_reason(Status status) noexcept
{
    auto i = static_cast<size_t>(status);
    if (i >= static_cast<size_t>(Status::Count)) {
        return "internal";
    }
    return kReasons[i];
}

Detail::Detail(char *buf, size_t cap) noexcept : buf_(cap ? buf : nullptr), cap_(buf ? cap : 0), len_(0)
{
    if (buf_) {
        buf_[0] = '\0';
    }
}

void Detail::put(char c) noexcept
{
    if (len_ + 1 < cap_) {
        buf_[len_++] = c;
        buf_[len_] = '\0';
    }
}

void Detail::clear() noexcept
{
    len_ = 0;
    if (buf_) {
        buf_[0] = '\0';
    }
}

Detail &Detail::text(const char *s) noexcept
{
    while (s && *s) {
        put(*s++);
    }
    return *this;
}

Detail &Detail::quoted(std::string_view untrusted, size_t max_bytes) noexcept
{
    escape_into([this](char c) { put(c); }, untrusted, max_bytes);
    return *this;
}

Detail &Detail::num(int64_t v) noexcept
{
    char tmp[32];
    std::snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    return text(tmp);
}

Detail &Detail::unum(uint64_t v) noexcept
{
    char tmp[32];
    std::snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
    return text(tmp);
}

void append_quoted(std::string &out, std::string_view untrusted, size_t max_bytes)
{
    escape_into([&out](char c) { out.push_back(c); }, untrusted, max_bytes);
}

} // namespace edge_auth
