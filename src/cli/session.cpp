/*
 * session.cpp: the sealed-session subcommands (keygen, seal, open) and flow-seal, which seals a
 * login-flow cookie.
 *
 * Unlike the JOSE commands, these go through the core's C facade (edge_auth.h): a cookie has one
 * implementation, the module's, and the tool mints and reads exactly what nginx will. The format
 * itself is pinned independently by docs/session-format.md and its known-answer unit test.
 */

#include "cli.h"

#include "edge_auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

namespace cli {

namespace {

const char FILE_HEADER[] =
    "# nginx-edge-auth session key file (docs/session-format.md)\n"
    "#\n"
    "# One secret per line: base64url without '=' padding, at least 32 random bytes; make new\n"
    "# lines with `edge-auth keygen`. Blank lines and text after '#' are ignored.\n"
    "# The FIRST secret seals new cookies; every secret listed opens them. To rotate keys: add\n"
    "# a new secret as the first line and reload nginx; once the absolute session timeout has\n"
    "# passed, delete the old line and reload again. Deleting a secret ends every session it\n"
    "# sealed. Keep this file readable by root only.\n";

/* Memory handed out by the facade's allocator callbacks, freed when the arena goes. */
struct Arena {
    std::vector<void *> blocks;
    Arena() = default;
    Arena(const Arena &) = delete;
    Arena &operator=(const Arena &) = delete;
    ~Arena()
    {
        for (void *p : blocks) {
            std::free(p);
        }
    }
    static void *alloc(void *ctx, size_t size)
    {
        void *p = std::malloc(size ? size : 1);
        if (p != nullptr) {
            static_cast<Arena *>(ctx)->blocks.push_back(p);
        }
        return p;
    }
};

struct KeysDeleter {
    void operator()(ea_session_keys_t *k) const { ea_session_keys_free(k); }
};
using Keys = std::unique_ptr<ea_session_keys_t, KeysDeleter>;

struct SealerDeleter {
    void operator()(ea_sealer_t *s) const { ea_sealer_free(s); }
};
using Sealer = std::unique_ptr<ea_sealer_t, SealerDeleter>;

struct SessionDeleter {
    void operator()(ea_session_t *s) const { ea_session_free(s); }
};
using Session = std::unique_ptr<ea_session_t, SessionDeleter>;

ea_str_t view(const std::string &s)
{
    return ea_str_t{s.data(), s.size()};
}

const std::vector<OptionSpec> SEALER_OPTIONS = {
    {"keys", true}, {"provider", true}, {"cookie", true}, {"realm", true},
    {"ttl", true},  {"idle", true},     {"now", true},    {"json", true},
};

Keys load_keys(const Args &a)
{
    if (!a.has("keys")) {
        throw Error("--keys FILE is required");
    }
    std::string path = a.get("keys");
    std::string text = read_file(path);
    char err[512];
    Keys keys(ea_session_keys_load(text.data(), text.size(), err, sizeof(err)));
    OPENSSL_cleanse(&text[0], text.size());
    if (!keys) {
        throw Error(path + ": " + err);
    }
    return keys;
}

/* Strings referenced by the sealer configuration live here while it is built. */
struct SealerArgs {
    std::string provider, cookie, realm;
};

Sealer make_sealer(const Args &a, SealerArgs &s)
{
    if (!a.has("provider") || !a.has("cookie")) {
        throw Error("--provider NAME and --cookie NAME are required");
    }
    s.provider = a.get("provider");
    s.cookie = a.get("cookie");
    s.realm = a.get("realm");
    ea_session_conf_t conf;
    ea_session_conf_init(&conf);
    conf.provider = view(s.provider);
    conf.cookie_name = view(s.cookie);
    conf.realm = view(s.realm);
    conf.absolute_timeout = a.get_int("ttl", conf.absolute_timeout);
    conf.idle_timeout = a.get_int("idle", conf.idle_timeout);
    char err[512];
    Sealer sealer(ea_sealer_create(&conf, err, sizeof(err)));
    if (!sealer) {
        throw Error(err);
    }
    return sealer;
}

int64_t now_from(const Args &a)
{
    return a.get_int("now", static_cast<long long>(std::time(nullptr)));
}

}  // namespace

int cmd_keygen(const std::vector<std::string> &argv)
{
    Args a = parse_args(argv, {{"bytes", true}, {"file-header", false}});
    if (!a.positional.empty()) {
        throw Error("unexpected argument \"" + a.positional[0] + "\"");
    }
    long long n = a.get_int("bytes", 32);
    if (n < 32 || n > 512) {
        throw Error("--bytes must be from 32 to 512");
    }
    /* The loader's entropy heuristic rejects random bytes with a probability below 1e-13;
     * drawing again is the whole remedy. */
    for (int attempt = 0; attempt < 8; attempt++) {
        std::string secret(static_cast<size_t>(n), '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char *>(&secret[0]), static_cast<int>(n)) != 1) {
            openssl_fail("RAND_bytes");
        }
        std::string line = b64url_encode(secret);
        OPENSSL_cleanse(&secret[0], secret.size());
        char err[512];
        Keys keys(ea_session_keys_load(line.data(), line.size(), err, sizeof(err)));
        if (!keys) {
            OPENSSL_cleanse(&line[0], line.size());
            continue;
        }
        char kid[9];
        ea_session_keys_id(keys.get(), 0, kid);
        char date[32] = "";
        std::time_t t = std::time(nullptr);
        struct tm tm;
        if (gmtime_r(&t, &tm) != nullptr) {
            std::strftime(date, sizeof(date), ", created %Y-%m-%d", &tm);
        }
        if (a.has("file-header")) {
            std::cout << FILE_HEADER;
        }
        std::cout << line << "  # key id " << kid << date << '\n';
        OPENSSL_cleanse(&line[0], line.size());
        return 0;
    }
    throw Error("could not generate a secret that passes the key checks");
}

int cmd_seal(const std::vector<std::string> &argv)
{
    Args a = parse_args(argv, SEALER_OPTIONS);
    if (!a.positional.empty()) {
        throw Error("unexpected argument \"" + a.positional[0] + "\" (the session is --json or stdin)");
    }
    Keys keys = load_keys(a);
    SealerArgs sa;
    Sealer sealer = make_sealer(a, sa);
    std::string json = a.has("json") ? a.get("json") : read_file("-");
    char err[512];
    Session session(ea_session_from_json(sealer.get(), json.data(), json.size(), now_from(a), err, sizeof(err)));
    if (!session) {
        throw Error(std::string("session JSON: ") + err);
    }
    Arena arena;
    ea_cookie_set_t set;
    char detail[256];
    ea_session_status_t rc = ea_session_seal(sealer.get(), keys.get(), session.get(), 0, Arena::alloc, &arena, &set,
                                             detail, sizeof(detail));
    if (rc != EA_SESSION_OK) {
        throw Error(std::string("cannot seal: ") + ea_session_reason(rc) + " (" + detail + ")");
    }
    for (size_t i = 0; i < set.n; i++) {
        std::cout.write(set.cookies[i].name.data, static_cast<std::streamsize>(set.cookies[i].name.len));
        std::cout << '=';
        std::cout.write(set.cookies[i].value.data, static_cast<std::streamsize>(set.cookies[i].value.len));
        std::cout << '\n';
    }
    return 0;
}

int cmd_flow_seal(const std::vector<std::string> &argv)
{
    Args a = parse_args(argv, {{"keys", true}, {"provider", true}, {"cookie-name", true}, {"cookie", true},
                               {"realm", true}, {"state", true}, {"nonce", true}, {"verifier", true},
                               {"return", true}, {"issuer", true}, {"created", true}, {"now", true}});
    if (!a.positional.empty()) {
        throw Error("unexpected argument \"" + a.positional[0] + "\"");
    }
    if (a.has("cookie-name") && a.has("cookie")) {
        throw Error("give --cookie-name or --cookie, not both");
    }
    if (a.has("created") && a.has("now")) {
        throw Error("give --created or --now, not both");
    }
    for (const char *required : {"state", "nonce", "verifier"}) {
        if (!a.has(required)) {
            throw Error(std::string("--") + required + " is required");
        }
    }
    if (!a.has("provider") || (!a.has("cookie-name") && !a.has("cookie"))) {
        throw Error("--provider NAME and --cookie-name NAME are required");
    }
    Keys keys = load_keys(a);
    Args sealer_args = a;
    if (a.has("cookie-name")) {
        sealer_args.opts["cookie"] = a.opts.at("cookie-name");
    }
    SealerArgs sa;
    Sealer sealer = make_sealer(sealer_args, sa);

    std::string state = a.get("state"), nonce = a.get("nonce"), verifier = a.get("verifier");
    std::string ret = a.get("return", "/"), issuer = a.get("issuer");
    ea_oidc_flow_t flow;
    std::memset(&flow, 0, sizeof(flow));
    flow.state = view(state);
    flow.nonce = view(nonce);
    flow.code_verifier = view(verifier);
    flow.return_path = view(ret);
    flow.issuer = view(issuer);
    flow.created = a.has("created") ? a.get_int("created", 0) : now_from(a);
    Arena arena;
    ea_cookie_t cookie;
    char err[512];
    if (ea_oidc_flow_seal(sealer.get(), keys.get(), &flow, Arena::alloc, &arena, &cookie, err, sizeof(err)) != 0) {
        throw Error(std::string("cannot seal the flow: ") + err);
    }
    std::cout.write(cookie.name.data, static_cast<std::streamsize>(cookie.name.len));
    std::cout << '=';
    std::cout.write(cookie.value.data, static_cast<std::streamsize>(cookie.value.len));
    std::cout << '\n';
    return 0;
}

int cmd_open(const std::vector<std::string> &argv)
{
    Args a = parse_args(argv, SEALER_OPTIONS);
    if (a.has("json")) {
        throw Error("--json is for seal");
    }
    if (a.positional.empty()) {
        throw Error("give the Cookie header (or the cookie's value) to open");
    }
    Keys keys = load_keys(a);
    SealerArgs sa;
    Sealer sealer = make_sealer(a, sa);

    ea_session_cookies_t jar;
    ea_session_status_t rc;
    char detail[256] = "";
    bool header = a.positional.size() > 1 || a.positional[0].find('=') != std::string::npos;
    if (header) {
        /* Each argument is one Cookie header value; base64url never contains '='. */
        std::vector<ea_str_t> headers;
        for (const std::string &h : a.positional) {
            headers.push_back(view(h));
        }
        rc = ea_session_cookies_find(sealer.get(), headers.data(), headers.size(), &jar, detail, sizeof(detail));
    } else {
        std::memset(&jar, 0, sizeof(jar));
        jar.chunks[0] = view(a.positional[0]);
        jar.present = 1;
        rc = EA_SESSION_OK;
    }
    Session session;
    if (rc == EA_SESSION_OK) {
        ea_session_t *s = nullptr;
        rc = ea_session_open(sealer.get(), keys.get(), &jar, now_from(a), &s, detail, sizeof(detail));
        session.reset(s);
    }
    if (rc != EA_SESSION_OK) {
        std::cout << ea_session_reason(rc) << ": " << detail << '\n';
        return 1;
    }
    Arena arena;
    ea_str_t json;
    if (ea_session_json(session.get(), Arena::alloc, &arena, &json) != 1) {
        throw Error("out of memory");
    }
    std::cout.write(json.data, static_cast<std::streamsize>(json.len));
    std::cout << '\n';
    return 0;
}

}  // namespace cli
