// Sealed sessions end to end in the core: round trips, chunking, every rejection class of
// open_session (tampering per region, truncation, keys, binding, chunks, expiry, payload) and
// the re-seal rules.

#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

#include "base64url.h"
#include "seal.h"
#include "session.h"
#include "unit.h"

using edge_auth::CookieChunks;
using edge_auth::Detail;
using edge_auth::Session;
using edge_auth::SessionConfig;
using edge_auth::SessionKeys;
using edge_auth::SessionSealer;
using edge_auth::SessionStatus;

namespace {

#define ck_assert_session(actual, expected)                                                   \
    ck_assert_msg((actual) == (expected), "status %s, expected %s",                            \
        edge_auth::session_status_reason(actual), edge_auth::session_status_reason(expected))

constexpr int64_t kNow = unit::kNow;

std::string random_secret()
{
    std::string b(32, '\0');
    ck_assert_int_eq(RAND_bytes(reinterpret_cast<unsigned char *>(&b[0]), 32), 1);
    return edge_auth::base64url_encode(b);
}

std::unique_ptr<SessionKeys> keys(const std::string &text)
{
    std::string err;
    auto k = SessionKeys::load(text, err);
    ck_assert_msg(k != nullptr, "%s", err.c_str());
    return k;
}

std::unique_ptr<SessionSealer> sealer(const std::string &provider = "corp", const std::string &cookie = "sess",
    int64_t idle = 1800, int64_t absolute = 28800, const std::string &realm = "")
{
    SessionConfig c;
    c.provider = provider;
    c.cookie_name = cookie;
    c.realm = realm;
    c.idle_timeout = idle;
    c.absolute_timeout = absolute;
    std::string err;
    auto s = SessionSealer::create(c, err);
    ck_assert_msg(s != nullptr, "%s", err.c_str());
    return s;
}

Session session(int64_t now = kNow, size_t token_bytes = 40)
{
    Session s;
    ck_assert(edge_auth::new_session_id(s.sid));
    s.sub = "alice";
    s.iss = "https://idp.example";
    s.issued_at = now;
    s.last_seen = now;
    s.expires = now + 28800;
    s.access_token = std::string(token_bytes, 'a');
    s.access_token_expires = now + 3600;
    s.refresh_token = std::string(token_bytes, 'r');
    edge_auth::JsonError e = edge_auth::parse_json_object(
        "{\"email\":\"alice@example.com\",\"groups\":[\"admin\",\"ops\"]}", edge_auth::JsonLimits{1024, 4},
        s.claims);
    ck_assert(e == edge_auth::JsonError::None);
    return s;
}

std::vector<std::string> seal(const SessionSealer &sl, const SessionKeys &k, const Session &s)
{
    std::vector<std::string> values;
    char buf[200];
    Detail d(buf, sizeof(buf));
    SessionStatus st = edge_auth::seal_session(sl, k, s, values, d);
    ck_assert_msg(st == SessionStatus::Ok, "seal: %s (%s)", edge_auth::session_status_reason(st), buf);
    return values;
}

std::string header(const std::string &name, const std::vector<std::string> &values)
{
    std::string h;
    for (size_t i = 0; i < values.size(); i++) {
        h += (i ? "; " : "") + edge_auth::chunk_name(name, i) + "=" + values[i];
    }
    return h;
}

SessionStatus open_header(const SessionSealer &sl, const SessionKeys &k, const std::string &h, int64_t now,
    Session *out = nullptr, std::string *detail = nullptr)
{
    char buf[200];
    Detail d(buf, sizeof(buf));
    std::string_view hv = h;
    CookieChunks chunks;
    SessionStatus st = edge_auth::find_chunks(&hv, 1, sl.config().cookie_name, chunks, d);
    Session s;
    if (st == SessionStatus::Ok) {
        st = edge_auth::open_session(sl, k, chunks, now, s, d);
    }
    if (st != SessionStatus::Ok) {
        ck_assert(s.sid.empty() && s.sub.empty() && !s.claims);
    }
    if (out) {
        *out = std::move(s);
    }
    if (detail) {
        *detail = buf;
    }
    return st;
}

SessionStatus open_values(const SessionSealer &sl, const SessionKeys &k, const std::vector<std::string> &v,
    int64_t now, std::string *detail = nullptr)
{
    return open_header(sl, k, header(sl.config().cookie_name, v), now, nullptr, detail);
}

// The single-chunk cookie value sealing `plaintext` as given (for payload tests).
std::string raw_cookie(const SessionSealer &sl, const SessionKeys &k, const std::string &plaintext)
{
    std::string sealed;
    ck_assert(edge_auth::seal_value(k.sealing(), edge_auth::KeyPurpose::Session, 1, sl.context(), plaintext, sealed));
    return edge_auth::base64url_encode(sealed);
}

// Decodes a single-chunk value, lets `edit` change the bytes, encodes again.
template <typename Fn>
std::string edit_value(const std::string &value, Fn &&edit)
{
    std::string bytes;
    ck_assert(edge_auth::base64url_decode(value, bytes));
    edit(bytes);
    return edge_auth::base64url_encode(bytes);
}

// Rewrites the chunk-count byte of a (multi-chunk) first value: its first 8 characters.
std::string with_parts(const std::string &first, unsigned parts)
{
    std::string head;
    ck_assert(edge_auth::base64url_decode(first.substr(0, 8), head));
    head[5] = static_cast<char>(parts);
    return edge_auth::base64url_encode(head) + first.substr(8);
}

} // namespace

