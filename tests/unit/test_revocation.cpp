// The revocation list (ea_revocation_*): record keys, the per-worker set and its check against
// sessions made through the public facade, and the journal line format.

#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <vector>

#include "oidc_support.h"
#include "revocation.h"

using oidc::kNow;
using oidc::Pool;
using oidc::s;
using oidc::str;

namespace {

constexpr int64_t kMaxTime = 253402300799;
const std::string kSessionId = "q83vEjRWeJCrze8SNFZ4kA";

// A session of `st` issued at `iat` for alice, with `claims` (a JSON object, or "" for none).
ea_session_t *session(const oidc::Setup &st, int64_t iat, const std::string &claims = "",
    const std::string &sub = "alice", const std::string &sid = kSessionId)
{
    std::string json = "{\"sid\":\"" + sid + "\",\"sub\":\"" + sub + "\",\"iss\":\"https://idp.example\",\"iat\":"
        + std::to_string(iat) + (claims.empty() ? "" : ",\"claims\":" + claims) + "}";
    char err[256];
    ea_session_t *out = ea_session_from_json(st.sealer, json.data(), json.size(), iat, err, sizeof(err));
    ck_assert_msg(out != nullptr, "%s", err);
    return out;
}

ea_revocation_t record(ea_revoke_kind_t kind, const std::string &provider, const std::string &value,
    int64_t revoked_at, int64_t expires = kNow + 3600)
{
    ea_revocation_t r;
    ea_str_t p = s(provider), v = s(value);
    ck_assert_int_eq(ea_revocation_make(kind, &p, &v, revoked_at, expires, &r), 0);
    return r;
}

struct Result {
    int rc;
    ea_revoke_kind_t kind;
};

Result check(const std::vector<ea_revocation_t> &records, const ea_session_t *sess, const char *provider = "corp",
    int64_t now = kNow)
{
    ea_revocation_set_t *set = ea_revocation_set_build(records.data(), records.size(), now);
    ck_assert_ptr_nonnull(set);
    ea_str_t p = s(provider);
    Result r;
    r.kind = static_cast<ea_revoke_kind_t>(0);
    r.rc = ea_revocation_check(set, &p, sess, &r.kind);
    ea_revocation_set_free(set);
    return r;
}

std::string sha256(const std::string &data)
{
    unsigned char md[32];
    unsigned int len = 0;
    ck_assert_int_eq(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr), 1);
    return std::string(reinterpret_cast<char *>(md), len);
}

std::string u64be(uint64_t v)
{
    std::string out(8, '\0');
    for (int i = 7; i >= 0; i--) {
        out[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return out;
}

std::string key_of(const ea_revocation_t &r)
{
    return std::string(reinterpret_cast<const char *>(r.key), sizeof(r.key));
}

std::string hex(const std::string &bytes)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0xf]);
    }
    return out;
}

bool is_zero(const ea_revocation_t &r)
{
    ea_revocation_t zero;
    std::memset(&zero, 0, sizeof(zero));
    return std::memcmp(&r, &zero, sizeof(r)) == 0;
}

int parse(const std::string &line, ea_revocation_t *out = nullptr)
{
    ea_revocation_t r;
    std::memset(&r, 0x5a, sizeof(r));
    int rc = ea_revocation_parse(line.data(), line.size(), &r);
    if (rc != 0) {
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(is_zero(r), "output left set on failure");
    }
    if (out) {
        *out = r;
    }
    return rc;
}

std::string format(const ea_revocation_t &r)
{
    char buf[EA_REVOCATION_LINE_MAX];
    size_t n = ea_revocation_format(&r, buf, sizeof(buf));
    ck_assert_uint_lt(n, sizeof(buf));
    ck_assert_int_eq(buf[n], '\0');
    return std::string(buf, n);
}

const std::string kHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

} // namespace

