// status.h: every outcome of a verification, its stable reason string, and the short escaped
// "detail" line that says why.
//
// Usage:
//
//     char buf[128];
//     Detail detail(buf, sizeof(buf));
//     detail.text("alg ").quoted(alg_from_header).text(" is not allowed");
//     return Status::AlgNotAllowed;
//     ...
//     log("jwt rejected: %s (%s)", status_reason(Status::AlgNotAllowed), buf);
//
// The numeric values equal the C facade's ea_status_t (checked at compile time in facade.cpp),
// and the reason strings are part of the public contract: they appear in logs, in audit
// variables and in tests, so they never change.

#ifndef EDGE_AUTH_CORE_STATUS_H
#define EDGE_AUTH_CORE_STATUS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edge_auth {

enum class Status : int {
    Ok = 0,
    NoToken,
    TokenTooLarge,
    Malformed,
    BadHeader,
    AlgNotAllowed,
    UnknownKey,
    BadSignature,
    BadClaim,
    MissingExp,
    Expired,
    NotYetValid,
    Issuer,
    Audience,
    TokenType,
    NoKeys,
    Internal,
    Count
};

// Stable short reason code, e.g. "bad_signature". Never null; out-of-range values map to
// "internal" so a caller bug can never print garbage.
const char *status_reason(Status status) noexcept;

// Writes one human-readable line into a caller-owned buffer without allocating: rejections
// happen at attack rates, so the error path must be as cheap as the success path. Everything
// that came from a token goes through quoted(), which escapes it and cuts it short, so the line
// is always safe to log. Output is silently truncated at the buffer size and always
// NUL-terminated; a zero-sized buffer turns every call into a no-op.
class Detail {
public:
    Detail() noexcept : buf_(nullptr), cap_(0), len_(0) {}
    Detail(char *buf, size_t cap) noexcept;

    Detail &text(const char *s) noexcept;
    Detail &quoted(std::string_view untrusted, size_t max_bytes = 64) noexcept;
    Detail &num(int64_t v) noexcept;
    Detail &unum(uint64_t v) noexcept;
    void clear() noexcept;

    const char *c_str() const noexcept { return buf_ ? buf_ : ""; }
    size_t size() const noexcept { return len_; }

private:
    void put(char c) noexcept;

    char *buf_;
    size_t cap_;
    size_t len_;
};

// The same escaping as Detail::quoted, into a std::string: used for configuration-time
// warnings (kid values in key-policy messages come from a remote JWKS).
void append_quoted(std::string &out, std::string_view untrusted, size_t max_bytes = 64);

} // namespace edge_auth

#endif
