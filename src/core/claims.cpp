#include "claims.h"

#include <cmath>
#include <limits>


namespace edge_auth {

namespace {

enum class Round { Down, Up };

enum class DateRead { Absent, Ok, Bad };

// RFC 7519 §2 NumericDate: any JSON number of seconds. The parser has already refused integers
// outside int64 and reals outside double; reals outside int64 are refused here.
DateRead numeric_date(JsonValue claims, std::string_view name, Round round, int64_t &out)
{
    JsonValue v = claims.member(name);
    if (!v) {
        return DateRead::Absent;
    }
    if (v.is_integer()) {
        out = v.integer();
        return DateRead::Ok;
    }
    if (v.is_real()) {
        double d = v.real();
        d = round == Round::Down ? std::floor(d) : std::ceil(d);
        // [-2^63, 2^63): both bounds are exact doubles.
        if (!std::isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
            return DateRead::Bad;
        }
        out = static_cast<int64_t>(d);
        return DateRead::Ok;
    }
    return DateRead::Bad;
}

int64_t saturating_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) {
        return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    }
    return r;
}

bool string_or_string_array(JsonValue v)
{
    if (v.is_string()) {
        return true;
    }
    if (!v.is_array()) {
        return false;
    }
    JsonValue e = JsonWalk::first(v);
    for (size_t i = 0; i < v.size(); i++, e = JsonWalk::next(e)) {
        if (!e.is_string()) {
            return false;
        }
    }
    return true;
}

bool in_list(const std::vector<std::string> &list, std::string_view v)
{
    for (const std::string &s : list) {
        if (s == v) {
            return true;
        }
    }
    return false;
}

char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr std::string_view kMediaPrefix = "application/";

bool starts_with_ci(std::string_view s, std::string_view prefix)
{
    if (s.size() < prefix.size()) {
        return false;
    }
    for (size_t i = 0; i < prefix.size(); i++) {
        if (ascii_lower(s[i]) != prefix[i]) {
            return false;
        }
    }
    return true;
}

// `normalized` comes from normalize_typ; compares without allocating on the request path.
bool typ_matches(std::string_view typ, const std::string &normalized)
{
    if (starts_with_ci(typ, kMediaPrefix)) {
        typ.remove_prefix(kMediaPrefix.size());
    }
    return typ.size() == normalized.size() && starts_with_ci(typ, normalized);
}

} // namespace

std::string normalize_typ(std::string_view typ)
{
    std::string out;
    out.reserve(typ.size());
    for (char c : typ) {
        out.push_back(ascii_lower(c));
    }
    if (starts_with_ci(out, kMediaPrefix)) {
        out.erase(0, kMediaPrefix.size());
    }
    return out;
}

Status check_times(const ClaimRules &rules, const ClaimTimes &times, int64_t now, Detail &d) noexcept
{
    if (!times.has_exp) {
        if (rules.require_exp) {
            d.text("exp is missing");
            return Status::MissingExp;
        }
    } else if (now >= saturating_add(times.exp, rules.leeway)) {
        d.text("expired: exp ").num(times.exp).text(", now ").num(now).text(", leeway ").num(rules.leeway);
        return Status::Expired;
    }
    int64_t horizon = saturating_add(now, rules.leeway);
    if (times.has_nbf && times.nbf > horizon) {
        d.text("not yet valid: nbf ").num(times.nbf).text(", now ").num(now).text(", leeway ").num(rules.leeway);
        return Status::NotYetValid;
    }
    if (times.has_iat && times.iat > horizon) {
        d.text("issued in the future: iat ").num(times.iat).text(", now ").num(now).text(", leeway ")
            .num(rules.leeway);
        return Status::NotYetValid;
    }
    return Status::Ok;
}

Status check_claims(const ClaimRules &rules, JsonValue header, JsonValue claims, int64_t now,
    Detail &d, ClaimTimes &times)
{
    times = ClaimTimes();

    // 1. Types of the registered claims.
    int64_t exp = 0, nbf = 0, iat = 0;
    DateRead exp_r = numeric_date(claims, "exp", Round::Down, exp);
    DateRead nbf_r = numeric_date(claims, "nbf", Round::Up, nbf);
    DateRead iat_r = numeric_date(claims, "iat", Round::Up, iat);
    if (exp_r == DateRead::Bad) {
        d.text("exp is not a NumericDate");
        return Status::BadClaim;
    }
    if (nbf_r == DateRead::Bad) {
        d.text("nbf is not a NumericDate");
        return Status::BadClaim;
    }
    if (iat_r == DateRead::Bad) {
        d.text("iat is not a NumericDate");
        return Status::BadClaim;
    }
    JsonValue iss = claims.member("iss");
    if (iss && !iss.is_string()) {
        d.text("iss is not a string");
        return Status::BadClaim;
    }
    JsonValue sub = claims.member("sub");
    if (sub && !sub.is_string()) {
        d.text("sub is not a string");
        return Status::BadClaim;
    }
    JsonValue aud = claims.member("aud");
    if (aud && !string_or_string_array(aud)) {
        // When audiences are configured this is an audience failure like any other aud value
        // that cannot match; otherwise it is just an ill-typed registered claim.
        d.text("aud is neither a string nor an array of strings");
        return rules.audiences.empty() ? Status::BadClaim : Status::Audience;
    }
    times.has_exp = exp_r == DateRead::Ok;
    times.exp = exp;
    times.has_nbf = nbf_r == DateRead::Ok;
    times.nbf = nbf;
    times.has_iat = iat_r == DateRead::Ok;
    times.iat = iat;

    // 2. Explicit typing.
    if (!rules.types.empty()) {
        JsonValue typ_value = header.member("typ");
        if (!typ_value.is_string()) {
            d.text("typ is missing");
            return Status::TokenType;
        }
        std::string_view typ = typ_value.string();
        bool accepted = false;
        for (const std::string &t : rules.types) {
            accepted = accepted || typ_matches(typ, t);
        }
        if (!accepted) {
            d.text("typ ").quoted(typ).text(" is not accepted");
            return Status::TokenType;
        }
    }

    // 3-4. Time.
    Status ts = check_times(rules, times, now, d);
    if (ts != Status::Ok) {
        return ts;
    }

    // 5. Issuer.
    if (!rules.issuers.empty()) {
        if (!iss) {
            d.text("iss is missing");
            return Status::Issuer;
        }
        if (!in_list(rules.issuers, iss.string())) {
            d.text("iss ").quoted(iss.string()).text(" is not accepted");
            return Status::Issuer;
        }
    }

    // 6. Audience.
    if (!rules.audiences.empty()) {
        if (!aud) {
            d.text("aud is missing");
            return Status::Audience;
        }
        if (aud.is_string()) {
            if (!in_list(rules.audiences, aud.string())) {
                d.text("aud ").quoted(aud.string()).text(" is not accepted");
                return Status::Audience;
            }
        } else {
            size_t n = aud.size();
            if (n == 0 || n > kMaxAudValues) {
                d.text("aud array has ").unum(n).text(" values (1..64 accepted)");
                return Status::Audience;
            }
            bool found = false;
            JsonValue e = JsonWalk::first(aud);
            for (size_t i = 0; i < n && !found; i++, e = JsonWalk::next(e)) {
                found = in_list(rules.audiences, e.string());
            }
            if (!found) {
                d.text("none of the ").unum(n).text(" aud values is accepted");
                return Status::Audience;
            }
        }
    }
    return Status::Ok;
}

} // namespace edge_auth
