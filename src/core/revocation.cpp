#include "revocation.h"

#include <openssl/evp.h>

#include <memory>

#include "signature.h"

namespace edge_auth {

namespace {

constexpr size_t kMaxTimeDigits = 12;   // kMaxSessionTime = 253402300799

struct MdCtxFree {
    void operator()(EVP_MD_CTX *c) const noexcept { EVP_MD_CTX_free(c); }
};

void put_u64be(unsigned char out[8], uint64_t v) noexcept
{
    for (int i = 7; i >= 0; i--) {
        out[i] = static_cast<unsigned char>(v & 0xff);
        v >>= 8;
    }
}

bool time_ok(int64_t t) noexcept
{
    return t >= 0 && t <= kMaxSessionTime;
}

int hex_digit(char c) noexcept
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;   // upper case is refused: the format writes lower case only
}

// A decimal integer of 1-12 digits with no sign and no leading zero (except "0" itself).
bool parse_time(std::string_view s, int64_t &out) noexcept
{
    if (s.empty() || s.size() > kMaxTimeDigits || (s.size() > 1 && s[0] == '0')) {
        return false;
    }
    int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');   // 12 digits cannot overflow int64
    }
    if (!time_ok(v)) {
        return false;
    }
    out = v;
    return true;
}

} // namespace

bool revocation_key(RevokeKind kind, std::string_view provider, std::string_view value, RevocationKey &out)
{
    out.fill(0);
    if (kind != RevokeKind::Session && kind != RevokeKind::Sid && kind != RevokeKind::Sub) {
        return false;
    }
    if (provider.empty() || value.empty()) {
        return false;
    }
    const unsigned char k = static_cast<unsigned char>(kind);
    unsigned char plen[8], vlen[8];
    put_u64be(plen, provider.size());
    put_u64be(vlen, value.size());
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1
        || EVP_DigestUpdate(ctx.get(), &k, 1) != 1 || EVP_DigestUpdate(ctx.get(), plen, sizeof(plen)) != 1
        || EVP_DigestUpdate(ctx.get(), provider.data(), provider.size()) != 1
        || EVP_DigestUpdate(ctx.get(), vlen, sizeof(vlen)) != 1
        || EVP_DigestUpdate(ctx.get(), value.data(), value.size()) != 1
        || EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != kRevocationKeyBytes) {
        out.fill(0);
        throw CryptoFailure("SHA-256 failed");
    }
    return true;
}

bool make_revocation(RevokeKind kind, std::string_view provider, std::string_view value, int64_t revoked_at,
    int64_t expires, Revocation &out)
{
    out = Revocation();
    // Stricter than "empty provider or value" alone: a record the journal would refuse to read
    // back (times out of range, revoked_at after expires) is not made either.
    if (!time_ok(revoked_at) || !time_ok(expires) || revoked_at > expires) {
        return false;
    }
    if (!revocation_key(kind, provider, value, out.key)) {
        return false;
    }
    out.revoked_at = revoked_at;
    out.expires = expires;
    return true;
}

std::string format_revocation(const Revocation &rec)
{
    if (!time_ok(rec.revoked_at) || !time_ok(rec.expires) || rec.revoked_at > rec.expires) {
        return std::string();
    }
    static const char hex[] = "0123456789abcdef";
    std::string line;
    line.reserve(kRevocationLineMax);
    line.append("v1 ");
    for (unsigned char b : rec.key) {
        line.push_back(hex[b >> 4]);
        line.push_back(hex[b & 0xf]);
    }
    line.push_back(' ');
    line.append(std::to_string(rec.revoked_at));
    line.push_back(' ');
    line.append(std::to_string(rec.expires));
    line.push_back('\n');
    return line;
}

bool parse_revocation(std::string_view line, Revocation &out) noexcept
{
    out = Revocation();
    constexpr size_t kKeyHex = 2 * kRevocationKeyBytes;
    if (line.size() < 3 + kKeyHex + 4 || line.substr(0, 3) != "v1 " || line[3 + kKeyHex] != ' ') {
        return false;
    }
    Revocation r;
    for (size_t i = 0; i < kRevocationKeyBytes; i++) {
        int hi = hex_digit(line[3 + 2 * i]);
        int lo = hex_digit(line[3 + 2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        r.key[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    std::string_view times = line.substr(3 + kKeyHex + 1);
    size_t sp = times.find(' ');
    if (sp == std::string_view::npos || !parse_time(times.substr(0, sp), r.revoked_at)
        || !parse_time(times.substr(sp + 1), r.expires) || r.revoked_at > r.expires) {
        return false;
    }
    out = r;
    return true;
}

RevocationSet RevocationSet::build(const Revocation *records, size_t n, int64_t now)
{
    RevocationSet set;
    if (!records) {
        return set;
    }
    for (size_t i = 0; i < n; i++) {
        set.add_record(records[i], now);
    }
    return set;
}

void RevocationSet::add_record(const Revocation &rec, int64_t now)
{
    if (rec.expires > now) {
        add(rec.key, rec.revoked_at);
    }
}

void RevocationSet::add(const RevocationKey &key, int64_t revoked_at)
{
    auto ins = map_.emplace(key, revoked_at);
    if (!ins.second && ins.first->second < revoked_at) {
        ins.first->second = revoked_at;
    }
}

bool RevocationSet::find(const RevocationKey &key, int64_t &revoked_at) const noexcept
{
    auto it = map_.find(key);
    if (it == map_.end()) {
        return false;
    }
    revoked_at = it->second;
    return true;
}

RevocationCheck RevocationSet::check(std::string_view provider, const Session &s, RevokeKind &by) const
{
    if (provider.empty()) {
        return RevocationCheck::Error;
    }
    std::string_view sid;
    bool has_sid = false;
    if (s.claims) {
        const json_t *v = json_object_get(s.claims.get(), "sid");
        if (v) {
            // Stricter reading of "when the session has one": a present sid that is not a
            // non-empty string can match no record, so the session cannot be cleared: Error.
            if (!json_is_string(v) || json_string_length(v) == 0) {
                return RevocationCheck::Error;
            }
            sid = json_string_view(v);
            has_sid = true;
        }
    }
    struct Candidate {
        RevokeKind kind;
        std::string_view value;
        bool present;
    };
    const Candidate candidates[] = {
        {RevokeKind::Session, s.sid, true},
        {RevokeKind::Sid, sid, has_sid},
        {RevokeKind::Sub, s.sub, true},
    };
    for (const Candidate &c : candidates) {
        if (!c.present) {
            continue;
        }
        RevocationKey key;
        if (!revocation_key(c.kind, provider, c.value, key)) {
            // A session always has an id and a sub (check_session); one without cannot be cleared.
            return RevocationCheck::Error;
        }
        int64_t revoked_at = 0;
        if (find(key, revoked_at) && revoked_at >= s.issued_at) {
            by = c.kind;
            return RevocationCheck::Revoked;
        }
    }
    return RevocationCheck::NotRevoked;
}

} // namespace edge_auth
