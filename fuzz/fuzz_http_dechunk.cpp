/*
 * fuzz_http_dechunk.cpp: libFuzzer target for ea_http_dechunk, which decodes the chunked body of
 * a response from an OpenID Provider (discovery, JWKS, token endpoint) in place.
 *
 * Besides crashes and sanitizer reports it checks the contract: on success the decoded length
 * never exceeds the input, decoding is deterministic, and re-encoding the decoded bytes as one
 * chunk decodes back to the same bytes.
 */

#include "fuzz_common.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::vector<char> a(data, data + size), b(data, data + size);
    size_t la = 0, lb = 0;

    int ra = ea_http_dechunk(a.data(), a.size(), &la);
    int rb = ea_http_dechunk(b.data(), b.size(), &lb);

    if (ra != rb || (ra == 0 && (la != lb || std::string(a.data(), la) != std::string(b.data(), lb)))) {
        fuzz::violation("dechunk not deterministic", reinterpret_cast<const char *>(data), size);
    }
    if (ra != 0) {
        if (ra != -1) {
            fuzz::violation("dechunk returned neither 0 nor -1", reinterpret_cast<const char *>(data), size);
        }
        return 0;
    }
    if (la > size) {
        fuzz::violation("decoded body longer than its input", reinterpret_cast<const char *>(data), size);
    }

    char head[32];
    int n = std::snprintf(head, sizeof(head), "%zx\r\n", la);
    std::string again = std::string(head, static_cast<size_t>(n)) + std::string(a.data(), la) + "\r\n0\r\n\r\n";
    size_t lc = 0;
    if (ea_http_dechunk(&again[0], again.size(), &lc) != 0 || lc != la
        || again.compare(0, lc, std::string(a.data(), la)) != 0) {
        fuzz::violation("one-chunk re-encoding does not round-trip", reinterpret_cast<const char *>(data), size);
    }
    return 0;
}
