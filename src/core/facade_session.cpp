// The "Sealed sessions" part of the extern "C" surface of edge_auth.h, and the session half of
// "Token refresh". Like facade.cpp, every entry point catches everything and fails closed
// (internal / NULL / -1).
//
// Choices where the header leaves room for token refresh (the stricter reading each time):
//   - ea_session_refresh_due: a negative margin counts as 0 (never "due later than expiry").
//   - ea_session_refreshed also refuses (NULL with err): a session that is over at `now`
//     (expired or idle, as ea_session_open judges it); a response without an access token; an
//     expiry that does not fit a time; id_token_claims whose sub or iss differ from the
//     session's; and, when "sid" is among the claim names, a sid that differs from the stored
//     one (a different provider session would escape a back-channel logout of the one the login
//     named). A refreshed ID token without a sid keeps the stored sid, so the session stays
//     revocable by it.

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

#include "facade_internal.h"
#include "session.h"
#include "session_cache.h"
#include "session_cookies.h"
#include "session_keys.h"
#include "session_status.h"
#include "status.h"
#include "token_value.h"

using namespace edge_auth;

static_assert(static_cast<int>(SessionStatus::Ok) == EA_SESSION_OK, "session status values match");
static_assert(static_cast<int>(SessionStatus::NoSession) == EA_SESSION_ERR_NONE, "session status values match");
static_assert(static_cast<int>(SessionStatus::Duplicate) == EA_SESSION_ERR_DUPLICATE, "session status values match");
static_assert(static_cast<int>(SessionStatus::TooLarge) == EA_SESSION_ERR_TOO_LARGE, "session status values match");
static_assert(static_cast<int>(SessionStatus::Chunk) == EA_SESSION_ERR_CHUNK, "session status values match");
static_assert(static_cast<int>(SessionStatus::Malformed) == EA_SESSION_ERR_MALFORMED, "session status values match");
static_assert(static_cast<int>(SessionStatus::UnknownVersion) == EA_SESSION_ERR_VERSION, "session status values match");
static_assert(static_cast<int>(SessionStatus::UnknownKey) == EA_SESSION_ERR_UNKNOWN_KEY, "session status values match");
static_assert(static_cast<int>(SessionStatus::BadSeal) == EA_SESSION_ERR_BAD_SEAL, "session status values match");
static_assert(static_cast<int>(SessionStatus::BadPayload) == EA_SESSION_ERR_BAD_PAYLOAD, "session status values match");
static_assert(static_cast<int>(SessionStatus::Expired) == EA_SESSION_ERR_EXPIRED, "session status values match");
static_assert(static_cast<int>(SessionStatus::IdleExpired) == EA_SESSION_ERR_IDLE, "session status values match");
static_assert(static_cast<int>(SessionStatus::Internal) == EA_SESSION_ERR_INTERNAL, "session status values match");
static_assert(static_cast<int>(SessionStatus::Revoked) == EA_SESSION_ERR_REVOKED, "session status values match");
static_assert(static_cast<int>(SessionStatus::Count) == EA_SESSION_STATUS_COUNT, "session status values match");
static_assert(kMaxChunks == EA_SESSION_MAX_CHUNKS, "chunk cap matches the C macro");

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

std::string to_string(const ea_str_t &s)
{
    return std::string(s.data ? s.data : "", s.len);
}

std::string_view to_view(const ea_str_t &s)
{
    return std::string_view(s.data ? s.data : "", s.len);
}

// Copies `text` into memory from the caller's allocator.
bool hand_out(std::string_view text, ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out)
{
    if (text.empty()) {
        out->data = "";
        out->len = 0;
        return true;
    }
    void *mem = alloc(alloc_ctx, text.size());
    if (!mem) {
        return false;
    }
    std::memcpy(mem, text.data(), text.size());
    out->data = static_cast<const char *>(mem);
    out->len = text.size();
    return true;
}

