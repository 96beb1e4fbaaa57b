/*
 * fuzz_oidc_token_response.cpp: libFuzzer target for the code exchange's untrusted inputs: the
 * token endpoint's response (ea_oidc_token_response_parse) and the ID token in it
 * (ea_oidc_id_token_verify), against a fixed key set (the Ed25519 and P-256 keys of fuzz/keys/).
 *
 * Input: the first byte picks the mode.
 *   'C'  the rest is the ID token's claims JSON: the target signs it with the Ed25519 key
 *        (kid "fuzz-ed"), wraps it in a 200 response and runs both functions, so mutations
 *        reach every ID token check behind the signature.
 *   'J'  the rest is a compact JWS, verified as an ID token as it is.
 *   else the byte picks an HTTP status (STATUSES[byte % n]) and the rest is the response body;
 *        an id_token it yields is verified too.
 * The check is issuer https://issuer.example, client id "client-1", nonce "nonce-1", leeway 30,
 * now 1700000000.
 *
 * Checked besides crashes and sanitizer reports: statuses in range, *out NULL unless EA_OK,
 * NUL-terminated control-free messages; a parsed response has visible-ASCII tokens, a Bearer
 * token_type and expires_in >= 0, and an error code only for a 4xx, visible ASCII, at most 64
 * bytes; an accepted ID token is re-checked claim by claim through ea_token_value.
 *
 * Seeds: fuzz/seeds/fuzz_oidc_token_response/, written by fuzz/make-seeds-oidc.
 */

#include "fuzz_common.h"

#include <openssl/evp.h>

#include <cstdint>
#include <string>

