/*
 * jwk.cpp: the key subcommands (jwk-gen, jwks-public) and loading a private JWK for signing.
 *
 * Keys are generated and read through the OpenSSL 3 provider API (EVP_PKEY_generate,
 * EVP_PKEY_get_bn_param, EVP_PKEY_fromdata) so no deprecated per-algorithm structs are touched.
 */

#include "cli.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstring>
#include <iostream>

namespace cli {

namespace {

struct BnDeleter {
    void operator()(BIGNUM *b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

struct PkeyCtxDeleter {
    void operator()(EVP_PKEY_CTX *c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

struct ParamBldDeleter {
    void operator()(OSSL_PARAM_BLD *b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
    void operator()(OSSL_PARAM *p) const { OSSL_PARAM_free(p); }
};

/* JOSE curve names to OpenSSL group names and the fixed octet length of a coordinate. */
struct Curve {
    const char *jose;
    const char *group;
    size_t      bytes;
};
const Curve EC_CURVES[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};
/* OKP curves: OpenSSL's key type name and raw private key length. */
const Curve OKP_CURVES[] = {
    {"Ed25519", "ED25519", 32},
    {"Ed448", "ED448", 57},
};

template <size_t N>
const Curve &find_curve(const Curve (&table)[N], const std::string &name, const char *kty)
{
    for (const Curve &c : table) {
        if (name == c.jose) {
            return c;
        }
    }
    throw Error(std::string("unsupported crv \"") + name + "\" for kty " + kty);
}

Bn get_bn(const EVP_PKEY *pkey, const char *param)
{
    BIGNUM *bn = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
        openssl_fail(std::string("cannot read key parameter ") + param);
    }
    return Bn(bn);
}

/* Big-endian bytes; pad > 0 gives exactly that many (EC coordinates are fixed length per RFC 7518
 * §6.2.1.2), 0 gives the minimal form (RSA members are Base64urlUInt). */
std::string bn_bytes(const BIGNUM *bn, size_t pad)
{
    size_t len = pad ? pad : static_cast<size_t>(BN_num_bytes(bn));
    std::string out(len, '\0');
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(&out[0]), static_cast<int>(len)) < 0) {
        openssl_fail("number does not fit in " + std::to_string(len) + " bytes");
    }
    return out;
}

Bn bn_from(const std::string &bytes)
{
    BIGNUM *bn = BN_bin2bn(reinterpret_cast<const unsigned char *>(bytes.data()),
                           static_cast<int>(bytes.size()), nullptr);
    if (bn == nullptr) {
        openssl_fail("out of memory");
    }
    return Bn(bn);
}

void set_b64(json_t *obj, const char *member, const std::string &bytes)
{
    json_object_set_new(obj, member, json_string(b64url_encode(bytes).c_str()));
}

Pkey generate(EVP_PKEY_CTX *ctx, const std::string &failure)
{
    EVP_PKEY *pkey = nullptr;
    if (EVP_PKEY_generate(ctx, &pkey) != 1) {
        openssl_fail(failure);
    }
    return Pkey(pkey);
}

void gen_rsa(json_t *jwk, long long bits, const std::string &exponent)
{
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1) {
        openssl_fail("cannot set up RSA key generation with " + std::to_string(bits) + " bits");
    }
    if (!exponent.empty()) {
        bool hex = exponent.compare(0, 2, "0x") == 0;
        std::string digits = hex ? exponent.substr(2) : exponent;
        if (digits.empty() ||
            digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") !=
                std::string::npos) {
            throw Error("--e needs a decimal or 0x-prefixed hex integer, got \"" + exponent + "\"");
        }
        BIGNUM *e = nullptr;
        if ((hex ? BN_hex2bn(&e, digits.c_str()) : BN_dec2bn(&e, digits.c_str())) == 0) {
            openssl_fail("cannot parse --e");
        }
        Bn owned(e);
        if (EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), owned.get()) != 1) {
            openssl_fail("OpenSSL refuses public exponent " + exponent);
        }
    }
    Pkey pkey = generate(ctx.get(), "cannot generate the RSA key (OpenSSL needs an odd public "
                                         "exponent > 1 and at least 512 bits)");
    const EVP_PKEY *k = pkey.get();
    set_b64(jwk, "n", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_N).get(), 0));
    set_b64(jwk, "e", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_E).get(), 0));
    set_b64(jwk, "d", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_D).get(), 0));
    set_b64(jwk, "p", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_FACTOR1).get(), 0));
    set_b64(jwk, "q", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_FACTOR2).get(), 0));
    set_b64(jwk, "dp", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_EXPONENT1).get(), 0));
    set_b64(jwk, "dq", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_EXPONENT2).get(), 0));
    set_b64(jwk, "qi", bn_bytes(get_bn(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1).get(), 0));
}

