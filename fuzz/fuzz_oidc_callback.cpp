/*
 * fuzz_oidc_callback.cpp: libFuzzer target for the untrusted parts of a login callback: the
 * query string (ea_oidc_callback_parse), the path a login returns to (ea_oidc_return_path_ok),
 * and the flow cookies in the Cookie headers (ea_oidc_flow_open, ea_oidc_flows_prune).
 *
 * Input: the first line is the query string, and also a return-path candidate; every further
 * line ('\n' separated) is one Cookie header value. A fixed, valid flow cookie (state
 * "fixed-state", sealed at startup with the key below) is always sent as the first Cookie header,
 * so the inputs reach the code past the cookie lookup.
 *
 * Checked besides crashes and sanitizer reports: the parse result has what the header promises
 * (an error, or a code and a state; no control bytes; empty output on failure); an accepted
 * return path passes an independent re-check of every rule; a flow that opens is the one asked
 * for, within its lifetime, and the fixed one has the fixed values; pruning returns at most EA_OIDC_MAX_REMOVALS removals of flow
 * cookie names; and when nothing else in the input names the fixed flow, it opens and is never
 * pruned.
 *
 * Seeds: fuzz/seeds/fuzz_oidc_callback/, written by fuzz/make-seeds-oidc.
 */

#include "fuzz_common.h"

#include <cstdint>
#include <string>