START_TEST(make_key_encoding)
{
    // The documented encoding: SHA-256(kind || u64be(len(provider)) || provider || u64be(len(value)) || value).
    ea_revocation_t r = record(EA_REVOKE_SID, "corp", "op-sid-1", kNow, kNow + 60);
    ck_assert_string(key_of(r), sha256(std::string(1, '\x02') + u64be(4) + "corp" + u64be(8) + "op-sid-1"));
    ck_assert_int_eq(r.revoked_at, kNow);
    ck_assert_int_eq(r.expires, kNow + 60);
    ck_assert_string(key_of(record(EA_REVOKE_SESSION, "corp", kSessionId, kNow)),
        sha256(std::string(1, '\x01') + u64be(4) + "corp" + u64be(22) + kSessionId));
    ck_assert_string(key_of(record(EA_REVOKE_SUB, "corp", "alice", kNow)),
        sha256(std::string(1, '\x03') + u64be(4) + "corp" + u64be(5) + "alice"));

    // The example of docs/session-format.md section 10, computed there with Python's hashlib.
    ck_assert_string(hex(key_of(record(EA_REVOKE_SID, "corp", "08a5019c-17e1-4977-8f42-65a12843ea02", kNow))),
        "664ce78b09155337e30c8935358a6db2b3a79803aa0949fa9fd699230811df8d");
    ck_assert_string(hex(key_of(record(EA_REVOKE_SESSION, "corp", kSessionId, kNow))),
        "229795a49389334cb836bb18c76fd0546a2b9c7f571fa041939ea4983beaa2b9");
    ck_assert_string(hex(key_of(record(EA_REVOKE_SUB, "corp", "alice", kNow))),
        "c43ab21b2437551bdfc98c73d3069b273b8008dfdc44729bb93a1cfb555ef7d4");

    // Deterministic; the times are not part of the key.
    ck_assert_string(key_of(record(EA_REVOKE_SID, "corp", "op-sid-1", 1, 2)), key_of(r));
    // Every part counts, and the lengths keep the boundary between provider and value.
    ck_assert_msg(key_of(record(EA_REVOKE_SUB, "corp", "op-sid-1", kNow)) != key_of(r), "kind ignored");
    ck_assert_msg(key_of(record(EA_REVOKE_SID, "corp2", "op-sid-1", kNow)) != key_of(r), "provider ignored");
    ck_assert_msg(key_of(record(EA_REVOKE_SID, "corp", "op-sid-2", kNow)) != key_of(r), "value ignored");
    ck_assert_msg(key_of(record(EA_REVOKE_SID, "ab", "c", kNow)) != key_of(record(EA_REVOKE_SID, "a", "bc", kNow)),
        "the provider/value boundary is lost");
    // Bytes as they are: NUL, control and non-ASCII bytes, long values.
    std::string odd("a\0b\r\n\xc3\xa9", 7);
    ck_assert_string(key_of(record(EA_REVOKE_SUB, "corp", odd, kNow)),
        sha256(std::string(1, '\x03') + u64be(4) + "corp" + u64be(7) + odd));
    std::string big(100000, 'x');
    ck_assert_string(key_of(record(EA_REVOKE_SUB, "corp", big, kNow)),
        sha256(std::string(1, '\x03') + u64be(4) + "corp" + u64be(big.size()) + big));
    // Time bounds.
    record(EA_REVOKE_SUB, "corp", "alice", 0, 0);
    record(EA_REVOKE_SUB, "corp", "alice", kMaxTime, kMaxTime);
}
END_TEST

