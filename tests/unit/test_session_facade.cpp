// The "Sealed sessions" C facade, used exactly as the nginx glue will use it: key file, sealer,
// login (a session from a verified ID token), per-request open / re-seal / strip, logout. Also
// measures what the per-request path costs.

#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base64url.h"
#include "edge_auth.h"
#include "unit.h"

namespace {

#define ck_assert_sess(actual, expected)                                                          \
    ck_assert_msg((actual) == (expected), "status %s, expected %s", ea_session_reason(actual), \
        ea_session_reason(expected))

constexpr int64_t kNow = unit::kNow;

// A malloc-backed stand-in for an nginx pool.
struct Pool {
    std::vector<void *> blocks;
    bool fail = false;
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
        if (p->fail) {
            return nullptr;
        }
        void *m = std::malloc(size ? size : 1);
        p->blocks.push_back(m);
        return m;
    }
};

ea_str_t s(const char *text)
{
    return ea_str_t{text, std::strlen(text)};
}

ea_str_t s(std::string &&) = delete;   // a view of a temporary would dangle

ea_str_t s(const std::string &text)
{
    return ea_str_t{text.data(), text.size()};
}

std::string str(const ea_str_t &v)
{
    return std::string(v.data, v.len);
}

std::string random_secret()
{
    std::string b(32, '\0');
    ck_assert_int_eq(RAND_bytes(reinterpret_cast<unsigned char *>(&b[0]), 32), 1);
    return edge_auth::base64url_encode(b);
}

struct Setup {
    ea_session_keys_t *keys = nullptr;
    ea_sealer_t *sealer = nullptr;

