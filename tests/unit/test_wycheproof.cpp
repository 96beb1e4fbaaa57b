// Wycheproof vectors through our own verification code: the JWS/JWK files through the compact
// JWS path (key set, selection, header rules, signature), the raw signature/MAC files through
// verify_signature with keys imported from JWKs under the key policy.
//
// Every vector must come out as Wycheproof says, except the documented cases, each listed with
// its reason and printed in the summary:
//   - valid vectors this module rejects on purpose: empty payload ("h..s"), '?' in a segment,
//     a header alg other than the key's own alg, a key whose alg is not a JWA name, RSA keys with
//     e = 3, HMAC keys shorter than the policy allows, truncated HMAC tags;
//   - invalid vectors accepted: two JWS vectors whose stored strings are byte-identical to a
//     valid one, and two JWK vectors flagged "Ambiguous" (mixed key set, duplicate kid).
// "acceptable" vectors may go either way; the summary says which way they went.

#include <cstdio>
#include <map>

#include "base64url.h"
#include "json.h"
#include "jwk.h"
#include "jws.h"
#include "signature.h"
#include "unit.h"

using edge_auth::Alg;
using edge_auth::alg_info;
using edge_auth::AlgInfo;
using edge_auth::Json;
using edge_auth::KeySet;
using edge_auth::Status;

namespace {

struct Tally {
    std::string file;
    int valid = 0, valid_accepted = 0, valid_rejected_on_purpose = 0;
    int invalid = 0, invalid_rejected = 0, invalid_accepted_on_purpose = 0;
    int acceptable = 0, acceptable_accepted = 0;
    int skipped = 0;
    std::map<std::string, int> reasons;
    std::vector<std::string> unexplained;

    // `differs`: non-null when this module deliberately decides the other way than Wycheproof
    // for this vector, with the reason.
    void add(long tc, const std::string &result, bool accepted, const char *differs = nullptr)
    {
        char id[32];
        std::snprintf(id, sizeof(id), "tc%ld", tc);
        if (result == "acceptable") {
            acceptable++;
            acceptable_accepted += accepted ? 1 : 0;
            return;
        }
        bool wycheproof_accepts = result == "valid";
        bool we_accept = differs ? !wycheproof_accepts : wycheproof_accepts;
        if (accepted != we_accept) {
            unexplained.push_back(std::string(id) + " " + result + (accepted ? " accepted" : " rejected")
                + (differs ? " (documented as differing)" : ""));
            return;
        }
        if (differs) {
            reasons[differs]++;
        }
        if (wycheproof_accepts) {
            valid++;
            (differs ? valid_rejected_on_purpose : valid_accepted)++;
        } else {
            invalid++;
            (differs ? invalid_accepted_on_purpose : invalid_rejected)++;
        }
    }

