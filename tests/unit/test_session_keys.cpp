// The session key file: format, the low-entropy heuristic, duplicates, rotation order and the
// HKDF derivations (pinned by known answers computed independently of this code).

#include <openssl/rand.h>

#include <cstring>

#include "base64url.h"
#include "session_keys.h"
#include "unit.h"

using edge_auth::SessionKeys;

namespace {

// The secret of the worked example in docs/session-format.md.
const char kExampleSecret[] = "kWzRAu0v1yrL4hCkX7jn0eNuAoy8dpGszcVq6mPYU3Q";

std::string random_secret(size_t n = 32)
{
    std::string b(n, '\0');
    ck_assert_int_eq(RAND_bytes(reinterpret_cast<unsigned char *>(&b[0]), static_cast<int>(n)), 1);
    return edge_auth::base64url_encode(b);
}

std::string encode(const std::string &bytes)
{
    return edge_auth::base64url_encode(bytes);
}

std::unique_ptr<SessionKeys> load(const std::string &text, std::string *err = nullptr)
{
    std::string e;
    std::unique_ptr<SessionKeys> k = SessionKeys::load(text, e);
    if (err) {
        *err = e;
    }
    ck_assert_msg((k != nullptr) == e.empty(), "result and error disagree: %s", e.c_str());
    return k;
}

// Loads and expects failure with `fragment` in the message.
void refuses(const std::string &text, const char *fragment)
{
    std::string err;
    ck_assert_msg(load(text, &err) == nullptr, "accepted: %s", text.substr(0, 80).c_str());
    ck_assert_msg(err.find(fragment) != std::string::npos, "message \"%s\" lacks \"%s\"", err.c_str(), fragment);
}

std::string hex(const unsigned char *p, size_t n)
{
    static const char h[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < n; i++) {
        out.push_back(h[p[i] >> 4]);
        out.push_back(h[p[i] & 15]);
    }
    return out;
}

} // namespace

START_TEST(known_answers)
{
    auto k = load(std::string(kExampleSecret) + "\n");
    ck_assert(k != nullptr);
    ck_assert_int_eq(k->size(), 1);
    // Computed with Python's `cryptography` HKDF, not with this code.
    ck_assert_uint_eq(k->sealing().kid, 0x49d63191u);
    ck_assert_string(edge_auth::key_id_hex(k->sealing().kid), "49d63191");
    ck_assert_string(hex(k->sealing().key(edge_auth::KeyPurpose::Session), 32),
        "0e83848909badb69779ee2fb24ffcc0caee0190143755d7aaf0e86402fa4c47f");
    ck_assert_string(hex(k->sealing().key(edge_auth::KeyPurpose::FlowState), 32),
        "aab1ef36d9ad964c295e5a37b0424136c792488e5942cc26c0572e5454f84198");
    ck_assert_uint_eq(k->sealing().line, 1);
}
END_TEST

