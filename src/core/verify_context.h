// verify_context.h: an OpenSSL verification context set up once per (key, algorithm) at
// configuration time, and duplicated for each use.
//
// Usage (configuration time, inside key import):
//
//     VerifyContext vc = VerifyContext::prepare(alg_info(Alg::PS256), pkey, {});
//
// Usage (per request):
//
//     PkeyCtxUse c(vc);                       // EVP_PKEY_CTX_dup of the prepared context
//     EVP_PKEY_verify(c.get(), sig, sig_len, digest, digest_len);
//
// Why: in OpenSSL 3 every EVP_DigestVerifyInit fetches the algorithm implementation from the
// provider and builds its context, which costs several microseconds, as much as the parsing of a
// whole token. Duplicating a ready context costs a fraction of a microsecond. The prepared
// context is never used directly, only duplicated, so it stays unchanged after configuration and
// can be shared by concurrent readers.

#ifndef EDGE_AUTH_CORE_VERIFY_CONTEXT_H
#define EDGE_AUTH_CORE_VERIFY_CONTEXT_H

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

private:
    EVP_PKEY_CTX *pkey_ctx_ = nullptr;
    EVP_MD_CTX *md_ctx_ = nullptr;
    EVP_MAC_CTX *mac_ctx_ = nullptr;
};

// Per-use copies, freed at scope exit. get() is null when the copy failed (out of memory).
class PkeyCtxUse {
public:
    explicit PkeyCtxUse(const VerifyContext &vc) noexcept;
    ~PkeyCtxUse();
    PkeyCtxUse(const PkeyCtxUse &) = delete;
    PkeyCtxUse &operator=(const PkeyCtxUse &) = delete;
    EVP_PKEY_CTX *get() const noexcept { return ctx_; }

private:
    EVP_PKEY_CTX *ctx_;
};

class MdCtxUse {
public:
    explicit MdCtxUse(const VerifyContext &vc) noexcept;
    ~MdCtxUse();
    MdCtxUse(const MdCtxUse &) = delete;
    MdCtxUse &operator=(const MdCtxUse &) = delete;
    EVP_MD_CTX *get() const noexcept { return ctx_; }

private:
    EVP_MD_CTX *ctx_;
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
