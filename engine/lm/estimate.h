#pragma once

#include "core/program.h"
#include "core/study.h"
#include "lm/prices.h"

#include <cstddef>
#include <optional>
#include <string>

namespace prism {

// A pre-run guess of what an evaluation (or a run made of evaluations) costs.
struct CostEstimate {
    long long calls = 0;
    long long promptTokens = 0;
    long long completionTokens = 0;
    std::optional<double> dollars; // unknown when the model has no price

    // Sums; dollars become unknown when either side's are.
    CostEstimate &operator+=(const CostEstimate &other);
};

// Tokens guessed from text size, as for English with common tokenizers.
long long estimateTokens(std::size_t chars);

// A typical completion size (characters) per call of the program, for when
// nothing was measured: each output field's header and a short value, a
// paragraph of reasoning for ChainOfThought, averaged over the predictors.
std::size_t defaultCompletionChars(const Program &program);

// One call per predictor per example (no cache, no retries). promptCharsPerCall
// is the average rendered prompt size of one call (the caller renders a sample
// with its adapter); completionCharsPerCall defaults to defaultCompletionChars().
CostEstimate estimateEvaluation(const Program &program, std::size_t exampleCount, std::size_t promptCharsPerCall,
                                const PriceTable &prices, const std::string &model,
                                std::optional<std::size_t> completionCharsPerCall = std::nullopt);

// Adds `calls` calls of promptChars characters in and completionChars out
// each (tokens by estimateTokens); dollars are left to the caller, who knows
// the model.
void addEstimatedCalls(CostEstimate &estimate, long long calls, std::size_t promptChars, std::size_t completionChars);

// Wall time of the estimate's calls on `model` with `threads` workers: a fixed
// time per call of the in-process simulator, else an HTTP round trip plus the
// completion tokens at a typical speed, spread over min(threads,
// max_concurrency) calls at a time. 0 for no calls.
double estimateSeconds(const CostEstimate &estimate, const ModelConfig &model, int threads);

} // namespace prism