START_TEST(make_refusals)
{
    ea_str_t p = s("corp"), v = s("alice"), empty = s(""), null_len{nullptr, 3}, null_empty{nullptr, 0};
    ea_revocation_t r;
    auto refused = [&](ea_revoke_kind_t kind, const ea_str_t *prov, const ea_str_t *val, int64_t at, int64_t exp) {
        std::memset(&r, 0x5a, sizeof(r));
        ck_assert_int_eq(ea_revocation_make(kind, prov, val, at, exp, &r), -1);
        ck_assert_msg(is_zero(r), "output left set on failure");
    };
    refused(EA_REVOKE_SUB, &empty, &v, kNow, kNow + 1);
    refused(EA_REVOKE_SUB, &p, &empty, kNow, kNow + 1);
    refused(EA_REVOKE_SUB, &null_empty, &v, kNow, kNow + 1);
    refused(EA_REVOKE_SUB, &p, &null_empty, kNow, kNow + 1);
    refused(EA_REVOKE_SUB, &null_len, &v, kNow, kNow + 1);
    refused(EA_REVOKE_SUB, &p, &null_len, kNow, kNow + 1);
    refused(EA_REVOKE_SUB, nullptr, &v, kNow, kNow + 1);
    refused(EA_REVOKE_SUB, &p, nullptr, kNow, kNow + 1);
    // Unknown kinds, including one that a byte-wide conversion would turn into EA_REVOKE_SESSION.
    const int kinds[] = {0, 4, -1, 257, 258, 259};
    for (int k : kinds) {
        ea_revoke_kind_t kind;   // whatever int a C caller passes
        static_assert(sizeof(kind) == sizeof(k), "the C enum is int-sized");
        std::memcpy(&kind, &k, sizeof(kind));
        refused(kind, &p, &v, kNow, kNow + 1);
    }
    // Times the journal could not hold.
    refused(EA_REVOKE_SUB, &p, &v, kNow + 1, kNow);
    refused(EA_REVOKE_SUB, &p, &v, -1, kNow);
    refused(EA_REVOKE_SUB, &p, &v, kNow, kMaxTime + 1);
    refused(EA_REVOKE_SUB, &p, &v, INT64_MIN, INT64_MAX);
    ck_assert_int_eq(ea_revocation_make(EA_REVOKE_SUB, &p, &v, kNow, kNow + 1, nullptr), -1);
}
END_TEST

START_TEST(check_each_kind)
{
    oidc::Setup st;
    ea_session_t *sess = session(st, kNow - 100, "{\"sid\":\"op-sid-1\",\"email\":\"a@example.com\"}");
    // The session id as the glue reads it.
    ea_str_t id;
    ck_assert_int_eq(ea_session_get(sess, EA_SESSION_ID, &id), 1);
    std::string sid = str(id);
    ck_assert_string(sid, kSessionId);

    Result r = check({record(EA_REVOKE_SESSION, "corp", sid, kNow)}, sess);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_int_eq(r.kind, EA_REVOKE_SESSION);
    r = check({record(EA_REVOKE_SID, "corp", "op-sid-1", kNow)}, sess);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_int_eq(r.kind, EA_REVOKE_SID);
    r = check({record(EA_REVOKE_SUB, "corp", "alice", kNow)}, sess);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_int_eq(r.kind, EA_REVOKE_SUB);
    // Several matches: the session id is named first, then the sid.
    r = check({record(EA_REVOKE_SUB, "corp", "alice", kNow), record(EA_REVOKE_SID, "corp", "op-sid-1", kNow),
                  record(EA_REVOKE_SESSION, "corp", sid, kNow)},
        sess);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_int_eq(r.kind, EA_REVOKE_SESSION);
    r = check({record(EA_REVOKE_SUB, "corp", "alice", kNow), record(EA_REVOKE_SID, "corp", "op-sid-1", kNow)}, sess);
    ck_assert_int_eq(r.kind, EA_REVOKE_SID);

    // Records for something else, or of the wrong kind for the value.
    const ea_revocation_t others[] = {
        record(EA_REVOKE_SESSION, "corp", "AAAAAAAAAAAAAAAAAAAAAA", kNow),
        record(EA_REVOKE_SID, "corp", "op-sid-2", kNow),
        record(EA_REVOKE_SUB, "corp", "bob", kNow),
        record(EA_REVOKE_SID, "corp", sid, kNow),            // the session id as a provider sid
        record(EA_REVOKE_SESSION, "corp", "op-sid-1", kNow), // the provider sid as a session id
        record(EA_REVOKE_SID, "corp", "alice", kNow),        // the sub as a sid
        record(EA_REVOKE_SUB, "corp", "a@example.com", kNow),
    };
    std::vector<ea_revocation_t> all(std::begin(others), std::end(others));
    r = check(all, sess);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(check({}, sess).rc, 0);

    // *kind may be NULL.
    ea_revocation_t one = record(EA_REVOKE_SUB, "corp", "alice", kNow);
    ea_revocation_set_t *set = ea_revocation_set_build(&one, 1, kNow);
    ea_str_t p = s("corp");
    ck_assert_int_eq(ea_revocation_check(set, &p, sess, nullptr), 1);
    ea_revocation_set_free(set);
    ea_session_free(sess);
}
END_TEST

