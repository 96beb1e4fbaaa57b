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

// RS*, PS*, ES*: hash once, then verify the digest with a copy of the key's prepared context.
SigCheck pkey_verify(const AlgInfo &alg, const Key &key, std::string_view input, const unsigned char *sig,
    size_t sig_len)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &digest_len, hash_md(alg.hash), nullptr) != 1) {
        ERR_clear_error();
        throw CryptoFailure("digest failed");
    }
    PkeyCtxUse ctx(key.verify_context(alg));
    if (!ctx.get()) {
        ERR_clear_error();
        throw CryptoFailure("cannot copy the verification context");
    }
    int rc = EVP_PKEY_verify(ctx.get(), sig, sig_len, digest, digest_len);
    if (rc != 1) {
        // 0 is a wrong signature; negative values are signatures this key cannot even parse,
        // which are just as wrong. Either way nothing is left in the error queue.
        ERR_clear_error();
        return SigCheck::Invalid;
    }
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
        int rc = EVP_DigestVerify(ctx.get(), s, sig.size(), reinterpret_cast<const unsigned char *>(input.data()),
            input.size());
        if (rc != 1) {
            ERR_clear_error();
            return SigCheck::Invalid;
        }
        return SigCheck::Valid;
    }
    case Family::RsaPkcs1:
    case Family::RsaPss:
        return pkey_verify(alg, key, input, s, sig.size());
    }
    return SigCheck::Invalid;
}

} // namespace edge_auth
