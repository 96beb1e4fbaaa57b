// unit.h: the Check suites of the core, and the small utilities they share.
//
// Usage (in a test file):
//
//     START_TEST(rejects_padding) {
//         auto keys = unit::keyset("{\"keys\":[" + test::oct_jwk(test::keys().hs32, "") + "]}");
//         ck_assert_int_eq((int)unit::verify(token, keys, unit::hs_policy()), (int)Status::Malformed);
//     }
//     END_TEST
//     Suite *base64url_suite() { ... }
//     UNIT_SUITE(base64url_suite);          // main() runs every registered suite

#ifndef EDGE_AUTH_UNIT_H
#define EDGE_AUTH_UNIT_H

#include <check.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jwks.h"
#include "policy.h"
#include "status.h"
#include "test_support.h"
#include "verifier.h"

namespace unit {

// Suites register themselves, so adding a test file needs no edit of main.cpp. main() runs them
// sorted by name, which keeps the output order stable whatever the link order.
using SuiteFactory = Suite *(*)();

struct SuiteRegistration {
    SuiteRegistration(const char *name, SuiteFactory factory);
};

#define UNIT_SUITE(factory) static const unit::SuiteRegistration factory##_registration(#factory, factory)

// A fixed "now" for every token built by the tests.
constexpr int64_t kNow = 1700000000;

// A KeySet from a document that must load; warnings are collected when asked for.
edge_auth::KeySet keyset(const std::string &doc, std::vector<std::string> *warnings = nullptr);

// {"keys":[a, b, ...]}
std::string jwks(const std::vector<std::string> &jwk_objects);

edge_auth::PolicyConfig default_policy();
edge_auth::PolicyConfig all_algs_policy();

// Runs the full pipeline; `detail` (optional) receives the detail line.
edge_auth::Status verify(const std::string &token, const edge_auth::KeySet &keys,
    const edge_auth::PolicyConfig &conf, int64_t now = kNow,
    std::unique_ptr<edge_auth::VerifiedToken> *out = nullptr, std::string *detail = nullptr);

// A token with header {"alg":<alg>[,"kid":<kid>]} and the given claims, signed with `key`.
std::string token(edge_auth::Alg alg, const test::SignKey &key, const std::string &claims,
    const std::string &kid = "");

// Claims valid at kNow: {"sub":"alice","exp":kNow+600,"iat":kNow-10}.
std::string good_claims();

test::SignKey signer(EVP_PKEY *pkey);
test::SignKey hmac_signer(const std::string &secret);

} // namespace unit

#define ck_assert_status(actual, expected)                                                                    \
    ck_assert_msg((actual) == (expected), "status %s, expected %s", edge_auth::status_reason(actual), \
        edge_auth::status_reason(expected))

// Compares std::string values; unlike ck_assert_str_eq it is safe with temporaries, because
// the operands are copied before they are compared and printed.
#define ck_assert_string(actual, expected)                                                      \
    do {                                                                                        \
        std::string ck_a_ = (actual);                                                           \
        std::string ck_e_ = (expected);                                                         \
        ck_assert_msg(ck_a_ == ck_e_, "got \"%s\", expected \"%s\"", ck_a_.c_str(), ck_e_.c_str()); \
    } while (0)

#endif
