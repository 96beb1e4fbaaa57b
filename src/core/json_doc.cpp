// json_doc.cpp: JsonDoc's parser, a jansson-compatible single pass into a flat array of nodes.
//
// A document is an array of 16-byte JsonNodes in document order, a container followed by its
// children (an object by name, value, name, value...), each node knowing the size of its subtree;
// decoded strings live in an arena after the nodes, in the same block. The parser keeps the
// containers still open chained through their nodes, so it needs no stack and no recursion.
//
// Matching jansson means matching its order of decisions too (see refusal()): its depth pre-scan
// first, then the first problem in document order, where a duplicate name counts as soon as it is
// read. Its quirks are reproduced where they change what is accepted: the NUL byte dropped after a
// number or literal, and its own 2048-value nesting limit (handed to jansson, see run()).

#include "json_doc.h"

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <vector>

namespace edge_auth {

// One value, 16 bytes. A container is followed by its children in document order (an object by
// key, value, key, value...), so `skip` leads from any value to its next sibling.
struct JsonNode {
    struct Str {
        uint32_t off;   // into the string arena
        uint32_t len;
    };
    uint32_t skip;     // nodes in this subtree, itself included; while a container is still open
                       // during a parse: the index of the enclosing open container
    JsonType type;
    bool name_clash;   // while an object is parsed: two of its names have the same hash below
    union {
        int64_t integer;
        double real;
        Str str;          // strings and member names
        struct {
            uint32_t count;   // array elements / object members
            uint32_t names;   // while an object is parsed: one bit per member name (a hash)
        } c;
    } u;
};

static_assert(sizeof(JsonNode) == 16, "JsonNode is meant to stay compact");

namespace {

// jansson's JSON_PARSER_MAX_DEPTH. It counts every value, scalars included (a scalar inside the
// top-level object is at depth 2), and only matters when limits.max_depth is above it.
constexpr unsigned kJanssonMaxDepth = 2048;
constexpr uint32_t kNoParent = std::numeric_limits<uint32_t>::max();
// Up to this many members, duplicate names are found by comparing every pair; above it (a
// hostile header with thousands of members), by sorting.
constexpr uint32_t kPairwiseMembers = 16;
// Bytes written past the end of a string by the 8-byte copy of its last bytes.
constexpr size_t kArenaSlack = 8;

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

struct ByteClasses {
    bool plain[256];   // copied as they are inside a string: 0x20-0x7f except '"' and '\'
    int8_t hex[256];   // value of a hex digit, -1 for anything else
};

constexpr ByteClasses make_byte_classes()
{
    ByteClasses t{};
    for (int c = 0; c < 256; c++) {
        t.plain[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
        t.hex[c] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
    return t;
}

constexpr ByteClasses kBytes = make_byte_classes();

constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

inline bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

// Whether the 8 bytes of `v` are all ASCII digits. The first non-digit byte always sets its high
// bit in one of the two terms (no carry or borrow reaches it from below).
inline bool eight_digits(uint64_t v)
{
    return (((v + kOnes * 0x46) | (v - kOnes * '0')) & kHighs) == 0;
}

// The value of 8 ASCII digits loaded little-endian (the first digit in the lowest byte): pairs,
// then quads, then all eight, each step within its lane.
inline uint64_t eight_digits_value(uint64_t v)
{
    v -= kOnes * '0';
    v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffULL;
    v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffULL;
    return (v * 10000 + (v >> 32)) & 0xffffffffULL;
}

// The high bit of every byte of `v` that is '"', '\', below 0x20 or above 0x7f; bytes above the
// first flagged one may be flagged wrongly (a borrow), the first one never is. Each subtraction
// sets the high bit of a byte that is 0 after the xor (a quote, a backslash) or below 0x20, and
// otherwise only of bytes that are above 0x7f anyway.
inline uint64_t special_bytes(uint64_t v)
{
    uint64_t q = v ^ (kOnes * '"');
    uint64_t b = v ^ (kOnes * '\\');
    return ((q - kOnes) | (b - kOnes) | (v - kOnes * 0x20) | v) & kHighs;
}

// The first min(len, 8) bytes of a name as a number, for cheap comparisons. The arena has
// kArenaSlack bytes after its last string, so reading 8 bytes is always in bounds.
inline uint64_t name_prefix(const char *s, uint32_t len)
{
    uint64_t v;
    std::memcpy(&v, s, 8);
    if (len >= 8) {
        return v;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return v & ((uint64_t{1} << (8 * len)) - 1);
#else
    return len == 0 ? 0 : v & (~uint64_t{0} << (8 * (8 - len)));
#endif
}

// A name's 8-byte key (its first 8 bytes, its length in the top byte): equal names have equal
// keys. And a 5-bit hash of the key.
inline uint64_t name_key(const char *s, uint32_t len)
{
    return name_prefix(s, len) ^ (uint64_t{len} << 56);
}

inline unsigned name_hash(const char *s, uint32_t len)
{
    return static_cast<unsigned>((name_key(s, len) * 0x9e3779b97f4a7c15ULL) >> 59);
}

// ---- cold paths: explicit arguments, so that the parser's state never escapes to memory -------

// Whether two members of the object at nodes[object] share a name. Works on an object still open
// too: only its last member's value may be incomplete, and that one is never stepped over.
[[gnu::noinline]] bool has_duplicate(const JsonNode *nodes, uint32_t object, const char *arena)
{
    const JsonNode *obj = nodes + object;
    uint32_t count = obj->u.c.count;
    if (count < 2) {
        return false;
    }
    // Only names with equal keys need a full comparison.
    auto full_name = [arena](const JsonNode *k) {
        return std::string_view(arena + k->u.str.off, k->u.str.len);
    };
    auto key = [arena](const JsonNode *k) { return name_key(arena + k->u.str.off, k->u.str.len); };
    const JsonNode *k = obj + 1;
    if (count <= kPairwiseMembers) {
        uint64_t keys[kPairwiseMembers];
        const JsonNode *names[kPairwiseMembers];
        for (uint32_t i = 0; i < count; i++) {
            keys[i] = key(k);
            names[i] = k;
            for (uint32_t j = 0; j < i; j++) {
                if (keys[j] == keys[i] && full_name(names[j]) == full_name(k)) {
                    return true;
                }
            }
            if (i + 1 < count) {
                k += 1 + k[1].skip;
            }
        }
        return false;
    }
    // Sorting keeps a hostile object with thousands of members at O(n log n).
    struct Ref {
        uint64_t key;
        std::string_view name;
    };
    std::vector<Ref> refs;
    refs.reserve(count);
    for (uint32_t i = 0; i < count; i++) {
        refs.push_back(Ref{key(k), full_name(k)});
        if (i + 1 < count) {
            k += 1 + k[1].skip;
        }
    }
    std::sort(refs.begin(), refs.end(), [](const Ref &x, const Ref &y) {
        return x.key != y.key ? x.key < y.key : x.name < y.name;
    });
    for (size_t i = 1; i < refs.size(); i++) {
        if (refs[i - 1].key == refs[i].key && refs[i - 1].name == refs[i].name) {
            return true;
        }
    }
    return false;
}

// The JsonError parse_json_object reports for a text on which this parser stopped with `e`.
// parse_json_object's depth pre-scan covers the whole text before jansson starts; then jansson
// stops at the first problem in document order, and it finds a duplicate name as soon as the name
// is read. This parser checks names when their object closes, so the objects still open (the
// chain from `open` up) hold every name jansson would have compared by now.
[[gnu::noinline]] JsonError refusal(JsonError e, std::string_view text, const JsonLimits &limits,
    const JsonNode *nodes, uint32_t open, const char *arena)
{
    if (!json_depth_within(text, limits.max_depth)) {
        return JsonError::TooDeep;
    }
    for (uint32_t i = open; i != kNoParent; i = nodes[i].skip) {
        if (nodes[i].type == JsonType::Object && has_duplicate(nodes, i, arena)) {
            return JsonError::Duplicate;
        }
    }
    return e;
}

// For a value nested deeper than jansson's own limit (only reachable with max_depth above it):
// too rare to mirror jansson's exact error there, so ask jansson.
[[gnu::noinline]] JsonError jansson_verdict(std::string_view text, const JsonLimits &limits)
{
    Json ignored;
    JsonError e = parse_json_object(text, limits, ignored);
    // jansson cannot accept it; should it ever, keep the document refused rather than half built.
    return e == JsonError::None ? JsonError::TooDeep : e;
}

inline int hex4(const unsigned char *p) noexcept
{
    int a = kBytes.hex[p[0]], b = kBytes.hex[p[1]], c = kBytes.hex[p[2]], d = kBytes.hex[p[3]];
    if ((a | b | c | d) < 0) {
        return -1;
    }
    return (a << 12) | (b << 8) | (c << 4) | d;
}

inline char *put_utf8(char *dst, uint32_t cp) noexcept
{
    if (cp < 0x80) {
        *dst++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
        *dst++ = static_cast<char>(0xc0 | (cp >> 6));
        *dst++ = static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *dst++ = static_cast<char>(0xe0 | (cp >> 12));
        *dst++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        *dst++ = static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        *dst++ = static_cast<char>(0xf0 | (cp >> 18));
        *dst++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        *dst++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        *dst++ = static_cast<char>(0x80 | (cp & 0x3f));
    }
    return dst;
}

// Where a string's scan goes on after an escape or a multi-byte character: past it in the text
// and in the arena. Returned by value (in registers), so that the scan's own pointers are never
// addressed; p is nullptr when the text is refused.
struct Step {
    const unsigned char *p;
    char *dst;
};

constexpr Step kRefused = {nullptr, nullptr};

// An escape at p (on the backslash), decoded to dst. \u0000 is refused: jansson refuses NUL in
// names and, without JSON_ALLOW_NUL, in strings. A high surrogate must be followed by an escaped
// low one, and a low one cannot stand alone.
Step escape(const unsigned char *p, const unsigned char *end, char *dst) noexcept
{
    if (end - p < 2) {
        return kRefused;
    }
    char c;
    switch (p[1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': {
        if (end - p < 6) {
            return kRefused;
        }
        int cp = hex4(p + 2);
        if (cp <= 0 || (cp >= 0xdc00 && cp <= 0xdfff)) {
            return kRefused;
        }
        p += 6;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u') {
                return kRefused;
            }
            int lo = hex4(p + 2);
            if (lo < 0xdc00 || lo > 0xdfff) {
                return kRefused;
            }
            p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        return Step{p, put_utf8(dst, static_cast<uint32_t>(cp))};
    }
    default:
        return kRefused;
    }
    *dst = c;
    return Step{p + 2, dst + 1};
}

// A multi-byte UTF-8 sequence at p, checked as jansson checks every byte of its input: no
// overlong forms, no surrogates, nothing above U+10FFFF, no truncation. Copied to dst.
Step utf8(const unsigned char *p, const unsigned char *end, char *dst) noexcept
{
    unsigned char c = *p;
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return kRefused;   // a continuation byte, 0xc0/0xc1 (overlong ASCII) or above 0xf4
    }
    if (static_cast<size_t>(end - p) < len) {
        return kRefused;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return kRefused;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (len == 3 && cp < 0x800)
        || (len == 4 && cp < 0x10000)) {
        return kRefused;
    }
    std::memcpy(dst, p, len);
    return Step{p + len, dst + len};
}

// Clinger's fast path: with at most 15 significant digits and a power of ten up to 22, both
// operands are exact doubles and one IEEE multiplication or division rounds correctly, so the
// result is strtod's. False when it does not apply.
bool fast_real(const unsigned char *p, const unsigned char *end, bool negative, double &out) noexcept
{
    uint64_t mantissa = 0;
    int digits = 0;
    int exp10 = 0;
    bool fraction = false;
    for (; p != end && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            fraction = true;
            continue;
        }
        if (mantissa != 0 || *p != '0') {
            if (++digits > 15) {
                return false;
            }
            mantissa = mantissa * 10 + (*p - '0');
        }
        if (fraction) {
            exp10--;
        }
    }
    if (p != end) {
        p++;
        bool minus = *p == '-';
        if (*p == '-' || *p == '+') {
            p++;
        }
        if (end - p > 4) {
            return false;
        }
        int e = 0;
        for (; p != end; p++) {
            e = e * 10 + (*p - '0');
        }
        exp10 += minus ? -e : e;
    }
    double v;
    if (mantissa == 0) {
        v = 0.0;
    } else if (exp10 < -22 || exp10 > 22) {
        return false;
    } else {
        v = exp10 < 0 ? static_cast<double>(mantissa) / kPow10[-exp10]
                      : static_cast<double>(mantissa) * kPow10[exp10];
    }
    out = negative ? -v : v;
    return true;
}

// jansson's own conversion (jsonp_strtod): strtod with the locale's decimal point, an error only
// on overflow; underflow yields strtod's zero or subnormal.
bool strtod_real(const unsigned char *start, const unsigned char *end, double &out)
{
    size_t len = static_cast<size_t>(end - start);
    char local[64];
    std::string long_text;
    char *buf = local;
    if (len >= sizeof(local)) {
        long_text.assign(reinterpret_cast<const char *>(start), len);
        buf = &long_text[0];
    } else {
        std::memcpy(buf, start, len);
        buf[len] = '\0';
    }
    const char *point = std::localeconv()->decimal_point;
    if (*point != '.') {
        if (char *dot = std::strchr(buf, '.')) {
            *dot = *point;
        }
    }
    errno = 0;
    double v = std::strtod(buf, nullptr);
    if ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE) {
        return false;
    }
    out = v;
    return true;
}

// The rest of a real whose integer part ends at p (on '.', 'e' or 'E'); p ends past it.
bool real(const unsigned char *start, const unsigned char *&p, const unsigned char *end, bool negative,
    double &out)
{
    if (*p == '.') {
        p++;
        if (p == end || !is_digit(*p)) {
            return false;
        }
        while (p != end && is_digit(*p)) {
            p++;
        }
    }
    if (p != end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p != end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p == end || !is_digit(*p)) {
            return false;
        }
        while (p != end && is_digit(*p)) {
            p++;
        }
    }
    return fast_real(start + (negative ? 1 : 0), p, negative, out) || strtod_real(start, p, out);
}

