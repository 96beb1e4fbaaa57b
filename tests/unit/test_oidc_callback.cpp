// The callback's query string (ea_oidc_callback_parse): decoding, duplicates, error responses.

#include "oidc_callback.h"
#include "oidc_support.h"

using oidc::Pool;
using oidc::str;

namespace {

struct Parsed {
    int rc;
    std::string err, code, state, iss, error, error_description;
};

Parsed parse(const std::string &args)
{
    Pool pool;
    ea_oidc_callback_t cb;
    char err[256];
    Parsed p;
    p.rc = ea_oidc_callback_parse(args.data(), args.size(), Pool::alloc, &pool, &cb, err, sizeof(err));
    p.err = err;
    p.code = str(cb.code);
    p.state = str(cb.state);
    p.iss = str(cb.iss);
    p.error = str(cb.error);
    p.error_description = str(cb.error_description);
    if (p.rc == 0) {
        ck_assert_string(p.err, "");
    } else {
        ck_assert_int_eq(p.rc, -1);
        ck_assert_msg(!p.err.empty(), "failure without a message");
        ck_assert_msg(p.code.empty() && p.state.empty() && p.iss.empty() && p.error.empty()
                && p.error_description.empty(),
            "output on failure");
        for (char c : p.err) {
            ck_assert_msg(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control byte in the message");
        }
    }
    return p;
}

} // namespace

START_TEST(code_and_state)
{
    Parsed p = parse("code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_string(p.code, "SplxlOBeZQQYbYS6WxSbIA");
    ck_assert_string(p.state, "af0ifjsldkj");
    ck_assert_string(p.iss, "");
    ck_assert_string(p.error, "");
    // Order, unknown parameters, empty pairs and RFC 9207 iss.
    p = parse("&session_state=x.y&state=s1&&foo=1&foo=2&bar&iss=https%3A%2F%2Fidp.example%2Frealms%2Fa&code=c%2Fd+e&");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_string(p.code, "c/d e");
    ck_assert_string(p.state, "s1");
    ck_assert_string(p.iss, "https://idp.example/realms/a");
    // Names are decoded too; hex digits in either case; UTF-8 in a description is kept.
    p = parse("c%6fde=a%2fb%2Fc&st%61te=s&error_description=x");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_string(p.code, "a/b/c");
    ck_assert_string(p.error_description, "x");
    // A value may hold '='.
    p = parse("code=a=b==&state=s");
    ck_assert_string(p.code, "a=b==");
}
END_TEST

START_TEST(duplicates_rejected)
{
    const char *dups[] = {"code=a&state=a&state=b", "state=a&code=a&code=a", "code=a&state=s&iss=x&iss=x",
        "error=a&error=b", "error=a&error_description=x&error_description=y",
        "code=a&state=s&id_token=x&id_token=y", "code=a&state=s&session_state=1&session_state=2",
        "code=a&state=a&st%61te=b", "code=a&state=a&state", "code=a&state=a&state=",
        "code=a&state=s&iss=https://a&%69ss=https://a"};
    for (const char *d : dups) {
        Parsed p = parse(d);
        ck_assert_msg(p.rc == -1, "accepted %s", d);
        ck_assert_msg(p.err.find("appears more than once") != std::string::npos, "%s: %s", d, p.err.c_str());
    }
    // Unknown parameters may repeat.
    ck_assert_int_eq(parse("x=1&x=2&code=a&state=s").rc, 0);
    // Names differ by case: "State" is not "state".
    ck_assert_int_eq(parse("code=a&state=s&State=t").rc, 0);
}
END_TEST

START_TEST(missing_parts)
{
    Parsed p = parse("code=abc");
    ck_assert_int_eq(p.rc, -1);
    ck_assert_string(p.err, "the response has a code but no state");
    ck_assert_int_eq(parse("state=abc").rc, -1);
    ck_assert_int_eq(parse("").rc, -1);
    ck_assert_int_eq(parse("&&&").rc, -1);
    ck_assert_int_eq(parse("foo=bar").rc, -1);
    // Present but empty.
    ck_assert_int_eq(parse("code=&state=s").rc, -1);
    ck_assert_int_eq(parse("code&state=s").rc, -1);
    ck_assert_int_eq(parse("code=c&state=").rc, -1);
    ck_assert_int_eq(parse("code=c&state=s&iss=").rc, -1);
    ck_assert_int_eq(parse("error=").rc, -1);
    // An empty description is fine.
    ck_assert_int_eq(parse("error=access_denied&error_description=").rc, 0);
}
END_TEST

START_TEST(error_responses)
{
    Parsed p = parse("error=access_denied&error_description=The+user+said+%22no%22&state=s1");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_string(p.error, "access_denied");
    ck_assert_string(p.error_description, "The user said \"no\"");
    ck_assert_string(p.state, "s1");
    ck_assert_string(p.code, "");
    p = parse("error=login_required");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_string(p.error, "login_required");
    ck_assert_string(p.state, "");
    // An error together with a code: the error is reported, the caller refuses the login.
    p = parse("error=server_error&code=c");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_string(p.error, "server_error");
    ck_assert_string(p.code, "c");
}
END_TEST

START_TEST(bad_encoding_and_controls)
{
    const char *bad[] = {"code=%zz&state=s", "code=abc%&state=s", "code=abc%4&state=s", "code=a%g0&state=s",
        "code=a&state=s&x=%", "code=a&state=s&%=1", "code=a&state=s&x=%%41"};
    for (const char *b : bad) {
        Parsed p = parse(b);
        ck_assert_msg(p.rc == -1, "accepted %s", b);
        ck_assert_msg(p.err.find("not valid percent-encoding") != std::string::npos, "%s: %s", b, p.err.c_str());
    }
    const std::string controls[] = {"code=a%0Ab&state=s", "code=a&state=s%0D", "code=a&state=s&x=%00",
        "error=x&error_description=a%7Fb", "code=a&state=s&error_description=%09", "code=a\rb&state=s",
        std::string("code=a&state=s\0", 15), "code=a&state=s&x%0A=1", "code=a&state=s&x=\x1b"};
    for (const std::string &c : controls) {
        Parsed p = parse(c);
        ck_assert_msg(p.rc == -1, "accepted a control byte");
        ck_assert_msg(p.err.find("control character") != std::string::npos, "%s", p.err.c_str());
    }
    // Code and state: printable ASCII only.
    ck_assert_int_eq(parse("code=a&state=%C3%A9").rc, -1);
    ck_assert_int_eq(parse("code=%FF&state=s").rc, -1);
    ck_assert_int_eq(parse("code=a+b&state=s").rc, 0);
    // Elsewhere non-ASCII passes (a description in the user's language).
    Parsed p = parse("error=access_denied&error_description=Zugriff+verweigert+%C3%A4");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_string(p.error_description, "Zugriff verweigert \xc3\xa4");
    // Names in messages are escaped.
    p = parse("code=a&state=s&%E2%80%AEx=%0A");
    ck_assert_int_eq(p.rc, -1);
    ck_assert_msg(p.err.find("\\xe2\\x80\\xae") != std::string::npos, "%s", p.err.c_str());
}
END_TEST

START_TEST(size_cap)
{
    std::string base = "code=a&state=s&pad=";
    std::string at_cap = base + std::string(8192 - base.size(), 'x');
    ck_assert_uint_eq(at_cap.size(), 8192);
    ck_assert_int_eq(parse(at_cap).rc, 0);
    Parsed p = parse(at_cap + "x");
    ck_assert_int_eq(p.rc, -1);
    ck_assert_msg(p.err.find("over the cap of 8192") != std::string::npos, "%s", p.err.c_str());
}
END_TEST

START_TEST(facade_arguments)
{
    Pool pool;
    ea_oidc_callback_t cb;
    char err[64];
    ck_assert_int_eq(ea_oidc_callback_parse(nullptr, 3, Pool::alloc, &pool, &cb, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "invalid arguments");
    ck_assert_int_eq(ea_oidc_callback_parse("code=a&state=b", 14, nullptr, &pool, &cb, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_oidc_callback_parse("code=a&state=b", 14, Pool::alloc, &pool, nullptr, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_oidc_callback_parse(nullptr, 0, Pool::alloc, &pool, &cb, err, sizeof(err)), -1);
    ck_assert_int_eq(ea_oidc_callback_parse("code=a&state=b", 14, Pool::alloc, &pool, &cb, nullptr, 0), 0);
    for (long n = 0; n < 2; n++) {
        Pool failing;
        failing.fail_after = n;
        ck_assert_int_eq(ea_oidc_callback_parse("code=a&state=b", 14, Pool::alloc, &failing, &cb, err, sizeof(err)),
            -1);
        ck_assert_uint_eq(cb.code.len + cb.state.len, 0);
        ck_assert_str_eq(err, "internal error (out of memory?)");
    }
    // The C++ decoder on its own.
    std::string out;
    ck_assert(edge_auth::form_decode("a+b%20c%2b", out));
    ck_assert_string(out, "a b c+");
    ck_assert(!edge_auth::form_decode("%2", out));
    ck_assert(edge_auth::form_decode("", out));
    ck_assert_string(out, "");
}
END_TEST

Suite *oidc_callback_suite()
{
    Suite *s = suite_create("oidc_callback");
    TCase *tc = tcase_create("query");
    tcase_add_test(tc, code_and_state);
    tcase_add_test(tc, duplicates_rejected);
    tcase_add_test(tc, missing_parts);
    tcase_add_test(tc, error_responses);
    tcase_add_test(tc, bad_encoding_and_controls);
    tcase_add_test(tc, size_cap);
    tcase_add_test(tc, facade_arguments);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(oidc_callback_suite);
