// revocation.h: the revocation list of logged-out sessions: record keys, a per-worker lookup set,
// and the journal line format.
//
// Usage (logout: the glue stores the record in shared memory and appends it to the journal):
//
//     Revocation rec;
//     if (!make_revocation(RevokeKind::Sid, "corp", sid, now, now + lifetime, rec)) fail();
//     std::string line = format_revocation(rec);       // "v1 <64 hex> <revoked_at> <expires>\n"
//
// Usage (per worker, when the shared generation moves; then per request):
//
//     RevocationSet set = RevocationSet::build(records, n, now);   // expired records skipped
//     RevokeKind by;
//     if (set.check("corp", session, by) != RevocationCheck::NotRevoked) refuse();
//
// Record key (docs/session-format.md, "Revocation records"):
//
//     key = SHA-256( kind (1 byte: 1 session id, 2 provider sid, 3 sub)
//                 || u64be(len(provider)) || provider
//                 || u64be(len(value))    || value )
//
// The lengths make the encoding injective, so no (provider, value) pair can pose as another, and
// the key never shows the user or session it names. A session is revoked when one of its keys
// (its session id; its "sid" claim when it has one; its sub; each with the set's provider) is in
// the set with revoked_at >= the session's issued_at. Several records with one key keep the
// latest revoked_at.

#ifndef EDGE_AUTH_CORE_REVOCATION_H
#define EDGE_AUTH_CORE_REVOCATION_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "session.h"

namespace edge_auth {

enum class RevokeKind : unsigned char {
    Session = 1,   // the module's session id (Session::sid)
    Sid = 2,       // the provider's session id (the stored "sid" claim)
    Sub = 3,       // the user: every session of that sub, issued up to revoked_at
};

constexpr size_t kRevocationKeyBytes = 32;
using RevocationKey = std::array<unsigned char, kRevocationKeyBytes>;

// Times in a record are within 0..kMaxSessionTime, and revoked_at <= expires.
struct Revocation {
    RevocationKey key{};
    int64_t revoked_at = 0;   // sessions issued at or before this time are refused
    int64_t expires = 0;      // from this time on, no session it covers can be valid
};

// "v1 " + 64 hex digits + " " + up to 12 digits + " " + up to 12 digits + "\n": 94 bytes at most.
constexpr size_t kRevocationLineMax = 94;

// The key of (kind, provider, value) as above. False when provider or value is empty or kind is
// not one of the three; throws CryptoFailure when OpenSSL fails.
bool revocation_key(RevokeKind kind, std::string_view provider, std::string_view value, RevocationKey &out);

// A record with the key of (kind, provider, value). False for what revocation_key refuses, and
// for times outside 0..kMaxSessionTime or revoked_at > expires (a record the journal could not
// hold). Throws CryptoFailure when OpenSSL fails.
bool make_revocation(RevokeKind kind, std::string_view provider, std::string_view value, int64_t revoked_at,
    int64_t expires, Revocation &out);

// The journal line of `rec`, newline included: "v1 <key as 64 lower-case hex digits> <revoked_at>
// <expires>\n", the integers in decimal without sign or leading zeros. "" when the record breaks
// the time rules above (parse_revocation would refuse the line). Throws only std::bad_alloc.
std::string format_revocation(const Revocation &rec);

// One journal line without its newline. Strict: exactly "v1", single spaces, 64 lower-case hex
// digits, decimal integers of 1-12 digits without sign or leading zero (so every line that parses
// formats back to the same bytes), both within 0..kMaxSessionTime, revoked_at <= expires, nothing
// else (no '\r', no trailing space). False, with `out` zeroed, otherwise.
bool parse_revocation(std::string_view line, Revocation &out) noexcept;

enum class RevocationCheck {
    NotRevoked,
    Revoked,
    Error,      // the session cannot be checked (e.g. a "sid" claim that is not a string): fail closed
};

class RevocationSet {
public:
    // The live records of records[0..n): a record with expires <= now is skipped; for one key,
    // the latest revoked_at is kept. Throws std::bad_alloc.
    static RevocationSet build(const Revocation *records, size_t n, int64_t now);

    // Adds one key (keeping the latest revoked_at when it is already there). Throws std::bad_alloc.
    void add(const RevocationKey &key, int64_t revoked_at);

    // Adds the record's key unless the record has expired (expires <= now). Throws std::bad_alloc.
    void add_record(const Revocation &rec, int64_t now);

    // The revoked_at recorded for `key`, or false when it is not in the set.
    bool find(const RevocationKey &key, int64_t &revoked_at) const noexcept;

    size_t size() const noexcept { return map_.size(); }

    // Whether session `s` of `provider` is revoked, checking its session id, then its provider
    // sid, then its sub; on Revoked, `by` names the first that matched. Error for an empty
    // provider, or a "sid" claim that is present but not a non-empty string (it could not be
    // matched, so the session cannot be shown not to be revoked). Throws CryptoFailure or
    // std::bad_alloc.
    RevocationCheck check(std::string_view provider, const Session &s, RevokeKind &by) const;

private:
    // The key is a SHA-256 output: its first bytes are already a good hash.
    struct KeyHash {
        size_t operator()(const RevocationKey &k) const noexcept
        {
            size_t h;
            std::memcpy(&h, k.data(), sizeof(h));
            return h;
        }
    };

    std::unordered_map<RevocationKey, int64_t, KeyHash> map_;
};

} // namespace edge_auth

#endif
