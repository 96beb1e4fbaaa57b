#include "test_support.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "base64url.h"

using edge_auth::Alg;
using edge_auth::AlgInfo;
using edge_auth::alg_info;
using edge_auth::base64url_encode;

namespace test {

namespace {

[[noreturn]] void die(const char *what)
{
    std::fprintf(stderr, "test support: %s\n", what);
    ERR_print_errors_fp(stderr);
    std::abort();
}

std::string random_bytes(size_t n)
{
    std::string s(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(s.data()), static_cast<int>(n)) != 1) {
        die("RAND_bytes");
    }
    return s;
}

std::string bn_bytes(const BIGNUM *bn, int pad_to)
{
    int n = pad_to ? pad_to : BN_num_bytes(bn);
    std::string s(static_cast<size_t>(n), '\0');
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(s.data()), n) != n) {
        die("BN_bn2binpad");
    }
    return s;
}

std::string bn_param(EVP_PKEY *pkey, const char *name, int pad_to)
{
    BIGNUM *bn = nullptr;
    if (!EVP_PKEY_get_bn_param(pkey, name, &bn)) {
        die(name);
    }
    std::string s = bn_bytes(bn, pad_to);
    BN_free(bn);
    return s;
}

std::string with_extra(std::string body, const std::string &extra)
{
    if (!extra.empty()) {
        body += "," + extra;
    }
    return "{" + body + "}";
}

std::string evp_sign(const AlgInfo &a, EVP_PKEY *pkey, std::string_view input)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = nullptr;
    const EVP_MD *md = a.family == edge_auth::Family::EdDsa ? nullptr : edge_auth::hash_md(a.hash);
    if (!ctx || EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey) != 1) {
        die("EVP_DigestSignInit");
    }
    if (a.family == edge_auth::Family::RsaPss) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0) {
            die("PSS parameters");
        }
    }
    size_t len = 0;
    const auto *in = reinterpret_cast<const unsigned char *>(input.data());
    if (EVP_DigestSign(ctx, nullptr, &len, in, input.size()) != 1) {
        die("EVP_DigestSign size");
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(sig.data()), &len, in, input.size()) != 1) {
        die("EVP_DigestSign");
    }
    sig.resize(len);
    EVP_MD_CTX_free(ctx);

    if (a.family != edge_auth::Family::Ecdsa) {
        return sig;
    }
    // DER -> fixed-size r||s.
    const auto *p = reinterpret_cast<const unsigned char *>(sig.data());
    ECDSA_SIG *es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    if (!es) {
        die("d2i_ECDSA_SIG");
    }
    int half = static_cast<int>(a.sig_len / 2);
    std::string raw = bn_bytes(ECDSA_SIG_get0_r(es), half) + bn_bytes(ECDSA_SIG_get0_s(es), half);
    ECDSA_SIG_free(es);
    return raw;
}

} // namespace

EVP_PKEY *generate_rsa(int bits, unsigned long exponent)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    BIGNUM *e = BN_new();
    EVP_PKEY *pkey = nullptr;
    if (!ctx || !e || !BN_set_word(e, exponent) || EVP_PKEY_keygen_init(ctx) <= 0
        || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) <= 0 || EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0
        || EVP_PKEY_keygen(ctx, &pkey) <= 0) {
        die("RSA keygen");
    }
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

EVP_PKEY *generate_ec(const char *group)
{
    EVP_PKEY *pkey = EVP_EC_gen(group);
    if (!pkey) {
        die("EC keygen");
    }
    return pkey;
}

EVP_PKEY *generate_ed25519()
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!pkey) {
        die("Ed25519 keygen");
    }
    return pkey;
}

const Keys &keys()
{
    static Keys *k = [] {
        auto *n = new Keys();
        n->rsa2048 = generate_rsa(2048, 65537);
        n->rsa2048b = generate_rsa(2048, 65537);
        n->rsa3072 = generate_rsa(3072, 65537);
        n->rsa1024 = generate_rsa(1024, 65537);
        n->rsa2048_e3 = generate_rsa(2048, 3);
        n->p256 = generate_ec("P-256");
        n->p256b = generate_ec("P-256");
        n->p384 = generate_ec("P-384");
        n->p384b = generate_ec("P-384");
        n->p521 = generate_ec("P-521");
        n->p521b = generate_ec("P-521");
        n->ed25519 = generate_ed25519();
        n->ed25519b = generate_ed25519();
        n->hs32 = random_bytes(32);
        n->hs48 = random_bytes(48);
        n->hs64 = random_bytes(64);
        return n;
    }();
    return *k;
}

std::string public_jwk(EVP_PKEY *pkey, const std::string &extra)
{
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        std::string n = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        std::string e = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        return with_extra("\"kty\":\"RSA\",\"n\":\"" + base64url_encode(n) + "\",\"e\":\"" + base64url_encode(e) + "\"",
            extra);
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        char group[64];
        if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), nullptr)) {
            die("EC group");
        }
        std::string g = group;
        const char *crv = g == "prime256v1" ? "P-256" : g == "secp384r1" ? "P-384" : "P-521";
        int size = g == "prime256v1" ? 32 : g == "secp384r1" ? 48 : 66;
        std::string x = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, size);
        std::string y = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, size);
        return with_extra(std::string("\"kty\":\"EC\",\"crv\":\"") + crv + "\",\"x\":\"" + base64url_encode(x)
                + "\",\"y\":\"" + base64url_encode(y) + "\"",
            extra);
    }
    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        unsigned char raw[32];
        size_t len = sizeof(raw);
        if (!EVP_PKEY_get_raw_public_key(pkey, raw, &len)) {
            die("Ed25519 raw key");
        }
        return with_extra("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\""
                + base64url_encode(std::string_view(reinterpret_cast<char *>(raw), len)) + "\"",
            extra);
    }
    die("unknown key type");
}

std::string oct_jwk(const std::string &secret, const std::string &extra)
{
    return with_extra("\"kty\":\"oct\",\"k\":\"" + base64url_encode(secret) + "\"", extra);
}

std::string sign(Alg alg, const SignKey &key, std::string_view input)
{
    const AlgInfo &a = alg_info(alg);
    if (a.family == edge_auth::Family::Hmac) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (!HMAC(edge_auth::hash_md(a.hash), key.secret.data(), static_cast<int>(key.secret.size()),
                reinterpret_cast<const unsigned char *>(input.data()), input.size(), mac, &len)) {
            die("HMAC");
        }
        return std::string(reinterpret_cast<char *>(mac), len);
    }
    return evp_sign(a, key.pkey, input);
}

std::string sign_input(const std::string &signing_input, Alg alg, const SignKey &key)
{
    return signing_input + "." + base64url_encode(sign(alg, key, signing_input));
}

std::string make_token(const std::string &header_json, const std::string &payload_json, Alg alg, const SignKey &key)
{
    return sign_input(base64url_encode(header_json) + "." + base64url_encode(payload_json), alg, key);
}

std::string hex_decode(std::string_view hex)
{
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        die("bad hex");
    };
    std::string out;
    out.reserve(hex.size() / 2);
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(nib(hex[i]) << 4 | nib(hex[i + 1])));
    }
    return out;
}

bool read_vector_file(const char *relative_path, std::string &out)
{
    const char *dir = std::getenv("TESTVECTORS");
    std::string base = dir && *dir ? dir : "../shared/testvectors";
    std::ifstream f(base + "/" + relative_path, std::ios::binary);
    if (!f) {
        std::printf("SKIP: %s not found under $TESTVECTORS\n", relative_path);
        std::fflush(stdout);
        return false;
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
}

} // namespace test
