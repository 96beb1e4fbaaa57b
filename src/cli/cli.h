/*
 * cli.h: shared pieces of the edge-auth command-line tool.
 *
 * The tool mints keys and tokens for operators and for the test suites. The JOSE commands
 * deliberately share no code with src/core: tokens they sign are checked by the core's verifier,
 * so an independent implementation is what makes those tests mean something. The session
 * commands (session.cpp) are the exception: they call the core's C facade, because a sealed
 * cookie must be exactly what the module reads and writes.
 *
 *     int main(int argc, char **argv) -> dispatch on argv[1] to one of the cmd_* functions below;
 *     each parses its own options with parse_args() and throws cli::Error on any failure, which
 *     main prints and turns into exit status 2.
 */

#ifndef EDGE_AUTH_CLI_H
#define EDGE_AUTH_CLI_H

#include <jansson.h>
#include <openssl/evp.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

/* Every failure the user should see: message goes to stderr, exit status is 2. */
struct Error : std::runtime_error {
    explicit Error(const std::string &what) : std::runtime_error(what) {}
};

/* Throws Error(what + the most recent OpenSSL error, if any). */
[[noreturn]] void openssl_fail(const std::string &what);

/* ---- options ------------------------------------------------------------------------------ */

struct OptionSpec {
    const char *name;   /* without the leading "--" */
    bool        takes_value;
};

struct Args {
    std::map<std::string, std::vector<std::string>> opts;  /* every value, in order */
    std::vector<std::string>                        positional;

    bool has(const std::string &name) const { return opts.count(name) != 0; }
    /* The last value given for an option (so a later flag overrides an earlier one). */
    std::string get(const std::string &name, const std::string &def = "") const;
    long long   get_int(const std::string &name, long long def) const;
};

/* "--name value" and "--name=value"; "--" ends the options. Unknown options are an error. */
Args parse_args(const std::vector<std::string> &argv, const std::vector<OptionSpec> &spec);

/* ---- bytes -------------------------------------------------------------------------------- */

std::string b64url_encode(const std::string &bytes);
/* Strict: unpadded RFC 4648 §5 alphabet only; throws Error naming `what` otherwise. */
std::string b64url_decode(const std::string &text, const std::string &what);

/* Whole file ("-" is standard input). */
std::string read_file(const std::string &path);

/* ---- JSON --------------------------------------------------------------------------------- */

struct JsonDeleter {
    void operator()(json_t *j) const { json_decref(j); }
};
using Json = std::unique_ptr<json_t, JsonDeleter>;

/* Parses a JSON document (any value when allow_any); throws Error naming `what` on bad input. */
Json parse_json(const std::string &text, const std::string &what, bool allow_any = false);
/* Compact, member order as inserted, no trailing newline. */
std::string dump_json(const json_t *j);
/* A new JSON string; throws Error naming `what` when text is not UTF-8 (jansson refuses it). */
json_t *json_text(const std::string &text, const std::string &what);
/* A string member, or "" when absent; throws when present but not a string. */
std::string json_str(const json_t *obj, const char *member);

/* ---- OpenSSL ownership -------------------------------------------------------------------- */

struct PkeyDeleter {
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

/* ---- keys (jwk.cpp) ----------------------------------------------------------------------- */

/* A private JWK loaded for signing. */
struct SigningKey {
    std::string kty;     /* RSA, EC, OKP, oct */
    std::string crv;     /* EC / OKP only */
    std::string kid;     /* "" when the JWK has none */
    std::string alg;     /* "" when the JWK has none */
    Pkey        pkey;    /* asymmetric keys */
    std::string secret;  /* oct keys */
};

/* Loads the first (or only) private key of a JWK or JWKS file. */
SigningKey load_signing_key(const std::string &path);

/* ---- subcommands -------------------------------------------------------------------------- */

int cmd_jwk_gen(const std::vector<std::string> &argv);      /* jwk.cpp */
int cmd_jwks_public(const std::vector<std::string> &argv);  /* jwk.cpp */
int cmd_jwt_sign(const std::vector<std::string> &argv);     /* jwt.cpp */
int cmd_keygen(const std::vector<std::string> &argv);       /* session.cpp */
int cmd_seal(const std::vector<std::string> &argv);         /* session.cpp */
int cmd_open(const std::vector<std::string> &argv);         /* session.cpp */
int cmd_flow_seal(const std::vector<std::string> &argv);    /* session.cpp */
int cmd_routes(const std::vector<std::string> &argv);       /* routes.cpp */

}  // namespace cli

#endif /* EDGE_AUTH_CLI_H */
