#include "claims.h"

#include <cmath>
#include <limits>

#include "json.h"

namespace edge_auth {

namespace {

enum class Round { Down, Up };

enum class DateRead { Absent, Ok, Bad };

// RFC 7519 §2 NumericDate: any JSON number of seconds. jansson has already refused integers
// outside int64 and reals outside double at parse time; reals outside int64 are refused here.
DateRead numeric_date(const json_t *claims, const char *name, Round round, int64_t &out)
{
    const json_t *v = json_object_get(claims, name);
    if (!v) {
        return DateRead::Absent;
    }
    if (json_is_integer(v)) {
        out = static_cast<int64_t>(json_integer_value(v));
        return DateRead::Ok;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
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

bool string_or_string_array(const json_t *v)
{
    if (json_is_string(v)) {
        return true;
    }
    if (!json_is_array(v)) {
        return false;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e)) {
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

Status check_claims(const ClaimRules &rules, const json_t *header, const json_t *claims, int64_t now,
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
    const json_t *iss = json_object_get(claims, "iss");
    if (iss && !json_is_string(iss)) {
        d.text("iss is not a string");
        return Status::BadClaim;
    }
    const json_t *sub = json_object_get(claims, "sub");
    if (sub && !json_is_string(sub)) {
        d.text("sub is not a string");
        return Status::BadClaim;
    }
    const json_t *aud = json_object_get(claims, "aud");
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
        std::string_view typ;
        if (!json_string_member(header, "typ", typ)) {
            d.text("typ is missing");
            return Status::TokenType;
        }
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
        if (!in_list(rules.issuers, json_string_view(iss))) {
            d.text("iss ").quoted(json_string_view(iss)).text(" is not accepted");
            return Status::Issuer;
        }
    }

    // 6. Audience.
    if (!rules.audiences.empty()) {
        if (!aud) {
            d.text("aud is missing");
            return Status::Audience;
        }
        if (json_is_string(aud)) {
            if (!in_list(rules.audiences, json_string_view(aud))) {
                d.text("aud ").quoted(json_string_view(aud)).text(" is not accepted");
                return Status::Audience;
            }
        } else {
            size_t n = json_array_size(aud);
            if (n == 0 || n > kMaxAudValues) {
                d.text("aud array has ").unum(n).text(" values (1..64 accepted)");
                return Status::Audience;
            }
            bool found = false;
            for (size_t i = 0; i < n && !found; i++) {
                found = in_list(rules.audiences, json_string_view(json_array_get(aud, i)));
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
