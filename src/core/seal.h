// seal.h: AES-256-GCM on OpenSSL EVP, and the sealed-value envelope every module cookie uses.
//
// Usage:
//
//     std::string context = seal_context({provider, cookie_name, realm});   // once, at config
//     std::string sealed;
//     if (!seal_value(keys.sealing(), KeyPurpose::Session, parts, context, plaintext, sealed))
//         fail();                                        // RNG or OpenSSL failure only
//     ...
//     std::string plain;
//     SessionStatus s = open_value(keys, KeyPurpose::Session, sealed, context, plain, detail);
//
// Envelope, version 1 (docs/session-format.md):
//
//     version (1 byte, 0x01) || key id (4, big-endian) || parts (1) || IV (12) || ciphertext || tag (16)
//     AAD = version || key id || parts || context
//
// `parts` is the number of cookies the encoded value is split across (1..8); it is authenticated
// with the rest of the header. `context` binds the value to where it may be used (provider,
// cookie name, realm): a value moved anywhere else fails the tag check. Every IV comes fresh from
// RAND_bytes, and the tag is always exactly 16 bytes: a shorter tag is never checked as a prefix.

#ifndef EDGE_AUTH_CORE_SEAL_H
#define EDGE_AUTH_CORE_SEAL_H

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "session_keys.h"
#include "session_status.h"
#include "status.h"

namespace edge_auth {

constexpr size_t kAeadKeyBytes = 32;
constexpr size_t kAeadIvBytes = 12;
constexpr size_t kAeadTagBytes = 16;

constexpr unsigned char kSealVersion = 1;
constexpr size_t kSealHeaderBytes = 6;
constexpr size_t kSealOverhead = kSealHeaderBytes + kAeadIvBytes + kAeadTagBytes;   // 34

// ---- the AEAD primitive ----------------------------------------------------------------------

// AES-256-GCM encryption of `plaintext` into ct_out (plaintext.size() bytes) and tag_out (16
// bytes). False only when OpenSSL fails.
bool aead_encrypt(const unsigned char *key, const unsigned char *iv, std::string_view aad,
    std::string_view plaintext, unsigned char *ct_out, unsigned char *tag_out) noexcept;

// AES-256-GCM decryption and authentication. Refuses any key that is not 32 bytes, any IV that is
// not 12 bytes and any tag that is not 16 bytes. On success writes ciphertext.size() bytes to
// plain_out; on failure plain_out is zeroed (no unauthenticated plaintext ever escapes).
bool aead_decrypt(std::string_view key, std::string_view iv, std::string_view aad, std::string_view ciphertext,
    std::string_view tag, unsigned char *plain_out) noexcept;

// ---- the envelope ----------------------------------------------------------------------------

struct SealHeader {
    unsigned char version;
    uint32_t kid;
    unsigned char parts;
};

// Reads the first kSealHeaderBytes of a sealed value (no check beyond the length).
SealHeader read_seal_header(const unsigned char *bytes) noexcept;

// The binding context: each field as a 2-byte big-endian length followed by its bytes. Callers
// cap their fields far below 65535 bytes. Throws only std::bad_alloc.
std::string seal_context(std::initializer_list<std::string_view> fields);

// Seals `plaintext` with `key`'s key for `purpose` into `out` (replaced). `iv` is for known-answer
// tests only: nullptr draws a fresh one. False only on RNG/OpenSSL failure. Throws only
// std::bad_alloc.
bool seal_value(const SessionKeys::Key &key, KeyPurpose purpose, unsigned char parts, std::string_view context,
    std::string_view plaintext, std::string &out, const unsigned char *iv = nullptr);

// Opens a sealed value: Malformed (shorter than kSealOverhead), UnknownVersion, UnknownKey or
// BadSeal (one reason for every authentication failure), else Ok with `plaintext` replaced. The
// header's `parts` is only authenticated here; the caller compares it with what it assembled.
// Throws only std::bad_alloc.
SessionStatus open_value(const SessionKeys &keys, KeyPurpose purpose, std::string_view sealed,
    std::string_view context, std::string &plaintext, Detail &detail);

} // namespace edge_auth

#endif
