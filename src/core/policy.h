// policy.h: what one location accepts: algorithms, token size, and the claim rules. Built once
// at configuration time, immutable afterwards.
//
// Usage:
//
//     PolicyConfig conf;                          // secure defaults
//     conf.issuers = {"https://idp.example"};
//     conf.audiences = {"api://orders"};
//     std::string err;
//     std::unique_ptr<Policy> p = Policy::create(conf, err);
//     if (!p) fail(err);
//
// Defaults: asymmetric algorithms only (HS* must be asked for explicitly, so a public key can
// never become an HMAC secret by configuration accident), exp required, no leeway, 8 KiB cap.
// create() refuses: an empty or unknown algorithm set, a negative leeway or one over an hour,
// a token cap of 0 or over 1 MiB, and empty issuer/audience/type strings (an empty issuer would
// match a token with "iss":"").

#ifndef EDGE_AUTH_CORE_POLICY_H
#define EDGE_AUTH_CORE_POLICY_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algorithm.h"
#include "claims.h"

namespace edge_auth {

struct PolicyConfig {
    unsigned algorithms = kAsymmetricAlgBits;
    std::vector<std::string> issuers;
    std::vector<std::string> audiences;
    std::vector<std::string> types;
    int64_t leeway = 0;
    bool require_exp = true;
    size_t max_token_size = 8192;
};

class Policy {
public:
    static constexpr int64_t kMaxLeeway = 3600;
    static constexpr size_t kMaxTokenSizeCap = 1u << 20;

    // Throws only std::bad_alloc.
    static std::unique_ptr<Policy> create(const PolicyConfig &conf, std::string &err);

    unsigned algorithms() const noexcept { return algorithms_; }
    size_t max_token_size() const noexcept { return max_token_size_; }
    const ClaimRules &claim_rules() const noexcept { return rules_; }

private:
    Policy() = default;

    unsigned algorithms_ = kAsymmetricAlgBits;
    size_t max_token_size_ = 8192;
    ClaimRules rules_;
};

} // namespace edge_auth

#endif