void gen_ec(json_t *jwk, const std::string &crv)
{
    const Curve &c = find_curve(EC_CURVES, crv, "EC");
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), c.group) != 1) {
        openssl_fail("cannot set up EC key generation on " + crv);
    }
    Pkey pkey = generate(ctx.get(), "cannot generate the " + crv + " key");
    json_object_set_new(jwk, "crv", json_string(c.jose));
    set_b64(jwk, "x", bn_bytes(get_bn(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X).get(), c.bytes));
    set_b64(jwk, "y", bn_bytes(get_bn(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y).get(), c.bytes));
    set_b64(jwk, "d", bn_bytes(get_bn(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY).get(), c.bytes));
}

void gen_okp(json_t *jwk, const std::string &crv)
{
    const Curve &c = find_curve(OKP_CURVES, crv, "OKP");
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, c.group, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) {
        openssl_fail("cannot set up " + crv + " key generation");
    }
    Pkey pkey = generate(ctx.get(), "cannot generate the " + crv + " key");
    std::string pub(c.bytes, '\0'), priv(c.bytes, '\0');
    size_t pub_len = pub.size(), priv_len = priv.size();
    if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char *>(&pub[0]),
                                    &pub_len) != 1 ||
        EVP_PKEY_get_raw_private_key(pkey.get(), reinterpret_cast<unsigned char *>(&priv[0]),
                                     &priv_len) != 1) {
        openssl_fail("cannot export " + crv + " key");
    }
    pub.resize(pub_len);
    priv.resize(priv_len);
    json_object_set_new(jwk, "crv", json_string(c.jose));
    set_b64(jwk, "x", pub);
    set_b64(jwk, "d", priv);
}

void gen_oct(json_t *jwk, long long size)
{
    if (size < 1 || size > 1024) {
        throw Error("--size must be between 1 and 1024 bytes");
    }
    std::string k(static_cast<size_t>(size), '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(&k[0]), static_cast<int>(size)) != 1) {
        openssl_fail("cannot get random bytes");
    }
    set_b64(jwk, "k", k);
}

/* Splits "verify,sign" into a JSON array; "" gives [] so tests can write an empty key_ops. */
json_t *split_ops(const std::string &list)
{
    json_t *arr = json_array();
    size_t start = 0;
    while (start < list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) {
            comma = list.size();
        }
        json_array_append_new(arr, json_text(list.substr(start, comma - start), "--key-ops"));
        start = comma + 1;
    }
    return arr;
}

/* Every JWK in a file: the object itself, or the members of its "keys" array. */
std::vector<Json> keys_of(const std::string &path)
{
    Json doc = parse_json(read_file(path), path);
    if (!json_is_object(doc.get())) {
        throw Error(path + ": not a JSON object");
    }
    std::vector<Json> out;
    json_t *keys = json_object_get(doc.get(), "keys");
    if (keys == nullptr) {
        out.emplace_back(json_incref(doc.get()));
        return out;
    }
    if (!json_is_array(keys)) {
        throw Error(path + ": \"keys\" is not an array");
    }
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        if (!json_is_object(k)) {
            throw Error(path + ": keys[" + std::to_string(i) + "] is not an object");
        }
        out.emplace_back(json_incref(k));
    }
    return out;
}

