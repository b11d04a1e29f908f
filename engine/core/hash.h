#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace prism {

// SHA-256 of bytes, lowercase hex. For content hashes and cache keys that
// must be stable across machines and versions.
std::string sha256Hex(std::string_view data);

// Incremental SHA-256.
class Sha256 {
public:
    Sha256();
    void update(std::string_view data);
    std::string finishHex();

private:
    void block(const unsigned char *p);
    std::uint32_t m_h[8];
    unsigned char m_buf[64];
    std::size_t m_bufLen = 0;
    std::uint64_t m_total = 0;
};

// Fast 64-bit FNV-1a, for seeded draws (not for security).
std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed = 0xcbf29ce484222325ULL);
// SplitMix64 finalizer: mixes a 64-bit value into a well-spread one.
std::uint64_t mix64(std::uint64_t x);
// A uniform double in [0, 1) from a 64-bit hash.
double unitFromHash(std::uint64_t h);

} // namespace prism
