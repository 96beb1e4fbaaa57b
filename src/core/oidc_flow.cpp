#include "oidc_flow.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "base64url.h"
#include "json.h"
#include "json_doc.h"
#include "oidc_metadata.h"
#include "seal.h"
#include "session_cookies.h"

namespace edge_auth {

namespace {

constexpr unsigned kMaxFlowJsonDepth = 2;
constexpr size_t kMaxClientIdBytes = 1024;
constexpr size_t kMaxExtraArgsBytes = 2048;

bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
        || c == '_' || c == '~';
}

bool all_unreserved(std::string_view s)
{
    for (char c : s) {
        if (!is_unreserved(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

bool has_control(std::string_view s)
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool valid_time(int64_t t)
{
    return t > 0 && t <= kMaxSessionTime;
}

int64_t saturating_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) {
        return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    }
    return r;
}

// A state may name a flow: it becomes part of a cookie name.
bool state_ok(std::string_view state)
{
    return !state.empty() && state.size() <= kMaxFlowValueBytes && all_unreserved(state);
}

bool equal_ct(std::string_view a, std::string_view b)
{
    // The lengths are not secret (every state this code makes has 22 characters).
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Wipes a buffer that held flow plaintext (the code verifier) when it goes out of scope.
struct Wipe {
    std::string &s;
    ~Wipe()
    {
        if (!s.empty()) {
            OPENSSL_cleanse(&s[0], s.size());
        }
    }
};

void set(json_t *obj, const char *name, json_t *value)
{
    if (!value) {
        throw std::invalid_argument(std::string("\"") + name + "\" cannot be written as JSON (invalid UTF-8?)");
    }
    if (json_object_set_new(obj, name, value) != 0) {
        throw std::bad_alloc();
    }
}

int append_dump(const char *buffer, size_t size, void *data)
{
    // jansson calls this from C; an exception must not cross that frame.
    try {
        static_cast<std::string *>(data)->append(buffer, size);
        return 0;
    } catch (...) {
        return -1;
    }
}

// Reads the authenticated document into `out`; false with `why` set.
bool read_flow(JsonValue doc, FlowState &out, std::string &why)
{
    JsonValue v = doc.member("v");
    if (!v.is_integer() || v.integer() != static_cast<int64_t>(kFlowVersion)) {
        why = "\"v\" is not 1";
        return false;
    }
    auto string_member = [&](const char *name, bool required, std::string &dst) {
        JsonValue m = doc.member(name);
        if (!m) {
            if (required) {
                why = std::string("\"") + name + "\" is missing";
                return false;
            }
            return true;
        }
        if (!m.is_string()) {
            why = std::string("\"") + name + "\" is not a string";
            return false;
        }
        dst.assign(m.string());
        return true;
    };
    if (!string_member("st", true, out.state) || !string_member("n", true, out.nonce)
        || !string_member("cv", true, out.code_verifier) || !string_member("rp", true, out.return_path)
        || !string_member("iss", false, out.issuer)) {
        return false;
    }
    JsonValue t = doc.member("t");
    if (!t.is_integer()) {
        why = "\"t\" is missing or not an integer";
        return false;
    }
    out.created = t.integer();
    return check_flow(out, why);
}

// Parameters the authorization URL sets itself; extra_args may not set them again.
const char *const kFlowParams[] = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method"};

bool extra_args_ok(std::string_view args, std::string &err)
{
    if (args.size() > kMaxExtraArgsBytes) {
        err = "the extra authorization arguments are over " + std::to_string(kMaxExtraArgsBytes) + " bytes";
        return false;
    }
    for (char ch : args) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7e || c == '#') {
            err = "the extra authorization arguments must be visible ASCII without '#' (encode the values)";
            return false;
        }
    }
    size_t pos = 0;
    while (pos < args.size()) {
        size_t amp = args.find('&', pos);
        size_t end = amp == std::string_view::npos ? args.size() : amp;
        std::string_view pair = args.substr(pos, end - pos);
        std::string_view name = pair.substr(0, pair.find('='));
        for (const char *p : kFlowParams) {
            if (name == p) {
                err = std::string("the extra authorization arguments may not set \"") + p + "\"";
                return false;
            }
        }
        pos = end + 1;
    }
    return true;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
bool scope_token_ok(std::string_view t)
{
    if (t.empty()) {
        return false;
    }
    for (char ch : t) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
            return false;
        }
    }
    return true;
}

} // namespace

