#include "algorithm.h"

#include <cstring>
#include <new>

namespace edge_auth {

namespace {

#define EA_ALG(id, fam, hash, hlen, curve, slen) \
    { Alg::id, #id, alg_bit(Alg::id), Family::fam, Hash::hash, hlen, Curve::curve, slen }

const AlgInfo kAlgs[] = {
    EA_ALG(RS256, RsaPkcs1, Sha256, 32, None, 0),
    EA_ALG(RS384, RsaPkcs1, Sha384, 48, None, 0),
    EA_ALG(RS512, RsaPkcs1, Sha512, 64, None, 0),
    EA_ALG(PS256, RsaPss, Sha256, 32, None, 0),
    EA_ALG(PS384, RsaPss, Sha384, 48, None, 0),
    EA_ALG(PS512, RsaPss, Sha512, 64, None, 0),
    EA_ALG(ES256, Ecdsa, Sha256, 32, P256, 64),
    EA_ALG(ES384, Ecdsa, Sha384, 48, P384, 96),
    EA_ALG(ES512, Ecdsa, Sha512, 64, P521, 132),
    EA_ALG(EdDSA, EdDsa, None, 0, Ed25519, 64),
    EA_ALG(HS256, Hmac, Sha256, 32, None, 32),
    EA_ALG(HS384, Hmac, Sha384, 48, None, 48),
    EA_ALG(HS512, Hmac, Sha512, 64, None, 64),
};

#undef EA_ALG

static_assert(sizeof(kAlgs) / sizeof(kAlgs[0]) == static_cast<size_t>(Alg::Count),
    "one entry per algorithm");

const EVP_MD *fetch_or_throw(const char *name)
{
    EVP_MD *md = EVP_MD_fetch(nullptr, name, nullptr);
    if (!md) {
        throw std::bad_alloc();
    }
    return md;
}

} // namespace

const AlgInfo &alg_info(Alg a) noexcept
{
    return kAlgs[static_cast<size_t>(a)];
}

const AlgInfo *alg_from_name(std::string_view name) noexcept
{
    for (const AlgInfo &a : kAlgs) {
        if (name.size() == std::strlen(a.name) && std::memcmp(name.data(), a.name, name.size()) == 0) {
            return &a;
        }
    }
    return nullptr;
}

const AlgInfo *alg_from_bit(unsigned bit) noexcept
{
    for (const AlgInfo &a : kAlgs) {
        if (a.bit == bit) {
            return &a;
        }
    }
    return nullptr;
}

const EVP_MD *hash_md(Hash h)
{
    // Function-local statics: initialised once, thread-safe, and never freed (the process
    // keeps them for its whole life, as OpenSSL's own built-in digests are).
    switch (h) {
    case Hash::Sha256: {
        static const EVP_MD *md = fetch_or_throw("SHA2-256");
        return md;
    }
    case Hash::Sha384: {
        static const EVP_MD *md = fetch_or_throw("SHA2-384");
        return md;
    }
    case Hash::Sha512: {
        static const EVP_MD *md = fetch_or_throw("SHA2-512");
        return md;
    }
    case Hash::None:
        break;
    }
    return nullptr;
}

Curve curve_from_jwk_name(std::string_view crv) noexcept
{
    if (crv == "P-256") {
        return Curve::P256;
    }
    if (crv == "P-384") {
        return Curve::P384;
    }
    if (crv == "P-521") {
        return Curve::P521;
    }
    if (crv == "Ed25519") {
        return Curve::Ed25519;
    }
    return Curve::None;
}

const char *curve_jwk_name(Curve c) noexcept
{
    switch (c) {
    case Curve::P256:
        return "P-256";
    case Curve::P384:
        return "P-384";
    case Curve::P521:
        return "P-521";
    case Curve::Ed25519:
        return "Ed25519";
    case Curve::None:
        break;
    }
    return "none";
}

const char *curve_group_name(Curve c) noexcept
{
    switch (c) {
    case Curve::P256:
        return "prime256v1";
    case Curve::P384:
        return "secp384r1";
    case Curve::P521:
        return "secp521r1";
    default:
        return nullptr;
    }
}

size_t curve_coordinate_size(Curve c) noexcept
{
    switch (c) {
    case Curve::P256:
        return 32;
    case Curve::P384:
        return 48;
    case Curve::P521:
        return 66;
    case Curve::Ed25519:
        return 32;
    case Curve::None:
        break;
    }
    return 0;
}

} // namespace edge_auth
