// The verified-token cache (token_cache.h), through the C facade as the glue calls it, and
// through TokenCache directly where a test needs to choose the hash.

#include <cstdlib>
#include <cstring>
#include <set>

#include "edge_auth.h"
#include "facade_internal.h"
#include "token_cache.h"
#include "unit.h"

using edge_auth::Alg;
using edge_auth::Status;
using edge_auth::TokenCache;
using edge_auth::TokenCacheKey;

namespace {

constexpr int64_t kNow = unit::kNow;

std::string hs_jwks()
{
    return unit::jwks({test::oct_jwk(test::keys().hs32, "\"kid\":\"h\"")});
}

// An HS256 token (cheap to verify, so the tests run many) with the given claims.
std::string tok(const std::string &claims)
{
    return unit::token(Alg::HS256, unit::hmac_signer(test::keys().hs32), claims, "h");
}

std::string claims_for(const std::string &sub, int64_t exp = kNow + 600)
{
    return "{\"sub\":\"" + sub + "\",\"exp\":" + std::to_string(exp) + ",\"iat\":" + std::to_string(kNow - 10) + "}";
}

ea_policy_conf_t hs_conf(int64_t leeway = 0)
{
    ea_policy_conf_t c;
    ea_policy_conf_init(&c);
    c.algorithms = EA_ALG_HS256;
    c.leeway = leeway;
    return c;
}

ea_keyset_t *new_keys(const std::string &doc)
{
    ea_keyset_t *k = ea_keyset_new();
    char err[128];
    ck_assert_int_eq(ea_keyset_add_jwks(k, doc.data(), doc.size(), nullptr, nullptr, err, sizeof(err)), 0);
    return k;
}

ea_policy_t *new_policy(const ea_policy_conf_t &conf)
{
    char err[128];
    ea_policy_t *p = ea_policy_create(&conf, err, sizeof(err));
    ck_assert_msg(p != nullptr, "%s", err);
    return p;
}

// Owns everything a test verifies with, so that a passing test leaves nothing behind for the
// leak check of the ASan build.
struct Fixture {
    ea_token_cache_t *cache;
    ea_keyset_t *keys;
    ea_policy_t *policy;

    explicit Fixture(size_t capacity, const ea_policy_conf_t &conf = hs_conf())
        : cache(ea_token_cache_new(capacity)), keys(new_keys(hs_jwks())), policy(new_policy(conf))
    {
        ck_assert_ptr_nonnull(cache);
    }
    ~Fixture()
    {
        ea_token_cache_free(cache);
        ea_policy_free(policy);
        ea_keyset_free(keys);
    }

    ea_status_t verify(const std::string &token, int64_t now = kNow, ea_token_t **out = nullptr,
        std::string *detail = nullptr, const ea_policy_t *p = nullptr, const ea_keyset_t *k = nullptr)
    {
        char buf[256] = "untouched";
        ea_token_t *t = reinterpret_cast<ea_token_t *>(this);   // must come back NULL on failure
        ea_status_t rc = ea_jwt_verify_cached(cache, p ? p : policy, k ? k : keys, token.data(), token.size(), now,
            &t, buf, sizeof(buf));
        ck_assert_msg((rc == EA_OK) == (t != nullptr), "status and token disagree");
        if (detail) {
            *detail = buf;
        }
        if (out) {
            *out = t;
        } else {
            ea_token_free(t);
        }
        return rc;
    }

