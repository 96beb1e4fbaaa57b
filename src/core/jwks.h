// jwks.h: a set of verification keys, filled at configuration time from JWKS documents and
// only read afterwards.
//
// Usage (configuration time):
//
//     KeySet keys;
//     std::string err;
//     if (!keys.add_document(text, [&](const std::string &line) { warn(line); }, err))
//         fail(err);                 // the document was refused; the set is unchanged
//
// Usage (per request):
//
//     KeySet::Candidates c;
//     switch (keys.find(alg, has_kid ? &kid : nullptr, c)) {
//     case KeySet::Lookup::Found: for (size_t i = 0; i < c.count; i++) try_key(*c.keys[i]); ...
//
// A document is a JWKS object ({"keys":[...]}) or a single JWK object. It is refused as a whole
// (err set, no key added) when it is not JSON, has duplicate members, has the wrong shape, is
// over 1 MiB, holds more than 100 keys, holds a kid over 256 bytes, or would take the set past
// 1000 keys. A key that breaks the key policy (see jwk.h) is only dropped, with one warning line
// naming it and the reason; the rest of the document still loads.
//
// Key selection. The candidates for a token are the keys that serve its alg (kty and curve fit
// the family, the key's own "alg" if any equals it, oct length fits the hash) and, when the
// header has a kid, whose kid is byte-for-byte equal to it. A key without a kid never matches a
// header that names one. A token without a kid is tried against every candidate, but only up to
// 4 of them: more than 4 makes the lookup fail as unknown_key, which bounds the work one token
// can cause. The same bound applies to duplicate kids (kept, not rejected: rotating publishers
// briefly serve two keys under one kid).

#ifndef EDGE_AUTH_CORE_JWKS_H
#define EDGE_AUTH_CORE_JWKS_H

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algorithm.h"
#include "jwk.h"

namespace edge_auth {

class KeySet {
public:
    static constexpr size_t kMaxDocumentBytes = 1u << 20;
    static constexpr size_t kMaxKeysPerDocument = 100;
    static constexpr size_t kMaxKeys = 1000;
    static constexpr size_t kMaxCandidates = 4;
    static constexpr unsigned kMaxDepth = 16;

    using WarnFn = std::function<void(const std::string &)>;

    // Throws only std::bad_alloc (and whatever `warn` throws).
    bool add_document(std::string_view json, const WarnFn &warn, std::string &err);

    size_t size() const noexcept { return keys_.size(); }
    const Key &at(size_t i) const noexcept { return *keys_[i]; }

    enum class Lookup {
        Found,
        NoKeys,          // the set is empty
        NoMatch,         // no key serves this alg (and kid, if given)
        TooMany,         // more than kMaxCandidates would have to be tried
    };

    struct Candidates {
        const Key *keys[kMaxCandidates];
        size_t count = 0;
    };

    Lookup find(const AlgInfo &alg, const std::string_view *kid, Candidates &out) const noexcept;

    // Whether any key carries this kid, whatever its algorithm (for a precise reject detail).
    bool has_kid(std::string_view kid) const noexcept;

private:
    std::vector<std::unique_ptr<Key>> keys_;
};

} // namespace edge_auth

#endif