// A block of `nodes` nodes followed by the arena for a text of `text_bytes`, in nodes.
size_t block_size(size_t nodes, size_t text_bytes)
{
    return nodes + (text_bytes + kArenaSlack + sizeof(JsonNode) - 1) / sizeof(JsonNode);
}

// Thrown when the nodes of the first, typical-size block run out (see JsonDoc::parse).
struct OutOfNodes {};

// ---- the parser -------------------------------------------------------------------------------

// One parse into a block sized by JsonDoc::parse. A local of JsonDoc::parse whose address never
// escapes (the cold paths above take explicit arguments), with its hot helpers inlined, so that
// the compiler keeps its state in registers even across the byte stores into the arena.
class JsonParser {
public:
    // Parses into `block`: `cap` nodes, then the arena. Throws OutOfNodes when `cap` is reached
    // and is below `bound`, std::bad_alloc if it is the bound (which cannot be reached).
    JsonParser(std::string_view text, const JsonLimits &limits, JsonNode *block, size_t cap,
        bool cap_is_bound) noexcept
        : text_(text), limits_(limits), p_(reinterpret_cast<const unsigned char *>(text.data())),
          end_(p_ + text.size()), nodes_(block), cap_(static_cast<uint32_t>(cap)),
          cap_is_bound_(cap_is_bound), count_(0), arena_(reinterpret_cast<char *>(block + cap)),
          out_(arena_), open_(kNoParent), depth_(0)
    {
    }