std::string member_bytes(const json_t *jwk, const char *member, const std::string &path)
{
    std::string text = json_str(jwk, member);
    if (text.empty()) {
        throw Error(path + ": JWK has no \"" + member + "\" (a private key is needed)");
    }
    return b64url_decode(text, path + ": member \"" + member + "\"");
}

Pkey pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, const std::string &path)
{
    std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY *pkey = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()) != 1) {
        openssl_fail(path + ": OpenSSL rejects the " + type + " key");
    }
    return Pkey(pkey);
}

Pkey load_rsa(const json_t *jwk, const std::string &path)
{
    /* CRT members are optional in a JWK, all or none; without them OpenSSL signs with d alone. */
    struct Member {
        const char *jwk;
        const char *param;
        bool        crt;
    };
    static const Member MEMBERS[] = {
        {"n", OSSL_PKEY_PARAM_RSA_N, false},
        {"e", OSSL_PKEY_PARAM_RSA_E, false},
        {"d", OSSL_PKEY_PARAM_RSA_D, false},
        {"p", OSSL_PKEY_PARAM_RSA_FACTOR1, true},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2, true},
        {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1, true},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2, true},
        {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1, true},
    };
    bool with_crt = json_object_get(jwk, "p") != nullptr;
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
    std::vector<Bn> keep;  /* the builder references the numbers until to_param */
    for (const Member &m : MEMBERS) {
        if (m.crt && !with_crt) {
            continue;
        }
        keep.push_back(bn_from(member_bytes(jwk, m.jwk, path)));
        if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), m.param, keep.back().get()) != 1) {
            openssl_fail("out of memory");
        }
    }
    return pkey_from_params("RSA", bld.get(), path);
}

Pkey load_ec(const json_t *jwk, const std::string &crv, const std::string &path)
{
    const Curve &c = find_curve(EC_CURVES, crv, "EC");
    std::string x = member_bytes(jwk, "x", path), y = member_bytes(jwk, "y", path);
    if (x.size() != c.bytes || y.size() != c.bytes) {
        throw Error(path + ": x/y must be " + std::to_string(c.bytes) + " bytes for " + crv);
    }
    std::string point = "\x04" + x + y;
    Bn d = bn_from(member_bytes(jwk, "d", path));
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
        openssl_fail("out of memory");
    }
    Pkey pkey = pkey_from_params("EC", bld.get(), path);
    /* OpenSSL signs with d alone, so a d that does not match x/y would mint tokens that fail
     * verification for a reason no test meant. */
    PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
        openssl_fail(path + ": d does not match x/y");
    }
    return pkey;
}

Pkey load_okp(const json_t *jwk, const std::string &crv, const std::string &path)
{
    const Curve &c = find_curve(OKP_CURVES, crv, "OKP");
    std::string d = member_bytes(jwk, "d", path);
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key_ex(
        nullptr, c.group, nullptr, reinterpret_cast<const unsigned char *>(d.data()), d.size());
    if (pkey == nullptr) {
        openssl_fail(path + ": OpenSSL rejects the " + crv + " key");
    }
    return Pkey(pkey);
}

}  // namespace

SigningKey load_signing_key(const std::string &path)
{
    std::vector<Json> keys = keys_of(path);
    if (keys.empty()) {
        throw Error(path + ": the JWKS has no keys");
    }
    const json_t *jwk = keys.front().get();
    SigningKey key;
    key.kty = json_str(jwk, "kty");
    key.crv = json_str(jwk, "crv");
    key.kid = json_str(jwk, "kid");
    key.alg = json_str(jwk, "alg");
    if (key.kty == "RSA") {
        key.pkey = load_rsa(jwk, path);
    } else if (key.kty == "EC") {
        key.pkey = load_ec(jwk, key.crv, path);
    } else if (key.kty == "OKP") {
        key.pkey = load_okp(jwk, key.crv, path);
    } else if (key.kty == "oct") {
        key.secret = member_bytes(jwk, "k", path);
    } else {
        throw Error(path + ": unsupported kty \"" + key.kty + "\"");
    }
    return key;
}

