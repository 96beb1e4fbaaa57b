// oidc_token.h: the authorization code exchange (RFC 6749 §4.1.3-4.1.4 with the RFC 7636
// code_verifier) and the validation of the ID token it returns (OpenID Connect Core §3.1.3.7);
// and the same for a refresh (RFC 6749 §6, OpenID Connect Core §12.2).
//
// Usage (the callback, after the flow cookie opened):
//
//     TokenClient client = {client_id, client_secret, kAuthBasic, redirect_uri};
//     std::string body, authorization, err;
//     if (!token_request(client, code, flow.code_verifier, body, authorization, err)) fail(err);
//     POST body to the token endpoint (Content-Type: application/x-www-form-urlencoded, and
//     Authorization: <authorization> when it is not empty), then:
//     TokenResponse tr;
//     if (!parse_token_response(http_status, response_body, tr, err)) fail(tr.error, err);
//     IdTokenCheck check = {issuer, client_id, flow.nonce, 0, 60};
//     std::unique_ptr<VerifiedToken> id;
//     Status s = verify_id_token(check, keys, tr.id_token, now, id, detail);
//
// ID token rules, in order: the verifier's whole pipeline (verifier.h) with a policy of issuers =
// {issuer}, audiences = {client_id}, exp required, the given leeway, a 16 KiB token cap and the
// given algorithms (0 = every asymmetric one; HMAC is refused outright: alg_not_allowed, because
// a client secret shared with the provider is not a key this module verifies ID tokens with);
// then iat present (bad_claim) and not after now + leeway (not_yet_valid); sub a non-empty
// string (bad_claim); nonce a string equal to the flow's, compared in constant time (bad_claim);
// aud with more than one value needs azp (audience); azp, when present, a string equal to the
// client id (audience).
//
// A refresh (the session's refresh token at the same endpoint):
//
//     if (!refresh_request(client, session.refresh_token, body, authorization, err)) fail(err);
//     POST it as above, then:
//     if (!parse_token_response(http_status, response_body, tr, err, TokenGrant::RefreshToken))
//         fail(tr.error, err);                       // "invalid_grant": the session must end
//     if (!tr.id_token.empty())
//         s = verify_refresh_id_token(check, session.sub, keys, tr.id_token, now, id, detail);
//
// The refreshed ID token follows the rules above with two differences: nonce is not required and,
// when present, only has to be a string (the login's nonce is not kept to compare it with); sub
// must equal the session's (bad_claim "sub changed").

#ifndef EDGE_AUTH_CORE_OIDC_TOKEN_H
#define EDGE_AUTH_CORE_OIDC_TOKEN_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jwks.h"
#include "status.h"
#include "verifier.h"

namespace edge_auth {

constexpr size_t kMaxTokenResponseBytes = 65536;
constexpr size_t kMaxTokenErrorBytes = 64;
constexpr size_t kMaxIdTokenBytes = 16384;   // what a session can hold (kMaxSessionTokenBytes)

// application/x-www-form-urlencoded encoding: RFC 3986 unreserved characters as they are, ' ' as
// '+', every other byte as %XY (upper-case hex).
void append_form_encoded(std::string &out, std::string_view value);

struct TokenClient {
    std::string_view client_id;      // required
    std::string_view client_secret;  // "" = a public client: client_id in the body, no secret
    unsigned auth_method = 0;        // kAuthBasic or kAuthPost (oidc_metadata.h)
    std::string_view redirect_uri;   // required
};

// The body "grant_type=authorization_code&code=..&redirect_uri=..&code_verifier=.." followed by
// "&client_id=.." for a public client or client_secret_post, and "&client_secret=.." for
// client_secret_post; `authorization` is "Basic base64(enc(client_id) ':' enc(client_secret))"
// for client_secret_basic with a secret, else empty. False with `err` set for an empty client
// id, code or redirect URI, a code verifier that is not 43-128 unreserved characters, or an
// auth method that is neither. Throws only std::bad_alloc.
bool token_request(const TokenClient &client, std::string_view code, std::string_view code_verifier,
    std::string &body, std::string &authorization, std::string &err);

// The refresh request (RFC 6749 §6): the body "grant_type=refresh_token&refresh_token=.." and the
// client authenticated exactly as in token_request (client.redirect_uri is not used). False with
// `err` set for an empty client id, an auth method that is neither, or a refresh token that is not
// 1-16384 bytes of visible ASCII (what a session can hold). Throws only std::bad_alloc.
bool refresh_request(const TokenClient &client, std::string_view refresh_token, std::string &body,
    std::string &authorization, std::string &err);

struct TokenResponse {
    std::string id_token;
    std::string access_token;
    std::string refresh_token;    // "" when absent
    std::string token_type;
    int64_t expires_in = 0;       // 0 when absent
    std::string error;            // the endpoint's error code, for a 4xx JSON error
};

// Which grant a token response answers: the code exchange, or a refresh.
enum class TokenGrant {
    AuthorizationCode,
    RefreshToken
};

// HTTP 200: a JSON object (at most 64 KiB, no duplicate members) with id_token and access_token
// (non-empty strings of visible ASCII, 0x21-0x7e), token_type "Bearer" in any case, optional
// refresh_token (the same rules as the other tokens) and optional expires_in (an integer from 0
// to kMaxSessionTime). For TokenGrant::RefreshToken, id_token is optional too (the same rules
// when present). HTTP 4xx: false, with out.error set from a JSON {"error": ...} (when it is
// visible ASCII of at most 64 bytes, else "invalid"; empty when there is no such member).
// Anything else: false. `err` is set on every failure (one line, response contents escaped).
// Throws only std::bad_alloc.
bool parse_token_response(unsigned status, std::string_view json, TokenResponse &out, std::string &err,
    TokenGrant grant = TokenGrant::AuthorizationCode);

struct IdTokenCheck {
    std::string_view issuer;
    std::string_view client_id;
    std::string_view nonce;
    unsigned algorithms = 0;     // 0 = kAsymmetricAlgBits
    int64_t leeway = 0;
};

// The rules above. Internal (with detail "invalid arguments ...") for an empty issuer, client id
// or nonce, or a leeway or algorithm set the policy refuses. Throws std::bad_alloc or
// CryptoFailure only, like verify_token.
Status verify_id_token(const IdTokenCheck &check, const KeySet &keys, std::string_view token, int64_t now,
    std::unique_ptr<VerifiedToken> &out, Detail &detail);

// The rules above for an ID token from a refresh: check.nonce is ignored, and sub must equal
// expected_sub. Internal (with detail "invalid arguments ...") for an empty issuer, client id or
// expected sub, or a leeway or algorithm set the policy refuses. Throws like verify_id_token.
Status verify_refresh_id_token(const IdTokenCheck &check, std::string_view expected_sub, const KeySet &keys,
    std::string_view token, int64_t now, std::unique_ptr<VerifiedToken> &out, Detail &detail);

} // namespace edge_auth

#endif