    ea_token_cache_stats_t stats() const
    {
        ea_token_cache_stats_t s;
        ea_token_cache_stats(cache, &s);
        return s;
    }
};

void *pool_alloc(void *ctx, size_t size)
{
    auto *blocks = static_cast<std::vector<void *> *>(ctx);
    blocks->push_back(std::malloc(size ? size : 1));
    return blocks->back();
}

struct Pool {
    std::vector<void *> blocks;
    ~Pool()
    {
        for (void *b : blocks) {
            std::free(b);
        }
    }
};

std::string claim(const ea_token_t *t, const char *name)
{
    Pool pool;
    ea_str_t path[] = {{name, std::strlen(name)}};
    ea_str_t v;
    int rc = ea_token_value(t, EA_PART_CLAIMS, path, 1, pool_alloc, &pool.blocks, &v);
    ck_assert_int_eq(rc, 1);
    return std::string(v.data, v.len);
}

std::string payload(const ea_token_t *t)
{
    Pool pool;
    ea_str_t v;
    ck_assert_int_eq(ea_token_payload(t, pool_alloc, &pool.blocks, &v), 1);
    return std::string(v.data, v.len);
}

#define ck_assert_stats(f, h, m, e, n)                                                                     \
    do {                                                                                                   \
        ea_token_cache_stats_t st_ = (f).stats();                                                          \
        ck_assert_msg(st_.hits == (h) && st_.misses == (m) && st_.evictions == (e) && st_.size == (n),    \
            "stats hits %llu misses %llu evictions %llu size %zu, expected %d %d %d %d",                 \
            (unsigned long long)st_.hits, (unsigned long long)st_.misses, (unsigned long long)st_.evictions, \
            st_.size, (h), (m), (e), (n));                                                                 \
    } while (0)

} // namespace

START_TEST(hit_returns_the_same_token)
{
    Fixture f(16);
    std::string t = tok(claims_for("alice"));
    ea_token_t *first = nullptr, *second = nullptr;
    std::string detail;
    ck_assert_int_eq(f.verify(t, kNow, &first), EA_OK);
    ck_assert_stats(f, 0, 1, 0, 1);
    ck_assert_int_eq(f.verify(t, kNow + 5, &second, &detail), EA_OK);
    ck_assert_stats(f, 1, 1, 0, 1);
    ck_assert_string(detail, "");   // a hit clears the detail like a fresh success does
    // The very same verified contents, shared, not re-parsed.
    ck_assert_ptr_eq(first->token.get(), second->token.get());
    ck_assert_string(claim(second, "sub"), "alice");
    ck_assert_string(payload(second), payload(first));
    ck_assert_int_eq(ea_token_expires(second), kNow + 600);
    ea_token_free(first);
    ea_token_free(second);

    // The caller may not want the token at all; the entry is still used.
    char buf[64];
    ck_assert_int_eq(
        ea_jwt_verify_cached(f.cache, f.policy, f.keys, t.data(), t.size(), kNow, nullptr, buf, sizeof(buf)), EA_OK);
    ck_assert_stats(f, 2, 1, 0, 1);
}
END_TEST

START_TEST(policy_and_key_set_are_part_of_the_key)
{
    Fixture f(16);
    std::string t = tok(claims_for("alice"));
    ck_assert_int_eq(f.verify(t), EA_OK);
    ck_assert_int_eq(f.verify(t), EA_OK);
    ck_assert_stats(f, 1, 1, 0, 1);

    // An identical policy is still another policy.
    ea_policy_t *other_policy = new_policy(hs_conf());
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, other_policy), EA_OK);
    ck_assert_stats(f, 1, 2, 0, 2);
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, other_policy), EA_OK);
    ck_assert_stats(f, 2, 2, 0, 2);

    // A policy that would reject the token must never be answered from the other's entry.
    ea_policy_conf_t strict = hs_conf();
    ea_str_t iss[] = {{"https://idp.example", 19}};
    strict.issuers = iss;
    strict.n_issuers = 1;
    ea_policy_t *strict_policy = new_policy(strict);
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, strict_policy), EA_ERR_ISSUER);
    ck_assert_stats(f, 2, 3, 0, 2);

    // A key set with the same keys is still another key set (a JWKS refresh builds a new one).
    ea_keyset_t *refreshed = new_keys(hs_jwks());
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, nullptr, refreshed), EA_OK);
    ck_assert_stats(f, 2, 4, 0, 3);
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, nullptr, refreshed), EA_OK);
    ck_assert_stats(f, 3, 4, 0, 3);

    // Adding keys changes what the set accepts, so its old verdicts no longer apply.
    std::string more = unit::jwks({test::oct_jwk(test::keys().hs48, "\"kid\":\"h2\"")});
    char err[128];
    ck_assert_int_eq(ea_keyset_add_jwks(refreshed, more.data(), more.size(), nullptr, nullptr, err, sizeof(err)), 0);
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, nullptr, refreshed), EA_OK);
    ck_assert_stats(f, 3, 5, 0, 4);

    // The key leaves the JWKS: the set built from the new document lacks it, and the entries made
    // under the old sets never answer for the new one, even if it lands at a freed set's address.
    ea_keyset_free(refreshed);
    ea_keyset_t *rotated = new_keys(more);
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, nullptr, rotated), EA_ERR_UNKNOWN_KEY);
    ck_assert_int_eq(f.verify(t, kNow, nullptr, nullptr, nullptr, rotated), EA_ERR_UNKNOWN_KEY);
    ck_assert_stats(f, 3, 7, 0, 4);

    ea_keyset_free(rotated);
    ea_policy_free(strict_policy);
    ea_policy_free(other_policy);
}
END_TEST

