// session_cookies.h: the module's cookies inside a request's Cookie headers: finding the chunks
// of a sealed session, and removing the module's cookies before the request goes upstream.
//
// Usage:
//
//     std::string_view headers[] = {cookie_header_1, cookie_header_2};   // as the client sent them
//     CookieChunks chunks;
//     SessionStatus s = find_chunks(headers, 2, "__Host-edge", chunks, detail);
//     if (s == SessionStatus::Ok) ... open_session(..., chunks, ...);
//
//     std::string upstream;
//     std::string_view ours[] = {"__Host-edge"};
//     if (strip_cookies(headers, 2, ours, 1, nullptr, 0, upstream) > 0)
//         replace the Cookie headers with `upstream` (drop them when it is empty);
//
// A session of n chunks is carried by the cookies `name` (chunk 0), `name.1` ... `name.<n-1>`,
// n <= kMaxChunks; every `name.<anything>` is reserved for them. Parsing follows RFC 6265 §5.2
// leniently: pairs are separated by ';', spaces and tabs around names and values are ignored,
// a pair without '=' or with an empty name is skipped (and kept by strip_cookies), non-ASCII bytes
// are plain bytes. A name that appears twice is never resolved by picking one.

#ifndef EDGE_AUTH_CORE_SESSION_COOKIES_H
#define EDGE_AUTH_CORE_SESSION_COOKIES_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "session_status.h"
#include "status.h"

namespace edge_auth {

constexpr size_t kMaxChunks = 8;
// Budget of one cookie the module writes: name + '=' + value (browsers keep up to 4096).
constexpr size_t kMaxCookieBytes = 4000;
// Longest value of one of the module's cookies accepted when reading.
constexpr size_t kMaxCookieValueBytes = 4096;
// All Cookie header values of one request together.
constexpr size_t kMaxCookieHeaderBytes = 65536;
// Longest base cookie name (leaves room for the value in every chunk).
constexpr size_t kMaxCookieNameBytes = 128;

struct CookieChunks {
    std::string_view values[kMaxChunks];   // views into the header values; [0] is `name`
    unsigned present = 0;                  // bit i: a cookie for chunk i was seen
    // What strip_cookies would do with the same headers (same `name`, `flow_prefix` as its one
    // prefix), so the common cases skip it: no module cookie (nothing to strip), or only module
    // cookies (drop the Cookie headers). Valid only when `counted`: the headers were all read.
    bool counted = false;
    size_t module_cookies = 0;             // pairs strip_cookies would remove
    size_t other_cookies = 0;              // pairs it would keep (malformed ones included)
};

// Collects `name` and `name.1` ... `name.7` from the Cookie header values.
//   NoSession  none of them is present
//   Duplicate  one of them appears more than once
//   Chunk      a `name.<x>` whose <x> is not 1..7 written canonically ("01", "8", "-1", "abc")
//   TooLarge   the headers together exceed kMaxCookieHeaderBytes, or one of the values exceeds
//              kMaxCookieValueBytes
// `present` is filled even on failure (every valid chunk name seen), so a response can expire
// stale chunks, and so are the counts (unless the headers were over the cap). Linear in the header
// size; never allocates.
SessionStatus find_chunks(const std::string_view *headers, size_t n_headers, std::string_view name,
    CookieChunks &out, Detail &detail, std::string_view flow_prefix = std::string_view()) noexcept;

// 0 for `name`, 1..7 for `name.1` ... `name.7`, -1 for any other `name.<x>`, -2 when `cookie`
// is not one of the session's cookie names at all.
int chunk_index(std::string_view cookie, std::string_view name) noexcept;

// `name` for index 0, `name.<index>` otherwise. Throws only std::bad_alloc.
std::string chunk_name(std::string_view name, size_t index);

// The number of cookies an encoded value of `encoded_len` characters needs under `name`, each
// within kMaxCookieBytes; 0 when more than kMaxChunks would be needed.
size_t chunks_needed(std::string_view name, size_t encoded_len) noexcept;

// Splits `encoded` into chunks_needed() consecutive pieces (views into `encoded`), every one but
// the last filled to its budget. Throws only std::bad_alloc.
void split_chunks(std::string_view name, std::string_view encoded, std::vector<std::string_view> &out);

// RFC 6265 cookie-name (an RFC 7230 token): 1+ visible ASCII characters except separators.
bool is_cookie_name(std::string_view name) noexcept;

// One ';'-separated segment of a Cookie header value, parsed as described above.
struct CookiePair {
    std::string_view text;    // the trimmed segment as sent ("name=value", or whatever was there)
    std::string_view name;    // trimmed; empty when the segment has no '=' (or an empty name)
    std::string_view value;   // trimmed
};

// Calls fn(const CookiePair &) for every non-empty segment of one header value, in order. The
// views point into `header`. Never allocates.
template <typename Fn>
void for_each_cookie(std::string_view header, Fn &&fn);

// Rebuilds the Cookie header without the module's cookies: each of `names` and every
// `name.<anything>`, and every cookie whose name starts with one of `prefixes`. Kept pairs
// (malformed ones included, as sent) are joined with "; " into `out`. Returns the number of pairs
// removed; `out` is only written when that is > 0 (it may then be empty: nothing is left).
// Throws only std::bad_alloc.
size_t strip_cookies(const std::string_view *headers, size_t n_headers, const std::string_view *names,
    size_t n_names, const std::string_view *prefixes, size_t n_prefixes, std::string &out);

namespace cookie_detail {

inline bool is_ows(char c) noexcept
{
    return c == ' ' || c == '\t';
}

inline std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace cookie_detail

template <typename Fn>
void for_each_cookie(std::string_view header, Fn &&fn)
{
    size_t pos = 0;
    for (;;) {
        size_t semi = header.find(';', pos);
        size_t end = semi == std::string_view::npos ? header.size() : semi;
        CookiePair s;
        s.text = cookie_detail::trim(header.substr(pos, end - pos));
        if (!s.text.empty()) {
            size_t eq = s.text.find('=');
            if (eq != std::string_view::npos) {
                s.name = cookie_detail::trim(s.text.substr(0, eq));
                s.value = cookie_detail::trim(s.text.substr(eq + 1));
            }
            fn(static_cast<const CookiePair &>(s));
        }
        if (semi == std::string_view::npos) {
            return;
        }
        pos = semi + 1;
    }
}

} // namespace edge_auth

#endif