int cmd_jwk_gen(const std::vector<std::string> &argv)
{
    Args args = parse_args(argv, {{"kty", true}, {"bits", true}, {"e", true}, {"crv", true},
                                  {"size", true}, {"kid", true}, {"alg", true}, {"use", true},
                                  {"key-ops", true}});
    if (!args.positional.empty()) {
        throw Error("unexpected argument \"" + args.positional.front() + "\"");
    }
    std::string kty = args.get("kty");
    if (kty.empty()) {
        throw Error("--kty RSA|EC|OKP|oct is required");
    }
    auto only_for = [&](const char *opt, const char *for_kty) {
        if (args.has(opt) && kty != for_kty) {
            throw Error(std::string("--") + opt + " applies to kty " + for_kty + " only");
        }
    };
    only_for("bits", "RSA");
    only_for("e", "RSA");
    only_for("size", "oct");
    if (args.has("crv") && kty != "EC" && kty != "OKP") {
        throw Error("--crv applies to kty EC and OKP only");
    }

    /* Metadata first so the printed JWK reads naturally: kty, kid, use, key_ops, alg, material. */
    Json jwk(json_object());
    json_object_set_new(jwk.get(), "kty", json_text(kty, "--kty"));
    if (args.has("kid")) {
        json_object_set_new(jwk.get(), "kid", json_text(args.get("kid"), "--kid"));
    }
    if (args.has("use")) {
        json_object_set_new(jwk.get(), "use", json_text(args.get("use"), "--use"));
    }
    if (args.has("key-ops")) {
        json_object_set_new(jwk.get(), "key_ops", split_ops(args.get("key-ops")));
    }
    if (args.has("alg")) {
        json_object_set_new(jwk.get(), "alg", json_text(args.get("alg"), "--alg"));
    }

    if (kty == "RSA") {
        gen_rsa(jwk.get(), args.get_int("bits", 2048), args.get("e"));
    } else if (kty == "EC") {
        gen_ec(jwk.get(), args.get("crv", "P-256"));
    } else if (kty == "OKP") {
        gen_okp(jwk.get(), args.get("crv", "Ed25519"));
    } else if (kty == "oct") {
        gen_oct(jwk.get(), args.get_int("size", 32));
    } else {
        throw Error("unsupported --kty \"" + kty + "\" (RSA, EC, OKP or oct)");
    }
    std::cout << dump_json(jwk.get()) << '\n';
    return 0;
}

int cmd_jwks_public(const std::vector<std::string> &argv)
{
    Args args = parse_args(argv, {});
    if (args.positional.empty()) {
        throw Error("no key files given");
    }
    /* Only the members a verifier needs; everything private (d, p, q, ...) and anything unknown
     * is left out. */
    static const char *const PUBLIC[] = {"kid", "kty", "alg", "use", "key_ops",
                                         "crv", "x",   "y",   "n",   "e"};
    Json out_keys(json_array());
    for (const std::string &path : args.positional) {
        for (const Json &jwk : keys_of(path)) {
            std::string kty = json_str(jwk.get(), "kty");
            if (kty.empty()) {
                throw Error(path + ": a JWK has no \"kty\"");
            }
            if (kty == "oct") {
                /* Symmetric: the verifier needs the secret itself. */
                json_array_append_new(out_keys.get(), json_deep_copy(jwk.get()));
                continue;
            }
            json_t *pub = json_object();
            for (const char *m : PUBLIC) {
                json_t *v = json_object_get(jwk.get(), m);
                if (v != nullptr) {
                    json_object_set_new(pub, m, json_deep_copy(v));
                }
            }
            json_array_append_new(out_keys.get(), pub);
        }
    }
    Json doc(json_object());
    json_object_set(doc.get(), "keys", out_keys.get());
    std::cout << dump_json(doc.get()) << '\n';
    return 0;
}

}  // namespace cli
