// Starting a login: PKCE, the return-path check, the authorization URL, the sealed flow cookie
// (seal/open, binding, expiry, tampering) and the pruning of pending flows.

#include <algorithm>
#include <set>

#include "oidc_flow.h"
#include "oidc_support.h"
#include "seal.h"

using oidc::kNow;
using oidc::Pool;
using oidc::s;
using oidc::sealed_flow;
using oidc::Setup;
using oidc::str;

namespace {

#define ck_assert_flow(actual, expected)                                                          \
    ck_assert_msg((actual) == (expected), "status %s, expected %s", ea_oidc_flow_reason(actual), \
        ea_oidc_flow_reason(expected))

constexpr int64_t kTimeout = 600;

bool path_ok(const std::string &p)
{
    return ea_oidc_return_path_ok(p.data(), p.size()) == 1;
}

struct Opened {
    ea_oidc_flow_status_t rc;
    std::string detail;
    std::string state, nonce, verifier, return_path, issuer, cookie_name;
    int64_t created;
};

Opened open_flow(const Setup &st, const std::vector<std::string> &headers, const std::string &state,
    int64_t now = kNow, int64_t timeout = kTimeout)
{
    std::vector<ea_str_t> h;
    for (const std::string &x : headers) {
        h.push_back(s(x));
    }
    Pool pool;
    ea_oidc_flow_t f;
    char detail[160];
    std::memset(detail, 'X', sizeof(detail));
    ea_str_t sv = s(state);
    Opened o;
    o.rc = ea_oidc_flow_open(st.sealer, st.keys, h.data(), h.size(), &sv, now, timeout, Pool::alloc, &pool, &f,
        detail, sizeof(detail));
    ck_assert_ptr_nonnull(std::memchr(detail, '\0', sizeof(detail)));
    o.detail = detail;
    o.state = str(f.state);
    o.nonce = str(f.nonce);
    o.verifier = str(f.code_verifier);
    o.return_path = str(f.return_path);
    o.issuer = str(f.issuer);
    o.cookie_name = str(f.cookie_name);
    o.created = f.created;
    if (o.rc != EA_OIDC_FLOW_OK) {
        ck_assert_msg(o.state.empty() && o.verifier.empty() && o.cookie_name.empty() && o.created == 0,
            "output left set on failure");
        ck_assert_msg(!o.detail.empty(), "failure without a detail");
    }
    return o;
}

// The value of "name=value".
std::string value_of(const std::string &pair)
{
    return pair.substr(pair.find('=') + 1);
}

std::string name_of(const std::string &pair)
{
    return pair.substr(0, pair.find('='));
}

std::set<std::string> prune(const Setup &st, const std::vector<std::string> &headers, int64_t now, size_t max_pending,
    size_t *n = nullptr)
{
    std::vector<ea_str_t> h;
    for (const std::string &x : headers) {
        h.push_back(s(x));
    }
    Pool pool;
    ea_oidc_removals_t out;
    ck_assert_int_eq(ea_oidc_flows_prune(st.sealer, st.keys, h.data(), h.size(), now, kTimeout, max_pending,
                         Pool::alloc, &pool, &out),
        0);
    std::set<std::string> names;
    for (size_t i = 0; i < out.n; i++) {
        ck_assert_int_eq(out.cookies[i].remove, 1);
        ck_assert_uint_eq(out.cookies[i].value.len, 0);
        names.insert(str(out.cookies[i].name));
    }
    ck_assert_uint_eq(names.size(), out.n);   // each name once
    if (n) {
        *n = out.n;
    }
    return names;
}

// Splits a URL's query into name=value pairs (not decoded).
std::vector<std::pair<std::string, std::string>> query_pairs(const std::string &url)
{
    std::vector<std::pair<std::string, std::string>> out;
    std::string q = url.substr(url.find('?') + 1);
    size_t pos = 0;
    while (pos <= q.size()) {
        size_t amp = q.find('&', pos);
        std::string pair = q.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        size_t eq = pair.find('=');
        out.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
        if (amp == std::string::npos) {
            break;
        }
        pos = amp + 1;
    }
    return out;
}

struct Login {
    int rc;
    std::string err, location, cookie_name, cookie_value;
};

Login login(const Setup &st, ea_oidc_login_t conf, const std::string &return_path, int64_t now = kNow)
{
    Pool pool;
    ea_str_t loc;
    ea_cookie_t cookie;
    char err[256];
    Login l;
    l.rc = ea_oidc_login_start(st.sealer, st.keys, &conf, return_path.data(), return_path.size(), now, Pool::alloc,
        &pool, &loc, &cookie, err, sizeof(err));
    l.err = err;
    l.location = str(loc);
    l.cookie_name = str(cookie.name);
    l.cookie_value = str(cookie.value);
    if (l.rc != 0) {
        ck_assert_int_eq(l.rc, -1);
        ck_assert_msg(l.location.empty() && l.cookie_name.empty() && l.cookie_value.empty(), "output on failure");
        ck_assert_msg(!l.err.empty(), "failure without a message");
    } else {
        ck_assert_int_eq(cookie.remove, 0);
    }
    return l;
}

ea_oidc_login_t login_conf()
{
    ea_oidc_login_t c;
    std::memset(&c, 0, sizeof(c));
    c.authorization_endpoint = s("https://idp.example/authorize");
    c.client_id = s("my client/1");
    c.redirect_uri = s("https://app.example/oidc_callback");
    c.scope = s("profile email");
    c.extra_args = s("");
    c.issuer = s("https://idp.example");
    c.flow_timeout = kTimeout;
    return c;
}

} // namespace

