#pragma once

#include "core/rng.h"
#include "optimize/optimizer.h"

#include <cstdint>
#include <vector>

namespace prism {

// A labeled demo of one predictor: the example's values for the fields of the
// predictor's effective signature that the example has, in signature order
// (a ChainOfThought `reasoning` is absent from labeled data). augmented=false.
Demo labeledDemo(const Predictor &predictor, const Example &example);

// k labeled demos per predictor (fewer when the trainset is smaller), sampled
// without replacement; one rng serves the predictors in order, as DSPy's
// Random(0) does. sources, when given, receives the trainset index of each demo.
std::vector<std::vector<Demo>> sampleLabeledDemos(const Program &program, const std::vector<Example> &trainset, int k,
                                                  Rng &rng, std::vector<std::vector<std::size_t>> *sources = nullptr);

// DSPy's LabeledFewShot(k): each predictor gets k demos sampled from the
// trainset with the seeded rng. No LM call, except scoring the student and
// the result on the valset when one is given.
class LabeledFewShot final : public Optimizer {
public:
    explicit LabeledFewShot(int k = 16, std::uint64_t seed = 0);
    // k = max_labeled_demos, seed = seed.
    explicit LabeledFewShot(const OptimizerConfig &config);

    const char *name() const override { return "labeled"; }
    Result<OptimizeResult> compile(const Program &student, const std::vector<Example> &trainset,
                                   const std::vector<Example> &valset, OptimizeContext &context) override;

private:
    int m_k = 16;
    std::uint64_t m_seed = 0;
};

} // namespace prism
