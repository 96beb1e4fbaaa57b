// facade_internal.h: what the opaque handles of edge_auth.h really are. Shared by the facade
// files (each part of the C surface may live in its own file), never included by the glue.
//
// Usage (inside a facade file):
//
//     ea_token_t *t = new ea_token_s{std::move(shared_verified_token)};
//     const VerifiedToken &v = *t->token;

#ifndef EDGE_AUTH_CORE_FACADE_INTERNAL_H
#define EDGE_AUTH_CORE_FACADE_INTERNAL_H

#include <atomic>
#include <cstdint>
#include <memory>

#include "jwks.h"
#include "policy.h"
#include "verifier.h"

namespace edge_auth {

// The identity of a key set or policy for the verified-token cache (token_cache.h): a
// process-wide serial number, never reused. An address would not do: a freed key set's address
// is soon handed to its replacement, and a cached verdict would then outlive its keys.
inline uint64_t next_handle_id() noexcept
{
    static std::atomic<uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

} // namespace edge_auth

struct ea_keyset_s {
    edge_auth::KeySet set;
    // Renewed whenever keys are added (ea_keyset_add_jwks), so a cached verdict always describes
    // the set's current contents.
    uint64_t id = edge_auth::next_handle_id();
};

struct ea_policy_s {
    std::unique_ptr<edge_auth::Policy> policy;
    uint64_t id = edge_auth::next_handle_id();
};

// Shared ownership: a token handed to a request may also be held by a cache of verified tokens,
// and must outlive its eviction from there.
struct ea_token_s {
    std::shared_ptr<const edge_auth::VerifiedToken> token;
};

#endif
