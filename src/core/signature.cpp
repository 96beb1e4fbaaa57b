#include "signature.h"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "verify_context.h"

namespace edge_auth {

namespace {

// One DER INTEGER from a big-endian unsigned value: minimal length, with a 0x00 prefix when the
// top bit is set.
size_t der_integer(const unsigned char *v, size_t len, unsigned char *out)
{
    while (len > 1 && v[0] == 0) {
        v++;
        len--;
    }
    bool pad = (v[0] & 0x80) != 0;
    size_t content = len + (pad ? 1 : 0);
    size_t o = 0;
    out[o++] = 0x02;
    out[o++] = static_cast<unsigned char>(content);   // <= 67 bytes: short form
    if (pad) {
        out[o++] = 0x00;
    }
    std::memcpy(out + o, v, len);
    return o + len;
}

// JOSE carries ECDSA signatures as fixed-size r||s (RFC 7518 §3.4); OpenSSL wants DER.
// out must hold 2 * (half + 3) + 3 bytes.
size_t ecdsa_raw_to_der(const unsigned char *rs, size_t half, unsigned char *out)
{
    unsigned char body[2 * (66 + 3)];
    size_t blen = der_integer(rs, half, body);
    blen += der_integer(rs + half, half, body + blen);
    size_t o = 0;
    out[o++] = 0x30;
    if (blen < 0x80) {
        out[o++] = static_cast<unsigned char>(blen);
    } else {
        out[o++] = 0x81;
        out[o++] = static_cast<unsigned char>(blen);
    }
    std::memcpy(out + o, body, blen);
    return o + blen;
}

bool all_zero(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

// The two OpenSSL calls at the heart of a verification are kept out of line under names of their
// own, so that a profile of a loaded worker tells the signature primitive and the hash of the
// signing input apart from the module's own work around them (bench/run, BENCH_PROFILE=1).

// H(signing input) for RS*, PS*, ES*. Throws CryptoFailure.
__attribute__((noinline)) unsigned hash_signing_input(const AlgInfo &alg, const VerifyContext &vc,
    std::string_view input, unsigned char *digest)
{
    unsigned digest_len = 0;
    DigestCtxUse md(vc);
    if (!md.get() || EVP_DigestInit_ex(md.get(), hash_md(alg.hash), nullptr) != 1
        || EVP_DigestUpdate(md.get(), input.data(), input.size()) != 1
        || EVP_DigestFinal_ex(md.get(), digest, &digest_len) != 1) {
        ERR_clear_error();
        throw CryptoFailure("digest failed");
    }
    md.reusable();
    return digest_len;
}

// The signature primitive over the digest (RS*, PS*, ES*) or, for EdDSA, over the input itself.
// Returns OpenSSL's verdict: 1 valid, anything else not. The empty asm after the call keeps it
// from becoming a tail jump, which would take this frame off the stack the profile reads.
__attribute__((noinline)) int openssl_verify(EVP_PKEY_CTX *ctx, const unsigned char *sig, size_t sig_len,
    const unsigned char *tbs, size_t tbs_len)
{
    int rc = EVP_PKEY_verify(ctx, sig, sig_len, tbs, tbs_len);
    __asm__ __volatile__("" : "+r"(rc));
    return rc;
}

__attribute__((noinline)) int openssl_verify(EVP_MD_CTX *ctx, const unsigned char *sig, size_t sig_len,
    const unsigned char *tbs, size_t tbs_len)
{
    int rc = EVP_DigestVerify(ctx, sig, sig_len, tbs, tbs_len);
    __asm__ __volatile__("" : "+r"(rc));
    return rc;
}

// RS*, PS*, ES*: hash once, then verify the digest with the key's prepared context.
SigCheck pkey_verify(const AlgInfo &alg, const Key &key, std::string_view input, const unsigned char *sig,
    size_t sig_len)
{
    const VerifyContext &vc = key.verify_context(alg);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = hash_signing_input(alg, vc, input, digest);
    PkeyCtxUse ctx(vc);
    if (!ctx.get()) {
        ERR_clear_error();
        throw CryptoFailure("cannot copy the verification context");
    }
    if (openssl_verify(ctx.get(), sig, sig_len, digest, digest_len) != 1) {
        // 0 is a wrong signature; negative values are signatures this key cannot even parse,
        // which are just as wrong. Either way nothing is left in the error queue, and the
        // context is not reused.
        ERR_clear_error();
        return SigCheck::Invalid;
    }
    ctx.reusable();
    return SigCheck::Valid;
}

} // namespace

size_t expected_signature_size(const AlgInfo &alg, const Key &key) noexcept
{
    return alg.sig_len ? alg.sig_len : key.rsa_signature_size();
}

SigCheck verify_signature(const AlgInfo &alg, const Key &key, std::string_view input, std::string_view sig)
{
    if (!key.serves(alg)) {
        return SigCheck::Invalid;
    }
    size_t want = expected_signature_size(alg, key);
    if (want == 0 || sig.size() != want) {
        return SigCheck::WrongLength;
    }
    const auto *s = reinterpret_cast<const unsigned char *>(sig.data());

    switch (alg.family) {
    case Family::Hmac: {
        MacCtxUse ctx(key.verify_context(alg));
        unsigned char mac[EVP_MAX_MD_SIZE];
        size_t mac_len = 0;
        if (!ctx.get()
            || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char *>(input.data()), input.size()) != 1
            || EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof(mac)) != 1 || mac_len != alg.hash_len) {
            ERR_clear_error();
            throw CryptoFailure("HMAC failed");
        }
        bool ok = CRYPTO_memcmp(mac, s, alg.hash_len) == 0;
        OPENSSL_cleanse(mac, sizeof(mac));
        return ok ? SigCheck::Valid : SigCheck::Invalid;
    }
    case Family::Ecdsa: {
        size_t half = want / 2;
        // r = 0 or s = 0 can never be valid; refusing here keeps "psychic signature" inputs
        // (CVE-2022-21449) away from the library entirely.
        if (all_zero(s, half) || all_zero(s + half, half)) {
            return SigCheck::Invalid;
        }
        unsigned char der[2 * (66 + 3) + 3];
        size_t der_len = ecdsa_raw_to_der(s, half, der);
        return pkey_verify(alg, key, input, der, der_len);
    }
    case Family::EdDsa: {
        MdCtxUse ctx(key.verify_context(alg));
        if (!ctx.get()) {
            throw CryptoFailure("cannot copy the verification context");
        }
        if (openssl_verify(ctx.get(), s, sig.size(), reinterpret_cast<const unsigned char *>(input.data()),
                input.size()) != 1) {
            ERR_clear_error();
            return SigCheck::Invalid;
        }
        ctx.reusable();
        return SigCheck::Valid;
    }
    case Family::RsaPkcs1:
    case Family::RsaPss:
        return pkey_verify(alg, key, input, s, sig.size());
    }
    return SigCheck::Invalid;
}

} // namespace edge_auth
