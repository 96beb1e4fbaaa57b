// verify_context.h: an OpenSSL verification context set up once per (key, algorithm) at
// configuration time, and lent out for each use.
//
// Usage (configuration time, inside key import):
//
//     VerifyContext vc = VerifyContext::prepare(alg_info(Alg::PS256), pkey, {});
//
// Usage (per request):
//
//     PkeyCtxUse c(vc);                       // the spare copy, or a fresh EVP_PKEY_CTX_dup
//     if (EVP_PKEY_verify(c.get(), sig, sig_len, digest, digest_len) == 1)
//         c.reusable();                       // handed back as the spare at scope exit
//
// Why: in OpenSSL 3 every EVP_DigestVerifyInit fetches the algorithm implementation from the
// provider and builds its context, which costs several microseconds, as much as the parsing of a
// whole token. The prepared context is never used directly, only duplicated, so it stays
// unchanged after configuration and can be shared by concurrent readers.
//
// Even a duplicate costs an allocation round trip per request (about 2% of an RS256 request
// under load), so each VerifyContext keeps one spare copy: a use takes it with an atomic
// exchange, and gives it back when the operation succeeded. A second concurrent user finds the
// slot empty and duplicates as before; a copy that saw a failure (a wrong signature, an OpenSSL
// error) is freed instead of kept, so nothing a forged token did to a context is ever reused.
// nginx workers are single-threaded, so there the spare is simply reused request after request.
//
// DigestCtxUse does the same for the hash of the signing input (RS*, PS*, ES*): an EVP_MD_CTX
// that is re-initialised for the next use instead of allocated and freed around every digest.

#ifndef EDGE_AUTH_CORE_VERIFY_CONTEXT_H
#define EDGE_AUTH_CORE_VERIFY_CONTEXT_H

#include <atomic>
#include <string_view>

#include <openssl/evp.h>

#include "algorithm.h"

namespace edge_auth {

class VerifyContext {
public:
    VerifyContext() noexcept = default;
    ~VerifyContext();
    VerifyContext(VerifyContext &&o) noexcept;
    VerifyContext &operator=(VerifyContext &&o) noexcept;
    VerifyContext(const VerifyContext &) = delete;
    VerifyContext &operator=(const VerifyContext &) = delete;

    // RS*/PS*/ES*: an EVP_PKEY_CTX after EVP_PKEY_verify_init with padding, PSS parameters and
    // signature digest set. EdDSA: an EVP_MD_CTX after EVP_DigestVerifyInit. HS*: an EVP_MAC_CTX
    // keyed with `secret`. Throws std::bad_alloc; an empty context when OpenSSL refuses.
    static VerifyContext prepare(const AlgInfo &alg, EVP_PKEY *pkey, std::string_view secret);

    explicit operator bool() const noexcept { return pkey_ctx_ || md_ctx_ || mac_ctx_; }
    const EVP_PKEY_CTX *pkey_ctx() const noexcept { return pkey_ctx_; }
    const EVP_MD_CTX *md_ctx() const noexcept { return md_ctx_; }
    const EVP_MAC_CTX *mac_ctx() const noexcept { return mac_ctx_; }
    // Whether a spare verification context is waiting for the next use (for tests).
    bool holds_spare() const noexcept
    {
        return spare_pkey_ctx_.load(std::memory_order_relaxed) || spare_md_ctx_.load(std::memory_order_relaxed);
    }

private:
    friend class PkeyCtxUse;
    friend class MdCtxUse;
    friend class DigestCtxUse;

    EVP_PKEY_CTX *pkey_ctx_ = nullptr;
    EVP_MD_CTX *md_ctx_ = nullptr;
    EVP_MAC_CTX *mac_ctx_ = nullptr;

    // The spare copies lent to users (see the top of this file). Empty until a first use
    // succeeds; mutable because lending them out does not change what the context verifies.
    mutable std::atomic<EVP_PKEY_CTX *> spare_pkey_ctx_{nullptr};
    mutable std::atomic<EVP_MD_CTX *> spare_md_ctx_{nullptr};
    mutable std::atomic<EVP_MD_CTX *> spare_digest_ctx_{nullptr};
};

// A context lent for one use: the VerifyContext's spare in `slot` when it is free, otherwise a
// fresh one from `make`. At scope exit a context marked reusable() goes back into the slot (or is
// freed if another use already put one back); any other is freed. get() is null when no context
// could be made (out of memory).
template <typename T, void (*Free)(T *)>
class LentContext {
public:
    LentContext(const LentContext &) = delete;
    LentContext &operator=(const LentContext &) = delete;
    ~LentContext()
    {
        T *empty = nullptr;
        if (!ctx_ || !reusable_
            || !slot_.compare_exchange_strong(empty, ctx_, std::memory_order_release, std::memory_order_relaxed)) {
            Free(ctx_);
        }
    }
    T *get() const noexcept { return ctx_; }
    // The operation succeeded: the context may serve the next use.
    void reusable() noexcept { reusable_ = true; }

protected:
    LentContext(std::atomic<T *> &slot, T *(*make)(const VerifyContext &) noexcept, const VerifyContext &vc) noexcept
        : slot_(slot), ctx_(slot.exchange(nullptr, std::memory_order_acquire))
    {
        if (!ctx_) {
            ctx_ = make(vc);
        }
    }

private:
    std::atomic<T *> &slot_;
    T *ctx_;
    bool reusable_ = false;
};

// RS*, PS*, ES*: a copy of the prepared EVP_PKEY_CTX (after EVP_PKEY_verify_init).
class PkeyCtxUse : public LentContext<EVP_PKEY_CTX, EVP_PKEY_CTX_free> {
public:
    explicit PkeyCtxUse(const VerifyContext &vc) noexcept;
};

// EdDSA: a copy of the context after EVP_DigestVerifyInit.
class MdCtxUse : public LentContext<EVP_MD_CTX, EVP_MD_CTX_free> {
public:
    explicit MdCtxUse(const VerifyContext &vc) noexcept;
};

// RS*, PS*, ES*: a digest context for the signing input. Not initialised: the user calls
// EVP_DigestInit_ex with the algorithm's digest, which on a reused context only resets its state.
class DigestCtxUse : public LentContext<EVP_MD_CTX, EVP_MD_CTX_free> {
public:
    explicit DigestCtxUse(const VerifyContext &vc) noexcept;
};

class MacCtxUse {
public:
    explicit MacCtxUse(const VerifyContext &vc) noexcept;
    ~MacCtxUse();
    MacCtxUse(const MacCtxUse &) = delete;
    MacCtxUse &operator=(const MacCtxUse &) = delete;
    EVP_MAC_CTX *get() const noexcept { return ctx_; }

private:
    EVP_MAC_CTX *ctx_;
};

} // namespace edge_auth

#endif
