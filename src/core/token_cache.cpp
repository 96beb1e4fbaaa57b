// token_cache.cpp: see token_cache.h. The extern "C" face of the cache (edge_auth.h) is at the
// end of this file.

#include "token_cache.h"

#include <cstring>
#include <new>

// Exported like facade.cpp: the public header's declarations carry default visibility.
#pragma GCC visibility push(default)
#include "edge_auth.h"
#pragma GCC visibility pop

#include "claims.h"
#include "facade_internal.h"

namespace edge_auth {

uint64_t token_cache_hash(const TokenCacheKey &key) noexcept
{
    return lru_hash(key.token, key.policy_id, key.keys_id);
}

TokenCache::TokenCache(size_t capacity, TokenCacheHash hash) noexcept
    : hash_(hash ? hash : token_cache_hash), lru_(capacity)
{
}

TokenCache::Stats TokenCache::stats() const noexcept
{
    Stats s;
    s.hits = hits_;
    s.misses = misses_;
    s.evictions = lru_.evictions();
    s.size = lru_.size();
    return s;
}

Status TokenCache::verify(const Policy &policy, uint64_t policy_id, const KeySet &keys, uint64_t keys_id,
    std::string_view token, int64_t now, std::shared_ptr<const VerifiedToken> &out, Detail &detail)
{
    out.reset();
    detail.clear();

    // Over the cap: verify_token refuses it before reading a byte, and no entry can match (every
    // entry passed that cap under the same policy); hashing it first would only cost time.
    bool cacheable = lru_.capacity() != 0 && token.size() <= policy.max_token_size();

    LruKey key{};
    if (cacheable) {
        key = LruKey{token, policy_id, keys_id, hash_(TokenCacheKey{token, policy_id, keys_id})};
        if (const std::shared_ptr<const VerifiedToken> *hit = lru_.find(key)) {
            hits_++;
            Status s = check_times(policy.claim_rules(), (*hit)->times(), now, detail);
            if (s != Status::Ok) {
                // Whatever made it fail (exp passed, or a clock set back before nbf), the entry
                // has no business holding a slot any more.
                lru_.erase(key);
                return s;
            }
            out = *hit;
            return Status::Ok;
        }
    }

    misses_++;
    std::unique_ptr<VerifiedToken> fresh;
    Status s = verify_token(policy, keys, token, now, fresh, detail);
    if (s != Status::Ok) {
        return s;
    }
    out = std::shared_ptr<const VerifiedToken>(std::move(fresh));
    if (cacheable) {
        lru_.insert(key, out);   // best effort: the request is verified either way
    }
    return Status::Ok;
}

} // namespace edge_auth

// ---- extern "C" (edge_auth.h) -----------------------------------------------------------------

using namespace edge_auth;

struct ea_token_cache_s {
    explicit ea_token_cache_s(size_t capacity) noexcept : cache(capacity) {}
    TokenCache cache;
};

extern "C" {

ea_token_cache_t *ea_token_cache_new(size_t capacity)
{
    return new (std::nothrow) ea_token_cache_s(capacity);
}

void ea_token_cache_free(ea_token_cache_t *cache)
{
    delete cache;
}

void ea_token_cache_stats(const ea_token_cache_t *cache, ea_token_cache_stats_t *stats)
{
    if (!stats) {
        return;
    }
    std::memset(stats, 0, sizeof(*stats));
    if (!cache) {
        return;
    }
    TokenCache::Stats s = cache->cache.stats();
    stats->hits = s.hits;
    stats->misses = s.misses;
    stats->evictions = s.evictions;
    stats->size = s.size;
}

ea_status_t ea_jwt_verify_cached(ea_token_cache_t *cache, const ea_policy_t *policy, const ea_keyset_t *keys,
    const char *token, size_t len, int64_t now, ea_token_t **out, char *detail, size_t detail_len)
{
    if (!cache) {
        return ea_jwt_verify(policy, keys, token, len, now, out, detail, detail_len);
    }
    if (out) {
        *out = nullptr;
    }
    Detail d(detail, detail_len);
    if (!policy || !policy->policy || !keys || (!token && len)) {
        d.text("invalid arguments");
        return EA_ERR_INTERNAL;
    }
    try {
        std::shared_ptr<const VerifiedToken> verified;
        Status s = cache->cache.verify(*policy->policy, policy->id, keys->set, keys->id,
            std::string_view(token ? token : "", len), now, verified, d);
        if (s != Status::Ok) {
            return static_cast<ea_status_t>(s);
        }
        if (out) {
            *out = new ea_token_s{std::move(verified)};
        }
        return EA_OK;
    } catch (...) {
        d.clear();
        d.text("internal error");
        return EA_ERR_INTERNAL;
    }
}

} // extern "C"
