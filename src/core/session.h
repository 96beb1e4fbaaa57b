// session.h: a login session sealed into cookies: what it holds, how it is written as JSON, and
// how it is sealed, opened, checked for expiry and re-sealed.
//
// Usage (configuration time):
//
//     SessionConfig conf;
//     conf.provider = "corp"; conf.cookie_name = "__Host-edge"; conf.idle_timeout = 1800;
//     std::unique_ptr<SessionSealer> sealer = SessionSealer::create(conf, err);
//
// Usage (per request):
//
//     Session s;
//     SessionStatus st = open_session(*sealer, *keys, chunks, now, s, detail);
//     if (st == SessionStatus::Ok && reseal_due(*sealer, s, now)) {
//         s.last_seen = now;
//         std::vector<std::string> values;                 // values[i] is cookie chunk_name(name, i)
//         seal_session(*sealer, *keys, s, values, detail);
//     }
//
// The plaintext is compact JSON (docs/session-format.md):
//
//     {"sid":"<22 base64url chars>","sub":"alice","iss":"https://idp.example","iat":1700000000,
//      "seen":1700000000,"exp":1700028800,"at":"...","at_exp":1700003600,"rt":"...","idt":"...",
//      "claims":{"email":"alice@example.com"}}
//
// sid, sub, iss, iat, seen and exp are required; at, at_exp, rt, idt and claims are present only
// when known. An opener ignores members it does not know. The document is parsed with duplicate
// members rejected, and every member is type-checked even though it was authenticated.

#ifndef EDGE_AUTH_CORE_SESSION_H
#define EDGE_AUTH_CORE_SESSION_H

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"
#include "session_cookies.h"
#include "session_keys.h"
#include "session_status.h"
#include "status.h"

namespace edge_auth {

constexpr size_t kSessionIdBytes = 16;
constexpr size_t kMaxSessionNameBytes = 1024;      // provider, sub, iss
constexpr size_t kMaxRealmBytes = 1024;
constexpr size_t kMaxSessionTokenBytes = 16384;    // at, rt, idt
constexpr size_t kMaxSessionJsonBytes = 24576;     // more would not fit kMaxChunks cookies
constexpr unsigned kMaxSessionJsonDepth = 16;
constexpr int64_t kMaxSessionTime = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kResealInterval = 60;
constexpr int64_t kDefaultSessionLifetime = 8 * 3600;

struct SessionConfig {
    std::string provider;        // the oidc_provider block's name; 1..1024 bytes, no control bytes
    std::string cookie_name;     // RFC 6265 cookie name, 1..128 bytes; `name.1`... are its chunks
    std::string realm;           // optional further binding (e.g. server_name); 0..1024 bytes
    int64_t absolute_timeout = kDefaultSessionLifetime;   // > 0; exp = iat + this at login
    int64_t idle_timeout = 0;    // 0: none; else a session unused for longer than this is over
};

// The immutable, per-configuration part of sealing and opening: the settings, and the AAD binding
// context computed once.
class SessionSealer {
public:
    // nullptr with `err` set for an invalid configuration. Throws only std::bad_alloc.
    static std::unique_ptr<SessionSealer> create(const SessionConfig &conf, std::string &err);

    const SessionConfig &config() const noexcept { return conf_; }
    const std::string &context() const noexcept { return context_; }
    // The login-flow cookies of this configuration (oidc_flow.h): their name prefix
    // "<cookie_name>_flow_" and their binding context, also computed once.
    const std::string &flow_prefix() const noexcept { return flow_prefix_; }
    const std::string &flow_context() const noexcept { return flow_context_; }

private:
    SessionSealer() = default;

    SessionConfig conf_;
    std::string context_;
    std::string flow_prefix_;
    std::string flow_context_;
};

// Move-only (claims is an owning handle); copy_session() copies, and lists every member.
struct Session {
    std::string sid;             // 22 base64url characters (16 random bytes)
    std::string sub;
    std::string iss;
    int64_t issued_at = 0;
    int64_t last_seen = 0;
    int64_t expires = 0;
    std::string access_token;    // "" = absent; tokens are visible ASCII (0x21-0x7e) only
    int64_t access_token_expires = 0;   // 0 = unknown
    std::string refresh_token;
    std::string id_token;
    Json claims;                 // an object, or null when the operator selected none
};

// A new random session id. False only when the RNG fails.
bool new_session_id(std::string &out);

// A copy of `s`. The claims tree is shared, not duplicated: a session's claims are never modified
// once it exists. Throws only std::bad_alloc.
Session copy_session(const Session &s);

// Checks the rules every session obeys (the ones open_session enforces on authentic plaintext).
// False with `why` set. Throws only std::bad_alloc.
bool check_session(const Session &s, std::string &why);

// The session as compact JSON, member order as in the header comment. Throws std::bad_alloc,
// and std::invalid_argument for strings jansson refuses (invalid UTF-8).
std::string session_to_json(const Session &s);

// Reads a session document (the format above) for sealing, e.g. from `edge-auth seal`: sid, iat,
// seen and exp may be left out and are then a new id, now, iat and iat + absolute_timeout.
// Unknown members are an error here (a typo would otherwise drop a token silently).
// False with `err` set. Throws only std::bad_alloc.
bool session_from_json(const SessionSealer &sealer, std::string_view json, int64_t now, Session &out,
    std::string &err);

// Seals `s` with the first key into chunk values: values[i] goes into cookie
// chunk_name(cookie_name, i). TooLarge when it needs more than kMaxChunks cookies; Internal on
// RNG/OpenSSL failure or an invalid session. Throws only std::bad_alloc.
SessionStatus seal_session(const SessionSealer &sealer, const SessionKeys &keys, const Session &s,
    std::vector<std::string> &values, Detail &detail);

// Opens the session carried by `chunks` at time `now` and checks it: chunk set complete and
// exactly as announced, strict base64url, version, key id, AEAD with the binding context, the
// JSON document, then absolute expiry (now < exp, and now < iat + absolute_timeout) and idle
// timeout (now - seen <= idle_timeout). Throws only std::bad_alloc.
SessionStatus open_session(const SessionSealer &sealer, const SessionKeys &keys, const CookieChunks &chunks,
    int64_t now, Session &out, Detail &detail);

// The time rules open_session applies last, on their own, for a session opened earlier (the
// opened-session cache, session_cache.h): Expired when now >= exp or now >= iat +
// absolute_timeout, IdleExpired when the idle timeout is set and now - seen exceeds it, else Ok.
// The statuses and detail lines are exactly open_session's.
SessionStatus check_session_times(const SessionConfig &conf, const Session &s, int64_t now,
    Detail &detail) noexcept;

// Whether a request at `now` should re-seal the session with last_seen = now: only with an idle
// timeout, and then at most once per min(60 s, idle_timeout / 2) so an active user never idles
// out between two re-seals.
bool reseal_due(const SessionSealer &sealer, const Session &s, int64_t now) noexcept;

} // namespace edge_auth

#endif
