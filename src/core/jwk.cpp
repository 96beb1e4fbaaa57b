#include "jwk.h"

#include <cstdint>
#include <cstdio>
#include <new>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "base64url.h"
#include "json.h"
#include "status.h"

namespace edge_auth {

namespace {

constexpr size_t kMinRsaBits = 2048;
constexpr size_t kMaxRsaBits = 8192;
constexpr size_t kMinOctBytes = 32;
constexpr uint64_t kMinRsaExponent = 65537;

struct BnFree {
    void operator()(BIGNUM *p) const { BN_free(p); }
};
struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD *p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
    void operator()(OSSL_PARAM *p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX *p) const { EVP_PKEY_CTX_free(p); }
};
struct PkeyFree {
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};

using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

template <typename T>
T *must(T *p)
{
    if (!p) {
        throw std::bad_alloc();
    }
    return p;
}

std::string fmt_size(const char *before, size_t n, const char *after)
{
    char tmp[160];
    std::snprintf(tmp, sizeof(tmp), "%s%zu%s", before, n, after);
    return tmp;
}

// A base64url member holding key material. Returns false with `why` set when it is absent, not a
// string or not canonical base64url.
bool decode_member(const json_t *jwk, const char *name, std::string &out, std::string &why)
{
    std::string_view text;
    if (!json_string_member(jwk, name, text)) {
        why = std::string(name) + " is missing or not a string";
        return false;
    }
    if (!base64url_decode(text, out)) {
        why = std::string(name) + " is not canonical base64url";
        return false;
    }
    return true;
}

void strip_leading_zeros(std::string &s)
{
    size_t i = 0;
    while (i < s.size() && s[i] == '\0') {
        i++;
    }
    s.erase(0, i);
}

size_t bit_length(const std::string &big_endian)
{
    if (big_endian.empty()) {
        return 0;
    }
    auto top = static_cast<unsigned char>(big_endian[0]);
    size_t bits = (big_endian.size() - 1) * 8;
    while (top) {
        bits++;
        top >>= 1;
    }
    return bits;
}

// Builds a public EVP_PKEY of `type` ("RSA", "EC") from a parameter builder. nullptr when
// OpenSSL refuses the parameters (e.g. an EC point not on the curve).
PkeyPtr pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
    if (!params) {
        throw std::bad_alloc();
    }
    PkeyCtxPtr ctx(must(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)));
    EVP_PKEY *raw = nullptr;
    if (EVP_PKEY_fromdata_init(ctx.get()) <= 0
        || EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
        ERR_clear_error();
        return nullptr;
    }
    return PkeyPtr(raw);
}

bool public_check(EVP_PKEY *pkey)
{
    PkeyCtxPtr ctx(must(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr)));
    bool ok = EVP_PKEY_public_check(ctx.get()) == 1;
    ERR_clear_error();
    return ok;
}

} // namespace

// Fills a Key; the only code allowed to construct one.
struct KeyBuilder {
    static std::unique_ptr<Key> make() { return std::unique_ptr<Key>(new Key()); }