START_TEST(pkce_known_vector)
{
    // RFC 7636 Appendix B.
    ck_assert_string(edge_auth::pkce_challenge(oidc::kVerifier), oidc::kChallenge);
    std::string v;
    ck_assert(edge_auth::random_tokens({{edge_auth::kVerifierBytes, &v}}));
    ck_assert_uint_eq(v.size(), 43);
    ck_assert_uint_eq(edge_auth::pkce_challenge(v).size(), 43);
    std::string a, b;
    ck_assert(edge_auth::random_tokens({{edge_auth::kStateBytes, &a}}));
    ck_assert(edge_auth::random_tokens({{edge_auth::kStateBytes, &b}}));
    ck_assert_uint_eq(a.size(), 22);
    ck_assert(a != b);

    // Several from one draw: each its own length, all different.
    std::string s, n, cv;
    ck_assert(edge_auth::random_tokens({{edge_auth::kStateBytes, &s}, {edge_auth::kNonceBytes, &n},
        {edge_auth::kVerifierBytes, &cv}}));
    ck_assert_uint_eq(s.size(), 22);
    ck_assert_uint_eq(n.size(), 22);
    ck_assert_uint_eq(cv.size(), 43);
    ck_assert(s != n);
    ck_assert(n != cv.substr(0, 22));
    // Out of range: nothing drawn.
    std::string x;
    ck_assert(!edge_auth::random_tokens({{0, &x}}));
    ck_assert(!edge_auth::random_tokens({{100, &x}, {29, &s}}));
    ck_assert(edge_auth::random_tokens({{100, &x}, {28, &s}}));
}
END_TEST

START_TEST(return_path_open_redirects)
{
    const std::string rejected[] = {
        "",
        "//evil.com",
        "///evil.com",
        "/\\evil.com",
        "/%5cevil.com",
        "/%5Cevil.com",
        "/%2F/evil.com",
        "/%2f",
        "/%09/evil.com",
        "/%0d%0aSet-Cookie:x",
        "/%00",
        "/%7f",
        "/%",
        "/%2",
        "/%zz",
        "/\t",
        "/ ",
        "/a b",
        "/%68ttp://evil.com",
        "/http://evil",
        "/HTTPS://evil.com",
        "/HTTPS:",
        "/javascript:alert(1)",
        "%01javascript:alert(1)",
        "/<script>",
        "/a>b",
        "/\"onmouseover",
        "/'x",
        "/`x",
        "/\xe3\x80\xb1" "evil.com",  // U+3031
        "/\xe3\x80\xb5" "evil.com",  // U+3035
        "/\xe3\x82\x9d" "evil.com",  // U+309D
        "/\xe3\x83\xbc" "evil.com",  // U+30FC
        "/\xef\xbd\xb0" "evil.com",  // U+FF70
        "https://evil.com",
        "https://app.example.evil.com",
        "http:evil.com",
        "evil.com",
        "a/b",
        "?x=1",
        "/a\rb",
        "/a\nb",
        "/a\r\nLocation: https://evil.com",
        std::string("/a\0b", 4),
        "/\x7f",
        "/" + std::string(1024, 'a'),
    };
    for (const std::string &p : rejected) {
        ck_assert_msg(!path_ok(p), "accepted \"%s\"", p.c_str());
    }
    const std::string accepted[] = {"/", "/a/b?x=1&y=%20z", "/path?next=http://x", "/a?next=%2Fhome%5Cx", "/a-b_c.~d", "/a/b/", "/?",
        "/a?b=c:d&e=%3F", "/%41%62", "/x#frag", "/a;b=c", "/" + std::string(1022, 'a') + "b"};
    for (const std::string &p : accepted) {
        ck_assert_msg(path_ok(p), "refused \"%s\"", p.c_str());
    }
    ck_assert_int_eq(ea_oidc_return_path_ok(nullptr, 0), 0);
    ck_assert_int_eq(ea_oidc_return_path_ok(nullptr, 5), 0);
}
END_TEST

START_TEST(cookie_prefix)
{
    Setup st;
    ea_str_t p = ea_oidc_flow_cookie_prefix(st.sealer);
    ck_assert_string(str(p), "__Host-edge_flow_");
    ea_str_t again = ea_oidc_flow_cookie_prefix(st.sealer);
    ck_assert_ptr_eq(p.data, again.data);   // owned by the sealer
    ea_str_t none = ea_oidc_flow_cookie_prefix(nullptr);
    ck_assert_uint_eq(none.len, 0);
    ck_assert_ptr_nonnull(none.data);
}
END_TEST

