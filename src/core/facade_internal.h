// facade_internal.h: what the opaque handles of edge_auth.h really are. Shared by the facade
// files (each part of the C surface may live in its own file), never included by the glue.
//
// Usage (inside a facade file):
//
//     ea_token_t *t = new ea_token_s{std::move(shared_verified_token)};
//     const VerifiedToken &v = *t->token;

#ifndef EDGE_AUTH_CORE_FACADE_INTERNAL_H
#define EDGE_AUTH_CORE_FACADE_INTERNAL_H

#include <memory>

#include "jwks.h"
#include "policy.h"
#include "verifier.h"

struct ea_keyset_s {
    edge_auth::KeySet set;
};

struct ea_policy_s {
    std::unique_ptr<edge_auth::Policy> policy;
};

// Shared ownership: a token handed to a request may also be held by a cache of verified tokens,
// and must outlive its eviction from there.
struct ea_token_s {
    std::shared_ptr<const edge_auth::VerifiedToken> token;
};

#endif