std::string flow_cookie_prefix(std::string_view cookie_name)
{
    std::string out(cookie_name);
    out.append("_flow_");
    return out;
}

std::string flow_seal_context(std::string_view provider, std::string_view cookie_name, std::string_view realm)
{
    return seal_context({"flow", provider, cookie_name, realm});
}

bool random_tokens(std::initializer_list<RandomTokenSpec> specs)
{
    unsigned char buf[128];
    size_t total = 0;
    for (const RandomTokenSpec &t : specs) {
        if (t.bytes == 0 || t.bytes > sizeof(buf) - total) {
            return false;
        }
        total += t.bytes;
    }
    if (RAND_bytes(buf, static_cast<int>(total)) != 1) {
        return false;
    }
    size_t off = 0;
    for (const RandomTokenSpec &t : specs) {
        *t.out = base64url_encode(std::string_view(reinterpret_cast<const char *>(buf + off), t.bytes));
        off += t.bytes;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return true;
}

std::string pkce_challenge(std::string_view verifier)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(verifier.data(), verifier.size(), digest, &len, EVP_sha256(), nullptr) != 1 || len != 32) {
        return std::string();
    }
    return base64url_encode(std::string_view(reinterpret_cast<const char *>(digest), len));
}

bool return_path_ok(std::string_view path) noexcept
{
    if (path.empty() || path.size() > kMaxReturnPathBytes || path[0] != '/') {
        return false;
    }
    // "//host" and "/\host" are network-path references to browsers; '\' is refused below.
    if (path.size() > 1 && path[1] == '/') {
        return false;
    }
    bool in_query = false;
    for (size_t i = 0; i < path.size(); i++) {
        auto c = static_cast<unsigned char>(path[i]);
        if (c < 0x21 || c > 0x7e) {
            return false;
        }
        switch (c) {
        case '\\':
        case '<':
        case '>':
        case '"':
        case '\'':
        case '`':
            return false;
        case '?':
            in_query = true;
            break;
        case ':':
            // "/http://x", "/javascript:..." and friends: a scheme-like path is never needed.
            if (!in_query) {
                return false;
            }
            break;
        case '%': {
            // Malformed escapes are refused too: decoders disagree about them.
            if (i + 2 >= path.size()) {
                return false;
            }
            int hi = hex_value(static_cast<unsigned char>(path[i + 1]));
            int lo = hex_value(static_cast<unsigned char>(path[i + 2]));
            if (hi < 0 || lo < 0) {
                return false;
            }
            int decoded = hi * 16 + lo;
            // an encoded separator only matters in the path, where it may be decoded into one
            if (((decoded == '/' || decoded == '\\') && !in_query) || decoded < 0x20 || decoded == 0x7f) {
                return false;
            }
            i += 2;
            break;
        }
        default:
            break;
        }
    }
    return true;
}

bool check_flow(const FlowState &f, std::string &why)
{
    if (!state_ok(f.state)) {
        why = "the state must be 1-" + std::to_string(kMaxFlowValueBytes) + " characters of [A-Za-z0-9-._~]";
        return false;
    }
    if (f.nonce.empty() || f.nonce.size() > kMaxFlowValueBytes || !all_unreserved(f.nonce)) {
        why = "the nonce must be 1-" + std::to_string(kMaxFlowValueBytes) + " characters of [A-Za-z0-9-._~]";
        return false;
    }
    if (f.code_verifier.size() < kMinVerifierChars || f.code_verifier.size() > kMaxFlowValueBytes
        || !all_unreserved(f.code_verifier)) {
        why = "the code verifier must be " + std::to_string(kMinVerifierChars) + "-"
            + std::to_string(kMaxFlowValueBytes) + " characters of [A-Za-z0-9-._~] (RFC 7636)";
        return false;
    }
    if (!return_path_ok(f.return_path)) {
        why = "the return path is not a safe same-origin path";
        return false;
    }
    if (f.issuer.size() > kMaxFlowIssuerBytes || has_control(f.issuer)) {
        why = "the issuer must be at most " + std::to_string(kMaxFlowIssuerBytes)
            + " bytes without control characters";
        return false;
    }
    if (!valid_time(f.created)) {
        why = "the creation time must be from 1 to " + std::to_string(kMaxSessionTime);
        return false;
    }
    return true;
}

