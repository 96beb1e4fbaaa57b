// signature.h: the one signature primitive: does `sig` sign `input` under `key` with `alg`?
//
// Usage:
//
//     if (key.serves(alg) && verify_signature(alg, key, signing_input, sig) == SigCheck::Valid)
//         accept();
//
// This is the only verification entry point (the OpenSSL contexts it uses are prepared per key
// at import, see verify_context.h). The JWS path calls it for each candidate key, and the unit
// tests feed it the raw Wycheproof vectors directly, so both see exactly the same checks:
//   - the signature length must be exact before any crypto runs: 64/96/132 bytes of raw r||s for
//     ES256/384/512 (DER is refused by length, and converted to DER here for OpenSSL), 32/48/64
//     for HS256/384/512, 64 for EdDSA, the modulus size for RS*/PS*;
//   - ECDSA r or s of zero is refused before OpenSSL sees it;
//   - HMAC tags are compared with CRYPTO_memcmp;
//   - PS*: MGF1 with the same hash and a salt exactly as long as the hash (RFC 7518 §3.5).
// OpenSSL's error queue is left empty so nothing leaks into nginx's own TLS error handling.

#ifndef EDGE_AUTH_CORE_SIGNATURE_H
#define EDGE_AUTH_CORE_SIGNATURE_H

#include <stdexcept>
#include <string_view>

#include "algorithm.h"
#include "jwk.h"

namespace edge_auth {

enum class SigCheck {
    Valid,
    Invalid,       // wrong signature, or the key does not serve this alg
    WrongLength,   // rejected before any crypto ran
};

// Exact signature length `alg` requires with `key`.
size_t expected_signature_size(const AlgInfo &alg, const Key &key) noexcept;

// Throws CryptoFailure when OpenSSL fails for a reason other than a bad signature (e.g. no
// memory), std::bad_alloc on allocation failure; every rejection is a return value.
SigCheck verify_signature(const AlgInfo &alg, const Key &key, std::string_view input, std::string_view sig);

struct CryptoFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace edge_auth

#endif
