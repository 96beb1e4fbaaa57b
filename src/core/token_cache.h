// token_cache.h: a bounded LRU of tokens that already verified, so a client that reuses its
// bearer token for minutes pays for one signature check, not one per request.
//
// Usage (one cache per nginx worker; policy and keys are only read):
//
//     TokenCache cache(10000);
//     std::shared_ptr<const VerifiedToken> tok;
//     Status s = cache.verify(policy, policy_id, keys, keys_id, token, now, tok, detail);
//     if (s != Status::Ok) log(status_reason(s), detail.c_str());
//     else use(tok->claims());                    // tok outlives the entry's eviction
//
// Same contract as verify_token (verifier.h); only the cost differs.
//
// What an entry means. An entry records that these exact token bytes passed every rule of the
// policy with id `policy_id` against the key set with id `keys_id`. The ids are serial numbers
// that the caller never reuses (see facade_internal.h), not addresses: a freed key set's address
// is soon handed to its replacement, and a pointer key would then serve the old verdict for the
// new keys. Keying on the exact bytes is enough because a token has one encoding only:
// non-canonical base64url and duplicate JSON members are rejected before an entry can exist.
//
// What a hit re-checks. Signature, alg, typ, iss and aud depend only on the bytes, the policy
// and the keys, all three fixed by the key, so they still hold. Time does not: exp, nbf and iat
// are judged again at `now` with the policy's leeway (check_times in claims.h), so an entry is
// never served past exp + leeway. A hit that fails them removes the entry and returns what a
// fresh verification would: expired or not_yet_valid, with the same detail line.
//
// Key rotation. When the JWKS is refreshed the glue builds a new key set (a new id) and frees the
// old one; entries tied to the old id can never match again and leave through the LRU end. That
// is how a token whose key left the JWKS stops being served: its next request misses, and the
// full verification against the new set decides. Adding keys to a set gives it a new id too, so a
// cached verdict always describes the set's current contents.
//
// Bounds. Only Status::Ok results are stored: rejections cost an attacker nothing to produce and
// would otherwise push real entries out. At most `capacity` entries (0 disables the cache: every
// call verifies). An entry holds the token bytes (at most the policy's max_token_size) and the
// decoded header and claims. A token without exp (require_exp off) is kept until the LRU drops
// it; its time rules are still re-checked on every hit.
//
// Cost of a hit: one pass of a fast non-cryptographic hash over the token, a full byte compare
// of the token (so a hash collision can never serve another token's entry), the time rules, and
// no allocation here (the C facade then allocates the request's small handle). Through the
// facade that is about 0.2 us for a 950-byte RS256 token, against tens of us for a full
// verification (make core-bench). Hash flooding is not a concern: only tokens that verified
// can be stored, so an attacker cannot choose what sits in a bucket. The LRU itself is the one
// shared with the opened-session cache (lru_cache.h).
//
// Not thread-safe: a cache belongs to one nginx worker, which runs one request at a time.

#ifndef EDGE_AUTH_CORE_TOKEN_CACHE_H
#define EDGE_AUTH_CORE_TOKEN_CACHE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "jwks.h"
#include "lru_cache.h"
#include "policy.h"
#include "status.h"
#include "verifier.h"

namespace edge_auth {

// Everything that decides whether a stored verdict applies to a request.
struct TokenCacheKey {
    std::string_view token;
    uint64_t policy_id = 0;
    uint64_t keys_id = 0;
};

// The table's hash. Tests substitute a constant one to force every entry into one bucket.
using TokenCacheHash = uint64_t (*)(const TokenCacheKey &key) noexcept;

// lru_hash (lru_cache.h) over the token, seeded with the ids: a small part of a hit.
uint64_t token_cache_hash(const TokenCacheKey &key) noexcept;

class TokenCache {
public:
    struct Stats {
        uint64_t hits = 0;       // answered from an entry (including an entry found expired)
        uint64_t misses = 0;     // ran the full verification (every call when disabled)
        uint64_t evictions = 0;  // entries dropped to make room for a new one
        size_t size = 0;         // entries now
    };

    explicit TokenCache(size_t capacity, TokenCacheHash hash = token_cache_hash) noexcept;
    TokenCache(const TokenCache &) = delete;
    TokenCache &operator=(const TokenCache &) = delete;

    // verify_token through the cache. Throws std::bad_alloc or CryptoFailure only, and only from
    // the verification itself: failing to store an entry is not an error.
    Status verify(const Policy &policy, uint64_t policy_id, const KeySet &keys, uint64_t keys_id,
        std::string_view token, int64_t now, std::shared_ptr<const VerifiedToken> &out, Detail &detail);

    size_t capacity() const noexcept { return lru_.capacity(); }
    Stats stats() const noexcept;

private:
    TokenCacheHash hash_;
    LruCache<VerifiedToken> lru_;
    uint64_t hits_ = 0;
    uint64_t misses_ = 0;
};

} // namespace edge_auth

#endif
