#include "jwks.h"

#include "json.h"
#include "status.h"

namespace edge_auth {

namespace {

std::string key_prefix(size_t index, const json_t *jwk)
{
    return "JWK #" + std::to_string(index) + " " + key_label(jwk);
}

} // namespace

bool KeySet::add_document(std::string_view json, const WarnFn &warn, std::string &err)
{
    err.clear();
    if (json.size() > kMaxDocumentBytes) {
        err = "JWKS document is larger than 1 MiB";
        return false;
    }
    Json doc;
    JsonError je = parse_json_object(json, JsonLimits{kMaxDocumentBytes, kMaxDepth}, doc);
    if (je != JsonError::None) {
        err = std::string("JWKS document: ") + json_error_text(je);
        return false;
    }

    // A JWKS, or a lone JWK treated as a set of one.
    std::vector<const json_t *> entries;
    const json_t *keys = json_object_get(doc.get(), "keys");
    if (keys) {
        if (!json_is_array(keys)) {
            err = "JWKS document: \"keys\" is not an array";
            return false;
        }
        if (json_array_size(keys) > kMaxKeysPerDocument) {
            err = "JWKS document holds more than 100 keys";
            return false;
        }
        size_t i;
        const json_t *k;
        json_array_foreach(keys, i, k) {
            entries.push_back(k);
        }
    } else if (json_object_get(doc.get(), "kty")) {
        entries.push_back(doc.get());
    } else {
        err = "JWKS document is neither {\"keys\":[...]} nor a JWK";
        return false;
    }

    // All or nothing: keys join the set only once the whole document has been accepted.
    std::vector<std::unique_ptr<Key>> added;
    std::vector<std::string> warnings;
    for (size_t i = 0; i < entries.size(); i++) {
        KeyImport r = import_jwk(entries[i]);
        switch (r.outcome) {
        case KeyImport::Outcome::DocumentError:
            err = "JWKS document refused: " + key_prefix(i, entries[i]) + ": " + r.reason;
            return false;
        case KeyImport::Outcome::Dropped:
            warnings.push_back(key_prefix(i, entries[i]) + " dropped: " + r.reason);
            break;
        case KeyImport::Outcome::Ok:
            for (const std::string &note : r.notes) {
                warnings.push_back(key_prefix(i, entries[i]) + ": " + note);
            }
            added.push_back(std::move(r.key));
            break;
        }
    }
    if (keys_.size() + added.size() > kMaxKeys) {
        err = "key set would hold more than 1000 keys";
        return false;
    }
    keys_.reserve(keys_.size() + added.size());
    for (auto &k : added) {
        keys_.push_back(std::move(k));
    }
    if (warn) {
        for (const std::string &w : warnings) {
            warn(w);
        }
    }
    return true;
}

KeySet::Lookup KeySet::find(const AlgInfo &alg, const std::string_view *kid, Candidates &out) const noexcept
{
    out.count = 0;
    if (keys_.empty()) {
        return Lookup::NoKeys;
    }
    for (const auto &k : keys_) {
        if (!k->serves(alg) || (kid && !k->kid_equals(*kid))) {
            continue;
        }
        if (out.count == kMaxCandidates) {
            out.count = 0;
            return Lookup::TooMany;
        }
        out.keys[out.count++] = k.get();
    }
    return out.count ? Lookup::Found : Lookup::NoMatch;
}

bool KeySet::has_kid(std::string_view kid) const noexcept
{
    for (const auto &k : keys_) {
        if (k->kid_equals(kid)) {
            return true;
        }
    }
    return false;
}

} // namespace edge_auth
