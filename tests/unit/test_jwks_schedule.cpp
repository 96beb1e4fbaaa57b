// When a remote JWKS is fetched (jwks_schedule.h): single flight, periodic and forced refreshes,
// back-off, the stale limit, and Cache-Control max-age. Time is simulated: every call takes `now`.

#include <cstring>
#include <vector>

#include "edge_auth.h"
#include "jwks_schedule.h"
#include "unit.h"

using edge_auth::JwksAction;
using edge_auth::cache_control_max_age;
using edge_auth::jwks_decide;
using edge_auth::jwks_fetch_done;
using edge_auth::jwks_usable;

namespace {

constexpr int64_t T0 = unit::kNow;
constexpr int64_t kTenYears = 10LL * 365 * 24 * 3600;

const char *name(JwksAction a)
{
    switch (a) {
    case JwksAction::Use: return "use";
    case JwksAction::Fetch: return "fetch";
    case JwksAction::Wait: return "wait";
    case JwksAction::Unavailable: return "unavailable";
    }
    return "?";
}

#define ck_assert_action(actual, expected)                                                             \
    do {                                                                                               \
        JwksAction a_ = (actual);                                                                      \
        ck_assert_msg(a_ == (expected), "action %s, expected %s", name(a_), name(expected));           \
    } while (0)

ea_jwks_state_t empty_state()
{
    ea_jwks_state_t s;
    std::memset(&s, 0, sizeof(s));
    return s;
}

ea_jwks_timing_t defaults()
{
    ea_jwks_timing_t t;
    edge_auth::jwks_timing_defaults(t);
    return t;
}

// Keys fetched successfully at `at` with the configured interval.
ea_jwks_state_t fetched_at(const ea_jwks_timing_t &t, int64_t at)
{
    ea_jwks_state_t s = empty_state();
    ck_assert_action(jwks_decide(s, t, at, false), JwksAction::Fetch);
    jwks_fetch_done(s, t, at, true, true, -1);
    return s;
}

int64_t cc(const char *value)
{
    return cache_control_max_age(value);
}

} // namespace

START_TEST(timing_defaults)
{
    ea_jwks_timing_t t;
    std::memset(&t, 0xff, sizeof(t));
    ea_jwks_timing_init(&t);
    ck_assert_int_eq(t.max_age, 3600);
    ck_assert_int_eq(t.min_age, 30);
    ck_assert_int_eq(t.forced_interval, 10);
    ck_assert_int_eq(t.max_stale, 24 * 3600);
    ck_assert_int_eq(t.fetch_timeout, 30);
    ck_assert_int_eq(t.retry_interval, 10);
}
END_TEST

START_TEST(first_fetch)
{
    ea_jwks_timing_t t = defaults();
    ea_jwks_state_t s = empty_state();
    ck_assert(!jwks_usable(s, t, T0));
    ck_assert_action(jwks_decide(s, t, T0, false), JwksAction::Fetch);
    ck_assert_int_eq(s.fetch_started, T0);
    ck_assert_int_eq(s.last_attempt, T0);
    ck_assert_uint_eq(s.fetches, 1);
    ck_assert_int_eq(s.last_forced, 0);

    jwks_fetch_done(s, t, T0 + 1, true, true, -1);
    ck_assert_int_eq(s.fetch_started, 0);
    ck_assert_int_eq(s.fetched_at, T0 + 1);
    ck_assert_int_eq(s.next_refresh, T0 + 1 + 3600);
    ck_assert_uint_eq(s.generation, 1);
    ck_assert_uint_eq(s.failures, 0);
    ck_assert(jwks_usable(s, t, T0 + 1));
    ck_assert_action(jwks_decide(s, t, T0 + 2, false), JwksAction::Use);
    ck_assert_uint_eq(s.fetches, 1);

    // A first request with an unknown kid starts the first fetch as well, and counts as forced.
    ea_jwks_state_t f = empty_state();
    ck_assert_action(jwks_decide(f, t, T0, true), JwksAction::Fetch);
    ck_assert_int_eq(f.last_forced, T0);
}
END_TEST

