// Token refresh: when a refresh is due (ea_session_refresh_due), the refresh request
// (ea_oidc_refresh_request), its response (ea_oidc_refresh_response_parse), the refreshed ID
// token (ea_oidc_refresh_id_token_verify) and the session with the new tokens
// (ea_session_refreshed).

#include <cstdint>
#include <limits>

#include "oidc_support.h"

using edge_auth::Alg;
using oidc::good_members;
using oidc::id_token;
using oidc::kNow;
using oidc::Pool;
using oidc::s;
using oidc::str;

namespace {

#define ck_assert_ea(actual, expected)                                                                 \
    ck_assert_msg((actual) == (expected), "status %s, expected %s", ea_status_reason(actual), \
        ea_status_reason(expected))

// ---- sessions --------------------------------------------------------------------------------

constexpr const char *kSid = "q83vEjRWeJCrze8SNFZ4kA";

// A session logged in 100 s ago, with tokens and claims (the provider's sid among them).
std::string session_json(const std::string &tokens = ",\"at\":\"at-old\",\"at_exp\":" + std::to_string(kNow + 60)
        + ",\"rt\":\"rt-old\",\"idt\":\"idt-old\"",
    const std::string &claims = ",\"claims\":{\"email\":\"old@example.com\",\"sid\":\"op-sid-1\"}")
{
    return std::string("{\"sid\":\"") + kSid + "\",\"sub\":\"alice\",\"iss\":\"" + oidc::kIssuer
        + "\",\"iat\":" + std::to_string(kNow - 100) + ",\"seen\":" + std::to_string(kNow - 100) + tokens + claims
        + "}";
}

ea_session_t *session_from(const oidc::Setup &st, const std::string &json)
{
    char err[256];
    ea_session_t *session = ea_session_from_json(st.sealer, json.data(), json.size(), kNow, err, sizeof(err));
    ck_assert_msg(session != nullptr, "%s", err);
    return session;
}

std::string field(const ea_session_t *session, ea_session_field_t f)
{
    ea_str_t v;
    if (ea_session_get(session, f, &v) == 0) {
        return "<absent>";
    }
    return str(v);
}

ea_session_times_t times(const ea_session_t *session)
{
    ea_session_times_t t;
    ea_session_times(session, &t);
    return t;
}

std::string claim(const ea_session_t *session, const char *name)
{
    Pool pool;
    ea_str_t path[] = {s(name)};
    ea_str_t out;
    int rc = ea_session_claim(session, path, 1, Pool::alloc, &pool, &out);
    if (rc == 0) {
        return "<absent>";
    }
    ck_assert_int_eq(rc, 1);
    return str(out);
}

std::string session_json_of(const ea_session_t *session)
{
    Pool pool;
    ea_str_t out;
    ck_assert_int_eq(ea_session_json(session, Pool::alloc, &pool, &out), 1);
    return str(out);
}

ea_oidc_tokens_t tokens(const char *access_token, int64_t expires_in, const char *refresh_token = "",
    const char *id_token_text = "")
{
    ea_oidc_tokens_t t;
    std::memset(&t, 0, sizeof(t));
    t.access_token = s(access_token);
    t.expires_in = expires_in;
    t.refresh_token = s(refresh_token);
    t.id_token = s(id_token_text);
    t.token_type = s("Bearer");
    t.error = s("");
    return t;
}

// ---- requests --------------------------------------------------------------------------------

struct Request {
    int rc;
    std::string body, authorization;
};

Request request(const char *id, const char *secret, unsigned method, const std::string &refresh_token)
{
    ea_oidc_client_t c;
    c.client_id = s(id);
    c.client_secret = s(secret);
    c.auth_method = method;
    c.redirect_uri = ea_str_t{nullptr, 7};   // not used, so not even looked at
    ea_str_t rt = s(refresh_token);
    Pool pool;
    ea_str_t body, auth;
    std::memset(&body, 0xa5, sizeof(body));
    std::memset(&auth, 0xa5, sizeof(auth));
    Request r;
    r.rc = ea_oidc_refresh_request(&c, &rt, Pool::alloc, &pool, &body, &auth);
    ck_assert_ptr_nonnull(body.data);
    ck_assert_ptr_nonnull(auth.data);
    r.body = str(body);
    r.authorization = str(auth);
    if (r.rc != 0) {
        ck_assert_int_eq(r.rc, -1);
        ck_assert_msg(r.body.empty() && r.authorization.empty(), "output on failure");
    }
    return r;
}

// ---- responses -------------------------------------------------------------------------------

struct Tokens {
    int rc;
    std::string err, id_token, access_token, refresh_token, token_type, error;
    int64_t expires_in;
};

Tokens response(unsigned status, const std::string &json, bool refresh = true)
{
    Pool pool;
    ea_oidc_tokens_t t;
    std::memset(&t, 0xa5, sizeof(t));
    char err[256];
    Tokens r;
    r.rc = refresh ? ea_oidc_refresh_response_parse(status, json.data(), json.size(), Pool::alloc, &pool, &t, err,
                         sizeof(err))
                   : ea_oidc_token_response_parse(status, json.data(), json.size(), Pool::alloc, &pool, &t, err,
                         sizeof(err));
    r.err = err;
    r.id_token = str(t.id_token);
    r.access_token = str(t.access_token);
    r.refresh_token = str(t.refresh_token);
    r.token_type = str(t.token_type);
    r.error = str(t.error);
    r.expires_in = t.expires_in;
    if (r.rc == 0) {
        ck_assert_string(r.err, "");
        ck_assert_string(r.error, "");
    } else {
        ck_assert_int_eq(r.rc, -1);
        ck_assert_msg(!r.err.empty(), "failure without a message");
        ck_assert_msg(r.id_token.empty() && r.access_token.empty() && r.refresh_token.empty()
                && r.token_type.empty() && r.expires_in == 0,
            "tokens on failure");
        for (char c : r.err) {
            ck_assert_msg(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control byte in the message");
        }
    }
    return r;
}

// ---- ID tokens -------------------------------------------------------------------------------

struct Verified {
    ea_status_t rc;
    std::string detail;
    ea_token_t *token;
};

Verified verify(const std::string &token, ea_keyset_t *keys, const char *expected_sub = "alice",
    int64_t now = kNow, unsigned algorithms = 0)
{
    ea_oidc_id_token_check_t c;
    c.issuer = s(oidc::kIssuer);
    c.client_id = s(oidc::kClientId);
    c.nonce = ea_str_t{nullptr, 12};   // ignored: never read
    c.algorithms = algorithms;
    c.leeway = 0;
    ea_str_t sub = s(expected_sub);
    char detail[160];
    std::memset(detail, 'X', sizeof(detail));
    Verified v;
    v.token = reinterpret_cast<ea_token_t *>(0x1);
    v.rc = ea_oidc_refresh_id_token_verify(&c, &sub, keys, token.data(), token.size(), now, &v.token, detail,
        sizeof(detail));
    ck_assert_ptr_nonnull(std::memchr(detail, '\0', sizeof(detail)));
    v.detail = detail;
    for (char ch : v.detail) {
        ck_assert_msg(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f, "control byte in the detail");
    }
    ck_assert((v.rc == EA_OK) == (v.token != nullptr));
    return v;
}

ea_status_t check(const std::string &claims, ea_keyset_t *keys, std::string *detail = nullptr,
    const char *expected_sub = "alice", int64_t now = kNow)
{
    Verified v = verify(id_token(claims), keys, expected_sub, now);
    if (detail) {
        *detail = v.detail;
    }
    ea_token_free(v.token);
    return v.rc;
}

// The good claims of oidc_support.h without a nonce, plus `extra` members.
std::string refresh_claims(const std::string &extra = "")
{
    std::string m = good_members();
    m.erase(m.find(",\"nonce\":"));
    return "{" + m + (extra.empty() ? "" : ",") + extra + "}";
}

std::string with_member(const std::string &name, const std::string &json_value)
{
    std::string c = refresh_claims();
    size_t at = c.find("\"" + name + "\":");
    ck_assert_msg(at != std::string::npos, "no member %s", name.c_str());
    size_t end = c.find(",\"", at + 1);
    if (end == std::string::npos) {
        end = c.size() - 1;
    }
    return c.substr(0, at) + "\"" + name + "\":" + json_value + c.substr(end);
}

// A verified refreshed ID token with `extra` claims, for ea_session_refreshed.
ea_token_t *claims_token(ea_keyset_t *keys, const std::string &extra)
{
    Verified v = verify(id_token(refresh_claims(extra)), keys);
    ck_assert_msg(v.rc == EA_OK, "%s", v.detail.c_str());
    return v.token;
}

} // namespace

// ---- when a refresh is due ---------------------------------------------------------------------

START_TEST(refresh_due)
{
    oidc::Setup st;
    // The access token expires at kNow + 60.
    ea_session_t *session = session_from(st, session_json());
    ck_assert_int_eq(ea_session_refresh_due(session, kNow + 61, 0), 1);    // expired
    ck_assert_int_eq(ea_session_refresh_due(session, kNow + 60, 0), 1);    // at its expiry
    ck_assert_int_eq(ea_session_refresh_due(session, kNow + 59, 0), 0);
    ck_assert_int_eq(ea_session_refresh_due(session, kNow, 60), 1);        // within the margin
    ck_assert_int_eq(ea_session_refresh_due(session, kNow, 59), 0);        // not due yet
    ck_assert_int_eq(ea_session_refresh_due(session, kNow - 100, 30), 0);
    // A negative margin counts as none; a huge one does not overflow.
    ck_assert_int_eq(ea_session_refresh_due(session, kNow + 59, -3600), 0);
    ck_assert_int_eq(ea_session_refresh_due(session, kNow + 60, -3600), 1);
    ck_assert_int_eq(ea_session_refresh_due(session, kNow, std::numeric_limits<int64_t>::max()), 1);
    ea_session_free(session);

    // Without a refresh token there is nothing to refresh with.
    session = session_from(st, session_json(",\"at\":\"at-old\",\"at_exp\":" + std::to_string(kNow + 60)));
    ck_assert_int_eq(ea_session_refresh_due(session, kNow + 3600, 60), 0);
    ea_session_free(session);
    // Unknown expiry: never due.
    session = session_from(st, session_json(",\"at\":\"at-old\",\"rt\":\"rt-old\""));
    ck_assert_int_eq(ea_session_refresh_due(session, kNow + 86400, 60), 0);
    ea_session_free(session);
    // No access token, but a refresh token and an expiry: the header's rule says due.
    session = session_from(st, session_json(",\"at_exp\":" + std::to_string(kNow) + ",\"rt\":\"rt-old\""));
    ck_assert_int_eq(ea_session_refresh_due(session, kNow, 0), 1);
    ea_session_free(session);
    ck_assert_int_eq(ea_session_refresh_due(nullptr, kNow, 60), 0);
}
END_TEST

// ---- the request -------------------------------------------------------------------------------

START_TEST(request_clients)
{
    // RFC 6749 §6's example, with §2.3.1's example client.
    Request r = request("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", EA_OIDC_AUTH_BASIC, "tGzv3JOkF0XG5Qx2TlKWIA");
    ck_assert_int_eq(r.rc, 0);
    ck_assert_string(r.body, "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA");
    ck_assert_string(r.authorization, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
    // Both parts are form-encoded before base64, as for the code exchange.
    r = request("my client", "p:ss+w\xc3\xb6rd", EA_OIDC_AUTH_BASIC, "rt");
    ck_assert_string(r.authorization, "Basic bXkrY2xpZW50OnAlM0FzcyUyQnclQzMlQjZyZA==");
    ck_assert_string(r.body, "grant_type=refresh_token&refresh_token=rt");

    r = request("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", EA_OIDC_AUTH_POST, "tGzv3JOkF0XG5Qx2TlKWIA");
    ck_assert_int_eq(r.rc, 0);
    ck_assert_string(r.body,
        "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&client_id=s6BhdRkqt3"
        "&client_secret=7Fjfp0ZBr1KtDRbnfVdmIw");
    ck_assert_string(r.authorization, "");
    r = request("id&x=1", "s e/c+r%t", EA_OIDC_AUTH_POST, "rt");
    ck_assert_string(r.body,
        "grant_type=refresh_token&refresh_token=rt&client_id=id%26x%3D1&client_secret=s+e%2Fc%2Br%25t");

    // A public client: client_id in the body, no secret anywhere, whichever method.
    for (unsigned m : {EA_OIDC_AUTH_POST, EA_OIDC_AUTH_BASIC}) {
        r = request("public app", "", m, "tGzv3JOkF0XG5Qx2TlKWIA");
        ck_assert_int_eq(r.rc, 0);
        ck_assert_string(r.body, "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&client_id=public+app");
        ck_assert_string(r.authorization, "");
    }
}
END_TEST

START_TEST(request_odd_tokens)
{
    // Every byte outside the unreserved set is percent-encoded; '+' never stands for itself.
    Request r = request("c", "", EA_OIDC_AUTH_POST, "a+b/c=d&e%f~g.h_i-j:k?l#m");
    ck_assert_int_eq(r.rc, 0);
    ck_assert_string(r.body,
        "grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3Dd%26e%25f~g.h_i-j%3Ak%3Fl%23m&client_id=c");
    r = request("c", "", EA_OIDC_AUTH_POST, "8xLOxBtZp8==");
    ck_assert_string(r.body, "grant_type=refresh_token&refresh_token=8xLOxBtZp8%3D%3D&client_id=c");
    r = request("c", "", EA_OIDC_AUTH_POST, "\"'<>\\^`{|}");
    ck_assert_string(r.body, "grant_type=refresh_token&refresh_token=%22%27%3C%3E%5C%5E%60%7B%7C%7D&client_id=c");
    std::string longest(16384, 'r');
    r = request("c", "", EA_OIDC_AUTH_POST, longest);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_string(r.body, "grant_type=refresh_token&refresh_token=" + longest + "&client_id=c");

    // What no session can hold is refused, not encoded.
    const std::string refused[] = {"", "a b", std::string("a\0b", 3), "a\tb", "a\nb", "a\x7f", "\xc3\xa9",
        std::string(16385, 'r')};
    for (const std::string &t : refused) {
        ck_assert_msg(request("c", "", EA_OIDC_AUTH_POST, t).rc == -1, "accepted a refresh token of %zu bytes",
            t.size());
    }
}
END_TEST

START_TEST(request_refusals)
{
    ck_assert_int_eq(request("", "x", EA_OIDC_AUTH_POST, "rt").rc, -1);
    ck_assert_int_eq(request("id", "x", 0, "rt").rc, -1);
    ck_assert_int_eq(request("id", "x", EA_OIDC_AUTH_BASIC | EA_OIDC_AUTH_POST, "rt").rc, -1);
    ck_assert_int_eq(request("id", "", 4, "rt").rc, -1);

    ea_oidc_client_t c;
    c.client_id = s("id");
    c.client_secret = s("x");
    c.auth_method = EA_OIDC_AUTH_BASIC;
    c.redirect_uri = s("");
    ea_str_t rt = s("rt");
    Pool pool;
    ea_str_t body, auth;
    ck_assert_int_eq(ea_oidc_refresh_request(nullptr, &rt, Pool::alloc, &pool, &body, &auth), -1);
    ck_assert_int_eq(ea_oidc_refresh_request(&c, nullptr, Pool::alloc, &pool, &body, &auth), -1);
    ck_assert_int_eq(ea_oidc_refresh_request(&c, &rt, nullptr, &pool, &body, &auth), -1);
    ck_assert_int_eq(ea_oidc_refresh_request(&c, &rt, Pool::alloc, &pool, nullptr, &auth), -1);
    ck_assert_int_eq(ea_oidc_refresh_request(&c, &rt, Pool::alloc, &pool, &body, nullptr), -1);
    ea_str_t bad = {nullptr, 2};
    ck_assert_int_eq(ea_oidc_refresh_request(&c, &bad, Pool::alloc, &pool, &body, &auth), -1);
    c.client_secret = ea_str_t{nullptr, 3};
    ck_assert_int_eq(ea_oidc_refresh_request(&c, &rt, Pool::alloc, &pool, &body, &auth), -1);
    c.client_secret = s("x");
    c.client_id = ea_str_t{nullptr, 3};
    ck_assert_int_eq(ea_oidc_refresh_request(&c, &rt, Pool::alloc, &pool, &body, &auth), -1);
    c.client_id = s("id");
    ck_assert_int_eq(ea_oidc_refresh_request(&c, &rt, Pool::alloc, &pool, &body, &auth), 0);
    // Allocation failures: nothing half-filled.
    for (long n = 0; n < 2; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_refresh_request(&c, &rt, Pool::alloc, &failing, &body, &auth), -1);
        ck_assert_uint_eq(body.len + auth.len, 0);
    }
}
END_TEST

// ---- the response ------------------------------------------------------------------------------

START_TEST(response_200)
{
    const std::string idt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
    Tokens t = response(200, "{\"access_token\":\"at-2\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                             "\"refresh_token\":\"rt-2\",\"id_token\":\"" + idt + "\",\"scope\":\"openid\"}");
    ck_assert_int_eq(t.rc, 0);
    ck_assert_string(t.access_token, "at-2");
    ck_assert_string(t.refresh_token, "rt-2");
    ck_assert_string(t.id_token, idt);
    ck_assert_string(t.token_type, "Bearer");
    ck_assert_int_eq(t.expires_in, 3600);

    // No rotation, no new ID token, no expiry: all empty, not an error.
    t = response(200, "{\"access_token\":\"at-2\",\"token_type\":\"bearer\"}");
    ck_assert_int_eq(t.rc, 0);
    ck_assert_string(t.access_token, "at-2");
    ck_assert_string(t.refresh_token, "");
    ck_assert_string(t.id_token, "");
    ck_assert_string(t.token_type, "bearer");
    ck_assert_int_eq(t.expires_in, 0);
    t = response(200, "{\"access_token\":\"at-2\",\"token_type\":\"BEARER\",\"id_token\":\"" + idt + "\"}");
    ck_assert_int_eq(t.rc, 0);
    ck_assert_string(t.id_token, idt);
    ck_assert_string(t.refresh_token, "");
    t = response(200, "{\"access_token\":\"at-2\",\"token_type\":\"Bearer\",\"refresh_token\":\"rt-2\"}");
    ck_assert_int_eq(t.rc, 0);
    ck_assert_string(t.refresh_token, "rt-2");
    ck_assert_string(t.id_token, "");

    // The login's parser still requires the ID token.
    t = response(200, "{\"access_token\":\"at-2\",\"token_type\":\"Bearer\"}", false);
    ck_assert_int_eq(t.rc, -1);
    ck_assert_msg(t.err.find("token response: \"id_token\" is missing") != std::string::npos, "%s", t.err.c_str());
}
END_TEST

START_TEST(response_refused)
{
    const std::string bad[] = {
        "",
        "garbage",
        "<html>502 Bad Gateway</html>",
        "[]",
        "{}",
        "{\"token_type\":\"Bearer\"}",                                             // no access_token
        "{\"access_token\":\"a\"}",                                                 // no token_type
        "{\"access_token\":\"a\",\"token_type\":\"mac\"}",
        "{\"access_token\":\"a\",\"token_type\":\"DPoP\"}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer \"}",
        "{\"access_token\":\"a\",\"token_type\":null}",
        "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
        "{\"access_token\":\"a\\u0001\",\"token_type\":\"Bearer\"}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"id_token\":\"\"}",     // present but empty
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"id_token\":null}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"id_token\":\"a b\"}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"refresh_token\":\"\"}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"refresh_token\":7}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"refresh_token\":\"r\\nt\"}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":-5}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"60\"}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"access_token\":\"b\"}",  // duplicate
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\"}x",
    };
    for (const std::string &b : bad) {
        Tokens t = response(200, b);
        ck_assert_msg(t.rc == -1, "accepted %s", b.c_str());
        ck_assert_string(t.error, "");
    }
    Tokens t = response(200, "{\"access_token\":\"a\",\"token_type\":\"mac\"}");
    ck_assert_string(t.err, "refresh response: \"token_type\" \"mac\" is not Bearer");
    t = response(200, "garbage");
    ck_assert_msg(t.err.rfind("refresh response: ", 0) == 0, "%s", t.err.c_str());
}
END_TEST