START_TEST(handle_ids_are_unique)
{
    std::set<uint64_t> seen;
    for (int i = 0; i < 100; i++) {
        ea_keyset_t *k = ea_keyset_new();
        ea_policy_conf_t c = hs_conf();
        ea_policy_t *p = new_policy(c);
        ck_assert_msg(seen.insert(k->id).second, "key set id reused");
        ck_assert_msg(seen.insert(p->id).second, "policy id reused");
        ea_policy_free(p);
        ea_keyset_free(k);
    }
}
END_TEST

START_TEST(time_rules_are_checked_again_on_a_hit)
{
    Fixture f(16);
    std::string t = tok(claims_for("alice", kNow + 600));
    ck_assert_int_eq(f.verify(t, kNow), EA_OK);
    ck_assert_int_eq(f.verify(t, kNow + 599), EA_OK);
    ck_assert_stats(f, 1, 1, 0, 1);

    // At exp: the same status and detail as a fresh verification, and the entry is gone.
    std::string detail;
    ea_token_t *out = nullptr;
    ck_assert_int_eq(f.verify(t, kNow + 600, &out, &detail), EA_ERR_EXPIRED);
    ck_assert_ptr_null(out);
    ck_assert_stats(f, 2, 1, 0, 0);
    char fresh[256];
    ck_assert_int_eq(ea_jwt_verify(f.policy, f.keys, t.data(), t.size(), kNow + 600, nullptr, fresh, sizeof(fresh)),
        EA_ERR_EXPIRED);
    ck_assert_string(detail, fresh);
    ck_assert_msg(detail.find("exp " + std::to_string(kNow + 600)) != std::string::npos, "%s", detail.c_str());

    // Later calls verify in full again (and are refused, so nothing is stored).
    ck_assert_int_eq(f.verify(t, kNow + 601), EA_ERR_EXPIRED);
    ck_assert_stats(f, 2, 2, 0, 0);
}
END_TEST

START_TEST(leeway_applies_on_a_hit)
{
    Fixture f(16, hs_conf(30));
    std::string t = tok(claims_for("alice", kNow + 600));
    ck_assert_int_eq(f.verify(t, kNow), EA_OK);
    ck_assert_int_eq(f.verify(t, kNow + 629), EA_OK);
    ck_assert_stats(f, 1, 1, 0, 1);
    ck_assert_int_eq(f.verify(t, kNow + 630), EA_ERR_EXPIRED);
    ck_assert_stats(f, 2, 1, 0, 0);
}
END_TEST

START_TEST(not_yet_valid_on_a_hit)
{
    // A clock set back before nbf: refused like a fresh verification would.
    Fixture f(16);
    std::string t =
        tok("{\"sub\":\"a\",\"nbf\":" + std::to_string(kNow) + ",\"exp\":" + std::to_string(kNow + 600) + "}");
    ck_assert_int_eq(f.verify(t, kNow), EA_OK);
    std::string detail;
    ck_assert_int_eq(f.verify(t, kNow - 1, nullptr, &detail), EA_ERR_NOT_YET_VALID);
    ck_assert_msg(detail.find("nbf") != std::string::npos, "%s", detail.c_str());
    ck_assert_stats(f, 1, 1, 0, 0);
    ck_assert_int_eq(f.verify(t, kNow), EA_OK);
    ck_assert_stats(f, 1, 2, 0, 1);
}
END_TEST

START_TEST(token_without_exp)
{
    ea_policy_conf_t c = hs_conf();
    c.require_exp = 0;
    Fixture f(16, c);
    std::string t = tok("{\"sub\":\"a\"}");
    ck_assert_int_eq(f.verify(t, kNow), EA_OK);
    ck_assert_int_eq(f.verify(t, INT64_MAX), EA_OK);
    ck_assert_stats(f, 1, 1, 0, 1);
}
END_TEST

