// The code exchange: the token request (ea_oidc_token_request), the token response
// (ea_oidc_token_response_parse) and the ID token checks (ea_oidc_id_token_verify).

#include "oidc_support.h"
#include "oidc_token.h"

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

struct Request {
    int rc;
    std::string body, authorization;
};

Request request(const char *id, const char *secret, unsigned method, const char *code = "SplxlOBeZQQYbYS6WxSbIA",
    const char *verifier = oidc::kVerifier, const char *redirect = "https://client.example.com/cb")
{
    ea_oidc_client_t c;
    c.client_id = s(id);
    c.client_secret = s(secret);
    c.auth_method = method;
    c.redirect_uri = s(redirect);
    ea_str_t cd = s(code), v = s(verifier);
    Pool pool;
    ea_str_t body, auth;
    Request r;
    r.rc = ea_oidc_token_request(&c, &cd, &v, Pool::alloc, &pool, &body, &auth);
    r.body = str(body);
    r.authorization = str(auth);
    if (r.rc != 0) {
        ck_assert_int_eq(r.rc, -1);
        ck_assert_msg(r.body.empty() && r.authorization.empty(), "output on failure");
    }
    return r;
}

struct Tokens {
    int rc;
    std::string err, id_token, access_token, refresh_token, token_type, error;
    int64_t expires_in;
};

Tokens response(unsigned status, const std::string &json)
{
    Pool pool;
    ea_oidc_tokens_t t;
    char err[256];
    Tokens r;
    r.rc = ea_oidc_token_response_parse(status, json.data(), json.size(), Pool::alloc, &pool, &t, err, sizeof(err));
    r.err = err;
    r.id_token = str(t.id_token);
    r.access_token = str(t.access_token);
    r.refresh_token = str(t.refresh_token);
    r.token_type = str(t.token_type);
    r.error = str(t.error);
    r.expires_in = t.expires_in;
    if (r.rc == 0) {
        ck_assert_string(r.err, "");
    } else {
        ck_assert_int_eq(r.rc, -1);
        ck_assert_msg(!r.err.empty(), "failure without a message");
        ck_assert_msg(r.id_token.empty() && r.access_token.empty() && r.refresh_token.empty() && r.expires_in == 0,
            "tokens on failure");
        for (char c : r.err) {
            ck_assert_msg(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control byte in the message");
        }
    }
    return r;
}

const std::string kIdt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";

std::string ok_body(const std::string &extra = "")
{
    return "{\"id_token\":\"" + kIdt + "\",\"access_token\":\"SlAV32hkKG\",\"token_type\":\"Bearer\"" + extra + "}";
}

struct Verified {
    ea_status_t rc;
    std::string detail;
    ea_token_t *token;
};

Verified verify(const std::string &token, ea_keyset_t *keys, int64_t now = kNow, unsigned algorithms = 0,
    int64_t leeway = 0, const char *nonce = oidc::kNonce)
{
    ea_oidc_id_token_check_t c;
    c.issuer = s(oidc::kIssuer);
    c.client_id = s(oidc::kClientId);
    c.nonce = s(nonce);
    c.algorithms = algorithms;
    c.leeway = leeway;
    char detail[160];
    std::memset(detail, 'X', sizeof(detail));
    Verified v;
    v.token = reinterpret_cast<ea_token_t *>(0x1);
    v.rc = ea_oidc_id_token_verify(&c, keys, token.data(), token.size(), now, &v.token, detail, sizeof(detail));
    ck_assert_ptr_nonnull(std::memchr(detail, '\0', sizeof(detail)));
    v.detail = detail;
    for (char ch : v.detail) {
        ck_assert_msg(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f, "control byte in the detail");
    }
    ck_assert((v.rc == EA_OK) == (v.token != nullptr));
    return v;
}

// Verifies and frees; returns the status and (optionally) the detail.
ea_status_t check(const std::string &claims, ea_keyset_t *keys, std::string *detail = nullptr, int64_t now = kNow,
    int64_t leeway = 0)
{
    Verified v = verify(id_token(claims), keys, now, 0, leeway);
    if (detail) {
        *detail = v.detail;
    }
    ea_token_free(v.token);
    return v.rc;
}

std::string claims_with(const std::string &extra)
{
    return "{" + good_members() + (extra.empty() ? "" : ",") + extra + "}";
}

// The good members without one of them.
std::string claims_without(const std::string &name)
{
    std::string m = good_members();
    size_t at = m.find("\"" + name + "\":");
    size_t end = m.find(",\"", at + 1);
    if (end == std::string::npos) {
        m.erase(at == 0 ? 0 : at - 1);
    } else {
        m.erase(at, end + 1 - at);
    }
    return "{" + m + "}";
}

std::string set_member(const std::string &name, const std::string &json_value)
{
    std::string base = claims_without(name);
    return base.substr(0, base.size() - 1) + ",\"" + name + "\":" + json_value + "}";
}

} // namespace

