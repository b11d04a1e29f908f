#pragma once

// Typed reading of a parsed JSON document (a study, a program, an artifact)
// for loaders that must say exactly where a value is wrong: every error names
// the key path ("optimizer.seed") and its line in the source text, whole
// numbers are range-checked before they are converted, and keys that nobody
// reads are collected as warnings with the nearest known key.
#include "core/json.h"
#include "core/result.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace prism {

// The 1-based line of the key (or array element) at `path` in JSON `text`, or
// nullopt when the text does not contain it. Path segments are object keys,
// or decimal indices for array elements.
std::optional<int> jsonLineOf(std::string_view text, const std::vector<std::string> &path);

// The value of the member `key` of the object in JSON `text` (text that
// parsed), as written there, after as many newlines as there are lines before
// it: a reader of the result reports the lines of `text` (a study inside an
// API request). Nothing when there is no such member.
std::optional<std::string> jsonMemberKeepingLines(std::string_view text, const std::string &key);

// The known key closest to `unknown` by edit distance, when it is close enough
// to be a likely typo; empty otherwise.
std::string nearestKey(std::string_view unknown, std::initializer_list<std::string_view> known);

// A key path inside a document, printed as "data.train.columns" or "fields[2]".
class JsonPath {
public:
    JsonPath() = default;
    JsonPath key(std::string_view name) const;
    JsonPath index(std::size_t i) const;
    std::string text() const;
    const std::vector<std::string> &segments() const { return m_segments; }

private:
    std::vector<std::string> m_segments;
    std::vector<bool> m_isIndex;
};

class JsonReader {
public:
    // Thrown by the reading functions; catch it where the document is loaded
    // and turn it into an Error with toError().
    struct Failure : std::runtime_error {
        using std::runtime_error::runtime_error;
    };

    JsonReader(std::string sourceName, std::string_view text);

    // "optimizer.seed (line 12)", or just the path when the line is unknown.
    std::string where(const JsonPath &path) const;
    [[noreturn]] void fail(const JsonPath &path, const std::string &what) const;
    // "SOURCE: PATH (line N) WHAT" as an Error of the given kind.
    static Error toError(const Failure &failure, ErrorKind kind = ErrorKind::Parse);

    // Each read leaves `out` unchanged when the key is absent or null; a value of
    // the wrong type or out of range fails, naming the key.
    void read(const Json &object, const JsonPath &at, const char *key, std::string &out) const;
    void read(const Json &object, const JsonPath &at, const char *key, bool &out) const;
    void read(const Json &object, const JsonPath &at, const char *key, double &out) const;
    void read(const Json &object, const JsonPath &at, const char *key, std::optional<double> &out) const;
    void read(const Json &object, const JsonPath &at, const char *key, int &out, long long min, long long max) const;
    void read(const Json &object, const JsonPath &at, const char *key, std::optional<int> &out, long long min,
              long long max) const;
    void read(const Json &object, const JsonPath &at, const char *key, std::uint64_t &out) const;
    // A count within [min, max] (min >= 0), such as a byte limit.
    void read(const Json &object, const JsonPath &at, const char *key, std::uint64_t &out, long long min,
              long long max) const;

    // Requires `object` to be a JSON object; fails naming `at` otherwise.
    const Json &object(const Json &value, const JsonPath &at) const;

    // Warns about every key of `object` that is not in `known`.
    void expectKeys(const Json &object, const JsonPath &at, std::initializer_list<std::string_view> known);
    const std::vector<std::string> &warnings() const { return m_warnings; }

private:
    long long wholeNumber(const Json &value, const JsonPath &at, long long min, long long max) const;

    std::string m_source;
    std::string_view m_text;
    std::vector<std::string> m_warnings;
};

} // namespace prism