namespace {

const char KEY_FILE[] = "# fuzzing only\nJdq6h8gMGzUlXBeB7UeYmLxAMPjwI_N8bZTbNz_4Wxs\n";
const char PROVIDER[] = "fuzz";
const char COOKIE[] = "__Host-s";
const char STATE[] = "fixed-state";
const char NONCE[] = "fixed-nonce";
const char VERIFIER[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const char RETURN_PATH[] = "/r?x=1";
const int64_t NOW = 1700000000;
const int64_t TIMEOUT = 600;

ea_session_keys_t *g_keys;
ea_sealer_t *g_sealer;
std::string g_fixed_header;
std::string g_prefix;

ea_str_t str(const char *s)
{
    return ea_str_t{s, std::strlen(s)};
}

std::string text(const ea_str_t &s)
{
    return std::string(s.data, s.len);
}

int hex(unsigned char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Every rule of ea_oidc_return_path_ok, checked again in the plainest way. */
void recheck_return_path(const std::string &p)
{
    if (p.empty() || p[0] != '/' || (p.size() > 1 && (p[1] == '/' || p[1] == '\\'))) {
        fuzz::violation("accepted a return path that does not start with exactly one '/'", p.data(), p.size());
    }
    size_t query = p.find('?');
    for (size_t i = 0; i < p.size(); i++) {
        unsigned char c = static_cast<unsigned char>(p[i]);
        if (c < 0x21 || c > 0x7e || c == '\\' || c == '<' || c == '>' || c == '"' || c == '\'' || c == '`') {
            fuzz::violation("accepted a return path with a forbidden byte", p.data(), p.size());
        }
        if (c == ':' && i < query) {
            fuzz::violation("accepted a return path with ':' before the query", p.data(), p.size());
        }
        if (c == '%') {
            int v = i + 2 < p.size() && hex(p[i + 1]) >= 0 && hex(p[i + 2]) >= 0 ? hex(p[i + 1]) * 16 + hex(p[i + 2])
                                                                                 : -1;
            // an encoded separator is refused in the path only; it is plain data in the query
            if (v < 0x20 || v == 0x7f || ((v == '/' || v == '\\') && i < query)) {
                fuzz::violation("accepted a return path with a bad or forbidden escape", p.data(), p.size());
            }
        }
    }
}

void check_callback(const char *data, size_t size, std::string &state)
{
    fuzz::Arena arena;
    ea_oidc_callback_t cb;
    std::memset(&cb, 0xa5, sizeof(cb));
    const size_t err_len = 80;
    std::unique_ptr<char[]> err(new char[err_len]);
    std::memset(err.get(), 'X', err_len);
    int rc = ea_oidc_callback_parse(data, size, fuzz::Arena::alloc, &arena, &cb, err.get(), err_len);
    fuzz::check_message("ea_oidc_callback_parse error", err.get(), err_len);
    const ea_str_t *all[] = {&cb.code, &cb.state, &cb.iss, &cb.error, &cb.error_description};
    for (const ea_str_t *s : all) {
        if (s->data == nullptr) {
            fuzz::violation("NULL string from ea_oidc_callback_parse", data, size);
        }
        fuzz::check_no_controls("callback value", s->data, s->len);
    }
    if (rc == -1) {
        for (const ea_str_t *s : all) {
            if (s->len) {
                fuzz::violation("callback output left set on failure", data, size);
            }
        }
        if (err[0] == '\0') {
            fuzz::violation("callback failure without a message", data, size);
        }
        return;
    }
    if (rc != 0) {
        fuzz::violation("ea_oidc_callback_parse returned neither 0 nor -1", data, size);
    }
    if (cb.error.len == 0 && (cb.code.len == 0 || cb.state.len == 0)) {
        fuzz::violation("accepted a response with neither an error nor a code and a state", data, size);
    }
    for (const ea_str_t *s : {&cb.code, &cb.state}) {
        for (size_t i = 0; i < s->len; i++) {
            if (static_cast<unsigned char>(s->data[i]) > 0x7e) {
                fuzz::violation("non-ASCII code or state", s->data, s->len);
            }
        }
    }
    if (size > 8192) {
        fuzz::violation("accepted a query over 8 KiB", data, size);
    }
    state = text(cb.state);
}

void check_flow_open(const std::vector<ea_str_t> &headers, const std::string &state, bool must_open)
{
    fuzz::Arena arena;
    ea_oidc_flow_t f;
    std::memset(&f, 0xa5, sizeof(f));
    const size_t detail_len = 96;
    std::unique_ptr<char[]> detail(new char[detail_len]);
    std::memset(detail.get(), 'X', detail_len);
    ea_str_t st = {state.data(), state.size()};
    ea_oidc_flow_status_t rc = ea_oidc_flow_open(g_sealer, g_keys, headers.data(), headers.size(), &st, NOW + 10,
                                                 TIMEOUT, fuzz::Arena::alloc, &arena, &f, detail.get(), detail_len);
    fuzz::check_message("ea_oidc_flow_open detail", detail.get(), detail_len);
    if (static_cast<unsigned>(rc) > EA_OIDC_FLOW_INTERNAL || ea_oidc_flow_reason(rc)[0] == '\0') {
        fuzz::violation("flow status out of range", state.data(), state.size());
    }
    if (rc == EA_OIDC_FLOW_INTERNAL) {
        fuzz::violation("internal error opening a flow", detail.get(), std::strlen(detail.get()));
    }
    if (must_open && rc != EA_OIDC_FLOW_OK) {
        fuzz::violation("the fixed flow did not open", detail.get(), std::strlen(detail.get()));
    }
    if (rc != EA_OIDC_FLOW_OK) {
        if (f.state.len || f.nonce.len || f.code_verifier.len || f.cookie_name.len || f.created) {
            fuzz::violation("flow output left set on failure", state.data(), state.size());
        }
        return;
    }
    /* Any authentic flow may open (the seeds carry some); it must be the one asked for. */
    if (text(f.state) != state || text(f.cookie_name) != g_prefix + state || f.nonce.len == 0
        || f.code_verifier.len < 43 || f.code_verifier.len > 128
        || ea_oidc_return_path_ok(f.return_path.data, f.return_path.len) != 1 || f.created > NOW + 10 + 60
        || f.created <= NOW + 10 - TIMEOUT) {
        fuzz::violation("an opened flow breaks the rules", state.data(), state.size());
    }
    if (state == STATE && (text(f.nonce) != NONCE || text(f.code_verifier) != VERIFIER
                              || text(f.return_path) != RETURN_PATH || f.created != NOW)) {
        fuzz::violation("the fixed flow opened with other values", state.data(), state.size());
    }
}

void check_prune(const std::vector<ea_str_t> &headers, bool fixed_named_elsewhere)
{
    fuzz::Arena arena;
    ea_oidc_removals_t out;
    int rc = ea_oidc_flows_prune(g_sealer, g_keys, headers.data(), headers.size(), NOW + 10, TIMEOUT, 100,
                                 fuzz::Arena::alloc, &arena, &out);
    if (rc != 0 || out.n > EA_OIDC_MAX_REMOVALS) {
        fuzz::violation("ea_oidc_flows_prune failed or returned too many removals", "", 0);
    }
    for (size_t i = 0; i < out.n; i++) {
        const ea_cookie_t &c = out.cookies[i];
        std::string name = text(c.name);
        if (c.remove != 1 || c.value.len != 0 || name.rfind(g_prefix, 0) != 0) {
            fuzz::violation("a removal that is not a flow cookie's", name.data(), name.size());
        }
        for (unsigned char ch : name) {
            if (ch <= 0x20 || ch >= 0x7f || std::strchr("()<>@,;:\\\"/[]?={}", ch) != nullptr) {
                fuzz::violation("a removal whose name is not a cookie name", name.data(), name.size());
            }
        }
        if (name == g_prefix + STATE && !fixed_named_elsewhere) {
            fuzz::violation("the valid fixed flow was pruned", name.data(), name.size());
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    char err[256] = "";
    g_keys = ea_session_keys_load(KEY_FILE, std::strlen(KEY_FILE), err, sizeof(err));
    ea_session_conf_t conf;
    ea_session_conf_init(&conf);
    conf.provider = str(PROVIDER);
    conf.cookie_name = str(COOKIE);
    g_sealer = g_keys ? ea_sealer_create(&conf, err, sizeof(err)) : nullptr;
    if (g_keys == nullptr || g_sealer == nullptr) {
        std::fprintf(stderr, "fuzz_oidc_callback: setup: %s\n", err);
        std::abort();
    }
    ea_oidc_flow_t f;
    std::memset(&f, 0, sizeof(f));
    f.state = str(STATE);
    f.nonce = str(NONCE);
    f.code_verifier = str(VERIFIER);
    f.return_path = str(RETURN_PATH);
    f.issuer = str("https://issuer.example");
    f.created = NOW;
    static fuzz::Arena arena;
    ea_cookie_t c;
    if (ea_oidc_flow_seal(g_sealer, g_keys, &f, fuzz::Arena::alloc, &arena, &c, err, sizeof(err)) != 0) {
        std::fprintf(stderr, "fuzz_oidc_callback: flow seal: %s\n", err);
        std::abort();
    }
    g_fixed_header = "theme=dark; " + text(c.name) + "=" + text(c.value);
    ea_str_t prefix = ea_oidc_flow_cookie_prefix(g_sealer);
    g_prefix = text(prefix);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = reinterpret_cast<const char *>(data);
    size_t nl = 0;
    while (nl < size && in[nl] != '\n') {
        nl++;
    }
    std::string query(in, nl);

    std::string state;
    check_callback(query.data(), query.size(), state);

    if (ea_oidc_return_path_ok(query.data(), query.size()) == 1) {
        recheck_return_path(query);
    }

    std::vector<ea_str_t> headers = {{g_fixed_header.data(), g_fixed_header.size()}};
    size_t start = nl + 1;
    for (size_t i = start; i <= size && start <= size; i++) {
        if (i == size || in[i] == '\n') {
            headers.push_back(ea_str_t{in + start, i - start});
            start = i + 1;
        }
    }
    bool named = std::string(in, size).find(STATE) != std::string::npos;
    check_flow_open(headers, state.empty() ? query : state, false);
    check_flow_open(headers, STATE, !named);
    check_prune(headers, named);
    return 0;
}
