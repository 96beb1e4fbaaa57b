// Runs every Check suite of the core. Keys are generated here, before Check forks a process per
// test, so each test inherits them instead of generating RSA keys again.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "unit.h"

namespace unit {

namespace {

std::vector<std::pair<std::string, SuiteFactory>> &registry()
{
    static std::vector<std::pair<std::string, SuiteFactory>> r;
    return r;
}

} // namespace

SuiteRegistration::SuiteRegistration(const char *name, SuiteFactory factory)
{
    registry().emplace_back(name, factory);
}

edge_auth::KeySet keyset(const std::string &doc, std::vector<std::string> *warnings)
{
    edge_auth::KeySet set;
    std::string err;
    bool ok = set.add_document(doc, [warnings](const std::string &w) {
        if (warnings) {
            warnings->push_back(w);
        }
    }, err);
    ck_assert_msg(ok, "key set refused: %s", err.c_str());
    return set;
}

std::string jwks(const std::vector<std::string> &jwk_objects)
{
    std::string s = "{\"keys\":[";
    for (size_t i = 0; i < jwk_objects.size(); i++) {
        s += (i ? "," : "") + jwk_objects[i];
    }
    return s + "]}";
}

edge_auth::PolicyConfig default_policy()
{
    return edge_auth::PolicyConfig();
}

edge_auth::PolicyConfig all_algs_policy()
{
    edge_auth::PolicyConfig c;
    c.algorithms = edge_auth::kAllAlgBits;
    return c;
}

edge_auth::Status verify(const std::string &token, const edge_auth::KeySet &keys, const edge_auth::PolicyConfig &conf,
    int64_t now, std::unique_ptr<edge_auth::VerifiedToken> *out, std::string *detail)
{
    std::string err;
    std::unique_ptr<edge_auth::Policy> p = edge_auth::Policy::create(conf, err);
    ck_assert_msg(p != nullptr, "policy refused: %s", err.c_str());
    char buf[256];
    edge_auth::Detail d(buf, sizeof(buf));
    std::unique_ptr<edge_auth::VerifiedToken> tok;
    edge_auth::Status s = edge_auth::verify_token(*p, keys, token, now, tok, d);
    if (detail) {
        *detail = d.c_str();
    }
    if (out) {
        *out = std::move(tok);
    }
    return s;
}

std::string token(edge_auth::Alg alg, const test::SignKey &key, const std::string &claims, const std::string &kid)
{
    std::string header = std::string("{\"alg\":\"") + edge_auth::alg_info(alg).name + "\"";
    if (!kid.empty()) {
        header += ",\"kid\":\"" + kid + "\"";
    }
    header += "}";
    return test::make_token(header, claims, alg, key);
}

std::string good_claims()
{
    return "{\"sub\":\"alice\",\"exp\":" + std::to_string(kNow + 600) + ",\"iat\":" + std::to_string(kNow - 10) + "}";
}

test::SignKey signer(EVP_PKEY *pkey)
{
    test::SignKey k;
    k.pkey = pkey;
    return k;
}

test::SignKey hmac_signer(const std::string &secret)
{
    test::SignKey k;
    k.secret = secret;
    return k;
}

} // namespace unit

int main()
{
    test::keys();

    auto suites = unit::registry();
    std::sort(suites.begin(), suites.end());
    SRunner *sr = srunner_create(nullptr);
    for (const auto &s : suites) {
        srunner_add_suite(sr, s.second());
    }

    // CK_ENV: normal output, or whatever CK_VERBOSITY asks for (e.g. verbose to list every test).
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