    static bool load_rsa(const json_t *jwk, Key &key, std::string &why)
    {
        std::string n, e;
        if (!decode_member(jwk, "n", n, why) || !decode_member(jwk, "e", e, why)) {
            return false;
        }
        // RFC 7518 asks for the minimal encoding; a stray leading zero changes nothing
        // cryptographically, and some publishers emit one, so it is tolerated.
        strip_leading_zeros(n);
        strip_leading_zeros(e);

        size_t nbits = bit_length(n);
        if (nbits < kMinRsaBits) {
            why = fmt_size("RSA modulus of ", nbits, " bits is under 2048 bits");
            return false;
        }
        if (nbits > kMaxRsaBits) {
            why = fmt_size("RSA modulus of ", nbits, " bits is over 8192 bits");
            return false;
        }
        if (!(static_cast<unsigned char>(n.back()) & 1)) {
            why = "RSA modulus is even";
            return false;
        }
        if (e.size() > 8) {
            why = "RSA exponent is over 64 bits";
            return false;
        }
        uint64_t ev = 0;
        for (char c : e) {
            ev = ev << 8 | static_cast<unsigned char>(c);
        }
        // e = 1 turns verification into a padding check anyone can forge; e = 3 invites
        // Bleichenbacher-style forgeries against sloppy padding checks. 65537 is universal.
        if (ev < kMinRsaExponent || !(ev & 1)) {
            char tmp[96];
            std::snprintf(tmp, sizeof(tmp), "RSA exponent %llu is not an odd number >= 65537",
                static_cast<unsigned long long>(ev));
            why = tmp;
            return false;
        }
        if (rsa_modulus_has_roca_fingerprint(reinterpret_cast<const unsigned char *>(n.data()), n.size())) {
            why = "RSA modulus has the ROCA fingerprint (CVE-2017-15361)";
            return false;
        }

        BnPtr bn_n(must(BN_bin2bn(reinterpret_cast<const unsigned char *>(n.data()), static_cast<int>(n.size()), nullptr)));
        BnPtr bn_e(must(BN_bin2bn(reinterpret_cast<const unsigned char *>(e.data()), static_cast<int>(e.size()), nullptr)));
        ParamBldPtr bld(must(OSSL_PARAM_BLD_new()));
        if (!OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get())
            || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
            throw std::bad_alloc();
        }
        PkeyPtr pkey = pkey_from_params("RSA", bld.get());
        if (!pkey) {
            why = "OpenSSL refused the RSA public key";
            return false;
        }
        if (!public_check(pkey.get())) {
            why = "RSA public key fails OpenSSL's public-key check";
            return false;
        }
        key.rsa_size_ = static_cast<size_t>(EVP_PKEY_get_size(pkey.get()));
        key.pkey_ = pkey.release();
        key.bits_ = nbits;
        key.alg_bits_ = kRsaAlgBits;
        return true;
    }

    static bool load_ec(const json_t *jwk, Key &key, std::string &why)
    {
        std::string_view crv_name;
        if (!json_string_member(jwk, "crv", crv_name)) {
            why = "crv is missing or not a string";
            return false;
        }
        Curve crv = curve_from_jwk_name(crv_name);
        if (!curve_group_name(crv)) {
            why = "crv ";
            append_quoted(why, crv_name);
            why += " is not supported for kty EC";
            return false;
        }
        std::string x, y;
        if (!decode_member(jwk, "x", x, why) || !decode_member(jwk, "y", y, why)) {
            return false;
        }
        size_t size = curve_coordinate_size(crv);
        if (x.size() != size || y.size() != size) {
            why = fmt_size("EC coordinates must be exactly ", size, " bytes for ");
            why += curve_jwk_name(crv);
            return false;
        }
        std::string point;
        point.reserve(1 + 2 * size);
        point.push_back('\x04');
        point += x;
        point += y;

        ParamBldPtr bld(must(OSSL_PARAM_BLD_new()));
        if (!OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve_group_name(crv), 0)
            || !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
            throw std::bad_alloc();
        }
        PkeyPtr pkey = pkey_from_params("EC", bld.get());
        if (!pkey || !public_check(pkey.get())) {
            why = std::string("EC point is not on curve ") + curve_jwk_name(crv);
            return false;
        }
        key.pkey_ = pkey.release();
        key.curve_ = crv;
        key.bits_ = crv == Curve::P521 ? 521 : size * 8;
        for (Alg a : {Alg::ES256, Alg::ES384, Alg::ES512}) {
            if (alg_info(a).curve == crv) {
                key.alg_bits_ = alg_info(a).bit;
            }
        }
        return true;
    }

    static bool load_okp(const json_t *jwk, Key &key, std::string &why)
    {
        std::string_view crv_name;
        if (!json_string_member(jwk, "crv", crv_name)) {
            why = "crv is missing or not a string";
            return false;
        }
        if (crv_name == "Ed448") {
            why = "crv \"Ed448\" is not supported (only Ed25519)";
            return false;
        }
        if (crv_name == "X25519" || crv_name == "X448") {
            why = "crv ";
            append_quoted(why, crv_name);
            why += " is a key-agreement curve, not a signature curve";
            return false;
        }
        if (crv_name != "Ed25519") {
            why = "crv ";
            append_quoted(why, crv_name);
            why += " is not supported for kty OKP";
            return false;
        }
        std::string x;
        if (!decode_member(jwk, "x", x, why)) {
            return false;
        }
        if (x.size() != 32) {
            why = "Ed25519 x must be exactly 32 bytes";
            return false;
        }
        EVP_PKEY *raw = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
            reinterpret_cast<const unsigned char *>(x.data()), x.size());
        if (!raw) {
            ERR_clear_error();
            why = "OpenSSL refused the Ed25519 public key";
            return false;
        }
        key.pkey_ = raw;
        key.curve_ = Curve::Ed25519;
        key.bits_ = 256;
        key.alg_bits_ = alg_info(Alg::EdDSA).bit;
        return true;
    }

    static bool load_oct(const json_t *jwk, Key &key, std::string &k, std::string &why)
    {
        if (!decode_member(jwk, "k", k, why)) {
            return false;
        }
        if (k.size() < kMinOctBytes) {
            why = fmt_size("oct key of ", k.size(), " bytes is shorter than 32 bytes");
            OPENSSL_cleanse(k.data(), k.size());
            return false;
        }
        // RFC 7518 §3.2: the secret must be at least as long as the hash output.
        for (Alg a : {Alg::HS256, Alg::HS384, Alg::HS512}) {
            if (alg_info(a).hash_len <= k.size()) {
                key.alg_bits_ |= alg_info(a).bit;
            }
        }
        key.bits_ = k.size() * 8;
        return true;
    }

    // One prepared OpenSSL context per algorithm the key serves, so requests only duplicate them.
    static bool prepare_contexts(Key &key, std::string_view secret, std::string &why)
    {
        for (size_t i = 0; i < static_cast<size_t>(Alg::Count); i++) {
            const AlgInfo &a = alg_info(static_cast<Alg>(i));
            if (!key.serves(a)) {
                continue;
            }
            key.contexts_[i] = VerifyContext::prepare(a, key.pkey_, secret);
            if (!key.contexts_[i]) {
                why = std::string("OpenSSL cannot verify ") + a.name + " with this key";
                return false;
            }
        }
        return true;
    }

    static void set_kid(Key &key, std::string_view kid)
    {
        key.kid_.assign(kid.data(), kid.size());
        key.has_kid_ = true;
    }

    static void set_type(Key &key, KeyType t) { key.type_ = t; }
    static void narrow_to(Key &key, const AlgInfo &a) { key.alg_bits_ = a.bit; }
};