START_TEST(check_issued_after_revocation)
{
    oidc::Setup st;
    const int64_t iat = kNow - 100;
    ea_session_t *sess = session(st, iat, "{\"sid\":\"op-sid-1\"}");
    const ea_revoke_kind_t kinds[] = {EA_REVOKE_SESSION, EA_REVOKE_SID, EA_REVOKE_SUB};
    const std::string values[] = {kSessionId, "op-sid-1", "alice"};
    for (int i = 0; i < 3; i++) {
        // Logged out before this login: the new session is not covered.
        ck_assert_int_eq(check({record(kinds[i], "corp", values[i], iat - 1)}, sess).rc, 0);
        ck_assert_int_eq(check({record(kinds[i], "corp", values[i], 0)}, sess).rc, 0);
        // At or after its issue time: revoked.
        ck_assert_int_eq(check({record(kinds[i], "corp", values[i], iat)}, sess).rc, 1);
        ck_assert_int_eq(check({record(kinds[i], "corp", values[i], kNow)}, sess).rc, 1);
    }
    // Duplicates of one key keep the latest revoked_at, whatever their order.
    ea_revocation_t old_rec = record(EA_REVOKE_SUB, "corp", "alice", iat - 50);
    ea_revocation_t new_rec = record(EA_REVOKE_SUB, "corp", "alice", iat + 50);
    ck_assert_int_eq(check({old_rec, new_rec}, sess).rc, 1);
    ck_assert_int_eq(check({new_rec, old_rec}, sess).rc, 1);
    ck_assert_int_eq(check({old_rec, old_rec}, sess).rc, 0);
    ea_revocation_set_t *set = ea_revocation_set_build(std::vector<ea_revocation_t>{old_rec, new_rec, old_rec}.data(),
        3, kNow);
    ck_assert_uint_eq(ea_revocation_set_size(set), 1);
    ea_revocation_set_free(set);
    // A later login of the same user after a sub revocation is fine.
    ea_session_t *later = session(st, iat + 51);
    ck_assert_int_eq(check({old_rec, new_rec}, later).rc, 0);
    ea_session_free(later);
    ea_session_free(sess);
}
END_TEST

