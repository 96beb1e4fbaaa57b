// Back-channel logout tokens (ea_logout_token_verify): OpenID Connect Back-Channel Logout 1.0
// section 2.6, including the rp-backchannel-rpinitlogout-lt-* conformance cases (alg none, wrong
// alg, wrong aud, wrong issuer, no event, wrong event, with nonce).

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "logout_token.h"
#include "oidc_support.h"

using edge_auth::Alg;
using oidc::kNow;
using oidc::Pool;
using oidc::s;
using oidc::str;

namespace {

#define ck_assert_ea(actual, expected)                                                                 \
    ck_assert_msg((actual) == (expected), "status %s, expected %s", ea_status_reason(actual), \
        ea_status_reason(expected))

const std::string kEvent = "http://schemas.openid.net/event/backchannel-logout";
const std::string kHeader = "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"logout+jwt\"}";

// Claims as ordered (name, JSON value) members, so one can be replaced or dropped.
using Members = std::vector<std::pair<std::string, std::string>>;

Members good_members()
{
    return {
        {"iss", "\"https://idp.example\""},
        {"aud", "\"client-1\""},
        {"iat", std::to_string(kNow - 5)},
        {"jti", "\"bWJq\""},
        {"sid", "\"08a5019c-17e1-4977-8f42-65a12843ea02\""},
        {"sub", "\"248289761001\""},
        {"events", "{\"" + kEvent + "\":{}}"},
    };
}

std::string json(const Members &m)
{
    std::string out = "{";
    for (size_t i = 0; i < m.size(); i++) {
        out += (i ? "," : "") + std::string("\"") + m[i].first + "\":" + m[i].second;
    }
    return out + "}";
}

Members without(Members m, const std::string &name)
{
    for (size_t i = 0; i < m.size(); i++) {
        if (m[i].first == name) {
            m.erase(m.begin() + static_cast<long>(i));
            return m;
        }
    }
    ck_abort_msg("no member %s", name.c_str());
    return m;
}

// Replaces the member, or adds it at the end.
Members with(Members m, const std::string &name, const std::string &value)
{
    for (auto &kv : m) {
        if (kv.first == name) {
            kv.second = value;
            return m;
        }
    }
    m.emplace_back(name, value);
    return m;
}

std::string sign(const std::string &claims, const std::string &header = kHeader, Alg alg = Alg::RS256,
    EVP_PKEY *key = nullptr)
{
    test::SignKey sk;
    sk.pkey = key ? key : test::keys().rsa2048;
    return test::make_token(header, claims, alg, sk);
}

struct Options {
    unsigned algorithms = 0;
    int64_t leeway = 0;
    int64_t max_age = 0;
    int64_t now = kNow;
    const char *issuer = oidc::kIssuer;
    const char *client_id = oidc::kClientId;
};

struct Verified {
    ea_status_t rc;
    std::string detail, sid, sub, jti;
    int64_t iat, exp;
};

Verified verify(const std::string &token, ea_keyset_t *keys, const Options &o = Options())
{
    ea_logout_token_check_t c;
    c.issuer = s(o.issuer);
    c.client_id = s(o.client_id);
    c.algorithms = o.algorithms;
    c.leeway = o.leeway;
    c.max_age = o.max_age;
    char detail[160];
    std::memset(detail, 'X', sizeof(detail));
    Pool pool;
    ea_logout_claims_t out;
    std::memset(&out, 0x5a, sizeof(out));
    Verified v;
    v.rc = ea_logout_token_verify(&c, keys, token.data(), token.size(), o.now, Pool::alloc, &pool, &out, detail,
        sizeof(detail));
    ck_assert_ptr_nonnull(std::memchr(detail, '\0', sizeof(detail)));
    v.detail = detail;
    for (char ch : v.detail) {
        ck_assert_msg(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f, "control byte in the detail");
    }
    ck_assert_ptr_nonnull(out.sid.data);
    ck_assert_ptr_nonnull(out.sub.data);
    ck_assert_ptr_nonnull(out.jti.data);
    v.sid = str(out.sid);
    v.sub = str(out.sub);
    v.jti = str(out.jti);
    v.iat = out.iat;
    v.exp = out.exp;
    if (v.rc == EA_OK) {
        ck_assert_string(v.detail, "");
        ck_assert_msg(!v.jti.empty() && (!v.sid.empty() || !v.sub.empty()), "accepted without jti, sid or sub");
    } else {
        ck_assert_msg(!v.detail.empty(), "rejected without a detail");
        ck_assert_msg(out.sid.len == 0 && out.sub.len == 0 && out.jti.len == 0 && out.iat == 0 && out.exp == 0,
            "claims left set on failure");
    }
    return v;
}

ea_status_t check(const Members &m, ea_keyset_t *keys, std::string *detail = nullptr,
    const Options &o = Options())
{
    Verified v = verify(sign(json(m)), keys, o);
    if (detail) {
        *detail = v.detail;
    }
    return v.rc;
}

// An Options with one field changed.
Options at(int64_t now, int64_t leeway = 0, int64_t max_age = 0)
{
    Options o;
    o.now = now;
    o.leeway = leeway;
    o.max_age = max_age;
    return o;
}

} // namespace