std::string flow_to_json(const FlowState &f)
{
    Json doc(json_object());
    if (!doc) {
        throw std::bad_alloc();
    }
    json_t *o = doc.get();
    set(o, "v", json_integer(kFlowVersion));
    set(o, "st", json_stringn(f.state.data(), f.state.size()));
    set(o, "n", json_stringn(f.nonce.data(), f.nonce.size()));
    set(o, "cv", json_stringn(f.code_verifier.data(), f.code_verifier.size()));
    set(o, "rp", json_stringn(f.return_path.data(), f.return_path.size()));
    if (!f.issuer.empty()) {
        set(o, "iss", json_stringn(f.issuer.data(), f.issuer.size()));
    }
    set(o, "t", json_integer(f.created));
    std::string out;
    if (json_dump_callback(o, append_dump, &out, JSON_COMPACT) != 0) {
        throw std::bad_alloc();
    }
    return out;
}

bool seal_flow(const SessionSealer &sealer, const SessionKeys &keys, const FlowState &flow, std::string &name,
    std::string &value, std::string &err)
{
    name.clear();
    value.clear();
    if (!check_flow(flow, err)) {
        return false;
    }
    std::string plain;
    Wipe wipe_plain{plain};
    try {
        plain = flow_to_json(flow);
    } catch (const std::invalid_argument &) {
        err = "the issuer is not valid UTF-8";
        return false;
    }
    std::string sealed;
    if (!seal_value(keys.sealing(), KeyPurpose::FlowState, 1, sealer.flow_context(), plain, sealed)) {
        err = "AES-256-GCM encryption or the random number generator failed";
        return false;
    }
    std::string n = sealer.flow_prefix() + flow.state;
    std::string v = base64url_encode(sealed);
    if (n.size() + 1 + v.size() > kMaxCookieBytes) {
        err = "the flow cookie would be " + std::to_string(n.size() + 1 + v.size()) + " bytes, over the cap of "
            + std::to_string(kMaxCookieBytes);
        return false;
    }
    name = std::move(n);
    value = std::move(v);
    return true;
}

const char *flow_status_reason(FlowStatus status) noexcept
{
    switch (status) {
    case FlowStatus::Ok:
        return "ok";
    case FlowStatus::Missing:
        return "flow_missing";
    case FlowStatus::Bad:
        return "flow_bad";
    case FlowStatus::Expired:
        return "flow_expired";
    case FlowStatus::Internal:
    case FlowStatus::Count:
        break;
    }
    return "internal";
}

FlowStatus open_flow_value(const SessionSealer &sealer, const SessionKeys &keys, std::string_view value,
    std::string_view state, FlowState &out, Detail &detail)
{
    out = FlowState();
    std::string sealed;
    if (value.size() > kMaxCookieValueBytes || !base64url_decode(value, sealed)) {
        detail.text("flow cookie is not strict base64url");
        return FlowStatus::Bad;
    }
    std::string plain;
    Wipe wipe_plain{plain};
    SessionStatus st = open_value(keys, KeyPurpose::FlowState, sealed, sealer.flow_context(), plain, detail);
    if (st != SessionStatus::Ok) {
        return FlowStatus::Bad;
    }
    // Authenticated, so only a bug could make it differ; checked anyway.
    if (read_seal_header(reinterpret_cast<const unsigned char *>(sealed.data())).parts != 1) {
        detail.text("flow cookie is not a single cookie");
        return FlowStatus::Bad;
    }
    JsonDoc doc;
    JsonError e = doc.parse(plain, JsonLimits{kMaxFlowJsonBytes, kMaxFlowJsonDepth});
    if (e != JsonError::None) {
        detail.text("flow document: ").text(json_error_text(e));
        return FlowStatus::Bad;
    }
    std::string why;
    FlowState f;
    Wipe wipe_verifier{f.code_verifier};
    if (!read_flow(doc.root(), f, why)) {
        detail.text("flow document: ").text(why.c_str());
        return FlowStatus::Bad;
    }
    if (!equal_ct(f.state, state)) {
        detail.text("the flow cookie belongs to another state");
        return FlowStatus::Bad;
    }
    out = std::move(f);
    return FlowStatus::Ok;
}