START_TEST(round_trip)
{
    auto k = keys(random_secret());
    auto sl = sealer();
    Session s = session();
    s.id_token = "eyJ.x.y";
    auto v = seal(*sl, *k, s);
    ck_assert_int_eq(v.size(), 1);
    Session o;
    ck_assert_session(open_header(*sl, *k, "a=b; " + header("sess", v) + "; c=d", kNow + 10, &o), SessionStatus::Ok);
    ck_assert_string(o.sid, s.sid);
    ck_assert_string(o.sub, "alice");
    ck_assert_string(o.iss, "https://idp.example");
    ck_assert_int_eq(o.issued_at, kNow);
    ck_assert_int_eq(o.last_seen, kNow);
    ck_assert_int_eq(o.expires, kNow + 28800);
    ck_assert_string(o.access_token, s.access_token);
    ck_assert_int_eq(o.access_token_expires, kNow + 3600);
    ck_assert_string(o.refresh_token, s.refresh_token);
    ck_assert_string(o.id_token, "eyJ.x.y");
    ck_assert_string(edge_auth::session_to_json(o), edge_auth::session_to_json(s));
    // Minimal session: only the required members.
    Session m = session();
    m.access_token.clear();
    m.refresh_token.clear();
    m.access_token_expires = 0;
    m.claims = edge_auth::Json();
    std::string json = edge_auth::session_to_json(m);
    ck_assert(json.find("\"at\"") == std::string::npos && json.find("claims") == std::string::npos);
    ck_assert_session(open_values(*sl, *k, seal(*sl, *k, m), kNow), SessionStatus::Ok);
}
END_TEST

START_TEST(document_known_answer)
{
    // The plaintext of the worked example in docs/session-format.md.
    Session s;
    s.sid = "q83vEjRWeJCrze8SNFZ4kA";
    s.sub = "alice";
    s.iss = "https://idp.example";
    s.issued_at = 1700000000;
    s.last_seen = 1700000000;
    s.expires = 1700028800;
    s.access_token = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln";
    s.access_token_expires = 1700003600;
    ck_assert(edge_auth::parse_json_object("{\"email\":\"alice@example.com\"}", edge_auth::JsonLimits{100, 2},
                  s.claims)
        == edge_auth::JsonError::None);
    ck_assert_string(edge_auth::session_to_json(s),
        "{\"sid\":\"q83vEjRWeJCrze8SNFZ4kA\",\"sub\":\"alice\",\"iss\":\"https://idp.example\",\"iat\":1700000000,"
        "\"seen\":1700000000,\"exp\":1700028800,\"at\":\"eyJhbGciOiJSUzI1NiJ9.e30.c2ln\",\"at_exp\":1700003600,"
        "\"claims\":{\"email\":\"alice@example.com\"}}");
    // The worked example's cookie opens at a time inside its lifetime.
    auto k = keys("kWzRAu0v1yrL4hCkX7jn0eNuAoy8dpGszcVq6mPYU3Q");
    auto sl = sealer("corp", "__Host-edge", 0);
    Session o;
    ck_assert_session(open_header(*sl, *k,
                          "__Host-edge=AUnWMZEBEBESExQVFhcYGRobJp4jVd2qNkepe0oYY15KtFgD7EKUQF_gMMO-4MLs8dpjWuaMfHUzUpP"
                          "LruAxzTd1d3TN0YpZRXwbXimrADVhodpo9bzfr3zRHHldvon7oNjzwjwIHgaMqCvyGg3tiNrwnos3H3LxVi1mkpoBH"
                          "U9tGeLlcNElWzqTKAvdDFcxkQQ_gH6fJKqwJgy146aOsHxtgS7UVH1l5mFVt52kh-CohYmte0-4krMixxR0gQm6A2w"
                          "FeyvbLyilkwOqeG0PdIS2WIqoZMSz4Hgfk-E6wLO7eJelolpShVSxEzz0kAIsgm8gDi2mO6YIs-ImxMyt0g",
                          1700000100, &o),
        SessionStatus::Ok);
    ck_assert_string(o.sid, "q83vEjRWeJCrze8SNFZ4kA");
}
END_TEST

