// facade_internal.h: what the opaque handles of edge_auth.h really are. Shared by the facade
// files (each part of the C surface may live in its own file), never included by the glue.
//
// Usage (inside a facade file):
//
//     ea_token_t *t = new ea_token_s{std::move(shared_verified_token)};
//     const VerifiedToken &v = *t->token;
//     ea_session_t *s = new ea_session_s{std::move(shared_session)};
//     const Session &doc = *s->doc;

#ifndef EDGE_AUTH_CORE_FACADE_INTERNAL_H
#define EDGE_AUTH_CORE_FACADE_INTERNAL_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "jwks.h"
#include "policy.h"
#include "session.h"
#include "session_cache.h"
#include "session_keys.h"
#include "verifier.h"

namespace edge_auth {

// The identity of a key set, policy, session key set or sealer for the verified-token and
// opened-session caches (token_cache.h, session_cache.h): a process-wide serial number, never
// reused. An address would not do: a freed key set's address
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

// Immutable once loaded, so the id never changes.
struct ea_session_keys_s {
    std::unique_ptr<edge_auth::SessionKeys> keys;
    uint64_t id = edge_auth::next_handle_id();
};

// Immutable once created, so the id never changes.
struct ea_sealer_s {
    std::unique_ptr<edge_auth::SessionSealer> sealer;
    uint64_t id = edge_auth::next_handle_id();
};

// Copy on write: `doc` may be shared with the opened-session cache and with the handles of other
// requests, so it is never modified in place; a change (ea_session_reseal) first replaces it with
// the handle's own copy. Never null.
struct ea_session_s {
    std::shared_ptr<const edge_auth::Session> doc;
};

struct ea_session_cache_s {
    explicit ea_session_cache_s(size_t capacity) noexcept : cache(capacity) {}
    edge_auth::SessionCache cache;
};

#endif
