#include "oidc_metadata.h"

#include <cstring>

#include "json.h"
#include "status.h"

namespace edge_auth {

namespace {

constexpr unsigned kMaxMetadataDepth = 16;

bool is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 unreserved, sub-delims and the gen-delims that may appear after the authority
// (':', '/', '?', '@'); '%' is checked separately. '[' and ']' belong to an IPv6 host only, and
// '#' starts a fragment, which no endpoint may have.
bool is_path_char(unsigned char c)
{
    if (is_alpha(c) || is_digit(c)) {
        return true;
    }
    return c != 0 && std::strchr("-._~!$&'()*+,;=:/?@", c) != nullptr;
}

bool host_ok(std::string_view host)
{
    if (host.empty() || host.front() == '.' || host.front() == '-') {
        return false;
    }
    for (char ch : host) {
        auto c = static_cast<unsigned char>(ch);
        // '_' is not DNS hostname syntax, but RFC 3986 allows it and internal names use it.
        if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' && c != '_') {
            return false;
        }
    }
    return host.find("..") == std::string_view::npos;
}

bool ipv6_ok(std::string_view inside)
{
    if (inside.size() < 2) {
        return false;
    }
    for (char ch : inside) {
        auto c = static_cast<unsigned char>(ch);
        if (!is_hex(c) && c != ':' && c != '.') {
            return false;
        }
    }
    return inside.find(':') != std::string_view::npos;
}

bool port_ok(std::string_view port)
{
    if (port.empty() || port.size() > 5) {
        return false;
    }
    unsigned v = 0;
    for (char ch : port) {
        auto c = static_cast<unsigned char>(ch);
        if (!is_digit(c)) {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    return v >= 1 && v <= 65535;
}

bool authority_ok(std::string_view a)
{
    if (a.empty() || a.find('@') != std::string_view::npos) {
        return false;
    }
    if (a.front() == '[') {
        size_t close = a.find(']');
        if (close == std::string_view::npos || !ipv6_ok(a.substr(1, close - 1))) {
            return false;
        }
        std::string_view rest = a.substr(close + 1);
        return rest.empty() || (rest.front() == ':' && port_ok(rest.substr(1)));
    }
    size_t colon = a.find(':');
    if (colon == std::string_view::npos) {
        return host_ok(a);
    }
    return host_ok(a.substr(0, colon)) && port_ok(a.substr(colon + 1));
}

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string quoted(std::string_view untrusted)
{
    std::string out;
    append_quoted(out, untrusted, 96);
    return out;
}

// A URL member: required or optional; false with `err` set when it is absent (required), not a
// string, or not a URL oidc_url_ok accepts.
bool url_member(const json_t *doc, const char *name, bool required, bool allow_http, std::string &dst,
    std::string &err)
{
    const json_t *v = json_object_get(doc, name);
    if (!v) {
        if (required) {
            err = std::string("\"") + name + "\" is missing";
            return false;
        }
        dst.clear();
        return true;
    }
    if (!json_is_string(v)) {
        err = std::string("\"") + name + "\" is not a string";
        return false;
    }
    std::string_view url = json_string_view(v);
    if (!oidc_url_ok(url, allow_http)) {
        err = std::string("\"") + name + "\" is not an absolute " + (allow_http ? "http(s)" : "https")
            + " URL with a host and without userinfo or fragment: " + quoted(url);
        return false;
    }
    dst.assign(url);
    return true;
}

} // namespace

bool oidc_url_ok(std::string_view url, bool allow_http) noexcept
{
    if (url.size() > kMaxUrlBytes) {
        return false;
    }
    std::string_view rest;
    if (starts_with(url, "https://")) {
        rest = url.substr(8);
    } else if (allow_http && starts_with(url, "http://")) {
        rest = url.substr(7);
    } else {
        return false;
    }
    size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    if (!authority_ok(authority)) {
        return false;
    }
    std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    for (size_t i = 0; i < tail.size(); i++) {
        auto c = static_cast<unsigned char>(tail[i]);
        if (c == '%') {
            if (i + 2 >= tail.size() || !is_hex(static_cast<unsigned char>(tail[i + 1]))
                || !is_hex(static_cast<unsigned char>(tail[i + 2]))) {
                return false;
            }
            i += 2;
            continue;
        }
        if (!is_path_char(c)) {
            return false;
        }
    }
    return true;
}

bool parse_oidc_metadata(std::string_view json, std::string_view expected_issuer, bool allow_http,
    OidcMetadata &out, std::string &err)
{
    out = OidcMetadata();
    err.clear();
    if (expected_issuer.empty()) {
        err = "no issuer is configured";
        return false;
    }
    if (json.size() > kMaxMetadataBytes) {
        err = "the document is " + std::to_string(json.size()) + " bytes, over the cap of "
            + std::to_string(kMaxMetadataBytes);
        return false;
    }
    Json doc;
    JsonError e = parse_json_object(json, JsonLimits{kMaxMetadataBytes, kMaxMetadataDepth}, doc);
    if (e != JsonError::None) {
        err = json_error_text(e);
        return false;
    }
    const json_t *o = doc.get();

    const json_t *iss = json_object_get(o, "issuer");
    if (!iss) {
        err = "\"issuer\" is missing";
        return false;
    }
    if (!json_is_string(iss)) {
        err = "\"issuer\" is not a string";
        return false;
    }
    std::string_view issuer = json_string_view(iss);
    if (issuer != expected_issuer) {
        err = "\"issuer\" " + quoted(issuer) + " differs from the configured issuer " + quoted(expected_issuer);
        return false;
    }
    // Discovery §3: an issuer has no query or fragment. Checked even though it equals the
    // configured value, so a bad configuration cannot pass through here.
    if (!oidc_url_ok(issuer, allow_http) || issuer.find('?') != std::string_view::npos) {
        err = std::string("\"issuer\" is not an absolute ") + (allow_http ? "http(s)" : "https")
            + " URL with a host and without userinfo, query or fragment: " + quoted(issuer);
        return false;
    }
    out.issuer.assign(issuer);

    if (!url_member(o, "authorization_endpoint", true, allow_http, out.authorization_endpoint, err)
        || !url_member(o, "token_endpoint", true, allow_http, out.token_endpoint, err)
        || !url_member(o, "jwks_uri", true, allow_http, out.jwks_uri, err)
        || !url_member(o, "userinfo_endpoint", false, allow_http, out.userinfo_endpoint, err)
        || !url_member(o, "end_session_endpoint", false, allow_http, out.end_session_endpoint, err)) {
        return false;
    }

    const json_t *methods = json_object_get(o, "token_endpoint_auth_methods_supported");
    if (methods) {
        if (!json_is_array(methods)) {
            err = "\"token_endpoint_auth_methods_supported\" is not an array";
            return false;
        }
        out.token_auth_methods = 0;
        size_t i;
        const json_t *m;
        json_array_foreach(methods, i, m) {
            if (!json_is_string(m)) {
                err = "\"token_endpoint_auth_methods_supported\" has a member that is not a string";
                return false;
            }
            std::string_view name = json_string_view(m);
            if (name == "client_secret_basic") {
                out.token_auth_methods |= kAuthBasic;
            } else if (name == "client_secret_post") {
                out.token_auth_methods |= kAuthPost;
            }
        }
    }

    const json_t *iss_param = json_object_get(o, "authorization_response_iss_parameter_supported");
    if (iss_param) {
        if (!json_is_boolean(iss_param)) {
            err = "\"authorization_response_iss_parameter_supported\" is not a boolean";
            return false;
        }
        out.iss_parameter_supported = json_is_true(iss_param);
    }
    return true;
}

} // namespace edge_auth
