#include "verify_context.h"

#include <new>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

namespace edge_auth {

namespace {

const char *digest_name(Hash h)
{
    switch (h) {
    case Hash::Sha256:
        return "SHA2-256";
    case Hash::Sha384:
        return "SHA2-384";
    case Hash::Sha512:
        return "SHA2-512";
    case Hash::None:
        break;
    }
    return nullptr;
}

EVP_MAC *hmac()
{
    static EVP_MAC *mac = [] {
        EVP_MAC *m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!m) {
            throw std::bad_alloc();
        }
        return m;
    }();
    return mac;
}

// Moves happen only while keys are built, before any use: plain loads and stores suffice.
template <typename T>
void swap_slots(std::atomic<T *> &a, std::atomic<T *> &b) noexcept
{
    T *t = a.load(std::memory_order_relaxed);
    a.store(b.load(std::memory_order_relaxed), std::memory_order_relaxed);
    b.store(t, std::memory_order_relaxed);
}

} // namespace

VerifyContext::~VerifyContext()
{
    EVP_PKEY_CTX_free(pkey_ctx_);
    EVP_MD_CTX_free(md_ctx_);
    EVP_MAC_CTX_free(mac_ctx_);
    EVP_PKEY_CTX_free(spare_pkey_ctx_.load(std::memory_order_acquire));
    EVP_MD_CTX_free(spare_md_ctx_.load(std::memory_order_acquire));
    EVP_MD_CTX_free(spare_digest_ctx_.load(std::memory_order_acquire));
}

VerifyContext::VerifyContext(VerifyContext &&o) noexcept
    : pkey_ctx_(std::exchange(o.pkey_ctx_, nullptr)), md_ctx_(std::exchange(o.md_ctx_, nullptr)),
      mac_ctx_(std::exchange(o.mac_ctx_, nullptr))
{
    swap_slots(spare_pkey_ctx_, o.spare_pkey_ctx_);
    swap_slots(spare_md_ctx_, o.spare_md_ctx_);
    swap_slots(spare_digest_ctx_, o.spare_digest_ctx_);
}

VerifyContext &VerifyContext::operator=(VerifyContext &&o) noexcept
{
    if (this != &o) {
        std::swap(pkey_ctx_, o.pkey_ctx_);
        std::swap(md_ctx_, o.md_ctx_);
        std::swap(mac_ctx_, o.mac_ctx_);
        swap_slots(spare_pkey_ctx_, o.spare_pkey_ctx_);
        swap_slots(spare_md_ctx_, o.spare_md_ctx_);
        swap_slots(spare_digest_ctx_, o.spare_digest_ctx_);
    }
    return *this;
}

VerifyContext VerifyContext::prepare(const AlgInfo &alg, EVP_PKEY *pkey, std::string_view secret)
{
    VerifyContext vc;
    switch (alg.family) {
    case Family::Hmac: {
        vc.mac_ctx_ = EVP_MAC_CTX_new(hmac());
        if (!vc.mac_ctx_) {
            throw std::bad_alloc();
        }
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char *>(digest_name(alg.hash)), 0),
            OSSL_PARAM_construct_end(),
        };
        if (EVP_MAC_init(vc.mac_ctx_, reinterpret_cast<const unsigned char *>(secret.data()), secret.size(),
                params) != 1) {
            ERR_clear_error();
            return VerifyContext();
        }
        return vc;
    }
    case Family::EdDsa: {
        vc.md_ctx_ = EVP_MD_CTX_new();
        if (!vc.md_ctx_) {
            throw std::bad_alloc();
        }
        if (EVP_DigestVerifyInit(vc.md_ctx_, nullptr, nullptr, nullptr, pkey) != 1) {
            ERR_clear_error();
            return VerifyContext();
        }
        return vc;
    }
    case Family::RsaPkcs1:
    case Family::RsaPss:
    case Family::Ecdsa:
        break;
    }

    vc.pkey_ctx_ = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
    if (!vc.pkey_ctx_) {
        throw std::bad_alloc();
    }
    const EVP_MD *md = hash_md(alg.hash);
    bool ok = EVP_PKEY_verify_init(vc.pkey_ctx_) == 1;
    if (ok && alg.family == Family::RsaPkcs1) {
        ok = EVP_PKEY_CTX_set_rsa_padding(vc.pkey_ctx_, RSA_PKCS1_PADDING) > 0;
    } else if (ok && alg.family == Family::RsaPss) {
        // RFC 7518 §3.5: MGF1 with the same hash, salt exactly as long as the hash.
        ok = EVP_PKEY_CTX_set_rsa_padding(vc.pkey_ctx_, RSA_PKCS1_PSS_PADDING) > 0
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(vc.pkey_ctx_, RSA_PSS_SALTLEN_DIGEST) > 0
            && EVP_PKEY_CTX_set_rsa_mgf1_md(vc.pkey_ctx_, md) > 0;
    }
    ok = ok && EVP_PKEY_CTX_set_signature_md(vc.pkey_ctx_, md) > 0;
    if (!ok) {
        ERR_clear_error();
        return VerifyContext();
    }
    return vc;
}

namespace {

EVP_PKEY_CTX *copy_pkey_ctx(const VerifyContext &vc) noexcept
{
    return vc.pkey_ctx() ? EVP_PKEY_CTX_dup(vc.pkey_ctx()) : nullptr;
}

EVP_MD_CTX *copy_md_ctx(const VerifyContext &vc) noexcept
{
    if (!vc.md_ctx()) {
        return nullptr;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_MD_CTX_copy_ex(ctx, vc.md_ctx()) != 1) {
        ERR_clear_error();
        EVP_MD_CTX_free(ctx);
        ctx = nullptr;
    }
    return ctx;
}

EVP_MD_CTX *new_digest_ctx(const VerifyContext &) noexcept
{
    return EVP_MD_CTX_new();
}

} // namespace

PkeyCtxUse::PkeyCtxUse(const VerifyContext &vc) noexcept : LentContext(vc.spare_pkey_ctx_, copy_pkey_ctx, vc) {}

MdCtxUse::MdCtxUse(const VerifyContext &vc) noexcept : LentContext(vc.spare_md_ctx_, copy_md_ctx, vc) {}

DigestCtxUse::DigestCtxUse(const VerifyContext &vc) noexcept : LentContext(vc.spare_digest_ctx_, new_digest_ctx, vc)
{
}

MacCtxUse::MacCtxUse(const VerifyContext &vc) noexcept
    : ctx_(vc.mac_ctx() ? EVP_MAC_CTX_dup(vc.mac_ctx()) : nullptr)
{
}

MacCtxUse::~MacCtxUse()
{
    EVP_MAC_CTX_free(ctx_);
}

} // namespace edge_auth
