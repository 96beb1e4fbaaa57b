/*
 * fuzz_cache_control.cpp: libFuzzer target for ea_cache_control_max_age, the parser of the
 * Cache-Control header of a JWKS response (a header chosen by whoever serves the jwks_uri).
 *
 * Besides crashes and sanitizer reports it checks the documented result: -1, or a number of
 * seconds in [0, 10 years] (larger values are clamped, never overflowed), the same on every call,
 * and -1 whenever the value names neither max-age nor no-store/no-cache.
 */

#include "fuzz_common.h"

#include <cctype>
#include <cstdint>
#include <string>

namespace {

const int64_t TEN_YEARS = 10LL * 365 * 24 * 3600;

bool contains_ci(const std::string &haystack, const char *needle)
{
    std::string lower;
    lower.reserve(haystack.size());
    for (char c : haystack) {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return lower.find(needle) != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *value = reinterpret_cast<const char *>(data);
    int64_t max_age = ea_cache_control_max_age(value, size);

    if (max_age != -1 && (max_age < 0 || max_age > TEN_YEARS)) {
        fuzz::violation("max-age out of range", value, size);
    }
    if (ea_cache_control_max_age(value, size) != max_age) {
        fuzz::violation("max-age not deterministic", value, size);
    }
    std::string text(value, size);
    if (max_age != -1 && !contains_ci(text, "max-age") && !contains_ci(text, "no-store")
        && !contains_ci(text, "no-cache")) {
        fuzz::violation("max-age found in a value without one", value, size);
    }
    return 0;
}
