// verifier.h: the whole decision for one bearer token: policy + keys + token -> status, and on
// success a VerifiedToken whose header and claims can be rendered into variables.
//
// Usage (per request; policy and keys are only read):
//
//     char buf[160];
//     Detail detail(buf, sizeof(buf));
//     std::unique_ptr<VerifiedToken> tok;
//     Status s = verify_token(policy, keys, token, now, tok, detail);
//     if (s != Status::Ok) log(status_reason(s), detail.c_str());
//     else use(tok->claims(), tok->expires());
//
// Pipeline, cheapest and least trusting first:
//   1. length cap (policy) before any decoding: token_too_large;
//   2. JWS parse and header rules (jws.h): malformed, bad_header, alg_not_allowed;
//   3. key selection and signature (jwks.h, signature.h): no_keys, unknown_key, bad_signature;
//   4. only then is the payload parsed as JSON (json_doc.h: an object, no duplicate members,
//      depth <= 16): malformed; so unauthenticated bytes never reach the claims parser;
//   5. claims and typ (claims.h).

#ifndef EDGE_AUTH_CORE_VERIFIER_H
#define EDGE_AUTH_CORE_VERIFIER_H

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "algorithm.h"
#include "claims.h"
#include "json.h"
#include "json_doc.h"
#include "jwks.h"
#include "policy.h"
#include "status.h"

namespace edge_auth {

class VerifiedToken {
public:
    VerifiedToken(JsonDoc header, JsonDoc claims, const AlgInfo &alg, const ClaimTimes &times) noexcept
        : header_(std::move(header)), claims_(std::move(claims)), alg_(&alg), times_(times)
    {
    }

    JsonValue header() const noexcept { return header_.root(); }
    JsonValue claims() const noexcept { return claims_.root(); }
    // The claims as a jansson tree, made on first use, for the few consumers that take json_t
    // (a login keeping some claims in the session). The request path never needs it.
    const json_t *claims_json() const;
    const AlgInfo &alg() const noexcept { return *alg_; }
    bool has_exp() const noexcept { return times_.has_exp; }
    int64_t exp() const noexcept { return times_.exp; }
    // exp/nbf/iat as read at verification, for re-checking the time rules later
    // (check_times in claims.h) without touching the JSON again.
    const ClaimTimes &times() const noexcept { return times_; }

private:
    JsonDoc header_;
    JsonDoc claims_;
    mutable Json claims_json_;
    const AlgInfo *alg_;
    ClaimTimes times_;
};

constexpr unsigned kMaxClaimsDepth = 16;

// Throws std::bad_alloc or CryptoFailure only; every rejection is a Status. `out` is reset on
// entry and set only on Status::Ok.
Status verify_token(const Policy &policy, const KeySet &keys, std::string_view token, int64_t now,
    std::unique_ptr<VerifiedToken> &out, Detail &detail);

} // namespace edge_auth

#endif
