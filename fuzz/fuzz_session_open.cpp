/*
 * fuzz_session_open.cpp: libFuzzer target for the session cookie path: finding the session's
 * cookies in Cookie headers (ea_session_cookies_find), opening them (ea_session_open), reading
 * an opened session, re-sealing it, and stripping the module's cookies (ea_cookie_strip).
 *
 * Input: the first byte picks the mode.
 *   'P'  the rest is a session document: it is sealed with the fuzz key exactly as the module
 *        would seal it, then opened, so mutations reach the document checks behind the AEAD
 *        (which a mutated cookie alone almost never passes).
 *   else the rest is Cookie header values, one per line ('\n' separates headers).
 *
 * Seeds (fuzz/seeds/fuzz_session_open/) were made with `edge-auth seal --now 1700000000
 * --provider fuzz --cookie __Host-s` and the two secrets below in a key file (KEY_FILE); any
 * change to the secrets, provider or cookie name means new seeds.
 */

#include "fuzz_common.h"

#include "base64url.h"
#include "seal.h"
#include "session_keys.h"

#include <cstdint>

namespace {

const char KEY_FILE[] =
    "# fuzzing only\n"
    "Jdq6h8gMGzUlXBeB7UeYmLxAMPjwI_N8bZTbNz_4Wxs\n"
    "LHxs63QQBN3xSDNl6K-l_GgdaDGs0RUUyAwU7Ivrb-k  # older\n";
const char PROVIDER[] = "fuzz";
const char COOKIE[] = "__Host-s";
const char FLOW_PREFIX[] = "__Host-s_flow_";
const int64_t NOW = 1700000000;

ea_session_keys_t *g_keys;
ea_sealer_t *g_sealer;
std::unique_ptr<edge_auth::SessionKeys> g_internal_keys;
std::string g_context;

ea_str_t str(const char *s)
{
    return ea_str_t{s, std::strlen(s)};
}

void check_detail(const char *what, const char *buf, size_t cap)
{
    fuzz::check_message(what, buf, cap);
}

void check_status(ea_session_status_t rc)
{
    if (static_cast<unsigned>(rc) >= EA_SESSION_STATUS_COUNT) {
        fuzz::violation("session status out of range", "", 0);
    }
    const char *reason = ea_session_reason(rc);
    if (reason == nullptr || *reason == '\0') {
        fuzz::violation("ea_session_reason gave no reason", "", 0);
    }
}

void check_claim(const ea_session_t *s, std::vector<ea_str_t> path)
{
    fuzz::Arena arena;
    ea_str_t out = {nullptr, 0};
    int rc = ea_session_claim(s, path.data(), path.size(), fuzz::Arena::alloc, &arena, &out);
    if (rc != 0 && rc != 1) {
        fuzz::violation("ea_session_claim returned neither 0 nor 1", "", 0);
    }
    if (rc == 1) {
        fuzz::check_no_controls("ea_session_claim output", out.data, out.len);
    }
}

/* Everything the glue reads from an opened session, then a re-seal that must open again. */
void exercise(ea_session_t *s)
{
    ea_str_t v;
    for (int f = EA_SESSION_ID; f <= EA_SESSION_ID_TOKEN; f++) {
        if (ea_session_get(s, static_cast<ea_session_field_t>(f), &v) == 1) {
            if (v.len == 0) {
                fuzz::violation("ea_session_get: present but empty", "", 0);
            }
            fuzz::check_no_controls("ea_session_get output", v.data, v.len);
        }
    }
    ea_session_times_t t;
    ea_session_times(s, &t);
    if (!(t.issued_at <= t.last_seen && t.issued_at < t.expires && NOW < t.expires)) {
        fuzz::violation("opened session with impossible times", "", 0);
    }
    check_claim(s, {str("email")});
    check_claim(s, {str("groups")});
    check_claim(s, {str("a"), str("b")});
    fuzz::Arena arena;
    ea_str_t json;
    if (ea_session_json(s, fuzz::Arena::alloc, &arena, &json) != 1) {
        fuzz::violation("ea_session_json failed", "", 0);
    }
    fuzz::check_no_controls("ea_session_json output", json.data, json.len);

    ea_str_t sid;
    ea_session_get(s, EA_SESSION_ID, &sid);
    std::string id(sid.data, sid.len);
    ea_cookie_set_t set;
    char detail[128];
    ea_session_status_t rc = ea_session_reseal(g_sealer, g_keys, s, NOW + 60, 0xff, fuzz::Arena::alloc, &arena, &set,
                                               detail, sizeof(detail));
    check_status(rc);
    if (rc != EA_SESSION_OK) {
        /* A document that fits 12 KiB of fuzz input always fits 8 cookies. */
        fuzz::violation("re-seal of an opened session failed", detail, std::strlen(detail));
    }
    std::string header;
    size_t kept = 0;
    for (size_t i = 0; i < set.n; i++) {
        const ea_cookie_t &c = set.cookies[i];
        fuzz::check_no_controls("Set-Cookie name", c.name.data, c.name.len);
        fuzz::check_no_controls("Set-Cookie value", c.value.data, c.value.len);
        if (c.name.len + 1 + c.value.len > 4000) {
            fuzz::violation("a cookie over 4000 bytes", c.name.data, c.name.len);
        }
        if (!c.remove) {
            kept++;
            header += (header.empty() ? "" : "; ") + std::string(c.name.data, c.name.len) + "="
                + std::string(c.value.data, c.value.len);
        }
    }
    if (kept == 0 || set.n != 8) {
        fuzz::violation("re-seal did not set the cookies and expire the rest", "", 0);
    }
    ea_str_t h = {header.data(), header.size()};
    ea_session_cookies_t jar;
    ea_session_t *again = nullptr;
    rc = ea_session_cookies_find(g_sealer, &h, 1, &jar, detail, sizeof(detail));
    if (rc == EA_SESSION_OK) {
        /* At NOW: the session may expire before NOW + 60. */
        rc = ea_session_open(g_sealer, g_keys, &jar, NOW, &again, detail, sizeof(detail));
    }
    if (rc != EA_SESSION_OK) {
        fuzz::violation("a re-sealed session does not open", detail, std::strlen(detail));
    }
    ea_session_get(again, EA_SESSION_ID, &sid);
    if (std::string(sid.data, sid.len) != id) {
        fuzz::violation("re-seal changed the session id", sid.data, sid.len);
    }
    ea_session_free(again);
}

void open_and_check(const ea_session_cookies_t &jar)
{
    const size_t detail_len = 96;
    std::unique_ptr<char[]> detail(new char[detail_len]);
    std::memset(detail.get(), 'X', detail_len);
    ea_session_t *s = reinterpret_cast<ea_session_t *>(0x1);
    ea_session_status_t rc = ea_session_open(g_sealer, g_keys, &jar, NOW, &s, detail.get(), detail_len);
    check_status(rc);
    check_detail("ea_session_open detail", detail.get(), detail_len);
    if ((rc == EA_SESSION_OK) != (s != nullptr)) {
        fuzz::violation("ea_session_open: status and session disagree", "", 0);
    }
    if (s != nullptr) {
        exercise(s);
        ea_session_free(s);
    }
}

void cookie_mode(const char *data, size_t size)
{
    std::vector<ea_str_t> headers;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            headers.push_back(ea_str_t{data + start, i - start});
            start = i + 1;
        }
    }
    const size_t detail_len = 96;
    std::unique_ptr<char[]> detail(new char[detail_len]);
    std::memset(detail.get(), 'X', detail_len);
    ea_session_cookies_t jar;
    ea_session_status_t rc =
        ea_session_cookies_find(g_sealer, headers.data(), headers.size(), &jar, detail.get(), detail_len);
    check_status(rc);
    check_detail("ea_session_cookies_find detail", detail.get(), detail_len);
    if (jar.present > 0xff) {
        fuzz::violation("present has bits beyond 8 chunks", "", 0);
    }
    for (size_t i = 0; i < EA_SESSION_MAX_CHUNKS; i++) {
        const ea_str_t &c = jar.chunks[i];
        bool inside = false;
        for (const ea_str_t &h : headers) {
            inside = inside || (c.data >= h.data && c.data + c.len <= h.data + h.len);
        }
        if (c.len && (!inside || rc != EA_SESSION_OK)) {
            fuzz::violation("a chunk view outside the headers, or left set on failure", "", 0);
        }
    }
    if (rc == EA_SESSION_OK) {
        open_and_check(jar);
    }

    /* The upstream Cookie header: none of the module's cookies may survive. */
    fuzz::Arena arena;
    ea_str_t names[] = {str(COOKIE)}, prefixes[] = {str(FLOW_PREFIX)};
    ea_str_t out = {nullptr, 0};
    int removed = ea_cookie_strip(headers.data(), headers.size(), names, 1, prefixes, 1, fuzz::Arena::alloc, &arena,
                                  &out);
    if (removed < 0) {
        fuzz::violation("ea_cookie_strip failed", "", 0);
    }
    /* The counts the request path relies on to skip the strip must predict it exactly. */
    if (jar.counted) {
        if (static_cast<size_t>(removed) != jar.module_cookies) {
            fuzz::violation("module_cookies differs from what ea_cookie_strip removed", data, size);
        }
        if (removed > 0 && (out.len == 0) != (jar.other_cookies == 0)) {
            fuzz::violation("other_cookies disagrees with what ea_cookie_strip kept", data, size);
        }
    } else if (rc != EA_SESSION_ERR_TOO_LARGE) {
        fuzz::violation("headers left uncounted without being too large", data, size);
    }
    if (removed > 0) {
        if (out.data == nullptr && out.len) {
            fuzz::violation("ea_cookie_strip: NULL data with a length", "", 0);
        }
        ea_session_cookies_t left;
        char d[64];
        ea_session_status_t again = ea_session_cookies_find(g_sealer, &out, 1, &left, d, sizeof(d));
        if (again != EA_SESSION_ERR_NONE) {
            fuzz::violation("a session cookie survived ea_cookie_strip", out.data, out.len);
        }
        ea_str_t none = {nullptr, 0};
        fuzz::Arena arena2;
        if (ea_cookie_strip(&out, 1, names, 1, prefixes, 1, fuzz::Arena::alloc, &arena2, &none) != 0) {
            fuzz::violation("ea_cookie_strip is not idempotent", out.data, out.len);
        }
    } else if (rc != EA_SESSION_ERR_NONE && rc != EA_SESSION_ERR_TOO_LARGE) {
        fuzz::violation("found session cookies that strip does not remove", data, size);
    }
}

