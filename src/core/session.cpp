#include "session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

#include "base64url.h"
#include "json_doc.h"
#include "oidc_flow.h"
#include "seal.h"

namespace edge_auth {

namespace {

constexpr size_t kSessionIdChars = 22;   // base64url of 16 bytes
constexpr size_t kHeaderChars = 8;       // base64url of the 6-byte seal header

bool has_control(std::string_view s)
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

bool is_visible_ascii(std::string_view s)
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

bool check_name(const char *what, std::string_view v, std::string &why)
{
    if (v.empty() || v.size() > kMaxSessionNameBytes || has_control(v)) {
        why = std::string(what) + " must be 1-" + std::to_string(kMaxSessionNameBytes)
            + " bytes without control characters";
        return false;
    }
    return true;
}

bool check_token(const char *what, std::string_view v, std::string &why)
{
    if (v.size() > kMaxSessionTokenBytes || !is_visible_ascii(v)) {
        why = std::string(what) + " must be at most " + std::to_string(kMaxSessionTokenBytes)
            + " bytes of visible ASCII";
        return false;
    }
    return true;
}

bool valid_time(int64_t t)
{
    return t > 0 && t <= kMaxSessionTime;
}

// Wipes a buffer that held session plaintext (tokens) when it goes out of scope.
struct Wipe {
    std::string &s;
    ~Wipe()
    {
        if (!s.empty()) {
            OPENSSL_cleanse(&s[0], s.size());
        }
    }
};

// ---- reading a session document ------------------------------------------------------------

// Reads the members of `doc` into `out`. `for_sealing`: sid and the times may be absent (the
// caller fills them) and unknown members are an error. The document is a JsonDoc, not a jansson
// tree: on a session-cache miss this parse is most of the request's cost (the tokens inside are
// long strings), and JsonDoc reads them several times faster with the same acceptance.
bool read_members(JsonValue doc, bool for_sealing, Session &out, bool &have_sid, bool have_time[3],
    std::string &err)
{
    static const char *const known[] = {"sid", "sub", "iss", "iat", "seen", "exp", "at", "at_exp", "rt", "idt",
        "claims"};
    if (for_sealing) {
        for (size_t i = 0, n = doc.size(); i < n; i++) {
            std::string_view key = doc.key(i);
            bool found = false;
            for (const char *k : known) {
                found = found || key == k;
            }
            if (!found) {
                err = "unknown member ";
                append_quoted(err, key);
                return false;
            }
        }
    }
    auto string_member = [&](const char *name, bool required, std::string &dst, bool &present) {
        JsonValue v = doc.member(name);
        present = v.valid();
        if (!present) {
            if (required) {
                err = std::string("\"") + name + "\" is missing";
                return false;
            }
            return true;
        }
        if (!v.is_string()) {
            err = std::string("\"") + name + "\" is not a string";
            return false;
        }
        if (v.string().empty()) {
            err = std::string("\"") + name + "\" is empty (leave it out instead)";
            return false;
        }
        dst.assign(v.string());
        return true;
    };
    auto int_member = [&](const char *name, bool required, int64_t &dst, bool &present) {
        JsonValue v = doc.member(name);
        present = v.valid();
        if (!present) {
            if (required) {
                err = std::string("\"") + name + "\" is missing";
                return false;
            }
            return true;
        }
        if (!v.is_integer() || !valid_time(v.integer())) {
            err = std::string("\"") + name + "\" is not a time (an integer from 1 to " + std::to_string(kMaxSessionTime)
                + ")";
            return false;
        }
        dst = v.integer();
        return true;
    };
    bool ignored;
    bool required = !for_sealing;
    if (!string_member("sid", required, out.sid, have_sid) || !string_member("sub", true, out.sub, ignored)
        || !string_member("iss", true, out.iss, ignored) || !int_member("iat", required, out.issued_at, have_time[0])
        || !int_member("seen", required, out.last_seen, have_time[1])
        || !int_member("exp", required, out.expires, have_time[2])
        || !string_member("at", false, out.access_token, ignored)
        || !int_member("at_exp", false, out.access_token_expires, ignored)
        || !string_member("rt", false, out.refresh_token, ignored)
        || !string_member("idt", false, out.id_token, ignored)) {
        return false;
    }
    JsonValue claims = doc.member("claims");
    if (claims) {
        if (!claims.is_object()) {
            err = "\"claims\" is not an object";
            return false;
        }
        // Claims stay a jansson tree: the variables, re-sealing and refresh read them as one.
        out.claims = to_jansson(claims);
    } else {
        out.claims = Json();
    }
    return true;
}

// ---- writing ---------------------------------------------------------------------------------

// `"name":"value"` with a leading comma unless `first`, the value as jansson's dump writes it.
// Throws std::invalid_argument for invalid UTF-8 (which jansson refused to hold).
void append_member(std::string &out, const char *name, std::string_view value, bool first = false)
{
    if (!json_valid_utf8(value)) {
        throw std::invalid_argument(std::string("\"") + name + "\" cannot be written as JSON (invalid UTF-8?)");
    }
    out.append(first ? "\"" : ",\"").append(name).append("\":");
    append_json_string(out, value);
}

void append_member(std::string &out, const char *name, int64_t value)
{
    out.append(",\"").append(name).append("\":").append(std::to_string(value));
}

int append_dump(const char *buffer, size_t size, void *data)
{
    // jansson calls this from C; an exception must not cross that frame.
    try {
        static_cast<std::string *>(data)->append(buffer, size);
        return 0;
    } catch (...) {
        return -1;
    }
}

} // namespace

// ---- configuration ---------------------------------------------------------------------------

std::unique_ptr<SessionSealer> SessionSealer::create(const SessionConfig &conf, std::string &err)
{
    err.clear();
    if (conf.provider.empty() || conf.provider.size() > kMaxSessionNameBytes || has_control(conf.provider)) {
        err = "the provider name must be 1-" + std::to_string(kMaxSessionNameBytes)
            + " bytes without control characters";
        return nullptr;
    }
    if (!is_cookie_name(conf.cookie_name) || conf.cookie_name.size() > kMaxCookieNameBytes) {
        err = "the session cookie name must be a cookie name (visible ASCII, no separators such as ;,= or "
              "spaces) of 1-" + std::to_string(kMaxCookieNameBytes) + " bytes";
        return nullptr;
    }
    if (conf.realm.size() > kMaxRealmBytes || has_control(conf.realm)) {
        err = "the realm must be at most " + std::to_string(kMaxRealmBytes) + " bytes without control characters";
        return nullptr;
    }
    if (conf.absolute_timeout <= 0 || conf.absolute_timeout > kMaxSessionTime) {
        err = "the absolute session timeout must be a positive number of seconds";
        return nullptr;
    }
    if (conf.idle_timeout < 0 || conf.idle_timeout > kMaxSessionTime) {
        err = "the idle session timeout must be 0 (none) or a positive number of seconds";
        return nullptr;
    }
    std::unique_ptr<SessionSealer> s(new SessionSealer());
    s->conf_ = conf;
    s->context_ = seal_context({conf.provider, conf.cookie_name, conf.realm});
    s->flow_prefix_ = flow_cookie_prefix(conf.cookie_name);
    s->flow_context_ = flow_seal_context(conf.provider, conf.cookie_name, conf.realm);
    return s;
}

// ---- the document ----------------------------------------------------------------------------

bool new_session_id(std::string &out)
{
    unsigned char id[kSessionIdBytes];
    if (RAND_bytes(id, sizeof(id)) != 1) {
        return false;
    }
    out = base64url_encode(std::string_view(reinterpret_cast<const char *>(id), sizeof(id)));
    return true;
}

Session copy_session(const Session &s)
{
    Session c;
    c.sid = s.sid;
    c.sub = s.sub;
    c.iss = s.iss;
    c.issued_at = s.issued_at;
    c.last_seen = s.last_seen;
    c.expires = s.expires;
    c.access_token = s.access_token;
    c.access_token_expires = s.access_token_expires;
    c.refresh_token = s.refresh_token;
    c.id_token = s.id_token;
    if (s.claims) {
        c.claims = Json(json_incref(s.claims.get()));
    }
    return c;
}

bool check_session(const Session &s, std::string &why)
{
    unsigned char id[base64url_decoded_size(kSessionIdChars)];
    size_t id_len = 0;
    if (s.sid.size() != kSessionIdChars || !base64url_decode(s.sid, id, &id_len) || id_len != kSessionIdBytes) {
        why = "sid must be " + std::to_string(kSessionIdChars) + " base64url characters (16 bytes)";
        return false;
    }
    if (!check_name("sub", s.sub, why) || !check_name("iss", s.iss, why)) {
        return false;
    }
    if (!valid_time(s.issued_at) || !valid_time(s.last_seen) || !valid_time(s.expires)) {
        why = "iat, seen and exp must be times from 1 to " + std::to_string(kMaxSessionTime);
        return false;
    }
    if (s.last_seen < s.issued_at || s.expires <= s.issued_at) {
        why = "times out of order: iat <= seen and iat < exp are required";
        return false;
    }
    if (!check_token("at", s.access_token, why) || !check_token("rt", s.refresh_token, why)
        || !check_token("idt", s.id_token, why)) {
        return false;
    }
    if (s.access_token_expires != 0 && !valid_time(s.access_token_expires)) {
        why = "at_exp must be a time from 1 to " + std::to_string(kMaxSessionTime);
        return false;
    }
    if (s.claims && !json_is_object(s.claims.get())) {
        why = "claims must be an object";
        return false;
    }
    return true;
}

std::string session_to_json(const Session &s)
{
    // Written directly rather than built as a jansson tree and dumped: the tokens are long
    // strings, which jansson's dump re-reads a code point at a time, and this runs on every
    // login, refresh and re-seal. The bytes are those jansson's JSON_COMPACT dump gave (the unit
    // tests compare the two); the claims object still comes from jansson, which holds it.
    std::string out;
    out.reserve(160 + s.sub.size() + s.iss.size() + s.access_token.size() + s.refresh_token.size()
        + s.id_token.size());
    out.push_back('{');
    append_member(out, "sid", s.sid, true);
    append_member(out, "sub", s.sub);
    append_member(out, "iss", s.iss);
    append_member(out, "iat", s.issued_at);
    append_member(out, "seen", s.last_seen);
    append_member(out, "exp", s.expires);
    if (!s.access_token.empty()) {
        append_member(out, "at", s.access_token);
    }
    if (s.access_token_expires != 0) {
        append_member(out, "at_exp", s.access_token_expires);
    }
    if (!s.refresh_token.empty()) {
        append_member(out, "rt", s.refresh_token);
    }
    if (!s.id_token.empty()) {
        append_member(out, "idt", s.id_token);
    }
    if (s.claims) {
        out.append(",\"claims\":");
        if (json_dump_callback(s.claims.get(), append_dump, &out, JSON_COMPACT) != 0) {
            throw std::bad_alloc();
        }
    }
    out.push_back('}');
    return out;
}

bool session_from_json(const SessionSealer &sealer, std::string_view json, int64_t now, Session &out,
    std::string &err)
{
    out = Session();
    JsonDoc doc;
    JsonError e = doc.parse(json, JsonLimits{kMaxSessionJsonBytes, kMaxSessionJsonDepth});
    if (e != JsonError::None) {
        err = json_error_text(e);
        return false;
    }
    bool have_sid = false;
    bool have_time[3] = {};
    if (!read_members(doc.root(), true, out, have_sid, have_time, err)) {
        return false;
    }
    if (!have_sid && !new_session_id(out.sid)) {
        err = "the random number generator failed";
        return false;
    }
    if (!have_time[0]) {
        out.issued_at = now;
    }
    if (!have_time[1]) {
        out.last_seen = out.issued_at;
    }
    if (!have_time[2]) {
        out.expires = out.issued_at + sealer.config().absolute_timeout;
    }
    return check_session(out, err);
}

// ---- sealing and opening ---------------------------------------------------------------------

SessionStatus seal_session(const SessionSealer &sealer, const SessionKeys &keys, const Session &s,
    std::vector<std::string> &values, Detail &detail)
{
    values.clear();
    std::string why;
    if (!check_session(s, why)) {
        detail.text("invalid session: ").text(why.c_str());
        return SessionStatus::Internal;
    }
    std::string plain;
    try {
        plain = session_to_json(s);
    } catch (const std::invalid_argument &) {
        detail.text("invalid session: a string is not valid UTF-8");
        return SessionStatus::Internal;
    }
    Wipe wipe_plain{plain};
    if (plain.size() > kMaxSessionJsonBytes) {
        detail.text("session document is ").unum(plain.size()).text(" bytes, over the cap of ")
            .unum(kMaxSessionJsonBytes);
        return SessionStatus::TooLarge;
    }
    const std::string &name = sealer.config().cookie_name;
    size_t sealed_len = kSealOverhead + plain.size();
    size_t encoded_len = (sealed_len * 4 + 2) / 3;
    size_t parts = chunks_needed(name, encoded_len);
    if (parts == 0) {
        detail.text("sealed session needs ").unum(encoded_len).text(" bytes, more than ").unum(kMaxChunks)
            .text(" cookies hold");
        return SessionStatus::TooLarge;
    }
    std::string sealed;
    if (!seal_value(keys.sealing(), KeyPurpose::Session, static_cast<unsigned char>(parts), sealer.context(), plain,
            sealed)) {
        detail.text("AES-256-GCM encryption or the random number generator failed");
        return SessionStatus::Internal;
    }
    std::string encoded = base64url_encode(sealed);
    std::vector<std::string_view> pieces;
    split_chunks(name, encoded, pieces);
    if (pieces.size() != parts) {
        detail.text("chunk split disagrees with its own count");
        return SessionStatus::Internal;
    }
    for (std::string_view p : pieces) {
        values.emplace_back(p);
    }
    return SessionStatus::Ok;
}

SessionStatus open_session(const SessionSealer &sealer, const SessionKeys &keys, const CookieChunks &chunks,
    int64_t now, Session &out, Detail &detail)
{
    out = Session();
    if (chunks.present == 0) {
        detail.text("no session cookie");
        return SessionStatus::NoSession;
    }
    if (!(chunks.present & 1u)) {
        detail.text("chunk cookies without the first cookie ").quoted(sealer.config().cookie_name);
        return SessionStatus::Chunk;
    }

    // The first 8 characters carry version, key id and the chunk count.
    std::string_view first = chunks.values[0];
    unsigned char head[kSealHeaderBytes];
    size_t head_len = 0;
    if (first.size() < kHeaderChars || !base64url_decode(first.substr(0, kHeaderChars), head, &head_len)) {
        detail.text("first cookie does not start with a base64url header");
        return SessionStatus::Malformed;
    }
    SealHeader h = read_seal_header(head);
    if (h.version != kSealVersion) {
        detail.text("format version ").unum(h.version).text(" is not supported");
        return SessionStatus::UnknownVersion;
    }
    if (h.parts < 1 || h.parts > kMaxChunks) {
        detail.text("chunk count ").unum(h.parts).text(" is outside 1-").unum(kMaxChunks);
        return SessionStatus::Chunk;
    }
    unsigned expected = (1u << h.parts) - 1;
    if (chunks.present != expected) {
        unsigned missing = expected & ~chunks.present;
        unsigned extra = chunks.present & ~expected;
        for (unsigned i = 0; i < kMaxChunks; i++) {
            if (missing & (1u << i)) {
                detail.text("chunk ").unum(i).text(" of ").unum(h.parts).text(" is missing");
                return SessionStatus::Chunk;
            }
        }
        for (unsigned i = 0; i < kMaxChunks; i++) {
            if (extra & (1u << i)) {
                detail.text("chunk ").unum(i).text(" is present but the session has ").unum(h.parts)
                    .text(h.parts == 1 ? " cookie" : " cookies");
                return SessionStatus::Chunk;
            }
        }
    }
    size_t total = 0;
    for (unsigned i = 0; i < h.parts; i++) {
        if (chunks.values[i].empty()) {
            detail.text("chunk ").unum(i).text(" is empty");
            return SessionStatus::Chunk;
        }
        total += chunks.values[i].size();
    }

    std::string encoded;
    std::string_view text = first;
    if (h.parts > 1) {
        encoded.reserve(total);
        for (unsigned i = 0; i < h.parts; i++) {
            encoded.append(chunks.values[i]);
        }
        text = encoded;
    }
    std::string sealed;
    sealed.reserve(base64url_decoded_size(text.size()));
    if (!base64url_decode(text, sealed)) {
        detail.text("not strict base64url");
        return SessionStatus::Malformed;
    }

    std::string plain;
    Wipe wipe_plain{plain};
    SessionStatus st = open_value(keys, KeyPurpose::Session, sealed, sealer.context(), plain, detail);
    if (st != SessionStatus::Ok) {
        return st;
    }

    JsonDoc doc;
    JsonError e = doc.parse(plain, JsonLimits{kMaxSessionJsonBytes, kMaxSessionJsonDepth});
    if (e != JsonError::None) {
        detail.text("session document: ").text(json_error_text(e));
        return SessionStatus::BadPayload;
    }
    std::string why;
    bool have_sid = false;
    bool have_time[3] = {};
    if (!read_members(doc.root(), false, out, have_sid, have_time, why) || !check_session(out, why)) {
        out = Session();
        detail.text("session document: ").text(why.c_str());
        return SessionStatus::BadPayload;
    }

    st = check_session_times(sealer.config(), out, now, detail);
    if (st != SessionStatus::Ok) {
        out = Session();
    }
    return st;
}

SessionStatus check_session_times(const SessionConfig &conf, const Session &s, int64_t now,
    Detail &detail) noexcept
{
    if (now >= s.expires) {
        detail.text("expired at ").num(s.expires).text(", now ").num(now);
        return SessionStatus::Expired;
    }
    if (now >= s.issued_at + conf.absolute_timeout) {
        detail.text("issued at ").num(s.issued_at).text(", older than the absolute timeout of ")
            .num(conf.absolute_timeout).text(" s");
        return SessionStatus::Expired;
    }
    if (conf.idle_timeout > 0 && now > s.last_seen && now - s.last_seen > conf.idle_timeout) {
        detail.text("last seen at ").num(s.last_seen).text(", idle for more than ").num(conf.idle_timeout)
            .text(" s");
        return SessionStatus::IdleExpired;
    }
    return SessionStatus::Ok;
}

bool reseal_due(const SessionSealer &sealer, const Session &s, int64_t now) noexcept
{
    int64_t idle = sealer.config().idle_timeout;
    if (idle <= 0) {
        return false;
    }
    int64_t interval = std::max<int64_t>(1, std::min<int64_t>(kResealInterval, idle / 2));
    return now > s.last_seen && now - s.last_seen >= interval;
}

} // namespace edge_auth
