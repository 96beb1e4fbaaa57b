// lru_cache.h: the bounded LRU behind the per-worker caches (token_cache.h, session_cache.h): an
// entry maps exact bytes plus two identity numbers to an immutable value held by shared_ptr.
//
// Usage:
//
//     LruCache<VerifiedToken> lru(capacity);
//     LruKey key{bytes, policy_id, keys_id, lru_hash(bytes, policy_id, keys_id)};
//     if (const std::shared_ptr<const VerifiedToken> *hit = lru.find(key)) use(*hit);  // now the newest
//     else lru.insert(key, value);                        // may evict the least recently used entry
//
// The ids are serial numbers the caller never reuses (facade_internal.h), so two objects with
// the same contents, or one at a freed object's address, never share entries. The hash is
// computed once by the caller and carried in the key: neither a lookup's bucket walk nor a rehash
// reads the bytes twice, and tests can substitute a constant hash to force collisions. A match
// always compares the ids and every byte, so a collision can never serve another entry.
//
// Values are shared: a caller may keep one after its entry is evicted or the cache is gone. The
// cache copies the key bytes into the entry; lookups take views and never allocate. Not
// thread-safe: a cache belongs to one nginx worker.

#ifndef EDGE_AUTH_CORE_LRU_CACHE_H
#define EDGE_AUTH_CORE_LRU_CACHE_H

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace edge_auth {

// Everything that identifies an entry. `hash` must be a function of the other three members.
struct LruKey {
    std::string_view bytes;
    uint64_t id_a = 0;
    uint64_t id_b = 0;
    uint64_t hash = 0;
};

// A 64-bit multiply-xorshift hash over 8-byte words, in four independent lanes so the multiplies
// overlap, the ids seeding two lanes. Keys over 64 bytes are hashed by their first and last 32
// bytes and their length (lookups still compare every byte). Not keyed: only values that passed
// a full check (a signature, an AEAD tag) are ever stored, so an attacker cannot choose what
// sits in a bucket.
uint64_t lru_hash(std::string_view bytes, uint64_t id_a, uint64_t id_b) noexcept;

template <class V>
class LruCache {
public:
    using Value = std::shared_ptr<const V>;

    // At most `capacity` entries; 0 stores nothing.
    explicit LruCache(size_t capacity) noexcept : capacity_(capacity) {}
    LruCache(const LruCache &) = delete;
    LruCache &operator=(const LruCache &) = delete;

    size_t capacity() const noexcept { return capacity_; }
    size_t size() const noexcept { return lru_.size(); }
    uint64_t evictions() const noexcept { return evictions_; }

    // The value stored under `key`, whose entry becomes the most recently used; nullptr when there
    // is none. The pointer is valid until the next insert or erase.
    const Value *find(const LruKey &key) noexcept
    {
        auto found = index_.find(key);
        if (found == index_.end()) {
            return nullptr;
        }
        lru_.splice(lru_.begin(), lru_, found->second);
        return &found->second->value;
    }

    // Drops the entry stored under `key`, if any.
    void erase(const LruKey &key) noexcept
    {
        auto found = index_.find(key);
        if (found == index_.end()) {
            return;
        }
        typename List::iterator node = found->second;
        index_.erase(found);
        lru_.erase(node);
    }

    // Stores `value` under a copy of `key`, recycling the least recently used entry when full.
    // Best effort: on allocation failure nothing is stored. An existing entry for the key is
    // left as it is.
    void insert(const LruKey &key, const Value &value) noexcept
    {
        if (capacity_ == 0) {
            return;
        }
        typename List::iterator node = lru_.end();
        try {
            if (lru_.size() >= capacity_) {
                // Recycle the oldest node (its byte buffer too). Its index slot goes first: that
                // slot's key views the bytes about to be overwritten.
                node = std::prev(lru_.end());
                index_.erase(key_of(*node));
                evictions_++;
                lru_.splice(lru_.begin(), lru_, node);
            } else {
                lru_.emplace_front();
                node = lru_.begin();
            }
            node->bytes.assign(key.bytes.data(), key.bytes.size());
            node->id_a = key.id_a;
            node->id_b = key.id_b;
            node->hash = key.hash;
            node->value = value;
            if (!index_.emplace(key_of(*node), node).second) {
                // The key was already stored: an unindexed node would later be "evicted" by
                // erasing the other node's slot, so it must not stay.
                lru_.erase(node);
            }
        } catch (...) {
            // emplace is all-or-nothing and the last step, so the node (if any) is not indexed.
            if (node != lru_.end()) {
                lru_.erase(node);
            }
        }
    }

private:
    struct Entry {
        std::string bytes;
        uint64_t id_a = 0;
        uint64_t id_b = 0;
        uint64_t hash = 0;
        Value value;
    };
    using List = std::list<Entry>;  // most recently used first

    struct KeyHash {
        size_t operator()(const LruKey &k) const noexcept { return static_cast<size_t>(k.hash); }
    };
    struct KeyEqual {
        bool operator()(const LruKey &a, const LruKey &b) const noexcept
        {
            return a.hash == b.hash && a.id_a == b.id_a && a.id_b == b.id_b && a.bytes == b.bytes;
        }
    };

    // The index key of a stored entry: a view of the entry's own bytes.
    static LruKey key_of(const Entry &e) noexcept { return LruKey{e.bytes, e.id_a, e.id_b, e.hash}; }

    size_t capacity_;
    List lru_;
    std::unordered_map<LruKey, typename List::iterator, KeyHash, KeyEqual> index_;
    uint64_t evictions_ = 0;
};

} // namespace edge_auth

#endif
