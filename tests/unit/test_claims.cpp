// Registered claims and typ (security.md A15-A19), through the full pipeline.

#include <climits>

#include "claims.h"
#include "unit.h"

using edge_auth::Alg;
using edge_auth::KeySet;
using edge_auth::PolicyConfig;
using edge_auth::Status;

namespace {

constexpr int64_t kNow = unit::kNow;

std::string n(int64_t v)
{
    return std::to_string(v);
}

std::string tok(const std::string &claims, const std::string &header = "{\"alg\":\"ES256\"}")
{
    return test::make_token(header, claims, Alg::ES256, unit::signer(test::keys().p256));
}

Status run(const std::string &claims, const PolicyConfig &conf = unit::default_policy(), int64_t now = kNow,
    const std::string &header = "{\"alg\":\"ES256\"}", std::string *detail = nullptr)
{
    static KeySet keys = unit::keyset(unit::jwks({test::public_jwk(test::keys().p256, "")}));
    return unit::verify(tok(claims, header), keys, conf, now, nullptr, detail);
}

bool creates(const PolicyConfig &c, std::string &err)
{
    return edge_auth::Policy::create(c, err) != nullptr;
}

PolicyConfig with_leeway(int64_t l)
{
    PolicyConfig c = unit::default_policy();
    c.leeway = l;
    return c;
}

std::string exp_claims(const std::string &exp)
{
    return "{\"sub\":\"a\",\"exp\":" + exp + "}";
}

} // namespace

START_TEST(exp_boundaries)
{
    ck_assert_status(run(exp_claims(n(kNow + 1))), Status::Ok);
    ck_assert_status(run(exp_claims(n(kNow))), Status::Expired);   // now >= exp
    ck_assert_status(run(exp_claims(n(kNow - 1))), Status::Expired);
    ck_assert_status(run(exp_claims(n(kNow)), with_leeway(30)), Status::Ok);
    ck_assert_status(run(exp_claims(n(kNow - 29)), with_leeway(30)), Status::Ok);
    ck_assert_status(run(exp_claims(n(kNow - 30)), with_leeway(30)), Status::Expired);
    ck_assert_status(run(exp_claims(n(kNow - 31)), with_leeway(30)), Status::Expired);
    ck_assert_status(run(exp_claims("-1")), Status::Expired);
    ck_assert_status(run(exp_claims("0")), Status::Expired);
    std::string detail;
    ck_assert_status(run(exp_claims(n(kNow - 5)), unit::default_policy(), kNow, "{\"alg\":\"ES256\"}", &detail),
        Status::Expired);
    ck_assert_msg(detail.find("exp 1699999995") != std::string::npos, "%s", detail.c_str());
}
END_TEST

START_TEST(exp_presence_and_type)
{
    ck_assert_status(run("{\"sub\":\"a\"}"), Status::MissingExp);
    PolicyConfig optional = unit::default_policy();
    optional.require_exp = false;
    ck_assert_status(run("{\"sub\":\"a\"}", optional), Status::Ok);
    for (const char *bad : {"\"9999999999\"", "true", "null", "[1900000000]", "{}", "\"\""}) {
        ck_assert_msg(run(exp_claims(bad)) == Status::BadClaim, "exp %s accepted", bad);
        ck_assert_msg(run(exp_claims(bad), optional) == Status::BadClaim, "exp %s accepted", bad);
    }
    // Reals are NumericDates too; exp is rounded down.
    ck_assert_status(run(exp_claims("1.9e9")), Status::Ok);
    ck_assert_status(run(exp_claims(n(kNow) + ".5")), Status::Expired);
    ck_assert_status(run(exp_claims(n(kNow + 1) + ".5")), Status::Ok);
    ck_assert_status(run(exp_claims("1e19")), Status::BadClaim);     // beyond int64
    ck_assert_status(run(exp_claims("-1e19")), Status::BadClaim);
    ck_assert_status(run(exp_claims("9223372036854775807")), Status::Ok);
    // Integers beyond int64 and reals beyond double never parse.
    ck_assert_status(run(exp_claims("9223372036854775808")), Status::Malformed);
    ck_assert_status(run(exp_claims("1e400")), Status::Malformed);
}
END_TEST