START_TEST(login_start_url_and_cookie)
{
    Setup st;
    Login l = login(st, login_conf(), "/orders?id=7");
    ck_assert_msg(l.rc == 0, "%s", l.err.c_str());
    const std::string base = "https://idp.example/authorize?response_type=code&client_id=my%20client%2F1"
                             "&redirect_uri=https%3A%2F%2Fapp.example%2Foidc_callback&scope=openid%20profile%20email"
                             "&state=";
    ck_assert_msg(l.location.compare(0, base.size(), base) == 0, "%s", l.location.c_str());
    auto q = query_pairs(l.location);
    ck_assert_uint_eq(q.size(), 8);
    const char *order[] = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
        "code_challenge_method"};
    for (size_t i = 0; i < 8; i++) {
        ck_assert_string(q[i].first, order[i]);
    }
    std::string state = q[4].second, nonce = q[5].second;
    ck_assert_uint_eq(state.size(), 22);
    ck_assert_uint_eq(nonce.size(), 22);
    ck_assert(state != nonce);
    ck_assert_string(q[7].second, "S256");
    ck_assert_string(l.cookie_name, "__Host-edge_flow_" + state);
    // Compact: well under 1 KiB.
    ck_assert_uint_lt(l.cookie_name.size() + 1 + l.cookie_value.size(), 400);

    Opened o = open_flow(st, {"a=b; " + l.cookie_name + "=" + l.cookie_value}, state);
    ck_assert_flow(o.rc, EA_OIDC_FLOW_OK);
    ck_assert_string(o.state, state);
    ck_assert_string(o.nonce, nonce);
    ck_assert_uint_eq(o.verifier.size(), 43);
    ck_assert_string(q[6].second, edge_auth::pkce_challenge(o.verifier));
    ck_assert_string(o.return_path, "/orders?id=7");
    ck_assert_string(o.issuer, "https://idp.example");
    ck_assert_int_eq(o.created, kNow);
    ck_assert_string(o.cookie_name, l.cookie_name);

    // Every login is a new flow.
    Login l2 = login(st, login_conf(), "/orders?id=7");
    ck_assert(l2.cookie_name != l.cookie_name);
    ck_assert(query_pairs(l2.location)[6].second != q[6].second);
}
END_TEST

START_TEST(login_start_variants)
{
    Setup st;
    // An unsafe return path becomes "/".
    Login l = login(st, login_conf(), "//evil.com/x");
    ck_assert_int_eq(l.rc, 0);
    std::string state = query_pairs(l.location)[4].second;
    ck_assert_string(open_flow(st, {l.cookie_name + "=" + l.cookie_value}, state).return_path, "/");
    l = login(st, login_conf(), "");
    ck_assert_int_eq(l.rc, 0);
    state = query_pairs(l.location)[4].second;
    ck_assert_string(open_flow(st, {l.cookie_name + "=" + l.cookie_value}, state).return_path, "/");

    // An endpoint with a query gets '&'; one ending in '?' or '&' gets nothing more.
    ea_oidc_login_t c = login_conf();
    c.authorization_endpoint = s("https://idp.example/authorize?tenant=a");
    ck_assert_msg(login(st, c, "/").location.rfind("https://idp.example/authorize?tenant=a&response_type=code&", 0)
            == 0,
        "query endpoint");
    c.authorization_endpoint = s("https://idp.example/authorize?");
    ck_assert(login(st, c, "/").location.rfind("https://idp.example/authorize?response_type=code&", 0) == 0);
    c.authorization_endpoint = s("https://idp.example/authorize?tenant=a&");
    ck_assert(login(st, c, "/").location.rfind("https://idp.example/authorize?tenant=a&response_type=code&", 0) == 0);

    // extra_args come last, verbatim; openid is not added twice; an empty scope is "openid".
    c = login_conf();
    c.extra_args = s("prompt=login&acr_values=urn%3Amace%3Aincommon");
    c.scope = s("  email openid   openid profile ");
    l = login(st, c, "/");
    ck_assert_int_eq(l.rc, 0);
    auto q = query_pairs(l.location);
    ck_assert_uint_eq(q.size(), 10);
    ck_assert_string(q[3].second, "openid%20email%20profile");
    ck_assert_string(q[8].first + "=" + q[8].second, "prompt=login");
    ck_assert_string(q[9].first + "=" + q[9].second, "acr_values=urn%3Amace%3Aincommon");
    c.scope = s("");
    ck_assert_string(query_pairs(login(st, c, "/").location)[3].second, "openid");
    // Values with every kind of byte are percent-encoded: only unreserved characters stay.
    c = login_conf();
    c.client_id = s("a+b&c=d?e#f%g~h.i_j-k");
    q = query_pairs(login(st, c, "/").location);
    ck_assert_string(q[1].second, "a%2Bb%26c%3Dd%3Fe%23f%25g~h.i_j-k");
    // http endpoints (allow_http providers) work: the metadata already decided.
    c = login_conf();
    c.authorization_endpoint = s("http://127.0.0.1:8080/auth");
    ck_assert_int_eq(login(st, c, "/").rc, 0);
}
END_TEST