START_TEST(single_flight)
{
    ea_jwks_timing_t t = defaults();

    // No keys yet: everyone waits for the one fetch, whatever they are looking for.
    ea_jwks_state_t s = empty_state();
    ck_assert_action(jwks_decide(s, t, T0, false), JwksAction::Fetch);
    for (int64_t now = T0; now < T0 + t.fetch_timeout; now++) {
        ck_assert_action(jwks_decide(s, t, now, false), JwksAction::Wait);
        ck_assert_action(jwks_decide(s, t, now, true), JwksAction::Wait);
    }
    ck_assert_uint_eq(s.fetches, 1);
    ck_assert_int_eq(s.fetch_started, T0);

    // Usable keys during a periodic refresh: use them; an unknown kid waits for the new ones.
    ea_jwks_state_t k = fetched_at(t, T0);
    ck_assert_action(jwks_decide(k, t, T0 + 3600, false), JwksAction::Fetch);
    ck_assert_action(jwks_decide(k, t, T0 + 3601, false), JwksAction::Use);
    ck_assert_action(jwks_decide(k, t, T0 + 3601, true), JwksAction::Wait);
    ck_assert_uint_eq(k.fetches, 2);
    ck_assert_int_eq(k.last_forced, 0);
    jwks_fetch_done(k, t, T0 + 3602, true, false, -1);
    ck_assert_action(jwks_decide(k, t, T0 + 3603, false), JwksAction::Use);
}
END_TEST

START_TEST(periodic_refresh_only_when_due)
{
    ea_jwks_timing_t t = defaults();
    ea_jwks_state_t s = fetched_at(t, T0);
    for (int64_t now = T0; now < T0 + 3600; now += 7) {
        ck_assert_action(jwks_decide(s, t, now, false), JwksAction::Use);
    }
    ck_assert_action(jwks_decide(s, t, T0 + 3599, false), JwksAction::Use);
    ck_assert_uint_eq(s.fetches, 1);
    ck_assert_action(jwks_decide(s, t, T0 + 3600, false), JwksAction::Fetch);
    ck_assert_uint_eq(s.fetches, 2);
    jwks_fetch_done(s, t, T0 + 3601, true, false, 120);
    ck_assert_int_eq(s.next_refresh, T0 + 3601 + 120);
    ck_assert_action(jwks_decide(s, t, T0 + 3720, false), JwksAction::Use);
    ck_assert_action(jwks_decide(s, t, T0 + 3721, false), JwksAction::Fetch);
}
END_TEST

START_TEST(max_age_is_clamped)
{
    ea_jwks_timing_t t = defaults();
    struct {
        int64_t max_age;
        int64_t interval;
    } cases[] = {
        {-1, 3600},       // no usable header: the configured interval
        {0, 30},          // no-store / no-cache: as often as min_age allows
        {5, 30},
        {30, 30},
        {60, 60},
        {3600, 3600},
        {3601, 3600},
        {kTenYears, 3600},
    };
    for (const auto &c : cases) {
        ea_jwks_state_t s = empty_state();
        ck_assert_action(jwks_decide(s, t, T0, false), JwksAction::Fetch);
        jwks_fetch_done(s, t, T0, true, true, c.max_age);
        ck_assert_msg(s.next_refresh == T0 + c.interval, "max-age %lld: interval %lld, expected %lld",
            (long long)c.max_age, (long long)(s.next_refresh - T0), (long long)c.interval);
    }
}
END_TEST

START_TEST(forced_refresh_rate_limit)
{
    ea_jwks_timing_t t = defaults();
    // A flood of unknown kids: 1000 requests over 25 seconds, each fetch answered at once.
    ea_jwks_state_t s = fetched_at(t, T0 - 100);
    std::vector<int64_t> fetch_times;
    for (int i = 0; i < 1000; i++) {
        int64_t now = T0 + i * 25 / 1000;
        JwksAction a = jwks_decide(s, t, now, true);
        if (a == JwksAction::Fetch) {
            fetch_times.push_back(now);
            jwks_fetch_done(s, t, now, true, false, -1);
        } else {
            ck_assert_action(a, JwksAction::Use);
        }
    }
    ck_assert_uint_eq(fetch_times.size(), 3);
    ck_assert_int_eq(fetch_times[0], T0);
    ck_assert_int_eq(fetch_times[1], T0 + 10);
    ck_assert_int_eq(fetch_times[2], T0 + 20);
    ck_assert_uint_eq(s.fetches, 4);   // the first fetch, then 3 forced
    ck_assert_uint_eq(s.generation, 1);

    // The same flood with fetches that take 2 seconds: requests arriving meanwhile wait.
    ea_jwks_state_t slow = fetched_at(t, T0 - 100);
    int fetches = 0, waits = 0;
    int64_t done_at = -1;
    for (int i = 0; i < 1000; i++) {
        int64_t now = T0 + i * 25 / 1000;
        if (done_at >= 0 && now >= done_at) {
            jwks_fetch_done(slow, t, now, true, false, -1);
            done_at = -1;
        }
        JwksAction a = jwks_decide(slow, t, now, true);
        if (a == JwksAction::Fetch) {
            fetches++;
            done_at = now + 2;
        } else if (a == JwksAction::Wait) {
            waits++;
        }
    }
    ck_assert_int_eq(fetches, 3);
    ck_assert_int_eq(waits, 3 * 80 - 3);   // 2 s at 40 requests/s per fetch, minus the fetcher

    // Without the forced flag nothing is fetched before next_refresh.
    ea_jwks_state_t calm = fetched_at(t, T0 - 100);
    for (int i = 0; i < 1000; i++) {
        ck_assert_action(jwks_decide(calm, t, T0 + i * 25 / 1000, false), JwksAction::Use);
    }
}
END_TEST

