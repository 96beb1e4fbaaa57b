/*
 * fuzz_jwt_verify.cpp: libFuzzer target for ea_jwt_verify, the per-request parser of untrusted
 * bearer tokens, and for rendering the values of the tokens it accepts.
 *
 * Every input is verified under two policies over a fixed key set (RSA, EC P-256, Ed25519, oct):
 * a permissive one (every alg, no exp needed) and a strict one (issuer, audience, typ, exp).
 *
 * Mutating base64url text byte by byte rarely yields a token whose header or claims still parse,
 * so a custom mutator usually decodes one segment, mutates the JSON inside and re-encodes it; and
 * since the HMAC and Ed25519 secrets are known here, it re-signs a quarter of the tokens so the
 * fuzzer also reaches the claim checks and value rendering that only run after a good signature.
 */

#include "fuzz_common.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <random>

namespace {

/* The public halves of the keys in fuzz/keys/ (edge-auth jwks-public). */
const char FUZZ_JWKS[] =
    "{\"keys\":[{\"kid\":\"fuzz-rsa\",\"kty\":\"RSA\",\"n\":\"0T8oN05n84aMlRpzOxUAvJkjto4NYeVf1RXY"
    "79MILOSajVdKkZ0iua_JN5rG0tf9PROLtRDJqObQa2_Y1OuG5jbXCMZiNPShcCv9ijShd3z2AXVXB3oI"
    "bjVrhCUNSSxOWfA925b1cQ9cmD5fsGblIIsMMb-NFASKpex41viKf1H7bIu6PmME54YmbfLPXZxNx1cI"
    "-nOcRO7DD3oOiCL6iZyoS3nSEl2UiOlAMS7nVITAZ7Qo2S2EPoOALr6syqO4qClDakvOqMa22Uk1NaYb"
    "oSbVCGbgRERsmfwW2javen4MLjOJg20uSU9mwahNlD7ZFJXvOV1y_W9y1lQTzLEpZw\",\"e\":\"AQAB\"},"
    "{\"kid\":\"fuzz-ec\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"JkN8-qA3exrCnjV4uq1yjJQwqlVVDCX6N"
    "ufn7j5cYC0\",\"y\":\"UphF8ycjWRsN0mVrCj7zbz7po9rWEDqZzyuIlkls8do\"},{\"kid\":\"fuzz-ed\","
    "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"zGyU6Ysy-jnYkzJXVUvMPDaE29xDq3jHT9Ln_jnOvZI\"},{"
    "\"kty\":\"oct\",\"kid\":\"fuzz-hs\",\"k\":\"T46SCiNAQyRMrUeFgBf60w5igspzEOx4JA-nFOYGv0g\"}]}";

/* Secrets of fuzz/keys/hs.jwk ("k") and fuzz/keys/ed.jwk ("d"), for re-signing. */
const char HS_SECRET_B64[] = "T46SCiNAQyRMrUeFgBf60w5igspzEOx4JA-nFOYGv0g";
const char ED_PRIVATE_B64[] = "11XjiWhfrODbxiZAgDcs4DpyTiDDlV55-8o9jzNdyvE";

/* The seeds in fuzz/seeds/fuzz_jwt_verify/ are valid at this time (iat 1700000000, exp 2e9). */
const int64_t NOW = 1700000000;
const ea_str_t ISSUERS[] = {{"https://issuer.example", 22}};
const ea_str_t AUDIENCES[] = {{"api", 3}};
const ea_str_t TYPES[] = {{"JWT", 3}, {"at+jwt", 6}};

ea_keyset_t *g_keys;
ea_policy_t *g_open;
ea_policy_t *g_strict;
std::string  g_hs_secret;
EVP_PKEY    *g_ed_key;

ea_policy_t *make_policy(bool strict)
{
    ea_policy_conf_t pc;
    ea_policy_conf_init(&pc);
    pc.algorithms = EA_ALGS_ASYMMETRIC | EA_ALGS_HMAC;
    if (strict) {
        pc.issuers = ISSUERS;
        pc.n_issuers = 1;
        pc.audiences = AUDIENCES;
        pc.n_audiences = 1;
        pc.types = TYPES;
        pc.n_types = 2;
        pc.leeway = 30;
        pc.require_exp = 1;
    } else {
        pc.require_exp = 0;
        pc.max_token_size = 16384;  /* above -max_len: the open policy never stops at the cap */
    }
    char err[256] = "";
    ea_policy_t *p = ea_policy_create(&pc, err, sizeof(err));
    if (p == nullptr) {
        std::fprintf(stderr, "fuzz_jwt_verify: ea_policy_create: %s\n", err);
        std::abort();
    }
    return p;
}

void verify(const ea_policy_t *policy, const char *token, size_t len, bool with_detail)
{
    /* Exact-size heap buffer, so ASan flags a write past detail_len. */
    const size_t detail_len = 64;
    std::unique_ptr<char[]> detail(new char[detail_len]);
    std::memset(detail.get(), 'X', detail_len);

    static int placeholder;
    ea_token_t *tok = reinterpret_cast<ea_token_t *>(&placeholder);  /* must be overwritten */
    ea_status_t rc = ea_jwt_verify(policy, g_keys, token, len, NOW, &tok,
                                   with_detail ? detail.get() : nullptr,
                                   with_detail ? detail_len : 0);
    fuzz::check_status(rc);
    if (rc != EA_OK) {
        if (tok != nullptr) {
            fuzz::violation("ea_jwt_verify failed but left *out non-NULL", token, len);
        }
        if (with_detail) {
            fuzz::check_message("ea_jwt_verify detail", detail.get(), detail_len);
        }
        return;
    }
    if (tok == nullptr || tok == reinterpret_cast<ea_token_t *>(&placeholder)) {
        fuzz::violation("ea_jwt_verify returned EA_OK without a token", token, len);
    }

    fuzz::render(tok, EA_PART_HEADER, {{"alg", 3}});
    fuzz::render(tok, EA_PART_HEADER, {{"kid", 3}});
    fuzz::render(tok, EA_PART_HEADER, {{"typ", 3}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"sub", 3}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"aud", 3}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"exp", 3}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"ctl", 3}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"uni", 3}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"nested", 6}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"nested", 6}, {"a", 1}, {"b", 1}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"", 0}});
    fuzz::render(tok, EA_PART_CLAIMS, {{"a\0b", 3}, {"x", 1}});

    fuzz::Arena arena;
    ea_str_t payload = {nullptr, 0};
    int prc = ea_token_payload(tok, fuzz::Arena::alloc, &arena, &payload);
    if (prc != 1) {
        fuzz::violation("ea_token_payload did not render an accepted token", token, len);
    }
    fuzz::check_no_controls("ea_token_payload output", payload.data, payload.len);
    (void) ea_token_expires(tok);
    ea_token_free(tok);
}