namespace {

// The session document as jansson would dump it (the way session_to_json once built it): the
// reference the direct writer must match byte for byte. Empty when jansson refuses a string.
std::string jansson_session_json(const Session &s)
{
    edge_auth::Json doc(json_object());
    json_t *o = doc.get();
    bool ok = true;
    auto str = [&](const char *name, const std::string &v) {
        json_t *j = json_stringn(v.data(), v.size());
        ok = ok && j;
        if (j) {
            json_object_set_new(o, name, j);
        }
    };
    str("sid", s.sid);
    str("sub", s.sub);
    str("iss", s.iss);
    json_object_set_new(o, "iat", json_integer(s.issued_at));
    json_object_set_new(o, "seen", json_integer(s.last_seen));
    json_object_set_new(o, "exp", json_integer(s.expires));
    if (!s.access_token.empty()) {
        str("at", s.access_token);
    }
    if (s.access_token_expires != 0) {
        json_object_set_new(o, "at_exp", json_integer(s.access_token_expires));
    }
    if (!s.refresh_token.empty()) {
        str("rt", s.refresh_token);
    }
    if (!s.id_token.empty()) {
        str("idt", s.id_token);
    }
    if (s.claims) {
        json_object_set(o, "claims", s.claims.get());
    }
    if (!ok) {
        return std::string();
    }
    char *text = json_dumps(o, JSON_COMPACT);
    std::string out(text);
    free(text);
    return out;
}

} // namespace

// session_to_json writes the document itself; every string jansson would hold must come out as
// jansson's dump wrote it, and every string jansson refuses (invalid UTF-8) must be refused.
START_TEST(document_writer_matches_jansson)
{
    const std::string strings[] = {"plain", "quote\"back\\slash/", "tab\tnl\ncr\rbs\bff\f", "\x01\x1f\x7f",
        std::string("nul\0inside", 10), "\xc3\xbcmlaut \xe2\x82\xac \xf0\x9d\x84\x9e", "\xef\xbf\xbf\xf4\x8f\xbf\xbf",
        "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\x80", "\xe0\x80\x80", "\x80", "\xf0\x80\x80\x80", "\xf8\x88\x80\x80\x80",
        "ok\xe2\x82"};
    int refused = 0;
    for (const std::string &v : strings) {
        for (int field = 0; field < 5; field++) {
            Session s = session();
            (field == 0 ? s.sub : field == 1 ? s.iss : field == 2 ? s.access_token
                 : field == 3 ? s.refresh_token : s.id_token) = v;
            std::string want = jansson_session_json(s);
            std::string got;
            bool threw = false;
            try {
                got = edge_auth::session_to_json(s);
            } catch (const std::invalid_argument &) {
                threw = true;
            }
            ck_assert_msg(threw == want.empty(), "string %zu bytes, field %d: refused %d, jansson refused %d",
                v.size(), field, threw, want.empty());
            if (!threw) {
                ck_assert_string(got, want);
            } else {
                refused++;
            }
        }
    }
    ck_assert_int_eq(refused, 9 * 5);   // the nine invalid UTF-8 strings, in every field
    // Without the optional members, and with claims of every JSON type.
    Session m = session();
    m.access_token.clear();
    m.refresh_token.clear();
    m.id_token.clear();
    m.access_token_expires = 0;
    ck_assert(edge_auth::parse_json_object("{\"a\":[1,2.5,true,null,\"x\\u00e9\"],\"b\":{\"c\":-7}}",
                  edge_auth::JsonLimits{200, 4}, m.claims)
        == edge_auth::JsonError::None);
    ck_assert_string(edge_auth::session_to_json(m), jansson_session_json(m));
    m.claims = edge_auth::Json();
    ck_assert_string(edge_auth::session_to_json(m), jansson_session_json(m));
}
END_TEST

