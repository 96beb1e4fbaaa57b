// base64url.h: strict, canonical base64url (RFC 4648 §5) as JOSE requires (RFC 7515 §2).
//
// Usage:
//
//     std::string bytes;
//     if (!base64url_decode(segment, bytes)) return Status::Malformed;
//     std::string text = base64url_encode(bytes);     // round-trips to `segment`
//
// The decoder accepts exactly one encoding per byte string: alphabet A-Z a-z 0-9 - _ only, no
// '=' padding, no whitespace, no length of the form 4k+1, and the unused low bits of the last
// character must be zero. Lenient decoders make tokens malleable (several strings verify as
// the same token), which breaks anything keyed on the raw token, and once let "=junk" ride
// along on a valid signature.

#ifndef EDGE_AUTH_CORE_BASE64URL_H
#define EDGE_AUTH_CORE_BASE64URL_H

#include <cstddef>
#include <string>
#include <string_view>

namespace edge_auth {

// Upper bound of the decoded size of `encoded_len` characters (exact for canonical input).
constexpr size_t base64url_decoded_size(size_t encoded_len)
{
    return encoded_len / 4 * 3 + (encoded_len % 4 ? encoded_len % 4 - 1 : 0);
}

// Decodes into out[0 .. base64url_decoded_size(in.size())). Returns false on any non-canonical
// input; out may then hold partial output.
bool base64url_decode(std::string_view in, unsigned char *out, size_t *out_len) noexcept;

// Same, replacing the contents of `out`.
bool base64url_decode(std::string_view in, std::string &out);

std::string base64url_encode(std::string_view bytes);

} // namespace edge_auth

#endif