START_TEST(login_start_refusals)
{
    Setup st;
    ea_oidc_login_t c = login_conf();
    c.authorization_endpoint = s("https://idp.example/authorize#frag");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c.authorization_endpoint = s("https://user@idp.example/authorize");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c.authorization_endpoint = s("/authorize");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c = login_conf();
    c.redirect_uri = s("/oidc_callback");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c = login_conf();
    c.client_id = s("");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c = login_conf();
    c.client_id = s("a\nb");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c = login_conf();
    c.scope = s("openid \"x\"");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c = login_conf();
    c.scope = s("openid\temail");
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    const char *extras[] = {"state=fixed", "a=1&nonce=x", "code_challenge_method=plain", "redirect_uri=x",
        "prompt=login#x", "prompt=log in", "prompt=\xc3\xa9", "response_type=token"};
    for (const char *e : extras) {
        c = login_conf();
        c.extra_args = s(e);
        Login l = login(st, c, "/");
        ck_assert_msg(l.rc == -1, "accepted extra_args %s", e);
    }
    c = login_conf();
    c.flow_timeout = 0;
    ck_assert_int_eq(login(st, c, "/").rc, -1);
    c = login_conf();
    c.issuer = s("https://idp.example\r\n");
    ck_assert_int_eq(login(st, c, "/").rc, -1);

    // Arguments.
    Pool pool;
    ea_str_t loc;
    ea_cookie_t cookie;
    char err[64];
    c = login_conf();
    ck_assert_int_eq(ea_oidc_login_start(nullptr, st.keys, &c, "/", 1, kNow, Pool::alloc, &pool, &loc, &cookie, err,
                         sizeof(err)),
        -1);
    ck_assert_str_eq(err, "invalid arguments");
    ck_assert_int_eq(ea_oidc_login_start(st.sealer, st.keys, &c, nullptr, 3, kNow, Pool::alloc, &pool, &loc, &cookie,
                         err, sizeof(err)),
        -1);
    ck_assert_int_eq(ea_oidc_login_start(st.sealer, st.keys, nullptr, "/", 1, kNow, Pool::alloc, &pool, &loc, &cookie,
                         err, sizeof(err)),
        -1);
    c.scope = ea_str_t{nullptr, 2};
    ck_assert_int_eq(ea_oidc_login_start(st.sealer, st.keys, &c, "/", 1, kNow, Pool::alloc, &pool, &loc, &cookie, err,
                         sizeof(err)),
        -1);
    // A NULL return path of length 0 is "/".
    c = login_conf();
    ck_assert_int_eq(ea_oidc_login_start(st.sealer, st.keys, &c, nullptr, 0, kNow, Pool::alloc, &pool, &loc, &cookie,
                         err, sizeof(err)),
        0);
    // Allocation failures.
    for (long n = 0; n < 3; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_login_start(st.sealer, st.keys, &c, "/", 1, kNow, Pool::alloc, &failing, &loc,
                             &cookie, err, sizeof(err)),
            -1);
        ck_assert_uint_eq(loc.len + cookie.name.len + cookie.value.len, 0);
    }
}
END_TEST

START_TEST(seal_open_round_trip)
{
    Setup st;
    std::string c = sealed_flow(st, "st4te-1", kNow, "/a/b?x=1", "https://idp.example", "nonce.1~");
    ck_assert_string(name_of(c), "__Host-edge_flow_st4te-1");
    Opened o = open_flow(st, {"theme=dark; " + c + "; lang=en"}, "st4te-1", kNow + 10);
    ck_assert_flow(o.rc, EA_OIDC_FLOW_OK);
    ck_assert_string(o.state, "st4te-1");
    ck_assert_string(o.nonce, "nonce.1~");
    ck_assert_string(o.verifier, oidc::kVerifier);
    ck_assert_string(o.return_path, "/a/b?x=1");
    ck_assert_string(o.issuer, "https://idp.example");
    ck_assert_int_eq(o.created, kNow);
    ck_assert_string(o.cookie_name, "__Host-edge_flow_st4te-1");
    ck_assert_string(o.detail, "");
    // Across several Cookie headers too, and with the issuer left out.
    std::string c2 = sealed_flow(st, "s2", kNow, "/", "");
    o = open_flow(st, {"a=1", c2, "b=2"}, "s2");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_OK);
    ck_assert_string(o.issuer, "");
    // A fresh IV every time.
    ck_assert(sealed_flow(st, "s2", kNow, "/", "") != c2);
    // Another key file line that still opens (rotation).
    std::string old_key = oidc::random_secret();
    Setup old_st(old_key);
    std::string sealed_by_old = sealed_flow(old_st, "rot", kNow);
    Setup rotated(oidc::random_secret() + "\n" + old_key + "\n");
    ck_assert_flow(open_flow(rotated, {sealed_by_old}, "rot").rc, EA_OIDC_FLOW_OK);
}
END_TEST

START_TEST(open_missing_and_wrong_state)
{
    Setup st;
    std::string c = sealed_flow(st, "stateA", kNow);
    Opened o = open_flow(st, {}, "stateA");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_MISSING);
    ck_assert_flow(open_flow(st, {"a=b; c=d"}, "stateA").rc, EA_OIDC_FLOW_MISSING);
    // Another state's cookie is not this state's.
    o = open_flow(st, {c}, "stateB");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_MISSING);
    ck_assert_flow(open_flow(st, {c}, "state").rc, EA_OIDC_FLOW_MISSING);
    ck_assert_flow(open_flow(st, {c}, "stateAA").rc, EA_OIDC_FLOW_MISSING);
    // A cookie renamed to another state opens, but its state differs.
    o = open_flow(st, {"__Host-edge_flow_stateB=" + value_of(c)}, "stateB");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_BAD);
    ck_assert_string(o.detail, "the flow cookie belongs to another state");
    // A state that cannot name a flow cookie.
    ck_assert_flow(open_flow(st, {c}, "").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {c}, "stateA;x").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {c}, "state A").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {c}, std::string(129, 'a')).rc, EA_OIDC_FLOW_BAD);
    // Sent twice: never picks one.
    o = open_flow(st, {c + "; " + c}, "stateA");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {c, c}, "stateA").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {c, name_of(c) + "=x"}, "stateA").rc, EA_OIDC_FLOW_BAD);
}
END_TEST

