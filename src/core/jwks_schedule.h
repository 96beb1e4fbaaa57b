// jwks_schedule.h: when a remote JWKS is fetched. Pure functions over a plain state struct that
// the nginx glue keeps in shared memory (under its lock), so the rules are unit-tested here.
//
// Usage (per request, lock held by the caller):
//
//     switch (decide(state, timing, now, /*forced=*/kid_unknown)) {
//     case Action::Fetch:  start_subrequest(); ...; fetch_done(state, timing, later, ok, changed,
//                                                             cache_control_max_age(header));
//     case Action::Wait:   poll again shortly;
//     case Action::Use:    verify with the current keys;
//     case Action::Unavailable: 503;
//     }
//
// Rules:
//   - single flight: while a fetch is in flight (and younger than fetch_timeout) nobody starts
//     another; requests with usable keys use them, requests without (or looking for a new kid)
//     wait for it;
//   - a periodic refresh is due at next_refresh (max-age clamped to [min_age, max_age]);
//   - an unknown kid forces a refresh at most once per forced_interval (a flood of random kids
//     costs one fetch per interval);
//   - after a failure, no periodic attempt before retry_at (backing off); the last good keys stay
//     usable until they are max_stale old.

#ifndef EDGE_AUTH_CORE_JWKS_SCHEDULE_H
#define EDGE_AUTH_CORE_JWKS_SCHEDULE_H

#include <cstdint>
#include <string_view>

#include "edge_auth.h"

namespace edge_auth {

enum class JwksAction { Use, Fetch, Wait, Unavailable };

void jwks_timing_defaults(ea_jwks_timing_t &timing) noexcept;

bool jwks_usable(const ea_jwks_state_t &state, const ea_jwks_timing_t &timing,
                 int64_t now) noexcept;

JwksAction jwks_decide(ea_jwks_state_t &state, const ea_jwks_timing_t &timing, int64_t now,
                       bool forced) noexcept;

void jwks_fetch_done(ea_jwks_state_t &state, const ea_jwks_timing_t &timing, int64_t now,
                     bool ok, bool changed, int64_t max_age) noexcept;

// max-age of a Cache-Control value in seconds; 0 for no-store/no-cache; -1 when absent or
// malformed (then the configured interval applies).
int64_t cache_control_max_age(std::string_view value) noexcept;

}  // namespace edge_auth

#endif
