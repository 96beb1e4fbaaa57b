// oidc_flow.h: a login in progress (OIDC authorization code flow with PKCE): its random values,
// the authorization URL, the short-lived sealed cookie that remembers it until the callback, the
// check of the path to return to, and the pruning of stale flow cookies.
//
// Usage (a request without a session, at the login redirect):
//
//     std::vector<std::string> stale;
//     prune_flows(sealer, keys, headers, n, now, timeout, max_pending, stale);   // expire these
//     LoginParams p = {endpoint, client_id, redirect_uri, scope, extra_args, issuer, timeout};
//     std::string location, name, value, err;
//     if (!start_login(sealer, keys, p, request_uri, now, location, name, value, err)) fail(err);
//     set_cookie(name, value); redirect(location);
//
// Usage (the callback):
//
//     FlowState flow;
//     FlowStatus st = open_flow(sealer, keys, headers, n, state_param, now, timeout, flow, detail);
//     if (st != FlowStatus::Ok) reject(flow_status_reason(st), detail);
//     ... exchange the code with flow.code_verifier, check the ID token's nonce against
//     flow.nonce, remove cookie flow_cookie_prefix(...) + flow.state, redirect to flow.return_path
//
// The cookie (docs/session-format.md, "Login flow cookie"): name "<cookie_name>_flow_<state>",
// one cookie (never chunked), value = base64url of the sealed-value envelope (seal.h) with
// parts = 1, sealed with the flow-state key (KeyPurpose::FlowState) and the binding context
// seal_context({"flow", provider, cookie_name, realm}), so neither a session cookie nor another
// provider's, cookie name's or realm's flow cookie opens here. The plaintext is compact JSON:
//
//     {"v":1,"st":"<state>","n":"<nonce>","cv":"<code verifier>","rp":"/return/path",
//      "iss":"https://idp.example","t":1700000000}
//
// "iss" is left out when empty. An opener requires v = 1 and every other member except "iss",
// checks each one as check_flow does, and ignores members it does not know. A flow is good while
// created <= now + 60 (clock skew) and now < created + flow_timeout.

#ifndef EDGE_AUTH_CORE_OIDC_FLOW_H
#define EDGE_AUTH_CORE_OIDC_FLOW_H

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "session.h"
#include "session_keys.h"
#include "status.h"

