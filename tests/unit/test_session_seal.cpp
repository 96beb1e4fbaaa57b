// AES-256-GCM and the sealed-value envelope: Wycheproof vectors through our own AEAD functions,
// a known answer computed independently (Python `cryptography`), and every way of altering or
// cutting a sealed value.

#include <openssl/rand.h>

#include <cstdio>
#include <cstring>

#include "base64url.h"
#include "json.h"
#include "seal.h"
#include "unit.h"

using edge_auth::Detail;
using edge_auth::KeyPurpose;
using edge_auth::SessionKeys;
using edge_auth::SessionStatus;

namespace {

const char kExampleSecret[] = "kWzRAu0v1yrL4hCkX7jn0eNuAoy8dpGszcVq6mPYU3Q";

#define ck_assert_session(actual, expected)                                                   \
    ck_assert_msg((actual) == (expected), "status %s, expected %s",                            \
        edge_auth::session_status_reason(actual), edge_auth::session_status_reason(expected))

std::string random_secret()
{
    std::string b(32, '\0');
    ck_assert_int_eq(RAND_bytes(reinterpret_cast<unsigned char *>(&b[0]), 32), 1);
    return edge_auth::base64url_encode(b);
}

std::unique_ptr<SessionKeys> keys(const std::string &text)
{
    std::string err;
    std::unique_ptr<SessionKeys> k = SessionKeys::load(text, err);
    ck_assert_msg(k != nullptr, "%s", err.c_str());
    return k;
}

SessionStatus open(const SessionKeys &k, const std::string &sealed, const std::string &context,
    std::string *plain = nullptr, std::string *detail = nullptr, KeyPurpose purpose = KeyPurpose::Session)
{
    char buf[160];
    Detail d(buf, sizeof(buf));
    std::string p;
    SessionStatus s = edge_auth::open_value(k, purpose, sealed, context, p, d);
    if (plain) {
        *plain = p;
    }
    if (detail) {
        *detail = buf;
    }
    ck_assert(s == SessionStatus::Ok || p.empty());
    return s;
}

std::string seal(const SessionKeys &k, const std::string &context, const std::string &plain,
    unsigned char parts = 1, KeyPurpose purpose = KeyPurpose::Session)
{
    std::string out;
    ck_assert(edge_auth::seal_value(k.sealing(), purpose, parts, context, plain, out));
    return out;
}

std::string sv(const unsigned char *p, size_t n)
{
    return std::string(reinterpret_cast<const char *>(p), n);
}

} // namespace

START_TEST(known_answer)
{
    auto k = keys(kExampleSecret);
    std::string context = edge_auth::seal_context({"corp", "__Host-edge", ""});
    ck_assert_string(context, std::string("\x00\x04" "corp" "\x00\x0b" "__Host-edge" "\x00\x00", 21));
    const std::string plain = "{\"sid\":\"q83vEjRWeJCrze8SNFZ4kA\",\"sub\":\"alice\",\"iss\":\"https://idp.example\","
                              "\"iat\":1700000000,\"seen\":1700000000,\"exp\":1700028800,"
                              "\"at\":\"eyJhbGciOiJSUzI1NiJ9.e30.c2ln\",\"at_exp\":1700003600,"
                              "\"claims\":{\"email\":\"alice@example.com\"}}";
    unsigned char iv[12];
    for (int i = 0; i < 12; i++) {
        iv[i] = static_cast<unsigned char>(0x10 + i);
    }
    std::string sealed;
    ck_assert(edge_auth::seal_value(k->sealing(), KeyPurpose::Session, 1, context, plain, sealed, iv));
    // docs/session-format.md, "Worked example"; computed with Python's `cryptography`.
    ck_assert_string(edge_auth::base64url_encode(sealed),
        "AUnWMZEBEBESExQVFhcYGRobJp4jVd2qNkepe0oYY15KtFgD7EKUQF_gMMO-4MLs8dpjWuaMfHUzUpPLruAxzTd1d3TN0YpZRXwbX"
        "imrADVhodpo9bzfr3zRHHldvon7oNjzwjwIHgaMqCvyGg3tiNrwnos3H3LxVi1mkpoBHU9tGeLlcNElWzqTKAvdDFcxkQQ_gH6fJK"
        "qwJgy146aOsHxtgS7UVH1l5mFVt52kh-CohYmte0-4krMixxR0gQm6A2wFeyvbLyilkwOqeG0PdIS2WIqoZMSz4Hgfk-E6wLO7eJ"
        "elolpShVSxEzz0kAIsgm8gDi2mO6YIs-ImxMyt0g");
    std::string back;
    ck_assert_session(open(*k, sealed, context, &back), SessionStatus::Ok);
    ck_assert_string(back, plain);
}
END_TEST

