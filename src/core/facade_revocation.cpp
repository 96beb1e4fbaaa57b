// The "Logout and revocation" part of the extern "C" surface of edge_auth.h. Like the other facade
// files, every entry point catches everything and fails closed (-1 / NULL / internal / "revoked"),
// and leaves its outputs empty (zeroed) on every failure.
//
// Choices where the header leaves room (the stricter reading each time):
//   - ea_revocation_make also refuses (-1) a kind other than the three, times outside
//     0..253402300799 and revoked_at > expires: every record it makes can go through the journal.
//   - ea_revocation_set_build returns NULL for records == NULL with n > 0 (a caller bug); with
//     n == 0 it is an empty set. Only `expires <= now` drops a record; a record with odd times
//     still revokes.
//   - ea_revocation_check: -1 (treat as revoked) for a NULL or empty provider, a NULL set or
//     session, and a stored "sid" claim that is present but not a non-empty string. *kind, when
//     given, is EA_REVOKE_SESSION unless 1 says otherwise, so it is never left unset.
//   - ea_revocation_format returns 0 (nothing written) unless the line and a terminating NUL fit
//     in buf_len, or when the record breaks the journal's rules (ea_revocation_parse would refuse
//     the line); buf then holds "" when buf_len > 0.
//   - ea_logout_token_verify: an 8 KiB token cap; typ, when present, exactly "logout+jwt"
//     (token_type otherwise); max_age not widened by the leeway; sid, sub and jti at most 1024
//     bytes without control bytes, and a present sid or sub in any other form is refused even
//     when the other one is fine; `out` and `alloc` are required; an empty issuer or client id
//     and a negative max_age are invalid (internal).

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>

// The library is compiled with -fvisibility=hidden; only the declarations of the public header
// are exported.
#pragma GCC visibility push(default)
#include "edge_auth.h"
#pragma GCC visibility pop

#include "facade_internal.h"
#include "logout_token.h"
#include "revocation.h"
#include "status.h"

using namespace edge_auth;

static_assert(sizeof(ea_revocation_t) == 48, "a revocation record is 48 bytes");
static_assert(sizeof(ea_revocation_t::key) == kRevocationKeyBytes, "the record key is a SHA-256");
static_assert(kRevocationLineMax + 1 <= EA_REVOCATION_LINE_MAX, "a journal line and its NUL fit the C buffer");
static_assert(static_cast<int>(RevokeKind::Session) == EA_REVOKE_SESSION, "revoke kinds match");
static_assert(static_cast<int>(RevokeKind::Sid) == EA_REVOKE_SID, "revoke kinds match");
static_assert(static_cast<int>(RevokeKind::Sub) == EA_REVOKE_SUB, "revoke kinds match");

struct ea_revocation_set_s {
    RevocationSet set;
};

namespace {

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

void clear_logout_claims(ea_logout_claims_t *out)
{
    std::memset(out, 0, sizeof(*out));
    clear_str(out->sid);
    clear_str(out->sub);
    clear_str(out->jti);
}

Revocation from_c(const ea_revocation_t &r)
{
    Revocation out;
    std::memcpy(out.key.data(), r.key, kRevocationKeyBytes);
    out.revoked_at = r.revoked_at;
    out.expires = r.expires;
    return out;
}

void to_c(const Revocation &r, ea_revocation_t *out)
{
    std::memcpy(out->key, r.key.data(), kRevocationKeyBytes);
    out->revoked_at = r.revoked_at;
    out->expires = r.expires;
}

} // namespace

