#include "oidc_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <limits>
#include <new>

#include "algorithm.h"
#include "json.h"
#include "json_doc.h"
#include "oidc_metadata.h"
#include "policy.h"
#include "session.h"

namespace edge_auth {

namespace {

constexpr unsigned kMaxTokenResponseDepth = 16;
constexpr size_t kMinVerifierChars = 43;
constexpr size_t kMaxVerifierChars = 128;

bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
        || c == '_' || c == '~';
}

bool visible_ascii(std::string_view s)
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

bool equal_ignore_case(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

std::string base64_std(std::string_view in)
{
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(&out[0]),
        reinterpret_cast<const unsigned char *>(in.data()), static_cast<int>(in.size()));
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
}

// A token member: `required`, or absent; else a non-empty string of visible ASCII.
bool token_member(JsonValue doc, const char *name, bool required, std::string &dst, std::string &err)
{
    JsonValue v = doc.member(name);
    if (!v) {
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
    std::string_view t = v.string();
    if (t.empty() || !visible_ascii(t)) {
        err = std::string("\"") + name + "\" is not a non-empty string of visible ASCII";
        return false;
    }
    dst.assign(t);
    return true;
}

void status_text(std::string &err, unsigned status)
{
    err += "HTTP ";
    err += std::to_string(status);
}

// A 200 response. A refresh response may leave out id_token (OpenID Connect Core §12.2); a
// present one follows the same rules as in a login.
bool parse_ok_response(std::string_view json, TokenGrant grant, TokenResponse &out, std::string &err)
{
    const std::string what = grant == TokenGrant::RefreshToken ? "refresh response: " : "token response: ";
    // JsonDoc, not jansson: the tokens are long strings, which jansson reads a byte at a time.
    JsonDoc doc;
    JsonError e = doc.parse(json, JsonLimits{kMaxTokenResponseBytes, kMaxTokenResponseDepth});
    if (e != JsonError::None) {
        err = what + json_error_text(e);
        return false;
    }
    JsonValue o = doc.root();
    std::string why;
    if (!token_member(o, "id_token", grant == TokenGrant::AuthorizationCode, out.id_token, why)
        || !token_member(o, "access_token", true, out.access_token, why)
        || !token_member(o, "refresh_token", false, out.refresh_token, why)) {
        err = what + why;
        return false;
    }
    JsonValue type = o.member("token_type");
    if (!type.is_string()) {
        err = what + (type ? "\"token_type\" is not a string" : "\"token_type\" is missing");
        return false;
    }
    if (!equal_ignore_case(type.string(), "bearer")) {
        err = what + "\"token_type\" ";
        append_quoted(err, type.string());
        err += " is not Bearer";
        return false;
    }
    out.token_type.assign(type.string());
    JsonValue expires = o.member("expires_in");
    if (expires) {
        if (!expires.is_integer() || expires.integer() < 0 || expires.integer() > kMaxSessionTime) {
            err = what + "\"expires_in\" is not a non-negative integer";
            return false;
        }
        out.expires_in = expires.integer();
    }
    return true;
}

bool auth_method_ok(const TokenClient &client, std::string &err)
{
    if (client.auth_method != kAuthBasic && client.auth_method != kAuthPost) {
        err = "the client authentication method is neither client_secret_basic nor client_secret_post";
        return false;
    }
    return true;
}

// The client's credentials, the same for every grant: "&client_id=.." in the body for a public
// client or client_secret_post, "&client_secret=.." for client_secret_post, and the Basic header
// for client_secret_basic with a secret.
void append_client_auth(const TokenClient &client, std::string &body, std::string &authorization)
{
    bool has_secret = !client.client_secret.empty();
    if (!has_secret || client.auth_method == kAuthPost) {
        body.append("&client_id=");
        append_form_encoded(body, client.client_id);
    }
    if (has_secret && client.auth_method == kAuthPost) {
        body.append("&client_secret=");
        append_form_encoded(body, client.client_secret);
    }
    if (has_secret && client.auth_method == kAuthBasic) {
        // RFC 6749 §2.3.1: each part form-encoded first, then joined with ':' and base64-encoded.
        std::string pair;
        append_form_encoded(pair, client.client_id);
        pair.push_back(':');
        append_form_encoded(pair, client.client_secret);
        authorization = "Basic " + base64_std(pair);
        OPENSSL_cleanse(&pair[0], pair.size());
    }
}

} // namespace

void append_form_encoded(std::string &out, std::string_view value)
{
    static const char hex[] = "0123456789ABCDEF";
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
    }
}

