/*
 * fuzz_logout_token.cpp: libFuzzer target for back-channel logout tokens (ea_logout_token_verify),
 * the body a provider POSTs to the module, against a fixed key set (the Ed25519 and P-256 keys of
 * fuzz/keys/).
 *
 * Input: the first byte picks the mode.
 *   'C'  the rest is the token's claims JSON: the target signs it with the Ed25519 key under the
 *        header {"alg":"EdDSA","kid":"fuzz-ed","typ":"logout+jwt"}, so mutations reach every
 *        logout-specific check behind the signature.
 *   'H'  the rest is "<header JSON>\n<claims JSON>", both signed as they are with the Ed25519 key
 *        (whatever alg the header names), so the header rules (typ, alg, crit) are reached too.
 *   else the whole input is a compact JWS, verified as it is.
 * The check is issuer https://issuer.example, client id "client-1", leeway 30, the default max
 * age (120 s), now 1700000000.
 *
 * Checked besides crashes and sanitizer reports: statuses in range and never internal, a
 * NUL-terminated control-free detail; on failure every output empty; on EA_OK a jti, a sid or a
 * sub (each at most 1024 bytes without control bytes), iat within [now - 120, now + 30] and exp
 * either 0 or after now - 30.
 *
 * Seeds: fuzz/seeds/fuzz_logout_token/, written by fuzz/make-seeds-logout.
 */

#include "fuzz_common.h"

#include <openssl/evp.h>

#include <cstdint>
#include <string>

namespace {

/* The public halves of fuzz/keys/ed.jwk and fuzz/keys/ec.jwk (as in fuzz_oidc_token_response.cpp). */
const char FUZZ_JWKS[] =
    "{\"keys\":[{\"kid\":\"fuzz-ed\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"zGyU6Ysy-jnYkzJXVUvMPDaE29xDq3jHT9Ln_"
    "jnOvZI\"},{\"kid\":\"fuzz-ec\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"JkN8-qA3exrCnjV4uq1yjJQwqlVVDCX6Nufn7j5cYC0\","
    "\"y\":\"UphF8ycjWRsN0mVrCj7zbz7po9rWEDqZzyuIlkls8do\"}]}";
/* fuzz/keys/ed.jwk "d", for signing the claims of modes 'C' and 'H'. */
const char ED_PRIVATE_B64[] = "11XjiWhfrODbxiZAgDcs4DpyTiDDlV55-8o9jzNdyvE";
const char HEADER[] = "{\"alg\":\"EdDSA\",\"kid\":\"fuzz-ed\",\"typ\":\"logout+jwt\"}";

const char ISSUER[] = "https://issuer.example";
const char CLIENT_ID[] = "client-1";
const int64_t NOW = 1700000000;
const int64_t LEEWAY = 30;
const int64_t MAX_AGE = 120;

ea_keyset_t *g_keys;
EVP_PKEY *g_ed_key;

void check_value(const char *what, const ea_str_t &v, const char *token, size_t len)
{
    if (v.data == nullptr) {
        fuzz::violation("a NULL string from ea_logout_token_verify", token, len);
    }
    if (v.len > 1024) {
        fuzz::violation(what, v.data, v.len);
    }
    fuzz::check_no_controls(what, v.data, v.len);
}

void verify(const char *token, size_t len)
{
    ea_logout_token_check_t check;
    check.issuer = {ISSUER, sizeof(ISSUER) - 1};
    check.client_id = {CLIENT_ID, sizeof(CLIENT_ID) - 1};
    check.algorithms = 0;
    check.leeway = LEEWAY;
    check.max_age = 0;
    const size_t detail_len = 96;
    std::unique_ptr<char[]> detail(new char[detail_len]);
    std::memset(detail.get(), 'X', detail_len);
    fuzz::Arena arena;
    ea_logout_claims_t out;
    std::memset(&out, 0xa5, sizeof(out));
    ea_status_t rc = ea_logout_token_verify(&check, g_keys, token, len, NOW, fuzz::Arena::alloc, &arena, &out,
                                            detail.get(), detail_len);
    fuzz::check_status(rc);
    fuzz::check_message("ea_logout_token_verify detail", detail.get(), detail_len);
    if (rc == EA_ERR_INTERNAL) {
        fuzz::violation("internal error verifying a logout token", detail.get(), std::strlen(detail.get()));
    }
    check_value("sid", out.sid, token, len);
    check_value("sub", out.sub, token, len);
    check_value("jti", out.jti, token, len);
    if (rc != EA_OK) {
        if (out.sid.len || out.sub.len || out.jti.len || out.iat || out.exp) {
            fuzz::violation("ea_logout_token_verify failed but left claims set", token, len);
        }
        return;
    }
    if (out.jti.len == 0) {
        fuzz::violation("accepted a logout token without jti", token, len);
    }
    if (out.sid.len == 0 && out.sub.len == 0) {
        fuzz::violation("accepted a logout token without sid or sub", token, len);
    }
    if (out.iat < NOW - MAX_AGE || out.iat > NOW + LEEWAY) {
        fuzz::violation("accepted a logout token issued outside the window", token, len);
    }
    if (out.exp != 0 && out.exp <= NOW - LEEWAY) {
        fuzz::violation("accepted an expired logout token", token, len);
    }
}

std::string sign(const std::string &header, const char *claims, size_t len)
{
    std::string input = fuzz::b64url_encode(header) + "." + fuzz::b64url_encode(std::string(claims, len));
    unsigned char sig[64];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md != nullptr && EVP_DigestSignInit(md, nullptr, nullptr, nullptr, g_ed_key) == 1
        && EVP_DigestSign(md, sig, &sig_len, reinterpret_cast<const unsigned char *>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        std::abort();
    }
    return input + "." + fuzz::b64url_encode(std::string(reinterpret_cast<char *>(sig), sig_len));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    char err[256] = "";
    g_keys = ea_keyset_new();
    if (g_keys == nullptr
        || ea_keyset_add_jwks(g_keys, FUZZ_JWKS, sizeof(FUZZ_JWKS) - 1, nullptr, nullptr, err, sizeof(err)) != 0
        || ea_keyset_size(g_keys) != 2) {
        std::fprintf(stderr, "fuzz_logout_token: the fixed key set does not load (%s)\n", err);
        std::abort();
    }
    std::string ed = fuzz::b64url_decode_lenient(ED_PRIVATE_B64, sizeof(ED_PRIVATE_B64) - 1);
    g_ed_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char *>(ed.data()), ed.size());
    if (g_ed_key == nullptr) {
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const char *rest = reinterpret_cast<const char *>(data) + 1;
    size_t len = size - 1;
    if (data[0] == 'C') {
        std::string token = sign(HEADER, rest, len);
        verify(token.data(), token.size());
    } else if (data[0] == 'H') {
        const char *nl = static_cast<const char *>(std::memchr(rest, '\n', len));
        if (nl == nullptr) {
            return 0;
        }
        std::string header(rest, static_cast<size_t>(nl - rest));
        std::string token = sign(header, nl + 1, len - header.size() - 1);
        verify(token.data(), token.size());
    } else {
        verify(reinterpret_cast<const char *>(data), size);
    }
    return 0;
}