extern "C" {

// ---- revocation records ----------------------------------------------------------------------

int ea_revocation_make(ea_revoke_kind_t kind, const ea_str_t *provider, const ea_str_t *value, int64_t revoked_at,
    int64_t expires, ea_revocation_t *out)
{
    if (out) {
        std::memset(out, 0, sizeof(*out));
    }
    if (!valid_ptr(provider) || !valid_ptr(value) || !out) {
        return -1;
    }
    // Read as the integer the C caller passed (any int is a valid C enum value, not a C++ one),
    // and checked before the cast: RevokeKind is one byte wide, and 257 must not become 1.
    std::underlying_type_t<ea_revoke_kind_t> k;
    static_assert(sizeof(k) == sizeof(kind), "an enum is read as its underlying type");
    std::memcpy(&k, &kind, sizeof(k));
    if (k != EA_REVOKE_SESSION && k != EA_REVOKE_SID && k != EA_REVOKE_SUB) {
        return -1;
    }
    try {
        Revocation r;
        if (!make_revocation(static_cast<RevokeKind>(k), to_view(*provider), to_view(*value), revoked_at, expires,
                r)) {
            return -1;
        }
        to_c(r, out);
        return 0;
    } catch (...) {
        std::memset(out, 0, sizeof(*out));
        return -1;
    }
}

ea_revocation_set_t *ea_revocation_set_build(const ea_revocation_t *records, size_t n, int64_t now)
{
    if (!records && n) {
        return nullptr;
    }
    try {
        std::unique_ptr<ea_revocation_set_s> s(new ea_revocation_set_s());
        for (size_t i = 0; i < n; i++) {
            s->set.add_record(from_c(records[i]), now);
        }
        return s.release();
    } catch (...) {
        return nullptr;
    }
}

void ea_revocation_set_free(ea_revocation_set_t *set)
{
    delete set;
}

size_t ea_revocation_set_size(const ea_revocation_set_t *set)
{
    return set ? set->set.size() : 0;
}

int ea_revocation_check(const ea_revocation_set_t *set, const ea_str_t *provider, const ea_session_t *session,
    ea_revoke_kind_t *kind)
{
    if (kind) {
        *kind = EA_REVOKE_SESSION;
    }
    if (!set || !valid_ptr(provider) || provider->len == 0 || !session || !session->doc) {
        return -1;
    }
    try {
        RevokeKind by = RevokeKind::Session;
        switch (set->set.check(to_view(*provider), *session->doc, by)) {
        case RevocationCheck::NotRevoked:
            return 0;
        case RevocationCheck::Revoked:
            if (kind) {
                *kind = static_cast<ea_revoke_kind_t>(by);
            }
            return 1;
        case RevocationCheck::Error:
            break;
        }
        return -1;
    } catch (...) {
        return -1;
    }
}

// ---- the journal -----------------------------------------------------------------------------

size_t ea_revocation_format(const ea_revocation_t *rec, char *buf, size_t buf_len)
{
    if (buf && buf_len) {
        buf[0] = '\0';
    }
    if (!rec || !buf) {
        return 0;
    }
    try {
        std::string line = format_revocation(from_c(*rec));
        if (line.empty() || line.size() >= buf_len) {
            return 0;
        }
        std::memcpy(buf, line.data(), line.size());
        buf[line.size()] = '\0';
        return line.size();
    } catch (...) {
        buf[0] = '\0';
        return 0;
    }
}

int ea_revocation_parse(const char *line, size_t len, ea_revocation_t *out)
{
    if (out) {
        std::memset(out, 0, sizeof(*out));
    }
    if (!line || !out) {
        return -1;
    }
    Revocation r;
    if (!parse_revocation(std::string_view(line, len), r)) {
        return -1;
    }
    to_c(r, out);
    return 0;
}

// ---- logout tokens ---------------------------------------------------------------------------

ea_status_t ea_logout_token_verify(const ea_logout_token_check_t *check, const ea_keyset_t *keys, const char *token,
    size_t len, int64_t now, ea_alloc_fn alloc, void *alloc_ctx, ea_logout_claims_t *out, char *detail,
    size_t detail_len)
{
    if (out) {
        clear_logout_claims(out);
    }
    Detail d(detail, detail_len);
    if (!check || !keys || (!token && len) || !alloc || !out || !valid_str(check->issuer)
        || !valid_str(check->client_id)) {
        d.text("invalid arguments");
        return EA_ERR_INTERNAL;
    }
    try {
        LogoutTokenCheck c;
        c.issuer = to_view(check->issuer);
        c.client_id = to_view(check->client_id);
        c.algorithms = check->algorithms;
        c.leeway = check->leeway;
        c.max_age = check->max_age;
        LogoutClaims claims;
        Status s = verify_logout_token(c, keys->set, std::string_view(token ? token : "", len), now, claims, d);
        if (s != Status::Ok) {
            return static_cast<ea_status_t>(s);
        }
        hand_out(claims.sid, alloc, alloc_ctx, &out->sid);
        hand_out(claims.sub, alloc, alloc_ctx, &out->sub);
        hand_out(claims.jti, alloc, alloc_ctx, &out->jti);
        out->iat = claims.iat;
        out->exp = claims.exp;
        return EA_OK;
    } catch (...) {
        clear_logout_claims(out);
        d.clear();
        d.text("internal error");
        return EA_ERR_INTERNAL;
    }
}

} // extern "C"
