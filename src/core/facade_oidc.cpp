// The "OpenID Connect login" part of the extern "C" surface of edge_auth.h. Like facade.cpp and
// facade_session.cpp, every entry point catches everything and fails closed (-1 / internal /
// 0), and leaves its outputs empty (zeroed) on every failure.
//
// Choices where the header leaves room (the stricter reading each time):
//   - ea_oidc_url_ok: lower-case scheme only; every byte an RFC 3986 URI character, '%' always
//     followed by two hex digits; a host of [A-Za-z0-9._-] or a bracketed IPv6 literal; a port
//     of 1-65535; at most 4096 bytes (oidc_metadata.h).
//   - ea_oidc_return_path_ok also refuses paths over 1024 bytes (they would not fit the flow
//     cookie) and '%' escapes that are not two hex digits; encoded '/', '\' and control bytes
//     are refused in the query too.
//   - ea_oidc_metadata_parse also requires the issuer itself to pass ea_oidc_url_ok and to have
//     no query (Discovery §3); an optional endpoint present as null is a wrongly typed member.
//   - ea_oidc_login_start refuses (-1) an endpoint or redirect URI that ea_oidc_url_ok(.., 1)
//     refuses, a scope that is not RFC 6749 scope tokens, extra_args that are not visible ASCII,
//     hold '#' or set a parameter the flow sets itself, and flow_timeout <= 0.
//   - ea_oidc_flow_open answers flow_bad for a state that cannot name a flow cookie (not 1-128
//     characters of [A-Za-z0-9-._~]) and for Cookie headers over 64 KiB; internal for
//     flow_timeout <= 0.
//   - ea_oidc_flows_prune returns -1 for invalid arguments (flow_timeout <= 0 included), and
//     never writes a removal for a name that is not an RFC 6265 cookie name.
//   - ea_oidc_flow_seal: state and nonce 1-128 and the verifier 43-128 characters of
//     [A-Za-z0-9-._~], the return path must pass ea_oidc_return_path_ok (no silent "/"), the
//     issuer at most 1024 bytes without control characters, created from 1 to 253402300799.
//   - ea_oidc_callback_parse also refuses an empty code, state, iss or error, and a code or state
//     outside printable ASCII; parameter names are decoded before they are compared, and the
//     control-byte rule covers every parameter, unknown ones included.
//   - ea_oidc_token_request: an empty client_secret means a public client whatever auth_method
//     says (client_id in the body, no Authorization); auth_method must still be BASIC or POST;
//     the code verifier must be 43-128 unreserved characters.
//   - ea_oidc_token_response_parse: a present refresh_token follows the token rules (an empty
//     one is an error, not "absent"); expires_in is capped at 253402300799; statuses other than
//     200 and 4xx fail before the body is looked at.
//   - ea_oidc_id_token_verify: a 16 KiB token cap (what a session can hold); `out` is required;
//     an empty issuer, client id or nonce is invalid (internal), never "matches anything".
//   - ea_oidc_refresh_request: the refresh token must be 1-16384 bytes of visible ASCII (what a
//     session holds); client authentication exactly as ea_oidc_token_request.
//   - ea_oidc_refresh_response_parse: a present id_token or refresh_token follows the token rules
//     (an empty one is an error, not "absent"), as in ea_oidc_token_response_parse.
//   - ea_oidc_refresh_id_token_verify: a nonce, when present, must still be a string (it is not
//     compared); an empty expected_sub is invalid (internal); check->nonce is never read.

#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

// The library is compiled with -fvisibility=hidden; only the declarations of the public header
// are exported.
#pragma GCC visibility push(default)
#include "edge_auth.h"
#pragma GCC visibility pop

#include <openssl/crypto.h>

#include "facade_internal.h"
#include "oidc_callback.h"
#include "oidc_flow.h"
#include "oidc_metadata.h"
#include "oidc_token.h"
#include "status.h"

using namespace edge_auth;

static_assert(static_cast<int>(FlowStatus::Ok) == EA_OIDC_FLOW_OK, "flow status values match");
static_assert(static_cast<int>(FlowStatus::Missing) == EA_OIDC_FLOW_MISSING, "flow status values match");
static_assert(static_cast<int>(FlowStatus::Bad) == EA_OIDC_FLOW_BAD, "flow status values match");
static_assert(static_cast<int>(FlowStatus::Expired) == EA_OIDC_FLOW_EXPIRED, "flow status values match");
static_assert(static_cast<int>(FlowStatus::Internal) == EA_OIDC_FLOW_INTERNAL, "flow status values match");
static_assert(kAuthBasic == EA_OIDC_AUTH_BASIC && kAuthPost == EA_OIDC_AUTH_POST, "auth method bits match");

