#include <cstring>

#include <openssl/rand.h>

#include "base64url.h"
#include "unit.h"

using edge_auth::base64url_decode;
using edge_auth::base64url_encode;

namespace {

bool decodes(const std::string &in, std::string *out = nullptr)
{
    std::string tmp;
    bool ok = base64url_decode(in, tmp);
    if (out) {
        *out = tmp;
    }
    return ok;
}

} // namespace

START_TEST(rfc4648_vectors)
{
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        ck_assert_string(base64url_encode(plain[i]), enc[i]);
        std::string out;
        ck_assert(decodes(enc[i], &out));
        ck_assert_str_eq(out.c_str(), plain[i]);
    }
    // The two characters that differ from standard base64.
    ck_assert_string(base64url_encode("\xfb\xff"), "-_8");
}
END_TEST

START_TEST(canonical_round_trips)
{
    for (size_t len = 0; len <= 70; len++) {
        std::string bytes(len, '\0');
        if (len) {
            RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), static_cast<int>(len));
        }
        std::string enc = base64url_encode(bytes);
        ck_assert(enc.find('=') == std::string::npos);
        ck_assert_uint_eq(enc.size() % 4 == 1, 0);
        std::string dec;
        ck_assert_msg(decodes(enc, &dec), "length %zu", len);
        ck_assert(dec == bytes);
        ck_assert(base64url_encode(dec) == enc);
    }
    // Every single byte value.
    for (int b = 0; b < 256; b++) {
        std::string one(1, static_cast<char>(b)), dec;
        ck_assert(decodes(base64url_encode(one), &dec));
        ck_assert(dec == one);
    }
}
END_TEST

START_TEST(empty_input)
{
    std::string out = "stale";
    ck_assert(decodes("", &out));
    ck_assert(out.empty());
}
END_TEST

START_TEST(rejects_padding)
{
    ck_assert(!decodes("Zg=="));
    ck_assert(!decodes("Zg="));
    ck_assert(!decodes("Zm8="));
    ck_assert(!decodes("Zm9v="));
    ck_assert(!decodes("Zm9v=junk"));
    ck_assert(!decodes("Zm9vYg==junk"));
    ck_assert(!decodes("===="));
    ck_assert(!decodes("="));
}
END_TEST

START_TEST(rejects_non_canonical_trailing_bits)
{
    // "Zg" is canonical for "f"; "Zh".."Zv" carry non-zero unused bits and decode to "f" too in
    // lenient decoders.
    ck_assert(decodes("Zg"));
    for (const char *s : {"Zh", "Zi", "Zj", "Zk", "Zv", "Z_"}) {
        ck_assert_msg(!decodes(s), "%s accepted", s);
    }
    ck_assert(decodes("Zm8"));
    for (const char *s : {"Zm9", "Zm-", "Zm_"}) {
        ck_assert_msg(!decodes(s), "%s accepted", s);
    }
    // Wycheproof "ModifiedUnusedBitsInPayload": AB instead of AA.
    ck_assert(decodes("AA"));
    ck_assert(!decodes("AB"));
}
END_TEST

START_TEST(rejects_bad_characters)
{
    const char *bad[] = {"Zm9v+g", "Zm9v/g", "Zm 9v", " Zm9v", "Zm9v ", "Zm9v\n", "Zm\t9v", "?Zm9v", "Zm9v?",
        "Zm.9v", "Zm9v\r\n", "Zm9v%3D"};
    for (const char *s : bad) {
        ck_assert_msg(!decodes(s), "\"%s\" accepted", s);
    }
    std::string with_nul("Zm\0v", 4);
    ck_assert(!decodes(with_nul));
    std::string high("Zm9\xc3", 4);
    ck_assert(!decodes(high));
    for (int c = 0; c < 256; c++) {
        bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_';
        std::string s = "AAA";
        s.push_back(static_cast<char>(c));
        ck_assert_msg(decodes(s) == alphabet, "character 0x%02x", c);
    }
}
END_TEST

START_TEST(rejects_length_4k_plus_1)
{
    ck_assert(!decodes("A"));
    ck_assert(!decodes("AAAAA"));
    ck_assert(!decodes("Zm9vY"));
    ck_assert(!decodes("Zm9vYmFyZ"));
}
END_TEST

START_TEST(raw_buffer_interface)
{
    unsigned char buf[16];
    size_t len = 99;
    ck_assert(edge_auth::base64url_decode("Zm9vYmE", buf, &len));
    ck_assert_uint_eq(len, 5);
    ck_assert(std::memcmp(buf, "fooba", 5) == 0);
    ck_assert_uint_eq(edge_auth::base64url_decoded_size(7), 5);
    ck_assert_uint_eq(edge_auth::base64url_decoded_size(8), 6);
    ck_assert_uint_eq(edge_auth::base64url_decoded_size(0), 0);
}
END_TEST

Suite *base64url_suite()
{
    Suite *s = suite_create("base64url");
    TCase *tc = tcase_create("strict");
    tcase_add_test(tc, rfc4648_vectors);
    tcase_add_test(tc, canonical_round_trips);
    tcase_add_test(tc, empty_input);
    tcase_add_test(tc, rejects_padding);
    tcase_add_test(tc, rejects_non_canonical_trailing_bits);
    tcase_add_test(tc, rejects_bad_characters);
    tcase_add_test(tc, rejects_length_4k_plus_1);
    tcase_add_test(tc, raw_buffer_interface);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(base64url_suite);
