#pragma once

#include "lm/lm.h"

#include <string>
#include <vector>

namespace prism {

// The built-in offline model (docs/SIMLM.md, ../shared/SIMLM.md): a pure
// function of (model, request seed, messages, temperature, rollout) that reads
// the DSPy wire format and answers by transparent lexical rules.
class SimLm final : public Lm {
public:
    explicit SimLm(std::string model = "sim-small");

    static bool isKnownModel(const std::string &model);
    static std::vector<std::string> modelNames(); // sim-small, sim-large, sim-flaky

    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override;
    const std::string &model() const { return m_model; }

private:
    std::string m_model;
};

} // namespace prism
