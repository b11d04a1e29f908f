#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

// OpenSSL's EVP_MD_CTX, so that this header does not pull in OpenSSL.
struct evp_md_ctx_st;

namespace prism {

// SHA-256 by OpenSSL's libcrypto (EVP). Never a wrong or empty hash: if
// libcrypto cannot compute SHA-256 (out of memory, or an OpenSSL configuration
// that offers no SHA-256), the process stops with a message on stderr naming
// the failed call. Study, dataset, cache and journal keys are stored on disk,
// so carrying on with a bad key would corrupt them; there is nothing to recover.

// SHA-256 of bytes as 64 lowercase hex digits. For content hashes and cache
// keys that must be stable across machines and versions.
std::string sha256Hex(std::string_view data);

// HMAC-SHA-256 (RFC 2104) of data under key, as 64 lowercase hex digits:
// tokens the server signs and later checks (a run's event-stream ticket).
std::string hmacSha256Hex(std::string_view key, std::string_view data);

// Incremental SHA-256: update() any number of times, then finishHex(). Equal
// to sha256Hex of the concatenated pieces, however the bytes are split.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    // Appends bytes to the message.
    void update(std::string_view data);
    // The hash of the message as 64 lowercase hex digits; the hasher then
    // starts a new, empty message.
    std::string finishHex();

private:
    struct ContextFree {
        void operator()(evp_md_ctx_st *context) const;
    };
    std::unique_ptr<evp_md_ctx_st, ContextFree> m_context;
};

// Fast 64-bit FNV-1a, for seeded draws (not for security).
std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed = 0xcbf29ce484222325ULL);
// SplitMix64 finalizer: mixes a 64-bit value into a well-spread one.
std::uint64_t mix64(std::uint64_t x);
// A uniform double in [0, 1) from a 64-bit hash.
double unitFromHash(std::uint64_t h);

} // namespace prism