START_TEST(open_expiry)
{
    Setup st;
    std::string c = sealed_flow(st, "s", kNow);
    ck_assert_flow(open_flow(st, {c}, "s", kNow).rc, EA_OIDC_FLOW_OK);
    ck_assert_flow(open_flow(st, {c}, "s", kNow + kTimeout - 1).rc, EA_OIDC_FLOW_OK);
    Opened o = open_flow(st, {c}, "s", kNow + kTimeout);
    ck_assert_flow(o.rc, EA_OIDC_FLOW_EXPIRED);
    ck_assert_msg(o.detail.find("older than 600 s") != std::string::npos, "%s", o.detail.c_str());
    ck_assert_flow(open_flow(st, {c}, "s", kNow + 100000).rc, EA_OIDC_FLOW_EXPIRED);
    ck_assert_flow(open_flow(st, {c}, "s", kNow + 10, 10).rc, EA_OIDC_FLOW_EXPIRED);
    // Created in the future: up to 60 s of clock skew.
    ck_assert_flow(open_flow(st, {c}, "s", kNow - 60).rc, EA_OIDC_FLOW_OK);
    ck_assert_flow(open_flow(st, {c}, "s", kNow - 61).rc, EA_OIDC_FLOW_EXPIRED);
    // Huge values do not overflow.
    std::string far = sealed_flow(st, "f", 253402300799);
    ck_assert_flow(open_flow(st, {far}, "f", 253402300799, INT64_MAX).rc, EA_OIDC_FLOW_OK);
    ck_assert_flow(open_flow(st, {far}, "f", INT64_MAX, INT64_MAX).rc, EA_OIDC_FLOW_EXPIRED);
    ck_assert_flow(open_flow(st, {c}, "s", INT64_MIN, kTimeout).rc, EA_OIDC_FLOW_EXPIRED);
    // A timeout that is not positive is a caller bug.
    ck_assert_flow(open_flow(st, {c}, "s", kNow, 0).rc, EA_OIDC_FLOW_INTERNAL);
    ck_assert_flow(open_flow(st, {c}, "s", kNow, -5).rc, EA_OIDC_FLOW_INTERNAL);
}
END_TEST

START_TEST(open_tampered)
{
    Setup st;
    std::string c = sealed_flow(st, "s", kNow);
    std::string name = name_of(c), value = value_of(c);
    // Every character altered, one at a time.
    for (size_t i = 0; i < value.size(); i++) {
        std::string v = value;
        v[i] = v[i] == 'A' ? 'B' : 'A';
        Opened o = open_flow(st, {name + "=" + v}, "s");
        ck_assert_msg(o.rc == EA_OIDC_FLOW_BAD, "altered char %zu: %s", i, ea_oidc_flow_reason(o.rc));
    }
    ck_assert_flow(open_flow(st, {name + "=" + value.substr(0, value.size() - 1)}, "s").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {name + "=" + value.substr(0, 20)}, "s").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {name + "="}, "s").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {name + "=" + value + "="}, "s").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {name + "=\"" + value + "\""}, "s").rc, EA_OIDC_FLOW_BAD);
    ck_assert_flow(open_flow(st, {name + "=" + std::string(5000, 'A')}, "s").rc, EA_OIDC_FLOW_BAD);
    Opened o = open_flow(st, {name + "=" + value}, "s");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_OK);
    // Cookie headers over 64 KiB.
    ck_assert_flow(open_flow(st, {c + "; pad=" + std::string(65536, 'x')}, "s").rc, EA_OIDC_FLOW_BAD);
}
END_TEST

