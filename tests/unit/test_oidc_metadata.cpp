// OIDC discovery documents (ea_oidc_metadata_parse) and the URL check every endpoint and issuer
// passes (ea_oidc_url_ok).

#include "oidc_metadata.h"
#include "oidc_support.h"

using oidc::Pool;
using oidc::s;
using oidc::str;

namespace {

const char *const kIss = "https://idp.example";

std::string doc_with(const std::string &members)
{
    return "{\"issuer\":\"https://idp.example\",\"authorization_endpoint\":\"https://idp.example/authorize\","
           "\"token_endpoint\":\"https://idp.example/token\",\"jwks_uri\":\"https://idp.example/jwks\""
        + std::string(members.empty() ? "" : ",") + members + "}";
}

// Runs the facade; returns the error line ("" on success).
std::string parse(const std::string &doc, ea_oidc_metadata_t *out = nullptr, const char *issuer = kIss,
    int allow_http = 0)
{
    Pool pool;
    ea_oidc_metadata_t md;
    char err[256];
    ea_str_t iss = s(issuer);
    int rc = ea_oidc_metadata_parse(doc.data(), doc.size(), &iss, allow_http, Pool::alloc, &pool, &md, err,
        sizeof(err));
    if (rc == 0) {
        ck_assert_str_eq(err, "");
        if (out) {
            *out = md;
            // The strings outlive the pool only as copies.
            static std::vector<std::string> keep;
            auto hold = [](ea_str_t &v) {
                keep.push_back(str(v));
                v = s(keep.back());
            };
            keep.clear();
            keep.reserve(8);
            hold(out->issuer);
            hold(out->authorization_endpoint);
            hold(out->token_endpoint);
            hold(out->jwks_uri);
            hold(out->userinfo_endpoint);
            hold(out->end_session_endpoint);
        }
        return "";
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(std::strlen(err) > 0, "an error without a message");
    // Failure leaves the output empty.
    ck_assert_uint_eq(md.issuer.len + md.token_endpoint.len + md.jwks_uri.len, 0);
    return err;
}

bool url_ok(const char *url, int allow_http = 0)
{
    ea_str_t u = s(url);
    return ea_oidc_url_ok(&u, allow_http) == 1;
}

} // namespace

START_TEST(full_document)
{
    std::string doc = doc_with(
        "\"userinfo_endpoint\":\"https://idp.example/userinfo\",\"end_session_endpoint\":\"https://idp.example/"
        "logout?x=1\",\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\",\"client_secret_post\","
        "\"client_secret_basic\"],\"authorization_response_iss_parameter_supported\":true,"
        "\"response_types_supported\":[\"code\"],\"mtls_endpoint_aliases\":{\"token_endpoint\":\"x\"}");
    ea_oidc_metadata_t md;
    ck_assert_string(parse(doc, &md), "");
    ck_assert_string(str(md.issuer), kIss);
    ck_assert_string(str(md.authorization_endpoint), "https://idp.example/authorize");
    ck_assert_string(str(md.token_endpoint), "https://idp.example/token");
    ck_assert_string(str(md.jwks_uri), "https://idp.example/jwks");
    ck_assert_string(str(md.userinfo_endpoint), "https://idp.example/userinfo");
    ck_assert_string(str(md.end_session_endpoint), "https://idp.example/logout?x=1");
    ck_assert_uint_eq(md.token_auth_methods, EA_OIDC_AUTH_BASIC | EA_OIDC_AUTH_POST);
    ck_assert_int_eq(md.iss_parameter_supported, 1);
}
END_TEST

START_TEST(minimal_document_defaults)
{
    ea_oidc_metadata_t md;
    ck_assert_string(parse(doc_with(""), &md), "");
    ck_assert_uint_eq(md.userinfo_endpoint.len, 0);
    ck_assert_uint_eq(md.end_session_endpoint.len, 0);
    // Absent: client_secret_basic, the spec's default.
    ck_assert_uint_eq(md.token_auth_methods, EA_OIDC_AUTH_BASIC);
    ck_assert_int_eq(md.iss_parameter_supported, 0);

    ck_assert_string(parse(doc_with("\"token_endpoint_auth_methods_supported\":[\"client_secret_post\"]"), &md), "");
    ck_assert_uint_eq(md.token_auth_methods, EA_OIDC_AUTH_POST);
    // Present but naming neither: no bits.
    ck_assert_string(parse(doc_with("\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"]"), &md), "");
    ck_assert_uint_eq(md.token_auth_methods, 0);
    ck_assert_string(parse(doc_with("\"token_endpoint_auth_methods_supported\":[]"), &md), "");
    ck_assert_uint_eq(md.token_auth_methods, 0);
    ck_assert_string(parse(doc_with("\"authorization_response_iss_parameter_supported\":false"), &md), "");
    ck_assert_int_eq(md.iss_parameter_supported, 0);
}
END_TEST

START_TEST(issuer_must_match_exactly)
{
    std::string e = parse(doc_with(""), nullptr, "https://idp.example/");
    ck_assert_msg(e.find("differs from the configured issuer") != std::string::npos, "%s", e.c_str());
    std::string trailing = "{\"issuer\":\"https://idp.example/\",\"authorization_endpoint\":\"https://idp.example/a\","
                           "\"token_endpoint\":\"https://idp.example/t\",\"jwks_uri\":\"https://idp.example/j\"}";
    e = parse(trailing);
    ck_assert_msg(e.find("differs") != std::string::npos, "%s", e.c_str());
    ck_assert_string(parse(trailing, nullptr, "https://idp.example/"), "");
    ck_assert(parse(doc_with(""), nullptr, "https://IDP.example") != "");
    ck_assert(parse(doc_with(""), nullptr, "https://idp.example:443") != "");
    // No issuer configured: refused, not "anything goes".
    ck_assert(parse(doc_with(""), nullptr, "") != "");
    // The issuer itself: no query, and a URL.
    std::string query = "{\"issuer\":\"https://idp.example?x=1\",\"authorization_endpoint\":\"https://a.example/a\","
                        "\"token_endpoint\":\"https://a.example/t\",\"jwks_uri\":\"https://a.example/j\"}";
    ck_assert(parse(query, nullptr, "https://idp.example?x=1") != "");
    std::string plain = "{\"issuer\":\"idp\",\"authorization_endpoint\":\"https://a.example/a\","
                        "\"token_endpoint\":\"https://a.example/t\",\"jwks_uri\":\"https://a.example/j\"}";
    ck_assert(parse(plain, nullptr, "idp") != "");
}
END_TEST

START_TEST(http_needs_allow_http)
{
    std::string doc = doc_with("").replace(doc_with("").find("https://idp.example/token"), 25,
        "http://idp.example/token");
    std::string e = parse(doc);
    ck_assert_msg(e.find("\"token_endpoint\" is not an absolute https URL") != std::string::npos, "%s", e.c_str());
    ck_assert_string(parse(doc, nullptr, kIss, 1), "");

    std::string all_http = "{\"issuer\":\"http://127.0.0.1:8080\",\"authorization_endpoint\":\"http://127.0.0.1:8080/a\","
                           "\"token_endpoint\":\"http://127.0.0.1:8080/t\",\"jwks_uri\":\"http://127.0.0.1:8080/j\"}";
    ck_assert(parse(all_http, nullptr, "http://127.0.0.1:8080") != "");
    ck_assert_string(parse(all_http, nullptr, "http://127.0.0.1:8080", 1), "");
    // Optional endpoints follow the same rule.
    ck_assert(parse(doc_with("\"userinfo_endpoint\":\"http://idp.example/u\"")) != "");
    ck_assert(parse(doc_with("\"end_session_endpoint\":\"http://idp.example/l\"")) != "");
}
END_TEST

START_TEST(duplicates_and_shape)
{
    std::string e = parse(doc_with("\"jwks_uri\":\"https://evil.example/jwks\""));
    ck_assert_string(e, "duplicate JSON member");
    e = parse(doc_with("\"iss\\u0075er\":\"https://idp.example\""));
    ck_assert_string(e, "duplicate JSON member");
    ck_assert_string(parse("[1,2]"), "JSON is not an object");
    ck_assert_string(parse("\"x\""), "invalid JSON");
    ck_assert_string(parse("{"), "invalid JSON");
    ck_assert_string(parse(""), "invalid JSON");
    ck_assert_string(parse(doc_with("") + "x"), "invalid JSON");
}
END_TEST

START_TEST(required_and_typed_members)
{
    const char *names[] = {"authorization_endpoint", "token_endpoint", "jwks_uri"};
    const char *members[] = {"\"authorization_endpoint\":\"https://idp.example/authorize\"",
        "\"token_endpoint\":\"https://idp.example/token\"", "\"jwks_uri\":\"https://idp.example/jwks\""};
    for (int leave_out = 0; leave_out < 3; leave_out++) {
        std::string doc = "{\"issuer\":\"https://idp.example\"";
        for (int i = 0; i < 3; i++) {
            if (i != leave_out) {
                doc += std::string(",") + members[i];
            }
        }
        doc += "}";
        ck_assert_string(parse(doc), std::string("\"") + names[leave_out] + "\" is missing");
        std::string typed = doc_with("").replace(doc_with("").find(members[leave_out]),
            std::strlen(members[leave_out]), std::string("\"") + names[leave_out] + "\":true");
        ck_assert_string(parse(typed), std::string("\"") + names[leave_out] + "\" is not a string");
    }
    ck_assert_string(parse("{\"authorization_endpoint\":\"https://a.example/\"}"), "\"issuer\" is missing");
    ck_assert_string(parse("{\"issuer\":5}"), "\"issuer\" is not a string");
    ck_assert_string(parse(doc_with("\"userinfo_endpoint\":null")), "\"userinfo_endpoint\" is not a string");
    ck_assert_string(parse(doc_with("\"end_session_endpoint\":[]")), "\"end_session_endpoint\" is not a string");
    ck_assert_string(parse(doc_with("\"token_endpoint_auth_methods_supported\":\"client_secret_basic\"")),
        "\"token_endpoint_auth_methods_supported\" is not an array");
    ck_assert_string(parse(doc_with("\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\",1]")),
        "\"token_endpoint_auth_methods_supported\" has a member that is not a string");
    ck_assert_string(parse(doc_with("\"authorization_response_iss_parameter_supported\":\"true\"")),
        "\"authorization_response_iss_parameter_supported\" is not a boolean");
    ck_assert_string(parse(doc_with("\"authorization_response_iss_parameter_supported\":1")),
        "\"authorization_response_iss_parameter_supported\" is not a boolean");
}
END_TEST

START_TEST(bad_endpoints)
{
    const char *bad[] = {"https://user@idp.example/a", "https://user:pw@idp.example/a", "https://idp.example/a#frag",
        "https://idp.example/a#", "https:///a", "https://", "/authorize", "idp.example/a", "https://idp.example/a b",
        "https://idp.example/\\a", "ftp://idp.example/a", "javascript:alert(1)"};
    for (const char *u : bad) {
        std::string doc = doc_with("\"userinfo_endpoint\":\"" + std::string(u) + "\"");
        if (std::strchr(u, '\\')) {
            doc = doc_with("\"userinfo_endpoint\":\"https://idp.example/\\\\a\"");
        }
        std::string e = parse(doc);
        ck_assert_msg(e.find("\"userinfo_endpoint\" is not an absolute https URL") != std::string::npos, "%s: %s", u,
            e.c_str());
    }
    // A control character from the document is escaped in the message.
    std::string e = parse(doc_with("\"userinfo_endpoint\":\"https://idp.example/\\r\\nX\""));
    ck_assert_msg(e.find("\\x0d\\x0a") != std::string::npos && e.find('\r') == std::string::npos, "%s", e.c_str());
}
END_TEST

START_TEST(size_cap)
{
    std::string base = doc_with("\"pad\":\"\"");
    std::string doc = doc_with("\"pad\":\"" + std::string(65536 - base.size(), 'a') + "\"");
    ck_assert_uint_eq(doc.size(), 65536);
    ck_assert_string(parse(doc), "");
    doc = doc_with("\"pad\":\"" + std::string(65537 - base.size(), 'a') + "\"");
    std::string e = parse(doc);
    ck_assert_msg(e.find("over the cap of 65536") != std::string::npos, "%s", e.c_str());
}
END_TEST

START_TEST(facade_arguments)
{
    Pool pool;
    ea_oidc_metadata_t md;
    char err[64];
    ea_str_t iss = s(kIss);
    std::string doc = doc_with("");
    ck_assert_int_eq(ea_oidc_metadata_parse(nullptr, 5, &iss, 0, Pool::alloc, &pool, &md, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "invalid arguments");
    ck_assert_int_eq(ea_oidc_metadata_parse(doc.data(), doc.size(), nullptr, 0, Pool::alloc, &pool, &md, err,
                         sizeof(err)),
        -1);
    ea_str_t null_iss = {nullptr, 3};
    ck_assert_int_eq(ea_oidc_metadata_parse(doc.data(), doc.size(), &null_iss, 0, Pool::alloc, &pool, &md, err,
                         sizeof(err)),
        -1);
    ck_assert_int_eq(ea_oidc_metadata_parse(doc.data(), doc.size(), &iss, 0, nullptr, &pool, &md, err, sizeof(err)),
        -1);
    ck_assert_int_eq(ea_oidc_metadata_parse(doc.data(), doc.size(), &iss, 0, Pool::alloc, &pool, nullptr, err,
                         sizeof(err)),
        -1);
    // Allocation failure at every step: -1, output empty, never a crash.
    for (long n = 0; n < 4; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_metadata_parse(doc.data(), doc.size(), &iss, 0, Pool::alloc, &failing, &md, err,
                             sizeof(err)),
            -1);
        ck_assert_uint_eq(md.issuer.len + md.authorization_endpoint.len + md.token_endpoint.len + md.jwks_uri.len, 0);
        ck_assert_str_eq(err, "internal error (out of memory?)");
    }
    // A tiny error buffer is truncated, still terminated; none at all is fine.
    char tiny[6];
    ck_assert_int_eq(ea_oidc_metadata_parse("{", 1, &iss, 0, Pool::alloc, &pool, &md, tiny, sizeof(tiny)), -1);
    ck_assert_int_eq(std::strlen(tiny), 5);
    ck_assert_int_eq(ea_oidc_metadata_parse("{", 1, &iss, 0, Pool::alloc, &pool, &md, nullptr, 0), -1);
}
END_TEST

START_TEST(url_check)
{
    const char *good[] = {"https://idp.example", "https://idp.example/", "https://idp.example/realms/a/protocol",
        "https://idp.example:8443/x?y=1&z=%2F", "https://127.0.0.1/", "https://[::1]:8443/x", "https://[2001:db8::1]",
        "https://a-b.c.example/~user/x(1)/*;p=v,w!$'@:", "https://app_web_1:8080/cb", "https://idp.example?x"};
    for (const char *u : good) {
        ck_assert_msg(url_ok(u), "refused %s", u);
        ck_assert_msg(url_ok(u, 1), "refused %s with http allowed", u);
    }
    ck_assert(!url_ok("http://idp.example/"));
    ck_assert(url_ok("http://idp.example/", 1));
    ck_assert(url_ok("http://localhost:8080/cb", 1));
    const char *bad[] = {"", "https://", "https:///x", "https://:443/", "https://u@h/", "https://@h/",
        "https://h/#f", "https://h#f", "https://h/ x", "https://h/\tx", "https:// h/", "HTTPS://h/", "Https://h/",
        "ftp://h/", "https:h", "//h/x", "https:/h", "https://h:0/", "https://h:65536/", "https://h:/",
        "https://h:123456/", "https://h:80a/", "https://h/%zz", "https://h/%2", "https://h/%", "https://h/\\x",
        "https://h\\x/", "https://h/<x>", "https://h/\"", "https://h/{x}", "https://h/a|b", "https://h/`",
        "https://h/\x7f", "https://h/\xc3\xa9", "https://h\xc3\xa9/", "https://.h/", "https://-h/", "https://a..b/",
        "https://[::1/", "https://[zz]/", "https://[::1]x/", "https://h/[x]", "https://h/a\r\nb",
        "https://h/\x01"};
    for (const char *u : bad) {
        ck_assert_msg(!url_ok(u, 1), "accepted \"%s\"", u);
    }
    std::string nul("https://h/\0x", 12);
    ea_str_t v = s(nul);
    ck_assert_int_eq(ea_oidc_url_ok(&v, 1), 0);
    std::string huge = "https://h/" + std::string(4096, 'a');
    ck_assert(!url_ok(huge.c_str()));
    ck_assert(url_ok(huge.substr(0, 4096).c_str()));
    ck_assert_int_eq(ea_oidc_url_ok(nullptr, 1), 0);
    ea_str_t null_data = {nullptr, 4};
    ck_assert_int_eq(ea_oidc_url_ok(&null_data, 1), 0);
    ea_str_t empty = {nullptr, 0};
    ck_assert_int_eq(ea_oidc_url_ok(&empty, 1), 0);
}
END_TEST

Suite *oidc_metadata_suite()
{
    Suite *s = suite_create("oidc_metadata");
    TCase *tc = tcase_create("discovery");
    tcase_add_test(tc, full_document);
    tcase_add_test(tc, minimal_document_defaults);
    tcase_add_test(tc, issuer_must_match_exactly);
    tcase_add_test(tc, http_needs_allow_http);
    tcase_add_test(tc, duplicates_and_shape);
    tcase_add_test(tc, required_and_typed_members);
    tcase_add_test(tc, bad_endpoints);
    tcase_add_test(tc, size_cap);
    tcase_add_test(tc, facade_arguments);
    tcase_add_test(tc, url_check);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(oidc_metadata_suite);
