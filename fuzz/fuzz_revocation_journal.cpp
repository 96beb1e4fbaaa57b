/*
 * fuzz_revocation_journal.cpp: libFuzzer target for the revocation journal (ea_revocation_parse,
 * ea_revocation_format), the file nginx reads back at start, and for the lookup set built from
 * what it held (ea_revocation_set_build).
 *
 * Input: journal text. Every '\n'-separated line is parsed as the loader does; the whole input is
 * parsed as one line too. The first 48 bytes, read as a raw ea_revocation_t, are also formatted.
 *
 * Checked besides crashes and sanitizer reports:
 *   - a line that parses formats back to exactly the same bytes plus '\n' (so the parser accepts
 *     one spelling per record), with times in 0..253402300799 and revoked_at <= expires;
 *   - a line that does not parse leaves the record zeroed;
 *   - a raw record formats (into a line of at most EA_REVOCATION_LINE_MAX bytes, NUL-terminated)
 *     exactly when its times follow those rules, and the line parses back to the same record;
 *     a buffer one byte short gets nothing;
 *   - the set built from the parsed records holds at most that many keys, and the set built at
 *     time 0 at least as many as at a later time.
 *
 * Seeds: fuzz/seeds/fuzz_revocation_journal/, written by fuzz/make-seeds-logout.
 */

#include "fuzz_common.h"

#include <cstdint>
#include <string>
#include <vector>

namespace {

const int64_t MAX_TIME = 253402300799;
const int64_t NOW = 1700000000;

bool zeroed(const ea_revocation_t &r)
{
    static const ea_revocation_t zero = {};
    return std::memcmp(&r, &zero, sizeof(r)) == 0;
}

bool times_ok(const ea_revocation_t &r)
{
    return r.revoked_at >= 0 && r.expires <= MAX_TIME && r.revoked_at <= r.expires;
}

/* The line the record formats to, or "" when ea_revocation_format writes nothing. */
std::string format(const ea_revocation_t &r)
{
    char buf[EA_REVOCATION_LINE_MAX];
    std::memset(buf, 'X', sizeof(buf));
    size_t n = ea_revocation_format(&r, buf, sizeof(buf));
    if (n >= sizeof(buf) || buf[n] != '\0') {
        fuzz::violation("ea_revocation_format: no NUL after the line", buf, sizeof(buf));
    }
    return std::string(buf, n);
}

void parse_line(const char *line, size_t len, std::vector<ea_revocation_t> &parsed)
{
    ea_revocation_t r;
    std::memset(&r, 0xa5, sizeof(r));
    int rc = ea_revocation_parse(line, len, &r);
    if (rc != 0) {
        if (rc != -1) {
            fuzz::violation("ea_revocation_parse returned neither 0 nor -1", line, len);
        }
        if (!zeroed(r)) {
            fuzz::violation("ea_revocation_parse left the record set on failure", line, len);
        }
        return;
    }
    if (!times_ok(r)) {
        fuzz::violation("parsed a record with times out of the rules", line, len);
    }
    std::string back = format(r);
    if (back.size() != len + 1 || std::memcmp(back.data(), line, len) != 0 || back[len] != '\n') {
        fuzz::violation("a parsed line does not format back to itself", line, len);
    }
    parsed.push_back(r);
}

void format_raw(const uint8_t *data, size_t size)
{
    ea_revocation_t r;
    if (size < sizeof(r)) {
        return;
    }
    std::memcpy(&r, data, sizeof(r));
    std::string line = format(r);
    if (line.empty() != !times_ok(r)) {
        fuzz::violation("ea_revocation_format disagrees with the time rules", line.data(), line.size());
    }
    if (line.empty()) {
        return;
    }
    if (line.back() != '\n') {
        fuzz::violation("a journal line without its newline", line.data(), line.size());
    }
    fuzz::check_no_controls("journal line", line.data(), line.size() - 1);
    ea_revocation_t back;
    if (ea_revocation_parse(line.data(), line.size() - 1, &back) != 0 || std::memcmp(&back, &r, sizeof(r)) != 0) {
        fuzz::violation("a formatted line does not parse back to its record", line.data(), line.size());
    }
    char small[EA_REVOCATION_LINE_MAX];
    if (ea_revocation_format(&r, small, line.size()) != 0 || small[0] != '\0') {
        fuzz::violation("ea_revocation_format wrote into a buffer without room for the NUL", line.data(),
            line.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = reinterpret_cast<const char *>(data);
    std::vector<ea_revocation_t> parsed;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || text[i] == '\n') {
            parse_line(text + start, i - start, parsed);
            start = i + 1;
        }
    }
    std::vector<ea_revocation_t> whole;
    parse_line(text, size, whole);
    format_raw(data, size);

    ea_revocation_set_t *later = ea_revocation_set_build(parsed.data(), parsed.size(), NOW);
    ea_revocation_set_t *all = ea_revocation_set_build(parsed.data(), parsed.size(), 0);
    if (later == nullptr || all == nullptr) {
        fuzz::violation("ea_revocation_set_build failed", text, size);
    }
    size_t n_later = ea_revocation_set_size(later), n_all = ea_revocation_set_size(all);
    if (n_all > parsed.size() || n_later > n_all) {
        fuzz::violation("the revocation set holds more keys than it was given", text, size);
    }
    ea_revocation_set_free(later);
    ea_revocation_set_free(all);
    return 0;
}