    void finish()
    {
        std::printf("wycheproof %s: valid %d/%d accepted", file.c_str(), valid_accepted, valid);
        if (valid_rejected_on_purpose) {
            std::printf(" (%d rejected on purpose)", valid_rejected_on_purpose);
        }
        std::printf(", invalid %d/%d rejected", invalid_rejected, invalid);
        if (invalid_accepted_on_purpose) {
            std::printf(" (%d accepted on purpose)", invalid_accepted_on_purpose);
        }
        if (acceptable) {
            std::printf(", acceptable %d (%d accepted)", acceptable, acceptable_accepted);
        }
        if (skipped) {
            std::printf(", %d skipped", skipped);
        }
        std::printf("\n");
        for (const auto &r : reasons) {
            std::printf("    differs on purpose: %d x %s\n", r.second, r.first.c_str());
        }
        std::fflush(stdout);
        std::string all;
        for (const std::string &u : unexplained) {
            all += u + "; ";
        }
        ck_assert_msg(unexplained.empty(), "%s: %zu unexpected outcomes: %s", file.c_str(), unexplained.size(),
            all.substr(0, 900).c_str());
        ck_assert_int_gt(valid + invalid + acceptable, 0);
    }
};

bool load(const char *relative, Json &doc)
{
    std::string text;
    if (!test::read_vector_file(relative, text)) {
        return false;
    }
    json_error_t err;
    doc = Json(json_loadb(text.data(), text.size(), 0, &err));
    ck_assert_msg(doc.get() != nullptr, "%s: %s", relative, err.text);
    return true;
}

std::string str_member(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? std::string(json_string_value(v), json_string_length(v)) : std::string();
}

std::string dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

// Imports one JWK given as JSON text. Returns null and sets `why` when the key policy drops it.
std::unique_ptr<edge_auth::Key> import_text(const std::string &jwk_text, std::string &why)
{
    Json jwk;
    ck_assert(edge_auth::parse_json_object(jwk_text, edge_auth::JsonLimits{1 << 16, 8}, jwk)
        == edge_auth::JsonError::None);
    edge_auth::KeyImport r = edge_auth::import_jwk(jwk.get());
    if (r.outcome != edge_auth::KeyImport::Outcome::Ok) {
        why = r.reason;
        return nullptr;
    }
    return std::move(r.key);
}

// ---- JWS / JWK files -------------------------------------------------------------------------

void run_jose_file(const char *relative, const std::map<long, const char *> &differs)
{
    Json doc;
    if (!load(relative, doc)) {
        return;
    }
    Tally t;
    t.file = relative;
    size_t gi;
    const json_t *g;
    json_array_foreach(json_object_get(doc.get(), "testGroups"), gi, g) {
        const json_t *keyobj = json_object_get(g, "public");
        if (!keyobj) {
            keyobj = json_object_get(g, "private");
        }
        KeySet keys;
        std::string err;
        bool keys_ok = keys.add_document(dump(keyobj), nullptr, err);
        size_t ti;
        const json_t *tc;
        json_array_foreach(json_object_get(g, "tests"), ti, tc) {
            long id = static_cast<long>(json_integer_value(json_object_get(tc, "tcId")));
            const json_t *jws = json_object_get(tc, "jws");
            // JSON serialization vectors are fed as their text: the compact path must refuse them.
            std::string compact = json_is_string(jws) ? str_member(tc, "jws") : dump(jws);
            char buf[200];
            edge_auth::Detail d(buf, sizeof(buf));
            bool accepted = keys_ok
                && edge_auth::verify_compact_jws(compact, keys, edge_auth::kAllAlgBits, d) == Status::Ok;
            std::string result = str_member(tc, "result");
            auto o = differs.find(id);
            t.add(id, result, accepted, o == differs.end() ? nullptr : o->second);
        }
    }
    t.finish();
}

START_TEST(json_web_signature)
{
    const char *binding = "valid, rejected: key alg PS256 does not serve a PS384 header (alg bound to jwk.alg, F1)";
    const char *es521 = "valid, rejected: key alg \"ES521\" is not a JWA name, key dropped by the key policy";
    const char *b64 = "valid, rejected: '?' inside a segment, strict base64url (F5)";
    const char *empty = "valid, rejected: empty payload segment (h..s is the detached form, not a compact JWT)";
    const char *same = "invalid, accepted: the stored vector is byte-identical to valid tc 357";
    run_jose_file("wycheproof/json_web_signature_test.json",
        {
            {259, empty}, {264, empty}, {268, empty}, {272, empty}, {320, empty}, {325, empty},
            {346, binding}, {350, binding},
            {347, es521}, {351, es521},
            {372, b64}, {373, b64},
            {367, same}, {370, same},
        });
}
END_TEST

START_TEST(json_web_key)
{
    // tc 1 (MixedKeySet) and tc 4 (DuplicateKid) are flagged "Ambiguous" by Wycheproof. We accept
    // both: HS is opt-in per location and every key is bound to its kty/alg, so an oct key next
    // to an EC key cannot be confused with it; duplicate kids are kept as candidates on purpose
    // (key rotation), bounded by the 4-candidate rule.
    run_jose_file("wycheproof/json_web_key_test.json",
        {
            {1, "invalid (Ambiguous), accepted: oct and EC keys in one set, each bound to its own kty/alg"},
            {4, "invalid (Ambiguous), accepted: the second key of the duplicate kid has a non-canonical k and is dropped, the first verifies"},
        });
}
END_TEST

// ---- raw signature files ---------------------------------------------------------------------

struct RawFile {
    const char *path;
    Alg alg;
    const char *key_member;   // where the group keeps its JWK
};

const RawFile kRawFiles[] = {
    {"wycheproof/ecdsa_secp256r1_sha256_p1363_test.json", Alg::ES256, "publicKeyJwk"},
    {"wycheproof/ecdsa_secp384r1_sha384_p1363_test.json", Alg::ES384, "publicKeyJwk"},
    {"wycheproof/ecdsa_secp521r1_sha512_p1363_test.json", Alg::ES512, "publicKeyJwk"},
    {"wycheproof/ed25519_test.json", Alg::EdDSA, "publicKeyJwk"},
    {"wycheproof/rsa_signature_2048_sha256_test.json", Alg::RS256, "keyJwk"},
    {"wycheproof/rsa_signature_2048_sha384_test.json", Alg::RS384, "keyJwk"},
    {"wycheproof/rsa_signature_2048_sha512_test.json", Alg::RS512, "keyJwk"},
    {"wycheproof/rsa_signature_3072_sha256_test.json", Alg::RS256, "keyJwk"},
    {"wycheproof/rsa_signature_4096_sha256_test.json", Alg::RS256, "keyJwk"},
    {"wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json", Alg::PS256, "publicKeyJwk"},
    {"wycheproof/rsa_pss_2048_sha384_mgf1_48_test.json", Alg::PS384, "publicKeyJwk"},
    {"wycheproof/rsa_pss_4096_sha512_mgf1_64_test.json", Alg::PS512, "publicKeyJwk"},
};

const char *sha_name(const AlgInfo &a)
{
    switch (a.hash) {
    case edge_auth::Hash::Sha256:
        return "SHA-256";
    case edge_auth::Hash::Sha384:
        return "SHA-384";
    case edge_auth::Hash::Sha512:
        return "SHA-512";
    default:
        return "";
    }
}

// A few ECDSA groups carry only the uncompressed point; the JWK is built from it.
std::string ec_jwk_from_point(const json_t *group, const AlgInfo &a)
{
    std::string point = test::hex_decode(str_member(json_object_get(group, "publicKey"), "uncompressed"));
    size_t half = (point.size() - 1) / 2;
    return std::string("{\"kty\":\"EC\",\"crv\":\"") + edge_auth::curve_jwk_name(a.curve) + "\",\"x\":\""
        + edge_auth::base64url_encode(point.substr(1, half)) + "\",\"y\":\""
        + edge_auth::base64url_encode(point.substr(1 + half)) + "\"}";
}

START_TEST(raw_signature_file)
{
    const RawFile &f = kRawFiles[_i];
    Json doc;
    if (!load(f.path, doc)) {
        return;
    }
    const AlgInfo &a = alg_info(f.alg);
    Tally t;
    t.file = std::string(f.path).substr(sizeof("wycheproof/") - 1);
    size_t gi;
    const json_t *g;
    json_array_foreach(json_object_get(doc.get(), "testGroups"), gi, g) {
        const json_t *tests = json_object_get(g, "tests");
        // PSS groups only when their parameters are exactly the JOSE ones (RFC 7518 §3.5).
        if (a.family == edge_auth::Family::RsaPss) {
            const json_t *slen = json_object_get(g, "sLen");
            long sl = json_is_integer(slen) ? static_cast<long>(json_integer_value(slen))
                                            : std::atol(str_member(g, "sLen").c_str());
            if (str_member(g, "sha") != sha_name(a) || str_member(g, "mgfSha") != sha_name(a)
                || str_member(g, "mgf") != "MGF1" || sl != static_cast<long>(a.hash_len)) {
                t.skipped += static_cast<int>(json_array_size(tests));
                continue;
            }
        }
        const json_t *jwk = json_object_get(g, f.key_member);
        std::string jwk_text = jwk ? dump(jwk) : ec_jwk_from_point(g, a);
        std::string why;
        std::unique_ptr<edge_auth::Key> key = import_text(jwk_text, why);
        std::string stricter = "valid, rejected: key refused by the key policy: " + why;

        size_t ti;
        const json_t *tc;
        json_array_foreach(tests, ti, tc) {
            long id = static_cast<long>(json_integer_value(json_object_get(tc, "tcId")));
            std::string msg = test::hex_decode(str_member(tc, "msg"));
            std::string sig = test::hex_decode(str_member(tc, "sig"));
            bool accepted = key && edge_auth::verify_signature(a, *key, msg, sig) == edge_auth::SigCheck::Valid;
            t.add(id, str_member(tc, "result"), accepted,
                key || str_member(tc, "result") != "valid" ? nullptr : stricter.c_str());
        }
    }
    t.finish();
}
END_TEST

// ---- HMAC files ------------------------------------------------------------------------------

struct MacFile {
    const char *path;
    Alg alg;
};

const MacFile kMacFiles[] = {
    {"wycheproof/hmac_sha256_test.json", Alg::HS256},
    {"wycheproof/hmac_sha384_test.json", Alg::HS384},
    {"wycheproof/hmac_sha512_test.json", Alg::HS512},
};

START_TEST(hmac_file)
{
    const MacFile &f = kMacFiles[_i];
    Json doc;
    if (!load(f.path, doc)) {
        return;
    }
    const AlgInfo &a = alg_info(f.alg);
    Tally t;
    t.file = std::string(f.path).substr(sizeof("wycheproof/") - 1);
    size_t gi;
    const json_t *g;
    json_array_foreach(json_object_get(doc.get(), "testGroups"), gi, g) {
        const json_t *ts = json_object_get(g, "tagSize");
        long tag_bits = json_is_integer(ts) ? static_cast<long>(json_integer_value(ts))
                                            : std::atol(str_member(g, "tagSize").c_str());
        bool truncated = tag_bits != static_cast<long>(a.hash_len * 8);
        size_t ti;
        const json_t *tc;
        json_array_foreach(json_object_get(g, "tests"), ti, tc) {
            long id = static_cast<long>(json_integer_value(json_object_get(tc, "tcId")));
            std::string secret = test::hex_decode(str_member(tc, "key"));
            std::string why;
            std::unique_ptr<edge_auth::Key> key
                = import_text(test::oct_jwk(secret, std::string("\"alg\":\"") + a.name + "\""), why);
            std::string msg = test::hex_decode(str_member(tc, "msg"));
            std::string tag = test::hex_decode(str_member(tc, "tag"));
            bool accepted = key && edge_auth::verify_signature(a, *key, msg, tag) == edge_auth::SigCheck::Valid;
            const char *stricter = nullptr;
            std::string reason;
            std::string result = str_member(tc, "result");
            if (result == "valid" && !key) {
                reason = "valid, rejected: key refused by the key policy: " + why;
                stricter = reason.c_str();
            } else if (result == "valid" && truncated) {
                stricter = "valid, rejected: truncated tag (JOSE uses the full HMAC output)";
            }
            t.add(id, result, accepted, stricter);
        }
    }
    t.finish();
}
END_TEST

} // namespace

Suite *wycheproof_suite()
{
    Suite *s = suite_create("wycheproof");
    TCase *jose = tcase_create("jose");
    tcase_set_timeout(jose, 120);
    tcase_add_test(jose, json_web_signature);
    tcase_add_test(jose, json_web_key);
    suite_add_tcase(s, jose);
    TCase *raw = tcase_create("raw");
    tcase_set_timeout(raw, 300);
    tcase_add_loop_test(raw, raw_signature_file, 0, static_cast<int>(sizeof(kRawFiles) / sizeof(kRawFiles[0])));
    tcase_add_loop_test(raw, hmac_file, 0, static_cast<int>(sizeof(kMacFiles) / sizeof(kMacFiles[0])));
    suite_add_tcase(s, raw);
    return s;
}

UNIT_SUITE(wycheproof_suite);