START_TEST(failure_back_off)
{
    ea_jwks_timing_t t = defaults();
    ea_jwks_state_t s = empty_state();
    int64_t now = T0;
    const int64_t expected[] = {10, 20, 40, 80, 160, 320, 320, 320};
    for (int64_t wait : expected) {
        ck_assert_action(jwks_decide(s, t, now, false), JwksAction::Fetch);
        jwks_fetch_done(s, t, now, false, false, -1);
        ck_assert_int_eq(s.retry_at, now + wait);
        ck_assert_int_eq(s.fetch_started, 0);
        // No keys and no attempt allowed: fail closed until retry_at.
        ck_assert_action(jwks_decide(s, t, now, false), JwksAction::Unavailable);
        ck_assert_action(jwks_decide(s, t, s.retry_at - 1, false), JwksAction::Unavailable);
        now = s.retry_at;
    }
    ck_assert_uint_eq(s.failures, 8);
    ck_assert_uint_eq(s.generation, 0);

    // Success resets the back-off.
    ck_assert_action(jwks_decide(s, t, now, false), JwksAction::Fetch);
    jwks_fetch_done(s, t, now, true, true, -1);
    ck_assert_uint_eq(s.failures, 0);
    ck_assert_int_eq(s.retry_at, 0);

    // The back-off never exceeds the refresh interval.
    ea_jwks_timing_t short_age = defaults();
    short_age.max_age = 100;
    ea_jwks_state_t b = empty_state();
    now = T0;
    for (int64_t wait : {10, 20, 40, 80, 100, 100}) {
        ck_assert_action(jwks_decide(b, short_age, now, false), JwksAction::Fetch);
        jwks_fetch_done(b, short_age, now, false, false, -1);
        ck_assert_int_eq(b.retry_at, now + wait);
        now = b.retry_at;
    }

    // A failed periodic refresh keeps the old keys in use while backing off.
    ea_jwks_state_t k = fetched_at(t, T0);
    ck_assert_action(jwks_decide(k, t, T0 + 3600, false), JwksAction::Fetch);
    jwks_fetch_done(k, t, T0 + 3601, false, false, -1);
    ck_assert_int_eq(k.retry_at, T0 + 3611);
    ck_assert_action(jwks_decide(k, t, T0 + 3610, false), JwksAction::Use);
    ck_assert_action(jwks_decide(k, t, T0 + 3611, false), JwksAction::Fetch);
}
END_TEST

START_TEST(stale_limit)
{
    ea_jwks_timing_t t = defaults();
    ea_jwks_state_t s = fetched_at(t, T0);
    ck_assert(jwks_usable(s, t, T0 + t.max_stale));
    ck_assert(!jwks_usable(s, t, T0 + t.max_stale + 1));

    // Every refresh fails; the keys serve until they are max_stale old, then the location fails
    // closed between attempts.
    int64_t now = T0 + 3600;
    while (now <= T0 + t.max_stale + 1000) {
        JwksAction a = jwks_decide(s, t, now, false);
        if (a == JwksAction::Fetch) {
            jwks_fetch_done(s, t, now, false, false, -1);
        } else if (now <= T0 + t.max_stale) {
            ck_assert_action(a, JwksAction::Use);
        } else {
            ck_assert_action(a, JwksAction::Unavailable);
        }
        now += 13;
    }
    ck_assert_int_eq(s.fetched_at, T0);

    // A forced request during that time does not get around the stale limit either.
    ea_jwks_state_t f = fetched_at(t, T0);
    f.retry_at = T0 + t.max_stale + 100;
    f.last_forced = T0 + t.max_stale - 1;
    ck_assert_action(jwks_decide(f, t, T0 + t.max_stale + 5, true), JwksAction::Unavailable);
}
END_TEST