START_TEST(request_post_and_public)
{
    Request r = request("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", EA_OIDC_AUTH_POST);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_string(r.body,
        "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb"
        "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=s6BhdRkqt3"
        "&client_secret=7Fjfp0ZBr1KtDRbnfVdmIw");
    ck_assert_string(r.authorization, "");
    // A public client: client_id in the body, no secret anywhere, whichever method.
    for (unsigned m : {EA_OIDC_AUTH_POST, EA_OIDC_AUTH_BASIC}) {
        r = request("public app", "", m);
        ck_assert_int_eq(r.rc, 0);
        ck_assert_string(r.body,
            "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fclient.example.com"
            "%2Fcb&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=public+app");
        ck_assert_string(r.authorization, "");
    }
    // Every value is form-encoded.
    r = request("id&x=1", "s e/c+r%t", EA_OIDC_AUTH_POST, "a b&c=d", oidc::kVerifier, "https://c.example/cb?x=1&y=2");
    ck_assert_string(r.body,
        "grant_type=authorization_code&code=a+b%26c%3Dd&redirect_uri=https%3A%2F%2Fc.example%2Fcb%3Fx%3D1%26y%3D2"
        "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=id%26x%3D1"
        "&client_secret=s+e%2Fc%2Br%25t");
}
END_TEST