bool token_request(const TokenClient &client, std::string_view code, std::string_view code_verifier,
    std::string &body, std::string &authorization, std::string &err)
{
    body.clear();
    authorization.clear();
    err.clear();
    if (client.client_id.empty()) {
        err = "the client id is empty";
        return false;
    }
    if (client.redirect_uri.empty()) {
        err = "the redirect URI is empty";
        return false;
    }
    if (code.empty()) {
        err = "the authorization code is empty";
        return false;
    }
    bool verifier_ok = code_verifier.size() >= kMinVerifierChars && code_verifier.size() <= kMaxVerifierChars;
    for (char c : code_verifier) {
        verifier_ok = verifier_ok && is_unreserved(static_cast<unsigned char>(c));
    }
    if (!verifier_ok) {
        err = "the code verifier is not 43-128 characters of [A-Za-z0-9-._~] (RFC 7636)";
        return false;
    }
    if (!auth_method_ok(client, err)) {
        return false;
    }
    body.append("grant_type=authorization_code&code=");
    append_form_encoded(body, code);
    body.append("&redirect_uri=");
    append_form_encoded(body, client.redirect_uri);
    body.append("&code_verifier=");
    append_form_encoded(body, code_verifier);
    append_client_auth(client, body, authorization);
    return true;
}

bool refresh_request(const TokenClient &client, std::string_view refresh_token, std::string &body,
    std::string &authorization, std::string &err)
{
    body.clear();
    authorization.clear();
    err.clear();
    if (client.client_id.empty()) {
        err = "the client id is empty";
        return false;
    }
    // Stricter than "any bytes": only what a token response or a session can carry.
    if (refresh_token.empty() || refresh_token.size() > kMaxSessionTokenBytes || !visible_ascii(refresh_token)) {
        err = "the refresh token is not 1-" + std::to_string(kMaxSessionTokenBytes) + " bytes of visible ASCII";
        return false;
    }
    if (!auth_method_ok(client, err)) {
        return false;
    }
    body.append("grant_type=refresh_token&refresh_token=");
    append_form_encoded(body, refresh_token);
    append_client_auth(client, body, authorization);
    return true;
}

bool parse_token_response(unsigned status, std::string_view json, TokenResponse &out, std::string &err,
    TokenGrant grant)
{
    out = TokenResponse();
    err.clear();
    if (status != 200 && (status < 400 || status > 499)) {
        err = "token endpoint answered ";
        status_text(err, status);
        return false;
    }
    if (json.size() > kMaxTokenResponseBytes) {
        err = "token response is " + std::to_string(json.size()) + " bytes, over the cap of "
            + std::to_string(kMaxTokenResponseBytes);
        return false;
    }
    if (status == 200) {
        if (!parse_ok_response(json, grant, out, err)) {
            out = TokenResponse();
            return false;
        }
        return true;
    }
    // A 4xx: an OAuth error response (RFC 6749 §5.2), when it is one.
    JsonDoc doc;
    JsonValue error;
    if (doc.parse(json, JsonLimits{kMaxTokenResponseBytes, kMaxTokenResponseDepth}) == JsonError::None) {
        error = doc.root().member("error");
    }
    err = "token endpoint answered ";
    status_text(err, status);
    if (!error) {
        err += " without an OAuth error";
        return false;
    }
    if (error.is_string() && !error.string().empty() && error.string().size() <= kMaxTokenErrorBytes
        && visible_ascii(error.string())) {
        out.error.assign(error.string());
    } else {
        out.error = "invalid";
    }
    err += " with error \"" + out.error + "\"";
    JsonValue description = doc.root().member("error_description");
    if (description.is_string()) {
        err += ": ";
        append_quoted(err, description.string(), 128);
    }
    return false;
}