START_TEST(nbf_and_iat)
{
    std::string e = ",\"exp\":" + n(kNow + 600);
    ck_assert_status(run("{\"nbf\":" + n(kNow) + e + "}"), Status::Ok);
    ck_assert_status(run("{\"nbf\":" + n(kNow + 1) + e + "}"), Status::NotYetValid);
    ck_assert_status(run("{\"nbf\":" + n(kNow + 30) + e + "}", with_leeway(30)), Status::Ok);
    ck_assert_status(run("{\"nbf\":" + n(kNow + 31) + e + "}", with_leeway(30)), Status::NotYetValid);
    ck_assert_status(run("{\"iat\":" + n(kNow) + e + "}"), Status::Ok);
    ck_assert_status(run("{\"iat\":" + n(kNow - 100000) + e + "}"), Status::Ok);
    ck_assert_status(run("{\"iat\":" + n(kNow + 1) + e + "}"), Status::NotYetValid);
    ck_assert_status(run("{\"iat\":" + n(kNow + 31) + e + "}", with_leeway(30)), Status::NotYetValid);
    // Reals round up for nbf/iat.
    ck_assert_status(run("{\"nbf\":" + n(kNow) + ".2" + e + "}"), Status::NotYetValid);
    ck_assert_status(run("{\"nbf\":\"" + n(kNow) + "\"" + e + "}"), Status::BadClaim);
    ck_assert_status(run("{\"iat\":false" + e + "}"), Status::BadClaim);
    ck_assert_status(run("{\"iat\":1e300" + e + "}"), Status::BadClaim);
}
END_TEST

START_TEST(time_arithmetic_saturates)
{
    PolicyConfig lw = with_leeway(3600);
    // exp + leeway and now + leeway would overflow int64.
    ck_assert_status(run(exp_claims("9223372036854775807"), lw), Status::Ok);
    ck_assert_status(run(exp_claims("9223372036854775807"), lw, INT64_MAX), Status::Expired);
    ck_assert_status(run("{\"nbf\":9223372036854775807,\"exp\":9223372036854775807}", lw, INT64_MAX - 10),
        Status::Ok);
    ck_assert_status(run(exp_claims("-9223372036854775807"), unit::default_policy(), INT64_MIN + 5), Status::Expired);
    ck_assert_status(run(exp_claims("-9223372036854775807"), unit::default_policy(), INT64_MIN), Status::Ok);
}
END_TEST

START_TEST(issuer_rules)
{
    PolicyConfig c = unit::default_policy();
    c.issuers = {"https://idp.example", "https://other.example"};
    std::string e = ",\"exp\":" + n(kNow + 600) + "}";
    ck_assert_status(run("{\"iss\":\"https://idp.example\"" + e, c), Status::Ok);
    ck_assert_status(run("{\"iss\":\"https://other.example\"" + e, c), Status::Ok);
    for (const char *bad : {"https://idp.example/", "http://idp.example", "https://IDP.example", "https://idp.example.evil",
             "https://idp.example ", "", "https://idp\\u002eexample/"}) {
        ck_assert_msg(run(std::string("{\"iss\":\"") + bad + "\"" + e, c) == Status::Issuer, "iss %s accepted", bad);
    }
    ck_assert_status(run("{\"sub\":\"a\"" + e, c), Status::Issuer);
    ck_assert_status(run("{\"iss\":[\"https://idp.example\"]" + e, c), Status::BadClaim);
    ck_assert_status(run("{\"iss\":1" + e), Status::BadClaim);
    // No issuers configured: any iss string.
    ck_assert_status(run("{\"iss\":\"whoever\"" + e), Status::Ok);
    // Unicode look-alike: Cyrillic "е" in place of "e".
    ck_assert_status(run("{\"iss\":\"https://idp.\xd0\xb5xample\"" + e, c), Status::Issuer);
    ck_assert_status(run("{\"sub\":7" + e), Status::BadClaim);
}
END_TEST

