/*
 * fuzz_oidc_metadata.cpp: libFuzzer target for ea_oidc_metadata_parse (a discovery document
 * served by whoever answers the issuer's /.well-known/openid-configuration) and ea_oidc_url_ok.
 *
 * Every input is parsed as a discovery document for the issuer https://issuer.example, with and
 * without allow_http, and checked as a URL. Besides crashes and sanitizer reports the target
 * checks the contract: 0 or -1; on failure a NUL-terminated, control-free message and an empty
 * output; on success the configured issuer byte for byte, every endpoint passing
 * ea_oidc_url_ok (https unless allow_http), only the two known auth-method bits, and a URL that
 * passes ea_oidc_url_ok has the shape the header promises.
 *
 * Seeds: fuzz/seeds/fuzz_oidc_metadata/, written by fuzz/make-seeds-oidc.
 */

#include "fuzz_common.h"

#include <cstdint>
#include <string>

namespace {

const char ISSUER[] = "https://issuer.example";

void check_url_shape(const char *data, size_t size, bool allow_http)
{
    std::string u(data, size);
    ea_str_t v = {data, size};
    if (ea_oidc_url_ok(&v, allow_http ? 1 : 0) != 1) {
        return;
    }
    fuzz::check_no_controls("accepted URL", data, size);
    bool https = u.rfind("https://", 0) == 0;
    bool http = u.rfind("http://", 0) == 0;
    if (!https && !(allow_http && http)) {
        fuzz::violation("accepted URL with another scheme", data, size);
    }
    std::string rest = u.substr(https ? 8 : 7);
    std::string authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string::npos) {
        fuzz::violation("accepted URL without a host or with userinfo", data, size);
    }
    for (unsigned char c : u) {
        if (c == '#' || c == ' ' || c >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>') {
            fuzz::violation("accepted URL with a fragment or a byte outside URI characters", data, size);
        }
    }
    if (ea_oidc_url_ok(&v, allow_http ? 1 : 0) != 1) {
        fuzz::violation("ea_oidc_url_ok is not deterministic", data, size);
    }
}

void check_endpoint(const char *what, const ea_str_t &s, bool required, int allow_http)
{
    if (s.data == nullptr) {
        fuzz::violation("NULL string in the metadata", what, std::strlen(what));
    }
    if (s.len == 0) {
        if (required) {
            fuzz::violation("required endpoint empty", what, std::strlen(what));
        }
        return;
    }
    if (ea_oidc_url_ok(&s, allow_http) != 1) {
        fuzz::violation("metadata endpoint fails ea_oidc_url_ok", s.data, s.len);
    }
    if (!allow_http && std::strncmp(s.data, "https://", 8) != 0) {
        fuzz::violation("plain http endpoint without allow_http", s.data, s.len);
    }
}

void parse(const char *data, size_t size, int allow_http)
{
    fuzz::Arena arena;
    ea_oidc_metadata_t md;
    std::memset(&md, 0xa5, sizeof(md));
    const size_t err_len = 80;
    std::unique_ptr<char[]> err(new char[err_len]);
    std::memset(err.get(), 'X', err_len);
    ea_str_t issuer = {ISSUER, sizeof(ISSUER) - 1};
    int rc = ea_oidc_metadata_parse(data, size, &issuer, allow_http, fuzz::Arena::alloc, &arena, &md, err.get(),
                                    err_len);
    fuzz::check_message("ea_oidc_metadata_parse error", err.get(), err_len);
    if (rc != 0 && rc != -1) {
        fuzz::violation("ea_oidc_metadata_parse returned neither 0 nor -1", data, size);
    }
    if (rc == -1) {
        if (err[0] == '\0') {
            fuzz::violation("failure without a message", data, size);
        }
        if (md.issuer.len || md.authorization_endpoint.len || md.token_endpoint.len || md.jwks_uri.len
            || md.userinfo_endpoint.len || md.end_session_endpoint.len || md.token_auth_methods
            || md.iss_parameter_supported) {
            fuzz::violation("output left set on failure", data, size);
        }
        return;
    }
    if (std::string(md.issuer.data, md.issuer.len) != ISSUER) {
        fuzz::violation("accepted another issuer", md.issuer.data, md.issuer.len);
    }
    check_endpoint("authorization_endpoint", md.authorization_endpoint, true, allow_http);
    check_endpoint("token_endpoint", md.token_endpoint, true, allow_http);
    check_endpoint("jwks_uri", md.jwks_uri, true, allow_http);
    check_endpoint("userinfo_endpoint", md.userinfo_endpoint, false, allow_http);
    check_endpoint("end_session_endpoint", md.end_session_endpoint, false, allow_http);
    if (md.token_auth_methods & ~(unsigned) (EA_OIDC_AUTH_BASIC | EA_OIDC_AUTH_POST)) {
        fuzz::violation("unknown auth method bits", data, size);
    }
    if (md.iss_parameter_supported != 0 && md.iss_parameter_supported != 1) {
        fuzz::violation("iss_parameter_supported is not 0 or 1", data, size);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = reinterpret_cast<const char *>(data);
    parse(text, size, 0);
    parse(text, size, 1);
    check_url_shape(text, size, false);
    check_url_shape(text, size, true);
    return 0;
}
