#pragma once

// Where a ResponseCache files its answers: a SQLite file (the default) or a
// PostgreSQL database shared by a team's machines. Answers are filed under a
// 64-bit hash of their key; the key itself is compared on every lookup, so a
// hash collision is only a miss. Calls are serialized by the ResponseCache.
#include "core/result.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace prism {

class CacheStorage {
public:
    virtual ~CacheStorage() = default;
    // The file path, or the database URL without its password.
    virtual const std::string &location() const = 0;
    // The response text filed for key, if any.
    virtual Result<std::optional<std::string>> find(const std::string &key) = 0;
    // Files every answer (key -> response text) in one transaction; an
    // answer already filed for a key is replaced.
    virtual Result<void> store(const std::map<std::string, std::string> &answers) = 0;
    virtual Result<long long> sizeBytes() = 0;
    virtual Result<long long> count() = 0;
    virtual Result<void> clear() = 0;
};

// FNV-1a, 64 bits, as a signed integer (SQLite's and PostgreSQL's BIGINT).
long long cacheKeyHash(const std::string &key);

// The storages. Errors are Io errors that name the file or the database.
Result<std::unique_ptr<CacheStorage>> openSqliteCacheStorage(const std::string &path);
Result<std::unique_ptr<CacheStorage>> openPostgresCacheStorage(const std::string &url);

} // namespace prism