START_TEST(audience_rules)
{
    PolicyConfig c = unit::default_policy();
    c.audiences = {"api://orders"};
    std::string e = ",\"exp\":" + n(kNow + 600) + "}";
    ck_assert_status(run("{\"aud\":\"api://orders\"" + e, c), Status::Ok);
    ck_assert_status(run("{\"aud\":[\"x\",\"api://orders\"]" + e, c), Status::Ok);
    ck_assert_status(run("{\"aud\":[\"api://orders\"]" + e, c), Status::Ok);
    ck_assert_status(run("{\"aud\":\"api://other\"" + e, c), Status::Audience);
    ck_assert_status(run("{\"aud\":[\"api://other\",\"x\"]" + e, c), Status::Audience);
    ck_assert_status(run("{\"aud\":[]" + e, c), Status::Audience);
    ck_assert_status(run("{\"aud\":[null]" + e, c), Status::Audience);
    ck_assert_status(run("{\"aud\":[\"api://orders\",1]" + e, c), Status::Audience);
    ck_assert_status(run("{\"aud\":7" + e, c), Status::Audience);
    ck_assert_status(run("{\"aud\":{\"a\":\"api://orders\"}" + e, c), Status::Audience);
    ck_assert_status(run("{\"sub\":\"a\"" + e, c), Status::Audience);
    ck_assert_status(run("{\"aud\":\"API://orders\"" + e, c), Status::Audience);
    // At most 64 values, the match may be the last one.
    std::string arr = "[";
    for (int i = 0; i < 63; i++) {
        arr += "\"a" + n(i) + "\",";
    }
    ck_assert_status(run("{\"aud\":" + arr + "\"api://orders\"]" + e, c), Status::Ok);
    ck_assert_status(run("{\"aud\":" + arr + "\"x\",\"api://orders\"]" + e, c), Status::Audience);
    // Without audiences configured, aud is only type-checked.
    ck_assert_status(run("{\"aud\":\"anything\"" + e), Status::Ok);
    ck_assert_status(run("{\"aud\":[]" + e), Status::Ok);
    ck_assert_status(run("{\"aud\":7" + e), Status::BadClaim);
    ck_assert_status(run("{\"aud\":[null]" + e), Status::BadClaim);
}
END_TEST