START_TEST(build_skips_expired)
{
    oidc::Setup st;
    ea_session_t *sess = session(st, kNow - 100);
    // expires <= now: skipped; expires > now: kept.
    ck_assert_int_eq(check({record(EA_REVOKE_SUB, "corp", "alice", kNow - 10, kNow)}, sess).rc, 0);
    ck_assert_int_eq(check({record(EA_REVOKE_SUB, "corp", "alice", kNow - 10, kNow - 1)}, sess).rc, 0);
    ck_assert_int_eq(check({record(EA_REVOKE_SUB, "corp", "alice", kNow - 10, kNow + 1)}, sess).rc, 1);
    ck_assert_int_eq(check({record(EA_REVOKE_SUB, "corp", "alice", kNow - 10, kNow)}, sess, "corp", kNow - 1).rc, 1);
    // An expired duplicate does not raise the live record's revoked_at.
    std::vector<ea_revocation_t> recs = {record(EA_REVOKE_SUB, "corp", "alice", kNow - 200, kNow + 100),
        record(EA_REVOKE_SUB, "corp", "alice", kNow - 50, kNow - 5)};
    ck_assert_int_eq(check(recs, sess).rc, 0);

    std::vector<ea_revocation_t> mix = {record(EA_REVOKE_SUB, "corp", "a", 1, kNow - 1),
        record(EA_REVOKE_SUB, "corp", "b", 1, kNow), record(EA_REVOKE_SUB, "corp", "c", 1, kNow + 1),
        record(EA_REVOKE_SUB, "corp", "d", 1, kMaxTime), record(EA_REVOKE_SUB, "corp", "d", 2, kMaxTime)};
    ea_revocation_set_t *set = ea_revocation_set_build(mix.data(), mix.size(), kNow);
    ck_assert_uint_eq(ea_revocation_set_size(set), 2);
    ea_revocation_set_free(set);
    set = ea_revocation_set_build(mix.data(), mix.size(), 0);
    ck_assert_uint_eq(ea_revocation_set_size(set), 4);
    ea_revocation_set_free(set);

    // No records: an empty set (the glue passes NULL then); NULL with a count is a caller bug.
    set = ea_revocation_set_build(nullptr, 0, kNow);
    ck_assert_ptr_nonnull(set);
    ck_assert_uint_eq(ea_revocation_set_size(set), 0);
    ea_str_t p = s("corp");
    ck_assert_int_eq(ea_revocation_check(set, &p, sess, nullptr), 0);
    ea_revocation_set_free(set);
    ck_assert_ptr_null(ea_revocation_set_build(nullptr, 1, kNow));
    ck_assert_uint_eq(ea_revocation_set_size(nullptr), 0);
    ea_revocation_set_free(nullptr);
    ea_session_free(sess);
}
END_TEST

START_TEST(check_per_provider)
{
    // The same provider sid, sub and session id at two providers.
    oidc::Setup corp(oidc::random_secret(), "corp");
    oidc::Setup other(oidc::random_secret(), "other");
    ea_session_t *a = session(corp, kNow - 100, "{\"sid\":\"shared\"}");
    ea_session_t *b = session(other, kNow - 100, "{\"sid\":\"shared\"}");
    std::vector<ea_revocation_t> recs = {record(EA_REVOKE_SID, "corp", "shared", kNow)};
    ck_assert_int_eq(check(recs, a, "corp").rc, 1);
    ck_assert_int_eq(check(recs, b, "other").rc, 0);
    recs = {record(EA_REVOKE_SID, "other", "shared", kNow), record(EA_REVOKE_SUB, "other", "alice", kNow),
        record(EA_REVOKE_SESSION, "other", kSessionId, kNow)};
    ck_assert_int_eq(check(recs, a, "corp").rc, 0);
    ck_assert_int_eq(check(recs, b, "other").rc, 1);
    // Provider names are compared as bytes.
    recs = {record(EA_REVOKE_SID, "Corp", "shared", kNow), record(EA_REVOKE_SID, "corp ", "shared", kNow)};
    ck_assert_int_eq(check(recs, a, "corp").rc, 0);
    ea_session_free(a);
    ea_session_free(b);
}
END_TEST

