// oidc_callback.h: the query string of the redirect back from the provider (RFC 6749 §4.1.2,
// RFC 9207), and the strict percent-decoding it uses.
//
// Usage:
//
//     CallbackParams cb;
//     std::string err;
//     if (!parse_callback(args, cb, err)) reject(err);            // one line, safe to log
//     if (!cb.error.empty()) show_error(cb.error, cb.error_description);
//     else open the flow cookie named by cb.state, then exchange cb.code
//
// Rules: at most kMaxCallbackArgsBytes; pairs split on '&' (empty pairs skipped), name and value
// split on the first '=' (a pair without '=' has an empty value); names and values are
// form-decoded ('+' is a space, %XY a byte) and a '%' not followed by two hex digits is an error;
// no decoded name or value may hold a control byte (0x00-0x1f, 0x7f). code, state, iss, error,
// error_description, id_token and session_state may each appear at most once (compared after
// decoding); other parameters are ignored. code, state, iss and error, when given, may not be
// empty, and code and state must be printable ASCII (0x20-0x7e). A response needs either error
// or both code and state.

#ifndef EDGE_AUTH_CORE_OIDC_CALLBACK_H
#define EDGE_AUTH_CORE_OIDC_CALLBACK_H

#include <cstddef>
#include <string>
#include <string_view>

namespace edge_auth {

constexpr size_t kMaxCallbackArgsBytes = 8192;

struct CallbackParams {
    std::string code;
    std::string state;
    std::string iss;                 // "" when absent
    std::string error;               // "" when absent
    std::string error_description;   // "" when absent
};

// application/x-www-form-urlencoded decoding of one name or value: '+' is a space, %XY the byte
// XY (either case). False for a '%' not followed by two hex digits. Throws only std::bad_alloc.
bool form_decode(std::string_view in, std::string &out);

// False with `err` set (parameter names in it are escaped and cut short). Throws only
// std::bad_alloc.
bool parse_callback(std::string_view args, CallbackParams &out, std::string &err);

} // namespace edge_auth

#endif