namespace {

/* The public halves of fuzz/keys/ed.jwk and fuzz/keys/ec.jwk. */
const char FUZZ_JWKS[] =
    "{\"keys\":[{\"kid\":\"fuzz-ed\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"zGyU6Ysy-jnYkzJXVUvMPDaE29xDq3jHT9Ln_"
    "jnOvZI\"},{\"kid\":\"fuzz-ec\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"JkN8-qA3exrCnjV4uq1yjJQwqlVVDCX6Nufn7j5cYC0\","
    "\"y\":\"UphF8ycjWRsN0mVrCj7zbz7po9rWEDqZzyuIlkls8do\"}]}";
/* fuzz/keys/ed.jwk "d", for signing the claims of mode 'C'. */
const char ED_PRIVATE_B64[] = "11XjiWhfrODbxiZAgDcs4DpyTiDDlV55-8o9jzNdyvE";

const char ISSUER[] = "https://issuer.example";
const char CLIENT_ID[] = "client-1";
const char NONCE[] = "nonce-1";
const int64_t NOW = 1700000000;
const int64_t LEEWAY = 30;
const unsigned STATUSES[] = {200, 200, 200, 400, 401, 403, 429, 499, 500, 503, 302, 201, 100, 0};

ea_keyset_t *g_keys;
EVP_PKEY *g_ed_key;

std::string text(const ea_str_t &s)
{
    return std::string(s.data, s.len);
}

bool visible(const ea_str_t &s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = static_cast<unsigned char>(s.data[i]);
        if (c < 0x21 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

std::string claim(const ea_token_t *tok, const char *name, int *found)
{
    fuzz::Arena arena;
    ea_str_t path[] = {{name, std::strlen(name)}};
    ea_str_t out = {nullptr, 0};
    int rc = ea_token_value(tok, EA_PART_CLAIMS, path, 1, fuzz::Arena::alloc, &arena, &out);
    if (rc != 0 && rc != 1) {
        fuzz::violation("ea_token_value failed", name, std::strlen(name));
    }
    *found = rc;
    return rc == 1 ? text(out) : std::string();
}

void verify(const char *token, size_t len)
{
    ea_oidc_id_token_check_t check;
    check.issuer = {ISSUER, sizeof(ISSUER) - 1};
    check.client_id = {CLIENT_ID, sizeof(CLIENT_ID) - 1};
    check.nonce = {NONCE, sizeof(NONCE) - 1};
    check.algorithms = 0;
    check.leeway = LEEWAY;
    const size_t detail_len = 96;
    std::unique_ptr<char[]> detail(new char[detail_len]);
    std::memset(detail.get(), 'X', detail_len);
    static int placeholder;
    ea_token_t *tok = reinterpret_cast<ea_token_t *>(&placeholder);
    ea_status_t rc = ea_oidc_id_token_verify(&check, g_keys, token, len, NOW, &tok, detail.get(), detail_len);
    fuzz::check_status(rc);
    fuzz::check_message("ea_oidc_id_token_verify detail", detail.get(), detail_len);
    if (rc == EA_ERR_INTERNAL) {
        fuzz::violation("internal error verifying an ID token", detail.get(), std::strlen(detail.get()));
    }
    if (rc != EA_OK) {
        if (tok != nullptr) {
            fuzz::violation("ea_oidc_id_token_verify failed but left *out set", token, len);
        }
        return;
    }
    if (tok == nullptr || tok == reinterpret_cast<ea_token_t *>(&placeholder)) {
        fuzz::violation("EA_OK without a token", token, len);
    }
    int found = 0;
    if (claim(tok, "iss", &found) != ISSUER || !found) {
        fuzz::violation("accepted another issuer", token, len);
    }
    if (claim(tok, "nonce", &found) != NONCE || !found) {
        fuzz::violation("accepted another nonce", token, len);
    }
    if (claim(tok, "sub", &found).empty() || !found) {
        fuzz::violation("accepted an ID token without a subject", token, len);
    }
    std::string azp = claim(tok, "azp", &found);
    if (found && azp != CLIENT_ID) {
        fuzz::violation("accepted another azp", token, len);
    }
    std::string aud = claim(tok, "aud", &found);
    if (!found) {
        fuzz::violation("accepted an ID token without aud", token, len);
    }
    if (claim(tok, "iat", &found).empty() || !found) {
        fuzz::violation("accepted an ID token without iat", token, len);
    }
    if (ea_token_expires(tok) <= NOW - LEEWAY) {
        fuzz::violation("accepted an expired ID token", token, len);
    }
    ea_token_free(tok);
}

void parse_response(unsigned status, const char *body, size_t len)
{
    fuzz::Arena arena;
    ea_oidc_tokens_t out;
    std::memset(&out, 0xa5, sizeof(out));
    const size_t err_len = 96;
    std::unique_ptr<char[]> err(new char[err_len]);
    std::memset(err.get(), 'X', err_len);
    int rc = ea_oidc_token_response_parse(status, body, len, fuzz::Arena::alloc, &arena, &out, err.get(), err_len);
    fuzz::check_message("ea_oidc_token_response_parse error", err.get(), err_len);
    const ea_str_t *all[] = {&out.id_token, &out.access_token, &out.refresh_token, &out.token_type, &out.error};
    for (const ea_str_t *s : all) {
        if (s->data == nullptr) {
            fuzz::violation("NULL string from ea_oidc_token_response_parse", body, len);
        }
    }
    if (rc == -1) {
        if (out.id_token.len || out.access_token.len || out.refresh_token.len || out.token_type.len
            || out.expires_in) {
            fuzz::violation("tokens left set on failure", body, len);
        }
        if (out.error.len && (status < 400 || status > 499)) {
            fuzz::violation("an error code outside a 4xx", body, len);
        }
        if (out.error.len > 64 || !visible(out.error)) {
            fuzz::violation("an error code that is not short visible ASCII", out.error.data, out.error.len);
        }
        return;
    }
    if (rc != 0 || status != 200) {
        fuzz::violation("accepted a response that is not a 200", body, len);
    }
    if (!out.id_token.len || !out.access_token.len || !visible(out.id_token) || !visible(out.access_token)
        || !visible(out.refresh_token) || out.expires_in < 0 || out.error.len) {
        fuzz::violation("a parsed response breaks the token rules", body, len);
    }
    std::string type = text(out.token_type);
    for (char &c : type) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (type != "bearer") {
        fuzz::violation("token_type is not Bearer", out.token_type.data, out.token_type.len);
    }
    verify(out.id_token.data, out.id_token.len);
}

std::string sign_claims(const char *claims, size_t len)
{
    std::string input = fuzz::b64url_encode("{\"alg\":\"EdDSA\",\"kid\":\"fuzz-ed\"}") + "."
        + fuzz::b64url_encode(std::string(claims, len));
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
        std::fprintf(stderr, "fuzz_oidc_token_response: the fixed key set does not load (%s)\n", err);
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
        std::string token = sign_claims(rest, len);
        verify(token.data(), token.size());
        std::string body = "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"id_token\":\"" + token + "\"}";
        parse_response(200, body.data(), body.size());
    } else if (data[0] == 'J') {
        verify(rest, len);
    } else {
        parse_response(STATUSES[data[0] % (sizeof(STATUSES) / sizeof(STATUSES[0]))], rest, len);
    }
    return 0;
}