Key::~Key()
{
    EVP_PKEY_free(pkey_);
}

const char *key_type_name(KeyType t) noexcept
{
    switch (t) {
    case KeyType::Rsa:
        return "RSA";
    case KeyType::Ec:
        return "EC";
    case KeyType::Okp:
        return "OKP";
    case KeyType::Oct:
        return "oct";
    }
    return "?";
}

std::string key_label(const json_t *jwk)
{
    std::string_view kid;
    if (json_is_object(jwk) && json_string_member(jwk, "kid", kid)) {
        std::string s = "kid ";
        append_quoted(s, kid);
        return s;
    }
    return "(no kid)";
}

bool rsa_modulus_has_roca_fingerprint(const unsigned char *n, size_t n_len)
{
    // Moduli from the affected generator are 65537^a mod M for a primorial M, so n mod p is a
    // power of 65537 for each small prime p dividing M. A random modulus passes all of these
    // tests with negligible probability; the primes below divide M at every key size.
    static const unsigned kPrimes[] = {3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53,
        59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151,
        157, 163, 167};
    for (unsigned p : kPrimes) {
        unsigned r = 0;
        for (size_t i = 0; i < n_len; i++) {
            r = (r * 256 + n[i]) % p;
        }
        bool in_subgroup = false;
        unsigned g = 1;
        do {
            if (g == r) {
                in_subgroup = true;
                break;
            }
            g = static_cast<unsigned>(static_cast<uint64_t>(g) * 65537u % p);
        } while (g != 1);
        if (!in_subgroup) {
            return false;
        }
    }
    return true;
}