START_TEST(request_basic)
{
    // RFC 6749 §2.3.1's example client.
    Request r = request("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", EA_OIDC_AUTH_BASIC);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_string(r.authorization, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
    ck_assert_string(r.body,
        "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb"
        "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    // Both parts are form-encoded before base64: "my+client:p%3Ass%2Bw%C3%B6rd".
    r = request("my client", "p:ss+w\xc3\xb6rd", EA_OIDC_AUTH_BASIC);
    ck_assert_string(r.authorization, "Basic bXkrY2xpZW50OnAlM0FzcyUyQnclQzMlQjZyZA==");
}
END_TEST

START_TEST(request_refusals)
{
    ck_assert_int_eq(request("", "x", EA_OIDC_AUTH_POST).rc, -1);
    ck_assert_int_eq(request("id", "x", EA_OIDC_AUTH_POST, "").rc, -1);
    ck_assert_int_eq(request("id", "x", EA_OIDC_AUTH_POST, "c", "short").rc, -1);
    ck_assert_int_eq(request("id", "x", EA_OIDC_AUTH_POST, "c", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk+").rc,
        -1);
    std::string long_verifier(129, 'a');
    ck_assert_int_eq(request("id", "x", EA_OIDC_AUTH_POST, "c", long_verifier.c_str()).rc, -1);
    ck_assert_int_eq(request("id", "x", EA_OIDC_AUTH_POST, "c", oidc::kVerifier, "").rc, -1);
    ck_assert_int_eq(request("id", "x", 0).rc, -1);
    ck_assert_int_eq(request("id", "x", EA_OIDC_AUTH_BASIC | EA_OIDC_AUTH_POST).rc, -1);
    ck_assert_int_eq(request("id", "", 4).rc, -1);

    ea_oidc_client_t c;
    c.client_id = s("id");
    c.client_secret = s("x");
    c.auth_method = EA_OIDC_AUTH_POST;
    c.redirect_uri = s("https://c/cb");
    ea_str_t code = s("c"), v = s(oidc::kVerifier);
    Pool pool;
    ea_str_t body, auth;
    ck_assert_int_eq(ea_oidc_token_request(nullptr, &code, &v, Pool::alloc, &pool, &body, &auth), -1);
    ck_assert_int_eq(ea_oidc_token_request(&c, nullptr, &v, Pool::alloc, &pool, &body, &auth), -1);
    ck_assert_int_eq(ea_oidc_token_request(&c, &code, &v, nullptr, &pool, &body, &auth), -1);
    ck_assert_int_eq(ea_oidc_token_request(&c, &code, &v, Pool::alloc, &pool, nullptr, &auth), -1);
    c.client_secret = ea_str_t{nullptr, 3};
    ck_assert_int_eq(ea_oidc_token_request(&c, &code, &v, Pool::alloc, &pool, &body, &auth), -1);
    c.client_secret = s("x");
    c.auth_method = EA_OIDC_AUTH_BASIC;
    for (long n = 0; n < 2; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_token_request(&c, &code, &v, Pool::alloc, &failing, &body, &auth), -1);
        ck_assert_uint_eq(body.len + auth.len, 0);
    }
}
END_TEST

START_TEST(response_200)
{
    Tokens t = response(200, ok_body(",\"expires_in\":3600,\"refresh_token\":\"8xLOxBtZp8\",\"scope\":\"openid\""));
    ck_assert_int_eq(t.rc, 0);
    ck_assert_string(t.id_token, kIdt);
    ck_assert_string(t.access_token, "SlAV32hkKG");
    ck_assert_string(t.refresh_token, "8xLOxBtZp8");
    ck_assert_string(t.token_type, "Bearer");
    ck_assert_int_eq(t.expires_in, 3600);
    ck_assert_string(t.error, "");
    t = response(200, ok_body());
    ck_assert_int_eq(t.rc, 0);
    ck_assert_string(t.refresh_token, "");
    ck_assert_int_eq(t.expires_in, 0);
    // token_type in any case.
    std::string lower = ok_body();
    lower.replace(lower.find("Bearer"), 6, "bEARER");
    ck_assert_int_eq(response(200, lower).rc, 0);
    ck_assert_int_eq(response(200, ok_body(",\"expires_in\":0")).rc, 0);
}
END_TEST

START_TEST(response_200_refused)
{
    const std::string bad[] = {
        "",
        "garbage",
        "<html>502 Bad Gateway</html>",
        "[]",
        "{}",
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\"}",                       // no id_token
        "{\"id_token\":\"" + kIdt + "\",\"token_type\":\"Bearer\"}",                // no access_token
        "{\"id_token\":\"" + kIdt + "\",\"access_token\":\"a\"}",                   // no token_type
        "{\"id_token\":\"" + kIdt + "\",\"access_token\":\"a\",\"token_type\":\"mac\"}",
        "{\"id_token\":\"" + kIdt + "\",\"access_token\":\"a\",\"token_type\":\"Bearer \"}",
        "{\"id_token\":\"" + kIdt + "\",\"access_token\":\"a\",\"token_type\":true}",
        "{\"id_token\":5,\"access_token\":\"a\",\"token_type\":\"Bearer\"}",
        "{\"id_token\":\"" + kIdt + "\",\"access_token\":[\"a\"],\"token_type\":\"Bearer\"}",
        "{\"id_token\":\"\",\"access_token\":\"a\",\"token_type\":\"Bearer\"}",
        "{\"id_token\":\"a b\",\"access_token\":\"a\",\"token_type\":\"Bearer\"}",
        "{\"id_token\":\"" + kIdt + "\",\"access_token\":\"a\\nb\",\"token_type\":\"Bearer\"}",
        "{\"id_token\":\"" + kIdt + "\",\"access_token\":\"\\u00e9\",\"token_type\":\"Bearer\"}",
        ok_body(",\"refresh_token\":\"\""),
        ok_body(",\"refresh_token\":null"),
        ok_body(",\"refresh_token\":\"r t\""),
        ok_body(",\"expires_in\":-1"),
        ok_body(",\"expires_in\":3600.5"),
        ok_body(",\"expires_in\":\"3600\""),
        ok_body(",\"expires_in\":253402300800"),
        ok_body(",\"id_token\":\"x\""),                                             // duplicate
        ok_body(",\"access_t\\u006fken\":\"x\""),                                   // duplicate once unescaped
        ok_body() + "x",
    };
    for (const std::string &b : bad) {
        Tokens t = response(200, b);
        ck_assert_msg(t.rc == -1, "accepted %s", b.c_str());
        ck_assert_string(t.error, "");
    }
    // Over 64 KiB.
    std::string pad = ok_body(",\"pad\":\"\"");
    std::string at_cap = ok_body(",\"pad\":\"" + std::string(65536 - pad.size(), 'p') + "\"");
    ck_assert_uint_eq(at_cap.size(), 65536);
    ck_assert_int_eq(response(200, at_cap).rc, 0);
    Tokens t = response(200, at_cap + " ");
    ck_assert_int_eq(t.rc, -1);
    ck_assert_msg(t.err.find("over the cap") != std::string::npos, "%s", t.err.c_str());
}
END_TEST

START_TEST(response_errors)
{
    Tokens t = response(400, "{\"error\":\"invalid_grant\",\"error_description\":\"code \\u0001expired\\r\\n\"}");
    ck_assert_int_eq(t.rc, -1);
    ck_assert_string(t.error, "invalid_grant");
    ck_assert_msg(t.err.find("HTTP 400") != std::string::npos && t.err.find("invalid_grant") != std::string::npos
            && t.err.find("\\x01expired\\x0d\\x0a") != std::string::npos,
        "%s", t.err.c_str());
    t = response(401, "{\"error\":\"invalid_client\"}");
    ck_assert_string(t.error, "invalid_client");
    const std::string odd[] = {"{\"error\":\"has space\"}", "{\"error\":\"\"}", "{\"error\":5}", "{\"error\":null}",
        "{\"error\":\"\\u00e9\"}", "{\"error\":\"a\\nb\"}", "{\"error\":\"" + std::string(65, 'e') + "\"}"};
    for (const std::string &o : odd) {
        t = response(400, o);
        ck_assert_int_eq(t.rc, -1);
        ck_assert_msg(t.error == "invalid", "%s gave \"%s\"", o.c_str(), t.error.c_str());
    }
    t = response(499, "{\"error\":\"" + std::string(64, 'e') + "\"}");
    ck_assert_string(t.error, std::string(64, 'e'));
    // A 4xx without an OAuth error, and other statuses: no error code.
    const unsigned statuses[] = {400, 404, 429};
    for (unsigned st : statuses) {
        t = response(st, "<html>nope</html>");
        ck_assert_int_eq(t.rc, -1);
        ck_assert_string(t.error, "");
        ck_assert_msg(t.err.find("without an OAuth error") != std::string::npos, "%s", t.err.c_str());
    }
    ck_assert_string(response(400, "{}").error, "");
    const unsigned others[] = {0, 100, 201, 204, 302, 399, 500, 502, 503, 600};
    for (unsigned st : others) {
        t = response(st, ok_body());
        ck_assert_msg(t.rc == -1, "accepted status %u", st);
        ck_assert_string(t.error, "");
        ck_assert_string(t.err, "token endpoint answered HTTP " + std::to_string(st));
    }
    t = response(500, "{\"error\":\"server_error\"}");
    ck_assert_string(t.error, "");

    Pool pool;
    ea_oidc_tokens_t out;
    char err[64];
    ck_assert_int_eq(ea_oidc_token_response_parse(200, nullptr, 4, Pool::alloc, &pool, &out, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "invalid arguments");
    ck_assert_int_eq(ea_oidc_token_response_parse(200, "{}", 2, nullptr, &pool, &out, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_oidc_token_response_parse(200, "{}", 2, Pool::alloc, &pool, nullptr, err, sizeof(err)), -1);
    std::string good = ok_body(",\"refresh_token\":\"r\"");
    for (long n = 0; n < 4; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_token_response_parse(200, good.data(), good.size(), Pool::alloc, &failing, &out, err,
                             sizeof(err)),
            -1);
        ck_assert_uint_eq(out.id_token.len + out.access_token.len + out.refresh_token.len + out.token_type.len, 0);
    }
}
END_TEST

START_TEST(id_token_accepted)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string claims = oidc::id_claims(good_members() + ",\"email\":\"alice@example.com\"");
    Verified v = verify(id_token(claims), keys);
    ck_assert_ea(v.rc, EA_OK);
    ck_assert_string(v.detail, "");
    Pool pool;
    ea_str_t out;
    ea_str_t path[] = {s("email")};
    ck_assert_int_eq(ea_token_value(v.token, EA_PART_CLAIMS, path, 1, Pool::alloc, &pool, &out), 1);
    ck_assert_string(str(out), "alice@example.com");
    ck_assert_int_eq(ea_token_expires(v.token), kNow + 600);
    ea_token_free(v.token);

    // ES256; aud as a one-value array; several audiences with azp = client id; azp alone.
    v = verify(id_token(claims, Alg::ES256, test::keys().p256, "e1"), keys);
    ck_assert_ea(v.rc, EA_OK);
    ea_token_free(v.token);
    ck_assert_ea(check(set_member("aud", "[\"client-1\"]"), keys), EA_OK);
    ck_assert_ea(check(claims_with("\"azp\":\"client-1\""), keys), EA_OK);
    ck_assert_ea(check(set_member("aud", "[\"other\",\"client-1\"]").insert(1, "\"azp\":\"client-1\","), keys), EA_OK);
    // Only the given algorithms.
    v = verify(id_token(claims), keys, kNow, EA_ALG_RS256 | EA_ALG_PS256);
    ck_assert_ea(v.rc, EA_OK);
    ea_token_free(v.token);
    // iat within the leeway.
    ck_assert_ea(check(set_member("iat", std::to_string(kNow + 30)), keys, nullptr, kNow, 30), EA_OK);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(id_token_rejected)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string good = oidc::id_claims(good_members());
    std::string d;

    // Bad signature: signed by another key under the same kid.
    Verified v = verify(id_token(good, Alg::RS256, test::keys().rsa2048b), keys);
    ck_assert_ea(v.rc, EA_ERR_BAD_SIGNATURE);
    ck_assert_ptr_null(v.token);
    std::string tok = id_token(good);
    tok[tok.size() - 5] = tok[tok.size() - 5] == 'A' ? 'B' : 'A';
    ck_assert_ea(verify(tok, keys).rc, EA_ERR_BAD_SIGNATURE);
    // Issuer: another, a trailing slash, missing.
    ck_assert_ea(check(set_member("iss", "\"https://evil.example\""), keys), EA_ERR_ISSUER);
    ck_assert_ea(check(set_member("iss", "\"https://idp.example/\""), keys), EA_ERR_ISSUER);
    ck_assert_ea(check(claims_without("iss"), keys), EA_ERR_ISSUER);
    // Audience: another, missing, several without azp, azp mismatch, azp of the wrong type.
    ck_assert_ea(check(set_member("aud", "\"client-2\""), keys), EA_ERR_AUDIENCE);
    ck_assert_ea(check(set_member("aud", "[\"client-2\",\"client-3\"]"), keys), EA_ERR_AUDIENCE);
    ck_assert_ea(check(claims_without("aud"), keys), EA_ERR_AUDIENCE);
    ck_assert_ea(check(set_member("aud", "[\"client-1\",\"other\"]"), keys, &d), EA_ERR_AUDIENCE);
    ck_assert_string(d, "aud has 2 values and azp is missing");
    ck_assert_ea(check(claims_with("\"azp\":\"other\""), keys, &d), EA_ERR_AUDIENCE);
    ck_assert_string(d, "azp \"other\" is not the client id");
    ck_assert_ea(check(set_member("aud", "[\"client-1\",\"other\"]").insert(1, "\"azp\":\"other\","), keys),
        EA_ERR_AUDIENCE);
    ck_assert_ea(check(claims_with("\"azp\":[\"client-1\"]"), keys), EA_ERR_AUDIENCE);
    // Control bytes in a claim never reach the detail raw.
    ck_assert_ea(check(claims_with("\"azp\":\"a\\r\\nb\\u0001\""), keys, &d), EA_ERR_AUDIENCE);
    ck_assert_string(d, "azp \"a\\x0d\\x0ab\\x01\" is not the client id");
    // Time.
    ck_assert_ea(check(good, keys, nullptr, kNow + 600), EA_ERR_EXPIRED);
    ck_assert_ea(check(set_member("exp", std::to_string(kNow)), keys), EA_ERR_EXPIRED);
    ck_assert_ea(check(claims_without("exp"), keys), EA_ERR_MISSING_EXP);
    ck_assert_ea(check(claims_without("iat"), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing iat");
    ck_assert_ea(check(set_member("iat", "\"now\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(set_member("iat", std::to_string(kNow + 31)), keys, nullptr, kNow, 30), EA_ERR_NOT_YET_VALID);
    ck_assert_ea(check(set_member("iat", std::to_string(kNow + 1)), keys), EA_ERR_NOT_YET_VALID);
    ck_assert_ea(check(claims_with("\"nbf\":" + std::to_string(kNow + 100)), keys), EA_ERR_NOT_YET_VALID);
    // Subject.
    ck_assert_ea(check(claims_without("sub"), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing sub");
    ck_assert_ea(check(set_member("sub", "\"\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(set_member("sub", "42"), keys), EA_ERR_BAD_CLAIM);
    // Nonce.
    ck_assert_ea(check(claims_without("nonce"), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "missing nonce");
    ck_assert_ea(check(set_member("nonce", "\"n-0S6_WzA2Mk\""), keys, &d), EA_ERR_BAD_CLAIM);
    ck_assert_string(d, "nonce mismatch");
    ck_assert_ea(check(set_member("nonce", "\"n-0S6_WzA2M\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(set_member("nonce", "\"n-0S6_WzA2Mjj\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(set_member("nonce", "\"\""), keys), EA_ERR_BAD_CLAIM);
    ck_assert_ea(check(set_member("nonce", "[\"n-0S6_WzA2Mj\"]"), keys), EA_ERR_BAD_CLAIM);
    v = verify(id_token(good), keys, kNow, 0, 0, "another-nonce");
    ck_assert_ea(v.rc, EA_ERR_BAD_CLAIM);
    ck_assert_string(v.detail, "nonce mismatch");
    // Duplicate claims.
    ck_assert_ea(check(claims_with("\"sub\":\"mallory\""), keys), EA_ERR_MALFORMED);

    // Algorithms: none, HS256 (its key is in the set), an alg outside the check's list.
    std::string none = edge_auth::base64url_encode("{\"alg\":\"none\"}") + "." + edge_auth::base64url_encode(good)
        + ".";
    ck_assert_ea(verify(none, keys).rc, EA_ERR_MALFORMED);              // no signature at all
    ck_assert_ea(verify(none + "c2ln", keys).rc, EA_ERR_ALG_NOT_ALLOWED);
    std::string hs = test::make_token("{\"alg\":\"HS256\",\"kid\":\"h1\"}", good, Alg::HS256,
        unit::hmac_signer(test::keys().hs32));
    ck_assert_ea(verify(hs, keys).rc, EA_ERR_ALG_NOT_ALLOWED);
    v = verify(hs, keys, kNow, EA_ALG_HS256);
    ck_assert_ea(v.rc, EA_ERR_ALG_NOT_ALLOWED);
    ck_assert_string(v.detail, "HMAC algorithms are not accepted for ID tokens");
    ck_assert_ea(verify(id_token(good), keys, kNow, EA_ALG_RS256 | EA_ALG_HS512).rc, EA_ERR_ALG_NOT_ALLOWED);
    ck_assert_ea(verify(id_token(good), keys, kNow, EA_ALG_ES256).rc, EA_ERR_ALG_NOT_ALLOWED);
    // Unknown kid; not a JWS; too large.
    ck_assert_ea(verify(id_token(good, Alg::RS256, nullptr, "k9"), keys).rc, EA_ERR_UNKNOWN_KEY);
    ck_assert_ea(verify("not.a.jwt", keys).rc, EA_ERR_MALFORMED);
    ck_assert_ea(verify("", keys).rc, EA_ERR_MALFORMED);
    std::string big = oidc::id_claims(good_members() + ",\"pad\":\"" + std::string(13000, 'p') + "\"");
    ck_assert_ea(verify(id_token(big), keys).rc, EA_ERR_TOKEN_TOO_LARGE);
    // No keys.
    ea_keyset_t *empty = ea_keyset_new();
    ck_assert_ea(verify(id_token(good), empty).rc, EA_ERR_NO_KEYS);
    ea_keyset_free(empty);
    ea_keyset_free(keys);
}
END_TEST

START_TEST(id_token_arguments)
{
    ea_keyset_t *keys = oidc::id_keys();
    std::string tok = id_token(oidc::id_claims(good_members()));
    ea_oidc_id_token_check_t c;
    c.issuer = s(oidc::kIssuer);
    c.client_id = s(oidc::kClientId);
    c.nonce = s(oidc::kNonce);
    c.algorithms = 0;
    c.leeway = 0;
    ea_token_t *out = reinterpret_cast<ea_token_t *>(0x1);
    char detail[128];
    ck_assert_ea(ea_oidc_id_token_verify(nullptr, keys, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(detail, "invalid arguments");
    ck_assert_ea(ea_oidc_id_token_verify(&c, nullptr, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, nullptr, 5, kNow, &out, detail, sizeof(detail)), EA_ERR_INTERNAL);
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, nullptr, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    // An empty nonce, issuer or client id would match a token without one: refused.
    c.nonce = s("");
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    c.nonce = s(oidc::kNonce);
    c.issuer = s("");
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    c.issuer = s(oidc::kIssuer);
    c.client_id = ea_str_t{nullptr, 3};
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    c.client_id = s(oidc::kClientId);
    c.leeway = 7200;
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    ck_assert_msg(std::strstr(detail, "leeway") != nullptr, "%s", detail);
    c.leeway = -1;
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    c.leeway = 0;
    c.algorithms = 1u << 20;
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, &out, detail, sizeof(detail)),
        EA_ERR_INTERNAL);
    c.algorithms = 0;
    ck_assert_ea(ea_oidc_id_token_verify(&c, keys, tok.data(), tok.size(), kNow, &out, nullptr, 0), EA_OK);
    ck_assert_ptr_nonnull(out);
    ea_token_free(out);
    ea_keyset_free(keys);
}
END_TEST

Suite *oidc_token_suite()
{
    Suite *s = suite_create("oidc_token");
    TCase *tc = tcase_create("code exchange");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, request_post_and_public);
    tcase_add_test(tc, request_basic);
    tcase_add_test(tc, request_refusals);
    tcase_add_test(tc, response_200);
    tcase_add_test(tc, response_200_refused);
    tcase_add_test(tc, response_errors);
    tcase_add_test(tc, id_token_accepted);
    tcase_add_test(tc, id_token_rejected);
    tcase_add_test(tc, id_token_arguments);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(oidc_token_suite);