    [[gnu::always_inline]] JsonError run();
    uint32_t count() const noexcept { return count_; }

private:
    [[gnu::always_inline]] JsonNode &push()
    {
        if (count_ == cap_) {
            if (cap_is_bound_) {
                throw std::bad_alloc();   // cannot happen; refuses to write out of bounds if it did
            }
            throw OutOfNodes();
        }
        return nodes_[count_++];
    }

    [[gnu::always_inline]] void skip_ws() noexcept
    {
        while (p_ != end_ && *p_ <= ' ' && is_ws(*p_)) {
            p_++;
        }
    }

    // The next byte after any whitespace, -1 at the end. Compact JSON has no whitespace, so the
    // first test usually decides.
    [[gnu::always_inline]] int peek() noexcept
    {
        if (p_ != end_ && *p_ > ' ') {
            return *p_;
        }
        skip_ws();
        return p_ != end_ ? *p_ : -1;
    }

    // jansson reads one byte past a number or a literal and puts it back; a NUL put back looks
    // like an empty slot in its stream buffer and is silently replaced by the next byte. So one
    // NUL right after a number or literal is ignored, and this parser ignores it too.
    [[gnu::always_inline]] const unsigned char *skip_lookahead_nul(const unsigned char *p) const noexcept
    {
        return p != end_ && *p == 0 ? p + 1 : p;
    }

