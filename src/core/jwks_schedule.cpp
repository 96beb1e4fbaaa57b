// jwks_schedule.cpp: see jwks_schedule.h.

#include "jwks_schedule.h"

#include <algorithm>

namespace edge_auth {

namespace {

// Ten years: larger max-age values are clamped, never overflowed.
constexpr int64_t kMaxSeconds = 10LL * 365 * 24 * 3600;

// Consecutive failures beyond this do not lengthen the back-off any further.
constexpr uint32_t kMaxBackoffShift = 5;

void start_fetch(ea_jwks_state_t &state, int64_t now, bool forced) noexcept
{
    state.fetch_started = now;
    state.last_attempt = now;
    state.fetches++;
    if (forced) {
        state.last_forced = now;
    }
}

bool ci_equal(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
        if (x != y) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

void jwks_timing_defaults(ea_jwks_timing_t &timing) noexcept
{
    timing.max_age = 3600;
    timing.min_age = 30;
    timing.forced_interval = 10;
    timing.max_stale = 24 * 3600;
    timing.fetch_timeout = 30;
    timing.retry_interval = 10;
}

bool jwks_usable(const ea_jwks_state_t &state, const ea_jwks_timing_t &timing,
                 int64_t now) noexcept
{
    return state.fetched_at != 0 && now - state.fetched_at <= timing.max_stale;
}

JwksAction jwks_decide(ea_jwks_state_t &state, const ea_jwks_timing_t &timing, int64_t now,
                       bool forced) noexcept
{
    bool usable = jwks_usable(state, timing, now);

    if (state.fetch_started != 0) {
        if (now - state.fetch_started < timing.fetch_timeout) {
            return usable && !forced ? JwksAction::Use : JwksAction::Wait;
        }
        // The fetching worker died or its subrequest was lost: free the slot.
        state.fetch_started = 0;
        state.failures++;
    }

    if (forced && (state.last_forced == 0 || now - state.last_forced >= timing.forced_interval)) {
        start_fetch(state, now, true);
        return JwksAction::Fetch;
    }

    bool due = state.fetched_at == 0 || now >= state.next_refresh;
    if (due && now >= state.retry_at) {
        start_fetch(state, now, false);
        return JwksAction::Fetch;
    }

    return usable ? JwksAction::Use : JwksAction::Unavailable;
}

void jwks_fetch_done(ea_jwks_state_t &state, const ea_jwks_timing_t &timing, int64_t now,
                     bool ok, bool changed, int64_t max_age) noexcept
{
    state.fetch_started = 0;

    if (ok) {
        int64_t interval = timing.max_age;
        if (max_age >= 0) {
            // not std::clamp: a min above the max must not be undefined behaviour
            interval = std::min(std::max(max_age, timing.min_age), timing.max_age);
        }
        state.fetched_at = now;
        state.next_refresh = now + interval;
        state.failures = 0;
        state.retry_at = 0;
        if (changed) {
            state.generation++;
        }
        return;
    }

    state.failures++;
    uint32_t shift = std::min<uint32_t>(state.failures - 1, kMaxBackoffShift);
    int64_t backoff = std::min<int64_t>(timing.retry_interval << shift,
                                        std::max(timing.max_age, timing.retry_interval));
    state.retry_at = now + backoff;
}

int64_t cache_control_max_age(std::string_view value) noexcept
{
    int64_t found = -1;
    // A bad max-age does not end the scan: a no-store or no-cache later in the value still wins.
    bool bad = false;

    while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view item = trim(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);

        size_t eq = item.find('=');
        std::string_view name = trim(item.substr(0, eq));

        if (ci_equal(name, "no-store") || ci_equal(name, "no-cache")) {
            return 0;
        }
        if (!ci_equal(name, "max-age")) {
            continue;
        }
        if (eq == std::string_view::npos || found != -1) {
            bad = true;  // "max-age" without a value, or twice: do not guess
            continue;
        }

        std::string_view digits = trim(item.substr(eq + 1));
        if (digits.size() >= 2 && digits.front() == '"' && digits.back() == '"') {
            digits = digits.substr(1, digits.size() - 2);
        }
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
            bad = true;
            continue;
        }

        int64_t n = 0;
        for (char c : digits) {
            n = std::min<int64_t>(n * 10 + (c - '0'), kMaxSeconds);
        }
        found = n;
    }

    return bad ? -1 : found;
}

}  // namespace edge_auth
