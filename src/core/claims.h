// claims.h: the registered-claim and typ rules, applied to a token whose signature has already
// verified.
//
// Usage:
//
//     ClaimRules rules;                      // usually built once by Policy::create
//     rules.issuers = {"https://idp.example"};
//     rules.types = {normalize_typ("at+jwt")};
//     ClaimTimes times;
//     Status s = check_claims(rules, header, claims, now, detail, times);
//
// Rules, in the order they are checked:
//   1. exp, nbf and iat, when present, must be JSON numbers (integer, or real within int64
//      seconds); iss and sub must be strings; aud a string or an array of strings. Else
//      bad_claim. Real dates are rounded towards rejection: exp down, nbf and iat up.
//   2. With types configured, the header typ must match one of them ignoring ASCII case, with an
//      "application/" prefix optional on either side (RFC 7515 §4.1.9). Else token_type.
//   3. exp absent while required: missing_exp. now >= exp + leeway: expired.
//   4. nbf > now + leeway, or iat > now + leeway: not_yet_valid.
//   5. With issuers configured, iss must be present and byte-for-byte equal to one: else issuer.
//   6. With audiences configured, aud must be a string or a non-empty array of at most 64
//      strings, one of them byte-for-byte equal to a configured audience: else audience.
// No normalization of any kind (case, Unicode, trailing slash) is applied to iss or aud.

#ifndef EDGE_AUTH_CORE_CLAIMS_H
#define EDGE_AUTH_CORE_CLAIMS_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json_doc.h"
#include "status.h"

namespace edge_auth {

constexpr size_t kMaxAudValues = 64;

struct ClaimRules {
    std::vector<std::string> issuers;    // empty: any iss
    std::vector<std::string> audiences;  // empty: aud not checked
    std::vector<std::string> types;      // normalized with normalize_typ; empty: any typ
    int64_t leeway = 0;                  // seconds, >= 0
    bool require_exp = true;
};

// The NumericDates of a token, as read (and rounded) by check_claims.
struct ClaimTimes {
    bool has_exp = false;
    bool has_nbf = false;
    bool has_iat = false;
    int64_t exp = 0;
    int64_t nbf = 0;
    int64_t iat = 0;
};

// Lower-cases ASCII and drops a leading "application/" (any case), so that "JWT",
// "application/jwt" and "Application/JWT" all compare equal.
std::string normalize_typ(std::string_view typ);

// Rules 3 and 4 alone, on dates already read: lets a verified token be re-judged at a later
// `now` (e.g. when it is served again from a cache) without parsing anything.
Status check_times(const ClaimRules &rules, const ClaimTimes &times, int64_t now, Detail &detail) noexcept;

// Throws only std::bad_alloc. Fills `times` whenever the dates are well-typed, even when a later
// rule rejects the token.
Status check_claims(const ClaimRules &rules, JsonValue header, JsonValue claims, int64_t now,
    Detail &detail, ClaimTimes &times);

} // namespace edge_auth

#endif
