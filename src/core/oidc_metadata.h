// oidc_metadata.h: an OpenID provider's discovery document (OpenID Connect Discovery 1.0 §3), and
// the check every URL taken from it (or configured as an issuer) must pass.
//
// Usage (configuration time, or after fetching /.well-known/openid-configuration):
//
//     OidcMetadata md;
//     std::string err;
//     if (!parse_oidc_metadata(body, "https://idp.example", /*allow_http=*/false, md, err))
//         fail("discovery: " + err);                   // one line, safe to log
//     redirect_to(md.authorization_endpoint ...);
//
//     if (!oidc_url_ok(configured_issuer, false)) fail("the issuer is not an https URL");
//
// Rules of parse_oidc_metadata, in order: at most 64 KiB, a JSON object without duplicate members
// (json.h), `issuer` a string byte-for-byte equal to the expected issuer (no normalization: a
// trailing slash is a different issuer) and without a query; authorization_endpoint,
// token_endpoint and jwks_uri present; they, userinfo_endpoint and end_session_endpoint (both
// optional) strings that pass oidc_url_ok; token_endpoint_auth_methods_supported, when present,
// an array of strings (client_secret_basic and client_secret_post are recorded, others ignored;
// absent means client_secret_basic, the spec's default); authorization_response_iss_parameter_
// supported, when present, a boolean. Members this code does not read are not looked at.

#ifndef EDGE_AUTH_CORE_OIDC_METADATA_H
#define EDGE_AUTH_CORE_OIDC_METADATA_H

#include <cstddef>
#include <string>
#include <string_view>

namespace edge_auth {

constexpr size_t kMaxMetadataBytes = 65536;
constexpr size_t kMaxUrlBytes = 4096;

constexpr unsigned kAuthBasic = 1u << 0;   // client_secret_basic (EA_OIDC_AUTH_BASIC)
constexpr unsigned kAuthPost = 1u << 1;    // client_secret_post (EA_OIDC_AUTH_POST)

struct OidcMetadata {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    std::string userinfo_endpoint;        // "" when absent
    std::string end_session_endpoint;     // "" when absent
    unsigned token_auth_methods = kAuthBasic;
    bool iss_parameter_supported = false;
};

// An absolute URL fit for an endpoint or an issuer:
//   - at most kMaxUrlBytes, every byte visible ASCII and a character RFC 3986 allows in a URI
//     (so no whitespace, control bytes, non-ASCII, '"', '<', '>', '\\', '^', '`', '{', '|', '}'),
//     and every '%' followed by two hex digits;
//   - the scheme is exactly "https" (or "http" with allow_http), lower case, followed by "//";
//   - an authority that is a host (a name or IPv4 address of [A-Za-z0-9._-], not starting with
//     '.' or '-', without "..", or a bracketed IPv6 literal) with an optional port of 1 to 5
//     digits (1-65535); no userinfo ('@');
//   - no fragment ('#').
bool oidc_url_ok(std::string_view url, bool allow_http) noexcept;

// False with `err` set (one line; document contents in it are escaped and cut short). `out` is
// only meaningful on success. Throws only std::bad_alloc.
bool parse_oidc_metadata(std::string_view json, std::string_view expected_issuer, bool allow_http,
    OidcMetadata &out, std::string &err);

} // namespace edge_auth

#endif
