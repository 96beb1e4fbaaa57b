/*
 * fuzz_oidc_refresh.cpp: libFuzzer target for the untrusted inputs of a token refresh: the token
 * endpoint's refresh response (ea_oidc_refresh_response_parse), the ID token in it
 * (ea_oidc_refresh_id_token_verify), and the session built from them (ea_session_refreshed),
 * against a fixed key set (the Ed25519 and P-256 keys of fuzz/keys/) and a fixed session.
 *
 * Input: the first byte picks the mode.
 *   'C'  the rest is the ID token's claims JSON: the target signs it with the Ed25519 key
 *        (kid "fuzz-ed"), wraps it in a 200 response and runs every function, so mutations
 *        reach every ID token check behind the signature and the session's claim rules.
 *   'J'  the rest is a compact JWS, verified as a refreshed ID token as it is.
 *   'Q'  the rest is a refresh token for ea_oidc_refresh_request (client_secret_post).
 *   else the byte picks an HTTP status (STATUSES[byte % n]) and the rest is the response body;
 *        an id_token it yields is verified, and a parsed response refreshes the session.
 * The check is issuer https://issuer.example, client id "client-1", expected sub "alice",
 * leeway 30, now 1700000000. The session: sub "alice" at that issuer, logged in at now - 100,
 * tokens "at-old", "rt-old", "idt-old", claims {"email": ..., "sid": "op-sid-1"}; the claim names
 * are email, groups and sid.
 *
 * Checked besides crashes and sanitizer reports: statuses in range, *out NULL unless EA_OK,
 * NUL-terminated control-free messages; a parsed response has an access token, visible-ASCII
 * tokens (id_token and refresh_token possibly empty), a Bearer token_type and expires_in >= 0,
 * and an error code only for a 4xx, visible ASCII, at most 64 bytes; an accepted ID token has the
 * issuer, the session's sub, aud, iat and an unexpired exp; a refreshed session keeps the id,
 * sub, iss, issue time and expiry, takes last seen = now and the response's tokens (keeping the
 * refresh and ID tokens it lacks), keeps sid "op-sid-1", and leaves the original unchanged; a
 * refresh request body decodes back to the refresh token it was given.
 *
 * Seeds: fuzz/seeds/fuzz_oidc_refresh/, written by fuzz/make-seeds-refresh.
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
const char SUB[] = "alice";
const char SID[] = "q83vEjRWeJCrze8SNFZ4kA";
const int64_t NOW = 1700000000;
const int64_t LEEWAY = 30;
const int64_t MAX_TIME = 253402300799;
const size_t MAX_TOKEN = 16384;
const unsigned STATUSES[] = {200, 200, 200, 400, 401, 403, 429, 499, 500, 503, 302, 201, 100, 0};

ea_keyset_t *g_keys;
EVP_PKEY *g_ed_key;
ea_sealer_t *g_sealer;
ea_session_t *g_session;
std::string g_session_json;

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

std::string session_claim(const ea_session_t *s, const char *name, int *found)
{
    fuzz::Arena arena;
    ea_str_t path[] = {{name, std::strlen(name)}};
    ea_str_t out = {nullptr, 0};
    int rc = ea_session_claim(s, path, 1, fuzz::Arena::alloc, &arena, &out);
    if (rc != 0 && rc != 1) {
        fuzz::violation("ea_session_claim failed", name, std::strlen(name));
    }
    *found = rc;
    return rc == 1 ? text(out) : std::string();
}

std::string field(const ea_session_t *s, ea_session_field_t f)
{
    ea_str_t v = {nullptr, 0};
    return ea_session_get(s, f, &v) == 1 ? text(v) : std::string();
}

std::string session_json(const ea_session_t *s)
{
    fuzz::Arena arena;
    ea_str_t out = {nullptr, 0};
    if (ea_session_json(s, fuzz::Arena::alloc, &arena, &out) != 1) {
        fuzz::violation("ea_session_json failed", "", 0);
    }
    fuzz::check_no_controls("ea_session_json", out.data, out.len);
    return text(out);
}

/* Verifies a refreshed ID token; returns the token (the caller frees it) or NULL. */
ea_token_t *verify(const char *token, size_t len)
{
    ea_oidc_id_token_check_t check;
    check.issuer = {ISSUER, sizeof(ISSUER) - 1};
    check.client_id = {CLIENT_ID, sizeof(CLIENT_ID) - 1};
    check.nonce = {nullptr, 99};   /* ignored: never read */
    check.algorithms = 0;
    check.leeway = LEEWAY;
    ea_str_t sub = {SUB, sizeof(SUB) - 1};
    const size_t detail_len = 96;
    std::unique_ptr<char[]> detail(new char[detail_len]);
    std::memset(detail.get(), 'X', detail_len);
    static int placeholder;
    ea_token_t *tok = reinterpret_cast<ea_token_t *>(&placeholder);
    ea_status_t rc = ea_oidc_refresh_id_token_verify(&check, &sub, g_keys, token, len, NOW, &tok, detail.get(),
                                                     detail_len);
    fuzz::check_status(rc);
    fuzz::check_message("ea_oidc_refresh_id_token_verify detail", detail.get(), detail_len);
    if (rc == EA_ERR_INTERNAL) {
        fuzz::violation("internal error verifying a refreshed ID token", detail.get(), std::strlen(detail.get()));
    }
    if (rc != EA_OK) {
        if (tok != nullptr) {
            fuzz::violation("ea_oidc_refresh_id_token_verify failed but left *out set", token, len);
        }
        return nullptr;
    }
    if (tok == nullptr || tok == reinterpret_cast<ea_token_t *>(&placeholder)) {
        fuzz::violation("EA_OK without a token", token, len);
    }
    int found = 0;
    if (claim(tok, "iss", &found) != ISSUER || !found) {
        fuzz::violation("accepted another issuer", token, len);
    }
    if (claim(tok, "sub", &found) != SUB || !found) {
        fuzz::violation("accepted another subject", token, len);
    }
    std::string azp = claim(tok, "azp", &found);
    if (found && azp != CLIENT_ID) {
        fuzz::violation("accepted another azp", token, len);
    }
    claim(tok, "aud", &found);
    if (!found) {
        fuzz::violation("accepted an ID token without aud", token, len);
    }
    if (claim(tok, "iat", &found).empty() || !found) {
        fuzz::violation("accepted an ID token without iat", token, len);
    }
    if (ea_token_expires(tok) <= NOW - LEEWAY) {
        fuzz::violation("accepted an expired ID token", token, len);
    }
    return tok;
}