START_TEST(lost_fetch_frees_the_slot)
{
    ea_jwks_timing_t t = defaults();
    ea_jwks_state_t s = empty_state();
    ck_assert_action(jwks_decide(s, t, T0, false), JwksAction::Fetch);
    ck_assert_action(jwks_decide(s, t, T0 + t.fetch_timeout - 1, false), JwksAction::Wait);
    // The fetching worker never reported back: the next request takes over.
    ck_assert_action(jwks_decide(s, t, T0 + t.fetch_timeout, false), JwksAction::Fetch);
    ck_assert_int_eq(s.fetch_started, T0 + t.fetch_timeout);
    ck_assert_uint_eq(s.fetches, 2);
    ck_assert_uint_eq(s.failures, 1);
    ck_assert_action(jwks_decide(s, t, T0 + t.fetch_timeout + 1, false), JwksAction::Wait);
    jwks_fetch_done(s, t, T0 + t.fetch_timeout + 2, true, true, -1);
    ck_assert_uint_eq(s.failures, 0);
    ck_assert_action(jwks_decide(s, t, T0 + t.fetch_timeout + 3, false), JwksAction::Use);

    // A lost forced refresh with usable keys: the slot is freed, the keys are used meanwhile.
    ea_jwks_state_t k = fetched_at(t, T0);
    ck_assert_action(jwks_decide(k, t, T0 + 100, true), JwksAction::Fetch);
    ck_assert_action(jwks_decide(k, t, T0 + 110, false), JwksAction::Use);
    ck_assert_action(jwks_decide(k, t, T0 + 130, false), JwksAction::Use);
    ck_assert_int_eq(k.fetch_started, 0);
    ck_assert_action(jwks_decide(k, t, T0 + 131, true), JwksAction::Fetch);
}
END_TEST

START_TEST(generation_bumps_only_on_change)
{
    ea_jwks_timing_t t = defaults();
    ea_jwks_state_t s = empty_state();
    int64_t now = T0;
    struct {
        bool ok, changed;
        uint64_t generation;
    } steps[] = {{true, true, 1}, {true, false, 1}, {false, false, 1}, {false, true, 1}, {true, true, 2},
        {true, false, 2}};
    for (const auto &step : steps) {
        s.next_refresh = now;   // make a periodic refresh due
        s.retry_at = 0;
        ck_assert_action(jwks_decide(s, t, now, false), JwksAction::Fetch);
        jwks_fetch_done(s, t, now + 1, step.ok, step.changed, -1);
        ck_assert_uint_eq(s.generation, step.generation);
        now += 100;
    }
}
END_TEST

START_TEST(c_facade)
{
    ea_jwks_timing_t t;
    ea_jwks_timing_init(&t);
    ea_jwks_state_t s = empty_state();
    ck_assert_int_eq(ea_jwks_usable(&s, &t, T0), 0);
    ck_assert_int_eq(ea_jwks_decide(&s, &t, T0, 0), EA_JWKS_FETCH);
    ck_assert_int_eq(ea_jwks_decide(&s, &t, T0, 1), EA_JWKS_WAIT);
    ea_jwks_fetch_done(&s, &t, T0, 0, 0, -1);
    ck_assert_int_eq(ea_jwks_decide(&s, &t, T0 + 1, 0), EA_JWKS_UNAVAILABLE);
    ck_assert_int_eq(ea_jwks_decide(&s, &t, T0 + 10, 0), EA_JWKS_FETCH);
    ea_jwks_fetch_done(&s, &t, T0 + 10, 1, 1, 60);
    ck_assert_int_eq(ea_jwks_usable(&s, &t, T0 + 11), 1);
    ck_assert_int_eq(ea_jwks_decide(&s, &t, T0 + 11, 0), EA_JWKS_USE);
    ck_assert_int_eq(s.next_refresh, T0 + 70);
    ck_assert_int_eq(ea_cache_control_max_age("max-age=60", 10), 60);
    ck_assert_int_eq(ea_cache_control_max_age("max-age=60", 9), 6);   // only len bytes are read
    ck_assert_int_eq(ea_cache_control_max_age(nullptr, 0), -1);
    ck_assert_int_eq(ea_cache_control_max_age(nullptr, 10), -1);
}
END_TEST