START_TEST(tampered_regions)
{
    auto k = keys(random_secret() + "\n" + random_secret());
    auto sl = sealer();
    std::string v = seal(*sl, *k, session())[0];
    struct Region {
        size_t at;
        SessionStatus expected;
    };
    std::string bytes;
    ck_assert(edge_auth::base64url_decode(v, bytes));
    const Region regions[] = {
        {0, SessionStatus::UnknownVersion},          // version
        {2, SessionStatus::UnknownKey},              // key id
        {5, SessionStatus::BadSeal},                 // chunk count = 1 -> 0 is "chunk"; see below
        {6, SessionStatus::BadSeal},                 // IV
        {17, SessionStatus::BadSeal},                // IV, last byte
        {18, SessionStatus::BadSeal},                // ciphertext, first byte
        {bytes.size() / 2, SessionStatus::BadSeal},  // ciphertext
        {bytes.size() - 16, SessionStatus::BadSeal}, // tag, first byte
        {bytes.size() - 1, SessionStatus::BadSeal},  // tag, last byte
    };
    for (const Region &r : regions) {
        std::string t = edit_value(v, [&](std::string &b) { b[r.at] = static_cast<char>(b[r.at] ^ 0x02); });
        std::string detail;
        SessionStatus st = open_values(*sl, *k, {t}, kNow, &detail);
        if (r.at == 5) {
            // parts 1 -> 3: chunks 1 and 2 are then missing.
            ck_assert_session(st, SessionStatus::Chunk);
        } else {
            ck_assert_session(st, r.expected);
        }
        if (st == SessionStatus::BadSeal) {
            ck_assert_string(detail, "authentication failed");
        }
    }
    // Two users' cookies: header and IV of one, ciphertext and tag of the other.
    std::string w = seal(*sl, *k, session())[0];
    std::string a, b;
    ck_assert(edge_auth::base64url_decode(v, a) && edge_auth::base64url_decode(w, b));
    std::string spliced = a.substr(0, 18) + b.substr(18);
    ck_assert_session(open_values(*sl, *k, {edge_auth::base64url_encode(spliced)}, kNow), SessionStatus::BadSeal);
    ck_assert_session(open_values(*sl, *k, {v}, kNow), SessionStatus::Ok);
}
END_TEST

START_TEST(truncated_and_malformed)
{
    auto k = keys(random_secret());
    auto sl = sealer();
    std::string v = seal(*sl, *k, session())[0];
    std::string detail;
    // One character less: not canonical base64url, or (when it happens to be) a shifted tag.
    SessionStatus cut = open_values(*sl, *k, {v.substr(0, v.size() - 1)}, kNow);
    ck_assert(cut == SessionStatus::Malformed || cut == SessionStatus::BadSeal);
    // Whole bytes removed from the end (canonical encodings): the tag shifts and fails.
    for (size_t drop : {1u, 15u, 16u, 17u}) {
        std::string t = edit_value(v, [&](std::string &b) { b.resize(b.size() - drop); });
        ck_assert_session(open_values(*sl, *k, {t}, kNow), SessionStatus::BadSeal);
    }
    std::string prefix_only = edit_value(v, [](std::string &b) { b.resize(33); });
    ck_assert_session(open_values(*sl, *k, {prefix_only}, kNow), SessionStatus::Malformed);
    ck_assert_session(open_header(*sl, *k, "sess=", kNow), SessionStatus::Malformed);
    ck_assert_session(open_header(*sl, *k, "sess=AUnWMZE", kNow), SessionStatus::Malformed);
    ck_assert_session(open_header(*sl, *k, "sess=" + v.substr(0, 8), kNow), SessionStatus::Malformed);
    ck_assert_session(open_header(*sl, *k, "sess=AAAAAAAAAAAA", kNow), SessionStatus::UnknownVersion);
    ck_assert_session(open_header(*sl, *k, "sess=" + v + "=", kNow), SessionStatus::Malformed);
    SessionStatus longer = open_header(*sl, *k, "sess=" + v + "A", kNow);
    ck_assert(longer == SessionStatus::Malformed || longer == SessionStatus::BadSeal);
    ck_assert_session(open_header(*sl, *k, "sess=\"" + v + "\"", kNow), SessionStatus::Malformed);
    std::string plus = v;
    plus[20] = '+';
    ck_assert_session(open_header(*sl, *k, "sess=" + plus, kNow), SessionStatus::Malformed);
    ck_assert_session(open_header(*sl, *k, "a=1", kNow, nullptr, &detail), SessionStatus::NoSession);
}
END_TEST

START_TEST(keys_rotation_and_retirement)
{
    std::string older = random_secret(), newer = random_secret();
    auto before = keys(older);
    auto during = keys(newer + "\n" + older + "\n");
    auto after = keys(newer);
    auto sl = sealer();
    auto old_cookie = seal(*sl, *before, session());
    auto new_cookie = seal(*sl, *during, session());
    // The old key still opens; the first key seals.
    ck_assert_session(open_values(*sl, *during, old_cookie, kNow), SessionStatus::Ok);
    ck_assert_session(open_values(*sl, *after, new_cookie, kNow), SessionStatus::Ok);
    // Retired key removed from the file.
    std::string detail;
    ck_assert_session(open_values(*sl, *after, old_cookie, kNow, &detail), SessionStatus::UnknownKey);
    ck_assert(detail.find(edge_auth::key_id_hex(before->sealing().kid)) != std::string::npos);
    // A wrong key entirely.
    auto other = keys(random_secret());
    ck_assert_session(open_values(*sl, *other, new_cookie, kNow), SessionStatus::UnknownKey);
}
END_TEST