void plaintext_mode(const char *data, size_t size)
{
    std::string sealed;
    if (!edge_auth::seal_value(g_internal_keys->sealing(), edge_auth::KeyPurpose::Session, 1, g_context,
                               std::string_view(data, size), sealed)) {
        return;
    }
    std::string value = edge_auth::base64url_encode(sealed);
    if (value.size() > 4096) {
        return;   /* one cookie cannot carry it; chunking is the cookie mode's business */
    }
    ea_session_cookies_t jar;
    std::memset(&jar, 0, sizeof(jar));
    jar.chunks[0] = ea_str_t{value.data(), value.size()};
    jar.present = 1;
    open_and_check(jar);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    char err[256] = "";
    g_keys = ea_session_keys_load(KEY_FILE, std::strlen(KEY_FILE), err, sizeof(err));
    ea_session_conf_t conf;
    ea_session_conf_init(&conf);
    conf.provider = str(PROVIDER);
    conf.cookie_name = str(COOKIE);
    conf.idle_timeout = 1800;
    g_sealer = g_keys ? ea_sealer_create(&conf, err, sizeof(err)) : nullptr;
    std::string e;
    g_internal_keys = edge_auth::SessionKeys::load(KEY_FILE, e);
    if (g_keys == nullptr || g_sealer == nullptr || !g_internal_keys) {
        std::fprintf(stderr, "fuzz_session_open: setup: %s%s\n", err, e.c_str());
        std::abort();
    }
    g_context = edge_auth::seal_context({PROVIDER, COOKIE, ""});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const char *text = reinterpret_cast<const char *>(data) + 1;
    if (data[0] == 'P') {
        plaintext_mode(text, size - 1);
    } else {
        cookie_mode(text, size - 1);
    }
    return 0;
}
