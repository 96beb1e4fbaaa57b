/*
 * fuzz_jwks_parse.cpp: libFuzzer target for ea_keyset_add_jwks, the parser of JWKS documents
 * (key files, and documents fetched from an identity provider's jwks_uri).
 *
 * When a mutated document still yields keys, a few fixed tokens (signed with fuzz/keys/, whose
 * public halves are the seed "all") are verified against them, so odd but accepted keys (huge
 * or tiny moduli, off-curve points, wrong lengths, mixed-up alg/use/key_ops) also go through
 * key selection and signature verification.
 */

#include "fuzz_common.h"

#include <cstdint>

namespace {

const char *const TOKENS[] = {
    /* RS256 */
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZ1enotcnNhIn0.eyJzdWIiOiJhIn0.tjHBPCQ4ik7oWijJ"
    "8lkGBsMhbJkOfQIpHjuf6UyxYqRv_itzNEUoMeSV9Gvbrb3ozeB1WbmLikLTigRoy2G5VkkKRZgOMOh1PRqw2LyXhugy"
    "4h7uiqU-njSgZdwKhb4UOp59d4j23UUmm2GWYouRnbxP1UC82tY0ZWuekKXg2i43M8-pvZzJj1NzVCiatUdflygcA98v"
    "czAD65DU81aMD5NmStsWZW_3N99Q9PhGoJMbVYkCugSivopYvU2UOnNc8CIfweacAhLSqnZyt6y_V-dq3J1DvihwW8hb"
    "qK-XHFwq4hmoS9TYPtKoh_AZM8TsWSFRDNhBDKgjQibSq_PqMA",
    /* PS256 */
    "eyJhbGciOiJQUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZ1enotcnNhIn0.eyJzdWIiOiJhIn0.X_A3GaxR0hTPEYqT"
    "wkRtr_vH6GcohSXdK_7cYSytAgPkQWNV5SH_Yl2RTBUfPDou6cCCpyLghSHXjlLtCHxIDuGNlirLwOFtqytb9zavYObg"
    "pUDux2M_cwgmgrvuORKcLKzpNYw8zddQtL-hBWdWTDZANz3QeLL9qyDGCQU4VykOJQitw24mHOu7rvb6E-12DH-Jhy2B"
    "xArWJM3dukviuOOc6-ZS7IbxXarj8ZugcGA2UN7JDJEhKdFDZ471KCcxcMr87MLeyXD0XQRtEguKJ6esds5WzmHzff-u"
    "4Rc_dGgITyo86ntDRYum6CuyQkGAl1IRI1H2vhg6h14uCbt9XQ",
    /* ES256 */
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZ1enotZWMifQ.eyJzdWIiOiJhIn0.Jbu7j1YU1hmNNdT13"
    "qgev1ny4TzwDv7OSKTllZmIQn4zzWNLIcX9FPi64yBVq8j1abzgBK5d22kAmMSZ1NFo0g",
    /* EdDSA */
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImZ1enotZWQifQ.eyJzdWIiOiJhIn0.dTPbP78_8xDDYOvyD"
    "Vf0hXXBwjXFQxeh7xYns6Pa3lrL2EUtF0Xpak94uF9obz7523t_f_zilA6CQM8Wed4pAw",
    /* HS256 */
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZ1enotaHMifQ.eyJzdWIiOiJhIn0.4SMgXEDGSSBCnfHdE"
    "hqfos-8t2_LyuDHcvm2ijHIDC4",
    /* ES256, no kid */
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhIn0.Iu6wxQCBFskFHfLg_q77-KityvdSe-n07XcxRJQ"
    "4iiaxrqwlVV5U5F2OlgqMOA2mRVp-4GtiwtYX5gN7tQ3B4A",
};

const int64_t NOW = 1700000000;
ea_policy_t *g_policy;

void on_warning(void *ctx, const char *message)
{
    if (message == nullptr) {
        fuzz::violation("warning callback got NULL", "", 0);
    }
    /* The line goes to the nginx error log as is. */
    fuzz::check_no_controls("key policy warning", message, std::strlen(message));
    ++*static_cast<size_t *>(ctx);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    ea_policy_conf_t pc;
    ea_policy_conf_init(&pc);
    pc.algorithms = EA_ALGS_ASYMMETRIC | EA_ALGS_HMAC;
    pc.require_exp = 0;
    char err[256] = "";
    g_policy = ea_policy_create(&pc, err, sizeof(err));
    if (g_policy == nullptr) {
        std::fprintf(stderr, "fuzz_jwks_parse: ea_policy_create: %s\n", err);
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ea_keyset_t *set = ea_keyset_new();
    if (set == nullptr) {
        return 0;
    }
    /* Exact-size heap buffer, so ASan flags a write past err_len. */
    const size_t err_len = 96;
    std::unique_ptr<char[]> err(new char[err_len]);
    std::memset(err.get(), 'X', err_len);
    size_t warnings = 0;

    int rc = ea_keyset_add_jwks(set, reinterpret_cast<const char *>(data), size, on_warning,
                                &warnings, err.get(), err_len);
    if (rc != 0 && rc != -1) {
        fuzz::violation("ea_keyset_add_jwks returned neither 0 nor -1", "", 0);
    }
    if (rc == -1) {
        fuzz::check_message("ea_keyset_add_jwks error", err.get(), err_len);
    }

    if (rc == 0 && ea_keyset_size(set) > 0) {
        for (const char *token : TOKENS) {
            ea_token_t *tok = nullptr;
            char detail[128];
            ea_status_t st = ea_jwt_verify(g_policy, set, token, std::strlen(token), NOW, &tok,
                                           detail, sizeof(detail));
            fuzz::check_status(st);
            if ((st == EA_OK) != (tok != nullptr)) {
                fuzz::violation("ea_jwt_verify: status and token disagree", token,
                                std::strlen(token));
            }
            if (tok != nullptr) {
                ea_token_free(tok);
            }
        }
    }
    ea_keyset_free(set);
    return 0;
}