    JsonError fail(JsonError e) const { return refusal(e, text_, limits_, nodes_, open_, arena_); }

    [[gnu::always_inline]] bool string(JsonNode::Str &out);
    [[gnu::always_inline]] bool name();
    [[gnu::always_inline]] bool number();
    [[gnu::always_inline]] bool literal(const char *word, size_t len, JsonType type);

    std::string_view text_;
    const JsonLimits &limits_;
    const unsigned char *p_;
    const unsigned char *end_;
    JsonNode *nodes_;
    uint32_t cap_;
    bool cap_is_bound_;
    uint32_t count_;
    char *arena_;
    char *out_;         // end of the strings decoded so far
    uint32_t open_;     // index of the innermost open container, kNoParent outside the top level
    unsigned depth_;    // open containers
};

inline JsonError JsonParser::run()
{
    // Without JSON_DECODE_ANY jansson wants '[' or '{' first. A top-level array is parsed (its
    // own errors come first) and refused as NotObject afterwards, as parse_json_object does.
    int first = peek();
    if (first != '{' && first != '[') {
        return fail(JsonError::Syntax);
    }
    for (;;) {
        int c = peek();   // the first byte of a value
        switch (c) {
        case '{':
        case '[': {
            if (depth_ == limits_.max_depth) {
                return fail(JsonError::TooDeep);
            }
            uint32_t index = count_;
            JsonNode &n = push();
            n.type = c == '{' ? JsonType::Object : JsonType::Array;
            n.skip = open_;
            n.name_clash = false;
            n.u.c.count = 0;
            n.u.c.names = 0;
            p_++;
            if (peek() == c + 2) {   // '}' and ']' come two after '{' and '['
                p_++;
                n.skip = 1;
                break;
            }
            open_ = index;
            depth_++;
            if (depth_ == kJanssonMaxDepth) {
                return jansson_verdict(text_, limits_);   // its first member would be too deep
            }
            if (c == '[') {
                n.u.c.count = 1;
            } else if (!name()) {
                return fail(JsonError::Syntax);
            }
            continue;
        }
        case '"': {
            JsonNode::Str s;
            if (!string(s)) {
                return fail(JsonError::Syntax);
            }
            JsonNode &n = push();
            n.type = JsonType::String;
            n.skip = 1;
            n.u.str = s;
            break;
        }
        case 't':
            if (!literal("true", 4, JsonType::True)) {
                return fail(JsonError::Syntax);
            }
            break;
        case 'f':
            if (!literal("false", 5, JsonType::False)) {
                return fail(JsonError::Syntax);
            }
            break;
        case 'n':
            if (!literal("null", 4, JsonType::Null)) {
                return fail(JsonError::Syntax);
            }
            break;
        default:
            if (!(c == '-' || (c >= '0' && c <= '9')) || !number()) {
                return fail(JsonError::Syntax);   // also the end of the text (-1)
            }
            break;
        }
        // After a complete value: close containers until one continues with ','.
        for (;;) {
            int next = peek();
            if (open_ == kNoParent) {
                if (next != -1) {
                    return fail(JsonError::Syntax);
                }
                return nodes_[0].type == JsonType::Object ? JsonError::None : JsonError::NotObject;
            }
            JsonNode &n = nodes_[open_];
            bool object = n.type == JsonType::Object;
            if (next == ',') {
                p_++;
                if (!object) {
                    n.u.c.count++;
                } else if (!name()) {
                    return fail(JsonError::Syntax);
                }
                break;
            }
            if (next != (object ? '}' : ']')) {
                return fail(JsonError::Syntax);
            }
            p_++;
            uint32_t index = open_;
            open_ = n.skip;
            n.skip = count_ - index;
            depth_--;
            // Distinct name hashes mean distinct names: a full check only when two clashed.
            if (object && n.name_clash && has_duplicate(nodes_, index, arena_)) {
                return fail(JsonError::Duplicate);
            }
        }
    }
}

