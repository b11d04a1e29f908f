#include "lm/estimate.h"

#include <algorithm>

namespace prism {

namespace {

// Guesses for one output field: its "[[ ## name ## ]]" header and a short answer.
constexpr std::size_t kFieldHeaderChars = 16;
constexpr std::size_t kFieldValueChars = 60;
constexpr std::size_t kReasoningChars = 400;
constexpr std::size_t kCompletedMarkerChars = 22; // "[[ ## completed ## ]]"

// Per call of the in-process simulator, and per HTTP request before its tokens.
constexpr double kSimSecondsPerCall = 0.002;
constexpr double kHttpSecondsPerCall = 0.6;
constexpr double kHttpCompletionTokensPerSecond = 60.0;

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
            chars += kFieldHeaderChars + field.name.size()
                     + (field.name == "reasoning" ? kReasoningChars : kFieldValueChars);
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

void addEstimatedCalls(CostEstimate &estimate, long long calls, std::size_t promptChars, std::size_t completionChars)
{
    estimate.calls += calls;
    estimate.promptTokens += calls * estimateTokens(promptChars);
    estimate.completionTokens += calls * estimateTokens(completionChars);
}

double estimateSeconds(const CostEstimate &estimate, const ModelConfig &model, int threads)
{
    if (estimate.calls == 0)
        return 0.0;
    const int parallel = std::max(1, std::min(threads, model.maxConcurrency));
    double perCall = kSimSecondsPerCall;
    if (isHttpProvider(model.provider))
        perCall = kHttpSecondsPerCall
                  + static_cast<double>(estimate.completionTokens) / static_cast<double>(estimate.calls)
                        / kHttpCompletionTokensPerSecond;
    return static_cast<double>(estimate.calls) * perCall / parallel;
}

} // namespace prism