/* ---- structure-aware mutation ------------------------------------------------------------- */

std::string resign(const std::string &signing_input, const std::string &header)
{
    unsigned char sig[EVP_MAX_MD_SIZE > 64 ? EVP_MAX_MD_SIZE : 64];
    size_t len = sizeof(sig);
    const auto *in = reinterpret_cast<const unsigned char *>(signing_input.data());
    if (header.find("EdDSA") != std::string::npos) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok = md != nullptr &&
                  EVP_DigestSignInit(md, nullptr, nullptr, nullptr, g_ed_key) == 1 &&
                  EVP_DigestSign(md, sig, &len, in, signing_input.size()) == 1;
        EVP_MD_CTX_free(md);
        if (!ok) {
            std::abort();
        }
    } else {
        const EVP_MD *md = header.find("HS512") != std::string::npos   ? EVP_sha512()
                           : header.find("HS384") != std::string::npos ? EVP_sha384()
                                                                       : EVP_sha256();
        unsigned int ulen = 0;
        if (HMAC(md, g_hs_secret.data(), static_cast<int>(g_hs_secret.size()), in,
                 signing_input.size(), sig, &ulen) == nullptr) {
            std::abort();
        }
        len = ulen;
    }
    return fuzz::b64url_encode(std::string(reinterpret_cast<char *>(sig), len));
}

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    g_keys = ea_keyset_new();
    char err[256] = "";
    if (g_keys == nullptr ||
        ea_keyset_add_jwks(g_keys, FUZZ_JWKS, sizeof(FUZZ_JWKS) - 1, nullptr, nullptr, err,
                           sizeof(err)) != 0 ||
        ea_keyset_size(g_keys) != 4) {
        std::fprintf(stderr, "fuzz_jwt_verify: the fixed key set does not load (%s, %zu keys)\n",
                     err, g_keys ? ea_keyset_size(g_keys) : 0);
        std::abort();
    }
    g_open = make_policy(false);
    g_strict = make_policy(true);

    g_hs_secret = fuzz::b64url_decode_lenient(HS_SECRET_B64, sizeof(HS_SECRET_B64) - 1);
    std::string ed = fuzz::b64url_decode_lenient(ED_PRIVATE_B64, sizeof(ED_PRIVATE_B64) - 1);
    g_ed_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char *>(ed.data()),
                                            ed.size());
    if (g_ed_key == nullptr) {
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *token = reinterpret_cast<const char *>(data);
    verify(g_open, token, size, true);
    verify(g_strict, token, size, false);
    return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                                          unsigned int seed)
{
    std::minstd_rand rng(seed);
    unsigned mode = rng() % 4;  /* 0: raw bytes, 1-2: one segment's content, 3: that + re-sign */

    std::vector<std::string> segs(1);
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '.') {
            segs.emplace_back();
        } else {
            segs.back() += static_cast<char>(data[i]);
        }
    }
    if (mode == 0 || segs.size() != 3) {
        return LLVMFuzzerMutate(data, size, max_size);
    }

    size_t which = rng() % (mode == 3 ? 2 : 3);  /* re-signing only makes sense for 0 and 1 */
    std::string plain = fuzz::b64url_decode_lenient(segs[which].data(), segs[which].size());
    size_t cap = max_size * 3 / 4 + 1;
    std::vector<uint8_t> buf(plain.begin(), plain.end());
    if (buf.empty()) {
        buf.push_back(static_cast<uint8_t>(rng()));
    }
    size_t len = buf.size();
    if (len < cap) {
        buf.resize(cap);
        len = LLVMFuzzerMutate(buf.data(), len, cap);
    }
    segs[which] = fuzz::b64url_encode(std::string(buf.begin(), buf.begin() + len));
    if (mode == 3) {
        segs[2] = resign(segs[0] + "." + segs[1],
                         fuzz::b64url_decode_lenient(segs[0].data(), segs[0].size()));
    }

    std::string out = segs[0] + "." + segs[1] + "." + segs[2];
    if (out.size() > max_size) {
        return LLVMFuzzerMutate(data, size, max_size);
    }
    std::memcpy(data, out.data(), out.size());
    return out.size();
}
