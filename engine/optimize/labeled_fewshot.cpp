#include "optimize/labeled_fewshot.h"

#include "optimize/scoring.h"

#include <nlohmann/json.hpp>

namespace prism {

Demo labeledDemo(const Predictor &predictor, const Example &example)
{
    Demo demo;
    const Signature signature = predictor.effectiveSignature();
    for (const auto *fields : {&signature.inputs, &signature.outputs})
        for (const Field &f : *fields)
            if (const Value *v = example.values.find(f.name))
                demo.values.set(f.name, *v);
    return demo;
}

std::vector<std::vector<Demo>> sampleLabeledDemos(const Program &program, const std::vector<Example> &trainset, int k,
                                                  Rng &rng, std::vector<std::vector<std::size_t>> *sources)
{
    std::vector<std::vector<Demo>> out(program.predictors.size());
    if (sources)
        sources->assign(program.predictors.size(), {});
    for (std::size_t p = 0; p < program.predictors.size(); ++p) {
        if (k <= 0 || trainset.empty())
            continue;
        for (const std::size_t i : rng.sample(trainset.size(), static_cast<std::size_t>(k))) {
            out[p].push_back(labeledDemo(program.predictors[p], trainset[i]));
            if (sources)
                (*sources)[p].push_back(i);
        }
    }
    return out;
}

LabeledFewShot::LabeledFewShot(int k, std::uint64_t seed) : m_k(k), m_seed(seed) {}

LabeledFewShot::LabeledFewShot(const OptimizerConfig &config) : m_k(config.maxLabeledDemos), m_seed(config.seed) {}

Result<OptimizeResult> LabeledFewShot::compile(const Program &student, const std::vector<Example> &trainset,
                                               const std::vector<Example> &valset, OptimizeContext &context)
{
    if (student.predictors.empty())
        return Error::make(ErrorKind::Config, "labeled few-shot: the program has no predictors");
    if (m_k < 0)
        return Error::make(ErrorKind::Config,
                           "labeled few-shot: k (max_labeled_demos) must be 0 or more, not " + std::to_string(m_k));
    if (auto tunable = checkTunable(student, "labeled few-shot"); !tunable)
        return tunable.error();
    OptimizeResult result;
    result.program = student;
    // DSPy returns the student unchanged for an empty trainset.
    if (!trainset.empty()) {
        Rng rng = Rng::forStream(m_seed, "labeled");
        auto demos = sampleLabeledDemos(student, trainset, m_k, rng);
        keepFrozenDemos(student, demos);
        for (std::size_t p = 0; p < student.predictors.size(); ++p) {
            result.program.predictors[p].demos = demos[p];
            emitEvent(context, DemoSetReadyEvent{student.predictors[p].name, 1, "labeled", demos[p]});
        }
    }
    scoreAgainstStudent(student, valset, context, result);
    return result;
}

} // namespace prism