// A member name, then ':'. jansson compares the name before it looks for the colon, so the name
// counts as read (for duplicates) even when the colon is missing.
inline bool JsonParser::name()
{
    if (peek() != '"') {
        return false;
    }
    JsonNode::Str s;
    if (!string(s)) {
        return false;
    }
    JsonNode &k = push();
    k.type = JsonType::String;
    k.skip = 1;
    k.u.str = s;
    JsonNode &object = nodes_[open_];
    object.u.c.count++;
    uint32_t bit = uint32_t{1} << name_hash(arena_ + s.off, s.len);
    if (object.u.c.names & bit) {
        object.name_clash = true;
    }
    object.u.c.names |= bit;
    if (peek() != ':') {
        return false;
    }
    p_++;
    return true;
}

// A string at p_ (on its opening quote), decoded into the arena. Decoded text is never longer than
// its source, so the arena (as long as the text) cannot overflow.
inline bool JsonParser::string(JsonNode::Str &out)
{
    const unsigned char *p = p_ + 1;
    const unsigned char *end = end_;
    char *dst = out_;
    for (;;) {
        if (end - p >= 8) {
            // Eight bytes at a time while they are plain; what is copied after the first special
            // byte lands in the arena's slack or is overwritten.
            uint64_t v;
            std::memcpy(&v, p, 8);
            std::memcpy(dst, &v, 8);
            uint64_t m = special_bytes(v);
            if (m == 0) {
                p += 8;
                dst += 8;
                continue;
            }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            size_t plain = static_cast<size_t>(__builtin_ctzll(m)) >> 3;
#else
            size_t plain = 0;
            while (kBytes.plain[p[plain]]) {
                plain++;
            }
#endif
            p += plain;
            dst += plain;
        } else {
            while (p != end && kBytes.plain[*p]) {
                *dst++ = static_cast<char>(*p++);
            }
            if (p == end) {
                return false;
            }
        }
        unsigned char c = *p;
        if (c == '"') {
            break;
        }
        if (c < 0x20) {
            return false;   // a raw control byte
        }
        Step next = c == '\\' ? escape(p, end, dst) : utf8(p, end, dst);
        if (!next.p) {
            return false;
        }
        p = next.p;
        dst = next.dst;
    }
    p_ = p + 1;
    out.off = static_cast<uint32_t>(out_ - arena_);
    out.len = static_cast<uint32_t>(dst - out_);
    out_ = dst;
    return true;
}