namespace edge_auth {

constexpr size_t kStateBytes = 16;          // 22 base64url characters
constexpr size_t kNonceBytes = 16;          // 22 base64url characters
constexpr size_t kVerifierBytes = 32;       // 43 base64url characters (RFC 7636 §4.1 minimum)
constexpr size_t kMaxFlowValueBytes = 128;  // state, nonce and code verifier
constexpr size_t kMinVerifierChars = 43;    // RFC 7636 §4.1
constexpr size_t kMaxReturnPathBytes = 1024;
constexpr size_t kMaxFlowIssuerBytes = 1024;
constexpr size_t kMaxFlowJsonBytes = 4096;
constexpr int64_t kFlowClockSkew = 60;      // a flow created this far in the future still opens
constexpr unsigned kFlowVersion = 1;

struct FlowState {
    std::string state;          // 1-128 RFC 3986 unreserved characters; names the cookie
    std::string nonce;          // 1-128 unreserved characters
    std::string code_verifier;  // 43-128 unreserved characters (RFC 7636 §4.1)
    std::string return_path;    // passes return_path_ok
    std::string issuer;         // 0-1024 bytes without control characters
    int64_t created = 0;        // Unix seconds, 1 to kMaxSessionTime
};

// "<cookie_name>_flow_": the prefix of every flow cookie's name.
std::string flow_cookie_prefix(std::string_view cookie_name);

// The binding context of flow cookies (see above). Throws only std::bad_alloc.
std::string flow_seal_context(std::string_view provider, std::string_view cookie_name, std::string_view realm);

// base64url tokens of random bytes (state, nonce, PKCE verifier), all from one RAND_bytes call:
// every call into OpenSSL's generator pays a fixed cost (locks, a fork check), several times that
// of drawing 64 bytes. The sizes add up to at most 128 bytes, each at least 1. False only when
// the RNG fails (or a size is out of range).
struct RandomTokenSpec {
    size_t bytes;
    std::string *out;
};
bool random_tokens(std::initializer_list<RandomTokenSpec> specs);

// BASE64URL(SHA-256(verifier)) (RFC 7636 §4.2, S256). Empty only when OpenSSL fails.
std::string pkce_challenge(std::string_view verifier);

// A same-origin absolute path (and query) that is safe to redirect to after login: 1 to
// kMaxReturnPathBytes bytes, starting with exactly one '/'; only visible ASCII (0x21-0x7e); no
// '\\', '<', '>', '"', '\'' or '`'; every '%' followed by two hex digits, none of them encoding
// '/', '\\' or a control byte (%00-%1F, %7F); no ':' before the first '?'.
bool return_path_ok(std::string_view path) noexcept;

// The rules of the FlowState members above. False with `why` set. Throws only std::bad_alloc.
bool check_flow(const FlowState &flow, std::string &why);

// The plaintext above. Throws std::bad_alloc, and std::invalid_argument for a string jansson
// refuses (invalid UTF-8).
std::string flow_to_json(const FlowState &flow);

// Seals a flow (check_flow first) into its cookie: name = prefix + state, value = the sealed
// value, base64url. False with `err` set for an invalid flow, a cookie over kMaxCookieBytes, or
// an RNG/OpenSSL failure. Throws only std::bad_alloc.
bool seal_flow(const SessionSealer &sealer, const SessionKeys &keys, const FlowState &flow, std::string &name,
    std::string &value, std::string &err);

enum class FlowStatus : int {
    Ok = 0,
    Missing,   // "flow_missing": no flow cookie for this state
    Bad,       // "flow_bad": does not open or parse, its state differs, or the name is sent twice
    Expired,   // "flow_expired"
    Internal,  // "internal"
    Count
};

// The stable reason string; out-of-range values map to "internal".
const char *flow_status_reason(FlowStatus status) noexcept;

// Opens one flow cookie value and checks it: strict base64url, the envelope with the flow key
// and context (parts must be 1), the JSON document, the state inside equal (constant time) to
// `state`. Ok or Bad; the times are not checked here. Throws only std::bad_alloc.
FlowStatus open_flow_value(const SessionSealer &sealer, const SessionKeys &keys, std::string_view value,
    std::string_view state, FlowState &out, Detail &detail);

// Expired when now >= created + flow_timeout or created > now + kFlowClockSkew, else Ok.
FlowStatus check_flow_times(const FlowState &flow, int64_t now, int64_t flow_timeout, Detail &detail) noexcept;

// Finds the cookie "<prefix><state>" in the Cookie header values and opens it: Missing when it is
// absent; Bad when `state` cannot name a flow (not 1-128 unreserved characters), when the name
// appears more than once, the headers exceed kMaxCookieHeaderBytes or the value
// kMaxCookieValueBytes, or open_flow_value fails; then check_flow_times. Throws only
// std::bad_alloc.
FlowStatus open_flow(const SessionSealer &sealer, const SessionKeys &keys, const std::string_view *headers,
    size_t n_headers, std::string_view state, int64_t now, int64_t flow_timeout, FlowState &out, Detail &detail);

// The names of the flow cookies in the headers to expire: every cookie whose name starts with the
// prefix and that does not open (open_flow_value with the name's suffix as the state), is
// expired, or is sent twice; then the oldest good ones (by created, then name) beyond
// max_pending - 1, so that one more flow fits under the cap. Bad and expired ones come first.
// Names that are not RFC 6265 cookie names are skipped: they cannot be written back safely.
// Throws only std::bad_alloc.
void prune_flows(const SessionSealer &sealer, const SessionKeys &keys, const std::string_view *headers,
    size_t n_headers, int64_t now, int64_t flow_timeout, size_t max_pending, std::vector<std::string> &remove);

// ---- the authorization request -----------------------------------------------------------------

// Percent-encodes every byte except RFC 3986 unreserved characters [A-Za-z0-9-._~] (upper-case
// hex), as the query values of the authorization URL need.
void append_percent_encoded(std::string &out, std::string_view value);

// The scope with "openid" first when it is missing: tokens split on spaces (runs of spaces
// collapse), each an RFC 6749 §3.3 scope-token. False for a scope with any other byte.
bool normalize_scope(std::string_view scope, std::string &out);

struct LoginParams {
    std::string_view authorization_endpoint;   // oidc_url_ok(.., true): no fragment, no userinfo
    std::string_view client_id;                // 1-1024 bytes without control characters
    std::string_view redirect_uri;             // oidc_url_ok(.., true)
    std::string_view scope;                    // normalize_scope
    std::string_view extra_args;               // visible ASCII without '#', appended after '&';
                                               // may not set a parameter the flow sets itself
    std::string_view issuer;                   // remembered in the flow
    int64_t flow_timeout = 0;                  // > 0
};

// A new flow (fresh state, nonce and verifier; return path checked with return_path_ok, else
// "/"; created = now), sealed into its cookie, and the authorization URL:
//   endpoint ('?', or '&' when it has a query already, nothing when it ends in '?' or '&')
//   response_type=code&client_id=..&redirect_uri=..&scope=..&state=..&nonce=..
//   &code_challenge=..&code_challenge_method=S256[&extra_args]
// False with `err` set for invalid parameters or an RNG/OpenSSL failure. Throws only
// std::bad_alloc.
bool start_login(const SessionSealer &sealer, const SessionKeys &keys, const LoginParams &params,
    std::string_view return_path, int64_t now, std::string &location, std::string &cookie_name,
    std::string &cookie_value, std::string &err);

} // namespace edge_auth

#endif
