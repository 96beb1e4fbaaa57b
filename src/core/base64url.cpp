#include "base64url.h"

#include <array>
#include <cstdint>

namespace edge_auth {

namespace {

constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> make_table()
{
    std::array<uint8_t, 256> t{};
    for (auto &v : t) {
        v = kInvalid;
    }
    for (int i = 0; i < 26; i++) {
        t['A' + i] = static_cast<uint8_t>(i);
        t['a' + i] = static_cast<uint8_t>(26 + i);
    }
    for (int i = 0; i < 10; i++) {
        t['0' + i] = static_cast<uint8_t>(52 + i);
    }
    t['-'] = 62;
    t['_'] = 63;
    return t;
}

constexpr std::array<uint8_t, 256> kTable = make_table();

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

} // namespace

bool base64url_decode(std::string_view in, unsigned char *out, size_t *out_len) noexcept
{
    size_t n = in.size();
    size_t rem = n % 4;
    if (rem == 1) {
        return false;
    }
    const auto *p = reinterpret_cast<const unsigned char *>(in.data());
    unsigned char *o = out;
    size_t full = n - rem;

    for (size_t i = 0; i < full; i += 4) {
        uint32_t a = kTable[p[i]], b = kTable[p[i + 1]], c = kTable[p[i + 2]], d = kTable[p[i + 3]];
        if ((a | b | c | d) & 0x80) {
            return false;
        }
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        *o++ = static_cast<unsigned char>(v >> 16);
        *o++ = static_cast<unsigned char>(v >> 8);
        *o++ = static_cast<unsigned char>(v);
    }

    if (rem) {
        uint32_t a = kTable[p[full]], b = kTable[p[full + 1]];
        uint32_t c = rem == 3 ? kTable[p[full + 2]] : 0;
        if ((a | b | c) & 0x80) {
            return false;
        }
        if (rem == 2) {
            // 12 bits carry 8: the low 4 bits of the second character must be zero.
            if (b & 0x0f) {
                return false;
            }
            *o++ = static_cast<unsigned char>(a << 2 | b >> 4);
        } else {
            // 18 bits carry 16: the low 2 bits of the third character must be zero.
            if (c & 0x03) {
                return false;
            }
            uint32_t v = a << 18 | b << 12 | c << 6;
            *o++ = static_cast<unsigned char>(v >> 16);
            *o++ = static_cast<unsigned char>(v >> 8);
        }
    }
    *out_len = static_cast<size_t>(o - out);
    return true;
}

bool base64url_decode(std::string_view in, std::string &out)
{
    out.resize(base64url_decoded_size(in.size()));
    size_t len = 0;
    if (!base64url_decode(in, reinterpret_cast<unsigned char *>(out.data()), &len)) {
        out.clear();
        return false;
    }
    out.resize(len);
    return true;
}

std::string base64url_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    size_t n = bytes.size(), i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = uint32_t(p[i]) << 16 | uint32_t(p[i + 1]) << 8 | p[i + 2];
        out.push_back(kAlphabet[v >> 18 & 63]);
        out.push_back(kAlphabet[v >> 12 & 63]);
        out.push_back(kAlphabet[v >> 6 & 63]);
        out.push_back(kAlphabet[v & 63]);
    }
    if (n - i == 1) {
        uint32_t v = uint32_t(p[i]) << 16;
        out.push_back(kAlphabet[v >> 18 & 63]);
        out.push_back(kAlphabet[v >> 12 & 63]);
    } else if (n - i == 2) {
        uint32_t v = uint32_t(p[i]) << 16 | uint32_t(p[i + 1]) << 8;
        out.push_back(kAlphabet[v >> 18 & 63]);
        out.push_back(kAlphabet[v >> 12 & 63]);
        out.push_back(kAlphabet[v >> 6 & 63]);
    }
    return out;
}

} // namespace edge_auth