namespace {

void set_message(char *buf, size_t len, const char *msg)
{
    if (buf && len) {
        std::snprintf(buf, len, "%s", msg);
    }
}

bool valid_str(const ea_str_t &s)
{
    return s.data != nullptr || s.len == 0;
}

bool valid_ptr(const ea_str_t *s)
{
    return s != nullptr && valid_str(*s);
}

std::string_view to_view(const ea_str_t &s)
{
    return std::string_view(s.data ? s.data : "", s.len);
}

void clear_str(ea_str_t &s)
{
    s.data = "";
    s.len = 0;
}

// Copies `text` into memory from the caller's allocator; throws std::bad_alloc when it fails, so
// every entry point has one failure path.
void hand_out(std::string_view text, ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out)
{
    if (text.empty()) {
        clear_str(*out);
        return;
    }
    void *mem = alloc(alloc_ctx, text.size());
    if (!mem) {
        throw std::bad_alloc();
    }
    std::memcpy(mem, text.data(), text.size());
    out->data = static_cast<const char *>(mem);
    out->len = text.size();
}

void wipe(std::string &s)
{
    if (!s.empty()) {
        OPENSSL_cleanse(&s[0], s.size());
    }
}

// Views of the request's Cookie header values; false when an entry has a NULL pointer with a
// length.
bool header_views(const ea_str_t *headers, size_t n, std::vector<std::string_view> &out)
{
    if (n && !headers) {
        return false;
    }
    out.reserve(n);
    for (size_t i = 0; i < n; i++) {
        if (!valid_str(headers[i])) {
            return false;
        }
        out.push_back(to_view(headers[i]));
    }
    return true;
}

bool sealer_ok(const ea_sealer_t *sealer, const ea_session_keys_t *keys)
{
    return sealer && sealer->sealer && keys && keys->keys;
}

void clear_metadata(ea_oidc_metadata_t *out)
{
    std::memset(out, 0, sizeof(*out));
    clear_str(out->issuer);
    clear_str(out->authorization_endpoint);
    clear_str(out->token_endpoint);
    clear_str(out->jwks_uri);
    clear_str(out->userinfo_endpoint);
    clear_str(out->end_session_endpoint);
}

void clear_cookie(ea_cookie_t *c)
{
    std::memset(c, 0, sizeof(*c));
    clear_str(c->name);
    clear_str(c->value);
}

void clear_callback(ea_oidc_callback_t *out)
{
    clear_str(out->code);
    clear_str(out->state);
    clear_str(out->iss);
    clear_str(out->error);
    clear_str(out->error_description);
}

void clear_flow(ea_oidc_flow_t *out)
{
    std::memset(out, 0, sizeof(*out));
    clear_str(out->state);
    clear_str(out->nonce);
    clear_str(out->code_verifier);
    clear_str(out->return_path);
    clear_str(out->issuer);
    clear_str(out->cookie_name);
}

void clear_tokens(ea_oidc_tokens_t *out)
{
    std::memset(out, 0, sizeof(*out));
    clear_str(out->id_token);
    clear_str(out->access_token);
    clear_str(out->refresh_token);
    clear_str(out->token_type);
    clear_str(out->error);
}

void wipe_flow(FlowState &f)
{
    wipe(f.code_verifier);
    wipe(f.nonce);
}

// ea_oidc_token_response_parse and ea_oidc_refresh_response_parse.
int token_response(TokenGrant grant, unsigned status, const char *json, size_t len, ea_alloc_fn alloc,
    void *alloc_ctx, ea_oidc_tokens_t *out, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (out) {
        clear_tokens(out);
    }
    if ((!json && len) || !alloc || !out) {
        set_message(err, err_len, "invalid arguments");
        return -1;
    }
    TokenResponse tr;
    try {
        std::string e;
        bool ok = parse_token_response(status, std::string_view(json ? json : "", len), tr, e, grant);
        if (!ok) {
            hand_out(tr.error, alloc, alloc_ctx, &out->error);
            set_message(err, err_len, e.c_str());
            return -1;
        }
        hand_out(tr.id_token, alloc, alloc_ctx, &out->id_token);
        hand_out(tr.access_token, alloc, alloc_ctx, &out->access_token);
        hand_out(tr.refresh_token, alloc, alloc_ctx, &out->refresh_token);
        hand_out(tr.token_type, alloc, alloc_ctx, &out->token_type);
        out->expires_in = tr.expires_in;
        wipe(tr.access_token);
        wipe(tr.refresh_token);
        wipe(tr.id_token);
        return 0;
    } catch (...) {
        wipe(tr.access_token);
        wipe(tr.refresh_token);
        wipe(tr.id_token);
        clear_tokens(out);
        set_message(err, err_len, "internal error (out of memory?)");
        return -1;
    }
}

// ea_oidc_id_token_verify (expected_sub NULL: a login, nonce compared) and
// ea_oidc_refresh_id_token_verify (check->nonce ignored, sub must equal *expected_sub).
ea_status_t id_token_verify(const ea_oidc_id_token_check_t *check, const ea_str_t *expected_sub,
    const ea_keyset_t *keys, const char *id_token, size_t len, int64_t now, ea_token_t **out, char *detail,
    size_t detail_len)
{
    if (out) {
        *out = nullptr;
    }
    Detail d(detail, detail_len);
    if (!check || !keys || (!id_token && len) || !out || !valid_str(check->issuer) || !valid_str(check->client_id)
        || (!expected_sub && !valid_str(check->nonce)) || (expected_sub && !valid_str(*expected_sub))) {
        d.text("invalid arguments");
        return EA_ERR_INTERNAL;
    }
    try {
        IdTokenCheck c;
        c.issuer = to_view(check->issuer);
        c.client_id = to_view(check->client_id);
        c.algorithms = check->algorithms;
        c.leeway = check->leeway;
        std::unique_ptr<VerifiedToken> verified;
        std::string_view token(id_token ? id_token : "", len);
        Status s;
        if (expected_sub) {
            s = verify_refresh_id_token(c, to_view(*expected_sub), keys->set, token, now, verified, d);
        } else {
            c.nonce = to_view(check->nonce);
            s = verify_id_token(c, keys->set, token, now, verified, d);
        }
        if (s != Status::Ok) {
            return static_cast<ea_status_t>(s);
        }
        auto *t = new ea_token_s();
        t->token = std::shared_ptr<const VerifiedToken>(std::move(verified));
        *out = t;
        return EA_OK;
    } catch (...) {
        d.clear();
        d.text("internal error");
        return EA_ERR_INTERNAL;
    }
}

// The body and Authorization header of a token-endpoint request, made by `make(client, body,
// authorization, err)` (token_request or refresh_request) and handed out through `alloc`. The
// secrets in the intermediate strings are wiped whatever happens.
template <typename Make>
int token_endpoint_request(const ea_oidc_client_t *client, bool with_redirect_uri, ea_alloc_fn alloc,
    void *alloc_ctx, ea_str_t *body, ea_str_t *authorization, Make make)
{
    std::string b, a, e;
    try {
        TokenClient tc;
        tc.client_id = to_view(client->client_id);
        tc.client_secret = to_view(client->client_secret);
        tc.auth_method = client->auth_method;
        if (with_redirect_uri) {
            tc.redirect_uri = to_view(client->redirect_uri);
        }
        int rc = -1;
        if (make(tc, b, a, e)) {
            hand_out(b, alloc, alloc_ctx, body);
            hand_out(a, alloc, alloc_ctx, authorization);
            rc = 0;
        }
        wipe(b);
        wipe(a);
        return rc;
    } catch (...) {
        wipe(b);
        wipe(a);
        clear_str(*body);
        clear_str(*authorization);
        return -1;
    }
}

} // namespace