START_TEST(check_sid_claim_forms)
{
    oidc::Setup st;
    std::vector<ea_revocation_t> by_sid = {record(EA_REVOKE_SID, "corp", "op-sid-1", kNow)};
    std::vector<ea_revocation_t> none;
    // No claims, or claims without sid: sid records cannot apply, the rest still do.
    ea_session_t *plain = session(st, kNow - 100);
    ck_assert_int_eq(check(by_sid, plain).rc, 0);
    ck_assert_int_eq(check({record(EA_REVOKE_SUB, "corp", "alice", kNow)}, plain).rc, 1);
    ea_session_free(plain);
    ea_session_t *email = session(st, kNow - 100, "{\"email\":\"op-sid-1\",\"nested\":{\"sid\":\"op-sid-1\"}}");
    ck_assert_int_eq(check(by_sid, email).rc, 0);
    ea_session_free(email);
    // Bytes as stored, control and non-ASCII included (no %XX rendering).
    ea_session_t *odd = session(st, kNow - 100, "{\"sid\":\"a\\u0001\\u00e9\"}");
    ck_assert_int_eq(check({record(EA_REVOKE_SID, "corp", "a\x01\xc3\xa9", kNow)}, odd).rc, 1);
    ck_assert_int_eq(check({record(EA_REVOKE_SID, "corp", "a%01\xc3\xa9", kNow)}, odd).rc, 0);
    ea_session_free(odd);
    // A sid claim that is not a non-empty string cannot be matched: fail closed, even with no
    // record at all.
    const char *bad[] = {"{\"sid\":\"\"}", "{\"sid\":42}", "{\"sid\":null}", "{\"sid\":[\"op-sid-1\"]}",
        "{\"sid\":{\"v\":\"op-sid-1\"}}", "{\"sid\":true}"};
    for (const char *claims : bad) {
        ea_session_t *sess = session(st, kNow - 100, claims);
        Result r = check(none, sess);
        ck_assert_msg(r.rc == -1, "%s gave %d", claims, r.rc);
        ck_assert_int_eq(r.kind, EA_REVOKE_SESSION);
        ck_assert_int_eq(check(by_sid, sess).rc, -1);
        ea_session_free(sess);
    }
}
END_TEST

START_TEST(check_arguments)
{
    oidc::Setup st;
    ea_session_t *sess = session(st, kNow - 100);
    ea_revocation_t one = record(EA_REVOKE_SUB, "corp", "bob", kNow);
    ea_revocation_set_t *set = ea_revocation_set_build(&one, 1, kNow);
    ea_str_t p = s("corp"), empty = s(""), null_len{nullptr, 4};
    ea_revoke_kind_t kind = static_cast<ea_revoke_kind_t>(0);
    ck_assert_int_eq(ea_revocation_check(set, &p, sess, &kind), 0);
    ck_assert_int_eq(ea_revocation_check(nullptr, &p, sess, &kind), -1);
    ck_assert_int_eq(kind, EA_REVOKE_SESSION);
    ck_assert_int_eq(ea_revocation_check(set, nullptr, sess, &kind), -1);
    ck_assert_int_eq(ea_revocation_check(set, &empty, sess, &kind), -1);
    ck_assert_int_eq(ea_revocation_check(set, &null_len, sess, &kind), -1);
    ck_assert_int_eq(ea_revocation_check(set, &p, nullptr, &kind), -1);
    ck_assert_int_eq(ea_revocation_check(set, &p, nullptr, nullptr), -1);
    ea_revocation_set_free(set);
    ea_session_free(sess);
}
END_TEST

START_TEST(journal_round_trip)
{
    ea_revocation_t r = record(EA_REVOKE_SID, "corp", "op-sid-1", kNow, kNow + 28800);
    std::string line = format(r);
    ck_assert_string(line, "v1 " + hex(key_of(r)) + " 1700000000 1700028800\n");
    ea_revocation_t back;
    ck_assert_int_eq(parse(line.substr(0, line.size() - 1), &back), 0);
    ck_assert_int_eq(std::memcmp(&back, &r, sizeof(r)), 0);

    // A fixed key, and the bounds: 0 and 9999-12-31T23:59:59Z, revoked_at == expires.
    std::memset(&r, 0, sizeof(r));
    ck_assert_string(format(r), "v1 " + std::string(64, '0') + " 0 0\n");
    ck_assert_int_eq(parse("v1 " + kHex + " 0 253402300799", &back), 0);
    ck_assert_string(hex(key_of(back)), kHex);
    ck_assert_int_eq(back.revoked_at, 0);
    ck_assert_int_eq(back.expires, kMaxTime);
    ck_assert_string(format(back), "v1 " + kHex + " 0 253402300799\n");
    ck_assert_int_eq(parse("v1 " + kHex + " 253402300799 253402300799", &back), 0);
    ck_assert_string(format(back), "v1 " + kHex + " 253402300799 253402300799\n");
    ck_assert_uint_eq(format(back).size(), 94);
    ck_assert_int_eq(parse("v1 " + kHex + " 7 7"), 0);

    // Many records: each line parses back to the same record.
    for (int i = 0; i < 200; i++) {
        ea_revocation_t x = record(static_cast<ea_revoke_kind_t>(1 + i % 3), "p" + std::to_string(i % 7),
            "v" + std::to_string(i), i * 1000003LL, i * 1000003LL + i);
        std::string l = format(x);
        ck_assert_int_eq(l.back(), '\n');
        ck_assert_int_eq(parse(l.substr(0, l.size() - 1), &back), 0);
        ck_assert_int_eq(std::memcmp(&back, &x, sizeof(x)), 0);
    }
}
END_TEST

