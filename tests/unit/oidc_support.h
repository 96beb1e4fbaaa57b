// oidc_support.h: what the OIDC login tests share: a pool allocator standing in for nginx's,
// string helpers, a session key file with a sealer, and ID tokens signed with the test keys.
//
// Usage:
//
//     oidc::Setup st;                                  // keys + sealer ("corp", "__Host-edge")
//     oidc::Pool pool;
//     ea_cookie_t c;
//     ea_oidc_flow_seal(st.sealer, st.keys, &flow, oidc::Pool::alloc, &pool, &c, err, sizeof(err));
//     std::string tok = oidc::id_token("{\"iss\":...}");  // RS256, kid "k1", test::keys().rsa2048

#ifndef EDGE_AUTH_UNIT_OIDC_SUPPORT_H
#define EDGE_AUTH_UNIT_OIDC_SUPPORT_H

#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base64url.h"
#include "edge_auth.h"
#include "unit.h"

namespace oidc {

constexpr int64_t kNow = unit::kNow;

// A malloc-backed stand-in for an nginx pool; `fail_after` makes the n-th allocation fail.
struct Pool {
    std::vector<void *> blocks;
    long fail_after = -1;
    Pool() = default;
    Pool(const Pool &) = delete;
    Pool &operator=(const Pool &) = delete;
    ~Pool()
    {
        for (void *b : blocks) {
            std::free(b);
        }
    }
    static void *alloc(void *ctx, size_t size)
    {
        auto *p = static_cast<Pool *>(ctx);
        if (p->fail_after == 0) {
            return nullptr;
        }
        if (p->fail_after > 0) {
            p->fail_after--;
        }
        void *m = std::malloc(size ? size : 1);
        p->blocks.push_back(m);
        return m;
    }
};

inline ea_str_t s(const char *text)
{
    return ea_str_t{text, std::strlen(text)};
}

ea_str_t s(std::string &&) = delete;   // a view of a temporary would dangle

inline ea_str_t s(const std::string &text)
{
    return ea_str_t{text.data(), text.size()};
}

inline std::string str(const ea_str_t &v)
{
    return std::string(v.data ? v.data : "", v.len);
}

inline std::string random_secret()
{
    std::string b(32, '\0');
    ck_assert_int_eq(RAND_bytes(reinterpret_cast<unsigned char *>(&b[0]), 32), 1);
    return edge_auth::base64url_encode(b);
}

struct Setup {
    ea_session_keys_t *keys = nullptr;
    ea_sealer_t *sealer = nullptr;

    explicit Setup(const std::string &key_file = random_secret(), const char *provider = "corp",
        const char *cookie = "__Host-edge", const char *realm = "")
    {
        char err[256];
        keys = ea_session_keys_load(key_file.data(), key_file.size(), err, sizeof(err));
        ck_assert_msg(keys != nullptr, "%s", err);
        ea_session_conf_t c;
        ea_session_conf_init(&c);
        c.provider = s(provider);
        c.cookie_name = s(cookie);
        c.realm = s(realm);
        sealer = ea_sealer_create(&c, err, sizeof(err));
        ck_assert_msg(sealer != nullptr, "%s", err);
    }
    ~Setup()
    {
        ea_sealer_free(sealer);
        ea_session_keys_free(keys);
    }
    Setup(const Setup &) = delete;
    Setup &operator=(const Setup &) = delete;
};

// RFC 7636 Appendix B: the verifier and its S256 challenge, as printed in the RFC.
constexpr const char *kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char *kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

// A flow for ea_oidc_flow_seal; the strings must outlive the struct's use.
inline ea_oidc_flow_t flow(const std::string &state, const std::string &nonce, const std::string &return_path,
    const std::string &issuer, int64_t created)
{
    ea_oidc_flow_t f;
    std::memset(&f, 0, sizeof(f));
    f.state = s(state);
    f.nonce = s(nonce);
    f.code_verifier = s(kVerifier);
    f.return_path = s(return_path);
    f.issuer = s(issuer);
    f.created = created;
    return f;
}

// Seals a flow and returns "name=value".
inline std::string sealed_flow(const Setup &st, const std::string &state, int64_t created,
    const std::string &return_path = "/app", const std::string &issuer = "https://idp.example",
    const std::string &nonce = "n-0S6_WzA2Mj")
{
    ea_oidc_flow_t f = flow(state, nonce, return_path, issuer, created);
    Pool pool;
    ea_cookie_t c;
    char err[256];
    int rc = ea_oidc_flow_seal(st.sealer, st.keys, &f, Pool::alloc, &pool, &c, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(c.remove, 0);
    return str(c.name) + "=" + str(c.value);
}

// ---- ID tokens -------------------------------------------------------------------------------

constexpr const char *kIssuer = "https://idp.example";
constexpr const char *kClientId = "client-1";
constexpr const char *kNonce = "n-0S6_WzA2Mj";

// The key set holding the public halves of test::keys().rsa2048 ("k1"), p256 ("e1"), and an oct
// key ("h1", so an HS256 token finds a key and is refused for its alg, not for a missing key).
inline ea_keyset_t *id_keys()
{
    const test::Keys &k = test::keys();
    std::string doc = unit::jwks({test::public_jwk(k.rsa2048, "\"kid\":\"k1\""),
        test::public_jwk(k.p256, "\"kid\":\"e1\""), test::oct_jwk(k.hs32, "\"kid\":\"h1\"")});
    ea_keyset_t *ks = ea_keyset_new();
    char err[256];
    ck_assert_int_eq(ea_keyset_add_jwks(ks, doc.data(), doc.size(), nullptr, nullptr, err, sizeof(err)), 0);
    return ks;
}

// Claims of a good ID token at kNow, with `extra` members spliced in at the end (they may
// override earlier ones only when the caller leaves those out: duplicates are refused).
inline std::string id_claims(const std::string &members)
{
    return "{" + members + "}";
}

inline std::string good_members()
{
    return std::string("\"iss\":\"") + kIssuer + "\",\"sub\":\"alice\",\"aud\":\"" + kClientId + "\",\"exp\":"
        + std::to_string(kNow + 600) + ",\"iat\":" + std::to_string(kNow - 5) + ",\"nonce\":\"" + kNonce + "\"";
}

inline std::string id_token(const std::string &claims, edge_auth::Alg alg = edge_auth::Alg::RS256,
    EVP_PKEY *key = nullptr, const char *kid = "k1")
{
    test::SignKey sk;
    sk.pkey = key ? key : test::keys().rsa2048;
    std::string header = std::string("{\"alg\":\"") + edge_auth::alg_info(alg).name + "\",\"kid\":\"" + kid + "\"}";
    return test::make_token(header, claims, alg, sk);
}

} // namespace oidc

#endif