START_TEST(open_binding)
{
    std::string key = oidc::random_secret();
    Setup st(key);
    Setup other_provider(key, "other");
    Setup other_realm(key, "corp", "__Host-edge", "app.example");
    Setup other_cookie(key, "corp", "__Host-other");
    Setup other_key;
    std::string c = sealed_flow(st, "s", kNow);
    ck_assert_flow(open_flow(st, {c}, "s").rc, EA_OIDC_FLOW_OK);
    // Same key file, another provider or realm: the seal does not open.
    Opened o = open_flow(other_provider, {c}, "s");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_BAD);
    ck_assert_string(o.detail, "authentication failed");
    ck_assert_flow(open_flow(other_realm, {c}, "s").rc, EA_OIDC_FLOW_BAD);
    // Another cookie name: not even found, and renamed it does not open either.
    ck_assert_flow(open_flow(other_cookie, {c}, "s").rc, EA_OIDC_FLOW_MISSING);
    ck_assert_flow(open_flow(other_cookie, {"__Host-other_flow_s=" + value_of(c)}, "s").rc, EA_OIDC_FLOW_BAD);
    // Another key file.
    o = open_flow(other_key, {c}, "s");
    ck_assert_flow(o.rc, EA_OIDC_FLOW_BAD);
    ck_assert_msg(o.detail.find("no session key has key id") != std::string::npos, "%s", o.detail.c_str());

    // A session cookie (session key, session context) never opens as a flow cookie.
    Pool pool;
    char err[256];
    const std::string doc = "{\"sub\":\"a\",\"iss\":\"b\"}";
    ea_session_t *session = ea_session_from_json(st.sealer, doc.data(), doc.size(), kNow, err, sizeof(err));
    ck_assert_msg(session != nullptr, "%s", err);
    ea_cookie_set_t set;
    char detail[128];
    ck_assert_int_eq(ea_session_seal(st.sealer, st.keys, session, 0, Pool::alloc, &pool, &set, detail, sizeof(detail)),
        EA_SESSION_OK);
    ea_session_free(session);
    ck_assert_flow(open_flow(st, {"__Host-edge_flow_s=" + str(set.cookies[0].value)}, "s").rc, EA_OIDC_FLOW_BAD);
    // And a flow cookie never opens as a session.
    std::string as_session = "__Host-edge=" + value_of(c);
    ea_str_t h = s(as_session);
    ea_session_cookies_t jar;
    ck_assert_int_eq(ea_session_cookies_find(st.sealer, &h, 1, &jar, detail, sizeof(detail)), EA_SESSION_OK);
    ea_session_t *out = nullptr;
    ck_assert_int_eq(ea_session_open(st.sealer, st.keys, &jar, kNow, &out, detail, sizeof(detail)),
        EA_SESSION_ERR_BAD_SEAL);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(open_bad_documents)
{
    // Authentic plaintexts that are not valid flows: sealed here exactly as seal_flow would.
    std::string key = oidc::random_secret();
    Setup st(key);
    std::string e;
    std::unique_ptr<edge_auth::SessionKeys> keys = edge_auth::SessionKeys::load(key, e);
    ck_assert_ptr_nonnull(keys.get());
    std::string context = edge_auth::flow_seal_context("corp", "__Host-edge", "");
    auto seal = [&](const std::string &plain, unsigned char parts = 1) {
        std::string sealed;
        ck_assert(edge_auth::seal_value(keys->sealing(), edge_auth::KeyPurpose::FlowState, parts, context, plain,
            sealed));
        return "__Host-edge_flow_s=" + edge_auth::base64url_encode(sealed);
    };
    std::string good = "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier)
        + "\",\"rp\":\"/\",\"t\":" + std::to_string(kNow) + "}";
    ck_assert_flow(open_flow(st, {seal(good)}, "s").rc, EA_OIDC_FLOW_OK);
    // Unknown members are ignored, like the session document's.
    ck_assert_flow(open_flow(st, {seal(good.substr(0, good.size() - 1) + ",\"x\":[1]}")}, "s").rc, EA_OIDC_FLOW_OK);
    const std::string bad[] = {
        "",
        "[]",
        "{\"v\":1}",
        "{\"v\":2,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"t\":1}",
        "{\"v\":\"1\",\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"t\":1}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"short\",\"rp\":\"/\",\"t\":1}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"//evil\",\"t\":1}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"t\":1}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"t\":0}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"t\":1.5}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\"}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"iss\":5,\"t\":1}",
        "{\"v\":1,\"st\":\"s\",\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier)
            + "\",\"rp\":\"/\",\"t\":1}",
        "{\"v\":1,\"st\":\"t\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"t\":1}",
        "{\"v\":1,\"st\":\"s\",\"n\":\"n\",\"cv\":\"" + std::string(oidc::kVerifier) + "\",\"rp\":\"/\",\"t\":1,"
            + "\"deep\":{\"a\":{}}}",
    };
    for (const std::string &p : bad) {
        Opened o = open_flow(st, {seal(p)}, "s", 100);
        ck_assert_msg(o.rc == EA_OIDC_FLOW_BAD, "accepted %s: %s", p.c_str(), ea_oidc_flow_reason(o.rc));
    }
    // A multi-part envelope is not a flow cookie.
    ck_assert_flow(open_flow(st, {seal(good, 2)}, "s").rc, EA_OIDC_FLOW_BAD);
}
END_TEST