/* Refreshes the fixed session with a parsed response (and the verified ID token's claims). */
void refresh(const ea_oidc_tokens_t &tokens, const ea_token_t *claims, const char *input, size_t len)
{
    static const ea_str_t names[] = {{"email", 5}, {"groups", 6}, {"sid", 3}};
    const size_t err_len = 96;
    std::unique_ptr<char[]> err(new char[err_len]);
    std::memset(err.get(), 'X', err_len);
    ea_session_t *s = ea_session_refreshed(g_sealer, g_session, &tokens, claims, names, 3, NOW, err.get(), err_len);
    fuzz::check_message("ea_session_refreshed error", err.get(), err_len);
    if (session_json(g_session) != g_session_json) {
        fuzz::violation("ea_session_refreshed changed the original session", input, len);
    }
    int sid_found = 0;
    std::string sid = claims ? claim(claims, "sid", &sid_found) : std::string();
    bool fits = tokens.access_token.len <= MAX_TOKEN && tokens.refresh_token.len <= MAX_TOKEN
        && tokens.id_token.len <= MAX_TOKEN && tokens.expires_in <= MAX_TIME - NOW;
    if (s == nullptr) {
        /* A usable response refused: only another provider session (sid) may do that. */
        if (fits && tokens.access_token.len && !sid_found) {
            fuzz::violation("ea_session_refreshed refused a usable response", err.get(), std::strlen(err.get()));
        }
        return;
    }
    if (field(s, EA_SESSION_ID) != SID || field(s, EA_SESSION_SUB) != SUB || field(s, EA_SESSION_ISS) != ISSUER) {
        fuzz::violation("a refreshed session changed its id, sub or iss", input, len);
    }
    ea_session_times_t before, after;
    ea_session_times(g_session, &before);
    ea_session_times(s, &after);
    if (after.issued_at != before.issued_at || after.expires != before.expires || after.last_seen != NOW
        || after.access_token_expires != (tokens.expires_in ? NOW + tokens.expires_in : 0)) {
        fuzz::violation("a refreshed session has the wrong times", input, len);
    }
    if (field(s, EA_SESSION_ACCESS_TOKEN) != text(tokens.access_token)
        || field(s, EA_SESSION_REFRESH_TOKEN) != (tokens.refresh_token.len ? text(tokens.refresh_token) : "rt-old")
        || field(s, EA_SESSION_ID_TOKEN) != (tokens.id_token.len ? text(tokens.id_token) : "idt-old")) {
        fuzz::violation("a refreshed session has the wrong tokens", input, len);
    }
    int found = 0;
    if (session_claim(s, "sid", &found) != "op-sid-1" || !found) {
        fuzz::violation("a refreshed session lost or changed its sid", input, len);
    }
    if (claims == nullptr && session_claim(s, "email", &found) != "old@example.com") {
        fuzz::violation("a refreshed session without new claims lost its claims", input, len);
    }
    session_json(s);
    ea_session_refresh_due(s, NOW, 60);
    ea_session_free(s);
}

