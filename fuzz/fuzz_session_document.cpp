/*
 * fuzz_session_document.cpp: differential libFuzzer target for session_to_json
 * (src/core/session.h), the writer of the sealed session document, against jansson's
 * JSON_COMPACT dump of the same members (how the document was written before, and the format
 * docs/session-format.md describes).
 *
 * Input: up to five length-prefixed strings (one length byte, then that many bytes) for sub, iss,
 * the access, refresh and ID tokens; a missing one stays as the base session has it. Strings are
 * anything at all: the writer must refuse exactly what jansson refuses (invalid UTF-8), give the
 * same bytes for everything else, and its output must parse back (JsonDoc) to the same strings
 * (unless a string holds NUL, which the module's parsers refuse by design).
 * It aborts otherwise. Run with: make fuzz-run-fuzz_session_document
 */

#include "fuzz_common.h"

#include <stdexcept>
#include <string>
#include <string_view>

#include <jansson.h>

#include "json.h"
#include "json_doc.h"
#include "session.h"

namespace {

using edge_auth::Session;

// jansson's dump of the members session_to_json writes; empty when jansson refuses a string.
std::string jansson_reference(const Session &s)
{
    edge_auth::Json doc(json_object());
    json_t *o = doc.get();
    if (!o) {
        std::abort();
    }
    bool ok = true;
    auto str = [&](const char *name, const std::string &v, bool optional) {
        if (optional && v.empty()) {
            return;
        }
        json_t *j = json_stringn(v.data(), v.size());   // NULL for invalid UTF-8
        if (!j || json_object_set_new(o, name, j) != 0) {   // set_new takes j even when it fails
            ok = false;
        }
    };
    auto num = [&](const char *name, int64_t v) {
        if (json_object_set_new(o, name, json_integer(v)) != 0) {
            ok = false;
        }
    };
    str("sid", s.sid, false);
    str("sub", s.sub, false);
    str("iss", s.iss, false);
    num("iat", s.issued_at);
    num("seen", s.last_seen);
    num("exp", s.expires);
    str("at", s.access_token, true);
    if (s.access_token_expires != 0) {
        num("at_exp", s.access_token_expires);
    }
    str("rt", s.refresh_token, true);
    str("idt", s.id_token, true);
    if (!ok) {
        return std::string();
    }
    char *text = json_dumps(o, JSON_COMPACT);
    if (!text) {
        std::abort();
    }
    std::string out(text);
    std::free(text);
    return out;
}

void same_member(edge_auth::JsonValue root, const char *name, const std::string &want, bool optional,
    const std::string &doc)
{
    edge_auth::JsonValue v = root.member(name);
    bool absent_ok = optional && want.empty() && !v;
    if (!absent_ok && (!v.is_string() || v.string() != want)) {
        fuzz::violation("the written document does not read back the same string", doc.data(), doc.size());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Session s;
    s.sid = "q83vEjRWeJCrze8SNFZ4kA";
    s.sub = "alice";
    s.iss = "https://idp.example";
    s.issued_at = 1700000000;
    s.last_seen = 1700000000;
    s.expires = 1700028800;
    s.access_token_expires = 1700003600;
    std::string *fields[] = {&s.sub, &s.iss, &s.access_token, &s.refresh_token, &s.id_token};
    size_t off = 0;
    for (std::string *f : fields) {
        if (off >= size) {
            break;
        }
        size_t len = data[off++];
        len = len < size - off ? len : size - off;
        f->assign(reinterpret_cast<const char *>(data + off), len);
        off += len;
    }

    std::string want = jansson_reference(s);
    std::string got;
    bool refused = false;
    try {
        got = edge_auth::session_to_json(s);
    } catch (const std::invalid_argument &) {
        refused = true;
    }
    if (refused != want.empty()) {
        fuzz::violation(refused ? "session_to_json refused what jansson holds" : "session_to_json wrote what jansson refuses",
            reinterpret_cast<const char *>(data), size);
    }
    if (refused) {
        return 0;
    }
    if (got != want) {
        std::fprintf(stderr, "jansson: %s\nwriter:  %s\n", want.c_str(), got.c_str());
        fuzz::violation("session_to_json differs from jansson's dump", reinterpret_cast<const char *>(data), size);
    }
    // The module's parsers refuse \u0000 on purpose (and check_session keeps NUL out of every
    // sealed session), so a document with a NUL cannot read back; everything else must.
    for (const std::string *f : fields) {
        if (f->find('\0') != std::string::npos) {
            return 0;
        }
    }
    edge_auth::JsonDoc doc;
    if (doc.parse(got, edge_auth::JsonLimits{got.size(), 4}) != edge_auth::JsonError::None) {
        fuzz::violation("the written document does not parse", got.data(), got.size());
    }
    same_member(doc.root(), "sub", s.sub, false, got);
    same_member(doc.root(), "iss", s.iss, false, got);
    same_member(doc.root(), "at", s.access_token, true, got);
    same_member(doc.root(), "rt", s.refresh_token, true, got);
    same_member(doc.root(), "idt", s.id_token, true, got);
    return 0;
}
