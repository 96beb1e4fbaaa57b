#include "session_cookies.h"

namespace edge_auth {

static_assert(kMaxChunks >= 1 && kMaxChunks <= 10, "chunk indexes are one decimal digit");
static_assert(kMaxCookieNameBytes + 3 < kMaxCookieBytes, "every chunk has room for a value");

namespace {

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// A login-flow cookie (or any cookie under one of strip_cookies' prefixes): the same test for
// counting in find_chunks and for removing in strip_cookies, so the count predicts the strip.
bool under_prefix(std::string_view cookie, std::string_view prefix)
{
    return !cookie.empty() && !prefix.empty() && starts_with(cookie, prefix);
}

size_t chunk_budget(std::string_view name, size_t index)
{
    // name '=' value, plus ".N" for every chunk after the first.
    size_t overhead = name.size() + 1 + (index ? 2 : 0);
    return kMaxCookieBytes - overhead;
}

} // namespace

int chunk_index(std::string_view cookie, std::string_view name) noexcept
{
    if (name.empty() || !starts_with(cookie, name)) {
        return -2;
    }
    if (cookie.size() == name.size()) {
        return 0;
    }
    if (cookie[name.size()] != '.') {
        return -2;
    }
    std::string_view suffix = cookie.substr(name.size() + 1);
    if (suffix.size() == 1 && suffix[0] >= '1' && suffix[0] < static_cast<char>('0' + kMaxChunks)) {
        return suffix[0] - '0';
    }
    return -1;
}

SessionStatus find_chunks(const std::string_view *headers, size_t n_headers, std::string_view name,
    CookieChunks &out, Detail &detail, std::string_view flow_prefix) noexcept
{
    out = CookieChunks();
    size_t total = 0;
    for (size_t i = 0; i < n_headers; i++) {
        total += headers[i].size();
    }
    if (total > kMaxCookieHeaderBytes) {
        detail.text("Cookie headers are ").unum(total).text(" bytes, over the cap of ").unum(kMaxCookieHeaderBytes);
        return SessionStatus::TooLarge;
    }
    SessionStatus result = SessionStatus::Ok;
    auto fail = [&](SessionStatus s) {
        if (result == SessionStatus::Ok) {
            result = s;
            return true;
        }
        return false;    // keep the first failure and its detail
    };
    for (size_t h = 0; h < n_headers; h++) {
        for_each_cookie(headers[h], [&](const CookiePair &s) {
            // chunk_index of an empty name is -2: kept, as strip_cookies keeps it
            int index = chunk_index(s.name, name);
            if (index == -2) {
                if (under_prefix(s.name, flow_prefix)) {
                    out.module_cookies++;
                } else {
                    out.other_cookies++;
                }
                return;
            }
            out.module_cookies++;
            if (index == -1) {
                if (fail(SessionStatus::Chunk)) {
                    detail.text("cookie ").quoted(s.name).text(" is not a chunk name (")
                        .quoted(name).text(".1 to .").unum(kMaxChunks - 1).text(")");
                }
                return;
            }
            unsigned bit = 1u << index;
            if (out.present & bit) {
                if (fail(SessionStatus::Duplicate)) {
                    detail.text("cookie ").quoted(s.name).text(" appears more than once");
                }
                return;
            }
            out.present |= bit;
            if (s.value.size() > kMaxCookieValueBytes) {
                if (fail(SessionStatus::TooLarge)) {
                    detail.text("cookie ").quoted(s.name).text(" is ").unum(s.value.size())
                        .text(" bytes, over the cap of ").unum(kMaxCookieValueBytes);
                }
                return;
            }
            out.values[index] = s.value;
        });
    }
    out.counted = true;
    if (result == SessionStatus::Ok && out.present == 0) {
        detail.text("no cookie ").quoted(name);
        return SessionStatus::NoSession;
    }
    if (result != SessionStatus::Ok) {
        for (std::string_view &v : out.values) {
            v = std::string_view();
        }
    }
    return result;
}

std::string chunk_name(std::string_view name, size_t index)
{
    std::string out(name);
    if (index) {
        out.push_back('.');
        out.push_back(static_cast<char>('0' + index));
    }
    return out;
}

size_t chunks_needed(std::string_view name, size_t encoded_len) noexcept
{
    if (name.empty() || name.size() > kMaxCookieNameBytes) {
        return 0;
    }
    size_t left = encoded_len;
    for (size_t i = 0; i < kMaxChunks; i++) {
        size_t budget = chunk_budget(name, i);
        if (left <= budget) {
            return i + 1;
        }
        left -= budget;
    }
    return 0;
}

void split_chunks(std::string_view name, std::string_view encoded, std::vector<std::string_view> &out)
{
    out.clear();
    size_t n = chunks_needed(name, encoded.size());
    for (size_t i = 0; i < n; i++) {
        size_t take = i + 1 == n ? encoded.size() : chunk_budget(name, i);
        out.push_back(encoded.substr(0, take));
        encoded.remove_prefix(take);
    }
}

bool is_cookie_name(std::string_view name) noexcept
{
    static const char separators[] = "()<>@,;:\\\"/[]?={}";
    if (name.empty()) {
        return false;
    }
    for (char ch : name) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f) {
            return false;
        }
        for (const char *s = separators; *s; s++) {
            if (ch == *s) {
                return false;
            }
        }
    }
    return true;
}

size_t strip_cookies(const std::string_view *headers, size_t n_headers, const std::string_view *names,
    size_t n_names, const std::string_view *prefixes, size_t n_prefixes, std::string &out)
{
    auto ours = [&](const CookiePair &s) {
        if (s.name.empty()) {
            return false;
        }
        for (size_t i = 0; i < n_names; i++) {
            if (chunk_index(s.name, names[i]) != -2) {
                return true;
            }
        }
        for (size_t i = 0; i < n_prefixes; i++) {
            if (under_prefix(s.name, prefixes[i])) {
                return true;
            }
        }
        return false;
    };
    // Most requests carry none of the module's cookies: count first, copy only when needed.
    size_t removed = 0, kept_bytes = 0;
    for (size_t h = 0; h < n_headers; h++) {
        for_each_cookie(headers[h], [&](const CookiePair &s) {
            if (ours(s)) {
                removed++;
            } else {
                kept_bytes += s.text.size() + 2;
            }
        });
    }
    if (removed == 0) {
        return 0;
    }
    out.clear();
    out.reserve(kept_bytes);
    for (size_t h = 0; h < n_headers; h++) {
        for_each_cookie(headers[h], [&](const CookiePair &s) {
            if (!ours(s)) {
                if (!out.empty()) {
                    out.append("; ");
                }
                out.append(s.text);
            }
        });
    }
    return removed;
}

} // namespace edge_auth
