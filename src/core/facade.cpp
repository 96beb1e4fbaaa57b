// The extern "C" surface of edge_auth.h. Every entry point catches everything: a C++ exception
// must never unwind into nginx, and any failure here fails closed (internal / NULL / -1).

#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>

// The library is compiled with -fvisibility=hidden; only the declarations of the public header
// are exported.
#pragma GCC visibility push(default)
#include "edge_auth.h"
#pragma GCC visibility pop

#include "algorithm.h"
#include "facade_internal.h"
#include "status.h"
#include "token_value.h"

using namespace edge_auth;

static_assert(static_cast<int>(Status::Ok) == EA_OK, "status values match the C enum");
static_assert(static_cast<int>(Status::NoToken) == EA_ERR_NO_TOKEN, "status values match the C enum");
static_assert(static_cast<int>(Status::TokenTooLarge) == EA_ERR_TOKEN_TOO_LARGE, "status values match");
static_assert(static_cast<int>(Status::Malformed) == EA_ERR_MALFORMED, "status values match");
static_assert(static_cast<int>(Status::BadHeader) == EA_ERR_BAD_HEADER, "status values match");
static_assert(static_cast<int>(Status::AlgNotAllowed) == EA_ERR_ALG_NOT_ALLOWED, "status values match");
static_assert(static_cast<int>(Status::UnknownKey) == EA_ERR_UNKNOWN_KEY, "status values match");
static_assert(static_cast<int>(Status::BadSignature) == EA_ERR_BAD_SIGNATURE, "status values match");
static_assert(static_cast<int>(Status::BadClaim) == EA_ERR_BAD_CLAIM, "status values match");
static_assert(static_cast<int>(Status::MissingExp) == EA_ERR_MISSING_EXP, "status values match");
static_assert(static_cast<int>(Status::Expired) == EA_ERR_EXPIRED, "status values match");
static_assert(static_cast<int>(Status::NotYetValid) == EA_ERR_NOT_YET_VALID, "status values match");
static_assert(static_cast<int>(Status::Issuer) == EA_ERR_ISSUER, "status values match");
static_assert(static_cast<int>(Status::Audience) == EA_ERR_AUDIENCE, "status values match");
static_assert(static_cast<int>(Status::TokenType) == EA_ERR_TOKEN_TYPE, "status values match");
static_assert(static_cast<int>(Status::NoKeys) == EA_ERR_NO_KEYS, "status values match");
static_assert(static_cast<int>(Status::Internal) == EA_ERR_INTERNAL, "status values match");
static_assert(static_cast<int>(Status::Count) == EA_STATUS_COUNT, "status values match");

static_assert(alg_bit(Alg::RS256) == EA_ALG_RS256 && alg_bit(Alg::RS384) == EA_ALG_RS384
        && alg_bit(Alg::RS512) == EA_ALG_RS512 && alg_bit(Alg::PS256) == EA_ALG_PS256
        && alg_bit(Alg::PS384) == EA_ALG_PS384 && alg_bit(Alg::PS512) == EA_ALG_PS512
        && alg_bit(Alg::ES256) == EA_ALG_ES256 && alg_bit(Alg::ES384) == EA_ALG_ES384
        && alg_bit(Alg::ES512) == EA_ALG_ES512 && alg_bit(Alg::EdDSA) == EA_ALG_EDDSA
        && alg_bit(Alg::HS256) == EA_ALG_HS256 && alg_bit(Alg::HS384) == EA_ALG_HS384
        && alg_bit(Alg::HS512) == EA_ALG_HS512,
    "algorithm bits match the C enum");
static_assert(kAsymmetricAlgBits == EA_ALGS_ASYMMETRIC && kHmacAlgBits == EA_ALGS_HMAC,
    "algorithm sets match the C macros");

namespace {

void set_message(char *buf, size_t len, const char *msg)
{
    if (buf && len) {
        std::snprintf(buf, len, "%s", msg);
    }
}

bool valid_str(const ea_str_t &s)
{
    return s.data != nullptr || s.len == 0;
}

// Copies a C string list; false when an entry has a NULL pointer with a length.
bool copy_list(const ea_str_t *items, size_t n, std::vector<std::string> &out)
{
    if (n && !items) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!valid_str(items[i])) {
            return false;
        }
        out.emplace_back(items[i].data ? items[i].data : "", items[i].len);
    }
    return true;
}

// Hands `text` to the caller's allocator. An empty value needs no memory, and asking a pool for
// zero bytes is not something every allocator answers sensibly.
int hand_out(const std::string &text, ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out)
{
    if (text.empty()) {
        out->data = "";
        out->len = 0;
        return 1;
    }
    void *mem = alloc(alloc_ctx, text.size());
    if (!mem) {
        return -1;
    }
    std::memcpy(mem, text.data(), text.size());
    out->data = static_cast<const char *>(mem);
    out->len = text.size();
    return 1;
}

} // namespace

