// bench_verify: how much of a bearer-token verification is ours and how much is the signature.
// Not a test (no pass/fail, timings vary by machine); built and run by `make core-bench`.
//
//     $ make core-bench
//     full verify RS256 ....................  17.1 us/op
//     ...
//
// "overhead" = everything except the signature primitive: split, base64url, header JSON, header
// rules, key lookup, payload JSON, claims. The goal is well under 10% of an RS256 verify.

#include <ctime>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "claims.h"
#include "edge_auth.h"
#include "jwks.h"
#include "jws.h"
#include "policy.h"
#include "signature.h"
#include "test_support.h"
#include "verifier.h"

using namespace edge_auth;

namespace {

constexpr int64_t kNow = 1700000000;

volatile int sink;

// CPU time of this thread, not wall time: on a shared machine the time spent descheduled is
// other processes' work, not ours.
double thread_cpu_us()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// The best of several rounds, the closest to the cost of the code itself.
double time_us(const char *label, int iterations, const std::function<int()> &fn)
{
    for (int i = 0; i < iterations / 10 + 1; i++) {
        sink = fn();
    }
    double best = 1e300;
    for (int round = 0; round < 7; round++) {
        double start = thread_cpu_us();
        for (int i = 0; i < iterations / 5; i++) {
            sink = fn();
        }
        double us = (thread_cpu_us() - start) / (iterations / 5);
        best = us < best ? us : best;
    }
    std::printf("  %-44s %9.3f us/op\n", label, best);
    return best;
}

std::string claims_json()
{
    return "{\"iss\":\"https://idp.example.com/realms/main\",\"sub\":\"3f2b8c1e-7d4a-4e2b-9c61-0a5d2f8e4b17\","
           "\"aud\":[\"api://orders\",\"account\"],\"exp\":" + std::to_string(kNow + 300)
        + ",\"iat\":" + std::to_string(kNow - 60) + ",\"nbf\":" + std::to_string(kNow - 60)
        + ",\"jti\":\"b7c6a1f0-2d3e-4f5a-8b9c-0d1e2f3a4b5c\",\"azp\":\"web-frontend\","
          "\"scope\":\"openid profile email orders:read orders:write\",\"email\":\"alice@example.com\","
          "\"name\":\"Alice Example\",\"realm_access\":{\"roles\":[\"offline_access\",\"user\",\"orders-admin\"]}}";
}

} // namespace