START_TEST(binding_provider_cookie_realm)
{
    auto k = keys(random_secret());
    auto corp = sealer("corp", "sess");
    auto v = seal(*corp, *k, session());
    ck_assert_session(open_values(*sealer("partner", "sess"), *k, v, kNow), SessionStatus::BadSeal);
    ck_assert_session(open_values(*sealer("corp", "sess", 1800, 28800, "app2"), *k, v, kNow), SessionStatus::BadSeal);
    // The same value presented under another cookie name, to a location using that name.
    auto other_name = sealer("corp", "other");
    ck_assert_session(open_header(*other_name, *k, "other=" + v[0], kNow), SessionStatus::BadSeal);
    auto host = sealer("corp", "__Host-sess");
    ck_assert_session(open_header(*host, *k, "__Host-sess=" + v[0], kNow), SessionStatus::BadSeal);
    auto hv = seal(*host, *k, session());
    ck_assert_session(open_header(*host, *k, "__Host-sess=" + hv[0], kNow), SessionStatus::Ok);
    ck_assert_session(open_header(*corp, *k, "sess=" + hv[0], kNow), SessionStatus::BadSeal);
}
END_TEST

START_TEST(expiry)
{
    auto k = keys(random_secret());
    auto sl = sealer("corp", "sess", 1800, 28800);
    Session s = session();
    auto v = seal(*sl, *k, s);
    std::string detail;
    ck_assert_session(open_values(*sl, *k, v, kNow + 1800), SessionStatus::Ok);
    ck_assert_session(open_values(*sl, *k, v, kNow + 1801, &detail), SessionStatus::IdleExpired);
    ck_assert_string(detail, "last seen at 1700000000, idle for more than 1800 s");
    // Re-sealed with a later last-seen time, it lives on until the absolute expiry.
    s.last_seen = kNow + 28000;
    auto later = seal(*sl, *k, s);
    ck_assert_session(open_values(*sl, *k, later, kNow + 28799), SessionStatus::Ok);
    ck_assert_session(open_values(*sl, *k, later, kNow + 28800, &detail), SessionStatus::Expired);
    ck_assert_string(detail, "expired at 1700028800, now 1700028800");
    // No idle timeout configured.
    auto no_idle = sealer("corp", "sess", 0, 28800);
    ck_assert_session(open_values(*no_idle, *k, v, kNow + 28799), SessionStatus::Ok);
    // The absolute timeout lowered in the configuration applies to sessions sealed before.
    auto shorter = sealer("corp", "sess", 0, 3600);
    ck_assert_session(open_values(*shorter, *k, v, kNow + 3599), SessionStatus::Ok);
    ck_assert_session(open_values(*shorter, *k, v, kNow + 3600, &detail), SessionStatus::Expired);
    // A clock before the session started is not an idle period.
    ck_assert_session(open_values(*sl, *k, v, kNow - 100), SessionStatus::Ok);
    ck_assert_session(open_values(*sl, *k, v, INT64_MIN), SessionStatus::Ok);
    ck_assert_session(open_values(*sl, *k, v, INT64_MAX), SessionStatus::Expired);
}
END_TEST

START_TEST(chunked_round_trip)
{
    auto k = keys(random_secret());
    auto sl = sealer("corp", "__Host-edge");
    Session s = session(kNow, 6000);
    s.id_token = std::string(3000, 'i');
    auto v = seal(*sl, *k, s);
    ck_assert_int_eq(v.size(), 6);
    for (size_t i = 0; i < v.size(); i++) {
        ck_assert_int_le(edge_auth::chunk_name("__Host-edge", i).size() + 1 + v[i].size(), 4000);
    }
    Session o;
    ck_assert_session(open_header(*sl, *k, header("__Host-edge", v), kNow, &o), SessionStatus::Ok);
    ck_assert_string(o.access_token, s.access_token);
    ck_assert_string(o.id_token, s.id_token);
    // Chunks in any order in the header, spread over several headers.
    std::string h = "__Host-edge.3=" + v[3] + "; x=1; __Host-edge.1=" + v[1] + "; __Host-edge=" + v[0]
        + "; __Host-edge.5=" + v[5] + "; __Host-edge.4=" + v[4] + "; __Host-edge.2=" + v[2];
    ck_assert_session(open_header(*sl, *k, h, kNow), SessionStatus::Ok);
    // The largest session that fits, and one byte more.
    Session big = session(kNow, 10000);
    big.refresh_token = std::string(10000, 'r');
    big.claims = edge_auth::Json();
    std::string base = edge_auth::session_to_json(big);
    size_t capacity_chars = (4000 - 12) + 7 * (4000 - 14);
    size_t max_plain = capacity_chars * 3 / 4 - edge_auth::kSealOverhead;
    big.id_token = std::string(max_plain - base.size() - std::string(",\"idt\":\"\"").size(), 'i');
    auto full = seal(*sl, *k, big);
    ck_assert_int_eq(full.size(), 8);
    ck_assert_session(open_values(*sl, *k, full, kNow), SessionStatus::Ok);
    big.id_token += "iiii";
    std::vector<std::string> none;
    char buf[200];
    Detail d(buf, sizeof(buf));
    ck_assert_session(edge_auth::seal_session(*sl, *k, big, none, d), SessionStatus::TooLarge);
    ck_assert_int_eq(none.size(), 0);
}
END_TEST