START_TEST(lru_eviction_order)
{
    Fixture f(3);
    std::string a = tok(claims_for("a")), b = tok(claims_for("b"));
    std::string c = tok(claims_for("c")), d = tok(claims_for("d"));
    ck_assert_int_eq(f.verify(a), EA_OK);
    ck_assert_int_eq(f.verify(b), EA_OK);
    ck_assert_int_eq(f.verify(c), EA_OK);
    ck_assert_stats(f, 0, 3, 0, 3);
    ck_assert_int_eq(f.verify(a), EA_OK);    // a is now the most recent; b the least
    ck_assert_stats(f, 1, 3, 0, 3);
    ck_assert_int_eq(f.verify(d), EA_OK);    // evicts b
    ck_assert_stats(f, 1, 4, 1, 3);
    ck_assert_int_eq(f.verify(a), EA_OK);
    ck_assert_int_eq(f.verify(c), EA_OK);
    ck_assert_int_eq(f.verify(d), EA_OK);
    ck_assert_stats(f, 4, 4, 1, 3);
    ck_assert_int_eq(f.verify(b), EA_OK);    // a miss; evicts a (c, d were used after it)
    ck_assert_stats(f, 4, 5, 2, 3);
    ck_assert_int_eq(f.verify(c), EA_OK);
    ck_assert_int_eq(f.verify(d), EA_OK);
    ck_assert_int_eq(f.verify(b), EA_OK);
    ck_assert_stats(f, 7, 5, 2, 3);
    ck_assert_int_eq(f.verify(a), EA_OK);
    ck_assert_stats(f, 7, 6, 3, 3);
}
END_TEST

START_TEST(capacity_zero_disables)
{
    Fixture f(0);
    std::string t = tok(claims_for("alice"));
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(f.verify(t), EA_OK);
    }
    ck_assert_stats(f, 0, 3, 0, 0);

    // No cache at all: plain verification.
    char detail[64];
    ea_token_t *out = nullptr;
    ck_assert_int_eq(ea_jwt_verify_cached(nullptr, f.policy, f.keys, t.data(), t.size(), kNow, &out, detail,
        sizeof(detail)), EA_OK);
    ck_assert_string(claim(out, "sub"), "alice");
    ea_token_free(out);
    ea_token_cache_stats_t st;
    std::memset(&st, 0xff, sizeof(st));
    ea_token_cache_stats(nullptr, &st);
    ck_assert_uint_eq(st.hits + st.misses + st.evictions + st.size, 0);
    ea_token_cache_stats(f.cache, nullptr);
    ea_token_cache_free(nullptr);
}
END_TEST

START_TEST(rejections_are_not_stored)
{
    Fixture f(16);
    std::string good = tok(claims_for("alice"));
    std::string forged = good.substr(0, good.rfind('.') + 1) + std::string(43, 'A');
    std::string expired = tok(claims_for("alice", kNow - 1));
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(f.verify(forged), EA_ERR_BAD_SIGNATURE);
        ck_assert_int_eq(f.verify(expired), EA_ERR_EXPIRED);
        ck_assert_int_eq(f.verify("garbage"), EA_ERR_MALFORMED);
    }
    ck_assert_stats(f, 0, 9, 0, 0);

    // Over the policy's size cap: refused before any hashing, never stored.
    std::string huge(9000, 'a');
    ck_assert_int_eq(f.verify(huge), EA_ERR_TOKEN_TOO_LARGE);
    ck_assert_stats(f, 0, 10, 0, 0);
}
END_TEST

