// algorithm.h: the JWS algorithms this module implements and everything that follows from the
// name: family, hash, exact signature length, and the EC curve an ES* alg is bound to.
//
// Usage:
//
//     const AlgInfo *a = alg_from_name(header_alg);    // exact, case-sensitive; nullptr if unknown
//     if (!a || !(policy_bits & a->bit)) return Status::AlgNotAllowed;
//     if (a->sig_len && sig.size() != a->sig_len) return Status::BadSignature;
//     const EVP_MD *md = hash_md(a->hash);
//
// "none" is deliberately not in the table: there is no way to name an unsigned token here.

#ifndef EDGE_AUTH_CORE_ALGORITHM_H
#define EDGE_AUTH_CORE_ALGORITHM_H

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <openssl/evp.h>

namespace edge_auth {

// Order matches the EA_ALG_* bits of the facade (bit = 1 << index).
enum class Alg : uint8_t {
    RS256, RS384, RS512,
    PS256, PS384, PS512,
    ES256, ES384, ES512,
    EdDSA,
    HS256, HS384, HS512,
    Count
};

enum class Family : uint8_t { RsaPkcs1, RsaPss, Ecdsa, EdDsa, Hmac };
enum class Hash : uint8_t { None, Sha256, Sha384, Sha512 };
enum class Curve : uint8_t { None, P256, P384, P521, Ed25519 };

constexpr unsigned alg_bit(Alg a) { return 1u << static_cast<unsigned>(a); }

constexpr unsigned kAllAlgBits = (1u << static_cast<unsigned>(Alg::Count)) - 1;
constexpr unsigned kRsaAlgBits = 0x3fu;      // RS*, PS*
constexpr unsigned kAsymmetricAlgBits = 0x3ffu;
constexpr unsigned kHmacAlgBits = 0x1c00u;

struct AlgInfo {
    Alg id;
    const char *name;
    unsigned bit;
    Family family;
    Hash hash;
    size_t hash_len;   // bytes; 0 for EdDSA (the hash is internal to the scheme)
    Curve curve;       // ES*: the only curve allowed (RFC 7518 §3.4); EdDSA: Ed25519
    size_t sig_len;    // exact signature length in bytes; 0 = the RSA modulus size
};

const AlgInfo &alg_info(Alg a) noexcept;
const AlgInfo *alg_from_name(std::string_view name) noexcept;
// One EA_ALG_* bit to its entry; nullptr unless exactly one known bit is set.
const AlgInfo *alg_from_bit(unsigned bit) noexcept;

// Message digest for a hash, fetched once per process and kept: an implicit fetch on every
// verification costs a provider lookup each time. nullptr for Hash::None.
const EVP_MD *hash_md(Hash h);

// Curves as JWK "crv" names, OpenSSL group names and coordinate sizes.
Curve curve_from_jwk_name(std::string_view crv) noexcept;
const char *curve_jwk_name(Curve c) noexcept;
const char *curve_group_name(Curve c) noexcept;   // EC curves only
size_t curve_coordinate_size(Curve c) noexcept;  // bytes of x (and y)

} // namespace edge_auth

#endif
