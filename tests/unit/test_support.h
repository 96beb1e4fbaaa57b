// test_support.h: what the unit tests and the micro-benchmark need beyond the core: fresh
// keys, their public JWKs, JOSE signing, token assembly, and access to the shared test vectors.
//
// Usage:
//
//     const test::Keys &k = test::keys();                 // generated once per process
//     std::string jwks = "{\"keys\":[" + test::public_jwk(k.rsa2048, "\"kid\":\"r1\"") + "]}";
//     std::string tok = test::make_token("{\"alg\":\"RS256\",\"kid\":\"r1\"}",
//                                        "{\"sub\":\"a\",\"exp\":2000000000}",
//                                        edge_auth::Alg::RS256, test::SignKey{k.rsa2048});
//     std::string text;
//     if (!test::read_vector_file("wycheproof/hmac_sha256_test.json", text)) skip();

#ifndef EDGE_AUTH_TEST_SUPPORT_H
#define EDGE_AUTH_TEST_SUPPORT_H

#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "algorithm.h"

namespace test {

struct SignKey {
    EVP_PKEY *pkey = nullptr;     // asymmetric algorithms
    std::string secret;           // HS*
};

struct Keys {
    EVP_PKEY *rsa2048 = nullptr;
    EVP_PKEY *rsa2048b = nullptr;
    EVP_PKEY *rsa3072 = nullptr;
    EVP_PKEY *rsa1024 = nullptr;
    EVP_PKEY *rsa2048_e3 = nullptr;
    EVP_PKEY *p256 = nullptr;
    EVP_PKEY *p256b = nullptr;
    EVP_PKEY *p384 = nullptr;
    EVP_PKEY *p384b = nullptr;
    EVP_PKEY *p521 = nullptr;
    EVP_PKEY *p521b = nullptr;
    EVP_PKEY *ed25519 = nullptr;
    EVP_PKEY *ed25519b = nullptr;
    std::string hs32, hs48, hs64;
};

// Generates the key material on first call. Call it from main() before forking test processes
// so that every test sees the same keys without paying for RSA generation again.
const Keys &keys();

EVP_PKEY *generate_rsa(int bits, unsigned long exponent);
EVP_PKEY *generate_ec(const char *group);
EVP_PKEY *generate_ed25519();

// The public JWK of `pkey` as a JSON object; `extra` is spliced in as further members
// (e.g. "\"kid\":\"a\",\"alg\":\"ES256\""), may be empty.
std::string public_jwk(EVP_PKEY *pkey, const std::string &extra);
std::string oct_jwk(const std::string &secret, const std::string &extra);

// A JOSE signature (raw r||s for ECDSA) of `input`.
std::string sign(edge_auth::Alg alg, const SignKey &key, std::string_view input);

// base64url(header) "." base64url(payload) "." base64url(sign(...)).
std::string make_token(const std::string &header_json, const std::string &payload_json, edge_auth::Alg alg,
    const SignKey &key);

// Re-signs `signing_input` as given (for hand-made segments that are not canonical JSON).
std::string sign_input(const std::string &signing_input, edge_auth::Alg alg, const SignKey &key);

std::string hex_decode(std::string_view hex);

// The shared test vectors, found through $TESTVECTORS (default ../shared/testvectors).
// Prints "SKIP: <file> not found under $TESTVECTORS" and returns false when the file is absent.
bool read_vector_file(const char *relative_path, std::string &out);

} // namespace test

#endif