// Views of a caller's ea_str_t list; false when an entry has a NULL pointer with a length. The
// common short list needs no heap.
struct Views {
    std::string_view small[8];
    std::vector<std::string_view> big;
    const std::string_view *data = small;

    bool fill(const ea_str_t *items, size_t n)
    {
        if (n && !items) {
            return false;
        }
        std::string_view *dst = small;
        if (n > 8) {
            big.resize(n);
            dst = big.data();
        }
        for (size_t i = 0; i < n; i++) {
            if (!valid_str(items[i])) {
                return false;
            }
            dst[i] = to_view(items[i]);
        }
        data = dst;
        return true;
    }
};

// Adds removals for the chunks in `present` that are not in the first `used` cookies.
bool add_removals(const std::string &name, unsigned present, size_t used, ea_alloc_fn alloc, void *alloc_ctx,
    ea_cookie_set_t *out)
{
    for (size_t i = used; i < kMaxChunks; i++) {
        if (!(present & (1u << i))) {
            continue;
        }
        ea_cookie_t &c = out->cookies[out->n];
        if (!hand_out(chunk_name(name, i), alloc, alloc_ctx, &c.name)) {
            return false;
        }
        c.value.data = "";
        c.value.len = 0;
        c.remove = 1;
        out->n++;
    }
    return true;
}

// The members of `claims` named in `names` (top-level; absent and empty names skipped), deep
// copies; a null Json when none is present. Throws std::bad_alloc.
Json pick_claims(const json_t *claims, const ea_str_t *names, size_t n)
{
    Json picked(json_object());
    if (!picked) {
        throw std::bad_alloc();
    }
    for (size_t i = 0; i < n; i++) {
        const ea_str_t &name = names[i];
        if (!valid_str(name) || name.len == 0) {
            continue;
        }
        const json_t *v = json_object_getn(claims, name.data, name.len);
        if (!v) {
            continue;
        }
        json_t *copy = json_deep_copy(v);
        if (!copy || json_object_setn_new(picked.get(), name.data, name.len, copy) != 0) {
            throw std::bad_alloc();
        }
    }
    if (json_object_size(picked.get()) == 0) {
        return Json();
    }
    return picked;
}

bool names_sid(const ea_str_t *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (valid_str(names[i]) && to_view(names[i]) == "sid") {
            return true;
        }
    }
    return false;
}

// A string claim of a verified token equal to `expected`.
bool claim_is(const json_t *claims, const char *name, const std::string &expected)
{
    const json_t *v = json_object_get(claims, name);
    return json_is_string(v) && json_string_view(v) == expected;
}

ea_session_t *finish_session(Session &&s, char *err, size_t err_len)
{
    std::string why;
    if (!check_session(s, why)) {
        set_message(err, err_len, why.c_str());
        return nullptr;
    }
    std::shared_ptr<const Session> doc = std::make_shared<const Session>(std::move(s));
    return new ea_session_s{std::move(doc)};
}

// The request's chunks as the core reads them; false when an entry has a NULL pointer with a
// length.
bool read_chunks(const ea_session_cookies_t &cookies, CookieChunks &out)
{
    out.present = cookies.present & ((1u << kMaxChunks) - 1);
    for (size_t i = 0; i < kMaxChunks; i++) {
        if (!valid_str(cookies.chunks[i])) {
            return false;
        }
        out.values[i] = to_view(cookies.chunks[i]);
    }
    return true;
}

} // namespace