extern "C" {

// ---- provider metadata -----------------------------------------------------------------------

int ea_oidc_metadata_parse(const char *json, size_t len, const ea_str_t *expected_issuer, int allow_http,
    ea_alloc_fn alloc, void *alloc_ctx, ea_oidc_metadata_t *out, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (out) {
        clear_metadata(out);
    }
    if ((!json && len) || !valid_ptr(expected_issuer) || !alloc || !out) {
        set_message(err, err_len, "invalid arguments");
        return -1;
    }
    try {
        OidcMetadata md;
        std::string e;
        if (!parse_oidc_metadata(std::string_view(json ? json : "", len), to_view(*expected_issuer), allow_http != 0,
                md, e)) {
            set_message(err, err_len, e.c_str());
            return -1;
        }
        hand_out(md.issuer, alloc, alloc_ctx, &out->issuer);
        hand_out(md.authorization_endpoint, alloc, alloc_ctx, &out->authorization_endpoint);
        hand_out(md.token_endpoint, alloc, alloc_ctx, &out->token_endpoint);
        hand_out(md.jwks_uri, alloc, alloc_ctx, &out->jwks_uri);
        hand_out(md.userinfo_endpoint, alloc, alloc_ctx, &out->userinfo_endpoint);
        hand_out(md.end_session_endpoint, alloc, alloc_ctx, &out->end_session_endpoint);
        out->token_auth_methods = md.token_auth_methods;
        out->iss_parameter_supported = md.iss_parameter_supported ? 1 : 0;
        return 0;
    } catch (...) {
        clear_metadata(out);
        set_message(err, err_len, "internal error (out of memory?)");
        return -1;
    }
}

int ea_oidc_url_ok(const ea_str_t *url, int allow_http)
{
    if (!valid_ptr(url)) {
        return 0;
    }
    return oidc_url_ok(to_view(*url), allow_http != 0) ? 1 : 0;
}

// ---- starting a login ------------------------------------------------------------------------

int ea_oidc_return_path_ok(const char *path, size_t len)
{
    if (!path) {
        return 0;
    }
    return return_path_ok(std::string_view(path, len)) ? 1 : 0;
}

ea_str_t ea_oidc_flow_cookie_prefix(const ea_sealer_t *sealer)
{
    if (!sealer || !sealer->sealer) {
        return ea_str_t{"", 0};
    }
    const std::string &p = sealer->sealer->flow_prefix();
    return ea_str_t{p.data(), p.size()};
}

int ea_oidc_login_start(const ea_sealer_t *sealer, const ea_session_keys_t *keys, const ea_oidc_login_t *login,
    const char *return_path, size_t return_path_len, int64_t now, ea_alloc_fn alloc, void *alloc_ctx,
    ea_str_t *location, ea_cookie_t *flow_cookie, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (location) {
        clear_str(*location);
    }
    if (flow_cookie) {
        clear_cookie(flow_cookie);
    }
    if (!sealer_ok(sealer, keys) || !login || !alloc || !location || !flow_cookie || (!return_path && return_path_len)
        || !valid_str(login->authorization_endpoint) || !valid_str(login->client_id)
        || !valid_str(login->redirect_uri) || !valid_str(login->scope) || !valid_str(login->extra_args)
        || !valid_str(login->issuer)) {
        set_message(err, err_len, "invalid arguments");
        return -1;
    }
    try {
        LoginParams p;
        p.authorization_endpoint = to_view(login->authorization_endpoint);
        p.client_id = to_view(login->client_id);
        p.redirect_uri = to_view(login->redirect_uri);
        p.scope = to_view(login->scope);
        p.extra_args = to_view(login->extra_args);
        p.issuer = to_view(login->issuer);
        p.flow_timeout = login->flow_timeout;
        std::string url, name, value, e;
        if (!start_login(*sealer->sealer, *keys->keys, p, std::string_view(return_path ? return_path : "",
                return_path_len), now, url, name, value, e)) {
            set_message(err, err_len, e.c_str());
            return -1;
        }
        hand_out(url, alloc, alloc_ctx, location);
        hand_out(name, alloc, alloc_ctx, &flow_cookie->name);
        hand_out(value, alloc, alloc_ctx, &flow_cookie->value);
        flow_cookie->remove = 0;
        return 0;
    } catch (...) {
        clear_str(*location);
        clear_cookie(flow_cookie);
        set_message(err, err_len, "internal error (out of memory?)");
        return -1;
    }
}

int ea_oidc_flows_prune(const ea_sealer_t *sealer, const ea_session_keys_t *keys, const ea_str_t *headers,
    size_t n_headers, int64_t now, int64_t flow_timeout, size_t max_pending, ea_alloc_fn alloc, void *alloc_ctx,
    ea_oidc_removals_t *out)
{
    if (out) {
        std::memset(out, 0, sizeof(*out));
    }
    if (!sealer_ok(sealer, keys) || !alloc || !out || flow_timeout <= 0) {
        return -1;
    }
    try {
        std::vector<std::string_view> hv;
        if (!header_views(headers, n_headers, hv)) {
            return -1;
        }
        std::vector<std::string> names;
        prune_flows(*sealer->sealer, *keys->keys, hv.data(), hv.size(), now, flow_timeout, max_pending, names);
        for (size_t i = 0; i < names.size() && out->n < EA_OIDC_MAX_REMOVALS; i++) {
            ea_cookie_t &c = out->cookies[out->n];
            hand_out(names[i], alloc, alloc_ctx, &c.name);
            clear_str(c.value);
            c.remove = 1;
            out->n++;
        }
        return 0;
    } catch (...) {
        std::memset(out, 0, sizeof(*out));
        return -1;
    }
}

// ---- the callback ----------------------------------------------------------------------------

int ea_oidc_callback_parse(const char *args, size_t len, ea_alloc_fn alloc, void *alloc_ctx,
    ea_oidc_callback_t *out, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (out) {
        clear_callback(out);
    }
    if ((!args && len) || !alloc || !out) {
        set_message(err, err_len, "invalid arguments");
        return -1;
    }
    try {
        CallbackParams cb;
        std::string e;
        if (!parse_callback(std::string_view(args ? args : "", len), cb, e)) {
            set_message(err, err_len, e.c_str());
            return -1;
        }
        hand_out(cb.code, alloc, alloc_ctx, &out->code);
        hand_out(cb.state, alloc, alloc_ctx, &out->state);
        hand_out(cb.iss, alloc, alloc_ctx, &out->iss);
        hand_out(cb.error, alloc, alloc_ctx, &out->error);
        hand_out(cb.error_description, alloc, alloc_ctx, &out->error_description);
        wipe(cb.code);
        return 0;
    } catch (...) {
        clear_callback(out);
        set_message(err, err_len, "internal error (out of memory?)");
        return -1;
    }
}

const char *ea_oidc_flow_reason(ea_oidc_flow_status_t status)
{
    return flow_status_reason(static_cast<FlowStatus>(status));
}

ea_oidc_flow_status_t ea_oidc_flow_open(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_str_t *headers, size_t n_headers, const ea_str_t *state, int64_t now, int64_t flow_timeout,
    ea_alloc_fn alloc, void *alloc_ctx, ea_oidc_flow_t *out, char *detail, size_t detail_len)
{
    Detail d(detail, detail_len);
    if (out) {
        clear_flow(out);
    }
    if (!sealer_ok(sealer, keys) || !valid_ptr(state) || !alloc || !out || flow_timeout <= 0) {
        d.text("invalid arguments");
        return EA_OIDC_FLOW_INTERNAL;
    }
    try {
        std::vector<std::string_view> hv;
        if (!header_views(headers, n_headers, hv)) {
            d.text("invalid arguments");
            return EA_OIDC_FLOW_INTERNAL;
        }
        FlowState f;
        FlowStatus st = open_flow(*sealer->sealer, *keys->keys, hv.data(), hv.size(), to_view(*state), now,
            flow_timeout, f, d);
        if (st != FlowStatus::Ok) {
            return static_cast<ea_oidc_flow_status_t>(st);
        }
        try {
            hand_out(f.state, alloc, alloc_ctx, &out->state);
            hand_out(f.nonce, alloc, alloc_ctx, &out->nonce);
            hand_out(f.code_verifier, alloc, alloc_ctx, &out->code_verifier);
            hand_out(f.return_path, alloc, alloc_ctx, &out->return_path);
            hand_out(f.issuer, alloc, alloc_ctx, &out->issuer);
            hand_out(sealer->sealer->flow_prefix() + f.state, alloc, alloc_ctx, &out->cookie_name);
            out->created = f.created;
        } catch (...) {
            wipe_flow(f);
            throw;
        }
        wipe_flow(f);
        return EA_OIDC_FLOW_OK;
    } catch (...) {
        clear_flow(out);
        d.clear();
        d.text("internal error");
        return EA_OIDC_FLOW_INTERNAL;
    }
}

int ea_oidc_flow_seal(const ea_sealer_t *sealer, const ea_session_keys_t *keys, const ea_oidc_flow_t *flow,
    ea_alloc_fn alloc, void *alloc_ctx, ea_cookie_t *out, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (out) {
        clear_cookie(out);
    }
    if (!sealer_ok(sealer, keys) || !flow || !alloc || !out || !valid_str(flow->state) || !valid_str(flow->nonce)
        || !valid_str(flow->code_verifier) || !valid_str(flow->return_path) || !valid_str(flow->issuer)) {
        set_message(err, err_len, "invalid arguments");
        return -1;
    }
    try {
        FlowState f;
        f.state.assign(to_view(flow->state));
        f.nonce.assign(to_view(flow->nonce));
        f.code_verifier.assign(to_view(flow->code_verifier));
        f.return_path.assign(to_view(flow->return_path));
        f.issuer.assign(to_view(flow->issuer));
        f.created = flow->created;
        std::string name, value, e;
        bool ok = seal_flow(*sealer->sealer, *keys->keys, f, name, value, e);
        wipe_flow(f);
        if (!ok) {
            set_message(err, err_len, e.c_str());
            return -1;
        }
        hand_out(name, alloc, alloc_ctx, &out->name);
        hand_out(value, alloc, alloc_ctx, &out->value);
        out->remove = 0;
        return 0;
    } catch (...) {
        clear_cookie(out);
        set_message(err, err_len, "internal error (out of memory?)");
        return -1;
    }
}

// ---- the code exchange -----------------------------------------------------------------------

int ea_oidc_token_request(const ea_oidc_client_t *client, const ea_str_t *code, const ea_str_t *code_verifier,
    ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *body, ea_str_t *authorization)
{
    if (body) {
        clear_str(*body);
    }
    if (authorization) {
        clear_str(*authorization);
    }
    if (!client || !valid_ptr(code) || !valid_ptr(code_verifier) || !alloc || !body || !authorization
        || !valid_str(client->client_id) || !valid_str(client->client_secret) || !valid_str(client->redirect_uri)) {
        return -1;
    }
    return token_endpoint_request(client, true, alloc, alloc_ctx, body, authorization,
        [&](const TokenClient &tc, std::string &b, std::string &a, std::string &e) {
            return token_request(tc, to_view(*code), to_view(*code_verifier), b, a, e);
        });
}

int ea_oidc_token_response_parse(unsigned status, const char *json, size_t len, ea_alloc_fn alloc,
    void *alloc_ctx, ea_oidc_tokens_t *out, char *err, size_t err_len)
{
    return token_response(TokenGrant::AuthorizationCode, status, json, len, alloc, alloc_ctx, out, err, err_len);
}

ea_status_t ea_oidc_id_token_verify(const ea_oidc_id_token_check_t *check, const ea_keyset_t *keys,
    const char *id_token, size_t len, int64_t now, ea_token_t **out, char *detail, size_t detail_len)
{
    return id_token_verify(check, nullptr, keys, id_token, len, now, out, detail, detail_len);
}

// ---- token refresh ---------------------------------------------------------------------------

int ea_oidc_refresh_request(const ea_oidc_client_t *client, const ea_str_t *refresh_token, ea_alloc_fn alloc,
    void *alloc_ctx, ea_str_t *body, ea_str_t *authorization)
{
    if (body) {
        clear_str(*body);
    }
    if (authorization) {
        clear_str(*authorization);
    }
    // redirect_uri is not used, so it is not looked at either.
    if (!client || !valid_ptr(refresh_token) || !alloc || !body || !authorization || !valid_str(client->client_id)
        || !valid_str(client->client_secret)) {
        return -1;
    }
    return token_endpoint_request(client, false, alloc, alloc_ctx, body, authorization,
        [&](const TokenClient &tc, std::string &b, std::string &a, std::string &e) {
            return refresh_request(tc, to_view(*refresh_token), b, a, e);
        });
}

int ea_oidc_refresh_response_parse(unsigned status, const char *json, size_t len, ea_alloc_fn alloc,
    void *alloc_ctx, ea_oidc_tokens_t *out, char *err, size_t err_len)
{
    return token_response(TokenGrant::RefreshToken, status, json, len, alloc, alloc_ctx, out, err, err_len);
}

ea_status_t ea_oidc_refresh_id_token_verify(const ea_oidc_id_token_check_t *check, const ea_str_t *expected_sub,
    const ea_keyset_t *keys, const char *id_token, size_t len, int64_t now, ea_token_t **out, char *detail,
    size_t detail_len)
{
    if (!valid_ptr(expected_sub)) {
        if (out) {
            *out = nullptr;
        }
        Detail d(detail, detail_len);
        d.text("invalid arguments");
        return EA_ERR_INTERNAL;
    }
    return id_token_verify(check, expected_sub, keys, id_token, len, now, out, detail, detail_len);
}

} // extern "C"