START_TEST(chunk_attacks)
{
    auto k = keys(random_secret());
    auto sl = sealer();
    auto v = seal(*sl, *k, session(kNow, 5000));   // 4 chunks
    ck_assert_int_eq(v.size(), 4);
    std::string detail;
    // Missing middle chunk, missing last chunk, missing first chunk.
    ck_assert_session(open_values(*sl, *k, {v[0], v[1], v[3]}, kNow, &detail), SessionStatus::Chunk);
    ck_assert_session(open_header(*sl, *k, "sess=" + v[0] + "; sess.1=" + v[1] + "; sess.3=" + v[3], kNow, nullptr,
                          &detail),
        SessionStatus::Chunk);
    ck_assert_string(detail, "chunk 2 of 4 is missing");
    ck_assert_session(open_values(*sl, *k, {v[0], v[1], v[2]}, kNow), SessionStatus::Chunk);
    ck_assert_session(open_header(*sl, *k, "sess.1=" + v[1] + "; sess.2=" + v[2] + "; sess.3=" + v[3], kNow),
        SessionStatus::Chunk);
    // Extra chunk.
    ck_assert_session(open_header(*sl, *k, header("sess", v) + "; sess.4=AAAA", kNow, nullptr, &detail),
        SessionStatus::Chunk);
    ck_assert_string(detail, "chunk 4 is present but the session has 4 cookies");
    // Reordered chunks (1 and 2 are both full, so the lengths still add up).
    ck_assert_int_eq(v[1].size(), v[2].size());
    ck_assert_session(open_values(*sl, *k, {v[0], v[2], v[1], v[3]}, kNow), SessionStatus::BadSeal);
    // A chunk swapped in from another session of the same size.
    auto w = seal(*sl, *k, session(kNow, 5000));
    ck_assert_int_eq(w.size(), 4);
    ck_assert_session(open_values(*sl, *k, {v[0], w[1], v[2], v[3]}, kNow), SessionStatus::BadSeal);
    ck_assert_session(open_values(*sl, *k, {w[0], v[1], v[2], v[3]}, kNow), SessionStatus::BadSeal);
    // Empty chunk.
    ck_assert_session(open_values(*sl, *k, {v[0], "", v[2], v[3]}, kNow, &detail), SessionStatus::Chunk);
    ck_assert_string(detail, "chunk 1 is empty");
    // Absurd chunk counts in the header: rejected before anything is assembled.
    for (unsigned parts : {0u, 9u, 99u, 255u}) {
        std::vector<std::string> t = v;
        t[0] = with_parts(v[0], parts);
        ck_assert_session(open_values(*sl, *k, t, kNow), SessionStatus::Chunk);
    }
    // A smaller count than sent: an extra chunk. A larger count with matching cookies: the count
    // is authenticated.
    std::vector<std::string> t = v;
    t[0] = with_parts(v[0], 3);
    ck_assert_session(open_values(*sl, *k, t, kNow), SessionStatus::Chunk);
    t = v;
    t[0] = with_parts(v[0], 5);
    t.push_back("AAAA");
    ck_assert_session(open_values(*sl, *k, t, kNow), SessionStatus::BadSeal);
    // Absurd chunk names.
    for (const char *name : {"sess.99999999", "sess.-1", "sess.abc", "sess.0", "sess.8"}) {
        ck_assert_session(open_header(*sl, *k, header("sess", v) + "; " + name + "=AAAA", kNow), SessionStatus::Chunk);
    }
    // Duplicate chunk.
    ck_assert_session(open_header(*sl, *k, header("sess", v) + "; sess.2=" + v[2], kNow), SessionStatus::Duplicate);
    ck_assert_session(open_values(*sl, *k, v, kNow), SessionStatus::Ok);
}
END_TEST

START_TEST(duplicate_cookie_names)
{
    auto k = keys(random_secret());
    auto sl = sealer();
    auto a = seal(*sl, *k, session()), b = seal(*sl, *k, session());
    ck_assert_session(open_header(*sl, *k, "sess=" + a[0] + "; sess=" + b[0], kNow), SessionStatus::Duplicate);
    ck_assert_session(open_header(*sl, *k, "sess=" + a[0] + "; sess=" + a[0], kNow), SessionStatus::Duplicate);
    ck_assert_session(open_header(*sl, *k, "sess=" + a[0] + "; sess=junk", kNow), SessionStatus::Duplicate);
}
END_TEST