extern "C" {

const char *ea_session_reason(ea_session_status_t status)
{
    return session_status_reason(static_cast<SessionStatus>(status));
}

// ---- keys ------------------------------------------------------------------------------------

ea_session_keys_t *ea_session_keys_load(const char *data, size_t len, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (!data && len) {
        set_message(err, err_len, "invalid arguments");
        return nullptr;
    }
    try {
        std::string e;
        std::unique_ptr<SessionKeys> k = SessionKeys::load(std::string_view(data ? data : "", len), e);
        if (!k) {
            set_message(err, err_len, e.c_str());
            return nullptr;
        }
        auto *out = new ea_session_keys_s();
        out->keys = std::move(k);
        return out;
    } catch (...) {
        set_message(err, err_len, "internal error (out of memory?)");
        return nullptr;
    }
}

size_t ea_session_keys_count(const ea_session_keys_t *keys)
{
    return keys && keys->keys ? keys->keys->size() : 0;
}

int ea_session_keys_id(const ea_session_keys_t *keys, size_t index, char hex[9])
{
    if (!keys || !keys->keys || !hex || index >= keys->keys->size()) {
        return -1;
    }
    try {
        std::string h = key_id_hex(keys->keys->at(index).kid);
        std::memcpy(hex, h.c_str(), 9);
        return 0;
    } catch (...) {
        return -1;
    }
}

void ea_session_keys_free(ea_session_keys_t *keys)
{
    delete keys;
}

// ---- configuration ---------------------------------------------------------------------------

void ea_session_conf_init(ea_session_conf_t *conf)
{
    if (!conf) {
        return;
    }
    std::memset(conf, 0, sizeof(*conf));
    SessionConfig defaults;
    conf->absolute_timeout = defaults.absolute_timeout;
    conf->idle_timeout = defaults.idle_timeout;
}

ea_sealer_t *ea_sealer_create(const ea_session_conf_t *conf, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (!conf || !valid_str(conf->provider) || !valid_str(conf->cookie_name) || !valid_str(conf->realm)) {
        set_message(err, err_len, "invalid arguments");
        return nullptr;
    }
    try {
        SessionConfig sc;
        sc.provider = to_string(conf->provider);
        sc.cookie_name = to_string(conf->cookie_name);
        sc.realm = to_string(conf->realm);
        sc.absolute_timeout = conf->absolute_timeout;
        sc.idle_timeout = conf->idle_timeout;
        std::string e;
        std::unique_ptr<SessionSealer> s = SessionSealer::create(sc, e);
        if (!s) {
            set_message(err, err_len, e.c_str());
            return nullptr;
        }
        auto *out = new ea_sealer_s();
        out->sealer = std::move(s);
        return out;
    } catch (...) {
        set_message(err, err_len, "internal error (out of memory?)");
        return nullptr;
    }
}

void ea_sealer_free(ea_sealer_t *sealer)
{
    delete sealer;
}

// ---- reading a request -----------------------------------------------------------------------

ea_session_status_t ea_session_cookies_find(const ea_sealer_t *sealer, const ea_str_t *headers, size_t n_headers,
    ea_session_cookies_t *out, char *detail, size_t detail_len)
{
    Detail d(detail, detail_len);
    if (out) {
        std::memset(out, 0, sizeof(*out));
    }
    try {
        Views hv;
        if (!sealer || !sealer->sealer || !out || !hv.fill(headers, n_headers)) {
            d.text("invalid arguments");
            return EA_SESSION_ERR_INTERNAL;
        }
        CookieChunks chunks;
        SessionStatus s = find_chunks(hv.data, n_headers, sealer->sealer->config().cookie_name, chunks, d,
            sealer->sealer->flow_prefix());
        out->present = chunks.present;
        out->counted = chunks.counted ? 1 : 0;
        out->module_cookies = chunks.module_cookies;
        out->other_cookies = chunks.other_cookies;
        for (size_t i = 0; i < kMaxChunks; i++) {
            out->chunks[i].data = chunks.values[i].data();
            out->chunks[i].len = chunks.values[i].size();
        }
        return static_cast<ea_session_status_t>(s);
    } catch (...) {
        d.clear();
        d.text("internal error");
        return EA_SESSION_ERR_INTERNAL;
    }
}

ea_session_status_t ea_session_open(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_session_cookies_t *cookies, int64_t now, ea_session_t **out, char *detail, size_t detail_len)
{
    if (out) {
        *out = nullptr;
    }
    Detail d(detail, detail_len);
    if (!sealer || !sealer->sealer || !keys || !keys->keys || !cookies || !out) {
        d.text("invalid arguments");
        return EA_SESSION_ERR_INTERNAL;
    }
    try {
        CookieChunks chunks;
        if (!read_chunks(*cookies, chunks)) {
            d.text("invalid arguments");
            return EA_SESSION_ERR_INTERNAL;
        }
        Session s;
        SessionStatus st = open_session(*sealer->sealer, *keys->keys, chunks, now, s, d);
        if (st != SessionStatus::Ok) {
            return static_cast<ea_session_status_t>(st);
        }
        std::shared_ptr<const Session> doc = std::make_shared<const Session>(std::move(s));
        *out = new ea_session_s{std::move(doc)};
        return EA_SESSION_OK;
    } catch (...) {
        d.clear();
        d.text("internal error");
        return EA_SESSION_ERR_INTERNAL;
    }
}

void ea_session_free(ea_session_t *session)
{
    delete session;
}

// ---- the opened-session cache ----------------------------------------------------------------

ea_session_cache_t *ea_session_cache_new(size_t capacity)
{
    return new (std::nothrow) ea_session_cache_s(capacity);
}

void ea_session_cache_free(ea_session_cache_t *cache)
{
    delete cache;
}

ea_session_status_t ea_session_open_cached(ea_session_cache_t *cache, const ea_sealer_t *sealer,
    const ea_session_keys_t *keys, const ea_session_cookies_t *cookies, int64_t now, ea_session_t **out,
    char *detail, size_t detail_len)
{
    if (!cache) {
        return ea_session_open(sealer, keys, cookies, now, out, detail, detail_len);
    }
    if (out) {
        *out = nullptr;
    }
    Detail d(detail, detail_len);
    if (!sealer || !sealer->sealer || !keys || !keys->keys || !cookies || !out) {
        d.text("invalid arguments");
        return EA_SESSION_ERR_INTERNAL;
    }
    try {
        CookieChunks chunks;
        if (!read_chunks(*cookies, chunks)) {
            d.text("invalid arguments");
            return EA_SESSION_ERR_INTERNAL;
        }
        std::shared_ptr<const Session> doc;
        SessionStatus st = cache->cache.open(*sealer->sealer, sealer->id, *keys->keys, keys->id, chunks, now, doc, d);
        if (st != SessionStatus::Ok) {
            return static_cast<ea_session_status_t>(st);
        }
        // The request's own handle on the shared session: a re-seal replaces the handle's
        // document (ea_session_reseal), never the entry's.
        *out = new ea_session_s{std::move(doc)};
        return EA_SESSION_OK;
    } catch (...) {
        d.clear();
        d.text("internal error");
        return EA_SESSION_ERR_INTERNAL;
    }
}

// ---- reading a session -----------------------------------------------------------------------

int ea_session_get(const ea_session_t *session, ea_session_field_t field, ea_str_t *out)
{
    if (!session || !out) {
        return 0;
    }
    const Session &s = *session->doc;
    const std::string *v = nullptr;
    switch (field) {
    case EA_SESSION_ID:
        v = &s.sid;
        break;
    case EA_SESSION_SUB:
        v = &s.sub;
        break;
    case EA_SESSION_ISS:
        v = &s.iss;
        break;
    case EA_SESSION_ACCESS_TOKEN:
        v = &s.access_token;
        break;
    case EA_SESSION_REFRESH_TOKEN:
        v = &s.refresh_token;
        break;
    case EA_SESSION_ID_TOKEN:
        v = &s.id_token;
        break;
    }
    if (!v || v->empty()) {
        out->data = "";
        out->len = 0;
        return 0;
    }
    out->data = v->data();
    out->len = v->size();
    return 1;
}

void ea_session_times(const ea_session_t *session, ea_session_times_t *out)
{
    if (!out) {
        return;
    }
    std::memset(out, 0, sizeof(*out));
    if (!session) {
        return;
    }
    const Session &s = *session->doc;
    out->issued_at = s.issued_at;
    out->last_seen = s.last_seen;
    out->expires = s.expires;
    out->access_token_expires = s.access_token_expires;
}

int ea_session_claim(const ea_session_t *session, const ea_str_t *path, size_t depth, ea_alloc_fn alloc,
    void *alloc_ctx, ea_str_t *out)
{
    if (!session || !alloc || !out || (depth && !path)) {
        return -1;
    }
    try {
        const Json &claims = session->doc->claims;
        if (!claims) {
            return 0;
        }
        Views names;
        if (!names.fill(path, depth)) {
            return 0;
        }
        const json_t *v = find_member(claims.get(), names.data, depth);
        if (!v) {
            return 0;
        }
        std::string text;
        render_value(v, text);
        return hand_out(text, alloc, alloc_ctx, out) ? 1 : -1;
    } catch (...) {
        return -1;
    }
}

int ea_session_json(const ea_session_t *session, ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out)
{
    if (!session || !alloc || !out) {
        return -1;
    }
    try {
        std::string text;
        append_escaped_controls(session_to_json(*session->doc), text);
        return hand_out(text, alloc, alloc_ctx, out) ? 1 : -1;
    } catch (...) {
        return -1;
    }
}

// ---- making a session ------------------------------------------------------------------------

ea_session_t *ea_session_create(const ea_sealer_t *sealer, const ea_session_init_t *init, int64_t now, char *err,
    size_t err_len)
{
    set_message(err, err_len, "");
    if (!sealer || !sealer->sealer || !init || !valid_str(init->sub) || !valid_str(init->iss)
        || !valid_str(init->access_token) || !valid_str(init->refresh_token) || !valid_str(init->id_token)
        || (init->n_claim_names && !init->claim_names)) {
        set_message(err, err_len, "invalid arguments");
        return nullptr;
    }
    try {
        Session s;
        if (!new_session_id(s.sid)) {
            set_message(err, err_len, "the random number generator failed");
            return nullptr;
        }
        s.sub = to_string(init->sub);
        s.iss = to_string(init->iss);
        s.issued_at = now;
        s.last_seen = now;
        s.expires = now + sealer->sealer->config().absolute_timeout;
        s.access_token = to_string(init->access_token);
        s.access_token_expires = init->access_token_expires;
        s.refresh_token = to_string(init->refresh_token);
        s.id_token = to_string(init->id_token);
        if (init->claims_from && init->claims_from->token && init->n_claim_names) {
            s.claims = pick_claims(init->claims_from->token->claims_json(), init->claim_names, init->n_claim_names);
        }
        return finish_session(std::move(s), err, err_len);
    } catch (...) {
        set_message(err, err_len, "internal error (out of memory?)");
        return nullptr;
    }
}

ea_session_t *ea_session_from_json(const ea_sealer_t *sealer, const char *json, size_t len, int64_t now, char *err,
    size_t err_len)
{
    set_message(err, err_len, "");
    if (!sealer || !sealer->sealer || (!json && len)) {
        set_message(err, err_len, "invalid arguments");
        return nullptr;
    }
    try {
        Session s;
        std::string e;
        if (!session_from_json(*sealer->sealer, std::string_view(json ? json : "", len), now, s, e)) {
            set_message(err, err_len, e.c_str());
            return nullptr;
        }
        return finish_session(std::move(s), err, err_len);
    } catch (...) {
        set_message(err, err_len, "internal error (out of memory?)");
        return nullptr;
    }
}

// ---- writing cookies -------------------------------------------------------------------------

ea_session_status_t ea_session_seal(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    const ea_session_t *session, unsigned present, ea_alloc_fn alloc, void *alloc_ctx, ea_cookie_set_t *out,
    char *detail, size_t detail_len)
{
    Detail d(detail, detail_len);
    if (out) {
        std::memset(out, 0, sizeof(*out));
    }
    if (!sealer || !sealer->sealer || !keys || !keys->keys || !session || !alloc || !out) {
        d.text("invalid arguments");
        return EA_SESSION_ERR_INTERNAL;
    }
    try {
        std::vector<std::string> values;
        SessionStatus st = seal_session(*sealer->sealer, *keys->keys, *session->doc, values, d);
        if (st != SessionStatus::Ok) {
            return static_cast<ea_session_status_t>(st);
        }
        const std::string &name = sealer->sealer->config().cookie_name;
        for (size_t i = 0; i < values.size(); i++) {
            ea_cookie_t &c = out->cookies[out->n];
            if (!hand_out(chunk_name(name, i), alloc, alloc_ctx, &c.name)
                || !hand_out(values[i], alloc, alloc_ctx, &c.value)) {
                throw std::bad_alloc();
            }
            c.remove = 0;
            out->n++;
        }
        if (!add_removals(name, present, values.size(), alloc, alloc_ctx, out)) {
            throw std::bad_alloc();
        }
        return EA_SESSION_OK;
    } catch (...) {
        std::memset(out, 0, sizeof(*out));
        d.clear();
        d.text("internal error (out of memory?)");
        return EA_SESSION_ERR_INTERNAL;
    }
}

ea_session_status_t ea_session_reseal(const ea_sealer_t *sealer, const ea_session_keys_t *keys,
    ea_session_t *session, int64_t now, unsigned present, ea_alloc_fn alloc, void *alloc_ctx, ea_cookie_set_t *out,
    char *detail, size_t detail_len)
{
    if (session && now > session->doc->last_seen) {
        // Copy on write: the document may be shared with the opened-session cache and with
        // other requests (facade_internal.h). Once a minute at most per session (reseal_due).
        try {
            std::shared_ptr<Session> mine = std::make_shared<Session>(copy_session(*session->doc));
            mine->last_seen = now;
            session->doc = std::move(mine);
        } catch (...) {
            Detail d(detail, detail_len);
            if (out) {
                std::memset(out, 0, sizeof(*out));
            }
            d.text("internal error (out of memory?)");
            return EA_SESSION_ERR_INTERNAL;
        }
    }
    return ea_session_seal(sealer, keys, session, present, alloc, alloc_ctx, out, detail, detail_len);
}

int ea_session_reseal_due(const ea_sealer_t *sealer, const ea_session_t *session, int64_t now)
{
    if (!sealer || !sealer->sealer || !session) {
        return 0;
    }
    return reseal_due(*sealer->sealer, *session->doc, now) ? 1 : 0;
}

int ea_session_clear(const ea_sealer_t *sealer, unsigned present, ea_alloc_fn alloc, void *alloc_ctx,
    ea_cookie_set_t *out)
{
    if (out) {
        std::memset(out, 0, sizeof(*out));
    }
    if (!sealer || !sealer->sealer || !alloc || !out) {
        return -1;
    }
    try {
        if (!add_removals(sealer->sealer->config().cookie_name, present, 0, alloc, alloc_ctx, out)) {
            std::memset(out, 0, sizeof(*out));
            return -1;
        }
        return 0;
    } catch (...) {
        std::memset(out, 0, sizeof(*out));
        return -1;
    }
}

int ea_cookie_strip(const ea_str_t *headers, size_t n_headers, const ea_str_t *names, size_t n_names,
    const ea_str_t *prefixes, size_t n_prefixes, ea_alloc_fn alloc, void *alloc_ctx, ea_str_t *out)
{
    if (!alloc || !out) {
        return -1;
    }
    try {
        Views hv, nv, pv;
        if (!hv.fill(headers, n_headers) || !nv.fill(names, n_names) || !pv.fill(prefixes, n_prefixes)) {
            return -1;
        }
        std::string kept;
        size_t removed = strip_cookies(hv.data, n_headers, nv.data, n_names, pv.data, n_prefixes, kept);
        if (removed == 0) {
            return 0;
        }
        if (!hand_out(kept, alloc, alloc_ctx, out)) {
            return -1;
        }
        return removed > 0x7fffffff ? 0x7fffffff : static_cast<int>(removed);
    } catch (...) {
        return -1;
    }
}

// ---- token refresh ---------------------------------------------------------------------------

int ea_session_refresh_due(const ea_session_t *session, int64_t now, int64_t margin)
{
    if (!session) {
        return 0;
    }
    const Session &s = *session->doc;
    if (s.refresh_token.empty() || s.access_token_expires == 0) {
        return 0;
    }
    int64_t horizon;
    // A negative margin counts as 0: a token is never used past its expiry.
    if (__builtin_add_overflow(now, margin > 0 ? margin : 0, &horizon)) {
        return 1;
    }
    return s.access_token_expires <= horizon ? 1 : 0;
}

ea_session_t *ea_session_refreshed(const ea_sealer_t *sealer, const ea_session_t *session,
    const ea_oidc_tokens_t *tokens, const ea_token_t *id_token_claims, const ea_str_t *claim_names,
    size_t n_claim_names, int64_t now, char *err, size_t err_len)
{
    set_message(err, err_len, "");
    if (!sealer || !sealer->sealer || !session || !tokens || !valid_str(tokens->access_token)
        || !valid_str(tokens->refresh_token) || !valid_str(tokens->id_token)
        || (n_claim_names && !claim_names) || (id_token_claims && !id_token_claims->token)) {
        set_message(err, err_len, "invalid arguments");
        return nullptr;
    }
    try {
        const Session &old = *session->doc;
        // Stricter: a refresh never revives a session that is over (expired or idle).
        char over[160];
        Detail d(over, sizeof(over));
        if (check_session_times(sealer->sealer->config(), old, now, d) != SessionStatus::Ok) {
            set_message(err, err_len, (std::string("the session is over: ") + d.c_str()).c_str());
            return nullptr;
        }
        // Stricter: a refresh response always carries an access token (RFC 6749 §5.1).
        if (tokens->access_token.len == 0) {
            set_message(err, err_len, "the refresh response has no access token");
            return nullptr;
        }
        int64_t at_exp = 0;
        if (tokens->expires_in < 0
            || (tokens->expires_in > 0 && __builtin_add_overflow(now, tokens->expires_in, &at_exp))) {
            set_message(err, err_len, "expires_in is not a usable number of seconds");
            return nullptr;
        }
        Session s = copy_session(old);
        s.last_seen = now;
        s.access_token = to_string(tokens->access_token);
        s.access_token_expires = at_exp;
        if (tokens->refresh_token.len) {
            s.refresh_token = to_string(tokens->refresh_token);
        }
        if (tokens->id_token.len) {
            s.id_token = to_string(tokens->id_token);
        }
        if (id_token_claims) {
            const json_t *claims = id_token_claims->token->claims_json();
            // Stricter: the claims must describe this session's user at this session's issuer.
            if (!claim_is(claims, "sub", old.sub) || !claim_is(claims, "iss", old.iss)) {
                set_message(err, err_len, "the ID token's sub or iss is not the session's");
                return nullptr;
            }
            Json picked = pick_claims(claims, claim_names, n_claim_names);
            const json_t *old_sid = old.claims ? json_object_get(old.claims.get(), "sid") : nullptr;
            if (old_sid && names_sid(claim_names, n_claim_names)) {
                const json_t *new_sid = picked ? json_object_get(picked.get(), "sid") : nullptr;
                // Stricter: another provider session is not this login's.
                if (new_sid && !json_equal(new_sid, old_sid)) {
                    set_message(err, err_len, "the provider session id (sid) changed");
                    return nullptr;
                }
                if (!new_sid) {
                    if (!picked) {
                        picked = Json(json_object());
                    }
                    json_t *copy = picked ? json_deep_copy(old_sid) : nullptr;
                    if (!copy || json_object_set_new(picked.get(), "sid", copy) != 0) {
                        throw std::bad_alloc();
                    }
                }
            }
            s.claims = std::move(picked);
        }
        return finish_session(std::move(s), err, err_len);
    } catch (...) {
        set_message(err, err_len, "internal error (out of memory?)");
        return nullptr;
    }
}

} // extern "C"