START_TEST(accepted)
{
    ea_keyset_t *keys = oidc::id_keys();
    // sid and sub.
    Verified v = verify(sign(json(good_members())), keys);
    ck_assert_ea(v.rc, EA_OK);
    ck_assert_string(v.sid, "08a5019c-17e1-4977-8f42-65a12843ea02");
    ck_assert_string(v.sub, "248289761001");
    ck_assert_string(v.jti, "bWJq");
    ck_assert_int_eq(v.iat, kNow - 5);
    ck_assert_int_eq(v.exp, 0);
    // sid only.
    v = verify(sign(json(without(good_members(), "sub"))), keys);
    ck_assert_ea(v.rc, EA_OK);
    ck_assert_string(v.sid, "08a5019c-17e1-4977-8f42-65a12843ea02");
    ck_assert_string(v.sub, "");
    // sub only.
    v = verify(sign(json(without(good_members(), "sid"))), keys);
    ck_assert_ea(v.rc, EA_OK);
    ck_assert_string(v.sid, "");
    ck_assert_string(v.sub, "248289761001");
    // exp in the future is handed back.
    v = verify(sign(json(with(good_members(), "exp", std::to_string(kNow + 120)))), keys);
    ck_assert_ea(v.rc, EA_OK);
    ck_assert_int_eq(v.exp, kNow + 120);
    // typ may be absent.
    ck_assert_ea(verify(sign(json(good_members()), "{\"alg\":\"RS256\",\"kid\":\"k1\"}"), keys).rc, EA_OK);
    // ES256; aud as an array holding the client id among others.
    ck_assert_ea(verify(sign(json(good_members()), "{\"alg\":\"ES256\",\"kid\":\"e1\",\"typ\":\"logout+jwt\"}",
                            Alg::ES256, test::keys().p256),
                     keys)
                     .rc,
        EA_OK);
    ck_assert_ea(check(with(good_members(), "aud", "[\"other\",\"client-1\"]"), keys), EA_OK);
    // Other members of the event object, other events and other claims are allowed.
    ck_assert_ea(check(with(good_members(), "events", "{\"" + kEvent + "\":{\"x\":1},\"urn:other\":{}}"), keys),
        EA_OK);
    ck_assert_ea(check(with(good_members(), "azp", "\"client-1\""), keys), EA_OK);
    // Only the given algorithms.
    Options o;
    o.algorithms = EA_ALG_RS256;
    ck_assert_ea(verify(sign(json(good_members())), keys, o).rc, EA_OK);
    // Values at their limit.
    ck_assert_ea(check(with(good_members(), "sid", "\"" + std::string(1024, 's') + "\""), keys), EA_OK);
    ck_assert_ea(check(with(good_members(), "jti", "\"\\u00e9\""), keys), EA_OK);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(iat_window)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string d;
    Members m = good_members();
    // Missing, or of the wrong type.
    ck_assert_ea(check(without(m, "iat"), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing iat");
    ck_assert_ea(check(with(m, "iat", "\"now\""), keys), EA_ERR_BAD_CLAIM);
    // Old: the default max age is 120 s, and the leeway does not widen it.
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow - 120)), keys), EA_OK);
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow - 121)), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_msg(d.find("issued too long ago") == 0, "%s", d.c_str());
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow - 121)), keys, nullptr, at(kNow, 60)), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with(m, "iat", "0"), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with(m, "iat", "-9223372036854775807"), keys), EA_ERR_BAD_CLAIM);
    // A max age of the caller's.
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow - 300)), keys, nullptr, at(kNow, 0, 300)), EA_OK);
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow - 301)), keys, nullptr, at(kNow, 0, 300)),
        EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow - 2)), keys, nullptr, at(kNow, 0, 1)), EA_ERR_BAD_CLAIM);
    // Future: not beyond the leeway.
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow)), keys), EA_OK);
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow + 1)), keys), EA_ERR_NOT_YET_VALID);
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow + 60)), keys, nullptr, at(kNow, 60)), EA_OK);
    ck_assert_ea(check(with(m, "iat", std::to_string(kNow + 61)), keys, nullptr, at(kNow, 60)),
        EA_ERR_NOT_YET_VALID);
    ck_assert_ea(check(with(m, "iat", "9223372036854775807"), keys), EA_ERR_NOT_YET_VALID);
    // exp, when present.
    ck_assert_ea(check(with(m, "exp", std::to_string(kNow)), keys), EA_ERR_EXPIRED);
    ck_assert_ea(check(with(m, "exp", std::to_string(kNow - 1000)), keys), EA_ERR_EXPIRED);
    ck_assert_ea(check(with(m, "exp", std::to_string(kNow + 1)), keys), EA_OK);
    ck_assert_ea(check(with(m, "exp", std::to_string(kNow)), keys, nullptr, at(kNow, 30)), EA_OK);
    ck_assert_ea(check(with(m, "exp", "\"soon\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with(m, "nbf", std::to_string(kNow + 100)), keys), EA_ERR_NOT_YET_VALID);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(rejected_claims)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string d;
    Members m = good_members();

    // Issuer (rp-backchannel-rpinitlogout-lt-wrong-issuer).
    ck_assert_ea(check(with(m, "iss", "\"https://evil.example\""), keys), EA_ERR_ISSUER);
    ck_assert_ea(check(with(m, "iss", "\"https://idp.example/\""), keys), EA_ERR_ISSUER);
    ck_assert_ea(check(without(m, "iss"), keys), EA_ERR_ISSUER);
    // Audience (-lt-wrong-aud).
    ck_assert_ea(check(with(m, "aud", "\"client-2\""), keys), EA_ERR_AUDIENCE);
    ck_assert_ea(check(with(m, "aud", "[\"client-2\",\"client-3\"]"), keys), EA_ERR_AUDIENCE);
    ck_assert_ea(check(with(m, "aud", "[]"), keys), EA_ERR_AUDIENCE);
    ck_assert_ea(check(without(m, "aud"), keys), EA_ERR_AUDIENCE);

    // jti.
    ck_assert_ea(check(without(m, "jti"), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing jti");
    ck_assert_ea(check(with(m, "jti", "\"\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with(m, "jti", "42"), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with(m, "jti", "null"), keys), EA_ERR_BAD_CLAIM);

    // events (-lt-no-event, -lt-wrong-event).
    ck_assert_ea(check(without(m, "events"), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing events");
    const std::string bad_events[] = {
        "{}",
        "{\"http://schemas.openid.net/event/backchannel-logout/\":{}}",
        "{\"http://schemas.openid.net/event/frontchannel-logout\":{}}",
        "{\"https://schemas.openid.net/event/backchannel-logout\":{}}",
        "{\"HTTP://SCHEMAS.OPENID.NET/EVENT/BACKCHANNEL-LOGOUT\":{}}",
        "{\"urn:ietf:params:event:SCIM:user:delete\":{}}",
        "[\"" + kEvent + "\"]",
        "\"" + kEvent + "\"",
        "null",
        "true",
    };
    for (const std::string &e : bad_events) {
        ck_assert_msg(check(with(m, "events", e), keys) == EA_ERR_BAD_CLAIM, "accepted events %s", e.c_str());
    }
    // The event's value must be an object.
    const char *bad_values[] = {"\"\"", "true", "null", "[]", "1", "\"{}\""};
    for (const char *v : bad_values) {
        ck_assert_msg(check(with(m, "events", "{\"" + kEvent + "\":" + v + "}"), keys, &d) == EA_ERR_BAD_CLAIM,
            "accepted event value %s", v);
        ck_assert_string(d, "the back-channel logout event is not an object");
    }

    // nonce (-lt-with-nonce): an ID token replayed as a logout token.
    ck_assert_ea(check(with(m, "nonce", "\"n-0S6_WzA2Mj\""), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "a logout token must not contain a nonce");
    ck_assert_ea(check(with(m, "nonce", "null"), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with(m, "nonce", "\"\""), keys), EA_ERR_BAD_CLAIM);
    std::string id_claims = oidc::id_claims(oidc::good_members());
    ck_assert_msg(verify(sign(id_claims), keys).rc != EA_OK, "accepted an ID token");
    ck_assert_msg(verify(oidc::id_token(id_claims), keys).rc != EA_OK, "accepted an ID token");

    // sid and sub.
    Members neither = without(without(m, "sid"), "sub");
    ck_assert_ea(check(neither, keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "neither sid nor sub");
    ck_assert_ea(check(with(without(m, "sub"), "sid", "\"\""), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "sid is not a non-empty string");
    ck_assert_ea(check(with(without(m, "sid"), "sub", "\"\""), keys), EA_ERR_BAD_CLAIM);
    // A present but unusable sid or sub is refused even when the other one is fine.
    const char *bad_values2[] = {"\"\"", "42", "null", "[\"a\"]", "{}", "true", "\"a\\nb\"", "\"a\\u0000b\"",
        "\"\\u007f\""};
    for (const char *v : bad_values2) {
        ck_assert_msg(check(with(m, "sid", v), keys) != EA_OK, "accepted sid %s", v);
        ck_assert_msg(check(with(m, "sub", v), keys) != EA_OK, "accepted sub %s", v);
        ck_assert_msg(check(with(m, "jti", v), keys) != EA_OK, "accepted jti %s", v);
    }
    ck_assert_ea(check(with(m, "sid", "\"" + std::string(1025, 's') + "\""), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "sid is 1025 bytes, the limit is 1024");
    ck_assert_ea(check(with(m, "sub", "\"a\\r\\nb\""), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "sub \"a\\x0d\\x0ab\" holds control characters");

    // Duplicate members, even once unescaped.
    ck_assert_ea(verify(sign(json(m).insert(1, "\"sid\":\"other\",")), keys).rc, EA_ERR_MALFORMED);
    ck_assert_ea(verify(sign(json(m).insert(1, "\"s\\u0069d\":\"other\",")), keys).rc, EA_ERR_MALFORMED);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(rejected_header)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string good = json(good_members());
    std::string d;

    // typ naming another kind of token (only logout+jwt and the generic JWT are taken).
    const char *bad_typ[] = {"\"at+jwt\"", "\"id+jwt\"", "\"logout+jwt \"", "\"\"", "\"application/\"",
        "\"JWS\""};
    for (const char *t : bad_typ) {
        std::string header = std::string("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":") + t + "}";
        Verified v = verify(sign(good, header), keys);
        ck_assert_msg(v.rc == EA_ERR_TOKEN_TYPE, "typ %s gave %s", t, ea_status_reason(v.rc));
    }
    // Media types compare case-insensitively, with an optional application/ prefix; the generic
    // JWT of providers without explicit typing is accepted.
    const char *good_typ[] = {"\"logout+jwt\"", "\"Logout+JWT\"", "\"application/logout+jwt\"", "\"JWT\"",
        "\"jwt\"", "\"application/jwt\""};
    for (const char *t : good_typ) {
        std::string header = std::string("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":") + t + "}";
        Verified v = verify(sign(good, header), keys);
        ck_assert_msg(v.rc == EA_OK, "typ %s gave %s", t, ea_status_reason(v.rc));
    }
    // A typ that is not a string is a bad header for every token.
    const char *odd_typ[] = {"1", "null", "[\"logout+jwt\"]"};
    for (const char *t : odd_typ) {
        std::string header = std::string("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":") + t + "}";
        Verified v = verify(sign(good, header), keys);
        ck_assert_msg(v.rc == EA_ERR_BAD_HEADER, "typ %s gave %s", t, ea_status_reason(v.rc));
    }
    // Bad signature: signed by another key under the same kid, or altered.
    ck_assert_ea(verify(sign(good, kHeader, Alg::RS256, test::keys().rsa2048b), keys).rc, EA_ERR_BAD_SIGNATURE);
    std::string tok = sign(good);
    tok[tok.size() - 5] = tok[tok.size() - 5] == 'A' ? 'B' : 'A';
    ck_assert_ea(verify(tok, keys).rc, EA_ERR_BAD_SIGNATURE);
    std::string other_claims = json(with(good_members(), "sub", "\"mallory\""));
    std::string spliced = tok.substr(0, tok.find('.')) + "." + edge_auth::base64url_encode(other_claims)
        + sign(good).substr(sign(good).rfind('.'));
    ck_assert_ea(verify(spliced, keys).rc, EA_ERR_BAD_SIGNATURE);

    // alg none (-lt-alg-none): with no signature, and with one left on.
    std::string none = edge_auth::base64url_encode("{\"alg\":\"none\",\"typ\":\"logout+jwt\"}") + "."
        + edge_auth::base64url_encode(good) + ".";
    ck_assert_msg(verify(none, keys).rc != EA_OK, "accepted alg none");
    ck_assert_ea(verify(none, keys).rc, EA_ERR_MALFORMED);
    ck_assert_ea(verify(none + "c2ln", keys).rc, EA_ERR_ALG_NOT_ALLOWED);
    Options all;
    all.algorithms = EA_ALGS_ASYMMETRIC;
    ck_assert_ea(verify(none + "c2ln", keys, all).rc, EA_ERR_ALG_NOT_ALLOWED);

    // HS256 (-lt-wrong-alg): its key is in the set, and it is refused for its alg.
    std::string hs = test::make_token("{\"alg\":\"HS256\",\"kid\":\"h1\",\"typ\":\"logout+jwt\"}", good, Alg::HS256,
        unit::hmac_signer(test::keys().hs32));
    ck_assert_ea(verify(hs, keys).rc, EA_ERR_ALG_NOT_ALLOWED);
    Options hmac;
    hmac.algorithms = EA_ALG_HS256;
    Verified v = verify(hs, keys, hmac);
    ck_assert_ea(v.rc, EA_ERR_ALG_NOT_ALLOWED);
    ck_assert_string(v.detail, "HMAC algorithms are not accepted for logout tokens");
    hmac.algorithms = EA_ALG_RS256 | EA_ALG_HS512;
    ck_assert_ea(verify(sign(good), keys, hmac).rc, EA_ERR_ALG_NOT_ALLOWED);
    // An asymmetric alg outside the caller's list.
    Options es_only;
    es_only.algorithms = EA_ALG_ES256;
    ck_assert_ea(verify(sign(good), keys, es_only).rc, EA_ERR_ALG_NOT_ALLOWED);

    // Unknown kid, not a JWS, empty, too large, no keys.
    ck_assert_ea(verify(sign(good, "{\"alg\":\"RS256\",\"kid\":\"k9\",\"typ\":\"logout+jwt\"}"), keys).rc,
        EA_ERR_UNKNOWN_KEY);
    ck_assert_ea(verify("not.a.jwt", keys).rc, EA_ERR_MALFORMED);
    ck_assert_ea(verify("", keys).rc, EA_ERR_MALFORMED);
    std::string big = json(with(good_members(), "pad", "\"" + std::string(6000, 'p') + "\""));
    ck_assert_ea(verify(sign(big), keys).rc, EA_ERR_TOKEN_TOO_LARGE);
    ea_keyset_t *empty = ea_keyset_new();
    ck_assert_ea(verify(sign(good), empty).rc, EA_ERR_NO_KEYS);
    ea_keyset_free(empty);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(arguments)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string tok = sign(json(good_members()));
    ea_logout_token_check_t c;
    std::memset(&c, 0, sizeof(c));
    c.issuer = s(oidc::kIssuer);
    c.client_id = s(oidc::kClientId);
    Pool pool;
    ea_logout_claims_t out;
    char detail[128];
    auto run = [&](const ea_logout_token_check_t *chk, const ea_keyset_t *ks, const char *t, size_t len,
                   ea_alloc_fn alloc, ea_logout_claims_t *o) {
        return ea_logout_token_verify(chk, ks, t, len, kNow, alloc, &pool, o, detail, sizeof(detail));
    };
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_OK);
    ck_assert_ea(run(nullptr, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    ck_assert_str_eq(detail, "invalid arguments");
    ck_assert_uint_eq(out.sid.len + out.sub.len + out.jti.len, 0);
    ck_assert_ea(run(&c, nullptr, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    ck_assert_ea(run(&c, keys, nullptr, 5, Pool::alloc, &out), EA_ERR_INTERNAL);
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), nullptr, &out), EA_ERR_INTERNAL);
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, nullptr), EA_ERR_INTERNAL);
    // An empty issuer or client id would match nothing useful: refused, never "any".
    c.issuer = s("");
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    c.issuer = s(oidc::kIssuer);
    c.client_id = ea_str_t{nullptr, 3};
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    c.client_id = s("");
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    c.client_id = s(oidc::kClientId);
    c.max_age = -1;
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    c.max_age = 0;
    c.leeway = 7200;
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    ck_assert_msg(std::strstr(detail, "leeway") != nullptr, "%s", detail);
    c.leeway = -1;
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    c.leeway = 0;
    c.algorithms = 1u << 20;
    ck_assert_ea(run(&c, keys, tok.data(), tok.size(), Pool::alloc, &out), EA_ERR_INTERNAL);
    c.algorithms = 0;
    // No detail buffer.
    ck_assert_ea(ea_logout_token_verify(&c, keys, tok.data(), tok.size(), kNow, Pool::alloc, &pool, &out, nullptr, 0),
        EA_OK);
    // The allocator failing at each of the three strings.
    for (long n = 0; n < 3; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_ea(ea_logout_token_verify(&c, keys, tok.data(), tok.size(), kNow, Pool::alloc, &failing, &out,
                         detail, sizeof(detail)),
            EA_ERR_INTERNAL);
        ck_assert_str_eq(detail, "internal error");
        ck_assert_uint_eq(out.sid.len + out.sub.len + out.jti.len, 0);
        ck_assert_int_eq(out.iat, 0);
    }
    ea_keyset_free(keys);
}
END_TEST

Suite *logout_token_suite()
{
    Suite *s = suite_create("logout_token");
    TCase *tc = tcase_create("back-channel logout");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, accepted);
    tcase_add_test(tc, iat_window);
    tcase_add_test(tc, rejected_claims);
    tcase_add_test(tc, rejected_header);
    tcase_add_test(tc, arguments);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(logout_token_suite);
