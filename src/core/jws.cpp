#include "jws.h"

#include "base64url.h"
#include "jwk.h"
#include "signature.h"

namespace edge_auth {

namespace {

Status malformed(Detail &d, const char *why)
{
    d.text(why);
    return Status::Malformed;
}

Status bad_header(Detail &d, const char *why)
{
    d.text(why);
    return Status::BadHeader;
}

} // namespace

Status Jws::parse(std::string_view compact, unsigned allowed_algs, Detail &d)
{
    header_ = JsonDoc();
    alg_ = nullptr;
    kid_ = std::string_view();
    has_kid_ = false;

    size_t dot1 = compact.find('.');
    size_t dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) {
        return malformed(d, "not a compact JWS: fewer than 3 segments");
    }
    if (compact.find('.', dot2 + 1) != std::string_view::npos) {
        return malformed(d, "not a compact JWS: more than 3 segments (JWE is not accepted)");
    }
    std::string_view h64 = compact.substr(0, dot1);
    std::string_view p64 = compact.substr(dot1 + 1, dot2 - dot1 - 1);
    std::string_view s64 = compact.substr(dot2 + 1);
    if (h64.empty()) {
        return malformed(d, "empty header segment");
    }
    if (p64.empty()) {
        return malformed(d, "empty payload segment (detached content is not accepted)");
    }
    if (s64.empty()) {
        return malformed(d, "empty signature segment");
    }

    size_t hn = base64url_decoded_size(h64.size());
    size_t pn = base64url_decoded_size(p64.size());
    size_t sn = base64url_decoded_size(s64.size());
    char *buf = inline_;
    if (hn + pn + sn > kInlineBytes) {
        heap_.resize(hn + pn + sn);
        buf = heap_.data();
    }
    auto *hb = reinterpret_cast<unsigned char *>(buf);
    auto *pb = hb + hn;
    auto *sb = pb + pn;
    size_t hl = 0, pl = 0, sl = 0;
    if (!base64url_decode(h64, hb, &hl)) {
        return malformed(d, "header segment is not canonical base64url");
    }
    if (!base64url_decode(p64, pb, &pl)) {
        return malformed(d, "payload segment is not canonical base64url");
    }
    if (!base64url_decode(s64, sb, &sl)) {
        return malformed(d, "signature segment is not canonical base64url");
    }
    signing_input_ = compact.substr(0, dot2);
    payload_ = std::string_view(reinterpret_cast<char *>(pb), pl);
    signature_ = std::string_view(reinterpret_cast<char *>(sb), sl);

    JsonError je = header_.parse(std::string_view(reinterpret_cast<char *>(hb), hl), JsonLimits{hl, kMaxHeaderDepth});
    if (je != JsonError::None) {
        d.text("header: ").text(json_error_text(je));
        return Status::Malformed;
    }
    JsonValue h = header_.root();

    JsonValue alg = h.member("alg");
    if (!alg) {
        return bad_header(d, "header has no alg");
    }
    if (!alg.is_string()) {
        return bad_header(d, "alg is not a string");
    }
    if (h.member("crit")) {
        return bad_header(d, "crit is present (no JWS extension is implemented)");
    }
    if (h.member("enc")) {
        return bad_header(d, "enc is present (JWE is not accepted)");
    }
    if (h.member("zip")) {
        return bad_header(d, "zip is present (compression is not accepted)");
    }
    if (h.member("b64")) {
        return bad_header(d, "b64 is present (unencoded payloads are not accepted)");
    }
    if (JsonValue kid = h.member("kid")) {
        if (!kid.is_string()) {
            return bad_header(d, "kid is not a string");
        }
        kid_ = kid.string();
        if (kid_.empty() || kid_.size() > kMaxKidBytes) {
            d.text("kid length ").unum(kid_.size()).text(" is outside 1..256");
            return Status::BadHeader;
        }
        has_kid_ = true;
    }
    if (JsonValue typ = h.member("typ")) {
        if (!typ.is_string()) {
            return bad_header(d, "typ is not a string");
        }
    }

    std::string_view alg_name = alg.string();
    alg_ = alg_from_name(alg_name);
    if (!alg_) {
        d.text("alg ").quoted(alg_name).text(" is not supported");
        return Status::AlgNotAllowed;
    }
    if (!(alg_->bit & allowed_algs)) {
        d.text("alg ").text(alg_->name).text(" is not allowed here");
        return Status::AlgNotAllowed;
    }
    return Status::Ok;
}

Status Jws::verify(const KeySet &keys, Detail &d, const Key **used) const
{
    if (used) {
        *used = nullptr;
    }
    KeySet::Candidates c;
    const std::string_view *kid = has_kid_ ? &kid_ : nullptr;
    switch (keys.find(*alg_, kid, c)) {
    case KeySet::Lookup::Found:
        break;
    case KeySet::Lookup::NoKeys:
        d.text("the key set is empty");
        return Status::NoKeys;
    case KeySet::Lookup::NoMatch:
        if (kid && keys.has_kid(kid_)) {
            d.text("key with kid ").quoted(kid_).text(" does not serve ").text(alg_->name);
        } else if (kid) {
            d.text("no key with kid ").quoted(kid_);
        } else {
            d.text("no key serves ").text(alg_->name);
        }
        return Status::UnknownKey;
    case KeySet::Lookup::TooMany:
        if (kid) {
            d.text("more than 4 keys share kid ").quoted(kid_);
        } else {
            d.text("token has no kid and more than 4 keys serve ").text(alg_->name);
        }
        return Status::UnknownKey;
    }

    // Fixed-size algorithms: refuse a wrong length before any candidate is tried.
    if (alg_->sig_len && signature_.size() != alg_->sig_len) {
        d.text("signature is ").unum(signature_.size()).text(" bytes, ").text(alg_->name)
            .text(" needs ").unum(alg_->sig_len);
        return Status::BadSignature;
    }
    size_t wrong_length = 0;
    for (size_t i = 0; i < c.count; i++) {
        switch (verify_signature(*alg_, *c.keys[i], signing_input_, signature_)) {
        case SigCheck::Valid:
            if (used) {
                *used = c.keys[i];
            }
            return Status::Ok;
        case SigCheck::WrongLength:
            wrong_length++;
            break;
        case SigCheck::Invalid:
            break;
        }
    }
    if (wrong_length == c.count) {
        d.text("signature is ").unum(signature_.size()).text(" bytes, the ").text(alg_->name)
            .text(" key needs ").unum(expected_signature_size(*alg_, *c.keys[0]));
    } else {
        d.text(alg_->name).text(" signature does not verify");
    }
    return Status::BadSignature;
}

Status verify_compact_jws(std::string_view compact, const KeySet &keys, unsigned allowed_algs, Detail &detail)
{
    Jws jws;
    Status s = jws.parse(compact, allowed_algs, detail);
    if (s != Status::Ok) {
        return s;
    }
    return jws.verify(keys, detail);
}

} // namespace edge_auth
