// token_cache.cpp: see token_cache.h. The extern "C" face of the cache (edge_auth.h) is at the
// end of this file.

#include "token_cache.h"

#include <cstring>
#include <iterator>
#include <new>

// Exported like facade.cpp: the public header's declarations carry default visibility.
#pragma GCC visibility push(default)
#include "edge_auth.h"
#pragma GCC visibility pop

#include "claims.h"
#include "facade_internal.h"

namespace edge_auth {

namespace {

// Odd constants with well-spread bits (the golden ratio and the splitmix64 finalizer's).
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kMixA = 0xbf58476d1ce4e5b9ULL;
constexpr uint64_t kMixB = 0x94d049bb133111ebULL;

inline uint64_t load64(const char *p) noexcept
{
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));  // unaligned-safe; compiles to one load
    return v;
}

inline uint64_t rotl(uint64_t x, unsigned r) noexcept
{
    return (x << r) | (x >> (64 - r));
}

// One word into one lane. The xorshift folds the product's high bits back down, so every input
// bit eventually reaches every output bit.
inline uint64_t absorb(uint64_t lane, uint64_t word) noexcept
{
    lane = (lane ^ word) * kGolden;
    return lane ^ (lane >> 29);
}

inline uint64_t finalize(uint64_t x) noexcept
{
    x ^= x >> 30;
    x *= kMixA;
    x ^= x >> 27;
    x *= kMixB;
    return x ^ (x >> 31);
}

} // namespace

uint64_t token_cache_hash(const TokenCacheKey &key) noexcept
{
    const char *p = key.token.data();
    size_t n = key.token.size();

    // The ids seed the lanes, so they cost nothing extra.
    uint64_t a = key.policy_id * kMixA;
    uint64_t b = key.keys_id * kMixB;
    uint64_t c = kGolden;
    uint64_t d = ~kGolden;
    for (; n >= 32; p += 32, n -= 32) {
        a = absorb(a, load64(p));
        b = absorb(b, load64(p + 8));
        c = absorb(c, load64(p + 16));
        d = absorb(d, load64(p + 24));
    }
    for (; n >= 8; p += 8, n -= 8) {
        a = absorb(a, load64(p));
    }
    if (n) {
        uint64_t last = 0;
        std::memcpy(&last, p, n);
        b = absorb(b, last);
    }
    // The length separates "ab" from "ab\0", which the zero-padded last word would not.
    uint64_t h = a ^ rotl(b, 16) ^ rotl(c, 32) ^ rotl(d, 48) ^ (key.token.size() * kGolden);
    return finalize(h);
}

TokenCache::TokenCache(size_t capacity, TokenCacheHash hash) noexcept
    : capacity_(capacity), hash_(hash ? hash : token_cache_hash)
{
}

TokenCache::Stats TokenCache::stats() const noexcept
{
    Stats s;
    s.hits = hits_;
    s.misses = misses_;
    s.evictions = evictions_;
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
    bool cacheable = capacity_ != 0 && token.size() <= policy.max_token_size();

    Slot probe{};
    if (cacheable) {
        probe = Slot{token, policy_id, keys_id, hash_(TokenCacheKey{token, policy_id, keys_id})};
        auto found = index_.find(probe);
        if (found != index_.end()) {
            hits_++;
            Lru::iterator node = found->second;
            Status s = check_times(policy.claim_rules(), node->verified->times(), now, detail);
            if (s != Status::Ok) {
                // Whatever made it fail (exp passed, or a clock set back before nbf), the entry
                // has no business holding a slot any more.
                index_.erase(found);
                lru_.erase(node);
                return s;
            }
            lru_.splice(lru_.begin(), lru_, node);
            out = node->verified;
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
        remember(probe, out);
    }
    return Status::Ok;
}

void TokenCache::remember(const Slot &probe, const std::shared_ptr<const VerifiedToken> &verified) noexcept
{
    Lru::iterator node = lru_.end();
    try {
        if (lru_.size() >= capacity_) {
            // Recycle the least recently used node (its token buffer too). Its index slot goes
            // first: that slot's key points into the token about to be overwritten.
            node = std::prev(lru_.end());
            index_.erase(slot_of(*node));
            evictions_++;
            lru_.splice(lru_.begin(), lru_, node);
        } else {
            lru_.emplace_front();
            node = lru_.begin();
        }
        node->token.assign(probe.token.data(), probe.token.size());
        node->policy_id = probe.policy_id;
        node->keys_id = probe.keys_id;
        node->hash = probe.hash;
        node->verified = verified;
        if (!index_.emplace(slot_of(*node), node).second) {
            // Only reachable if a caller stored the same key twice; an unindexed node would later
            // be "evicted" by erasing the other node's slot, so it must not stay.
            lru_.erase(node);
        }
    } catch (...) {
        // Out of memory: the request is already verified, so it goes on uncached. The node (if
        // any) is not indexed, because emplace is all-or-nothing and is the last step.
        if (node != lru_.end()) {
            lru_.erase(node);
        }
    }
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