START_TEST(response_errors)
{
    // The refresh token is dead: the session must end.
    Tokens t = response(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Refresh token expired\"}");
    ck_assert_int_eq(t.rc, -1);
    ck_assert_string(t.error, "invalid_grant");
    ck_assert_msg(t.err.find("HTTP 400") != std::string::npos && t.err.find("invalid_grant") != std::string::npos
            && t.err.find("Refresh token expired") != std::string::npos,
        "%s", t.err.c_str());
    t = response(401, "{\"error\":\"invalid_client\"}");
    ck_assert_string(t.error, "invalid_client");
    t = response(400, "{\"error\":\"bad\\r\\ncode\"}");
    ck_assert_string(t.error, "invalid");
    t = response(400, "not json");
    ck_assert_string(t.error, "");
    ck_assert_msg(t.err.find("without an OAuth error") != std::string::npos, "%s", t.err.c_str());
    for (unsigned st : {0u, 201u, 302u, 500u, 503u}) {
        t = response(st, "{\"access_token\":\"a\",\"token_type\":\"Bearer\"}");
        ck_assert_int_eq(t.rc, -1);
        ck_assert_string(t.error, "");
        ck_assert_string(t.err, "token endpoint answered HTTP " + std::to_string(st));
    }

    Pool pool;
    ea_oidc_tokens_t out;
    char err[64];
    ck_assert_int_eq(ea_oidc_refresh_response_parse(200, nullptr, 4, Pool::alloc, &pool, &out, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "invalid arguments");
    ck_assert_int_eq(ea_oidc_refresh_response_parse(200, "{}", 2, nullptr, &pool, &out, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_oidc_refresh_response_parse(200, "{}", 2, Pool::alloc, &pool, nullptr, err, sizeof(err)),
        -1);
    std::string good = "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"refresh_token\":\"r\",\"id_token\":\"i\"}";
    for (long n = 0; n < 4; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_refresh_response_parse(200, good.data(), good.size(), Pool::alloc, &failing, &out,
                             err, sizeof(err)),
            -1);
        ck_assert_uint_eq(out.id_token.len + out.access_token.len + out.refresh_token.len + out.token_type.len, 0);
    }
}
END_TEST

// ---- the refreshed ID token --------------------------------------------------------------------

START_TEST(id_token_accepted)
{
    ea_keyset_t *keys = oidc::id_keys();
    // No nonce at all (OpenID Connect Core §12.2).
    Verified v = verify(id_token(refresh_claims("\"email\":\"new@example.com\"")), keys);
    ck_assert_ea(v.rc, EA_OK);
    ck_assert_string(v.detail, "");
    Pool pool;
    ea_str_t out;
    ea_str_t path[] = {s("email")};
    ck_assert_int_eq(ea_token_value(v.token, EA_PART_CLAIMS, path, 1, Pool::alloc, &pool, &out), 1);
    ck_assert_string(str(out), "new@example.com");
    ea_token_free(v.token);
    // A nonce is present: not compared, whatever it is (the login's nonce is not kept).
    ck_assert_ea(check(refresh_claims("\"nonce\":\"" + std::string(oidc::kNonce) + "\""), keys), EA_OK);
    ck_assert_ea(check(refresh_claims("\"nonce\":\"another\""), keys), EA_OK);
    ck_assert_ea(check(refresh_claims("\"nonce\":\"\""), keys), EA_OK);
    // ES256, azp equal to the client id, several audiences with azp.
    v = verify(id_token(refresh_claims(), Alg::ES256, test::keys().p256, "e1"), keys);
    ck_assert_ea(v.rc, EA_OK);
    ea_token_free(v.token);
    ck_assert_ea(check(refresh_claims("\"azp\":\"client-1\""), keys), EA_OK);
    ck_assert_ea(check(with_member("aud", "[\"other\",\"client-1\"]").insert(1, "\"azp\":\"client-1\","), keys),
        EA_OK);
    // The algorithms of the check.
    v = verify(id_token(refresh_claims()), keys, "alice", kNow, EA_ALG_RS256);
    ck_assert_ea(v.rc, EA_OK);
    ea_token_free(v.token);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(id_token_rejected)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string good = refresh_claims();
    std::string d;

    // Another user: the session must end.
    ck_assert_ea(check(with_member("sub", "\"mallory\""), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "sub changed");
    ck_assert_ea(check(good, keys, &d, "bob"), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "sub changed");
    ck_assert_ea(check(with_member("sub", "\"alice \""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with_member("sub", "\"Alice\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(good, keys, nullptr, "alic"), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(with_member("sub", "\"\""), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "sub is not a non-empty string");
    ck_assert_ea(check(with_member("sub", "[\"alice\"]"), keys), EA_ERR_BAD_CLAIM);
    std::string no_sub = good;
    no_sub.erase(no_sub.find(",\"sub\":\"alice\""), std::strlen(",\"sub\":\"alice\""));
    ck_assert_ea(check(no_sub, keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing sub");
    // A nonce that is not a string is still refused.
    ck_assert_ea(check(refresh_claims("\"nonce\":5"), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "nonce is not a string");
    // Issuer and audience.
    ck_assert_ea(check(with_member("iss", "\"https://evil.example\""), keys), EA_ERR_ISSUER);
    ck_assert_ea(check(with_member("iss", "\"https://idp.example/\""), keys), EA_ERR_ISSUER);
    ck_assert_ea(check(with_member("aud", "\"client-2\""), keys), EA_ERR_AUDIENCE);
    ck_assert_ea(check(with_member("aud", "[\"client-1\",\"other\"]"), keys, &d), EA_ERR_AUDIENCE);
    ck_assert_string(d, "aud has 2 values and azp is missing");
    ck_assert_ea(check(refresh_claims("\"azp\":\"other\""), keys), EA_ERR_AUDIENCE);
    // Time.
    ck_assert_ea(check(good, keys, nullptr, "alice", kNow + 600), EA_ERR_EXPIRED);
    ck_assert_ea(check(with_member("exp", std::to_string(kNow - 1)), keys), EA_ERR_EXPIRED);
    ck_assert_ea(check(with_member("iat", std::to_string(kNow + 1)), keys), EA_ERR_NOT_YET_VALID);
    std::string no_iat = good;
    no_iat.erase(no_iat.find(",\"iat\":"), std::strlen(",\"iat\":") + std::to_string(kNow - 5).size());
    ck_assert_ea(check(no_iat, keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing iat");
    // Signature: another key under the same kid, and a flipped byte.
    Verified v = verify(id_token(good, Alg::RS256, test::keys().rsa2048b), keys);
    ck_assert_ea(v.rc, EA_ERR_BAD_SIGNATURE);
    ck_assert_ptr_null(v.token);
    std::string tok = id_token(good);
    tok[tok.size() - 5] = tok[tok.size() - 5] == 'A' ? 'B' : 'A';
    ck_assert_ea(verify(tok, keys).rc, EA_ERR_BAD_SIGNATURE);
    // alg none, HMAC, an alg outside the check's list, an unknown kid.
    std::string none = edge_auth::base64url_encode("{\"alg\":\"none\"}") + "." + edge_auth::base64url_encode(good)
        + ".";
    ck_assert_ea(verify(none, keys).rc, EA_ERR_MALFORMED);
    ck_assert_ea(verify(none + "c2ln", keys).rc, EA_ERR_ALG_NOT_ALLOWED);
    std::string hs = test::make_token("{\"alg\":\"HS256\",\"kid\":\"h1\"}", good, Alg::HS256,
        unit::hmac_signer(test::keys().hs32));
    ck_assert_ea(verify(hs, keys).rc, EA_ERR_ALG_NOT_ALLOWED);
    ck_assert_ea(verify(hs, keys, "alice", kNow, EA_ALG_HS256).rc, EA_ERR_ALG_NOT_ALLOWED);
    ck_assert_ea(verify(id_token(good), keys, "alice", kNow, EA_ALG_ES256).rc, EA_ERR_ALG_NOT_ALLOWED);
    ck_assert_ea(verify(id_token(good, Alg::RS256, nullptr, "k9"), keys).rc, EA_ERR_UNKNOWN_KEY);
    ck_assert_ea(verify("", keys).rc, EA_ERR_MALFORMED);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(id_token_arguments)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string tok = id_token(refresh_claims());
    ea_oidc_id_token_check_t c;
    c.issuer = s(oidc::kIssuer);
    c.client_id = s(oidc::kClientId);
    c.nonce = s("");
    c.algorithms = 0;
    c.leeway = 0;
    ea_str_t sub = s("alice");
    ea_token_t *out = reinterpret_cast<ea_token_t *>(0x1);
    char detail[128];
    // check->nonce is ignored: empty is fine here (it is not for a login).
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &sub, keys, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_OK);
    ea_token_free(out);
    out = reinterpret_cast<ea_token_t *>(0x1);
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, nullptr, keys, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(detail, "invalid arguments");
    // An empty expected sub would match nothing sensible: refused, not "any sub".
    ea_str_t empty = s("");
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &empty, keys, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_msg(std::strstr(detail, "invalid arguments") != nullptr, "%s", detail);
    ea_str_t bad = {nullptr, 5};
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &bad, keys, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ea(ea_oidc_refresh_id_token_verify(nullptr, &sub, keys, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &sub, nullptr, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &sub, keys, nullptr, 3, kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &sub, keys, tok.data(), tok.size(), kNow, nullptr, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    c.issuer = s("");
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &sub, keys, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    c.issuer = s(oidc::kIssuer);
    c.leeway = -1;
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &sub, keys, tok.data(), tok.size(), kNow, &out, detail,
                     sizeof(detail)),
        EA_ERR_INTERNAL);
    c.leeway = 0;
    ck_assert_ea(ea_oidc_refresh_id_token_verify(&c, &sub, keys, tok.data(), tok.size(), kNow, &out, nullptr, 0),
        EA_OK);
    ea_token_free(out);
    ea_keyset_free(keys);
}
END_TEST

// ---- the refreshed session ---------------------------------------------------------------------

START_TEST(session_rotated)
{
    oidc::Setup st;
    ea_keyset_t *keys = oidc::id_keys();
    ea_session_t *old = session_from(st, session_json());
    const std::string old_json = session_json_of(old);
    std::string new_idt = id_token(refresh_claims("\"email\":\"new@example.com\",\"sid\":\"op-sid-1\""));
    ea_token_t *claims = claims_token(keys, "\"email\":\"new@example.com\",\"sid\":\"op-sid-1\"");
    ea_oidc_tokens_t t = tokens("at-new", 300, "rt-new", new_idt.c_str());
    ea_str_t names[] = {s("email"), s("sid")};
    char err[256];
    ea_session_t *fresh = ea_session_refreshed(st.sealer, old, &t, claims, names, 2, kNow + 50, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(err, "");
    ck_assert_ptr_ne(fresh, old);

    // Kept.
    ck_assert_string(field(fresh, EA_SESSION_ID), kSid);
    ck_assert_string(field(fresh, EA_SESSION_SUB), "alice");
    ck_assert_string(field(fresh, EA_SESSION_ISS), oidc::kIssuer);
    ea_session_times_t tm = times(fresh);
    ck_assert_int_eq(tm.issued_at, kNow - 100);
    ck_assert_int_eq(tm.expires, kNow - 100 + 8 * 3600);
    // Replaced.
    ck_assert_int_eq(tm.last_seen, kNow + 50);
    ck_assert_int_eq(tm.access_token_expires, kNow + 50 + 300);
    ck_assert_string(field(fresh, EA_SESSION_ACCESS_TOKEN), "at-new");
    ck_assert_string(field(fresh, EA_SESSION_REFRESH_TOKEN), "rt-new");
    ck_assert_string(field(fresh, EA_SESSION_ID_TOKEN), new_idt);
    ck_assert_string(claim(fresh, "email"), "new@example.com");
    ck_assert_string(claim(fresh, "sid"), "op-sid-1");

    // The original is untouched.
    ck_assert_string(session_json_of(old), old_json);
    ck_assert_string(field(old, EA_SESSION_ACCESS_TOKEN), "at-old");
    ck_assert_string(claim(old, "email"), "old@example.com");
    ck_assert_int_eq(times(old).last_seen, kNow - 100);

    // It seals, and opens again as the same session.
    Pool pool;
    ea_cookie_set_t set;
    char detail[128];
    ck_assert_int_eq(ea_session_seal(st.sealer, st.keys, fresh, 0x1, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_OK);
    std::string header;
    for (size_t i = 0; i < set.n; i++) {
        if (!set.cookies[i].remove) {
            header += (header.empty() ? "" : "; ") + str(set.cookies[i].name) + "=" + str(set.cookies[i].value);
        }
    }
    ea_str_t h = s(header);
    ea_session_cookies_t jar;
    ck_assert_int_eq(ea_session_cookies_find(st.sealer, &h, 1, &jar, detail, sizeof(detail)), EA_SESSION_OK);
    ea_session_t *reopened = nullptr;
    ck_assert_int_eq(ea_session_open(st.sealer, st.keys, &jar, kNow + 60, &reopened, detail, sizeof(detail)),
        EA_SESSION_OK);
    ck_assert_string(session_json_of(reopened), session_json_of(fresh));
    ea_session_free(reopened);

    // The refreshed session refreshes again later, from its own handle.
    ea_oidc_tokens_t t2 = tokens("at-3", 0);
    ea_session_t *third = ea_session_refreshed(st.sealer, fresh, &t2, nullptr, nullptr, 0, kNow + 400, err,
        sizeof(err));
    ck_assert_msg(third != nullptr, "%s", err);
    ck_assert_string(field(third, EA_SESSION_ACCESS_TOKEN), "at-3");
    ck_assert_int_eq(times(third).access_token_expires, 0);        // expires_in absent: unknown
    ck_assert_string(field(third, EA_SESSION_REFRESH_TOKEN), "rt-new");
    ck_assert_string(field(third, EA_SESSION_ID_TOKEN), new_idt);
    ck_assert_string(claim(third, "email"), "new@example.com");
    ea_session_free(third);

    ea_session_free(fresh);
    ea_session_free(old);
    ea_token_free(claims);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(session_kept)
{
    oidc::Setup st;
    ea_session_t *old = session_from(st, session_json());
    // No rotation, no ID token: the refresh token, the ID token and the claims are kept.
    ea_oidc_tokens_t t = tokens("at-new", 120);
    ea_str_t names[] = {s("email"), s("sid")};
    char err[256];
    ea_session_t *fresh = ea_session_refreshed(st.sealer, old, &t, nullptr, names, 2, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(field(fresh, EA_SESSION_ACCESS_TOKEN), "at-new");
    ck_assert_int_eq(times(fresh).access_token_expires, kNow + 120);
    ck_assert_int_eq(times(fresh).last_seen, kNow);
    ck_assert_string(field(fresh, EA_SESSION_REFRESH_TOKEN), "rt-old");
    ck_assert_string(field(fresh, EA_SESSION_ID_TOKEN), "idt-old");
    ck_assert_string(claim(fresh, "email"), "old@example.com");
    ck_assert_string(claim(fresh, "sid"), "op-sid-1");
    ck_assert_string(field(fresh, EA_SESSION_ID), kSid);
    ea_session_free(fresh);

    // Rotation only.
    t = tokens("at-new", 120, "rt-rotated");
    fresh = ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(field(fresh, EA_SESSION_REFRESH_TOKEN), "rt-rotated");
    ck_assert_string(field(fresh, EA_SESSION_ID_TOKEN), "idt-old");
    ea_session_free(fresh);

    // An ID token without its claims: the token is replaced, the claims are kept.
    t = tokens("at-new", 120, "", "idt-new");
    fresh = ea_session_refreshed(st.sealer, old, &t, nullptr, names, 2, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(field(fresh, EA_SESSION_REFRESH_TOKEN), "rt-old");
    ck_assert_string(field(fresh, EA_SESSION_ID_TOKEN), "idt-new");
    ck_assert_string(claim(fresh, "email"), "old@example.com");
    ea_session_free(fresh);

    // A session that had no tokens but the refresh token gains them.
    ea_session_t *bare = session_from(st, session_json(",\"rt\":\"rt-old\"", ""));
    t = tokens("at-new", 60, "", "idt-new");
    fresh = ea_session_refreshed(st.sealer, bare, &t, nullptr, nullptr, 0, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(field(fresh, EA_SESSION_ACCESS_TOKEN), "at-new");
    ck_assert_string(field(fresh, EA_SESSION_ID_TOKEN), "idt-new");
    ck_assert_string(claim(fresh, "email"), "<absent>");
    ea_session_free(fresh);
    ea_session_free(bare);
    ea_session_free(old);
}
END_TEST

START_TEST(session_claims)
{
    oidc::Setup st;
    ea_keyset_t *keys = oidc::id_keys();
    ea_session_t *old = session_from(st, session_json());
    char err[256];
    ea_str_t names[] = {s("email"), s("groups"), s("sid"), s("missing")};

    // Refreshed for the names given; a claim the new token lacks is gone; an unnamed one is not
    // copied; sid kept when the new token has none.
    ea_token_t *claims = claims_token(keys, "\"groups\":[\"a\",\"b\"],\"secret\":\"not named\"");
    ea_oidc_tokens_t t = tokens("at-new", 60);
    ea_session_t *fresh = ea_session_refreshed(st.sealer, old, &t, claims, names, 4, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(claim(fresh, "email"), "<absent>");
    ck_assert_string(claim(fresh, "groups"), "a,b");
    ck_assert_string(claim(fresh, "secret"), "<absent>");
    ck_assert_string(claim(fresh, "sid"), "op-sid-1");
    ea_session_free(fresh);
    ea_token_free(claims);

    // Without "sid" among the names, the stored sid is not carried over.
    claims = claims_token(keys, "\"email\":\"new@example.com\"");
    fresh = ea_session_refreshed(st.sealer, old, &t, claims, names, 2, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(claim(fresh, "email"), "new@example.com");
    ck_assert_string(claim(fresh, "sid"), "<absent>");
    ea_session_free(fresh);
    // No names at all: no claims.
    fresh = ea_session_refreshed(st.sealer, old, &t, claims, nullptr, 0, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_msg(session_json_of(fresh).find("\"claims\"") == std::string::npos, "%s",
        session_json_of(fresh).c_str());
    ea_session_free(fresh);
    ea_token_free(claims);

    // The same sid is fine; a different one ends the session.
    claims = claims_token(keys, "\"sid\":\"op-sid-1\"");
    fresh = ea_session_refreshed(st.sealer, old, &t, claims, names, 4, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(claim(fresh, "sid"), "op-sid-1");
    ea_session_free(fresh);
    ea_token_free(claims);
    claims = claims_token(keys, "\"sid\":\"op-sid-2\"");
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, claims, names, 4, kNow, err, sizeof(err)));
    ck_assert_string(err, "the provider session id (sid) changed");
    ea_token_free(claims);

    // A session that never had a sid takes the new one.
    ea_session_t *no_sid = session_from(st, session_json(",\"at\":\"at-old\",\"rt\":\"rt-old\"",
        ",\"claims\":{\"email\":\"old@example.com\"}"));
    claims = claims_token(keys, "\"sid\":\"op-sid-2\"");
    fresh = ea_session_refreshed(st.sealer, no_sid, &t, claims, names, 4, kNow, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ck_assert_string(claim(fresh, "sid"), "op-sid-2");
    ck_assert_string(claim(fresh, "email"), "<absent>");
    ea_session_free(fresh);
    ea_token_free(claims);
    ea_session_free(no_sid);

    // Claims of another user (a token verified for another sub) are refused.
    Verified v = verify(id_token(with_member("sub", "\"bob\"")), keys, "bob");
    ck_assert_ea(v.rc, EA_OK);
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, v.token, names, 4, kNow, err, sizeof(err)));
    ck_assert_string(err, "the ID token's sub or iss is not the session's");
    ea_token_free(v.token);

    ea_session_free(old);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(session_refused)
{
    oidc::Setup st;
    ea_session_t *old = session_from(st, session_json());
    char err[256];
    ea_oidc_tokens_t t;

    // Control bytes and other bytes a session cannot hold, in each token.
    const char *bad_values[] = {"a\x01" "b", "a b", "a\r\nSet-Cookie: x", "\x7f", "\xc3\xa9"};
    for (const char *bad : bad_values) {
        t = tokens(bad, 60);
        ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
        ck_assert_msg(std::strstr(err, "at must be") != nullptr, "%s", err);
        t = tokens("at-new", 60, bad);
        ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
        ck_assert_msg(std::strstr(err, "rt must be") != nullptr, "%s", err);
        t = tokens("at-new", 60, "", bad);
        ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
        ck_assert_msg(std::strstr(err, "idt must be") != nullptr, "%s", err);
        for (char c : std::string(err)) {
            ck_assert_msg(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control byte in the message");
        }
    }
    std::string big(16385, 'a');
    t = tokens(big.c_str(), 60);
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    // A control byte hidden behind a NUL is still seen.
    t = tokens("at", 60);
    t.access_token = ea_str_t{"a\0\x01", 3};
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));

    // No access token, a negative or overflowing expiry, an expiry past year 9999.
    t = tokens("", 60);
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    ck_assert_string(err, "the refresh response has no access token");
    t = tokens("at", -1);
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    t = tokens("at", std::numeric_limits<int64_t>::max());
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    t = tokens("at", 253402300799 - kNow + 1);
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    ck_assert_msg(std::strstr(err, "at_exp") != nullptr, "%s", err);

    // A session that is over, or a clock before its login.
    t = tokens("at", 60);
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow - 100 + 8 * 3600, err,
        sizeof(err)));
    ck_assert_msg(std::strstr(err, "the session is over: ") == err, "%s", err);
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow - 101, err, sizeof(err)));
    ck_assert_msg(std::strstr(err, "times out of order") != nullptr, "%s", err);

    // Arguments.
    ck_assert_ptr_null(ea_session_refreshed(nullptr, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    ck_assert_string(err, "invalid arguments");
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, nullptr, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, nullptr, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 2, kNow, err, sizeof(err)));
    t.refresh_token = ea_str_t{nullptr, 4};
    ck_assert_ptr_null(ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, err, sizeof(err)));
    ck_assert_string(err, "invalid arguments");
    t = tokens("at", 60);
    ea_session_t *ok = ea_session_refreshed(st.sealer, old, &t, nullptr, nullptr, 0, kNow, nullptr, 0);
    ck_assert_ptr_nonnull(ok);
    ea_session_free(ok);

    // Still the old session after every refusal.
    ck_assert_string(field(old, EA_SESSION_ACCESS_TOKEN), "at-old");
    ea_session_free(old);
}
END_TEST

START_TEST(session_idle)
{
    // With an idle timeout, a refresh of a session idle for too long is refused too.
    std::string key_file = oidc::random_secret();
    char err[256];
    ea_session_keys_t *keys = ea_session_keys_load(key_file.data(), key_file.size(), err, sizeof(err));
    ck_assert_ptr_nonnull(keys);
    ea_session_conf_t c;
    ea_session_conf_init(&c);
    c.provider = s("corp");
    c.cookie_name = s("__Host-edge");
    c.idle_timeout = 600;
    ea_sealer_t *sealer = ea_sealer_create(&c, err, sizeof(err));
    ck_assert_ptr_nonnull(sealer);
    std::string json = session_json();
    ea_session_t *old = ea_session_from_json(sealer, json.data(), json.size(), kNow, err, sizeof(err));
    ck_assert_ptr_nonnull(old);
    ea_oidc_tokens_t t = tokens("at", 60);
    ea_session_t *fresh = ea_session_refreshed(sealer, old, &t, nullptr, nullptr, 0, kNow + 400, err, sizeof(err));
    ck_assert_msg(fresh != nullptr, "%s", err);
    ea_session_free(fresh);
    ck_assert_ptr_null(ea_session_refreshed(sealer, old, &t, nullptr, nullptr, 0, kNow + 501, err, sizeof(err)));
    ck_assert_msg(std::strstr(err, "idle") != nullptr, "%s", err);
    ea_session_free(old);
    ea_sealer_free(sealer);
    ea_session_keys_free(keys);
}
END_TEST

Suite *oidc_refresh_suite()
{
    Suite *s = suite_create("oidc_refresh");
    TCase *tc = tcase_create("token refresh");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, refresh_due);
    tcase_add_test(tc, request_clients);
    tcase_add_test(tc, request_odd_tokens);
    tcase_add_test(tc, request_refusals);
    tcase_add_test(tc, response_200);
    tcase_add_test(tc, response_refused);
    tcase_add_test(tc, response_errors);
    tcase_add_test(tc, id_token_accepted);
    tcase_add_test(tc, id_token_rejected);
    tcase_add_test(tc, id_token_arguments);
    tcase_add_test(tc, session_rotated);
    tcase_add_test(tc, session_kept);
    tcase_add_test(tc, session_claims);
    tcase_add_test(tc, session_refused);
    tcase_add_test(tc, session_idle);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(oidc_refresh_suite);