START_TEST(journal_format_refusals)
{
    ea_revocation_t r = record(EA_REVOKE_SUB, "corp", "alice", kNow, kNow + 1);
    std::string line = format(r);
    char buf[EA_REVOCATION_LINE_MAX];
    // The line and its NUL must fit.
    std::memset(buf, 'X', sizeof(buf));
    ck_assert_uint_eq(ea_revocation_format(&r, buf, line.size()), 0);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_uint_eq(ea_revocation_format(&r, buf, line.size() + 1), line.size());
    ck_assert_int_eq(buf[line.size()], '\0');
    ck_assert_uint_eq(ea_revocation_format(&r, buf, 0), 0);
    ck_assert_uint_eq(ea_revocation_format(&r, nullptr, sizeof(buf)), 0);
    ck_assert_uint_eq(ea_revocation_format(nullptr, buf, sizeof(buf)), 0);
    ck_assert_int_eq(buf[0], '\0');
    // Records the parser would refuse are not written.
    const int64_t bad_times[][2] = {{kNow + 1, kNow}, {-1, kNow}, {kNow, kMaxTime + 1}, {kNow, -1},
        {INT64_MIN, 0}, {0, INT64_MAX}};
    for (const auto &t : bad_times) {
        ea_revocation_t x = r;
        x.revoked_at = t[0];
        x.expires = t[1];
        std::memset(buf, 'X', sizeof(buf));
        ck_assert_uint_eq(ea_revocation_format(&x, buf, sizeof(buf)), 0);
        ck_assert_int_eq(buf[0], '\0');
    }
}
END_TEST