inline bool JsonParser::literal(const char *word, size_t len, JsonType type)
{
    if (static_cast<size_t>(end_ - p_) < len || std::memcmp(p_, word, len) != 0) {
        return false;
    }
    p_ = skip_lookahead_nul(p_ + len);
    JsonNode &n = push();
    n.type = type;
    n.skip = 1;
    n.u.integer = 0;
    return true;
}

// A number at p_, with jansson's grammar: no leading zeros, no '+', digits on both sides of '.',
// at least one exponent digit. Without '.', 'e' or 'E' it is an integer and must fit int64.
inline bool JsonParser::number()
{
    const unsigned char *start = p_;
    const unsigned char *p = p_;
    bool negative = *p == '-';
    if (negative) {
        p++;
    }
    if (p == end_ || !is_digit(*p)) {
        return false;
    }
    const unsigned char *digits = p;
    uint64_t u = 0;
    if (*p == '0') {
        p++;
        if (p != end_ && is_digit(*p)) {
            return false;
        }
    } else {
        // u may wrap past 19 digits, which are refused below.
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        for (uint64_t v; end_ - p >= 8 && (std::memcpy(&v, p, 8), eight_digits(v)); p += 8) {
            u = u * 100000000 + eight_digits_value(v);
        }
#endif
        while (p != end_ && is_digit(*p)) {
            u = u * 10 + (*p++ - '0');
        }
    }
    if (p != end_ && (*p == '.' || *p == 'e' || *p == 'E')) {
        double d;
        if (!real(start, p, end_, negative, d)) {
            return false;
        }
        JsonNode &n = push();
        n.type = JsonType::Real;
        n.skip = 1;
        n.u.real = d;
        p_ = skip_lookahead_nul(p);
        return true;
    }
    // Up to 19 digits fit in uint64; 20 or more are beyond int64 whatever they are.
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (p - digits > 19 || u > kMax + (negative ? 1 : 0)) {
        return false;
    }
    JsonNode &n = push();
    n.type = JsonType::Integer;
    n.skip = 1;
    n.u.integer = !negative || u == 0 ? static_cast<int64_t>(u) : -static_cast<int64_t>(u - 1) - 1;
    p_ = skip_lookahead_nul(p);
    return true;
}

