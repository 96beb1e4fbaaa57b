/*
 * main.cpp: edge-auth, the operator and test tool of nginx-edge-auth. Dispatches to one
 * subcommand; each subcommand group lives in its own file (jwk.cpp, jwt.cpp, session.cpp,
 * routes.cpp).
 */

#include "cli.h"

#include <cstring>
#include <iostream>

namespace {

struct Command {
    const char *name;
    int (*run)(const std::vector<std::string> &argv);
    const char *usage;
};

const Command COMMANDS[] = {
    {"jwk-gen", cli::cmd_jwk_gen,
     "edge-auth jwk-gen --kty RSA|EC|OKP|oct [options]\n"
     "    Prints a new PRIVATE JWK as one line of JSON.\n"
     "    --bits N          RSA modulus size (default 2048; OpenSSL's minimum is 512)\n"
     "    --e N             RSA public exponent, decimal or 0x-hex (default 65537). OpenSSL\n"
     "                      generates only odd exponents > 1 (3 works; 1 and even ones fail):\n"
     "                      write such a JWK by hand for tests that need one\n"
     "    --crv C           EC: P-256 (default), P-384, P-521; OKP: Ed25519 (default), Ed448\n"
     "    --size BYTES      oct secret length (default 32)\n"
     "    --kid K  --alg A  --use sig|enc    copied into the JWK as given\n"
     "    --key-ops LIST    comma-separated, e.g. verify,sign (\"\" gives [])\n"},
    {"jwks-public", cli::cmd_jwks_public,
     "edge-auth jwks-public FILE...\n"
     "    Reads JWKs (one JSON object per file, or a {\"keys\":[...]} JWKS; - is stdin) and\n"
     "    prints {\"keys\":[...]} with only the public members kid, kty, alg, use, key_ops,\n"
     "    crv, x, y, n, e. oct keys are copied whole, since they are symmetric.\n"},
    {"jwt-sign", cli::cmd_jwt_sign,
     "edge-auth jwt-sign [--key FILE] [options]\n"
     "    Prints a compact JWS. FILE is a private JWK, or a JWKS whose first key is used.\n"
     "    --alg ALG         signing alg: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA,\n"
     "                      HS256/384/512, none (empty signature). Default: the key's alg, else\n"
     "                      RS256 / ES256|384|512 by curve / EdDSA / HS256 by key type. ES*\n"
     "                      follows the key's curve for the r||s size, so a mismatched\n"
     "                      alg/curve pair can be minted on purpose\n"
     "    Header (default {\"alg\":ALG,\"typ\":\"JWT\",\"kid\":<the key's kid, if any>}):\n"
     "    --kid K | --no-kid   set (even to \"\") or drop kid\n"
     "    --typ T | --no-typ   set or drop typ\n"
     "    --header JSON     the header bytes verbatim (any bytes, even invalid JSON); the\n"
     "                      signature still uses --alg/the key's alg, whatever JSON says.\n"
     "                      Cannot be combined with --kid/--no-kid/--typ/--no-typ\n"
     "    --header-b64 SEG  the header segment verbatim, already base64url (any bytes, or\n"
     "                      deliberately non-canonical encodings); same restrictions\n"
     "    Claims (default {}):\n"
     "    --ttl SECONDS     adds \"iat\":NOW and \"exp\":NOW+SECONDS\n"
     "    --now UNIX        NOW for --ttl (default: the current time)\n"
     "    --set NAME=VALUE  adds a claim, repeatable, after iat/exp (so it can override them);\n"
     "                      VALUE is JSON when it parses as JSON (5, true, [\"a\"], {...},\n"
     "                      \"\\\"5\\\"\"), else a plain string (alice)\n"
     "    --claims JSON     the payload bytes verbatim; cannot be combined with\n"
     "                      --ttl/--now/--set (compute iat/exp yourself)\n"
     "    --claims-b64 SEG  the payload segment verbatim, already base64url; same restrictions\n"
     "    --signature-b64 S the signature segment verbatim, no signing (no key needed)\n"},
    {"keygen", cli::cmd_keygen,
     "edge-auth keygen [--bytes N] [--file-header]\n"
     "    Prints a new secret line for the session key file: base64url of N random bytes\n"
     "    (default 32, 32-512), followed by a comment with its key id and the date.\n"
     "    --file-header     first print a comment block explaining the file format and rotation\n"},
    {"seal", cli::cmd_seal,
     "edge-auth seal --keys FILE --provider NAME --cookie NAME [options] [--json JSON]\n"
     "    Seals a session document (--json, else standard input) with the first secret of the\n"
     "    key file and prints the cookies as name=value lines, one per chunk.\n"
     "    JSON: {\"sub\":..,\"iss\":..} plus optional sid, iat, seen, exp, at, at_exp, rt, idt\n"
     "    and claims (docs/session-format.md); sid defaults to a new random id, iat and seen\n"
     "    to NOW, exp to iat + the absolute timeout\n"
     "    --realm R         further binding, as configured in nginx (default none)\n"
     "    --ttl SECONDS     absolute timeout (default 28800, 8 h)\n"
     "    --idle SECONDS    idle timeout (default 0, none)\n"
     "    --now UNIX        NOW (default: the current time)\n"},
    {"open", cli::cmd_open,
     "edge-auth open --keys FILE --provider NAME --cookie NAME [options] COOKIE...\n"
     "    Opens a session cookie exactly as the module does at NOW and prints the session JSON;\n"
     "    when it does not open, prints \"<reason>: <detail>\" and exits with status 1.\n"
     "    COOKIE is a Cookie header value (\"a=1; NAME=...; NAME.1=...\"; several arguments are\n"
     "    several Cookie headers) or the bare value of cookie NAME.\n"
     "    --realm R  --ttl SECONDS  --idle SECONDS  as for seal\n"
     "    --now UNIX        NOW (default: the current time)\n"},
    {"flow-seal", cli::cmd_flow_seal,
     "edge-auth flow-seal --keys FILE --provider NAME --cookie-name NAME --state S --nonce N\n"
     "          --verifier V [options]\n"
     "    Seals a login-flow cookie exactly as the module does when a login starts, and prints\n"
     "    it as one name=value line (the name is NAME_flow_S). For tests that play the\n"
     "    provider's callback (docs/session-format.md, \"Login flow cookie\").\n"
     "    --state S  --nonce N    1-128 characters of [A-Za-z0-9-._~]\n"
     "    --verifier V      the PKCE code verifier, 43-128 characters of [A-Za-z0-9-._~]\n"
     "    --return PATH     where the callback redirects after login (default /); it must be a\n"
     "                      safe same-origin path\n"
     "    --issuer I        the issuer the flow remembers (default none)\n"
     "    --realm R         further binding, as configured in nginx (default none)\n"
     "    --created UNIX    the flow's creation time (default: the current time; --now is the\n"
     "                      same option)\n"},
    {"routes", cli::cmd_routes,
     "edge-auth routes -c FILE [--json] [--strict] [--nginx PATH] [-p PREFIX]\n"
     "    Runs `nginx -t -q -c FILE` with the module's route inventory switched on and prints\n"
     "    every server and location with its auth decision (auth_jwt realm, auth_oidc\n"
     "    provider, edge_auth_public and why, internal, or none) and where it is configured.\n"
     "    The configuration must load the module. Exit status 1 when nginx -t fails (its\n"
     "    messages are printed on stderr).\n"
     "    --json            the inventory as JSON instead of a table\n"
     "    --strict          exit status 1 also when a route has a problem that\n"
     "                      \"edge_auth_policy strict\" would refuse, whatever the policy says\n"
     "    --nginx PATH      the nginx binary (default: nginx from PATH)\n"
     "    -p, --prefix DIR  nginx's prefix path (nginx -p)\n"},
};

void print_usage(std::ostream &out)
{
    out << "usage: edge-auth COMMAND [options]\n"
           "       edge-auth COMMAND --help\n\n";
    for (const Command &c : COMMANDS) {
        out << c.usage << '\n';
    }
    out << "Exit status: 0 on success, 1 when open rejects the cookie or when routes finds nginx -t\n"
           "failing (or, with --strict, an uncovered route), 2 on any error (message on stderr).\n";
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(std::cerr);
        return 2;
    }
    if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
        !std::strcmp(argv[1], "help")) {
        print_usage(std::cout);
        return 0;
    }
    for (const Command &c : COMMANDS) {
        if (std::strcmp(argv[1], c.name) != 0) {
            continue;
        }
        std::vector<std::string> args(argv + 2, argv + argc);
        if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
            std::cout << "usage: " << c.usage;
            return 0;
        }
        try {
            return c.run(args);
        } catch (const std::exception &e) {
            /* cli::Error and the odd std::bad_alloc alike: one line, exit 2. */
            std::cerr << "edge-auth " << c.name << ": " << e.what() << '\n';
            return 2;
        }
    }
    std::cerr << "edge-auth: unknown command \"" << argv[1] << "\"\n\n";
    print_usage(std::cerr);
    return 2;
}
