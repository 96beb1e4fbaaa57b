#include "seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <limits>
#include <new>

namespace edge_auth {

namespace {

// Fetched once: an implicit fetch inside every EVP_*Init_ex would look the cipher up again on
// every cookie.
const EVP_CIPHER *aes_256_gcm() noexcept
{
    static EVP_CIPHER *const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return cipher;
}

struct CipherCtx {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
    CipherCtx() = default;
    CipherCtx(const CipherCtx &) = delete;
    CipherCtx &operator=(const CipherCtx &) = delete;
};

bool fits_int(size_t n)
{
    return n <= static_cast<size_t>(std::numeric_limits<int>::max());
}

const unsigned char *bytes(std::string_view s)
{
    return reinterpret_cast<const unsigned char *>(s.data());
}

} // namespace

bool aead_encrypt(const unsigned char *key, const unsigned char *iv, std::string_view aad, std::string_view plaintext,
    unsigned char *ct_out, unsigned char *tag_out) noexcept
{
    const EVP_CIPHER *cipher = aes_256_gcm();
    CipherCtx c;
    if (!cipher || !c.ctx || !fits_int(aad.size()) || !fits_int(plaintext.size())) {
        return false;
    }
    int n = 0;
    // The default GCM IV length is 12 bytes, so no EVP_CTRL_GCM_SET_IVLEN is needed.
    if (EVP_EncryptInit_ex(c.ctx, cipher, nullptr, key, iv) != 1) {
        return false;
    }
    if (!aad.empty() && EVP_EncryptUpdate(c.ctx, nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1) {
        return false;
    }
    int written = 0;
    if (!plaintext.empty()
        && EVP_EncryptUpdate(c.ctx, ct_out, &written, bytes(plaintext), static_cast<int>(plaintext.size())) != 1) {
        return false;
    }
    if (EVP_EncryptFinal_ex(c.ctx, ct_out + written, &n) != 1) {
        return false;
    }
    return EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagBytes), tag_out) == 1;
}

bool aead_decrypt(std::string_view key, std::string_view iv, std::string_view aad, std::string_view ciphertext,
    std::string_view tag, unsigned char *plain_out) noexcept
{
    if (key.size() != kAeadKeyBytes || iv.size() != kAeadIvBytes || tag.size() != kAeadTagBytes
        || !fits_int(aad.size()) || !fits_int(ciphertext.size())) {
        if (!ciphertext.empty()) {
            std::memset(plain_out, 0, ciphertext.size());
        }
        return false;
    }
    const EVP_CIPHER *cipher = aes_256_gcm();
    CipherCtx c;
    bool ok = cipher && c.ctx;
    int n = 0, written = 0;
    // The tag buffer is copied: EVP_CTRL_GCM_SET_TAG takes a non-const pointer.
    unsigned char expected[kAeadTagBytes];
    std::memcpy(expected, tag.data(), kAeadTagBytes);
    ok = ok && EVP_DecryptInit_ex(c.ctx, cipher, nullptr, bytes(key), bytes(iv)) == 1;
    ok = ok && (aad.empty() || EVP_DecryptUpdate(c.ctx, nullptr, &n, bytes(aad), static_cast<int>(aad.size())) == 1);
    ok = ok
        && (ciphertext.empty()
            || EVP_DecryptUpdate(c.ctx, plain_out, &written, bytes(ciphertext), static_cast<int>(ciphertext.size()))
                == 1);
    ok = ok && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagBytes), expected) == 1;
    // The tag comparison (constant time) happens in Final.
    ok = ok && EVP_DecryptFinal_ex(c.ctx, plain_out + written, &n) == 1;
    if (!ok && !ciphertext.empty()) {
        OPENSSL_cleanse(plain_out, ciphertext.size());
    }
    return ok;
}