KeyImport import_jwk(const json_t *jwk)
{
    KeyImport r;
    auto drop = [&r](std::string why) -> KeyImport {
        r.outcome = KeyImport::Outcome::Dropped;
        r.reason = std::move(why);
        r.key.reset();
        return std::move(r);
    };

    if (!json_is_object(jwk)) {
        return drop("not a JSON object");
    }
    std::unique_ptr<Key> key = KeyBuilder::make();

    if (const json_t *kid = json_object_get(jwk, "kid")) {
        if (!json_is_string(kid)) {
            return drop("kid is not a string");
        }
        std::string_view k = json_string_view(kid);
        if (k.size() > kMaxKidBytes) {
            r.outcome = KeyImport::Outcome::DocumentError;
            r.reason = "a kid is longer than 256 bytes";
            return r;
        }
        if (k.empty()) {
            return drop("kid is empty");
        }
        KeyBuilder::set_kid(*key, k);
    }

    std::string_view kty;
    if (!json_string_member(jwk, "kty", kty)) {
        return drop("kty is missing or not a string");
    }
    KeyType type;
    if (kty == "RSA") {
        type = KeyType::Rsa;
    } else if (kty == "EC") {
        type = KeyType::Ec;
    } else if (kty == "OKP") {
        type = KeyType::Okp;
    } else if (kty == "oct") {
        type = KeyType::Oct;
    } else {
        std::string why = "kty ";
        append_quoted(why, kty);
        return drop(why + " is not supported");
    }
    KeyBuilder::set_type(*key, type);

    if (const json_t *use = json_object_get(jwk, "use")) {
        if (!json_is_string(use) || json_string_view(use) != "sig") {
            return drop("use is not \"sig\"");
        }
    }
    if (const json_t *ops = json_object_get(jwk, "key_ops")) {
        if (!json_is_array(ops)) {
            return drop("key_ops is not an array");
        }
        bool verify = false;
        size_t i;
        const json_t *op;
        json_array_foreach(ops, i, op) {
            if (!json_is_string(op)) {
                return drop("key_ops holds a non-string");
            }
            if (json_string_view(op) == "verify") {
                verify = true;
            }
        }
        if (!verify) {
            return drop("key_ops lacks \"verify\"");
        }
    }

    const AlgInfo *declared = nullptr;
    if (const json_t *alg = json_object_get(jwk, "alg")) {
        if (!json_is_string(alg)) {
            return drop("alg is not a string");
        }
        declared = alg_from_name(json_string_view(alg));
        if (!declared) {
            std::string why = "alg ";
            append_quoted(why, json_string_view(alg));
            return drop(why + " is not a supported signature algorithm");
        }
    }

    std::string why;
    std::string secret;
    // The secret is wiped however this function is left.
    struct Wipe {
        std::string &s;
        ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
    } wipe{secret};
    bool loaded = false;
    switch (type) {
    case KeyType::Rsa:
        loaded = KeyBuilder::load_rsa(jwk, *key, why);
        break;
    case KeyType::Ec:
        loaded = KeyBuilder::load_ec(jwk, *key, why);
        break;
    case KeyType::Okp:
        loaded = KeyBuilder::load_okp(jwk, *key, why);
        break;
    case KeyType::Oct:
        loaded = KeyBuilder::load_oct(jwk, *key, secret, why);
        break;
    }
    if (!loaded) {
        return drop(why);
    }

    if (declared) {
        if (!key->serves(*declared)) {
            std::string msg = std::string("alg ") + declared->name;
            if (type == KeyType::Oct && declared->family == Family::Hmac) {
                msg += " needs a secret of at least " + std::to_string(declared->hash_len)
                    + " bytes, this one has " + std::to_string(secret.size());
            } else {
                msg += " does not fit this ";
                msg += key_type_name(type);
                if (key->curve() != Curve::None) {
                    msg += std::string(" ") + curve_jwk_name(key->curve());
                }
                msg += " key";
            }
            return drop(msg);
        }
        KeyBuilder::narrow_to(*key, *declared);
    }
    if (!KeyBuilder::prepare_contexts(*key, secret, why)) {
        return drop(why);
    }

    static const char *const kRsaPrivate[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};
    bool has_private = false;
    if (type == KeyType::Rsa) {
        for (const char *m : kRsaPrivate) {
            has_private = has_private || json_object_get(jwk, m) != nullptr;
        }
    } else if (type == KeyType::Ec || type == KeyType::Okp) {
        has_private = json_object_get(jwk, "d") != nullptr;
    }
    if (has_private) {
        r.notes.push_back("private key members ignored; only the public key is used");
    }

    r.outcome = KeyImport::Outcome::Ok;
    r.key = std::move(key);
    return r;
}

} // namespace edge_auth
