#include "session_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>

#include "base64url.h"

namespace edge_auth {

namespace {

const char kKeyIdInfo[] = "nginx-edge-auth key-id v1";

// Wipes the decoded secrets of a load, whatever way it ends.
struct SecretScratch {
    std::vector<std::string> secrets;
    ~SecretScratch()
    {
        for (std::string &s : secrets) {
            OPENSSL_cleanse(&s[0], s.size());
        }
    }
};

bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_blank(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_blank(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string at_line(unsigned line)
{
    return "line " + std::to_string(line) + ": ";
}

} // namespace

const char *key_purpose_info(KeyPurpose purpose) noexcept
{
    switch (purpose) {
    case KeyPurpose::Session:
        return "nginx-edge-auth session v1";
    case KeyPurpose::FlowState:
        return "nginx-edge-auth flow-state v1";
    }
    return "";
}

bool hkdf_sha256(std::string_view ikm, std::string_view info, unsigned char *out, size_t out_len) noexcept
{
    EVP_KDF *kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (!kdf) {
        return false;
    }
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!ctx) {
        return false;
    }
    // OSSL_PARAM wants non-const pointers; the KDF only reads them.
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char *>(ikm.data()), ikm.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char *>(info.data()), info.size()),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    return ok == 1;
}

bool secret_looks_weak(const unsigned char *secret, size_t len, std::string &why)
{
    bool seen[256] = {};
    bool diff_seen[256] = {};
    size_t distinct = 0, diffs = 0;
    bool printable = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = secret[i];
        if (!seen[c]) {
            seen[c] = true;
            distinct++;
        }
        if (i > 0) {
            auto d = static_cast<unsigned char>(c - secret[i - 1]);
            if (!diff_seen[d]) {
                diff_seen[d] = true;
                diffs++;
            }
        }
        printable = printable && c >= 0x20 && c < 0x7f;
    }
    if (distinct < 16) {
        why = "only " + std::to_string(distinct) + " distinct byte values (random bytes have about 30 in 32)";
        return true;
    }
    for (size_t p = 1; p <= len / 2; p++) {
        size_t i = p;
        while (i < len && secret[i] == secret[i - p]) {
            i++;
        }
        if (i == len) {
            why = "repeats a " + std::to_string(p) + "-byte pattern";
            return true;
        }
    }
    if (diffs < 16) {
        why = "bytes follow a simple pattern (only " + std::to_string(diffs)
            + " distinct steps between neighbouring bytes)";
        return true;
    }
    if (printable) {
        why = "every byte is printable ASCII: this looks like a password, not random bytes";
        return true;
    }
    return false;
}

std::unique_ptr<SessionKeys> SessionKeys::load(std::string_view text, std::string &err)
{
    err.clear();
    if (text.size() > kMaxKeyFileBytes) {
        err = "the key file is larger than " + std::to_string(kMaxKeyFileBytes) + " bytes";
        return nullptr;
    }
    std::unique_ptr<SessionKeys> out(new SessionKeys());
    // No reallocation after this, so no stray copy of key material is left in freed memory.
    out->keys_.reserve(kMaxSecrets);
    SecretScratch scratch;
    scratch.secrets.reserve(kMaxSecrets);

    unsigned line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        line_no++;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        size_t sp = 0;
        while (sp < line.size() && line[sp] != ' ' && line[sp] != '\t') {
            sp++;
        }
        std::string_view token = line.substr(0, sp);
        std::string_view rest = trim(line.substr(sp));
        if (!rest.empty() && rest.front() != '#') {
            err = at_line(line_no) + "unexpected text after the secret (comments start with '#')";
            return nullptr;
        }
        if (out->keys_.size() == kMaxSecrets) {
            err = at_line(line_no) + "more than " + std::to_string(kMaxSecrets)
                + " secrets; remove retired ones";
            return nullptr;
        }
        scratch.secrets.emplace_back();
        std::string &secret = scratch.secrets.back();
        secret.reserve(base64url_decoded_size(token.size()));
        if (!base64url_decode(token, secret)) {
            bool standard = token.find_first_of("+/=") != std::string_view::npos;
            err = at_line(line_no) + (standard ? "standard base64 is not accepted; " : "")
                + "a secret is base64url without '=' padding (generate one with `edge-auth keygen`)";
            return nullptr;
        }
        if (secret.size() < kMinSecretBytes) {
            err = at_line(line_no) + "the secret is " + std::to_string(secret.size())
                + " bytes; at least " + std::to_string(kMinSecretBytes) + " random bytes are required";
            return nullptr;
        }
        if (secret.size() > kMaxSecretBytes) {
            err = at_line(line_no) + "the secret is longer than " + std::to_string(kMaxSecretBytes) + " bytes";
            return nullptr;
        }
        std::string why;
        if (secret_looks_weak(reinterpret_cast<const unsigned char *>(secret.data()), secret.size(), why)) {
            err = at_line(line_no) + "the secret looks low-entropy: " + why
                + " (generate one with `edge-auth keygen`)";
            return nullptr;
        }
        for (size_t i = 0; i + 1 < scratch.secrets.size(); i++) {
            if (scratch.secrets[i] == secret) {
                err = at_line(line_no) + "repeats the secret of line " + std::to_string(out->keys_[i].line);
                return nullptr;
            }
        }

        Key k;
        k.line = line_no;
        unsigned char id[4];
        bool ok = hkdf_sha256(secret, kKeyIdInfo, id, sizeof(id));
        for (size_t p = 0; ok && p < kKeyPurposes; p++) {
            ok = hkdf_sha256(secret, key_purpose_info(static_cast<KeyPurpose>(p)), k.aes[p], kSessionKeyBytes);
        }
        if (!ok) {
            OPENSSL_cleanse(&k, sizeof(k));
            err = at_line(line_no) + "HKDF-SHA256 failed in OpenSSL";
            return nullptr;
        }
        k.kid = static_cast<uint32_t>(id[0]) << 24 | static_cast<uint32_t>(id[1]) << 16
            | static_cast<uint32_t>(id[2]) << 8 | id[3];
        for (const Key &other : out->keys_) {
            if (other.kid == k.kid) {
                OPENSSL_cleanse(&k, sizeof(k));
                err = at_line(line_no) + "its key id collides with the secret of line " + std::to_string(other.line)
                    + "; generate a new secret";
                return nullptr;
            }
        }
        out->keys_.push_back(k);
        OPENSSL_cleanse(&k, sizeof(k));
    }
    if (out->keys_.empty()) {
        err = "no secret in the key file (generate one with `edge-auth keygen`)";
        return nullptr;
    }
    return out;
}

SessionKeys::~SessionKeys()
{
    if (!keys_.empty()) {
        OPENSSL_cleanse(keys_.data(), keys_.size() * sizeof(Key));
    }
}

const SessionKeys::Key *SessionKeys::find(uint32_t kid) const noexcept
{
    for (const Key &k : keys_) {
        if (k.kid == kid) {
            return &k;
        }
    }
    return nullptr;
}

std::string key_id_hex(uint32_t kid)
{
    static const char hex[] = "0123456789abcdef";
    std::string out(8, '0');
    for (int i = 7; i >= 0; i--) {
        out[static_cast<size_t>(i)] = hex[kid & 0xf];
        kid >>= 4;
    }
    return out;
}

} // namespace edge_auth
