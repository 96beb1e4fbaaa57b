#include "session_status.h"

#include <cstddef>

namespace edge_auth {

namespace {

const char *const kReasons[] = {
    "ok",
    "no_session",
    "duplicate",
    "too_large",
    "chunk",
    "malformed",
    "unknown_version",
    "unknown_key",
    "bad_seal",
    "bad_payload",
    "expired",
    "idle_expired",
    "internal",
    "revoked",
};

static_assert(sizeof(kReasons) / sizeof(kReasons[0]) == static_cast<size_t>(SessionStatus::Count),
    "one reason string per session status");

} // namespace

const char *session_status_reason(SessionStatus status) noexcept
{
    auto i = static_cast<size_t>(status);
    if (i >= static_cast<size_t>(SessionStatus::Count)) {
        return "internal";
    }
    return kReasons[i];
}

} // namespace edge_auth