void parse_response(unsigned status, const char *body, size_t len)
{
    fuzz::Arena arena;
    ea_oidc_tokens_t out;
    std::memset(&out, 0xa5, sizeof(out));
    const size_t err_len = 96;
    std::unique_ptr<char[]> err(new char[err_len]);
    std::memset(err.get(), 'X', err_len);
    int rc = ea_oidc_refresh_response_parse(status, body, len, fuzz::Arena::alloc, &arena, &out, err.get(), err_len);
    fuzz::check_message("ea_oidc_refresh_response_parse error", err.get(), err_len);
    const ea_str_t *all[] = {&out.id_token, &out.access_token, &out.refresh_token, &out.token_type, &out.error};
    for (const ea_str_t *s : all) {
        if (s->data == nullptr) {
            fuzz::violation("NULL string from ea_oidc_refresh_response_parse", body, len);
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
    if (!out.access_token.len || !visible(out.id_token) || !visible(out.access_token) || !visible(out.refresh_token)
        || out.expires_in < 0 || out.error.len) {
        fuzz::violation("a parsed response breaks the token rules", body, len);
    }
    std::string type = text(out.token_type);
    for (char &c : type) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (type != "bearer") {
        fuzz::violation("token_type is not Bearer", out.token_type.data, out.token_type.len);
    }
    ea_token_t *claims = out.id_token.len ? verify(out.id_token.data, out.id_token.len) : nullptr;
    if (out.id_token.len == 0 || claims != nullptr) {
        refresh(out, claims, body, len);
    }
    ea_token_free(claims);
}

int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void request(const char *token, size_t len)
{
    fuzz::Arena arena;
    ea_oidc_client_t client;
    client.client_id = {CLIENT_ID, sizeof(CLIENT_ID) - 1};
    client.client_secret = {"s3cret", 6};
    client.auth_method = EA_OIDC_AUTH_POST;
    client.redirect_uri = {nullptr, 0};
    ea_str_t rt = {token, len};
    ea_str_t body, auth;
    int rc = ea_oidc_refresh_request(&client, &rt, fuzz::Arena::alloc, &arena, &body, &auth);
    if (rc == -1) {
        if (body.len || auth.len) {
            fuzz::violation("a refresh request left output on failure", token, len);
        }
        ea_str_t v = rt;
        if (len > 0 && len <= MAX_TOKEN && visible(v)) {
            fuzz::violation("refused a refresh token a session can hold", token, len);
        }
        return;
    }
    const std::string prefix = "grant_type=refresh_token&refresh_token=";
    const std::string suffix = "&client_id=client-1&client_secret=s3cret";
    std::string b = text(body);
    if (rc != 0 || auth.len || b.size() < prefix.size() + suffix.size() || b.compare(0, prefix.size(), prefix) != 0
        || b.compare(b.size() - suffix.size(), suffix.size(), suffix) != 0) {
        fuzz::violation("a refresh request of the wrong shape", b.data(), b.size());
    }
    /* The value decodes back to the token, and is made of unreserved characters and %XX only. */
    std::string value = b.substr(prefix.size(), b.size() - prefix.size() - suffix.size());
    std::string decoded;
    for (size_t i = 0; i < value.size(); i++) {
        char c = value[i];
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            decoded.push_back(c);
        } else if (c == '%' && i + 2 < value.size() && hex_value(value[i + 1]) >= 0
                   && hex_value(value[i + 2]) >= 0) {
            decoded.push_back(static_cast<char>(hex_value(value[i + 1]) * 16 + hex_value(value[i + 2])));
            i += 2;
        } else {
            fuzz::violation("a refresh token not form-encoded", value.data(), value.size());
        }
    }
    if (decoded != std::string(token, len)) {
        fuzz::violation("a refresh request does not carry its token", token, len);
    }
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
        std::fprintf(stderr, "fuzz_oidc_refresh: the fixed key set does not load (%s)\n", err);
        std::abort();
    }
    std::string ed = fuzz::b64url_decode_lenient(ED_PRIVATE_B64, sizeof(ED_PRIVATE_B64) - 1);
    g_ed_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char *>(ed.data()), ed.size());
    ea_session_conf_t conf;
    ea_session_conf_init(&conf);
    conf.provider = {"fuzz", 4};
    conf.cookie_name = {"__Host-s", 8};
    g_sealer = ea_sealer_create(&conf, err, sizeof(err));
    const std::string doc = std::string("{\"sid\":\"") + SID + "\",\"sub\":\"" + SUB + "\",\"iss\":\"" + ISSUER
        + "\",\"iat\":" + std::to_string(NOW - 100) + ",\"seen\":" + std::to_string(NOW - 100)
        + ",\"at\":\"at-old\",\"at_exp\":" + std::to_string(NOW + 60)
        + ",\"rt\":\"rt-old\",\"idt\":\"idt-old\",\"claims\":{\"email\":\"old@example.com\",\"sid\":\"op-sid-1\"}}";
    g_session = g_sealer ? ea_session_from_json(g_sealer, doc.data(), doc.size(), NOW, err, sizeof(err)) : nullptr;
    if (g_ed_key == nullptr || g_sealer == nullptr || g_session == nullptr) {
        std::fprintf(stderr, "fuzz_oidc_refresh: the fixed session does not load (%s)\n", err);
        std::abort();
    }
    g_session_json = session_json(g_session);
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
        ea_token_free(verify(token.data(), token.size()));
        std::string body = "{\"access_token\":\"at-new\",\"token_type\":\"Bearer\",\"expires_in\":300,\"id_token\":\""
            + token + "\"}";
        parse_response(200, body.data(), body.size());
    } else if (data[0] == 'J') {
        ea_token_free(verify(rest, len));
    } else if (data[0] == 'Q') {
        request(rest, len);
    } else {
        parse_response(STATUSES[data[0] % (sizeof(STATUSES) / sizeof(STATUSES[0]))], rest, len);
    }
    return 0;
}