START_TEST(cache_control_values)
{
    ck_assert_int_eq(cc("max-age=60"), 60);
    ck_assert_int_eq(cc("MAX-AGE=60"), 60);
    ck_assert_int_eq(cc("Max-Age=60"), 60);
    ck_assert_int_eq(cc("max-age=\"60\""), 60);
    ck_assert_int_eq(cc("max-age=0"), 0);
    ck_assert_int_eq(cc("max-age=007"), 7);
    ck_assert_int_eq(cc("public, max-age=60"), 60);
    ck_assert_int_eq(cc("max-age=60, must-revalidate"), 60);
    ck_assert_int_eq(cc("public,max-age=300,stale-while-revalidate=60"), 300);
    ck_assert_int_eq(cc(" \tmax-age = 60 \t, private"), 60);
    ck_assert_int_eq(cc("s-maxage=60, max-age=5"), 5);
    ck_assert_int_eq(cc(",,max-age=60,,"), 60);

    // Absent.
    ck_assert_int_eq(cc(""), -1);
    ck_assert_int_eq(cc("public"), -1);
    ck_assert_int_eq(cc("s-maxage=60"), -1);
    ck_assert_int_eq(cc(", ,"), -1);
    ck_assert_int_eq(cc("max-ages=60"), -1);
    ck_assert_int_eq(cc("x-max-age=60"), -1);

    // Malformed or ambiguous: do not guess.
    ck_assert_int_eq(cc("max-age"), -1);
    ck_assert_int_eq(cc("max-age="), -1);
    ck_assert_int_eq(cc("max-age=\"\""), -1);
    ck_assert_int_eq(cc("max-age=\"60"), -1);
    ck_assert_int_eq(cc("max-age=-1"), -1);
    ck_assert_int_eq(cc("max-age=+60"), -1);
    ck_assert_int_eq(cc("max-age=1.5"), -1);
    ck_assert_int_eq(cc("max-age=6 0"), -1);
    ck_assert_int_eq(cc("max-age=60s"), -1);
    ck_assert_int_eq(cc("max-age=0x10"), -1);
    ck_assert_int_eq(cc("max-age=abc"), -1);
    ck_assert_int_eq(cc("max-age=60;"), -1);
    ck_assert_int_eq(cc("max-age=60, max-age=60"), -1);
    ck_assert_int_eq(cc("max-age=60, max-age=70"), -1);
    ck_assert_int_eq(cc("max-age=0,max-age=60"), -1);

    // Huge values are clamped, never overflowed.
    ck_assert_int_eq(cc("max-age=315360000"), kTenYears);
    ck_assert_int_eq(cc("max-age=315360001"), kTenYears);
    ck_assert_int_eq(cc("max-age=9223372036854775807"), kTenYears);
    ck_assert_int_eq(cc("max-age=99999999999999999999999999999999999999999999"), kTenYears);
    ck_assert_int_eq(cc(("max-age=" + std::string(10000, '9')).c_str()), kTenYears);

    // no-store and no-cache: refresh as often as allowed, whatever else the header says.
    ck_assert_int_eq(cc("no-store"), 0);
    ck_assert_int_eq(cc("NO-CACHE"), 0);
    ck_assert_int_eq(cc("no-cache, max-age=60"), 0);
    ck_assert_int_eq(cc("max-age=60, no-store"), 0);
    ck_assert_int_eq(cc("private, no-cache=\"set-cookie\""), 0);
    // ... also when it follows a max-age that is malformed or repeated.
    ck_assert_int_eq(cc("max-age=60, max-age=70, no-store"), 0);
    ck_assert_int_eq(cc("max-age=abc, no-cache"), 0);
    ck_assert_int_eq(cc("max-age, no-store"), 0);
}
END_TEST

Suite *jwks_schedule_suite()
{
    Suite *s = suite_create("jwks_schedule");
    TCase *tc = tcase_create("schedule");
    tcase_add_test(tc, timing_defaults);
    tcase_add_test(tc, first_fetch);
    tcase_add_test(tc, single_flight);
    tcase_add_test(tc, periodic_refresh_only_when_due);
    tcase_add_test(tc, max_age_is_clamped);
    tcase_add_test(tc, forced_refresh_rate_limit);
    tcase_add_test(tc, failure_back_off);
    tcase_add_test(tc, stale_limit);
    tcase_add_test(tc, lost_fetch_frees_the_slot);
    tcase_add_test(tc, generation_bumps_only_on_change);
    tcase_add_test(tc, c_facade);
    suite_add_tcase(s, tc);
    TCase *cc_tc = tcase_create("cache-control");
    tcase_add_test(cc_tc, cache_control_values);
    suite_add_tcase(s, cc_tc);
    return s;
}

UNIT_SUITE(jwks_schedule_suite);
