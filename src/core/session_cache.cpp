// session_cache.cpp: see session_cache.h. The extern "C" face of the cache is with the rest of
// the sealed-session surface, in facade_session.cpp.

#include "session_cache.h"

#include <utility>

namespace edge_auth {

namespace {

// The encoded key's fixed part: the chunk mask, and two length bytes per chunk.
constexpr size_t kKeyOverhead = 1 + 2 * kMaxChunks;

// Marks a one-cookie key in the second id (keys ids are serial numbers far below 2^63), so the
// bytes of one cookie and an encoded chunk list can never make the same key.
constexpr uint64_t kSingleCookieForm = 1ULL << 63;

static_assert(kMaxChunks <= 8, "the chunk mask is one byte of the key");
static_assert(kMaxCachedCookieBytes <= 0xffff, "a chunk length is two bytes of the key");

} // namespace

SessionCache::SessionCache(size_t capacity, SessionCacheHash hash) noexcept
    : hash_(hash ? hash : lru_hash), lru_(capacity)
{
}

SessionCache::Stats SessionCache::stats() const noexcept
{
    Stats s;
    s.hits = hits_;
    s.misses = misses_;
    s.evictions = lru_.evictions();
    s.size = lru_.size();
    return s;
}

bool SessionCache::encode(const CookieChunks &chunks, std::string_view &bytes, uint64_t &form) noexcept
{
    unsigned present = chunks.present;
    if (present == 0 || (present >> kMaxChunks) != 0) {
        return false;   // open_session refuses both before reading a byte
    }
    if (present == 1) {
        // One cookie, nearly every session: its bytes are the key as they are.
        if (chunks.values[0].size() > kMaxCachedCookieBytes) {
            return false;
        }
        bytes = chunks.values[0];
        form = kSingleCookieForm;
        return true;
    }
    size_t total = 0;
    for (size_t i = 0; i < kMaxChunks; i++) {
        if (present & (1u << i)) {
            total += chunks.values[i].size();
        }
    }
    if (total > kMaxCachedCookieBytes) {
        return false;
    }
    try {
        if (key_.capacity() < kKeyOverhead + kMaxCachedCookieBytes) {
            // Once, at the largest size, so later calls never allocate.
            key_.reserve(kKeyOverhead + kMaxCachedCookieBytes);
        }
    } catch (...) {
        return false;
    }
    key_.clear();
    key_.push_back(static_cast<char>(present));
    for (size_t i = 0; i < kMaxChunks; i++) {
        if (present & (1u << i)) {
            std::string_view v = chunks.values[i];
            key_.push_back(static_cast<char>(v.size() >> 8));
            key_.push_back(static_cast<char>(v.size() & 0xff));
            key_.append(v.data(), v.size());
        }
    }
    bytes = key_;
    form = 0;
    return true;
}

SessionStatus SessionCache::open(const SessionSealer &sealer, uint64_t sealer_id, const SessionKeys &keys,
    uint64_t keys_id, const CookieChunks &chunks, int64_t now, std::shared_ptr<const Session> &out, Detail &detail)
{
    out.reset();
    detail.clear();

    std::string_view bytes;
    uint64_t form = 0;
    bool cacheable = lru_.capacity() != 0 && encode(chunks, bytes, form);

    LruKey key{};
    if (cacheable) {
        uint64_t keys_form = keys_id ^ form;
        key = LruKey{bytes, sealer_id, keys_form, hash_(bytes, sealer_id, keys_form)};
        if (const std::shared_ptr<const Session> *hit = lru_.find(key)) {
            hits_++;
            SessionStatus st = check_session_times(sealer.config(), **hit, now, detail);
            if (st != SessionStatus::Ok) {
                // Expired or idle for good: these bytes will never open again (short of a clock
                // set back, which a fresh open then handles).
                lru_.erase(key);
                return st;
            }
            out = *hit;
            return SessionStatus::Ok;
        }
    }

    misses_++;
    Session fresh;
    SessionStatus st = open_session(sealer, keys, chunks, now, fresh, detail);
    if (st != SessionStatus::Ok) {
        return st;
    }
    out = std::make_shared<const Session>(std::move(fresh));
    if (cacheable) {
        lru_.insert(key, out);   // best effort: the session is open either way
    }
    return SessionStatus::Ok;
}

} // namespace edge_auth
