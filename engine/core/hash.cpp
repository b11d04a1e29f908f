#include "core/hash.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace prism {

namespace {

// Stops the process: see hash.h for why a failed hash is not an error value.
[[noreturn]] void digestFailed(const char *what)
{
    std::fprintf(stderr, "prism: fatal: SHA-256 by OpenSSL failed: %s", what);
    while (const unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        std::fprintf(stderr, ": %s", text);
    }
    std::fprintf(stderr, "\n");
    std::abort();
}

// Fetched once (thread-safe static): an implicit fetch on every init would
// search OpenSSL's provider store per hash.
const EVP_MD *sha256Digest()
{
    static const EVP_MD *const digest = [] {
        EVP_MD *md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        if (!md)
            digestFailed("EVP_MD_fetch(SHA256) found no implementation");
        return md;
    }();
    return digest;
}

std::string toHex(const unsigned char *bytes, unsigned int size)
{
    static const char *hex = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[bytes[i] >> 4];
        out += hex[bytes[i] & 0xf];
    }
    return out;
}

std::string checkedHex(const unsigned char *bytes, unsigned int size)
{
    if (size != 32)
        digestFailed("the digest is not 32 bytes");
    return toHex(bytes, size);
}

} // namespace

void Sha256::ContextFree::operator()(evp_md_ctx_st *context) const
{
    EVP_MD_CTX_free(context);
}

Sha256::Sha256() : m_context(EVP_MD_CTX_new())
{
    if (!m_context)
        digestFailed("EVP_MD_CTX_new");
    if (EVP_DigestInit_ex2(m_context.get(), sha256Digest(), nullptr) != 1)
        digestFailed("EVP_DigestInit_ex2");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data)
{
    if (EVP_DigestUpdate(m_context.get(), data.data(), data.size()) != 1)
        digestFailed("EVP_DigestUpdate");
}

std::string Sha256::finishHex()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(m_context.get(), digest, &size) != 1)
        digestFailed("EVP_DigestFinal_ex");
    if (EVP_DigestInit_ex2(m_context.get(), sha256Digest(), nullptr) != 1)
        digestFailed("EVP_DigestInit_ex2");
    return checkedHex(digest, size);
}

std::string sha256Hex(std::string_view data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, sha256Digest(), nullptr) != 1)
        digestFailed("EVP_Digest");
    return checkedHex(digest, size);
}

namespace {

// The 32 bytes a SHA-256 of data is.
std::string sha256Bytes(std::string_view a, std::string_view b = {})
{
    Sha256 hash;
    hash.update(a);
    hash.update(b);
    const std::string hex = hash.finishHex();
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return bytes;
}

} // namespace

std::string hmacSha256Hex(std::string_view key, std::string_view data)
{
    constexpr std::size_t kBlock = 64;
    std::string k = key.size() > kBlock ? sha256Bytes(key) : std::string(key);
    k.resize(kBlock, '\0');
    std::string inner(kBlock, '\0'), outer(kBlock, '\0');
    for (std::size_t i = 0; i < kBlock; ++i) {
        inner[i] = static_cast<char>(k[i] ^ 0x36);
        outer[i] = static_cast<char>(k[i] ^ 0x5c);
    }
    Sha256 hash;
    hash.update(outer);
    hash.update(sha256Bytes(inner, data));
    return hash.finishHex();
}

std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed)
{
    std::uint64_t h = seed;
    for (unsigned char c : data) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::uint64_t mix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double unitFromHash(std::uint64_t h)
{
    return static_cast<double>(mix64(h) >> 11) * (1.0 / 9007199254740992.0);
}

} // namespace prism
