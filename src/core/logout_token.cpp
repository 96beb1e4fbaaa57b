#include "logout_token.h"

#include <memory>
#include <string_view>

#include "algorithm.h"
#include "json_doc.h"
#include "policy.h"
#include "verifier.h"

namespace edge_auth {

namespace {

bool equals_ci(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); i++) {
        unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
        if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y)) {
            return false;
        }
    }
    return true;
}

bool logout_typ_ok(std::string_view typ) noexcept
{
    constexpr std::string_view prefix = "application/";
    if (typ.size() > prefix.size() && equals_ci(typ.substr(0, prefix.size()), prefix)) {
        typ.remove_prefix(prefix.size());
    }
    return equals_ci(typ, kLogoutTokenType) || equals_ci(typ, "JWT");
}


bool has_control(std::string_view s) noexcept
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

// A member that must be, when present (or always, when `required`), a non-empty string of at
// most kMaxLogoutValueBytes without control bytes.
Status value_member(JsonValue claims, const char *name, bool required, std::string &dst, Detail &d)
{
    JsonValue v = claims.member(name);
    if (!v) {
        if (required) {
            d.text("missing ").text(name);
            return Status::BadClaim;
        }
        return Status::Ok;
    }
    if (!v.is_string() || v.string().empty()) {
        d.text(name).text(" is not a non-empty string");
        return Status::BadClaim;
    }
    std::string_view s = v.string();
    if (s.size() > kMaxLogoutValueBytes) {
        d.text(name).text(" is ").unum(s.size()).text(" bytes, the limit is ").unum(kMaxLogoutValueBytes);
        return Status::BadClaim;
    }
    if (has_control(s)) {
        d.text(name).text(" ").quoted(s).text(" holds control characters");
        return Status::BadClaim;
    }
    dst.assign(s);
    return Status::Ok;
}

} // namespace

Status verify_logout_token(const LogoutTokenCheck &check, const KeySet &keys, std::string_view token, int64_t now,
    LogoutClaims &out, Detail &d)
{
    out = LogoutClaims();
    d.clear();
    unsigned algorithms = check.algorithms ? check.algorithms : kAsymmetricAlgBits;
    if (algorithms & kHmacAlgBits) {
        d.text("HMAC algorithms are not accepted for logout tokens");
        return Status::AlgNotAllowed;
    }
    if (check.issuer.empty() || check.client_id.empty()) {
        d.text("invalid arguments: the issuer and client id are required");
        return Status::Internal;
    }
    if (check.max_age < 0) {
        d.text("invalid arguments: max_age is negative");
        return Status::Internal;
    }
    int64_t max_age = check.max_age ? check.max_age : kDefaultLogoutMaxAge;

    PolicyConfig pc;
    pc.algorithms = algorithms;
    pc.issuers.emplace_back(check.issuer);
    pc.audiences.emplace_back(check.client_id);
    pc.leeway = check.leeway;
    pc.require_exp = false;   // exp is optional in a logout token; checked when present
    // Stricter than the 16 KiB of ID tokens: a logout token carries a handful of short claims.
    pc.max_token_size = kMaxLogoutTokenBytes;
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

    // typ absent, "logout+jwt" (Back-Channel Logout 1.0 section 2.4), or the generic "JWT" that
    // providers older than explicit typing send (an ID token with typ JWT is still refused: it
    // has no events member and carries a nonce). Media types compare case-insensitively, with an
    // optional "application/" prefix (RFC 7515 section 4.1.9).
    JsonValue typ = tok->header().member("typ");
    if (typ && (!typ.is_string() || !logout_typ_ok(typ.string()))) {
        d.text("typ ");
        if (typ.is_string()) {
            d.quoted(typ.string());
        } else {
            d.text("(not a string)");
        }
        d.text(" is not logout+jwt");
        return Status::TokenType;
    }

    // iat: verify_token has already refused one in the future beyond the leeway.
    if (!times.has_iat) {
        d.text("missing iat");
        return Status::BadClaim;
    }
    // Stricter reading of "not older than max_age": the leeway does not widen it.
    int64_t age;
    if (__builtin_sub_overflow(now, times.iat, &age) || age > max_age) {
        d.text("issued too long ago: iat ").num(times.iat).text(", now ").num(now).text(", max age ").num(max_age);
        return Status::BadClaim;
    }

    // An ID token replayed as a logout token.
    if (claims.member("nonce")) {
        d.text("a logout token must not contain a nonce");
        return Status::BadClaim;
    }

    JsonValue events = claims.member("events");
    if (!events) {
        d.text("missing events");
        return Status::BadClaim;
    }
    if (!events.is_object()) {
        d.text("events is not an object");
        return Status::BadClaim;
    }
    JsonValue event = events.member(kBackchannelLogoutEvent);
    if (!event) {
        d.text("events has no back-channel logout member");
        return Status::BadClaim;
    }
    if (!event.is_object()) {
        d.text("the back-channel logout event is not an object");
        return Status::BadClaim;
    }

    LogoutClaims c;
    s = value_member(claims, "jti", true, c.jti, d);
    if (s != Status::Ok) {
        return s;
    }
    s = value_member(claims, "sid", false, c.sid, d);
    if (s != Status::Ok) {
        return s;
    }
    s = value_member(claims, "sub", false, c.sub, d);
    if (s != Status::Ok) {
        return s;
    }
    if (c.sid.empty() && c.sub.empty()) {
        d.text("neither sid nor sub");
        return Status::BadClaim;
    }
    c.iat = times.iat;
    c.exp = times.has_exp ? times.exp : 0;
    out = std::move(c);
    return Status::Ok;
}

} // namespace edge_auth