START_TEST(hkdf_rfc5869_case3)
{
    // RFC 5869 A.3: SHA-256, no salt, no info.
    std::string ikm(22, '\x0b');
    unsigned char okm[42];
    ck_assert(edge_auth::hkdf_sha256(ikm, "", okm, sizeof(okm)));
    ck_assert_string(hex(okm, sizeof(okm)),
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}
END_TEST

START_TEST(comments_blank_lines_and_crlf)
{
    std::string a = random_secret(), b = random_secret(48), c = random_secret(512);
    std::string text = "# session keys\n\n   # indented comment\r\n" + a + "  # newest, 2024-05-01\r\n\t" + b
        + "\t#old\n" + c + "\n\n";
    auto k = load(text);
    ck_assert(k != nullptr);
    ck_assert_int_eq(k->size(), 3);
    ck_assert_uint_eq(k->at(0).line, 4);
    ck_assert_uint_eq(k->at(1).line, 5);
    ck_assert_uint_eq(k->at(2).line, 6);
    // No trailing newline is fine too.
    ck_assert(load(a) != nullptr);
}
END_TEST

START_TEST(rotation_order_and_lookup)
{
    std::string a = random_secret(), b = random_secret();
    auto ab = load(a + "\n" + b + "\n");
    auto ba = load(b + "\n" + a + "\n");
    ck_assert(ab && ba);
    // The first line seals; every line opens; ids depend on the secret only.
    ck_assert_uint_eq(ab->sealing().kid, ba->at(1).kid);
    ck_assert_uint_eq(ba->sealing().kid, ab->at(1).kid);
    ck_assert_ptr_eq(ab->find(ab->at(1).kid), &ab->at(1));
    ck_assert_ptr_eq(ab->find(ab->at(0).kid), &ab->at(0));
    uint32_t absent = ab->at(0).kid ^ ab->at(1).kid ^ 0x5a5a5a5au;
    if (absent != ab->at(0).kid && absent != ab->at(1).kid) {
        ck_assert_ptr_null(ab->find(absent));
    }
    // Purposes get different keys.
    ck_assert(std::memcmp(ab->sealing().key(edge_auth::KeyPurpose::Session),
                  ab->sealing().key(edge_auth::KeyPurpose::FlowState), 32) != 0);
}
END_TEST

START_TEST(missing_and_short)
{
    refuses("", "no secret");
    refuses("# only comments\n\n", "no secret");
    std::string random31(31, '\0');
    RAND_bytes(reinterpret_cast<unsigned char *>(&random31[0]), 31);
    refuses(encode(random31), "31 bytes; at least 32");
    refuses(random_secret() + "\n" + encode(random31) + "\n", "line 2:");
    refuses(random_secret(513), "longer than 512");
    refuses(std::string(kExampleSecret).substr(0, 40), "30 bytes");
}
END_TEST

START_TEST(not_base64url)
{
    std::string a = random_secret();
    refuses(a + "=", "base64url without '=' padding");
    refuses(std::string(kExampleSecret).replace(3, 1, "+"), "standard base64");
    refuses(std::string(kExampleSecret).replace(3, 1, "!"), "base64url");
    refuses(a + " trailing-text", "unexpected text after the secret");
    refuses(std::string("\xff\xfe") + a, "base64url");
    refuses(std::string("AB\0CD", 5) + a, "base64url");
}
END_TEST

START_TEST(low_entropy)
{
    std::string err;
    refuses(encode(std::string(32, '\0')), "distinct byte values");
    refuses(encode(std::string(64, 'A')), "low-entropy");
    // 16-byte pattern twice (16 distinct values, so only the period test catches it).
    std::string pattern;
    for (int i = 0; i < 16; i++) {
        pattern.push_back(static_cast<char>(i * 37 + 11));
    }
    refuses(encode(pattern + pattern), "repeats a 16-byte pattern");
    // A counter: 32 distinct bytes, not periodic, one distinct step.
    std::string counter;
    for (int i = 0; i < 32; i++) {
        counter.push_back(static_cast<char>(0x80 + i));
    }
    refuses(encode(counter), "simple pattern");
    // A passphrase: printable ASCII, enough distinct letters.
    refuses(encode("The quick brown fox jumps over the lazy dog 42!"), "printable ASCII");
    // Few distinct values, not periodic.
    std::string few;
    for (int i = 0; i < 40; i++) {
        few.push_back(static_cast<char>((i * i) % 7));
    }
    refuses(encode(few), "distinct byte values");
    // Random secrets never trip it.
    for (int i = 0; i < 200; i++) {
        ck_assert(load(random_secret()) != nullptr);
    }
}
END_TEST

START_TEST(duplicates_and_caps)
{
    std::string a = random_secret(), b = random_secret();
    refuses(a + "\n" + b + "\n" + a + "\n", "line 3: repeats the secret of line 1");
    std::string many;
    for (size_t i = 0; i < edge_auth::kMaxSecrets; i++) {
        many += random_secret() + "\n";
    }
    ck_assert(load(many) != nullptr);
    refuses(many + random_secret() + "\n", "more than 32 secrets");
    refuses(std::string(edge_auth::kMaxKeyFileBytes + 1, '#'), "larger than");
}
END_TEST

START_TEST(messages_never_contain_secrets)
{
    std::string counter;
    for (int i = 0; i < 32; i++) {
        counter.push_back(static_cast<char>(0x80 + i));
    }
    std::string line = encode(counter);
    std::string err;
    ck_assert(load(line, &err) == nullptr);
    ck_assert(err.find(line.substr(0, 8)) == std::string::npos);
    std::string a = random_secret();
    ck_assert(load(a + "\n" + a, &err) == nullptr);
    ck_assert(err.find(a.substr(0, 8)) == std::string::npos);
}
END_TEST

Suite *session_keys_suite()
{
    Suite *s = suite_create("session_keys");
    TCase *tc = tcase_create("key file");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, known_answers);
    tcase_add_test(tc, hkdf_rfc5869_case3);
    tcase_add_test(tc, comments_blank_lines_and_crlf);
    tcase_add_test(tc, rotation_order_and_lookup);
    tcase_add_test(tc, missing_and_short);
    tcase_add_test(tc, not_base64url);
    tcase_add_test(tc, low_entropy);
    tcase_add_test(tc, duplicates_and_caps);
    tcase_add_test(tc, messages_never_contain_secrets);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(session_keys_suite);
