// One whole login through the C facade, in the order the nginx glue runs it: discovery, the
// login redirect (prune + start), the provider's callback (query, flow cookie), the code
// exchange (request, response, ID token), the session, and a replayed callback.

#include "oidc_flow.h"
#include "oidc_support.h"

using oidc::kNow;
using oidc::Pool;
using oidc::s;
using oidc::str;

namespace {

// The value of query parameter `name` in `url` (not decoded).
std::string query_value(const std::string &url, const std::string &name)
{
    size_t at = url.find("&" + name + "=");
    if (at == std::string::npos) {
        at = url.find("?" + name + "=");
    }
    ck_assert_msg(at != std::string::npos, "no %s in %s", name.c_str(), url.c_str());
    at += name.size() + 2;
    return url.substr(at, url.find('&', at) - at);
}

} // namespace

START_TEST(whole_login)
{
    oidc::Setup st;
    Pool pool;
    char err[256];

    // Discovery.
    std::string doc = "{\"issuer\":\"https://idp.example\",\"authorization_endpoint\":\"https://idp.example/auth\","
                      "\"token_endpoint\":\"https://idp.example/token\",\"jwks_uri\":\"https://idp.example/jwks\","
                      "\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\"]}";
    ea_str_t issuer = s(oidc::kIssuer);
    ea_oidc_metadata_t md;
    ck_assert_int_eq(ea_oidc_metadata_parse(doc.data(), doc.size(), &issuer, 0, Pool::alloc, &pool, &md, err,
                         sizeof(err)),
        0);

    // A request without a session: two stale flows are pending, one of them expired.
    std::string stale_old = oidc::sealed_flow(st, "old", kNow - 700);
    std::string stale_new = oidc::sealed_flow(st, "recent", kNow - 60);
    std::string cookies = "lang=en; " + stale_old + "; " + stale_new;
    ea_str_t h = s(cookies);
    ea_oidc_removals_t removals;
    ck_assert_int_eq(ea_oidc_flows_prune(st.sealer, st.keys, &h, 1, kNow, 600, 7, Pool::alloc, &pool, &removals), 0);
    ck_assert_uint_eq(removals.n, 1);
    ck_assert_string(str(removals.cookies[0].name), "__Host-edge_flow_old");

    ea_oidc_login_t login;
    std::memset(&login, 0, sizeof(login));
    login.authorization_endpoint = md.authorization_endpoint;
    login.client_id = s(oidc::kClientId);
    login.redirect_uri = s("https://app.example/oidc_callback");
    login.scope = s("email");
    login.issuer = md.issuer;
    login.flow_timeout = 600;
    ea_str_t location;
    ea_cookie_t flow_cookie;
    const char *wanted = "/reports/2024?tab=q3";
    ck_assert_int_eq(ea_oidc_login_start(st.sealer, st.keys, &login, wanted, std::strlen(wanted), kNow, Pool::alloc,
                         &pool, &location, &flow_cookie, err, sizeof(err)),
        0);
    std::string url = str(location);
    std::string state = query_value(url, "state");
    std::string nonce = query_value(url, "nonce");
    std::string challenge = query_value(url, "code_challenge");

    // The provider redirects back; the browser sends the flow cookie.
    std::string callback = "code=SplxlOBeZQQYbYS6WxSbIA&state=" + state + "&iss=https%3A%2F%2Fidp.example";
    ea_oidc_callback_t cb;
    ck_assert_int_eq(ea_oidc_callback_parse(callback.data(), callback.size(), Pool::alloc, &pool, &cb, err,
                         sizeof(err)),
        0);
    ck_assert_string(str(cb.iss), oidc::kIssuer);
    std::string jar = "lang=en; " + str(flow_cookie.name) + "=" + str(flow_cookie.value) + "; " + stale_new;
    ea_str_t jh = s(jar);
    ea_oidc_flow_t flow;
    char detail[160];
    ck_assert_int_eq(ea_oidc_flow_open(st.sealer, st.keys, &jh, 1, &cb.state, kNow + 20, 600, Pool::alloc, &pool, &flow,
                         detail, sizeof(detail)),
        EA_OIDC_FLOW_OK);
    ck_assert_string(str(flow.return_path), wanted);
    ck_assert_string(str(flow.issuer), str(cb.iss));
    ck_assert_string(str(flow.nonce), nonce);
    ck_assert_string(str(flow.cookie_name), str(flow_cookie.name));

    // The code exchange.
    ea_oidc_client_t client;
    client.client_id = s(oidc::kClientId);
    client.client_secret = s("s3cret");
    client.auth_method = md.token_auth_methods & EA_OIDC_AUTH_BASIC ? EA_OIDC_AUTH_BASIC : EA_OIDC_AUTH_POST;
    client.redirect_uri = login.redirect_uri;
    ea_str_t body, authorization;
    ck_assert_int_eq(ea_oidc_token_request(&client, &cb.code, &flow.code_verifier, Pool::alloc, &pool, &body,
                         &authorization),
        0);
    ck_assert(str(authorization).rfind("Basic ", 0) == 0);
    // The provider checks the verifier against the challenge it was given.
    std::string verifier = query_value("?" + str(body), "code_verifier");
    ck_assert_string(edge_auth::pkce_challenge(verifier), challenge);

    std::string claims = "{\"iss\":\"https://idp.example\",\"sub\":\"alice\",\"aud\":\"client-1\",\"exp\":"
        + std::to_string(kNow + 600) + ",\"iat\":" + std::to_string(kNow + 20) + ",\"nonce\":\"" + nonce
        + "\",\"email\":\"alice@example.com\"}";
    std::string idt = oidc::id_token(claims);
    std::string response = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"expires_in\":300,\"id_token\":\""
        + idt + "\"}";
    ea_oidc_tokens_t tokens;
    ck_assert_int_eq(ea_oidc_token_response_parse(200, response.data(), response.size(), Pool::alloc, &pool, &tokens,
                         err, sizeof(err)),
        0);
    ea_keyset_t *keys = oidc::id_keys();
    ea_oidc_id_token_check_t check;
    check.issuer = md.issuer;
    check.client_id = s(oidc::kClientId);
    check.nonce = flow.nonce;
    check.algorithms = 0;
    check.leeway = 30;
    ea_token_t *id = nullptr;
    ck_assert_int_eq(ea_oidc_id_token_verify(&check, keys, tokens.id_token.data, tokens.id_token.len, kNow + 21, &id,
                         detail, sizeof(detail)),
        EA_OK);

    // The session.
    ea_str_t names[] = {s("email")};
    ea_session_init_t init;
    std::memset(&init, 0, sizeof(init));
    init.sub = s("alice");
    init.iss = md.issuer;
    init.access_token = tokens.access_token;
    init.access_token_expires = kNow + 21 + tokens.expires_in;
    init.id_token = tokens.id_token;
    init.claims_from = id;
    init.claim_names = names;
    init.n_claim_names = 1;
    ea_session_t *session = ea_session_create(st.sealer, &init, kNow + 21, err, sizeof(err));
    ck_assert_msg(session != nullptr, "%s", err);
    ea_cookie_set_t set;
    ck_assert_int_eq(ea_session_seal(st.sealer, st.keys, session, 0, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_OK);
    ck_assert_uint_eq(set.n, 1);
    ea_session_free(session);
    ea_token_free(id);

    // The flow cookie is removed with the response; a replayed callback then finds no flow. The
    // session cookie and the other pending flow are not flow cookies of this state.
    std::string after = str(set.cookies[0].name) + "=" + str(set.cookies[0].value) + "; " + stale_new;
    ea_str_t ah = s(after);
    ck_assert_int_eq(ea_oidc_flow_open(st.sealer, st.keys, &ah, 1, &cb.state, kNow + 30, 600, Pool::alloc, &pool, &flow,
                         detail, sizeof(detail)),
        EA_OIDC_FLOW_MISSING);
    // The upstream never sees the flow cookies.
    ea_str_t prefix = ea_oidc_flow_cookie_prefix(st.sealer);
    ea_str_t session_name = s("__Host-edge");
    ea_str_t upstream;
    ck_assert_int_eq(ea_cookie_strip(&jh, 1, &session_name, 1, &prefix, 1, Pool::alloc, &pool, &upstream), 2);
    ck_assert_string(str(upstream), "lang=en");
    ea_keyset_free(keys);
}
END_TEST

Suite *oidc_login_suite()
{
    Suite *s = suite_create("oidc_login");
    TCase *tc = tcase_create("C API");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, whole_login);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(oidc_login_suite);
