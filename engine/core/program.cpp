#include "core/program.h"

#include <algorithm>

namespace prism {

const char *predictorKindName(PredictorKind kind)
{
    return kind == PredictorKind::ChainOfThought ? "chain_of_thought" : "predict";
}

Signature Predictor::effectiveSignature() const
{
    if (kind != PredictorKind::ChainOfThought || signature.findOutput("reasoning"))
        return signature;
    Signature s = signature;
    Field reasoning;
    reasoning.name = "reasoning";
    reasoning.type = Type::string();
    s.outputs.insert(s.outputs.begin(), reasoning);
    return s;
}

const Predictor *Program::find(std::string_view name) const
{
    for (const auto &p : predictors)
        if (p.name == name)
            return &p;
    return nullptr;
}

Predictor *Program::find(std::string_view name)
{
    for (auto &p : predictors)
        if (p.name == name)
            return &p;
    return nullptr;
}

std::vector<std::string> Program::externalInputs() const
{
    std::vector<std::string> produced, needed;
    for (const auto &p : predictors) {
        for (const auto &f : p.signature.inputs) {
            const bool known = std::find(produced.begin(), produced.end(), f.name) != produced.end();
            if (!known && std::find(needed.begin(), needed.end(), f.name) == needed.end())
                needed.push_back(f.name);
        }
        for (const auto &f : p.signature.outputs)
            produced.push_back(f.name);
    }
    return needed;
}

std::vector<Field> Program::allOutputs() const
{
    std::vector<Field> out;
    for (const auto &p : predictors)
        for (const auto &f : p.signature.outputs)
            out.push_back(f);
    return out;
}

std::size_t Program::tunableCount() const
{
    return static_cast<std::size_t>(
        std::count_if(predictors.begin(), predictors.end(), [](const Predictor &p) { return !p.frozen; }));
}

} // namespace prism