int main()
{
    test::SignKey rsa{test::generate_rsa(2048, 65537), {}};
    test::SignKey rsa2{test::generate_rsa(2048, 65537), {}};
    test::SignKey p256{test::generate_ec("P-256"), {}};
    test::SignKey ed{test::generate_ed25519(), {}};
    test::SignKey hs{nullptr, std::string(32, 'k')};

    // A realistic key set: two rotating RSA keys, an EC key, an Ed25519 key, an HMAC secret.
    std::string doc = "{\"keys\":[" + test::public_jwk(rsa2.pkey, "\"kid\":\"r0\",\"use\":\"sig\"") + ","
        + test::public_jwk(rsa.pkey, "\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\"") + ","
        + test::public_jwk(p256.pkey, "\"kid\":\"e1\"") + "," + test::public_jwk(ed.pkey, "\"kid\":\"d1\"") + ","
        + test::oct_jwk(hs.secret, "\"kid\":\"h1\"") + "]}";
    KeySet keys;
    std::string err;
    if (!keys.add_document(doc, nullptr, err)) {
        std::fprintf(stderr, "key set: %s\n", err.c_str());
        return 1;
    }

    PolicyConfig conf;
    conf.algorithms = kAllAlgBits;
    conf.issuers = {"https://idp.example.com/realms/main"};
    conf.audiences = {"api://orders"};
    conf.types = {"at+jwt"};
    conf.leeway = 30;
    std::unique_ptr<Policy> policy = Policy::create(conf, err);

    std::string claims = claims_json();
    auto tok = [&](const char *alg, const char *kid, Alg a, const test::SignKey &k) {
        return test::make_token(std::string("{\"alg\":\"") + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"at+jwt\"}",
            claims, a, k);
    };
    std::string rs = tok("RS256", "r1", Alg::RS256, rsa);
    std::string es = tok("ES256", "e1", Alg::ES256, p256);
    std::string eddsa = tok("EdDSA", "d1", Alg::EdDSA, ed);
    std::string hs256 = tok("HS256", "h1", Alg::HS256, hs);
    std::printf("token sizes: RS256 %zu bytes, ES256 %zu bytes (payload %zu bytes)\n", rs.size(), es.size(),
        claims.size());

    char buf[160];
    Detail d(buf, sizeof(buf));
    auto full = [&](const std::string &t) {
        return [&policy, &keys, &d, t]() {
            std::unique_ptr<VerifiedToken> out;
            Status s = verify_token(*policy, keys, t, kNow, out, d);
            if (s != Status::Ok) {
                std::fprintf(stderr, "unexpected: %s (%s)\n", status_reason(s), d.c_str());
                std::exit(1);
            }
            return static_cast<int>(s);
        };
    };

    std::printf("\nfull pipeline (verify_token, success):\n");
    double rs_full = time_us("RS256", 20000, full(rs));
    time_us("ES256", 20000, full(es));
    time_us("EdDSA", 20000, full(eddsa));
    time_us("HS256", 200000, full(hs256));

    std::printf("\nsignature primitive only (verify_signature):\n");
    Jws jws;
    jws.parse(rs, kAllAlgBits, d);
    KeySet::Candidates c;
    std::string_view kid = "r1";
    keys.find(alg_info(Alg::RS256), &kid, c);
    const Key &rkey = *c.keys[0];
    std::string input(jws.signing_input()), sig(jws.signature());
    double rs_sig = time_us("RS256", 20000, [&] {
        return static_cast<int>(verify_signature(alg_info(Alg::RS256), rkey, input, sig));
    });

    std::printf("\nour overhead (everything except the signature primitive), RS256 token:\n");
    double o_parse = time_us("split + base64url + header JSON + rules", 200000, [&] {
        Jws j;
        return static_cast<int>(j.parse(rs, kAllAlgBits, d));
    });
    double o_find = time_us("key lookup (5 keys, by kid)", 2000000, [&] {
        KeySet::Candidates cc;
        return static_cast<int>(keys.find(alg_info(Alg::RS256), &kid, cc));
    });
    std::string payload(jws.payload());
    double o_claims = time_us("payload JSON + claims + typ", 200000, [&] {
        JsonDoc cl;
        cl.parse(payload, JsonLimits{payload.size(), kMaxClaimsDepth});
        ClaimTimes times;
        return static_cast<int>(check_claims(policy->claim_rules(), jws.header(), cl.root(), kNow, d, times));
    });
    time_us("  of which JsonDoc::parse(payload)", 200000, [&] {
        JsonDoc v;
        return static_cast<int>(v.parse(payload, JsonLimits{payload.size(), kMaxClaimsDepth}));
    });
    time_us("  (jansson, as before: json_loadb(payload) + json_decref)", 200000, [&] {
        json_error_t je;
        json_t *v = json_loadb(payload.data(), payload.size(), JSON_REJECT_DUPLICATES, &je);
        json_decref(v);
        return 0;
    });
    double overhead = o_parse + o_find + o_claims;
    std::printf("  %-44s %9.3f us/op  (%.1f%% of the RS256 signature, %.1f%% of full RS256)\n", "total overhead",
        overhead, 100.0 * overhead / rs_sig, 100.0 * overhead / rs_full);
    std::printf("  %-44s %9.3f us/op\n", "full RS256 - signature primitive", rs_full - rs_sig);

    std::printf("\nrejections (no signature work):\n");
    std::string padded = rs + "=";
    time_us("non-canonical base64url", 200000, [&] {
        std::unique_ptr<VerifiedToken> out;
        return static_cast<int>(verify_token(*policy, keys, padded, kNow, out, d));
    });
    std::string none = test::make_token("{\"alg\":\"none\"}", claims, Alg::HS256, hs);
    time_us("alg none", 200000, [&] {
        std::unique_ptr<VerifiedToken> out;
        return static_cast<int>(verify_token(*policy, keys, none, kNow, out, d));
    });
    std::string unknown = tok("RS256", "nope", Alg::RS256, rsa);
    time_us("unknown kid", 200000, [&] {
        std::unique_ptr<VerifiedToken> out;
        return static_cast<int>(verify_token(*policy, keys, unknown, kNow, out, d));
    });
    std::string huge(9000, 'a');
    time_us("over the size cap", 2000000, [&] {
        std::unique_ptr<VerifiedToken> out;
        return static_cast<int>(verify_token(*policy, keys, huge, kNow, out, d));
    });

    std::printf("\nC facade, as the glue calls it (verify + one variable + free), RS256:\n");
    ea_keyset_t *cks = ea_keyset_new();
    ea_keyset_add_jwks(cks, doc.data(), doc.size(), nullptr, nullptr, nullptr, 0);
    ea_policy_conf_t pc;
    ea_policy_conf_init(&pc);
    ea_policy_t *cp = ea_policy_create(&pc, nullptr, 0);
    static char arena[1 << 16];
    size_t used = 0;
    auto bump = [](void *ctx, size_t n) -> void * {
        size_t *u = static_cast<size_t *>(ctx);
        if (*u + n > sizeof(arena)) {
            *u = 0;
        }
        void *p = arena + *u;
        *u += n;
        return p;
    };
    ea_str_t path[] = {{"sub", 3}};
    time_us("ea_jwt_verify + ea_token_value(sub)", 20000, [&] {
        ea_token_t *t = nullptr;
        ea_status_t s = ea_jwt_verify(cp, cks, rs.data(), rs.size(), kNow, &t, buf, sizeof(buf));
        ea_str_t v;
        int r = ea_token_value(t, EA_PART_CLAIMS, path, 1, bump, &used, &v);
        ea_token_free(t);
        return static_cast<int>(s) + r;
    });

    // The same token again and again, as a client reusing its token does: the verified-token
    // cache answers (a hash of the token, a full compare, the time rules; no signature).
    ea_token_cache_t *cache = ea_token_cache_new(1024);
    time_us("ea_jwt_verify_cached (hit) + free", 2000000, [&] {
        ea_token_t *t = nullptr;
        ea_status_t s = ea_jwt_verify_cached(cache, cp, cks, rs.data(), rs.size(), kNow, &t, buf, sizeof(buf));
        ea_token_free(t);
        return static_cast<int>(s);
    });
    time_us("ea_jwt_verify_cached (hit) + value(sub)", 2000000, [&] {
        ea_token_t *t = nullptr;
        ea_status_t s = ea_jwt_verify_cached(cache, cp, cks, rs.data(), rs.size(), kNow, &t, buf, sizeof(buf));
        ea_str_t v;
        int r = ea_token_value(t, EA_PART_CLAIMS, path, 1, bump, &used, &v);
        ea_token_free(t);
        return static_cast<int>(s) + r;
    });
    ea_token_cache_free(cache);
    ea_policy_free(cp);
    ea_keyset_free(cks);

    for (EVP_PKEY *p : {rsa.pkey, rsa2.pkey, p256.pkey, ed.pkey}) {
        EVP_PKEY_free(p);
    }
    return 0;
}
