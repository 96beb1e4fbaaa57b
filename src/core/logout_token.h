// logout_token.h: the logout token of OpenID Connect Back-Channel Logout 1.0 (section 2.6), the
// provider's signed request to end a user's or a provider session's sessions.
//
// Usage (per back-channel logout request; keys are the provider's JWKS):
//
//     LogoutTokenCheck check;
//     check.issuer = "https://idp.example"; check.client_id = "client-1"; check.leeway = 60;
//     LogoutClaims claims;
//     Status s = verify_logout_token(check, keys, token, now, claims, detail);
//     if (s != Status::Ok) return reject(status_reason(s), detail.c_str());
//     revoke(claims.sid.empty() ? by sub : by sid);   // and remember claims.jti (replays)
//
// Rules, in order (a per-call Policy first, as for ID tokens, then the logout-specific claims):
//   1. verify_token: size cap (8 KiB), JWS and header rules, alg allow-list (asymmetric only:
//      HMAC is refused before anything else, "none" never verifies), key and signature, iss
//      equal to the issuer, aud containing the client id, exp (only when present), nbf, and iat
//      not in the future beyond the leeway (not_yet_valid).
//   2. typ absent, or exactly "logout+jwt": token_type.
//   3. The rest are bad_claim: iat present, and not older than max_age (0 = 120 s); no "nonce";
//      "events" an object with the member kBackchannelLogoutEvent whose value is an object; jti,
//      and sid and/or sub, each a non-empty string of at most 1024 bytes without control bytes
//      (a sid or sub present in any other form is refused, even when the other one is fine).

#ifndef EDGE_AUTH_CORE_LOGOUT_TOKEN_H
#define EDGE_AUTH_CORE_LOGOUT_TOKEN_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jwks.h"
#include "status.h"

namespace edge_auth {

constexpr size_t kMaxLogoutTokenBytes = 8192;
constexpr size_t kMaxLogoutValueBytes = 1024;     // sid, sub, jti
constexpr int64_t kDefaultLogoutMaxAge = 120;
constexpr const char kBackchannelLogoutEvent[] = "http://schemas.openid.net/event/backchannel-logout";
constexpr const char kLogoutTokenType[] = "logout+jwt";

struct LogoutTokenCheck {
    std::string_view issuer;      // required
    std::string_view client_id;   // required
    unsigned algorithms = 0;      // 0 = kAsymmetricAlgBits; any HMAC bit: AlgNotAllowed
    int64_t leeway = 0;           // seconds, 0..Policy::kMaxLeeway
    int64_t max_age = 0;          // seconds, >= 0; 0 = kDefaultLogoutMaxAge
};

struct LogoutClaims {
    std::string sid;              // "" when absent
    std::string sub;              // "" when absent; at least one of sid and sub is set
    std::string jti;
    int64_t iat = 0;
    int64_t exp = 0;              // 0 when absent
};

// The rules above. Internal (with detail "invalid arguments ...") for an empty issuer or client
// id, a negative max_age, or a leeway or algorithm set the policy refuses. `out` is cleared on
// entry and filled only on Ok. Throws std::bad_alloc or CryptoFailure only, like verify_token.
Status verify_logout_token(const LogoutTokenCheck &check, const KeySet &keys, std::string_view token, int64_t now,
    LogoutClaims &out, Detail &detail);

} // namespace edge_auth

#endif