START_TEST(payload_rules)
{
    auto k = keys(random_secret());
    auto sl = sealer("corp", "sess", 0);
    const std::string good_tail = ",\"sub\":\"alice\",\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1700000000,"
                                  "\"exp\":1700028800";
    const std::string sid = "{\"sid\":\"q83vEjRWeJCrze8SNFZ4kA\"";
    auto opens = [&](const std::string &plain) {
        std::string detail;
        SessionStatus st = open_header(*sl, *k, "sess=" + raw_cookie(*sl, *k, plain), kNow, nullptr, &detail);
        return st;
    };
    ck_assert_session(opens(sid + good_tail + "}"), SessionStatus::Ok);
    // Members the opener does not know are ignored.
    ck_assert_session(opens(sid + good_tail + ",\"future\":[1,2]}"), SessionStatus::Ok);
    const std::string bad[] = {
        "",
        "not json",
        "[]",
        "{}",
        sid + good_tail + "} trailing",
        sid + good_tail + ",\"sub\":\"mallory\"}",             // duplicate member
        sid + good_tail + ",\"s\\u0075b\":\"mallory\"}",       // duplicate after unescaping
        "{\"sid\":\"short\"" + good_tail + "}",
        "{\"sid\":\"q83vEjRWeJCrze8SNFZ4kA==\"" + good_tail + "}",
        "{\"sid\":7" + good_tail + "}",
        sid + ",\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1700000000,\"exp\":1700028800}",
        sid + ",\"sub\":\"\",\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1700000000,\"exp\":1700028800}",
        sid + ",\"sub\":\"a\\nb\",\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1700000000,\"exp\":1700028800}",
        sid + ",\"sub\":1,\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1700000000,\"exp\":1700028800}",
        sid + ",\"sub\":\"a\",\"iss\":\"https://idp\",\"iat\":\"1700000000\",\"seen\":1700000000,\"exp\":1700028800}",
        sid + ",\"sub\":\"a\",\"iss\":\"https://idp\",\"iat\":1700000000.5,\"seen\":1700000000,\"exp\":1700028800}",
        sid + ",\"sub\":\"a\",\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1699999999,\"exp\":1700028800}",
        sid + ",\"sub\":\"a\",\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1700000000,\"exp\":1700000000}",
        sid + ",\"sub\":\"a\",\"iss\":\"https://idp\",\"iat\":-5,\"seen\":1700000000,\"exp\":1700028800}",
        sid + ",\"sub\":\"a\",\"iss\":\"https://idp\",\"iat\":1700000000,\"seen\":1700000000,\"exp\":1e300}",
        sid + good_tail + ",\"at\":\"has space\"}",
        sid + good_tail + ",\"at\":\"\"}",
        sid + good_tail + ",\"rt\":\"caf\\u00e9\"}",
        sid + good_tail + ",\"idt\":null}",
        sid + good_tail + ",\"at_exp\":0}",
        sid + good_tail + ",\"claims\":[1]}",
        sid + good_tail + ",\"claims\":" + std::string(20, '[') + std::string(20, ']') + "}",
    };
    for (const std::string &p : bad) {
        ck_assert_msg(opens(p) == SessionStatus::BadPayload, "accepted: %s", p.c_str());
    }
}
END_TEST

START_TEST(reseal_rules)
{
    auto k = keys(random_secret());
    Session s = session();
    ck_assert(!edge_auth::reseal_due(*sealer("corp", "sess", 0), s, kNow + 3600));
    auto sl = sealer("corp", "sess", 1800);
    ck_assert(!edge_auth::reseal_due(*sl, s, kNow));
    ck_assert(!edge_auth::reseal_due(*sl, s, kNow + 59));
    ck_assert(edge_auth::reseal_due(*sl, s, kNow + 60));
    ck_assert(!edge_auth::reseal_due(*sl, s, kNow - 100));
    // Short idle timeouts re-seal at half the timeout.
    auto quick = sealer("corp", "sess", 30);
    ck_assert(!edge_auth::reseal_due(*quick, s, kNow + 14));
    ck_assert(edge_auth::reseal_due(*quick, s, kNow + 15));
    ck_assert(edge_auth::reseal_due(*sealer("corp", "sess", 1), s, kNow + 1));
    // A re-seal keeps the id and the expiry, moves last-seen, and draws a new IV.
    auto first = seal(*sl, *k, s);
    s.last_seen = kNow + 60;
    auto second = seal(*sl, *k, s);
    auto third = seal(*sl, *k, s);
    ck_assert(second[0] != third[0]);
    Session o;
    ck_assert_session(open_header(*sl, *k, "sess=" + second[0], kNow + 1860, &o), SessionStatus::Ok);
    ck_assert_int_eq(o.last_seen, kNow + 60);
    ck_assert_string(o.sid, s.sid);
    ck_assert_int_eq(o.expires, s.expires);
    ck_assert_session(open_header(*sl, *k, "sess=" + first[0], kNow + 1860), SessionStatus::IdleExpired);
}
END_TEST

