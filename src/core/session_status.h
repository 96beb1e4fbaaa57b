// session_status.h: every outcome of reading a sealed session cookie, with its stable reason.
//
// Usage:
//
//     char buf[128];
//     Detail detail(buf, sizeof(buf));
//     SessionStatus s = open_session(sealer, keys, chunks, now, session, detail);
//     if (s != SessionStatus::Ok)
//         log("session rejected: %s (%s)", session_status_reason(s), buf);
//
// The numeric values equal the C facade's ea_session_status_t (checked at compile time in
// facade_session.cpp) and the reason strings are part of the public contract (docs/
// session-format.md): they appear in logs and tests and never change. All cryptographic
// failures (tag, AAD, ciphertext, IV) share one reason, BadSeal, so a client learns nothing
// about which part of a forged cookie was wrong.

#ifndef EDGE_AUTH_CORE_SESSION_STATUS_H
#define EDGE_AUTH_CORE_SESSION_STATUS_H

namespace edge_auth {

enum class SessionStatus : int {
    Ok = 0,
    NoSession,       // "no_session": the request carries no session cookie
    Duplicate,       // "duplicate": the cookie name (or a chunk name) appears more than once
    TooLarge,        // "too_large": Cookie header or a session cookie over its cap; or, when
                     //   sealing, a session that needs more than kMaxChunks cookies
    Chunk,           // "chunk": missing, extra or misnamed chunk, or a chunk count out of range
    Malformed,       // "malformed": not strict base64url, or too short to hold a sealed value
    UnknownVersion,  // "unknown_version": the format version byte is not one this code reads
    UnknownKey,      // "unknown_key": no key in the key file has the cookie's key id
    BadSeal,         // "bad_seal": authentication failed (tag, AAD, IV or ciphertext altered)
    BadPayload,      // "bad_payload": authentic, but not a session document this code accepts
    Expired,         // "expired": past the absolute expiry
    IdleExpired,     // "idle_expired": unused for longer than the idle timeout
    Internal,        // "internal": allocation failure or a bug; fail closed
    Revoked,         // "revoked": on the revocation list (logout); set by the glue
    Count
};

// Never null; out-of-range values map to "internal".
const char *session_status_reason(SessionStatus status) noexcept;

} // namespace edge_auth

#endif