START_TEST(typ_rules)
{
    PolicyConfig c = unit::default_policy();
    c.types = {"at+jwt"};
    std::string claims = unit::good_claims();
    for (const char *typ : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"}) {
        ck_assert_msg(run(claims, c, kNow, std::string("{\"alg\":\"ES256\",\"typ\":\"") + typ + "\"}") == Status::Ok,
            "typ %s refused", typ);
    }
    for (const char *typ : {"JWT", "jwt", "at+jwt ", "text/at+jwt", "application/jwt", "at+jwt/application", ""}) {
        ck_assert_msg(run(claims, c, kNow, std::string("{\"alg\":\"ES256\",\"typ\":\"") + typ + "\"}")
                == Status::TokenType,
            "typ %s accepted", typ);
    }
    ck_assert_status(run(claims, c), Status::TokenType);   // typ absent
    // Configured with the prefix, token without it.
    c.types = {"application/at+jwt", "logout+jwt"};
    ck_assert_status(run(claims, c, kNow, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}"), Status::Ok);
    ck_assert_status(run(claims, c, kNow, "{\"alg\":\"ES256\",\"typ\":\"application/logout+jwt\"}"), Status::Ok);
    ck_assert(edge_auth::normalize_typ("Application/AT+JWT") == "at+jwt");
    ck_assert(edge_auth::normalize_typ("application/") == "");
}
END_TEST

START_TEST(order_of_checks)
{
    // Claims are judged only once the signature verified: a forged, expired token is a bad
    // signature, not "expired".
    static KeySet keys = unit::keyset(unit::jwks({test::public_jwk(test::keys().p256, "")}));
    std::string t = tok(exp_claims(n(kNow - 100)));
    std::string forged = t.substr(0, t.rfind('.') + 1) + t.substr(t.rfind('.') + 1, 10) + std::string(76, 'A');
    ck_assert_status(unit::verify(forged, keys, unit::default_policy()), Status::BadSignature);
    // Type errors before time, time before issuer, issuer before audience.
    PolicyConfig c = unit::default_policy();
    c.issuers = {"i"};
    c.audiences = {"a"};
    ck_assert_status(run("{\"exp\":\"x\",\"iss\":\"bad\"}", c), Status::BadClaim);
    ck_assert_status(run("{\"exp\":1,\"iss\":\"bad\",\"aud\":\"bad\"}", c), Status::Expired);
    ck_assert_status(run("{\"exp\":" + n(kNow + 5) + ",\"iss\":\"bad\",\"aud\":\"bad\"}", c), Status::Issuer);
    ck_assert_status(run("{\"exp\":" + n(kNow + 5) + ",\"iss\":\"i\",\"aud\":\"bad\"}", c), Status::Audience);
    ck_assert_status(run("{\"exp\":" + n(kNow + 5) + ",\"iss\":\"i\",\"aud\":\"a\"}", c), Status::Ok);
}
END_TEST

START_TEST(times_recheck)
{
    // A verified token re-judged later from the dates it carries, without parsing again.
    static KeySet keys = unit::keyset(unit::jwks({test::public_jwk(test::keys().p256, "")}));
    std::unique_ptr<edge_auth::VerifiedToken> out;
    std::string claims = "{\"exp\":" + n(kNow + 100) + ",\"nbf\":" + n(kNow - 5) + ",\"iat\":" + n(kNow - 5) + "}";
    ck_assert_status(unit::verify(tok(claims), keys, with_leeway(10), kNow, &out), Status::Ok);
    const edge_auth::ClaimTimes &t = out->times();
    ck_assert(t.has_exp && t.has_nbf && t.has_iat);
    ck_assert_int_eq(t.exp, kNow + 100);
    ck_assert_int_eq(t.nbf, kNow - 5);
    std::string err;
    auto policy = edge_auth::Policy::create(with_leeway(10), err);
    char buf[128];
    edge_auth::Detail d(buf, sizeof(buf));
    ck_assert_status(edge_auth::check_times(policy->claim_rules(), t, kNow + 109, d), Status::Ok);
    ck_assert_status(edge_auth::check_times(policy->claim_rules(), t, kNow + 110, d), Status::Expired);
    ck_assert_status(edge_auth::check_times(policy->claim_rules(), t, kNow - 16, d), Status::NotYetValid);
    edge_auth::ClaimTimes none;
    ck_assert_status(edge_auth::check_times(policy->claim_rules(), none, kNow, d), Status::MissingExp);
}
END_TEST

START_TEST(policy_validation)
{
    std::string err;
    PolicyConfig c;
    ck_assert(creates(c, err));
    c.algorithms = 0;
    ck_assert(!creates(c, err));
    ck_assert_msg(err.find("empty") != std::string::npos, "%s", err.c_str());
    c.algorithms = 1u << 20;
    ck_assert(!creates(c, err));
    c = PolicyConfig();
    c.leeway = -1;
    ck_assert(!creates(c, err));
    c.leeway = 3601;
    ck_assert(!creates(c, err));
    c.leeway = 3600;
    ck_assert(creates(c, err));
    c = PolicyConfig();
    c.max_token_size = 0;
    ck_assert(!creates(c, err));
    c.max_token_size = (1u << 20) + 1;
    ck_assert(!creates(c, err));
    c = PolicyConfig();
    c.issuers = {""};
    ck_assert(!creates(c, err));
    c = PolicyConfig();
    c.audiences = {"a", ""};
    ck_assert(!creates(c, err));
    c = PolicyConfig();
    c.types = {"application/"};
    ck_assert(!creates(c, err));
    // Defaults: asymmetric only, exp required, 8 KiB.
    PolicyConfig d;
    ck_assert_uint_eq(d.algorithms, edge_auth::kAsymmetricAlgBits);
    ck_assert(d.require_exp);
    ck_assert_uint_eq(d.max_token_size, 8192);
    ck_assert_int_eq(d.leeway, 0);
}
END_TEST

Suite *claims_suite()
{
    Suite *s = suite_create("claims");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, exp_boundaries);
    tcase_add_test(tc, exp_presence_and_type);
    tcase_add_test(tc, nbf_and_iat);
    tcase_add_test(tc, time_arithmetic_saturates);
    tcase_add_test(tc, issuer_rules);
    tcase_add_test(tc, audience_rules);
    tcase_add_test(tc, typ_rules);
    tcase_add_test(tc, order_of_checks);
    tcase_add_test(tc, times_recheck);
    tcase_add_test(tc, policy_validation);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_SUITE(claims_suite);