START_TEST(from_json)
{
    auto sl = sealer("corp", "sess", 0, 3600);
    Session s;
    std::string err;
    ck_assert_msg(edge_auth::session_from_json(*sl, "{\"sub\":\"bob\",\"iss\":\"https://idp\"}", kNow, s, err), "%s",
        err.c_str());
    ck_assert_int_eq(s.sid.size(), 22);
    ck_assert_int_eq(s.issued_at, kNow);
    ck_assert_int_eq(s.last_seen, kNow);
    ck_assert_int_eq(s.expires, kNow + 3600);
    ck_assert(edge_auth::session_from_json(*sl,
        "{\"sid\":\"q83vEjRWeJCrze8SNFZ4kA\",\"sub\":\"bob\",\"iss\":\"i\",\"iat\":100,\"seen\":150,\"exp\":200,"
        "\"at\":\"x\",\"at_exp\":170,\"rt\":\"y\",\"idt\":\"z\",\"claims\":{\"a\":{\"b\":[1]}}}",
        kNow, s, err));
    ck_assert_string(s.sid, "q83vEjRWeJCrze8SNFZ4kA");
    ck_assert_int_eq(s.last_seen, 150);
    const char *bad[][2] = {
        {"{\"sub\":\"bob\"}", "\"iss\" is missing"},
        {"{\"sub\":\"bob\",\"iss\":\"i\",\"acess_token\":\"x\"}", "unknown member \"acess_token\""},
        {"{\"sub\":\"bob\",\"iss\":\"i\",\"exp\":10}", "times out of order"},
        {"{\"sub\":\"bob\",\"iss\":\"i\",\"sid\":\"x\"}", "sid must be"},
        {"{\"sub\":\"bob\",\"iss\":\"i\",\"at\":\"a b\"}", "visible ASCII"},
        {"{\"sub\":\"bob\",\"sub\":\"x\",\"iss\":\"i\"}", "duplicate"},
        {"[1]", "not an object"},
    };
    for (const auto &b : bad) {
        ck_assert(!edge_auth::session_from_json(*sl, b[0], kNow, s, err));
        ck_assert_msg(err.find(b[1]) != std::string::npos, "\"%s\" lacks \"%s\"", err.c_str(), b[1]);
    }
}
END_TEST

START_TEST(sealer_config)
{
    SessionConfig c;
    c.provider = "corp";
    c.cookie_name = "sess";
    std::string err;
    ck_assert(SessionSealer::create(c, err) != nullptr);
    auto refused = [&](SessionConfig bad) { return SessionSealer::create(bad, err) == nullptr && !err.empty(); };
    SessionConfig t = c;
    t.provider = "";
    ck_assert(refused(t));
    t = c;
    t.provider = "a\nb";
    ck_assert(refused(t));
    for (const char *name : {"", "a b", "a;b", "a=b", "caf\xc3\xa9"}) {
        t = c;
        t.cookie_name = name;
        ck_assert_msg(refused(t), "%s", name);
    }
    t = c;
    t.cookie_name = std::string(129, 'a');
    ck_assert(refused(t));
    t = c;
    t.absolute_timeout = 0;
    ck_assert(refused(t));
    t = c;
    t.idle_timeout = -1;
    ck_assert(refused(t));
    t = c;
    t.realm = std::string(1025, 'r');
    ck_assert(refused(t));
}
END_TEST

Suite *session_suite()
{
    Suite *s = suite_create("session");
    TCase *tc = tcase_create("seal and open");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, document_known_answer);
    tcase_add_test(tc, document_writer_matches_jansson);
    tcase_add_test(tc, tampered_regions);
    tcase_add_test(tc, truncated_and_malformed);
    tcase_add_test(tc, keys_rotation_and_retirement);
    tcase_add_test(tc, binding_provider_cookie_realm);
    tcase_add_test(tc, expiry);
    tcase_add_test(tc, chunked_round_trip);
    tcase_add_test(tc, chunk_attacks);
    tcase_add_test(tc, duplicate_cookie_names);
    tcase_add_test(tc, payload_rules);
    tcase_add_test(tc, reseal_rules);
    tcase_add_test(tc, from_json);
    tcase_add_test(tc, sealer_config);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(session_suite);