namespace {

// What sets a login's ID token apart from a refreshed one (OpenID Connect Core §12.2).
struct IdTokenRules {
    bool login;                      // true: nonce required and equal to check.nonce
    std::string_view expected_sub;   // a refresh: the session's sub, which must not change
};

Status check_id_token(const IdTokenCheck &check, const IdTokenRules &rules, const KeySet &keys,
    std::string_view token, int64_t now, std::unique_ptr<VerifiedToken> &out, Detail &d)
{
    out.reset();
    d.clear();
    unsigned algorithms = check.algorithms ? check.algorithms : kAsymmetricAlgBits;
    if (algorithms & kHmacAlgBits) {
        d.text("HMAC algorithms are not accepted for ID tokens");
        return Status::AlgNotAllowed;
    }
    if (rules.login && (check.issuer.empty() || check.client_id.empty() || check.nonce.empty())) {
        d.text("invalid arguments: the issuer, client id and nonce are required");
        return Status::Internal;
    }
    if (!rules.login && (check.issuer.empty() || check.client_id.empty() || rules.expected_sub.empty())) {
        d.text("invalid arguments: the issuer, client id and expected sub are required");
        return Status::Internal;
    }
    PolicyConfig pc;
    pc.algorithms = algorithms;
    pc.issuers.emplace_back(check.issuer);
    pc.audiences.emplace_back(check.client_id);
    pc.leeway = check.leeway;
    pc.require_exp = true;
    pc.max_token_size = kMaxIdTokenBytes;
    std::string err;
    std::unique_ptr<Policy> policy = Policy::create(pc, err);
    if (!policy) {
        d.text("invalid arguments: ").text(err.c_str());
        return Status::Internal;
    }
    std::unique_ptr<VerifiedToken> tok;
    Status s = verify_token(*policy, keys, token, now, tok, d);
    if (s != Status::Ok) {
        return s;
    }
    JsonValue claims = tok->claims();
    const ClaimTimes &times = tok->times();

    if (!times.has_iat) {
        d.text("missing iat");
        return Status::BadClaim;
    }
    int64_t horizon;
    if (__builtin_add_overflow(now, check.leeway, &horizon)) {
        horizon = std::numeric_limits<int64_t>::max();
    }
    if (times.iat > horizon) {
        d.text("issued in the future: iat ").num(times.iat).text(", now ").num(now).text(", leeway ")
            .num(check.leeway);
        return Status::NotYetValid;
    }
    JsonValue sub = claims.member("sub");
    if (!sub) {
        d.text("missing sub");
        return Status::BadClaim;
    }
    if (!sub.is_string() || sub.string().empty()) {
        d.text("sub is not a non-empty string");
        return Status::BadClaim;
    }
    if (!rules.login && sub.string() != rules.expected_sub) {
        d.text("sub changed");
        return Status::BadClaim;
    }
    JsonValue nonce = claims.member("nonce");
    if (!nonce && rules.login) {
        d.text("missing nonce");
        return Status::BadClaim;
    }
    // A refresh does not compare a nonce, but still refuses one that is not a string (stricter).
    if (nonce && !nonce.is_string()) {
        d.text("nonce is not a string");
        return Status::BadClaim;
    }
    if (rules.login) {
        std::string_view n = nonce.string();
        // The length is not secret; the bytes are compared in constant time.
        if (n.size() != check.nonce.size() || CRYPTO_memcmp(n.data(), check.nonce.data(), n.size()) != 0) {
            d.text("nonce mismatch");
            return Status::BadClaim;
        }
    }
    JsonValue aud = claims.member("aud");
    JsonValue azp = claims.member("azp");
    if (aud.is_array() && aud.size() > 1 && !azp) {
        d.text("aud has ").unum(aud.size()).text(" values and azp is missing");
        return Status::Audience;
    }
    if (azp) {
        if (!azp.is_string()) {
            d.text("azp is not a string");
            return Status::Audience;
        }
        if (azp.string() != check.client_id) {
            d.text("azp ").quoted(azp.string()).text(" is not the client id");
            return Status::Audience;
        }
    }
    out = std::move(tok);
    return Status::Ok;
}

} // namespace

Status verify_id_token(const IdTokenCheck &check, const KeySet &keys, std::string_view token, int64_t now,
    std::unique_ptr<VerifiedToken> &out, Detail &d)
{
    return check_id_token(check, IdTokenRules{true, std::string_view()}, keys, token, now, out, d);
}

Status verify_refresh_id_token(const IdTokenCheck &check, std::string_view expected_sub, const KeySet &keys,
    std::string_view token, int64_t now, std::unique_ptr<VerifiedToken> &out, Detail &d)
{
    return check_id_token(check, IdTokenRules{false, expected_sub}, keys, token, now, out, d);
}

} // namespace edge_auth