    explicit Setup(const std::string &key_file, const char *cookie = "__Host-edge", int64_t idle = 1800)
    {
        char err[256];
        keys = ea_session_keys_load(key_file.data(), key_file.size(), err, sizeof(err));
        ck_assert_msg(keys != nullptr, "%s", err);
        ea_session_conf_t c;
        ea_session_conf_init(&c);
        c.provider = s("corp");
        c.cookie_name = s(cookie);
        c.idle_timeout = idle;
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

ea_session_t *from_json(const Setup &st, const std::string &json, int64_t now = kNow)
{
    char err[256];
    ea_session_t *session = ea_session_from_json(st.sealer, json.data(), json.size(), now, err, sizeof(err));
    ck_assert_msg(session != nullptr, "%s", err);
    return session;
}

// The Cookie header a browser would send back after these Set-Cookies.
std::string cookie_header(const ea_cookie_set_t &set)
{
    std::string h;
    for (size_t i = 0; i < set.n; i++) {
        if (!set.cookies[i].remove) {
            h += (h.empty() ? "" : "; ") + str(set.cookies[i].name) + "=" + str(set.cookies[i].value);
        }
    }
    return h;
}

ea_session_status_t open_header(const Setup &st, const std::string &header, int64_t now, ea_session_t **out,
    unsigned *present = nullptr)
{
    ea_str_t h = s(header);
    ea_session_cookies_t jar;
    char detail[128];
    ea_session_status_t rc = ea_session_cookies_find(st.sealer, &h, 1, &jar, detail, sizeof(detail));
    if (present) {
        *present = jar.present;
    }
    *out = reinterpret_cast<ea_session_t *>(0x1);
    if (rc == EA_SESSION_OK) {
        rc = ea_session_open(st.sealer, st.keys, &jar, now, out, detail, sizeof(detail));
    } else {
        *out = nullptr;
    }
    ck_assert((rc == EA_SESSION_OK) == (*out != nullptr));
    ck_assert(std::strlen(detail) < sizeof(detail));
    return rc;
}

std::string claim(const ea_session_t *session, std::vector<std::string> path)
{
    Pool pool;
    std::vector<ea_str_t> p;
    for (const std::string &e : path) {
        p.push_back(s(e));
    }
    ea_str_t out;
    int rc = ea_session_claim(session, p.data(), p.size(), Pool::alloc, &pool, &out);
    if (rc == 0) {
        return "<absent>";
    }
    ck_assert_int_eq(rc, 1);
    return str(out);
}

} // namespace

START_TEST(reasons)
{
    const char *expected[] = {"ok", "no_session", "duplicate", "too_large", "chunk", "malformed", "unknown_version",
        "unknown_key", "bad_seal", "bad_payload", "expired", "idle_expired", "internal", "revoked"};
    ck_assert_int_eq(EA_SESSION_STATUS_COUNT, 14);
    for (int i = 0; i < EA_SESSION_STATUS_COUNT; i++) {
        ck_assert_str_eq(ea_session_reason(static_cast<ea_session_status_t>(i)), expected[i]);
    }
    ck_assert_str_eq(ea_session_reason(static_cast<ea_session_status_t>(99)), "internal");
    ck_assert_str_eq(ea_session_reason(static_cast<ea_session_status_t>(-1)), "internal");
}
END_TEST

START_TEST(keys_api)
{
    std::string a = random_secret(), b = random_secret();
    std::string file = "# keys\n" + a + "\n" + b + "  # old\n";
    char err[256];
    ea_session_keys_t *k = ea_session_keys_load(file.data(), file.size(), err, sizeof(err));
    ck_assert_ptr_nonnull(k);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(ea_session_keys_count(k), 2);
    char hex[9];
    ck_assert_int_eq(ea_session_keys_id(k, 1, hex), 0);
    ck_assert_int_eq(std::strlen(hex), 8);
    ck_assert_int_eq(ea_session_keys_id(k, 2, hex), -1);
    ea_session_keys_free(k);

    std::string short_key = "AAAA";
    ck_assert_ptr_null(ea_session_keys_load(short_key.data(), short_key.size(), err, sizeof(err)));
    ck_assert_str_eq(err, "line 1: the secret is 3 bytes; at least 32 random bytes are required");
    ck_assert_ptr_null(ea_session_keys_load("", 0, err, sizeof(err)));
    ck_assert_ptr_null(ea_session_keys_load(nullptr, 5, err, sizeof(err)));
    ck_assert_str_eq(err, "invalid arguments");
    char tiny[8];
    ck_assert_ptr_null(ea_session_keys_load(short_key.data(), short_key.size(), tiny, sizeof(tiny)));
    ck_assert_int_eq(std::strlen(tiny), 7);
    ck_assert_ptr_null(ea_session_keys_load(short_key.data(), short_key.size(), nullptr, 0));
    ck_assert_uint_eq(ea_session_keys_count(nullptr), 0);
    ea_session_keys_free(nullptr);
}
END_TEST

START_TEST(sealer_api)
{
    ea_session_conf_t c;
    ea_session_conf_init(&c);
    ck_assert_int_eq(c.absolute_timeout, 28800);
    ck_assert_int_eq(c.idle_timeout, 0);
    ck_assert_ptr_null(c.provider.data);
    char err[256];
    ck_assert_ptr_null(ea_sealer_create(&c, err, sizeof(err)));   // no provider
    c.provider = s("corp");
    c.cookie_name = s("bad name");
    ck_assert_ptr_null(ea_sealer_create(&c, err, sizeof(err)));
    ck_assert_msg(std::strstr(err, "cookie name") != nullptr, "%s", err);
    c.cookie_name = ea_str_t{nullptr, 4};
    ck_assert_ptr_null(ea_sealer_create(&c, err, sizeof(err)));
    ck_assert_str_eq(err, "invalid arguments");
    c.cookie_name = s("__Host-edge");
    ea_sealer_t *sl = ea_sealer_create(&c, err, sizeof(err));
    ck_assert_ptr_nonnull(sl);
    ea_sealer_free(sl);
    ck_assert_ptr_null(ea_sealer_create(nullptr, err, sizeof(err)));
    ea_sealer_free(nullptr);
    ea_session_conf_init(nullptr);
}
END_TEST

START_TEST(login_request_logout)
{
    Setup st(random_secret());
    // Login: the verified ID token supplies the selected claims.
    const std::string &secret = test::keys().hs32;
    ea_keyset_t *ks = ea_keyset_new();
    std::string jwks = unit::jwks({test::oct_jwk(secret, "\"kid\":\"h\"")});
    char err[256];
    ck_assert_int_eq(ea_keyset_add_jwks(ks, jwks.data(), jwks.size(), nullptr, nullptr, err, sizeof(err)), 0);
    ea_policy_conf_t pc;
    ea_policy_conf_init(&pc);
    pc.algorithms = EA_ALGS_HMAC;
    ea_policy_t *policy = ea_policy_create(&pc, err, sizeof(err));
    ck_assert_ptr_nonnull(policy);
    std::string claims = "{\"sub\":\"alice\",\"iss\":\"https://idp.example\",\"exp\":" + std::to_string(kNow + 600)
        + ",\"email\":\"alice@example.com\",\"groups\":[\"admin\",\"ops\"],\"realm_access\":{\"roles\":[\"r1\"]},"
          "\"evil\":\"a\\r\\nSet-Cookie: x\\u007f\",\"secret\":\"not selected\"}";
    std::string id_token = unit::token(edge_auth::Alg::HS256, unit::hmac_signer(secret), claims, "h");
    ea_token_t *tok = nullptr;
    ck_assert_int_eq(ea_jwt_verify(policy, ks, id_token.data(), id_token.size(), kNow, &tok, nullptr, 0), EA_OK);

    ea_str_t names[] = {s("email"), s("groups"), s("realm_access"), s("evil"), s("missing")};
    ea_session_init_t init;
    std::memset(&init, 0, sizeof(init));
    init.sub = s("alice");
    init.iss = s("https://idp.example");
    init.access_token = s("at-123");
    init.access_token_expires = kNow + 300;
    init.refresh_token = s("rt-456");
    init.id_token = s(id_token);
    init.claims_from = tok;
    init.claim_names = names;
    init.n_claim_names = 5;
    ea_session_t *fresh = ea_session_create(st.sealer, &init, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ea_token_free(tok);
    ea_policy_free(policy);
    ea_keyset_free(ks);

    // The callback request still carried a stale 3-chunk session: its extra chunks are expired.
    Pool pool;
    ea_cookie_set_t set;
    char detail[128];
    ck_assert_sess(ea_session_seal(st.sealer, st.keys, fresh, 0x7, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_OK);
    ck_assert_uint_eq(set.n, 3);
    ck_assert_string(str(set.cookies[0].name), "__Host-edge");
    ck_assert_int_eq(set.cookies[0].remove, 0);
    ck_assert_string(str(set.cookies[1].name), "__Host-edge.1");
    ck_assert_int_eq(set.cookies[1].remove, 1);
    ck_assert_uint_eq(set.cookies[1].value.len, 0);
    ck_assert_string(str(set.cookies[2].name), "__Host-edge.2");
    ck_assert_int_eq(set.cookies[2].remove, 1);
    ea_session_free(fresh);

    // Next request.
    ea_session_t *session = nullptr;
    unsigned present = 0;
    std::string header = "theme=dark; " + cookie_header(set) + "; lang=en";
    ck_assert_sess(open_header(st, header, kNow + 120, &session, &present), EA_SESSION_OK);
    ck_assert_uint_eq(present, 1);
    ea_str_t v;
    ck_assert_int_eq(ea_session_get(session, EA_SESSION_SUB, &v), 1);
    ck_assert_string(str(v), "alice");
    ck_assert_int_eq(ea_session_get(session, EA_SESSION_ISS, &v), 1);
    ck_assert_string(str(v), "https://idp.example");
    ck_assert_int_eq(ea_session_get(session, EA_SESSION_ID, &v), 1);
    ck_assert_uint_eq(v.len, 22);
    ck_assert_int_eq(ea_session_get(session, EA_SESSION_ACCESS_TOKEN, &v), 1);
    ck_assert_string(str(v), "at-123");
    ck_assert_int_eq(ea_session_get(session, EA_SESSION_REFRESH_TOKEN, &v), 1);
    ck_assert_int_eq(ea_session_get(session, EA_SESSION_ID_TOKEN, &v), 1);
    ck_assert_string(str(v), id_token);
    ck_assert_int_eq(ea_session_get(session, static_cast<ea_session_field_t>(42), &v), 0);
    ea_session_times_t t;
    ea_session_times(session, &t);
    ck_assert_int_eq(t.issued_at, kNow);
    ck_assert_int_eq(t.last_seen, kNow);
    ck_assert_int_eq(t.expires, kNow + 28800);
    ck_assert_int_eq(t.access_token_expires, kNow + 300);
    ck_assert_string(claim(session, {"email"}), "alice@example.com");
    ck_assert_string(claim(session, {"groups"}), "admin,ops");
    ck_assert_string(claim(session, {"realm_access", "roles"}), "r1");
    ck_assert_string(claim(session, {"evil"}), "a%0D%0ASet-Cookie: x%7F");
    ck_assert_string(claim(session, {"secret"}), "<absent>");
    ck_assert_string(claim(session, {"missing"}), "<absent>");
    ck_assert_string(claim(session, {"sub"}), "<absent>");
    Pool jp;
    ea_str_t json;
    ck_assert_int_eq(ea_session_json(session, Pool::alloc, &jp, &json), 1);
    ck_assert(str(json).find("\"claims\":{\"email\"") != std::string::npos);
    ck_assert(str(json).find('\x7f') == std::string::npos);

    // Re-seal once a minute: new value, last-seen moved, id kept.
    ck_assert_int_eq(ea_session_reseal_due(st.sealer, session, kNow + 59), 0);
    ck_assert_int_eq(ea_session_reseal_due(st.sealer, session, kNow + 60), 1);
    ea_cookie_set_t again;
    ck_assert_sess(ea_session_reseal(st.sealer, st.keys, session, kNow + 120, present, Pool::alloc, &pool, &again,
                       detail, sizeof(detail)),
        EA_SESSION_OK);
    ck_assert_uint_eq(again.n, 1);
    ck_assert(str(again.cookies[0].value) != str(set.cookies[0].value));
    ck_assert_int_eq(ea_session_reseal_due(st.sealer, session, kNow + 121), 0);
    ea_session_t *later = nullptr;
    ck_assert_sess(open_header(st, cookie_header(again), kNow + 120 + 1800, &later), EA_SESSION_OK);
    ea_session_times(later, &t);
    ck_assert_int_eq(t.last_seen, kNow + 120);
    ea_str_t id1, id2;
    ea_session_get(session, EA_SESSION_ID, &id1);
    ea_session_get(later, EA_SESSION_ID, &id2);
    ck_assert_string(str(id1), str(id2));
    ea_session_free(later);
    // The first cookie idles out where the re-sealed one does not.
    ck_assert_sess(open_header(st, header, kNow + 1801, &later), EA_SESSION_ERR_IDLE);

    // Upstream sees everything but the module's cookies.
    ea_str_t hv = s(header), upstream = s("untouched");
    ea_str_t ours = s("__Host-edge"), flow = s("__Host-edge-flow-");
    ck_assert_int_eq(ea_cookie_strip(&hv, 1, &ours, 1, &flow, 1, Pool::alloc, &pool, &upstream), 1);
    ck_assert_string(str(upstream), "theme=dark; lang=en");
    ea_str_t none = s("a=1; b=2");
    upstream = s("untouched");
    ck_assert_int_eq(ea_cookie_strip(&none, 1, &ours, 1, nullptr, 0, Pool::alloc, &pool, &upstream), 0);
    ck_assert_string(str(upstream), "untouched");
    std::string only_ours = cookie_header(again);
    ea_str_t only = s(only_ours);
    ck_assert_int_eq(ea_cookie_strip(&only, 1, &ours, 1, nullptr, 0, Pool::alloc, &pool, &upstream), 1);
    ck_assert_uint_eq(upstream.len, 0);

    // Logout: expire every cookie the browser sent.
    ea_cookie_set_t gone;
    ck_assert_int_eq(ea_session_clear(st.sealer, 0x5, Pool::alloc, &pool, &gone), 0);
    ck_assert_uint_eq(gone.n, 2);
    ck_assert_string(str(gone.cookies[0].name), "__Host-edge");
    ck_assert_string(str(gone.cookies[1].name), "__Host-edge.2");
    ck_assert_int_eq(gone.cookies[0].remove & gone.cookies[1].remove, 1);
    ea_session_free(session);
}
END_TEST

START_TEST(failures_fail_closed)
{
    Setup st(random_secret());
    ea_session_t *session = from_json(st, "{\"sub\":\"bob\",\"iss\":\"i\"}");
    Pool pool;
    ea_cookie_set_t set;
    char detail[128];
    ck_assert_sess(ea_session_seal(st.sealer, st.keys, session, 0, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_OK);
    std::string header = cookie_header(set);

    ea_session_t *out = nullptr;
    ck_assert_sess(open_header(st, header + "; " + header, kNow, &out), EA_SESSION_ERR_DUPLICATE);
    ck_assert_sess(open_header(st, "x=1", kNow, &out), EA_SESSION_ERR_NONE);
    ck_assert_sess(open_header(st, header + "; __Host-edge.99999999=1", kNow, &out), EA_SESSION_ERR_CHUNK);
    ck_assert_sess(open_header(st, header, kNow + 28800, &out), EA_SESSION_ERR_EXPIRED);
    Setup other(random_secret());
    ck_assert_sess(open_header(other, header, kNow, &out), EA_SESSION_ERR_UNKNOWN_KEY);

    // Allocation failure while sealing: internal, nothing handed out.
    pool.fail = true;
    ck_assert_sess(ea_session_seal(st.sealer, st.keys, session, 0xff, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_ERR_INTERNAL);
    ck_assert_uint_eq(set.n, 0);
    std::string mixed = "a=1; " + header;
    ea_str_t hv = s(mixed), name = s("__Host-edge"), o;
    ck_assert_int_eq(ea_cookie_strip(&hv, 1, &name, 1, nullptr, 0, Pool::alloc, &pool, &o), -1);
    ea_str_t alone = s(header);   // nothing left: no memory needed
    ck_assert_int_eq(ea_cookie_strip(&alone, 1, &name, 1, nullptr, 0, Pool::alloc, &pool, &o), 1);
    ck_assert_uint_eq(o.len, 0);
    ck_assert_int_eq(ea_session_clear(st.sealer, 1, Pool::alloc, &pool, &set), -1);
    ck_assert_int_eq(ea_session_claim(session, &name, 1, Pool::alloc, &pool, &o), 0);   // no claims: no alloc
    ck_assert_int_eq(ea_session_json(session, Pool::alloc, &pool, &o), -1);
    pool.fail = false;

    // NULL arguments.
    ea_session_cookies_t jar;
    ck_assert_sess(ea_session_cookies_find(nullptr, &hv, 1, &jar, detail, sizeof(detail)), EA_SESSION_ERR_INTERNAL);
    ea_str_t bad = {nullptr, 3};
    ck_assert_sess(ea_session_cookies_find(st.sealer, &bad, 1, &jar, detail, sizeof(detail)), EA_SESSION_ERR_INTERNAL);
    ck_assert_sess(ea_session_open(st.sealer, st.keys, nullptr, kNow, &out, detail, sizeof(detail)),
        EA_SESSION_ERR_INTERNAL);
    ck_assert_ptr_null(out);
    std::memset(&jar, 0, sizeof(jar));
    jar.present = 1;
    jar.chunks[0] = bad;
    ck_assert_sess(ea_session_open(st.sealer, st.keys, &jar, kNow, &out, detail, sizeof(detail)),
        EA_SESSION_ERR_INTERNAL);
    ck_assert_sess(ea_session_seal(st.sealer, st.keys, nullptr, 0, Pool::alloc, &pool, &set, nullptr, 0),
        EA_SESSION_ERR_INTERNAL);
    ck_assert_int_eq(ea_session_reseal_due(nullptr, session, kNow), 0);
    ck_assert_int_eq(ea_session_get(nullptr, EA_SESSION_SUB, &o), 0);
    ea_session_times_t t;
    ea_session_times(nullptr, &t);
    ck_assert_int_eq(t.expires, 0);
    ck_assert_int_eq(ea_cookie_strip(&hv, 1, &name, 1, nullptr, 0, nullptr, nullptr, &o), -1);
    ea_session_free(nullptr);

    // Sessions that may not exist.
    char err[256];
    ea_session_init_t init;
    std::memset(&init, 0, sizeof(init));
    init.iss = s("i");
    ck_assert_ptr_null(ea_session_create(st.sealer, &init, kNow, err, sizeof(err)));
    ck_assert_msg(std::strstr(err, "sub") != nullptr, "%s", err);
    init.sub = s("a\r\nb");
    ck_assert_ptr_null(ea_session_create(st.sealer, &init, kNow, err, sizeof(err)));
    init.sub = s("alice");
    init.access_token = s("two words");
    ck_assert_ptr_null(ea_session_create(st.sealer, &init, kNow, err, sizeof(err)));
    ck_assert_msg(std::strstr(err, "visible ASCII") != nullptr, "%s", err);
    init.access_token = s("");
    ea_session_t *ok = ea_session_create(st.sealer, &init, kNow, err, sizeof(err));
    ck_assert_ptr_nonnull(ok);
    ck_assert_int_eq(ea_session_get(ok, EA_SESSION_ACCESS_TOKEN, &o), 0);
    ea_session_free(ok);
    ck_assert_ptr_null(ea_session_from_json(st.sealer, "{", 1, kNow, err, sizeof(err)));
    ck_assert_ptr_null(ea_session_from_json(st.sealer, "{\"sub\":\"a\",\"iss\":\"i\",\"x\":1}", 27, kNow, err,
        sizeof(err)));
    ck_assert_str_eq(err, "unknown member \"x\"");
    ea_session_free(session);
}
END_TEST

START_TEST(too_large_session)
{
    Setup st(random_secret());
    // Under the 24 KiB document cap, over what 8 cookies hold.
    std::string json = "{\"sub\":\"a\",\"iss\":\"i\",\"at\":\"" + std::string(16000, 'a') + "\",\"rt\":\""
        + std::string(8000, 'r') + "\"}";
    ea_session_t *session = from_json(st, json);
    Pool pool;
    ea_cookie_set_t set;
    char detail[128];
    ck_assert_sess(ea_session_seal(st.sealer, st.keys, session, 0, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_ERR_TOO_LARGE);
    ck_assert_uint_eq(set.n, 0);
    ea_session_free(session);
    // Large but within 8 cookies: chunked, and it comes back whole.
    json = "{\"sub\":\"a\",\"iss\":\"i\",\"at\":\"" + std::string(12000, 'a') + "\"}";
    session = from_json(st, json);
    ck_assert_sess(ea_session_seal(st.sealer, st.keys, session, 0, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_OK);
    ck_assert_uint_eq(set.n, 5);
    ea_session_t *back = nullptr;
    ck_assert_sess(open_header(st, cookie_header(set), kNow, &back), EA_SESSION_OK);
    ea_str_t at;
    ck_assert_int_eq(ea_session_get(back, EA_SESSION_ACCESS_TOKEN, &at), 1);
    ck_assert_uint_eq(at.len, 12000);
    ea_session_free(back);
    ea_session_free(session);
}
END_TEST

START_TEST(per_request_cost)
{
    Setup st(random_secret() + "\n" + random_secret() + "\n" + random_secret());
    // About 1 KB of session document: a JWT access token, a refresh token, a few claims.
    std::string json = "{\"sub\":\"248289761001\",\"iss\":\"https://login.example.com/realms/corp\",\"at\":\""
        + std::string(620, 'A') + "\",\"at_exp\":" + std::to_string(kNow + 300) + ",\"rt\":\"" + std::string(120, 'R')
        + "\",\"claims\":{\"email\":\"jane.doe@example.com\",\"name\":\"Jane Doe\",\"groups\":[\"admin\",\"ops\","
          "\"dev\"]}}";
    ea_session_t *session = from_json(st, json);
    Pool jp;
    ea_str_t doc;
    ck_assert_int_eq(ea_session_json(session, Pool::alloc, &jp, &doc), 1);
    Pool pool;
    ea_cookie_set_t set;
    char detail[128];
    const int rounds = 20000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; i++) {
        Pool p;
        ck_assert(ea_session_seal(st.sealer, st.keys, session, 0, Pool::alloc, &p, &set, detail, sizeof(detail))
            == EA_SESSION_OK);
    }
    auto t1 = std::chrono::steady_clock::now();
    ck_assert_sess(ea_session_seal(st.sealer, st.keys, session, 0, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_OK);
    std::string header = "theme=dark; lang=en; " + cookie_header(set) + "; _ga=GA1.2.3.4";
    ea_str_t hv = s(header);
    auto t2 = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; i++) {
        ea_session_cookies_t jar;
        ea_session_t *out = nullptr;
        ea_session_status_t rc = ea_session_cookies_find(st.sealer, &hv, 1, &jar, detail, sizeof(detail));
        if (rc == EA_SESSION_OK) {
            rc = ea_session_open(st.sealer, st.keys, &jar, kNow + 10, &out, detail, sizeof(detail));
        }
        ck_assert(rc == EA_SESSION_OK);
        ea_session_free(out);
    }
    auto t3 = std::chrono::steady_clock::now();
    // A rejected cookie (one altered byte) costs no more than an accepted one.
    std::string forged = header;
    size_t at = forged.find("__Host-edge=") + 40;
    forged[at] = forged[at] == 'A' ? 'B' : 'A';
    ea_str_t fv = s(forged);
    auto t4 = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; i++) {
        ea_session_cookies_t jar;
        ea_session_t *out = nullptr;
        ck_assert(ea_session_cookies_find(st.sealer, &fv, 1, &jar, detail, sizeof(detail)) == EA_SESSION_OK);
        ck_assert(ea_session_open(st.sealer, st.keys, &jar, kNow + 10, &out, detail, sizeof(detail))
            == EA_SESSION_ERR_BAD_SEAL);
    }
    auto t5 = std::chrono::steady_clock::now();
    auto us = [&](std::chrono::steady_clock::duration d) {
        return std::chrono::duration<double, std::micro>(d).count() / rounds;
    };
    std::printf("session cost (%zu-byte document, %zu-byte cookie): seal %.2f us, find+open %.2f us, "
                "forged cookie rejected in %.2f us\n",
        doc.len, set.cookies[0].value.len, us(t1 - t0), us(t3 - t2), us(t5 - t4));
    std::fflush(stdout);
    // Generous bounds (sanitizer builds are slow); the printed numbers are what matters.
    ck_assert_double_lt(us(t3 - t2), 500.0);
    ck_assert_double_lt(us(t1 - t0), 500.0);
    ea_session_free(session);
}
END_TEST

Suite *session_facade_suite()
{
    Suite *s = suite_create("session_facade");
    TCase *tc = tcase_create("C API");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reasons);
    tcase_add_test(tc, keys_api);
    tcase_add_test(tc, sealer_api);
    tcase_add_test(tc, login_request_logout);
    tcase_add_test(tc, failures_fail_closed);
    tcase_add_test(tc, too_large_session);
    tcase_add_test(tc, per_request_cost);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(session_facade_suite);