// The parser on its own, so that the retry around it does not disturb its code.
JsonError parse_into(std::string_view text, const JsonLimits &limits, JsonNode *block, size_t cap,
    bool cap_is_bound, uint32_t &count)
{
    JsonParser parser(text, limits, block, cap, cap_is_bound);
    JsonError e = parser.run();
    count = parser.count();
    return e;
}

} // namespace

// ---- JsonDoc --------------------------------------------------------------------------------

JsonDoc::JsonDoc() noexcept : block_nodes_(0), count_(0), strings_(nullptr) {}

JsonDoc::~JsonDoc() = default;

JsonDoc::JsonDoc(JsonDoc &&o) noexcept
    : block_(std::move(o.block_)), block_nodes_(o.block_nodes_), count_(o.count_), strings_(o.strings_)
{
    o.block_nodes_ = 0;
    o.count_ = 0;
    o.strings_ = nullptr;
}

JsonDoc &JsonDoc::operator=(JsonDoc &&o) noexcept
{
    if (this != &o) {
        block_ = std::move(o.block_);
        block_nodes_ = o.block_nodes_;
        count_ = o.count_;
        strings_ = o.strings_;
        o.block_nodes_ = 0;
        o.count_ = 0;
        o.strings_ = nullptr;
    }
    return *this;
}

JsonError JsonDoc::parse(std::string_view text, const JsonLimits &limits)
{
    count_ = 0;
    strings_ = nullptr;
    if (text.size() > limits.max_bytes) {
        return JsonError::TooLarge;
    }
    // Node indexes and string offsets are 32-bit.
    if (text.size() > std::numeric_limits<uint32_t>::max() - 4096) {
        throw std::bad_alloc();
    }
    // The bound on nodes: every node starts at its own byte, and every complete node but the last
    // is followed by its own ',' ':' ']' or '}'; only open containers (at most the depth limit,
    // and jansson's) have none yet. So nodes <= (bytes + open + 1) / 2.
    size_t n = text.size();
    size_t open = std::min<size_t>(std::min<size_t>(limits.max_depth, kJanssonMaxDepth), n);
    size_t bound = (n + open + 1) / 2 + 1;
    // Real documents have far fewer: the first try has one node per 4 bytes (small enough for the
    // allocator's fastest path on a JWS header or small claims). Only a text denser in values
    // (an array of small numbers) runs out, and is parsed again in a block of the bound. A block
    // big enough from an earlier parse is reused.
    size_t arena_nodes = block_size(0, n);
    size_t guess = std::min(bound, n / 4 + 8);
    for (;;) {
        if (block_nodes_ < guess + arena_nodes) {
            block_.reset();
            block_nodes_ = 0;
            block_.reset(new JsonNode[guess + arena_nodes]);
            block_nodes_ = guess + arena_nodes;
        }
        size_t cap = std::min(bound, block_nodes_ - arena_nodes);
        try {
            uint32_t count;
            JsonError e = parse_into(text, limits, block_.get(), cap, cap == bound, count);
            if (e == JsonError::None) {
                count_ = count;
                strings_ = reinterpret_cast<const char *>(block_.get() + cap);
            }
            return e;
        } catch (const OutOfNodes &) {
            guess = bound;
        }
    }
}

JsonValue JsonDoc::root() const noexcept
{
    return count_ == 0 ? JsonValue() : JsonValue(block_.get(), strings_);
}

