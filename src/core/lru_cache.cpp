// lru_cache.cpp: see lru_cache.h. The cache itself is a template in the header; this is its hash.

#include "lru_cache.h"

#include <cstring>

namespace edge_auth {

namespace {

// Odd constants with well-spread bits (the golden ratio and the splitmix64 finalizer's).
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kMixA = 0xbf58476d1ce4e5b9ULL;
constexpr uint64_t kMixB = 0x94d049bb133111ebULL;

// Bytes hashed at each end of a long key (see lru_hash).
constexpr size_t kHashEdge = 32;

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

namespace {

uint64_t hash_bytes(std::string_view bytes, uint64_t id_a, uint64_t id_b) noexcept
{
    const char *p = bytes.data();
    size_t n = bytes.size();

    // The ids seed the lanes, so they cost nothing extra.
    uint64_t a = id_a * kMixA;
    uint64_t b = id_b * kMixB;
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
    uint64_t h = a ^ rotl(b, 16) ^ rotl(c, 32) ^ rotl(d, 48) ^ (bytes.size() * kGolden);
    return finalize(h);
}

} // namespace

// A long key is hashed by its first and last kHashEdge bytes and its length. The hash only picks
// a bucket; a lookup always compares every byte, so this is about spreading, not identity. The
// keys cached here differ at both ends: a sealed cookie starts with its random IV (within its
// first 32 bytes) and ends with its tag, a token ends with at least 32 bytes of signature; and
// only values that verified (or opened) are ever inserted, so nobody can fill a bucket with
// look-alikes. Hashing 64 bytes of a 1 KB session cookie instead of all of it saves ~1,500
// instructions a request.
uint64_t lru_hash(std::string_view bytes, uint64_t id_a, uint64_t id_b) noexcept
{
    if (bytes.size() <= 2 * kHashEdge) {
        return hash_bytes(bytes, id_a, id_b);
    }
    uint64_t head = hash_bytes(bytes.substr(0, kHashEdge), id_a, id_b);
    uint64_t tail = hash_bytes(bytes.substr(bytes.size() - kHashEdge), id_b, bytes.size());
    return finalize(head ^ rotl(tail, 32));
}

} // namespace edge_auth
