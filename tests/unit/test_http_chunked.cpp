// Decoding a provider's chunked response body in place (ea_http_dechunk): well-formed bodies with
// extensions and trailers decode, and every malformed or incomplete body is refused.

#include <string>

#include "edge_auth.h"
#include "unit.h"

namespace {

// The decoded body, or "<error>". Compared with ck_assert (a std::string comparison): the
// string macros would keep a pointer into a destroyed temporary.
std::string dechunk(std::string body)
{
    size_t len = 0;
    if (ea_http_dechunk(&body[0], body.size(), &len) != 0) return "<error>";
    return body.substr(0, len);
}

START_TEST(decodes_well_formed_bodies)
{
    ck_assert(dechunk("5\r\nhello\r\n0\r\n\r\n") == "hello");
    ck_assert(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n") == "abcde");
    ck_assert(dechunk("A\r\n0123456789\r\n0\r\n\r\n") == "0123456789");
    ck_assert(dechunk("3;name=value\r\nabc\r\n0\r\n\r\n") == "abc");
    ck_assert(dechunk("3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n") == "abc");
    ck_assert(dechunk("0\r\n\r\n") == "");
    std::string json = "{\"keys\":[]}";
    ck_assert(dechunk("b\r\n" + json + "\r\n0\r\n\r\n") == json.c_str());
}
END_TEST

START_TEST(refuses_malformed_bodies)
{
    const char *bad[] = {
        "",                                  // nothing at all
        "5\r\nhello\r\n",                    // no last chunk
        "5\r\nhello\r\n0\r\n",               // no final CRLF
        "6\r\nhello\r\n0\r\n\r\n",           // size larger than the data
        "4\r\nhello\r\n0\r\n\r\n",           // size smaller than the data
        "x\r\nhello\r\n0\r\n\r\n",           // no hex digits
        "-5\r\nhello\r\n0\r\n\r\n",          // a sign
        "5\nhello\r\n0\r\n\r\n",             // bare LF
        "5\r\nhelloXY0\r\n\r\n",             // no CRLF after the data
        "fffffffffffffffff\r\n",             // overflowing size
        "5 \x01\r\nhello\r\n0\r\n\r\n",      // a control byte in the extension
    };
    for (const char *b : bad) {
        ck_assert_msg(dechunk(b) == "<error>", "accepted: %s", b);
    }
}
END_TEST

} // namespace

Suite *http_chunked_suite()
{
    Suite *s = suite_create("http_chunked");
    TCase *tc = tcase_create("dechunk");
    tcase_add_test(tc, decodes_well_formed_bodies);
    tcase_add_test(tc, refuses_malformed_bodies);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(http_chunked_suite);