START_TEST(fresh_iv_every_seal)
{
    auto k = keys(random_secret());
    std::string a = seal(*k, "c", "same plaintext"), b = seal(*k, "c", "same plaintext");
    ck_assert_int_eq(a.size(), b.size());
    ck_assert(a.substr(6, 12) != b.substr(6, 12));
    ck_assert(a != b);
    ck_assert_int_eq(a.size(), edge_auth::kSealOverhead + 14);
}
END_TEST

START_TEST(every_altered_byte_is_rejected)
{
    std::string s1 = random_secret(), s2 = random_secret();
    auto k = keys(s1 + "\n" + s2 + "\n");
    std::string context = edge_auth::seal_context({"corp", "sess", ""});
    std::string sealed = seal(*k, context, "{\"sub\":\"alice\",\"pad\":\"0123456789\"}");
    for (size_t i = 0; i < sealed.size(); i++) {
        for (unsigned bit : {0x01u, 0x80u}) {
            std::string t = sealed;
            t[i] = static_cast<char>(t[i] ^ bit);
            std::string detail;
            SessionStatus s = open(*k, t, context, nullptr, &detail);
            if (i == 0) {
                ck_assert_session(s, SessionStatus::UnknownVersion);
            } else if (i < 5) {
                ck_assert_session(s, SessionStatus::UnknownKey);
            } else {
                // parts byte, IV, ciphertext, tag: one reason, one detail, whatever the region.
                ck_assert_session(s, SessionStatus::BadSeal);
                ck_assert_string(detail, "authentication failed");
            }
        }
    }
    // The other key's id in the header: the key exists, the tag does not match.
    auto other = keys(s2 + "\n" + s1 + "\n");
    std::string t = sealed;
    uint32_t kid2 = k->at(1).kid;
    t[1] = static_cast<char>(kid2 >> 24);
    t[2] = static_cast<char>(kid2 >> 16);
    t[3] = static_cast<char>(kid2 >> 8);
    t[4] = static_cast<char>(kid2);
    ck_assert_session(open(*k, t, context), SessionStatus::BadSeal);
    ck_assert_session(open(*other, sealed, context), SessionStatus::Ok);
    // Any other version byte is unknown.
    for (int v = 0; v < 256; v++) {
        if (v != 1) {
            t = sealed;
            t[0] = static_cast<char>(v);
            ck_assert_session(open(*k, t, context), SessionStatus::UnknownVersion);
        }
    }
}
END_TEST

START_TEST(truncated_and_extended)
{
    auto k = keys(random_secret());
    std::string sealed = seal(*k, "ctx", "{\"sub\":\"alice\"}");
    for (size_t n = 0; n < sealed.size(); n++) {
        SessionStatus s = open(*k, sealed.substr(0, n), "ctx");
        ck_assert_session(s, n < edge_auth::kSealOverhead ? SessionStatus::Malformed : SessionStatus::BadSeal);
    }
    // Without the tag's last byte (a 15-byte "tag"), with the tag removed, with a byte appended.
    ck_assert_session(open(*k, sealed.substr(0, sealed.size() - 1), "ctx"), SessionStatus::BadSeal);
    ck_assert_session(open(*k, sealed.substr(0, sealed.size() - 16), "ctx"), SessionStatus::Malformed);
    ck_assert_session(open(*k, sealed + "A", "ctx"), SessionStatus::BadSeal);
    ck_assert_session(open(*k, sealed, "ctx"), SessionStatus::Ok);
}
END_TEST

