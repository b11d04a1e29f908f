#pragma once

#include "core/result.h"

#include <map>
#include <optional>
#include <string>

namespace prism {

struct ModelPrice {
    double inputPerMillion = 0.0;  // US dollars per million prompt tokens
    double outputPerMillion = 0.0; // per million completion tokens
    bool operator==(const ModelPrice &other) const = default;
};

// Model prices the user can edit:
// {"models": {"gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.60}, ...}}
// Lookup: exact model name, then the longest key that is a prefix of it.
class PriceTable {
public:
    // The built-in table (resources/prices.json, embedded). sim-* costs 0.
    static PriceTable defaults();
    static const char *defaultJsonText();
    // Errors name the source, and line and column for malformed JSON.
    static Result<PriceTable> fromJsonText(const std::string &text, const std::string &sourceName);
    static Result<PriceTable> load(const std::string &path);
    // The defaults, overlaid with userDataDir()/prices.json when that file exists.
    static Result<PriceTable> loadDefault();

    std::optional<ModelPrice> find(const std::string &model) const;
    // Unknown when the model has no price, or a token count is unknown (a free model costs 0 regardless).
    std::optional<double> dollars(const std::string &model, std::optional<long long> promptTokens,
                                  std::optional<long long> completionTokens) const;
    void set(const std::string &model, const ModelPrice &price);
    // Entries of other overwrite ours.
    void merge(const PriceTable &other);
    const std::map<std::string, ModelPrice> &models() const { return m_models; }
    std::string toJsonText() const;

private:
    std::map<std::string, ModelPrice> m_models;
};

} // namespace prism
