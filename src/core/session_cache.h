// session_cache.h: a bounded LRU of sessions already opened, so a browser that sends the same
// session cookie with every request pays for one decryption and one JSON parse, not one per
// request.
//
// Usage (one cache per nginx worker; sealer and keys are only read):
//
//     SessionCache cache(4096);
//     std::shared_ptr<const Session> s;
//     SessionStatus st = cache.open(sealer, sealer_id, keys, keys_id, chunks, now, s, detail);
//     if (st != SessionStatus::Ok) log(session_status_reason(st), detail.c_str());
//     else use(s->sub);                 // s outlives the entry's eviction; it is never modified
//
// Same contract as open_session (session.h); only the cost differs.
//
// What an entry means. An entry records that these exact cookie bytes opened, as this session,
// under the sealer with id `sealer_id` (provider, cookie name and realm binding, timeouts) and
// the key set with id `keys_id`. As in the verified-token cache (token_cache.h) the ids are
// serial numbers the caller never reuses, not addresses, so a reloaded key file or configuration
// never inherits the old one's entries. The lookup key of a session in one cookie (nearly all of
// them) is that cookie's bytes, read where they are; a session in several chunks is encoded as the
// chunk mask (one byte), then for each chunk sent its length (two bytes) and its bytes. The two
// forms differ in a bit of the second id, so the keys are injective: two different chunk lists
// can never share an entry whatever bytes they hold (an entry's chunks are strict base64url
// anyway).
//
// What a hit re-checks. Chunk set, version, key id, the AES-GCM tag with the binding and the
// document depend only on the bytes, the sealer and the keys, all fixed by the key. Time does not:
// the absolute and idle expiry are judged again at `now` (check_session_times in session.h), with
// the statuses and detail lines open_session gives. A hit that fails them removes the entry.
//
// Re-sealing. The session in an entry is shared with every request it answers and is never
// modified; a caller that changes one (a re-seal sets last_seen) works on its own copy
// (copy_session). The re-sealed cookie has new bytes, so the browser's next request misses once
// and stores the new session, and the old entry leaves through the LRU end. With an idle timeout
// that is one miss per minute per browser at most (reseal_due).
//
// Bounds. Only SessionStatus::Ok results are stored: a rejected cookie costs an attacker nothing
// to produce and would otherwise push real entries out, and only the key holder can make one
// that opens. At most `capacity` entries (0 disables the cache: every call opens). Cookies of more
// than kMaxCachedCookieBytes in all are neither looked up nor stored (they open as usual), so an
// entry holds at most 16 KiB of cookie plus the session (a document of at most 24 KiB, typically
// about 1 KiB). Entries keep opened sessions, tokens included, in the worker's memory until they
// are evicted: no more than the worker can read anyway, since it holds the keys that open them.
//
// Cost of a hit: no copy for a one-cookie session (several chunks are copied into a key buffer
// kept between calls), one pass of lru_hash over the key's ends, a full byte compare (a hash collision can never serve another cookie's session), the
// time rules; no decryption, no JSON, and no allocation once the key buffer exists (the C facade
// then allocates the request's small handle). About 0.25 us through the facade for a 1.4 KiB
// cookie (0.4 us with finding the cookie in the header), against 20-30 us for a full open: the
// per_request_cost unit test prints both.
//
// Not thread-safe: a cache belongs to one nginx worker, which runs one request at a time.

#ifndef EDGE_AUTH_CORE_SESSION_CACHE_H
#define EDGE_AUTH_CORE_SESSION_CACHE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lru_cache.h"
#include "session.h"
#include "session_cookies.h"
#include "session_keys.h"
#include "session_status.h"
#include "status.h"

namespace edge_auth {

// Longest cookie (all chunks together) the cache takes.
constexpr size_t kMaxCachedCookieBytes = 16384;

// The table's hash over the encoded cookie and the ids. Tests substitute a constant one to force
// every entry into one bucket.
using SessionCacheHash = uint64_t (*)(std::string_view key, uint64_t sealer_id, uint64_t keys_id) noexcept;

class SessionCache {
public:
    struct Stats {
        uint64_t hits = 0;       // answered from an entry (including an entry found expired)
        uint64_t misses = 0;     // ran the full open (every call when disabled or not cacheable)
        uint64_t evictions = 0;  // entries dropped to make room for a new one
        size_t size = 0;         // entries now
    };

    explicit SessionCache(size_t capacity, SessionCacheHash hash = lru_hash) noexcept;
    SessionCache(const SessionCache &) = delete;
    SessionCache &operator=(const SessionCache &) = delete;

    // open_session through the cache. Throws std::bad_alloc only, and only from the open itself:
    // failing to store an entry is not an error.
    SessionStatus open(const SessionSealer &sealer, uint64_t sealer_id, const SessionKeys &keys, uint64_t keys_id,
        const CookieChunks &chunks, int64_t now, std::shared_ptr<const Session> &out, Detail &detail);

    size_t capacity() const noexcept { return lru_.capacity(); }
    Stats stats() const noexcept;

private:
    // The lookup bytes for `chunks` (the cookie itself, or an encoding in key_) and the form
    // mixed into the second id; false when the cookie is not cacheable (no chunk, a mask bit
    // beyond kMaxChunks, over kMaxCachedCookieBytes, or no memory for the buffer).
    bool encode(const CookieChunks &chunks, std::string_view &bytes, uint64_t &form) noexcept;

    SessionCacheHash hash_;
    LruCache<Session> lru_;
    std::string key_;
    uint64_t hits_ = 0;
    uint64_t misses_ = 0;
};

} // namespace edge_auth

#endif