extern "C" {

const char *ea_status_reason(ea_status_t status)
{
    return status_reason(static_cast<Status>(status));
}

unsigned ea_alg_from_name(const char *name, size_t len)
{
    if (!name) {
        return 0;
    }
    const AlgInfo *a = alg_from_name(std::string_view(name, len));
    return a ? a->bit : 0;
}

const char *ea_alg_name(unsigned alg_bit)
{
    const AlgInfo *a = alg_from_bit(alg_bit);
    return a ? a->name : nullptr;
}

ea_keyset_t *ea_keyset_new(void)
{
    try {
        return new ea_keyset_s();
    } catch (...) {
        return nullptr;
    }
}

int ea_keyset_add_jwks(ea_keyset_t *set, const char *json, size_t len, ea_warn_fn warn, void *warn_ctx,
    char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (!set || (!json && len)) {
        set_message(err, err_len, "invalid arguments");
        return -1;
    }
    try {
        std::string e;
        KeySet::WarnFn fn;
        if (warn) {
            fn = [warn, warn_ctx](const std::string &line) { warn(warn_ctx, line.c_str()); };
        }
        if (!set->set.add_document(std::string_view(json ? json : "", len), fn, e)) {
            set_message(err, err_len, e.c_str());
            return -1;
        }
        set->id = next_handle_id();
        return 0;
    } catch (...) {
        set_message(err, err_len, "internal error (out of memory?)");
        return -1;
    }
}

size_t ea_keyset_size(const ea_keyset_t *set)
{
    return set ? set->set.size() : 0;
}

void ea_keyset_free(ea_keyset_t *set)
{
    delete set;
}

void ea_policy_conf_init(ea_policy_conf_t *conf)
{
    if (!conf) {
        return;
    }
    std::memset(conf, 0, sizeof(*conf));
    PolicyConfig defaults;
    conf->algorithms = defaults.algorithms;
    conf->leeway = defaults.leeway;
    conf->require_exp = defaults.require_exp ? 1 : 0;
    conf->max_token_size = defaults.max_token_size;
}

ea_policy_t *ea_policy_create(const ea_policy_conf_t *conf, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (!conf) {
        set_message(err, err_len, "invalid arguments");
        return nullptr;
    }
    try {
        PolicyConfig pc;
        pc.algorithms = conf->algorithms;
        pc.leeway = conf->leeway;
        pc.require_exp = conf->require_exp != 0;
        pc.max_token_size = conf->max_token_size;
        if (!copy_list(conf->issuers, conf->n_issuers, pc.issuers)
            || !copy_list(conf->audiences, conf->n_audiences, pc.audiences)
            || !copy_list(conf->types, conf->n_types, pc.types)) {
            set_message(err, err_len, "a string list has a NULL entry");
            return nullptr;
        }
        std::string e;
        std::unique_ptr<Policy> p = Policy::create(pc, e);
        if (!p) {
            set_message(err, err_len, e.c_str());
            return nullptr;
        }
        auto *out = new ea_policy_s();
        out->policy = std::move(p);
        return out;
    } catch (...) {
        set_message(err, err_len, "internal error (out of memory?)");
        return nullptr;
    }
}

void ea_policy_free(ea_policy_t *policy)
{
    delete policy;
}

ea_status_t ea_jwt_verify(const ea_policy_t *policy, const ea_keyset_t *keys, const char *token, size_t len,
    int64_t now, ea_token_t **out, char *detail, size_t detail_len)
{
    if (out) {
        *out = nullptr;
    }
    Detail d(detail, detail_len);
    if (!policy || !policy->policy || !keys || (!token && len)) {
        d.text("invalid arguments");
        return EA_ERR_INTERNAL;
    }
    try {
        std::unique_ptr<VerifiedToken> verified;
        Status s = verify_token(*policy->policy, keys->set, std::string_view(token ? token : "", len), now,
            verified, d);
        if (s != Status::Ok) {
            return static_cast<ea_status_t>(s);
        }
        if (out) {
            auto *t = new ea_token_s();
            t->token = std::shared_ptr<const VerifiedToken>(std::move(verified));
            *out = t;
        }
        return EA_OK;
    } catch (...) {
        d.clear();
        d.text("internal error");
        return EA_ERR_INTERNAL;
    }
}

void ea_token_free(ea_token_t *token)
{
    delete token;
}

int ea_token_value(const ea_token_t *token, int part, const ea_str_t *path, size_t depth, ea_alloc_fn alloc,
    void *alloc_ctx, ea_str_t *out)
{
    if (!token || !token->token || !alloc || !out || (depth && !path)) {
        return -1;
    }
    try {
        JsonValue root;
        if (part == EA_PART_HEADER) {
            root = token->token->header();
        } else if (part == EA_PART_CLAIMS) {
            root = token->token->claims();
        } else {
            return 0;
        }
        // Paths are short (a few member names); the common depth-1 case needs no heap.
        std::string_view small[8];
        std::vector<std::string_view> big;
        std::string_view *names = small;
        if (depth > 8) {
            big.resize(depth);
            names = big.data();
        }
        for (size_t i = 0; i < depth; i++) {
            if (!valid_str(path[i])) {
                return 0;
            }
            names[i] = std::string_view(path[i].data ? path[i].data : "", path[i].len);
        }
        JsonValue v = find_member(root, names, depth);
        if (!v) {
            return 0;
        }
        std::string text;
        render_value(v, text);
        return hand_out(text, alloc, alloc_ctx, out);
    } catch (...) {
        return -1;
    }
}

int ea_token_payload(const ea_token_t *token, ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out)
{
    if (!token || !token->token || !alloc || !out) {
        return -1;
    }
    try {
        std::string text;
        render_compact_json(token->token->claims(), text);
        return hand_out(text, alloc, alloc_ctx, out);
    } catch (...) {
        return -1;
    }
}

int64_t ea_token_expires(const ea_token_t *token)
{
    if (!token || !token->token || !token->token->has_exp()) {
        return 0;
    }
    return token->token->exp();
}

} // extern "C"
