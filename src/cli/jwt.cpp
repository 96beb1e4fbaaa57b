/*
 * jwt.cpp: the token subcommand (jwt-sign), a compact JWS signer.
 *
 * Header and claims can be given as verbatim bytes so tests can mint tokens no well-behaved
 * library would produce (duplicate members, crit, odd algs, invalid JSON); the signature is still
 * computed correctly over whatever was given, unless --signature-b64 replaces it too.
 */

#include "cli.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <ctime>
#include <iostream>

namespace cli {

namespace {

enum class Family { RSA_PKCS1, RSA_PSS, ECDSA, EDDSA, HMAC, NONE };

struct Alg {
    const char *name;
    Family      family;
    const char *digest;  /* OpenSSL digest name; nullptr for EdDSA (it hashes internally) */
};

const Alg ALGS[] = {
    {"RS256", Family::RSA_PKCS1, "SHA256"}, {"RS384", Family::RSA_PKCS1, "SHA384"},
    {"RS512", Family::RSA_PKCS1, "SHA512"}, {"PS256", Family::RSA_PSS, "SHA256"},
    {"PS384", Family::RSA_PSS, "SHA384"},   {"PS512", Family::RSA_PSS, "SHA512"},
    {"ES256", Family::ECDSA, "SHA256"},     {"ES384", Family::ECDSA, "SHA384"},
    {"ES512", Family::ECDSA, "SHA512"},     {"EdDSA", Family::EDDSA, nullptr},
    {"HS256", Family::HMAC, "SHA256"},      {"HS384", Family::HMAC, "SHA384"},
    {"HS512", Family::HMAC, "SHA512"},      {"none", Family::NONE, nullptr},
};

const Alg *find_alg(const std::string &name)
{
    for (const Alg &a : ALGS) {
        if (name == a.name) {
            return &a;
        }
    }
    return nullptr;
}

/* The algorithm to use when neither --alg nor the JWK's "alg" names one. */
std::string default_alg(const SigningKey &key)
{
    if (key.kty == "RSA") {
        return "RS256";
    }
    if (key.kty == "EC") {
        return key.crv == "P-384" ? "ES384" : key.crv == "P-521" ? "ES512" : "ES256";
    }
    if (key.kty == "OKP") {
        return "EdDSA";
    }
    return "HS256";
}

const char *family_kty(Family f)
{
    switch (f) {
    case Family::RSA_PKCS1:
    case Family::RSA_PSS:
        return "RSA";
    case Family::ECDSA:
        return "EC";
    case Family::EDDSA:
        return "OKP";
    case Family::HMAC:
        return "oct";
    case Family::NONE:
        break;
    }
    return "";
}

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigDeleter {
    void operator()(ECDSA_SIG *s) const { ECDSA_SIG_free(s); }
};

std::string sign_evp(const Alg &alg, EVP_PKEY *pkey, const std::string &input)
{
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr;  /* owned by md */
    if (!md || EVP_DigestSignInit_ex(md.get(), &pctx, alg.digest, nullptr, nullptr, pkey,
                                     nullptr) != 1) {
        openssl_fail(std::string("cannot start ") + alg.name + " signing");
    }
    if (alg.family == Family::RSA_PSS) {
        /* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output. */
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
            openssl_fail("cannot set PSS parameters");
        }
    }
    const auto *data = reinterpret_cast<const unsigned char *>(input.data());
    size_t len = 0;
    if (EVP_DigestSign(md.get(), nullptr, &len, data, input.size()) != 1) {
        openssl_fail(std::string(alg.name) + " signing failed");
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char *>(&sig[0]), &len, data,
                       input.size()) != 1) {
        openssl_fail(std::string(alg.name) + " signing failed (is the key large enough?)");
    }
    sig.resize(len);
    if (alg.family != Family::ECDSA) {
        return sig;
    }

    /* JWS wants r || s, each left-padded to the curve's size (RFC 7518 §3.4), not DER. The size
     * follows the key's curve, not the alg, so an ES256 header over a P-384 key still yields a
     * well-formed signature for curve-binding tests. */
    const auto *der = reinterpret_cast<const unsigned char *>(sig.data());
    std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> es(
        d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size())));
    if (!es) {
        openssl_fail("cannot decode the ECDSA signature");
    }
    int n = (EVP_PKEY_get_bits(pkey) + 7) / 8;
    std::string raw(static_cast<size_t>(n) * 2, '\0');
    auto *out = reinterpret_cast<unsigned char *>(&raw[0]);
    if (BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), out, n) != n ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), out + n, n) != n) {
        openssl_fail("cannot encode the ECDSA signature");
    }
    return raw;
}

std::string sign_hmac(const Alg &alg, const std::string &secret, const std::string &input)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t len = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, alg.digest, nullptr, secret.data(), secret.size(),
                  reinterpret_cast<const unsigned char *>(input.data()), input.size(), out,
                  sizeof(out), &len) == nullptr) {
        openssl_fail(std::string(alg.name) + " failed");
    }
    return std::string(reinterpret_cast<char *>(out), len);
}