START_TEST(binding_context_purpose_and_key)
{
    auto k = keys(random_secret());
    std::string ctx = edge_auth::seal_context({"corp", "sess", ""});
    std::string sealed = seal(*k, ctx, "{}");
    ck_assert_session(open(*k, sealed, ctx), SessionStatus::Ok);
    ck_assert_session(open(*k, sealed, edge_auth::seal_context({"corp2", "sess", ""})), SessionStatus::BadSeal);
    ck_assert_session(open(*k, sealed, edge_auth::seal_context({"corp", "sess2", ""})), SessionStatus::BadSeal);
    ck_assert_session(open(*k, sealed, edge_auth::seal_context({"corp", "sess", "app2"})), SessionStatus::BadSeal);
    // Length prefixes: moving a byte from one field to the next changes the context.
    ck_assert_session(open(*k, sealed, edge_auth::seal_context({"cor", "psess", ""})), SessionStatus::BadSeal);
    // A session key never opens a flow-state value and vice versa.
    ck_assert_session(open(*k, sealed, ctx, nullptr, nullptr, KeyPurpose::FlowState), SessionStatus::BadSeal);
    std::string flow = seal(*k, ctx, "{}", 1, KeyPurpose::FlowState);
    ck_assert_session(open(*k, flow, ctx, nullptr, nullptr, KeyPurpose::FlowState), SessionStatus::Ok);
    ck_assert_session(open(*k, flow, ctx), SessionStatus::BadSeal);
    // Another deployment's key file: unknown key id (and if ids collided, the tag would fail).
    auto elsewhere = keys(random_secret());
    ck_assert_session(open(*elsewhere, sealed, ctx), SessionStatus::UnknownKey);
}
END_TEST

START_TEST(aead_refuses_odd_lengths)
{
    unsigned char key[32], iv[12], tag[16];
    RAND_bytes(key, sizeof(key));
    RAND_bytes(iv, sizeof(iv));
    std::string plain = "attack at dawn";
    std::string ct(plain.size(), '\0');
    ck_assert(edge_auth::aead_encrypt(key, iv, "aad", plain, reinterpret_cast<unsigned char *>(&ct[0]), tag));
    std::string out(plain.size(), 'x');
    auto *o = reinterpret_cast<unsigned char *>(&out[0]);
    ck_assert(edge_auth::aead_decrypt(sv(key, 32), sv(iv, 12), "aad", ct, sv(tag, 16), o));
    ck_assert_string(out, plain);
    // A 15-byte prefix of the right tag is not a tag.
    out.assign(plain.size(), 'x');
    ck_assert(!edge_auth::aead_decrypt(sv(key, 32), sv(iv, 12), "aad", ct, sv(tag, 15), o));
    ck_assert_string(out, std::string(plain.size(), '\0'));
    ck_assert(!edge_auth::aead_decrypt(sv(key, 32), sv(iv, 12), "aad", ct, sv(tag, 16) + "x", o));
    ck_assert(!edge_auth::aead_decrypt(sv(key, 32), sv(iv, 12), "aad", ct, "", o));
    ck_assert(!edge_auth::aead_decrypt(sv(key, 32), sv(iv, 11), "aad", ct, sv(tag, 16), o));
    ck_assert(!edge_auth::aead_decrypt(sv(key, 16), sv(iv, 12), "aad", ct, sv(tag, 16), o));
    ck_assert(!edge_auth::aead_decrypt(sv(key, 32), sv(iv, 12), "aaD", ct, sv(tag, 16), o));
    ck_assert_string(out, std::string(plain.size(), '\0'));
}
END_TEST

