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

// Lending the spare: whoever exchanges it out owns it until it is given back.
template <typename T>
T *take_spare(std::atomic<T *> &slot) noexcept
{
    return slot.exchange(nullptr, std::memory_order_acquire);
}

// Returns ctx to the empty slot, or frees it when the slot is already taken.
template <typename T, void (*Free)(T *)>
void give_back(std::atomic<T *> &slot, T *ctx) noexcept
{
    T *empty = nullptr;
    if (!slot.compare_exchange_strong(empty, ctx, std::memory_order_release, std::memory_order_relaxed)) {
        Free(ctx);
    }
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

PkeyCtxUse::PkeyCtxUse(const VerifyContext &vc) noexcept : vc_(vc), ctx_(take_spare(vc.spare_pkey_ctx_))
{
    if (!ctx_ && vc.pkey_ctx_) {
        ctx_ = EVP_PKEY_CTX_dup(vc.pkey_ctx_);
    }
}

PkeyCtxUse::~PkeyCtxUse()
{
    if (ctx_ && reusable_) {
        give_back<EVP_PKEY_CTX, EVP_PKEY_CTX_free>(vc_.spare_pkey_ctx_, ctx_);
    } else {
        EVP_PKEY_CTX_free(ctx_);
    }
}

MdCtxUse::MdCtxUse(const VerifyContext &vc) noexcept : vc_(vc), ctx_(take_spare(vc.spare_md_ctx_))
{
    if (ctx_ || !vc.md_ctx_) {
        return;
    }
    ctx_ = EVP_MD_CTX_new();
    if (ctx_ && EVP_MD_CTX_copy_ex(ctx_, vc.md_ctx_) != 1) {
        ERR_clear_error();
        EVP_MD_CTX_free(ctx_);
        ctx_ = nullptr;
    }
}

MdCtxUse::~MdCtxUse()
{
    if (ctx_ && reusable_) {
        give_back<EVP_MD_CTX, EVP_MD_CTX_free>(vc_.spare_md_ctx_, ctx_);
    } else {
        EVP_MD_CTX_free(ctx_);
    }
}

DigestCtxUse::DigestCtxUse(const VerifyContext &vc) noexcept : vc_(vc), ctx_(take_spare(vc.spare_digest_ctx_))
{
    if (!ctx_) {
        ctx_ = EVP_MD_CTX_new();
    }
}

DigestCtxUse::~DigestCtxUse()
{
    if (ctx_ && reusable_) {
        give_back<EVP_MD_CTX, EVP_MD_CTX_free>(vc_.spare_digest_ctx_, ctx_);
    } else {
        EVP_MD_CTX_free(ctx_);
    }
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