START_TEST(argument_errors)
{
    Fixture f(4);
    ea_token_t *t = reinterpret_cast<ea_token_t *>(&f);
    char detail[64];
    ck_assert_int_eq(ea_jwt_verify_cached(f.cache, nullptr, f.keys, "a", 1, kNow, &t, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(detail, "invalid arguments");
    ck_assert_int_eq(ea_jwt_verify_cached(f.cache, f.policy, nullptr, "a", 1, kNow, &t, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_int_eq(ea_jwt_verify_cached(f.cache, f.policy, f.keys, nullptr, 3, kNow, &t, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_int_eq(ea_jwt_verify_cached(f.cache, f.policy, f.keys, nullptr, 0, kNow, &t, nullptr, 0),
        EA_ERR_MALFORMED);
    ck_assert_stats(f, 0, 1, 0, 0);
}
END_TEST

START_TEST(evicted_token_stays_valid)
{
    // Run under ASan (make SAN=1 unit): a use after free here is reported there.
    Fixture f(1);
    std::string a = tok(claims_for("alice")), b = tok(claims_for("bob"));
    ea_token_t *held = nullptr;
    ck_assert_int_eq(f.verify(a, kNow, &held), EA_OK);
    ck_assert_int_eq(f.verify(b), EA_OK);    // evicts a while the request still holds it
    ck_assert_stats(f, 0, 2, 1, 1);
    ck_assert_string(claim(held, "sub"), "alice");
    ck_assert_msg(payload(held).find("\"alice\"") != std::string::npos, "payload lost");
    ea_token_free(held);

    // Served from the entry, then the entry is dropped as expired: the holder is unaffected.
    ck_assert_int_eq(f.verify(b, kNow, &held), EA_OK);
    ck_assert_int_eq(f.verify(b, kNow + 600), EA_ERR_EXPIRED);
    ck_assert_stats(f, 2, 2, 1, 0);
    ck_assert_string(claim(held, "sub"), "bob");

    // ... and so is it when the whole cache goes away.
    ck_assert_int_eq(f.verify(a, kNow), EA_OK);
    ea_token_t *held2 = nullptr;
    ck_assert_int_eq(f.verify(a, kNow, &held2), EA_OK);
    ea_token_cache_free(f.cache);
    f.cache = nullptr;
    ck_assert_string(claim(held2, "sub"), "alice");
    ea_token_free(held2);
    ea_token_free(held);
}
END_TEST

// ---- TokenCache directly ------------------------------------------------------------------

uint64_t constant_hash(const TokenCacheKey &) noexcept
{
    return 42;
}

struct Direct {
    edge_auth::KeySet keys = unit::keyset(hs_jwks());
    std::unique_ptr<edge_auth::Policy> policy;
    Direct()
    {
        edge_auth::PolicyConfig c;
        c.algorithms = edge_auth::alg_bit(Alg::HS256);
        std::string err;
        policy = edge_auth::Policy::create(c, err);
        ck_assert_ptr_nonnull(policy.get());
    }
    Status run(TokenCache &cache, const std::string &token, std::shared_ptr<const edge_auth::VerifiedToken> &out,
        uint64_t policy_id = 1, uint64_t keys_id = 1)
    {
        char buf[160];
        edge_auth::Detail d(buf, sizeof(buf));
        return cache.verify(*policy, policy_id, keys, keys_id, token, kNow, out, d);
    }
};

std::string sub_of(const std::shared_ptr<const edge_auth::VerifiedToken> &t)
{
    edge_auth::JsonValue v = t->claims().member("sub");
    ck_assert(v.is_string());
    return std::string(v.string());
}

START_TEST(collisions_never_serve_another_entry)
{
    // Every key hashes alike: each lookup walks one bucket and must tell entries apart by bytes.
    Direct d;
    TokenCache cache(8, constant_hash);
    std::vector<std::string> tokens;
    for (int i = 0; i < 6; i++) {
        tokens.push_back(tok(claims_for("user" + std::to_string(i))));
    }
    std::shared_ptr<const edge_auth::VerifiedToken> out;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < tokens.size(); i++) {
            ck_assert_status(d.run(cache, tokens[i], out), Status::Ok);
            ck_assert_string(sub_of(out), "user" + std::to_string(i));
        }
    }
    TokenCache::Stats s = cache.stats();
    ck_assert_uint_eq(s.hits, 12);
    ck_assert_uint_eq(s.misses, 6);
    ck_assert_uint_eq(s.size, 6);

    // A colliding token that differs only in its last byte, or is a stored token's prefix, goes
    // through the full verification.
    std::string tampered = tokens[0];
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    ck_assert_msg(d.run(cache, tampered, out) != Status::Ok, "tampered token accepted");
    ck_assert_ptr_null(out.get());
    ck_assert_msg(d.run(cache, tokens[0].substr(0, tokens[0].size() - 1), out) != Status::Ok, "prefix accepted");
    ck_assert_ptr_null(out.get());
    // Same bytes, same hash, other ids: not the same entry.
    ck_assert_status(d.run(cache, tokens[1], out, 1, 2), Status::Ok);
    ck_assert_status(d.run(cache, tokens[1], out, 2, 1), Status::Ok);
    s = cache.stats();
    ck_assert_uint_eq(s.hits, 12);
    ck_assert_uint_eq(s.misses, 10);
    ck_assert_uint_eq(s.size, 8);
}
END_TEST

START_TEST(eviction_under_collisions)
{
    // Recycling the LRU node must unindex it before its token is overwritten, also when every
    // slot shares a bucket.
    Direct d;
    TokenCache cache(2, constant_hash);
    std::string a = tok(claims_for("a")), b = tok(claims_for("b")), c = tok(claims_for("c"));
    std::shared_ptr<const edge_auth::VerifiedToken> out;
    for (const std::string *t : {&a, &b, &c, &a, &b, &c}) {
        ck_assert_status(d.run(cache, *t, out), Status::Ok);
    }
    TokenCache::Stats s = cache.stats();
    ck_assert_uint_eq(s.hits, 0);
    ck_assert_uint_eq(s.misses, 6);
    ck_assert_uint_eq(s.evictions, 4);
    ck_assert_uint_eq(s.size, 2);
    ck_assert_status(d.run(cache, c, out), Status::Ok);
    ck_assert_string(sub_of(out), "c");
    ck_assert_status(d.run(cache, b, out), Status::Ok);
    ck_assert_string(sub_of(out), "b");
    ck_assert_uint_eq(cache.stats().hits, 2);
}
END_TEST

START_TEST(hash_spreads_every_byte)
{
    // Every length up to a few words (all tail paths), every single-byte change, and each id. Keys
    // over 64 bytes are hashed by their first and last 32 bytes (and length): bytes in between
    // only take part in the compare.
    std::set<uint64_t> seen;
    std::string s;
    for (size_t len = 0; len <= 80; len++) {
        ck_assert_msg(seen.insert(edge_auth::token_cache_hash({s, 1, 1})).second, "length %zu collides", len);
        for (size_t i = 0; i < len; i++) {
            if (len > 64 && i >= 32 && i < len - 32) {
                continue;
            }
            std::string t = s;
            t[i] ^= 1;
            ck_assert_msg(seen.insert(edge_auth::token_cache_hash({t, 1, 1})).second, "len %zu byte %zu", len, i);
        }
        s += static_cast<char>('a' + len % 26);
    }
    ck_assert_uint_ne(edge_auth::token_cache_hash({"x", 1, 2}), edge_auth::token_cache_hash({"x", 2, 1}));
    ck_assert_uint_ne(edge_auth::token_cache_hash({"x", 1, 2}), edge_auth::token_cache_hash({"x", 1, 3}));
    std::string zero("ab\0", 3);
    ck_assert_uint_ne(edge_auth::token_cache_hash({"ab", 1, 1}), edge_auth::token_cache_hash({zero, 1, 1}));
}
END_TEST

Suite *token_cache_suite()
{
    Suite *s = suite_create("token_cache");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hit_returns_the_same_token);
    tcase_add_test(tc, policy_and_key_set_are_part_of_the_key);
    tcase_add_test(tc, handle_ids_are_unique);
    tcase_add_test(tc, time_rules_are_checked_again_on_a_hit);
    tcase_add_test(tc, leeway_applies_on_a_hit);
    tcase_add_test(tc, not_yet_valid_on_a_hit);
    tcase_add_test(tc, token_without_exp);
    tcase_add_test(tc, lru_eviction_order);
    tcase_add_test(tc, capacity_zero_disables);
    tcase_add_test(tc, rejections_are_not_stored);
    tcase_add_test(tc, argument_errors);
    tcase_add_test(tc, evicted_token_stays_valid);
    tcase_add_test(tc, collisions_never_serve_another_entry);
    tcase_add_test(tc, eviction_under_collisions);
    tcase_add_test(tc, hash_spreads_every_byte);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(token_cache_suite);
