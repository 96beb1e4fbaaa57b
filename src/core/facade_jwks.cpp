// facade_jwks.cpp: the extern "C" face of jwks_schedule.h. Nothing here can throw, but each
// entry point still keeps the facade's promise of never letting an exception out.

// Exported like facade.cpp: the public header's declarations carry default visibility.
#pragma GCC visibility push(default)
#include "edge_auth.h"
#pragma GCC visibility pop

#include "jwks_schedule.h"

using namespace edge_auth;

void ea_jwks_timing_init(ea_jwks_timing_t *timing)
{
    jwks_timing_defaults(*timing);
}

ea_jwks_action_t ea_jwks_decide(ea_jwks_state_t *state, const ea_jwks_timing_t *timing,
                                          int64_t now, int forced)
{
    switch (jwks_decide(*state, *timing, now, forced != 0)) {
    case JwksAction::Use:
        return EA_JWKS_USE;
    case JwksAction::Fetch:
        return EA_JWKS_FETCH;
    case JwksAction::Wait:
        return EA_JWKS_WAIT;
    case JwksAction::Unavailable:
        break;
    }
    return EA_JWKS_UNAVAILABLE;
}

int ea_jwks_usable(const ea_jwks_state_t *state, const ea_jwks_timing_t *timing,
                             int64_t now)
{
    return jwks_usable(*state, *timing, now) ? 1 : 0;
}

void ea_jwks_fetch_done(ea_jwks_state_t *state, const ea_jwks_timing_t *timing,
                                  int64_t now, int ok, int changed, int64_t max_age)
{
    jwks_fetch_done(*state, *timing, now, ok != 0, changed != 0, max_age);
}

int64_t ea_cache_control_max_age(const char *value, size_t len)
{
    if (value == nullptr) {
        return -1;
    }
    return cache_control_max_age(std::string_view(value, len));
}
