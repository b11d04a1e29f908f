#include "lm/estimate.h"

namespace prism {

namespace {

// Guesses for one output field: its "[[ ## name ## ]]" header and a short answer.
constexpr std::size_t kFieldHeaderChars = 16;
constexpr std::size_t kFieldValueChars = 60;
constexpr std::size_t kReasoningChars = 400;
constexpr std::size_t kCompletedMarkerChars = 22; // "[[ ## completed ## ]]"

} // namespace

CostEstimate &CostEstimate::operator+=(const CostEstimate &other)
{
    calls += other.calls;
    promptTokens += other.promptTokens;
    completionTokens += other.completionTokens;
    if (dollars && other.dollars)
        *dollars += *other.dollars;
    else
        dollars.reset();
    return *this;
}

long long estimateTokens(std::size_t chars)
{
    return static_cast<long long>((chars + 3) / 4);
}

std::size_t defaultCompletionChars(const Program &program)
{
    if (program.predictors.empty())
        return 0;
    std::size_t total = 0;
    for (const auto &predictor : program.predictors) {
        std::size_t chars = kCompletedMarkerChars;
        for (const auto &field : predictor.effectiveSignature().outputs)
            chars += kFieldHeaderChars + field.name.size() + (field.name == "reasoning" ? kReasoningChars : kFieldValueChars);
        total += chars;
    }
    return total / program.predictors.size();
}

CostEstimate estimateEvaluation(const Program &program, std::size_t exampleCount, std::size_t promptCharsPerCall,
                                const PriceTable &prices, const std::string &model,
                                std::optional<std::size_t> completionCharsPerCall)
{
    CostEstimate e;
    e.calls = static_cast<long long>(exampleCount * program.predictors.size());
    e.promptTokens = e.calls * estimateTokens(promptCharsPerCall);
    e.completionTokens = e.calls * estimateTokens(completionCharsPerCall.value_or(defaultCompletionChars(program)));
    e.dollars = prices.dollars(model, e.promptTokens, e.completionTokens);
    return e;
}

} // namespace prism