/* "name=value": value is JSON when it parses as JSON, else the plain string. */
void apply_set(json_t *claims, const std::string &pair)
{
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw Error("--set needs name=value, got \"" + pair + "\"");
    }
    std::string name = pair.substr(0, eq), text = pair.substr(eq + 1);
    json_error_t jerr;
    json_t *v = json_loadb(text.data(), text.size(), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                           &jerr);
    if (v == nullptr) {
        v = json_text(text, "--set value");
    }
    if (json_object_setn_new(claims, name.data(), name.size(), v) != 0) {
        throw Error("--set: claim name \"" + name + "\" is not valid UTF-8");
    }
}

}  // namespace

int cmd_jwt_sign(const std::vector<std::string> &argv)
{
    Args args = parse_args(argv, {{"key", true},        {"alg", true},        {"kid", true},
                                  {"no-kid", false},     {"typ", true},        {"no-typ", false},
                                  {"header", true},      {"header-b64", true}, {"claims", true},
                                  {"claims-b64", true},  {"set", true},        {"ttl", true},
                                  {"now", true},         {"signature-b64", true}});
    if (!args.positional.empty()) {
        throw Error("unexpected argument \"" + args.positional.front() + "\"");
    }
    auto conflict = [&](const char *a, const char *b) {
        if (args.has(a) && args.has(b)) {
            throw Error(std::string("--") + a + " and --" + b + " cannot be combined");
        }
    };
    /* --header/--header-b64 are the whole header, --claims/--claims-b64 the whole payload. */
    for (const char *o : {"header", "header-b64"}) {
        for (const char *p : {"kid", "no-kid", "typ", "no-typ"}) {
            conflict(o, p);
        }
    }
    conflict("header", "header-b64");
    for (const char *o : {"claims", "claims-b64"}) {
        for (const char *p : {"set", "ttl", "now"}) {
            conflict(o, p);
        }
    }
    conflict("claims", "claims-b64");
    conflict("kid", "no-kid");
    conflict("typ", "no-typ");

    SigningKey key;
    bool have_key = args.has("key");
    if (have_key) {
        key = load_signing_key(args.get("key"));
    }
    std::string alg_name = args.get("alg");
    if (alg_name.empty() && have_key) {
        alg_name = key.alg.empty() ? default_alg(key) : key.alg;
    }
    if (alg_name.empty()) {
        throw Error("give --key, or --alg (none, or with --signature-b64)");
    }

    /* The -b64 forms are segments as given: arbitrary bytes (NUL too), or even non-canonical
     * base64url, signed over as they stand. */
    std::string header_seg;
    if (args.has("header-b64")) {
        header_seg = args.get("header-b64");
    } else if (args.has("header")) {
        header_seg = b64url_encode(args.get("header"));
    } else {
        Json h(json_object());
        json_object_set_new(h.get(), "alg", json_text(alg_name, "--alg"));
        if (!args.has("no-typ")) {
            json_object_set_new(h.get(), "typ", json_text(args.get("typ", "JWT"), "--typ"));
        }
        /* An explicit --kid wins, even "" (tests of empty kids); the key's kid otherwise. */
        std::string kid = args.has("kid") ? args.get("kid") : key.kid;
        if (!args.has("no-kid") && (args.has("kid") || !kid.empty())) {
            json_object_set_new(h.get(), "kid", json_text(kid, "kid"));
        }
        header_seg = b64url_encode(dump_json(h.get()));
    }

    std::string claims_seg;
    if (args.has("claims-b64")) {
        claims_seg = args.get("claims-b64");
    } else if (args.has("claims")) {
        claims_seg = b64url_encode(args.get("claims"));
    } else {
        Json c(json_object());
        if (args.has("ttl")) {
            long long now = args.get_int("now", static_cast<long long>(std::time(nullptr)));
            long long ttl = args.get_int("ttl", 0);
            json_object_set_new(c.get(), "iat", json_integer(now));
            json_object_set_new(c.get(), "exp", json_integer(now + ttl));
        } else if (args.has("now")) {
            throw Error("--now only sets the time used by --ttl");
        }
        auto sets = args.opts.find("set");
        if (sets != args.opts.end()) {
            for (const std::string &pair : sets->second) {
                apply_set(c.get(), pair);
            }
        }
        claims_seg = b64url_encode(dump_json(c.get()));
    }

    std::string input = header_seg + "." + claims_seg;
    std::string signature;
    if (args.has("signature-b64")) {
        signature = args.get("signature-b64");
    } else {
        const Alg *alg = find_alg(alg_name);
        if (alg == nullptr) {
            throw Error("cannot sign with alg \"" + alg_name +
                        "\" (give --signature-b64 to set the signature yourself)");
        }
        if (alg->family != Family::NONE) {
            if (!have_key) {
                throw Error(std::string("--key is needed to sign with ") + alg->name);
            }
            if (key.kty != family_kty(alg->family)) {
                throw Error(std::string(alg->name) + " needs a key of kty " +
                            family_kty(alg->family) + ", this one is " + key.kty);
            }
            signature = b64url_encode(alg->family == Family::HMAC
                                          ? sign_hmac(*alg, key.secret, input)
                                          : sign_evp(*alg, key.pkey.get(), input));
        }
    }
    std::cout << input << '.' << signature << '\n';
    return 0;
}

}  // namespace cli
