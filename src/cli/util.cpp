/*
 * util.cpp: option parsing, base64url, files and JSON for the edge-auth tool.
 */

#include "cli.h"

#include <openssl/err.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace cli {

void openssl_fail(const std::string &what)
{
    /* The last error on the queue is the most specific one; clear the rest so they do not leak
     * into a later message. */
    unsigned long code = ERR_peek_last_error();
    std::string msg = what;
    if (code != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof(buf));
        msg += ": ";
        msg += buf;
    }
    ERR_clear_error();
    throw Error(msg);
}

/* ---- options ------------------------------------------------------------------------------ */

std::string Args::get(const std::string &name, const std::string &def) const
{
    auto it = opts.find(name);
    return it == opts.end() ? def : it->second.back();
}

long long Args::get_int(const std::string &name, long long def) const
{
    auto it = opts.find(name);
    if (it == opts.end()) {
        return def;
    }
    const std::string &text = it->second.back();
    errno = 0;
    char *end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0) {
        throw Error("--" + name + " needs an integer, got \"" + text + "\"");
    }
    return v;
}

Args parse_args(const std::vector<std::string> &argv, const std::vector<OptionSpec> &spec)
{
    Args args;
    bool options_done = false;
    for (size_t i = 0; i < argv.size(); i++) {
        const std::string &a = argv[i];
        if (options_done || a.size() < 2 || a.compare(0, 2, "--") != 0) {
            args.positional.push_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        std::string name = a.substr(2);
        std::string value;
        bool inline_value = false;
        size_t eq = name.find('=');
        if (eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.erase(eq);
            inline_value = true;
        }
        const OptionSpec *found = nullptr;
        for (const OptionSpec &s : spec) {
            if (name == s.name) {
                found = &s;
                break;
            }
        }
        if (found == nullptr) {
            throw Error("unknown option --" + name);
        }
        if (found->takes_value && !inline_value) {
            /* The next word is the value even when it starts with "-": tests pass odd strings
             * such as signatures and JSON verbatim. */
            if (i + 1 >= argv.size()) {
                throw Error("--" + name + " needs a value");
            }
            value = argv[++i];
        } else if (!found->takes_value && inline_value) {
            throw Error("--" + name + " takes no value");
        }
        args.opts[name].push_back(value);
    }
    return args;
}

/* ---- bytes -------------------------------------------------------------------------------- */

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url_encode(const std::string &bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    size_t n = bytes.size(), i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
        out += B64URL[(v >> 18) & 63];
        out += B64URL[(v >> 12) & 63];
        out += B64URL[(v >> 6) & 63];
        out += B64URL[v & 63];
    }
    if (n - i == 1) {
        unsigned v = p[i] << 16;
        out += B64URL[(v >> 18) & 63];
        out += B64URL[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (p[i] << 16) | (p[i + 1] << 8);
        out += B64URL[(v >> 18) & 63];
        out += B64URL[(v >> 12) & 63];
        out += B64URL[(v >> 6) & 63];
    }
    return out;
}

std::string b64url_decode(const std::string &text, const std::string &what)
{
    if (text.size() % 4 == 1) {
        throw Error(what + ": not valid base64url (bad length)");
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        const char *pos = c == '\0' ? nullptr : std::strchr(B64URL, c);
        if (pos == nullptr) {
            throw Error(what + ": not valid base64url (character '" + std::string(1, c) + "')");
        }
        acc = (acc << 6) | static_cast<unsigned>(pos - B64URL);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::string read_file(const std::string &path)
{
    if (path == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        return ss.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(path + ": " + std::strerror(errno));
    }
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        throw Error(path + ": read error");
    }
    return data;
}

/* ---- JSON --------------------------------------------------------------------------------- */

Json parse_json(const std::string &text, const std::string &what, bool allow_any)
{
    json_error_t jerr;
    size_t flags = JSON_REJECT_DUPLICATES | (allow_any ? JSON_DECODE_ANY : 0);
    Json j(json_loadb(text.data(), text.size(), flags, &jerr));
    if (!j) {
        throw Error(what + ": invalid JSON at line " + std::to_string(jerr.line) + ": " +
                    jerr.text);
    }
    return j;
}

std::string dump_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s == nullptr) {
        throw Error("cannot serialise JSON");
    }
    std::string out(s);
    free(s);
    return out;
}

json_t *json_text(const std::string &text, const std::string &what)
{
    json_t *s = json_stringn(text.data(), text.size());
    if (s == nullptr) {
        throw Error(what + ": not valid UTF-8");
    }
    return s;
}

std::string json_str(const json_t *obj, const char *member)
{
    json_t *v = json_object_get(obj, member);
    if (v == nullptr) {
        return "";
    }
    if (!json_is_string(v)) {
        throw Error(std::string("JWK member \"") + member + "\" is not a string");
    }
    return std::string(json_string_value(v), json_string_length(v));
}

}  // namespace cli