START_TEST(flow_seal_rules)
{
    Setup st;
    Pool pool;
    ea_cookie_t c;
    char err[256];
    auto try_seal = [&](const std::string &state, const std::string &nonce, const std::string &verifier,
                        const std::string &path, const std::string &issuer, int64_t created) {
        ea_oidc_flow_t f = oidc::flow(state, nonce, path, issuer, created);
        f.code_verifier = s(verifier);
        int rc = ea_oidc_flow_seal(st.sealer, st.keys, &f, Pool::alloc, &pool, &c, err, sizeof(err));
        if (rc != 0) {
            ck_assert_uint_eq(c.name.len + c.value.len, 0);
        }
        return rc;
    };
    const std::string v = oidc::kVerifier;
    ck_assert_int_eq(try_seal("s", "n", v, "/", "", kNow), 0);
    ck_assert_int_eq(try_seal(std::string(128, 's'), std::string(128, 'n'), std::string(128, 'v'), "/", "", kNow), 0);
    ck_assert_int_eq(try_seal("", "n", v, "/", "", kNow), -1);
    ck_assert_msg(std::strstr(err, "state") != nullptr, "%s", err);
    ck_assert_int_eq(try_seal(std::string(129, 's'), "n", v, "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("a;b", "n", v, "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("a=b", "n", v, "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "", v, "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n n", v, "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v.substr(0, 42), "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", std::string(129, 'v'), "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v.substr(0, 42) + "+", "/", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "//evil.com", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "", "", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "/", "https://idp\n", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "/", std::string(1025, 'i'), kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "/", "\xff\xfe", kNow), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "/", "", 0), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "/", "", -1), -1);
    ck_assert_int_eq(try_seal("s", "n", v, "/", "", 253402300800), -1);
    // The largest flow still fits one cookie.
    ck_assert_int_eq(try_seal(std::string(128, 's'), std::string(128, 'n'), std::string(128, 'v'),
                         "/" + std::string(1023, 'p'), std::string(1024, 'i'), kNow),
        0);
    ck_assert_uint_le(c.name.len + 1 + c.value.len, 4000);

    ea_oidc_flow_t f = oidc::flow("s", "n", "/", "", kNow);
    ck_assert_int_eq(ea_oidc_flow_seal(nullptr, st.keys, &f, Pool::alloc, &pool, &c, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "invalid arguments");
    ck_assert_int_eq(ea_oidc_flow_seal(st.sealer, nullptr, &f, Pool::alloc, &pool, &c, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_oidc_flow_seal(st.sealer, st.keys, nullptr, Pool::alloc, &pool, &c, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_oidc_flow_seal(st.sealer, st.keys, &f, nullptr, &pool, &c, err, sizeof(err)), -1);
    f.nonce = ea_str_t{nullptr, 1};
    ck_assert_int_eq(ea_oidc_flow_seal(st.sealer, st.keys, &f, Pool::alloc, &pool, &c, err, sizeof(err)), -1);
    f = oidc::flow("s", "n", "/", "", kNow);
    for (long n = 0; n < 2; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_flow_seal(st.sealer, st.keys, &f, Pool::alloc, &failing, &c, err, sizeof(err)), -1);
        ck_assert_uint_eq(c.name.len + c.value.len, 0);
    }
}
END_TEST

START_TEST(open_arguments)
{
    Setup st;
    std::string c = sealed_flow(st, "s", kNow);
    ea_str_t h = s(c);
    ea_str_t state = s("s");
    Pool pool;
    ea_oidc_flow_t f;
    char detail[64];
    ck_assert_flow(ea_oidc_flow_open(nullptr, st.keys, &h, 1, &state, kNow, kTimeout, Pool::alloc, &pool, &f, detail,
                       sizeof(detail)),
        EA_OIDC_FLOW_INTERNAL);
    ck_assert_str_eq(detail, "invalid arguments");
    ck_assert_flow(ea_oidc_flow_open(st.sealer, st.keys, nullptr, 1, &state, kNow, kTimeout, Pool::alloc, &pool, &f,
                       detail, sizeof(detail)),
        EA_OIDC_FLOW_INTERNAL);
    ck_assert_flow(ea_oidc_flow_open(st.sealer, st.keys, &h, 1, nullptr, kNow, kTimeout, Pool::alloc, &pool, &f,
                       detail, sizeof(detail)),
        EA_OIDC_FLOW_INTERNAL);
    ea_str_t null_header = {nullptr, 4};
    ck_assert_flow(ea_oidc_flow_open(st.sealer, st.keys, &null_header, 1, &state, kNow, kTimeout, Pool::alloc, &pool,
                       &f, detail, sizeof(detail)),
        EA_OIDC_FLOW_INTERNAL);
    ck_assert_flow(ea_oidc_flow_open(st.sealer, st.keys, nullptr, 0, &state, kNow, kTimeout, Pool::alloc, &pool, &f,
                       detail, sizeof(detail)),
        EA_OIDC_FLOW_MISSING);
    ck_assert_flow(ea_oidc_flow_open(st.sealer, st.keys, &h, 1, &state, kNow, kTimeout, Pool::alloc, &pool, &f, nullptr,
                       0),
        EA_OIDC_FLOW_OK);
    for (long n = 0; n < 6; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_flow(ea_oidc_flow_open(st.sealer, st.keys, &h, 1, &state, kNow, kTimeout, Pool::alloc, &failing, &f,
                           detail, sizeof(detail)),
            EA_OIDC_FLOW_INTERNAL);
        ck_assert_uint_eq(f.state.len + f.nonce.len + f.code_verifier.len + f.return_path.len + f.cookie_name.len, 0);
        ck_assert_str_eq(detail, "internal error");
    }
    const char *reasons[] = {"ok", "flow_missing", "flow_bad", "flow_expired", "internal"};
    for (int i = 0; i <= EA_OIDC_FLOW_INTERNAL; i++) {
        ck_assert_str_eq(ea_oidc_flow_reason(static_cast<ea_oidc_flow_status_t>(i)), reasons[i]);
    }
    ck_assert_str_eq(ea_oidc_flow_reason(static_cast<ea_oidc_flow_status_t>(99)), "internal");
    ck_assert_str_eq(ea_oidc_flow_reason(static_cast<ea_oidc_flow_status_t>(-1)), "internal");
}
END_TEST

START_TEST(prune_expiry_and_cap)
{
    Setup st;
    std::string a = sealed_flow(st, "a", kNow - 300);
    std::string b = sealed_flow(st, "b", kNow - 200);
    std::string c = sealed_flow(st, "c", kNow - 100);
    std::string old = sealed_flow(st, "old", kNow - kTimeout);     // expired exactly now
    std::string future = sealed_flow(st, "fut", kNow + 61);         // beyond the skew
    std::string junk = "__Host-edge_flow_junk=AAAA";
    std::string renamed = "__Host-edge_flow_z=" + value_of(a);     // opens, state differs
    std::string session = "__Host-edge=whatever; __Host-edge.1=x";  // not flow cookies
    std::vector<std::string> headers = {"x=1; " + a + "; " + session, b + "; " + old, c + "; " + junk + "; " + future,
        renamed};

    std::set<std::string> r = prune(st, headers, kNow, 10);
    ck_assert(r == (std::set<std::string>{"__Host-edge_flow_old", "__Host-edge_flow_fut", "__Host-edge_flow_junk",
                       "__Host-edge_flow_z"}));
    // Cap 3: one more must fit, so only two of a, b, c stay: the oldest (a) goes.
    r = prune(st, headers, kNow, 3);
    ck_assert_uint_eq(r.size(), 5);
    ck_assert(r.count("__Host-edge_flow_a") == 1 && r.count("__Host-edge_flow_b") == 0
        && r.count("__Host-edge_flow_c") == 0);
    r = prune(st, headers, kNow, 2);
    ck_assert(r.count("__Host-edge_flow_a") == 1 && r.count("__Host-edge_flow_b") == 1
        && r.count("__Host-edge_flow_c") == 0);
    r = prune(st, headers, kNow, 1);
    ck_assert(r.count("__Host-edge_flow_a") && r.count("__Host-edge_flow_b") && r.count("__Host-edge_flow_c"));
    r = prune(st, headers, kNow, 0);
    ck_assert_uint_eq(r.size(), 7);
    // Later, b expires too.
    r = prune(st, {b, c}, kNow - 200 + kTimeout, 10);
    ck_assert(r == std::set<std::string>{"__Host-edge_flow_b"});
    // Nothing to do.
    ck_assert(prune(st, {}, kNow, 5).empty());
    ck_assert(prune(st, {"a=1; " + session}, kNow, 5).empty());
    ck_assert(prune(st, {a, b}, kNow, 3).empty());
    // Same creation time: the name decides, so the result is stable.
    std::string p = sealed_flow(st, "p", kNow), q = sealed_flow(st, "q", kNow);
    ck_assert(prune(st, {q + "; " + p}, kNow, 2) == std::set<std::string>{"__Host-edge_flow_p"});
}
END_TEST

START_TEST(prune_duplicates_names_and_limit)
{
    Setup st;
    std::string a = sealed_flow(st, "a", kNow);
    // A name sent twice is removed, even if one of the values is good.
    ck_assert(prune(st, {a + "; " + a}, kNow, 5) == std::set<std::string>{"__Host-edge_flow_a"});
    ck_assert(prune(st, {a, "__Host-edge_flow_a=x"}, kNow, 5) == std::set<std::string>{"__Host-edge_flow_a"});
    // Names that cannot be written back are skipped; a bare prefix is a (bad) flow name.
    std::set<std::string> r = prune(st, {"__Host-edge_flow_a(b)=x; __Host-edge_flow_\xc3\xa9=x; __Host-edge_flow_=x"},
        kNow, 5);
    ck_assert(r == std::set<std::string>{"__Host-edge_flow_"});
    // At most EA_OIDC_MAX_REMOVALS.
    std::string many;
    for (int i = 0; i < 40; i++) {
        many += "__Host-edge_flow_j" + std::to_string(i) + "=junk; ";
    }
    size_t n = 0;
    prune(st, {many}, kNow, 5, &n);
    ck_assert_uint_eq(n, EA_OIDC_MAX_REMOVALS);

    // Arguments and allocation failure.
    ea_str_t h = s(many);
    Pool pool;
    ea_oidc_removals_t out;
    ck_assert_int_eq(ea_oidc_flows_prune(nullptr, st.keys, &h, 1, kNow, kTimeout, 5, Pool::alloc, &pool, &out), -1);
    ck_assert_int_eq(ea_oidc_flows_prune(st.sealer, st.keys, &h, 1, kNow, 0, 5, Pool::alloc, &pool, &out), -1);
    ck_assert_int_eq(ea_oidc_flows_prune(st.sealer, st.keys, nullptr, 1, kNow, kTimeout, 5, Pool::alloc, &pool, &out),
        -1);
    ck_assert_int_eq(ea_oidc_flows_prune(st.sealer, st.keys, &h, 1, kNow, kTimeout, 5, nullptr, &pool, &out), -1);
    ck_assert_int_eq(ea_oidc_flows_prune(st.sealer, st.keys, nullptr, 0, kNow, kTimeout, 5, Pool::alloc, &pool, &out),
        0);
    ck_assert_uint_eq(out.n, 0);
    Pool failing;
    failing.fail_after = 3;
    ck_assert_int_eq(ea_oidc_flows_prune(st.sealer, st.keys, &h, 1, kNow, kTimeout, 5, Pool::alloc, &failing, &out),
        -1);
    ck_assert_uint_eq(out.n, 0);
}
END_TEST

Suite *oidc_flow_suite()
{
    Suite *s = suite_create("oidc_flow");
    TCase *tc = tcase_create("login flow");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pkce_known_vector);
    tcase_add_test(tc, return_path_open_redirects);
    tcase_add_test(tc, cookie_prefix);
    tcase_add_test(tc, login_start_url_and_cookie);
    tcase_add_test(tc, login_start_variants);
    tcase_add_test(tc, login_start_refusals);
    tcase_add_test(tc, seal_open_round_trip);
    tcase_add_test(tc, open_missing_and_wrong_state);
    tcase_add_test(tc, open_expiry);
    tcase_add_test(tc, open_tampered);
    tcase_add_test(tc, open_binding);
    tcase_add_test(tc, open_bad_documents);
    tcase_add_test(tc, flow_seal_rules);
    tcase_add_test(tc, open_arguments);
    tcase_add_test(tc, prune_expiry_and_cap);
    tcase_add_test(tc, prune_duplicates_names_and_limit);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(oidc_flow_suite);
