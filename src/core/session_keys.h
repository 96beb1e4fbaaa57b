// session_keys.h: the secrets behind sealed cookies, loaded once from the session key file, and
// the per-purpose AES-256 keys derived from them.
//
// Usage (configuration time):
//
//     std::string err;
//     std::unique_ptr<SessionKeys> keys = SessionKeys::load(file_contents, err);
//     if (!keys) fail("session key file: " + err);          // nginx -t fails
//
// Usage (per request; the object is immutable after load):
//
//     const SessionKeys::Key &k = keys->sealing();           // the first secret seals
//     const unsigned char *aes = k.key(KeyPurpose::Session); // 32 bytes
//     if (const SessionKeys::Key *old = keys->find(kid_from_cookie)) ...   // every secret opens
//
// File format (docs/session-format.md): one secret per line, base64url without padding, at least
// 32 random bytes (`edge-auth keygen` writes one). Blank lines and lines starting with '#' are
// ignored; a secret may be followed by whitespace and a '#' comment. A secret that is short,
// looks low-entropy (see secret_looks_weak), repeats another, or whose key id collides with
// another's fails the whole file, with the line number and never the secret in the message.
//
// Everything is derived with HKDF-SHA256 (RFC 5869, no salt) from each secret:
//   key id          = first 4 bytes of HKDF(secret, "nginx-edge-auth key-id v1"), big-endian
//   session key     = HKDF(secret, "nginx-edge-auth session v1", 32)
//   flow-state key  = HKDF(secret, "nginx-edge-auth flow-state v1", 32)
// so a session key never opens a login-flow cookie and vice versa, and the opener finds the key
// from the 4-byte id without trial decryption. Derivation happens here, once.

#ifndef EDGE_AUTH_CORE_SESSION_KEYS_H
#define EDGE_AUTH_CORE_SESSION_KEYS_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace edge_auth {

enum class KeyPurpose : unsigned {
    Session = 0,     // the session cookie
    FlowState = 1,   // the short-lived cookie of a login in progress (state, nonce, PKCE)
};

constexpr size_t kKeyPurposes = 2;
constexpr size_t kSessionKeyBytes = 32;   // AES-256
constexpr size_t kMinSecretBytes = 32;
constexpr size_t kMaxSecretBytes = 512;
constexpr size_t kMaxSecrets = 32;
constexpr size_t kMaxKeyFileBytes = 65536;

// The HKDF info string of a purpose, e.g. "nginx-edge-auth session v1".
const char *key_purpose_info(KeyPurpose purpose) noexcept;

// HKDF-SHA256 (RFC 5869) with an empty salt. False only when OpenSSL fails.
bool hkdf_sha256(std::string_view ikm, std::string_view info, unsigned char *out, size_t out_len) noexcept;

// The low-entropy heuristic applied to every secret (for secrets of at least kMinSecretBytes).
// True, with a human-readable `why`, when the bytes:
//   - take fewer than 16 distinct values (32 random bytes take about 30), or
//   - repeat a pattern (bytes[i] == bytes[i - p] for every i, for some period p <= n/2), or
//   - have fewer than 16 distinct differences between neighbours (counters: 00 01 02 ...), or
//   - are all printable ASCII (a password or passphrase, not random bytes).
// For uniformly random secrets each test fires with a probability below 1e-13 (the printable
// test, (95/256)^32, is the largest), so `edge-auth keygen` output always passes.
bool secret_looks_weak(const unsigned char *secret, size_t len, std::string &why);

class SessionKeys {
public:
    struct Key {
        uint32_t kid;        // the key id written into every cookie this key seals
        unsigned line;       // line of the key file, for messages
        unsigned char aes[kKeyPurposes][kSessionKeyBytes];

        const unsigned char *key(KeyPurpose p) const noexcept { return aes[static_cast<unsigned>(p)]; }
    };

    // Parses and checks a whole key file. nullptr with `err` set (one line, no secret bytes in
    // it) when the file is unusable. Throws only std::bad_alloc.
    static std::unique_ptr<SessionKeys> load(std::string_view file_contents, std::string &err);

    ~SessionKeys();
    SessionKeys(const SessionKeys &) = delete;
    SessionKeys &operator=(const SessionKeys &) = delete;

    size_t size() const noexcept { return keys_.size(); }
    const Key &at(size_t i) const noexcept { return keys_[i]; }
    // The first secret of the file: it seals every new cookie.
    const Key &sealing() const noexcept { return keys_.front(); }
    // The key with this id, or nullptr.
    const Key *find(uint32_t kid) const noexcept;

private:
    SessionKeys() = default;

    std::vector<Key> keys_;
};

// A key id as 8 lowercase hex digits (how it appears in logs and in `edge-auth keygen` output).
std::string key_id_hex(uint32_t kid);

} // namespace edge_auth

#endif
