#include "verifier.h"

#include "claims.h"
#include "jws.h"

namespace edge_auth {

const json_t *VerifiedToken::claims_json() const
{
    if (!claims_json_) {
        claims_json_ = claims_.to_jansson();
    }
    return claims_json_.get();
}

Status verify_token(const Policy &policy, const KeySet &keys, std::string_view token, int64_t now,
    std::unique_ptr<VerifiedToken> &out, Detail &d)
{
    out.reset();
    d.clear();

    if (token.size() > policy.max_token_size()) {
        d.text("token is ").unum(token.size()).text(" bytes, the limit is ").unum(policy.max_token_size());
        return Status::TokenTooLarge;
    }
    if (token.empty()) {
        d.text("empty token");
        return Status::Malformed;
    }

    Jws jws;
    Status s = jws.parse(token, policy.algorithms(), d);
    if (s != Status::Ok) {
        return s;
    }
    s = jws.verify(keys, d);
    if (s != Status::Ok) {
        return s;
    }

    JsonDoc claims;
    JsonError je = claims.parse(jws.payload(), JsonLimits{jws.payload().size(), kMaxClaimsDepth});
    if (je != JsonError::None) {
        d.text("payload: ").text(json_error_text(je));
        return Status::Malformed;
    }

    ClaimTimes times;
    s = check_claims(policy.claim_rules(), jws.header(), claims.root(), now, d, times);
    if (s != Status::Ok) {
        return s;
    }
    const AlgInfo &alg = jws.alg();
    out.reset(new VerifiedToken(jws.take_header(), std::move(claims), alg, times));
    return Status::Ok;
}

} // namespace edge_auth