SealHeader read_seal_header(const unsigned char *b) noexcept
{
    SealHeader h;
    h.version = b[0];
    h.kid = static_cast<uint32_t>(b[1]) << 24 | static_cast<uint32_t>(b[2]) << 16 | static_cast<uint32_t>(b[3]) << 8
        | b[4];
    h.parts = b[5];
    return h;
}

std::string seal_context(std::initializer_list<std::string_view> fields)
{
    std::string out;
    size_t total = 0;
    for (std::string_view f : fields) {
        total += 2 + f.size();
    }
    out.reserve(total);
    for (std::string_view f : fields) {
        out.push_back(static_cast<char>((f.size() >> 8) & 0xff));
        out.push_back(static_cast<char>(f.size() & 0xff));
        out.append(f);
    }
    return out;
}

bool seal_value(const SessionKeys::Key &key, KeyPurpose purpose, unsigned char parts, std::string_view context,
    std::string_view plaintext, std::string &out, const unsigned char *iv)
{
    out.assign(kSealOverhead + plaintext.size(), '\0');
    auto *o = reinterpret_cast<unsigned char *>(&out[0]);
    o[0] = kSealVersion;
    o[1] = static_cast<unsigned char>(key.kid >> 24);
    o[2] = static_cast<unsigned char>(key.kid >> 16);
    o[3] = static_cast<unsigned char>(key.kid >> 8);
    o[4] = static_cast<unsigned char>(key.kid);
    o[5] = parts;
    unsigned char *iv_out = o + kSealHeaderBytes;
    if (iv) {
        std::memcpy(iv_out, iv, kAeadIvBytes);
    } else if (RAND_bytes(iv_out, static_cast<int>(kAeadIvBytes)) != 1) {
        return false;
    }
    std::string aad;
    aad.reserve(kSealHeaderBytes + context.size());
    aad.append(out, 0, kSealHeaderBytes);
    aad.append(context);
    unsigned char *ct = iv_out + kAeadIvBytes;
    return aead_encrypt(key.key(purpose), iv_out, aad, plaintext, ct, ct + plaintext.size());
}

SessionStatus open_value(const SessionKeys &keys, KeyPurpose purpose, std::string_view sealed,
    std::string_view context, std::string &plaintext, Detail &detail)
{
    plaintext.clear();
    if (sealed.size() < kSealOverhead) {
        detail.text("sealed value is ").unum(sealed.size()).text(" bytes, shorter than the minimum ")
            .unum(kSealOverhead);
        return SessionStatus::Malformed;
    }
    SealHeader h = read_seal_header(reinterpret_cast<const unsigned char *>(sealed.data()));
    if (h.version != kSealVersion) {
        detail.text("format version ").unum(h.version).text(" is not supported");
        return SessionStatus::UnknownVersion;
    }
    const SessionKeys::Key *key = keys.find(h.kid);
    if (!key) {
        detail.text("no session key has key id ").text(key_id_hex(h.kid).c_str());
        return SessionStatus::UnknownKey;
    }
    std::string aad;
    aad.reserve(kSealHeaderBytes + context.size());
    aad.append(sealed.substr(0, kSealHeaderBytes));
    aad.append(context);
    std::string_view iv = sealed.substr(kSealHeaderBytes, kAeadIvBytes);
    std::string_view ct = sealed.substr(kSealHeaderBytes + kAeadIvBytes, sealed.size() - kSealOverhead);
    std::string_view tag = sealed.substr(sealed.size() - kAeadTagBytes);
    plaintext.resize(ct.size());
    auto *p = reinterpret_cast<unsigned char *>(&plaintext[0]);
    std::string_view k(reinterpret_cast<const char *>(key->key(purpose)), kSessionKeyBytes);
    if (!aead_decrypt(k, iv, aad, ct, tag, p)) {
        plaintext.clear();
        detail.text("authentication failed");
        return SessionStatus::BadSeal;
    }
    return SessionStatus::Ok;
}

} // namespace edge_auth