START_TEST(journal_malformed_lines)
{
    const std::string k = kHex;
    const std::string bad[] = {
        // empty or truncated
        "",
        "v1",
        "v1 ",
        "v1 " + k,
        "v1 " + k + " ",
        "v1 " + k + " 1",
        "v1 " + k + " 1 ",
        // version prefix
        "v2 " + k + " 1 2",
        "V1 " + k + " 1 2",
        "v0 " + k + " 1 2",
        "1 " + k + " 1 2",
        "v11 " + k + " 1 2",
        "vl " + k + " 1 2",
        k + " 1 2",
        // the key: case, length, alphabet
        "v1 " + std::string("00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff") + " 1 2",
        "v1 " + k.substr(0, 63) + " 1 2",
        "v1 " + k + "0 1 2",
        "v1 " + k.substr(0, 62) + " 1 2",
        "v1 " + k.substr(0, 63) + "g 1 2",
        "v1 " + k.substr(0, 63) + "x 1 2",
        "v1 0x" + k.substr(0, 62) + " 1 2",
        "v1 " + std::string(64, ' ') + " 1 2",
        // separators
        "v1  " + k + " 1 2",
        "v1 " + k + "  1 2",
        "v1 " + k + " 1  2",
        " v1 " + k + " 1 2",
        "v1 " + k + " 1 2 ",
        "v1\t" + k + " 1 2",
        "v1 " + k + "\t1 2",
        "v1 " + k + " 1\t2",
        "v1 " + k + " 1 2\n",
        "v1 " + k + " 1 2\r",
        "v1 " + k + " 1 2\r\n",
        "v1 " + k + " 1 2 3",
        "v1 " + k + " 1 2 #",
        std::string("v1 ") + k + " 1 2" + std::string(1, '\0'),
        std::string("v1 ") + k + std::string(1, '\0') + "1 2",
        // integers: signs, leading zeros, digits, range
        "v1 " + k + " +1 2",
        "v1 " + k + " 1 +2",
        "v1 " + k + " -1 2",
        "v1 " + k + " 1 -2",
        "v1 " + k + " 01 2",
        "v1 " + k + " 1 02",
        "v1 " + k + " 00 0",
        "v1 " + k + " 0 00",
        "v1 " + k + " 1.0 2",
        "v1 " + k + " 1e3 2000",
        "v1 " + k + " 0x10 20",
        "v1 " + k + " 1 2a",
        "v1 " + k + " a 2",
        "v1 " + k + " 1 253402300800",
        "v1 " + k + " 253402300800 253402300800",
        "v1 " + k + " 1 999999999999",
        "v1 " + k + " 1 1000000000000",
        "v1 " + k + " 1 0000000000002",
        "v1 " + k + " 1 99999999999999999999999",
        "v1 " + k + " 1 9223372036854775808",
        // revoked_at after expires
        "v1 " + k + " 2 1",
        "v1 " + k + " 1700000001 1700000000",
    };
    for (const std::string &line : bad) {
        ck_assert_msg(parse(line) == -1, "accepted \"%s\"", line.c_str());
    }
    ea_revocation_t out;
    ck_assert_int_eq(ea_revocation_parse(nullptr, 0, &out), -1);
    std::string good = "v1 " + k + " 1 2";
    ck_assert_int_eq(ea_revocation_parse(good.data(), good.size(), nullptr), -1);
    // A line is read with its explicit length, not up to a NUL.
    std::string with_more = good + "\nv1 garbage";
    ck_assert_int_eq(ea_revocation_parse(with_more.data(), good.size(), &out), 0);
    ck_assert_int_eq(out.expires, 2);
}
END_TEST

START_TEST(core_set_api)
{
    using namespace edge_auth;
    Revocation r;
    ck_assert(make_revocation(RevokeKind::Sub, "corp", "alice", 10, 20, r));
    ck_assert(!make_revocation(static_cast<RevokeKind>(9), "corp", "alice", 10, 20, r));
    ck_assert(!make_revocation(RevokeKind::Sub, "", "alice", 10, 20, r));
    ck_assert(make_revocation(RevokeKind::Sub, "corp", "alice", 10, 20, r));
    Revocation later = r;
    later.revoked_at = 15;
    Revocation recs[] = {r, later, r};
    RevocationSet set = RevocationSet::build(recs, 3, 19);
    ck_assert_uint_eq(set.size(), 1);
    int64_t at = 0;
    ck_assert(set.find(r.key, at));
    ck_assert_int_eq(at, 15);
    ck_assert_uint_eq(RevocationSet::build(recs, 3, 20).size(), 0);
    ck_assert_uint_eq(RevocationSet::build(nullptr, 0, 0).size(), 0);
    ck_assert_string(format_revocation(r).substr(67), " 10 20\n");
    Revocation bad = r;
    bad.expires = 9;
    ck_assert_string(format_revocation(bad), "");
}
END_TEST

Suite *revocation_suite()
{
    Suite *s = suite_create("revocation");
    TCase *tc = tcase_create("records, set and journal");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, make_key_encoding);
    tcase_add_test(tc, make_refusals);
    tcase_add_test(tc, check_each_kind);
    tcase_add_test(tc, check_issued_after_revocation);
    tcase_add_test(tc, build_skips_expired);
    tcase_add_test(tc, check_per_provider);
    tcase_add_test(tc, check_sid_claim_forms);
    tcase_add_test(tc, check_arguments);
    tcase_add_test(tc, journal_round_trip);
    tcase_add_test(tc, journal_format_refusals);
    tcase_add_test(tc, journal_malformed_lines);
    tcase_add_test(tc, core_set_api);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(revocation_suite);