namespace {

json_t *to_jansson_value(JsonValue v);

json_t *to_jansson_children(JsonValue v, json_t *container)
{
    if (!container) {
        return nullptr;
    }
    JsonValue child = JsonWalk::first(v);
    for (size_t i = 0, n = v.size(); i < n; i++) {
        if (v.is_object()) {
            std::string_view name = child.string();
            child = JsonWalk::next(child);
            if (json_object_setn_new_nocheck(container, name.data(), name.size(), to_jansson_value(child))) {
                json_decref(container);
                return nullptr;
            }
        } else if (json_array_append_new(container, to_jansson_value(child))) {
            json_decref(container);
            return nullptr;
        }
        child = JsonWalk::next(child);
    }
    return container;
}

// A new reference, nullptr when jansson could not allocate. Recursion is bounded by the parse's
// depth limit (and jansson's 2048).
json_t *to_jansson_value(JsonValue v)
{
    switch (v.type()) {
    case JsonType::Null:
        return json_null();
    case JsonType::False:
        return json_false();
    case JsonType::True:
        return json_true();
    case JsonType::Integer:
        return json_integer(v.integer());
    case JsonType::Real:
        return json_real(v.real());
    case JsonType::String:
        return json_stringn_nocheck(v.string().data(), v.string().size());
    case JsonType::Array:
        return to_jansson_children(v, json_array());
    case JsonType::Object:
        return to_jansson_children(v, json_object());
    }
    return nullptr;
}

} // namespace

Json to_jansson(JsonValue v)
{
    if (!v) {
        return Json();
    }
    Json j(to_jansson_value(v));
    if (!j) {
        throw std::bad_alloc();
    }
    return j;
}

Json JsonDoc::to_jansson() const
{
    return edge_auth::to_jansson(root());
}

// ---- JsonValue ----

namespace {

// Member names are short: a plain loop beats a call to memcmp.
inline bool same_bytes(const char *a, const char *b, size_t n) noexcept
{
    if (n > 16) {
        return std::memcmp(a, b, n) == 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

} // namespace--------------------------------------------------------------------------

JsonType JsonValue::type() const noexcept
{
    return node_ ? node_->type : JsonType::Null;
}

std::string_view JsonValue::string() const noexcept
{
    if (!is_string()) {
        return std::string_view();
    }
    return std::string_view(strings_ + node_->u.str.off, node_->u.str.len);
}

int64_t JsonValue::integer() const noexcept
{
    return is_integer() ? node_->u.integer : 0;
}

double JsonValue::real() const noexcept
{
    if (is_real()) {
        return node_->u.real;
    }
    return is_integer() ? static_cast<double>(node_->u.integer) : 0.0;
}

size_t JsonValue::size() const noexcept
{
    return is_array() || is_object() ? node_->u.c.count : 0;
}

JsonValue JsonValue::at(size_t i) const noexcept
{
    if (!is_array() || i >= node_->u.c.count) {
        return JsonValue();
    }
    const JsonNode *e = node_ + 1;
    while (i-- > 0) {
        e += e->skip;
    }
    return JsonValue(e, strings_);
}

JsonValue JsonValue::member(std::string_view name) const noexcept
{
    if (!is_object()) {
        return JsonValue();
    }
    const JsonNode *k = node_ + 1;
    for (uint32_t i = 0, n = node_->u.c.count; i < n; i++) {
        if (k->u.str.len == name.size() && same_bytes(strings_ + k->u.str.off, name.data(), name.size())) {
            return JsonValue(k + 1, strings_);
        }
        k += 1 + k[1].skip;
    }
    return JsonValue();
}

std::string_view JsonValue::key(size_t i) const noexcept
{
    if (!is_object() || i >= node_->u.c.count) {
        return std::string_view();
    }
    const JsonNode *k = node_ + 1;
    while (i-- > 0) {
        k += 1 + k[1].skip;
    }
    return std::string_view(strings_ + k->u.str.off, k->u.str.len);
}

JsonValue JsonValue::value(size_t i) const noexcept
{
    if (!is_object() || i >= node_->u.c.count) {
        return JsonValue();
    }
    const JsonNode *k = node_ + 1;
    while (i-- > 0) {
        k += 1 + k[1].skip;
    }
    return JsonValue(k + 1, strings_);
}

JsonValue JsonWalk::first(const JsonValue &container) noexcept
{
    return JsonValue(container.node_ + 1, container.strings_);
}

JsonValue JsonWalk::next(const JsonValue &v) noexcept
{
    return JsonValue(v.node_ + v.node_->skip, v.strings_);
}

} // namespace edge_auth