FlowStatus check_flow_times(const FlowState &flow, int64_t now, int64_t flow_timeout, Detail &detail) noexcept
{
    if (now >= saturating_add(flow.created, flow_timeout)) {
        detail.text("flow created at ").num(flow.created).text(", older than ").num(flow_timeout)
            .text(" s, now ").num(now);
        return FlowStatus::Expired;
    }
    if (flow.created > saturating_add(now, kFlowClockSkew)) {
        detail.text("flow created at ").num(flow.created).text(", in the future, now ").num(now);
        return FlowStatus::Expired;
    }
    return FlowStatus::Ok;
}

FlowStatus open_flow(const SessionSealer &sealer, const SessionKeys &keys, const std::string_view *headers,
    size_t n_headers, std::string_view state, int64_t now, int64_t flow_timeout, FlowState &out, Detail &detail)
{
    out = FlowState();
    if (!state_ok(state)) {
        // No flow cookie can have this name: this code never seals one.
        detail.text("state ").quoted(state).text(" is not 1-").unum(kMaxFlowValueBytes)
            .text(" characters of [A-Za-z0-9-._~]");
        return FlowStatus::Bad;
    }
    size_t total = 0;
    for (size_t i = 0; i < n_headers; i++) {
        total += headers[i].size();
    }
    if (total > kMaxCookieHeaderBytes) {
        detail.text("Cookie headers are ").unum(total).text(" bytes, over the cap of ").unum(kMaxCookieHeaderBytes);
        return FlowStatus::Bad;
    }
    const std::string &prefix = sealer.flow_prefix();
    std::string_view value;
    size_t seen = 0;
    for (size_t h = 0; h < n_headers; h++) {
        for_each_cookie(headers[h], [&](const CookiePair &p) {
            if (p.name.size() == prefix.size() + state.size() && starts_with(p.name, prefix)
                && p.name.substr(prefix.size()) == state) {
                seen++;
                value = p.value;
            }
        });
    }
    if (seen == 0) {
        detail.text("no flow cookie for state ").quoted(state);
        return FlowStatus::Missing;
    }
    if (seen > 1) {
        detail.text("the flow cookie for state ").quoted(state).text(" appears more than once");
        return FlowStatus::Bad;
    }
    if (value.size() > kMaxCookieValueBytes) {
        detail.text("flow cookie is ").unum(value.size()).text(" bytes, over the cap of ").unum(kMaxCookieValueBytes);
        return FlowStatus::Bad;
    }
    FlowState f;
    Wipe wipe_verifier{f.code_verifier};
    FlowStatus st = open_flow_value(sealer, keys, value, state, f, detail);
    if (st != FlowStatus::Ok) {
        return st;
    }
    st = check_flow_times(f, now, flow_timeout, detail);
    if (st != FlowStatus::Ok) {
        return st;
    }
    out = std::move(f);
    return FlowStatus::Ok;
}

void prune_flows(const SessionSealer &sealer, const SessionKeys &keys, const std::string_view *headers,
    size_t n_headers, int64_t now, int64_t flow_timeout, size_t max_pending, std::vector<std::string> &remove)
{
    remove.clear();
    struct Seen {
        std::string_view name;
        std::string_view value;
    };
    const std::string &prefix = sealer.flow_prefix();
    std::vector<Seen> seen;
    for (size_t h = 0; h < n_headers; h++) {
        for_each_cookie(headers[h], [&](const CookiePair &p) {
            if (starts_with(p.name, prefix) && is_cookie_name(p.name)) {
                seen.push_back(Seen{p.name, p.value});
            }
        });
    }
    // Sorted by name, so a name sent twice is found in O(n log n) however many there are.
    std::stable_sort(seen.begin(), seen.end(), [](const Seen &a, const Seen &b) { return a.name < b.name; });
    struct Good {
        int64_t created;
        std::string_view name;
    };
    std::vector<Good> good;
    for (size_t i = 0; i < seen.size();) {
        const Seen &s = seen[i];
        size_t count = 1;
        while (i + count < seen.size() && seen[i + count].name == s.name) {
            count++;
        }
        i += count;
        bool ok = count == 1;
        if (ok) {
            char buf[8];
            Detail quiet(buf, sizeof(buf));
            FlowState f;
            Wipe wipe_verifier{f.code_verifier};
            std::string_view state = s.name.substr(prefix.size());
            ok = state_ok(state) && open_flow_value(sealer, keys, s.value, state, f, quiet) == FlowStatus::Ok
                && check_flow_times(f, now, flow_timeout, quiet) == FlowStatus::Ok;
            if (ok) {
                good.push_back(Good{f.created, s.name});
            }
        }
        if (!ok) {
            remove.emplace_back(s.name);
        }
    }
    size_t keep = max_pending > 0 ? max_pending - 1 : 0;
    if (good.size() > keep) {
        std::sort(good.begin(), good.end(), [](const Good &a, const Good &b) {
            return a.created != b.created ? a.created < b.created : a.name < b.name;
        });
        for (size_t i = 0; i < good.size() - keep; i++) {
            remove.emplace_back(good[i].name);
        }
    }
}

