#include "lm/prices.h"

#include "core/json.h"
#include "core/paths.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace prism {

namespace {

// Keep in sync with resources/prices.json (a test checks they are equal).
// These are list prices as published by the providers; they change, so users
// should check them and override them in <data dir>/prices.json.
const char *const kDefaultPrices = R"json({
  "note": "US dollars per million tokens, from the providers' published list prices (mid-2025). Prices change: check your provider's pricing page and edit this file (copy it to <data dir>/prices.json). Lookup is by exact model name, then by the longest name that is a prefix of the model (gpt-4o-mini-2024-07-18 -> gpt-4o-mini).",
  "models": {
    "sim-": {"input_per_million": 0.0, "output_per_million": 0.0},
    "gpt-4o": {"input_per_million": 2.50, "output_per_million": 10.00},
    "gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.60},
    "gpt-4.1": {"input_per_million": 2.00, "output_per_million": 8.00},
    "gpt-4.1-mini": {"input_per_million": 0.40, "output_per_million": 1.60},
    "gpt-4.1-nano": {"input_per_million": 0.10, "output_per_million": 0.40},
    "gpt-4-turbo": {"input_per_million": 10.00, "output_per_million": 30.00},
    "gpt-3.5-turbo": {"input_per_million": 0.50, "output_per_million": 1.50},
    "o1": {"input_per_million": 15.00, "output_per_million": 60.00},
    "o1-mini": {"input_per_million": 1.10, "output_per_million": 4.40},
    "o3": {"input_per_million": 2.00, "output_per_million": 8.00},
    "o3-pro": {"input_per_million": 20.00, "output_per_million": 80.00},
    "o3-mini": {"input_per_million": 1.10, "output_per_million": 4.40},
    "o4-mini": {"input_per_million": 1.10, "output_per_million": 4.40},
    "claude-3-haiku": {"input_per_million": 0.25, "output_per_million": 1.25},
    "claude-3-5-haiku": {"input_per_million": 0.80, "output_per_million": 4.00},
    "claude-haiku-4-5": {"input_per_million": 1.00, "output_per_million": 5.00},
    "claude-3-5-sonnet": {"input_per_million": 3.00, "output_per_million": 15.00},
    "claude-3-7-sonnet": {"input_per_million": 3.00, "output_per_million": 15.00},
    "claude-sonnet-4": {"input_per_million": 3.00, "output_per_million": 15.00},
    "claude-3-opus": {"input_per_million": 15.00, "output_per_million": 75.00},
    "claude-opus-4": {"input_per_million": 15.00, "output_per_million": 75.00},
    "claude-opus-4-5": {"input_per_million": 5.00, "output_per_million": 25.00}
  }
}
)json";

Result<ModelPrice> priceFromJson(const Json &j, const std::string &where)
{
    if (!j.is_object())
        return Error::make(ErrorKind::Parse,
                           where + ": a price is an object with \"input_per_million\" and \"output_per_million\"");
    ModelPrice price;
    for (const auto &[key, target] :
         {std::pair<const char *, double *>{"input_per_million", &price.inputPerMillion},
          std::pair<const char *, double *>{"output_per_million", &price.outputPerMillion}}) {
        if (!j.contains(key))
            return Error::make(ErrorKind::Parse, where + ": missing \"" + key + "\"");
        if (!j[key].is_number() || j[key].get<double>() < 0.0)
            return Error::make(ErrorKind::Parse, where + ": \"" + key + "\" must be a non-negative number");
        *target = j[key].get<double>();
    }
    return price;
}

} // namespace

const char *PriceTable::defaultJsonText()
{
    return kDefaultPrices;
}

PriceTable PriceTable::defaults()
{
    // The embedded text is ours and tested; a failure here is a build bug.
    auto table = fromJsonText(kDefaultPrices, "built-in prices");
    return table ? std::move(table.value()) : PriceTable();
}

Result<PriceTable> PriceTable::fromJsonText(const std::string &text, const std::string &sourceName)
{
    auto parsed = parseJson(text, sourceName);
    if (!parsed)
        return parsed.error();
    const Json &root = parsed.value();
    if (!root.is_object() || !root.contains("models") || !root["models"].is_object())
        return Error::make(ErrorKind::Parse, sourceName
                                                 + ": expected an object {\"models\": {\"<model>\": "
                                                   "{\"input_per_million\": ..., \"output_per_million\": ...}}}");
    PriceTable table;
    for (auto it = root["models"].begin(); it != root["models"].end(); ++it) {
        auto price = priceFromJson(it.value(), sourceName + ": model \"" + it.key() + "\"");
        if (!price)
            return price.error();
        table.m_models[it.key()] = price.value();
    }
    return table;
}

Result<PriceTable> PriceTable::load(const std::string &path)
{
    auto text = readInputFile(path);
    if (!text)
        return text.error();
    return fromJsonText(text.value(), path);
}

Result<PriceTable> PriceTable::loadDefault()
{
    PriceTable table = defaults();
    auto path = userDataPath("prices.json");
    if (!path)
        return path.error();
    std::error_code ec;
    if (!std::filesystem::exists(path.value(), ec))
        return table;
    auto user = load(path.value());
    if (!user)
        return user.error();
    table.merge(user.value());
    return table;
}

std::optional<ModelPrice> PriceTable::find(const std::string &model) const
{
    auto exact = m_models.find(model);
    if (exact != m_models.end())
        return exact->second;
    const ModelPrice *best = nullptr;
    std::size_t bestLength = 0;
    for (const auto &[name, price] : m_models) {
        if (!name.empty() && name.size() > bestLength && model.compare(0, name.size(), name) == 0) {
            best = &price;
            bestLength = name.size();
        }
    }
    if (!best)
        return std::nullopt;
    return *best;
}

std::optional<double> PriceTable::dollars(const std::string &model, std::optional<long long> promptTokens,
                                          std::optional<long long> completionTokens) const
{
    const auto price = find(model);
    if (!price)
        return std::nullopt;
    if (price->inputPerMillion == 0.0 && price->outputPerMillion == 0.0)
        return 0.0;
    if (!promptTokens || !completionTokens)
        return std::nullopt;
    return (static_cast<double>(*promptTokens) * price->inputPerMillion
            + static_cast<double>(*completionTokens) * price->outputPerMillion)
           / 1e6;
}

void PriceTable::set(const std::string &model, const ModelPrice &price)
{
    m_models[model] = price;
}

void PriceTable::merge(const PriceTable &other)
{
    for (const auto &[name, price] : other.m_models)
        m_models[name] = price;
}

std::string PriceTable::toJsonText() const
{
    Json models = Json::object();
    for (const auto &[name, price] : m_models)
        models[name] =
            Json{{"input_per_million", price.inputPerMillion}, {"output_per_million", price.outputPerMillion}};
    Json root = Json::object();
    root["models"] = std::move(models);
    return root.dump(2) + "\n";
}

} // namespace prism