START_TEST(wycheproof_aes_gcm)
{
    std::string text;
    if (!test::read_vector_file("wycheproof/aes_gcm_test.json", text)) {
        return;
    }
    json_error_t jerr;
    edge_auth::Json doc(json_loadb(text.data(), text.size(), 0, &jerr));
    ck_assert_msg(doc.get() != nullptr, "aes_gcm_test.json: %s", jerr.text);
    int valid = 0, valid_ok = 0, invalid = 0, invalid_rejected = 0, other_iv = 0, other_iv_refused = 0;
    std::string failures;
    size_t gi;
    json_t *group;
    json_array_foreach(json_object_get(doc.get(), "testGroups"), gi, group) {
        json_int_t key_size = json_integer_value(json_object_get(group, "keySize"));
        json_int_t iv_size = json_integer_value(json_object_get(group, "ivSize"));
        json_int_t tag_size = json_integer_value(json_object_get(group, "tagSize"));
        if (key_size != 256 || tag_size != 128) {
            continue;
        }
        size_t ti;
        json_t *tc;
        json_array_foreach(json_object_get(group, "tests"), ti, tc) {
            auto field = [&](const char *name) {
                return test::hex_decode(json_string_value(json_object_get(tc, name)));
            };
            std::string key = field("key"), iv = field("iv"), aad = field("aad"), msg = field("msg");
            std::string ct = field("ct"), tag = field("tag");
            std::string result = json_string_value(json_object_get(tc, "result"));
            long id = static_cast<long>(json_integer_value(json_object_get(tc, "tcId")));
            std::string out(ct.size(), '\0');
            bool opened = edge_auth::aead_decrypt(key, iv, aad, ct, tag, reinterpret_cast<unsigned char *>(&out[0]));
            if (iv_size != 96) {
                // Valid GCM, but our envelope only ever uses 12-byte IVs: refused by design.
                other_iv++;
                other_iv_refused += opened ? 0 : 1;
                continue;
            }
            if (result == "valid") {
                valid++;
                bool ok = opened && out == msg;
                // The encryption direction must reproduce the vector too.
                std::string ct2(msg.size(), '\0');
                unsigned char tag2[16];
                ok = ok
                    && edge_auth::aead_encrypt(reinterpret_cast<const unsigned char *>(key.data()),
                        reinterpret_cast<const unsigned char *>(iv.data()), aad, msg,
                        reinterpret_cast<unsigned char *>(&ct2[0]), tag2)
                    && ct2 == ct && sv(tag2, 16) == tag;
                valid_ok += ok ? 1 : 0;
                if (!ok) {
                    failures += " tc" + std::to_string(id);
                }
            } else {
                invalid++;
                invalid_rejected += opened ? 0 : 1;
                if (opened) {
                    failures += " tc" + std::to_string(id) + "(accepted)";
                }
            }
        }
    }
    std::printf("wycheproof aes_gcm_test.json (AES-256, 96-bit IV, 128-bit tag): valid %d/%d opened, "
                "invalid %d/%d rejected; other IV sizes %d/%d refused by design\n",
        valid_ok, valid, invalid_rejected, invalid, other_iv_refused, other_iv);
    std::fflush(stdout);
    ck_assert_msg(failures.empty(), "unexpected outcomes:%s", failures.c_str());
    ck_assert_int_gt(valid, 0);
    ck_assert_int_gt(invalid, 0);
    ck_assert_int_eq(other_iv_refused, other_iv);
}
END_TEST

Suite *session_seal_suite()
{
    Suite *s = suite_create("session_seal");
    TCase *tc = tcase_create("aead and envelope");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, known_answer);
    tcase_add_test(tc, fresh_iv_every_seal);
    tcase_add_test(tc, every_altered_byte_is_rejected);
    tcase_add_test(tc, truncated_and_extended);
    tcase_add_test(tc, binding_context_purpose_and_key);
    tcase_add_test(tc, aead_refuses_odd_lengths);
    tcase_add_test(tc, wycheproof_aes_gcm);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(session_seal_suite);