void append_percent_encoded(std::string &out, std::string_view value)
{
    static const char hex[] = "0123456789ABCDEF";
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
    }
}

bool normalize_scope(std::string_view scope, std::string &out)
{
    out = "openid";
    bool has_openid = false;
    std::string rest;
    size_t pos = 0;
    while (pos < scope.size()) {
        size_t sp = scope.find(' ', pos);
        size_t end = sp == std::string_view::npos ? scope.size() : sp;
        std::string_view token = scope.substr(pos, end - pos);
        pos = end + 1;
        if (token.empty()) {
            continue;
        }
        if (!scope_token_ok(token)) {
            return false;
        }
        if (token == "openid") {
            if (has_openid) {
                continue;
            }
            has_openid = true;
            continue;
        }
        rest.push_back(' ');
        rest.append(token);
    }
    out.append(rest);
    return true;
}

bool start_login(const SessionSealer &sealer, const SessionKeys &keys, const LoginParams &p,
    std::string_view return_path, int64_t now, std::string &location, std::string &cookie_name,
    std::string &cookie_value, std::string &err)
{
    location.clear();
    cookie_name.clear();
    cookie_value.clear();
    if (!oidc_url_ok(p.authorization_endpoint, true)) {
        err = "the authorization endpoint is not an absolute http(s) URL with a host and without userinfo or "
              "fragment";
        return false;
    }
    if (p.client_id.empty() || p.client_id.size() > kMaxClientIdBytes || has_control(p.client_id)) {
        err = "the client id must be 1-" + std::to_string(kMaxClientIdBytes) + " bytes without control characters";
        return false;
    }
    if (!oidc_url_ok(p.redirect_uri, true)) {
        err = "the redirect URI is not an absolute http(s) URL with a host and without userinfo or fragment";
        return false;
    }
    std::string scope;
    if (!normalize_scope(p.scope, scope)) {
        err = "the scope must be scope tokens (visible ASCII except '\"' and '\\') separated by spaces";
        return false;
    }
    if (!extra_args_ok(p.extra_args, err)) {
        return false;
    }
    if (p.flow_timeout <= 0) {
        err = "the flow timeout must be a positive number of seconds";
        return false;
    }
    FlowState flow;
    Wipe wipe_verifier{flow.code_verifier};
    if (!random_tokens({{kStateBytes, &flow.state}, {kNonceBytes, &flow.nonce},
            {kVerifierBytes, &flow.code_verifier}})) {
        err = "the random number generator failed";
        return false;
    }
    flow.return_path = return_path_ok(return_path) ? std::string(return_path) : std::string("/");
    flow.issuer.assign(p.issuer);
    flow.created = now;
    std::string challenge = pkce_challenge(flow.code_verifier);
    if (challenge.empty()) {
        err = "SHA-256 failed in OpenSSL";
        return false;
    }

    std::string url(p.authorization_endpoint);
    if (url.find('?') == std::string::npos) {
        url.push_back('?');
    } else if (url.back() != '?' && url.back() != '&') {
        url.push_back('&');
    }
    url.append("response_type=code&client_id=");
    append_percent_encoded(url, p.client_id);
    url.append("&redirect_uri=");
    append_percent_encoded(url, p.redirect_uri);
    url.append("&scope=");
    append_percent_encoded(url, scope);
    url.append("&state=");
    append_percent_encoded(url, flow.state);
    url.append("&nonce=");
    append_percent_encoded(url, flow.nonce);
    url.append("&code_challenge=");
    append_percent_encoded(url, challenge);
    url.append("&code_challenge_method=S256");
    if (!p.extra_args.empty()) {
        url.push_back('&');
        url.append(p.extra_args);
    }

    if (!seal_flow(sealer, keys, flow, cookie_name, cookie_value, err)) {
        return false;
    }
    location = std::move(url);
    return true;
}

} // namespace edge_auth
