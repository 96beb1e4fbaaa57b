#include "oidc_callback.h"

#include "status.h"

namespace edge_auth {

namespace {

int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool has_control(std::string_view s)
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

bool printable_ascii(std::string_view s)
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

enum Param { kCode, kState, kIss, kError, kErrorDescription, kIdToken, kSessionState, kParams };

const char *const kNames[kParams] = {"code", "state", "iss", "error", "error_description", "id_token",
    "session_state"};

} // namespace

bool form_decode(std::string_view in, std::string &out)
{
    out.clear();
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); i++) {
        char c = in[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= in.size()) {
                return false;
            }
            int hi = hex_value(static_cast<unsigned char>(in[i + 1]));
            int lo = hex_value(static_cast<unsigned char>(in[i + 2]));
            if (hi < 0 || lo < 0) {
                return false;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return true;
}

bool parse_callback(std::string_view args, CallbackParams &out, std::string &err)
{
    out = CallbackParams();
    err.clear();
    if (args.size() > kMaxCallbackArgsBytes) {
        err = "the callback query is " + std::to_string(args.size()) + " bytes, over the cap of "
            + std::to_string(kMaxCallbackArgsBytes);
        return false;
    }
    bool seen[kParams] = {};
    std::string *dst[kParams] = {&out.code, &out.state, &out.iss, &out.error, &out.error_description, nullptr,
        nullptr};
    std::string name, value;
    size_t pos = 0;
    while (pos < args.size()) {
        size_t amp = args.find('&', pos);
        size_t end = amp == std::string_view::npos ? args.size() : amp;
        std::string_view pair = args.substr(pos, end - pos);
        pos = end + 1;
        if (pair.empty()) {
            continue;
        }
        size_t eq = pair.find('=');
        std::string_view raw_name = pair.substr(0, eq);
        std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        if (!form_decode(raw_name, name) || !form_decode(raw_value, value)) {
            err = "parameter ";
            append_quoted(err, raw_name);
            err += " is not valid percent-encoding";
            return false;
        }
        if (has_control(name) || has_control(value)) {
            err = "parameter ";
            append_quoted(err, name);
            err += " holds a control character";
            return false;
        }
        for (int p = 0; p < kParams; p++) {
            if (name != kNames[p]) {
                continue;
            }
            if (seen[p]) {
                err = std::string("parameter \"") + kNames[p] + "\" appears more than once";
                return false;
            }
            seen[p] = true;
            if (dst[p]) {
                dst[p]->swap(value);
            }
            break;
        }
    }
    const int not_empty[] = {kCode, kState, kIss, kError};
    for (int p : not_empty) {
        if (seen[p] && dst[p]->empty()) {
            err = std::string("parameter \"") + kNames[p] + "\" is empty";
            return false;
        }
    }
    if (!printable_ascii(out.code) || !printable_ascii(out.state)) {
        err = "code and state must be printable ASCII";
        return false;
    }
    if (seen[kError]) {
        return true;
    }
    if (!seen[kCode] || !seen[kState]) {
        err = seen[kCode] ? "the response has a code but no state"
            : seen[kState] ? "the response has a state but no code (and no error)"
                           : "the response has neither a code and a state nor an error";
        return false;
    }
    return true;
}

} // namespace edge_auth
