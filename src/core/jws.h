// jws.h: a JWS in compact serialization (RFC 7515 §7.1): split, decode, header rules, then key
// selection and signature verification. No claims: the payload is only bytes here.
//
// Usage:
//
//     Jws jws;
//     Status s = jws.parse(token, policy_alg_bits, detail);   // no crypto yet
//     if (s == Status::Ok) s = jws.verify(keys, detail);      // signature over header.payload
//     if (s == Status::Ok) use(jws.header(), jws.payload());
//
// parse() rules, in order:
//   - exactly three non-empty dot-separated segments (a 5-segment JWE, "h.p." and the detached
//     form "h..s" are malformed);
//   - every segment strict base64url (see base64url.h), the header a JSON object without
//     duplicate members (see json.h): else malformed;
//   - alg present and a string, no crit (no extension is implemented, so any crit is one we do
//     not understand), no enc/zip/b64 (never a JWE, never compressed, never unencoded payload),
//     kid if present a string of 1..256 bytes, typ if present a string: else bad_header;
//   - alg one of the names in algorithm.h (case-sensitive; "none" is not one) and in the
//     allow-list: else alg_not_allowed. So {"alg":"none"} is alg_not_allowed while a missing
//     or non-string alg is bad_header.
// Header members jwk, jku, x5u, x5c and x5t are never read: keys come only from the KeySet, and
// kid is only an opaque lookup key into it.
//
// verify() selects candidates (jwks.h), checks the signature length for the alg before any
// crypto, and accepts when one candidate verifies (signature.h).

#ifndef EDGE_AUTH_CORE_JWS_H
#define EDGE_AUTH_CORE_JWS_H

#include <cstddef>
#include <string>
#include <string_view>

#include "algorithm.h"
#include "json_doc.h"
#include "jwks.h"
#include "status.h"

namespace edge_auth {

class Jws {
public:
    static constexpr unsigned kMaxHeaderDepth = 8;

    Jws() = default;
    Jws(const Jws &) = delete;
    Jws &operator=(const Jws &) = delete;

    Status parse(std::string_view compact, unsigned allowed_algs, Detail &detail);
    Status verify(const KeySet &keys, Detail &detail, const Key **used = nullptr) const;

    const AlgInfo &alg() const noexcept { return *alg_; }
    bool has_kid() const noexcept { return has_kid_; }
    std::string_view kid() const noexcept { return kid_; }
    JsonValue header() const noexcept { return header_.root(); }
    JsonDoc take_header() noexcept { return std::move(header_); }
    std::string_view payload() const noexcept { return payload_; }
    std::string_view signature() const noexcept { return signature_; }
    std::string_view signing_input() const noexcept { return signing_input_; }

private:
    // Decoded segments live here; tokens under the default 8 KiB cap never touch the heap.
    static constexpr size_t kInlineBytes = 6144;
    char inline_[kInlineBytes];
    std::string heap_;

    std::string_view signing_input_;
    std::string_view payload_;
    std::string_view signature_;
    JsonDoc header_;
    const AlgInfo *alg_ = nullptr;
    std::string_view kid_;
    bool has_kid_ = false;
};

// parse() + verify() in one call, for callers that only need the signature decision (the
// Wycheproof JWS vectors carry non-JSON payloads, so claims do not apply to them).
Status verify_compact_jws(std::string_view compact, const KeySet &keys, unsigned allowed_algs, Detail &detail);

} // namespace edge_auth

#endif
