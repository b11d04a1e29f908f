#pragma once

#include "core/result.h"
#include "core/value.h"

#include <optional>
#include <string>
#include <vector>

namespace prism {

// One row of a dataset: field values, and which of them are inputs.
struct Example {
    Fields values;
    std::vector<std::string> inputKeys;

    bool isInput(std::string_view name) const;
    Fields inputs() const;
    Fields labels() const; // the values that are not inputs
    bool operator==(const Example &other) const = default;
};

// A demonstration placed in a prompt. augmented = produced by bootstrapping
// (a real trace of the program), not copied from a labeled example.
struct Demo {
    Fields values;
    bool augmented = false;
    bool operator==(const Demo &other) const = default;
};

// Token counts; unknown is not zero.
struct TokenUsage {
    std::optional<long long> promptTokens;
    std::optional<long long> completionTokens;
    int calls = 0;

    void add(const TokenUsage &other);
};

// What a program returned for one example.
struct Prediction {
    Fields values;
    std::string rawCompletion; // last completion text, for display and debugging
    TokenUsage usage;
    std::optional<Error> error;
};

} // namespace prism
