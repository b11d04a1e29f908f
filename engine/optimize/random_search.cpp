#include "optimize/random_search.h"

#include "core/rng.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/scoring.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <utility>

namespace prism {

std::vector<SearchCandidate> randomSearchCandidates(const RandomSearchSettings &settings, std::size_t trainSize)
{
    const int maxBoot = settings.bootstrap.maxBootstrappedDemos;
    std::vector<SearchCandidate> out;
    out.push_back(SearchCandidate{-3, "zero-shot", {}, 0});
    out.push_back(SearchCandidate{-2, "labeled", {}, 0});
    SearchCandidate unshuffled{-1, "unshuffled", std::vector<std::size_t>(trainSize), maxBoot};
    for (std::size_t i = 0; i < trainSize; ++i)
        unshuffled.order[i] = i;
    out.push_back(std::move(unshuffled));
    for (int seed = 0; seed < settings.numCandidatePrograms; ++seed) {
        Rng rng = Rng::forStream(settings.bootstrap.seed, "random-search", static_cast<std::uint64_t>(seed));
        SearchCandidate c{seed, "shuffled", rng.permutation(trainSize), 0};
        // DSPy's randint(1, 0) fails; a size of 0 makes a labeled set of the candidate's own.
        c.quota = maxBoot > 0 ? rng.between(1, maxBoot) : 0;
        out.push_back(std::move(c));
    }
    return out;
}

namespace {

// One compile: the candidates built wave by wave (a bootstrap run for the
// wave's bootstrap candidates), each wave scored in one TrialRunner batch.
class Search {
public:
    Search(const RandomSearchSettings &settings, const Program &student, const std::vector<Example> &trainset,
           const std::vector<Example> &valset, OptimizeContext &context)
        : m_settings(settings), m_student(student), m_train(trainset), m_context(context), m_task(*context.taskLm),
          m_teacher(context.teacherLm ? *context.teacherLm : *context.taskLm),
          m_bootstrapper(student, trainset, settings.bootstrap, m_teacher, *context.adapter, *context.metric,
                         taskCallOptions(context, "bootstrap"), context.threads, context.cancel, context.pool),
          m_runner(valset, m_task, *context.adapter, *context.metric, context, taskCallOptions(context, "evaluation")),
          m_candidates(randomSearchCandidates(settings, trainset.size()))
    {
        m_all.resize(valset.size());
        for (std::size_t i = 0; i < m_all.size(); ++i)
            m_all[i] = i;
        m_result.program = student;
    }

    OptimizeResult run()
    {
        emitEvent(m_context, PhaseStartedEvent{"search", static_cast<int>(m_candidates.size())});
        for (const std::vector<std::size_t> &wave : waves()) {
            if (m_context.cancel && m_context.cancel->load()) {
                m_result.stopReason = StopReason::cancelled();
                break;
            }
            std::vector<Program> programs;
            if (!build(wave, programs) || !score(wave, programs))
                break;
        }
        finish();
        return std::move(m_result);
    }

private:
    // Without stop_at_score: the two candidates that need no bootstrap (a
    // fallback if the budget ends during bootstrapping), then all the others
    // at once. With it: one at a time, so the search stops where DSPy's does.
    std::vector<std::vector<std::size_t>> waves() const
    {
        std::vector<std::vector<std::size_t>> out;
        if (m_settings.stopAtScore) {
            for (std::size_t k = 0; k < m_candidates.size(); ++k)
                out.push_back({k});
            return out;
        }
        out.push_back({0, 1});
        out.emplace_back();
        for (std::size_t k = 2; k < m_candidates.size(); ++k)
            out.back().push_back(k);
        return out;
    }

    // The wave's programs; false when a budget or cancel stopped bootstrapping.
    bool build(const std::vector<std::size_t> &wave, std::vector<Program> &programs)
    {
        std::vector<Bootstrapper::SetRequest> requests;
        for (const std::size_t k : wave)
            if (k >= 2)
                requests.push_back(Bootstrapper::SetRequest{m_candidates[k].order, m_candidates[k].quota});
        std::vector<std::vector<std::size_t>> accepted;
        if (!requests.empty()) {
            emitEvent(m_context, PhaseStartedEvent{"bootstrap", std::nullopt});
            auto ran = m_bootstrapper.run(requests);
            if (!ran) {
                m_result.stopReason = stopReasonOf(ran.error(), {&m_teacher});
                return false;
            }
            accepted = std::move(ran.value());
            emitEvent(m_context, PhaseStartedEvent{"search", std::nullopt});
        }
        std::size_t next = 0;
        for (const std::size_t k : wave) {
            std::vector<std::vector<Demo>> demos = k >= 2 ? bootstrapped(k, accepted[next++]) : fixedDemos(k);
            keepFrozenDemos(m_student, demos);
            Program program = m_student;
            for (std::size_t p = 0; p < program.predictors.size(); ++p) {
                emitEvent(m_context, DemoSetReadyEvent{program.predictors[p].name, k, demoSetKind(demos[p]), demos[p]});
                program.predictors[p].demos = std::move(demos[p]);
            }
            programs.push_back(std::move(program));
        }
        return true;
    }

    // Zero-shot (DSPy's reset_copy: no demos) or LabeledFewShot's sample.
    std::vector<std::vector<Demo>> fixedDemos(std::size_t k) const
    {
        if (k == 0 || m_train.empty())
            return std::vector<std::vector<Demo>>(m_student.predictors.size());
        Rng rng = Rng::forStream(m_settings.bootstrap.seed, "labeled");
        return sampleLabeledDemos(m_student, m_train, m_settings.bootstrap.maxLabeledDemos, rng);
    }

    // The accepted traces, then labeled demos; the unshuffled candidate fills
    // as BootstrapFewShot does, so it is that optimizer's program.
    std::vector<std::vector<Demo>> bootstrapped(std::size_t k, const std::vector<std::size_t> &accepted) const
    {
        const SearchCandidate &c = m_candidates[k];
        Rng rng = c.seed < 0 ? Rng::forStream(m_settings.bootstrap.seed, "bootstrap-labeled")
                             : Rng::forStream(m_settings.bootstrap.seed, "random-search-fill",
                                              static_cast<std::uint64_t>(c.seed));
        return m_bootstrapper.demos(accepted, m_settings.bootstrap.maxLabeledDemos, rng);
    }

    std::vector<ConfigChoice> configOf(std::size_t k) const
    {
        std::vector<ConfigChoice> config;
        for (const Predictor &p : m_student.predictors)
            config.push_back(ConfigChoice{p.name, 0, static_cast<int>(k)});
        return config;
    }

    // Scores the wave; false when the search ends (stopped, or stop_at_score reached).
    bool score(const std::vector<std::size_t> &wave, std::vector<Program> &programs)
    {
        std::vector<TrialSpec> specs;
        for (std::size_t i = 0; i < wave.size(); ++i) {
            TrialSpec t;
            t.number = static_cast<int>(wave[i]) + 1;
            t.config = configOf(wave[i]);
            t.configKey = configKeyOf(t.config);
            t.program = std::move(programs[i]);
            t.examples = m_all;
            specs.push_back(std::move(t));
        }
        const std::vector<TrialOutcome> outcomes = m_runner.run(specs);
        bool goOn = true;
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            const TrialOutcome &o = outcomes[i];
            if (o.interrupted) {
                if (m_result.stopReason.is(StopReason::Kind::Completed))
                    m_result.stopReason = o.stopError ? stopReasonOf(*o.stopError, {&m_task}) : StopReason::cancelled();
                goOn = false;
                continue;
            }
            ++m_result.stats.trials;
            ++m_result.stats.fullEvals;
            if (o.failed) {
                m_result.stats.notes.push_back(
                    fmt::format("candidate {} ({}) failed: {}", wave[i], m_candidates[wave[i]].kind, o.failure));
                continue;
            }
            accept(wave[i], specs[i], *o.score);
            if (goOn && m_settings.stopAtScore && *o.score >= *m_settings.stopAtScore) {
                m_result.stats.notes.push_back(
                    fmt::format("stopped early: candidate {} ({}) scored {:.2f}%, at least stop_at_score ({}%)",
                                wave[i], m_candidates[wave[i]].kind, *o.score, *m_settings.stopAtScore));
                goOn = false;
            }
        }
        return goOn;
    }

    void accept(std::size_t k, TrialSpec &spec, double score)
    {
        emitEvent(m_context, FullEvalFinishedEvent{spec.number, spec.config, spec.configKey, score, std::nullopt});
        if (k == 0)
            m_result.baselineScore = score;
        if (!m_result.bestScore || score > *m_result.bestScore) {
            m_result.bestScore = score;
            m_best = k;
            m_result.program = std::move(spec.program);
            emitEvent(m_context, BestUpdatedEvent{spec.number, spec.config, spec.configKey, score});
        }
    }

    void finish()
    {
        addCalls(m_result.stats.callsByRole, m_teacher.byRole());
        addCalls(m_result.stats.callsByRole, m_task.byRole());
        m_result.stats.memoHits += m_runner.memoHits();
        if (m_bootstrapper.errors() > 0)
            emitEvent(m_context, WarningEvent{fmt::format("bootstrapping: {} of {} traces failed with an error; the "
                                                          "first: {}",
                                                          m_bootstrapper.errors(), m_bootstrapper.attempts(),
                                                          m_bootstrapper.firstError()->describe())});
        if (!m_best)
            return;
        const SearchCandidate &best = m_candidates[*m_best];
        m_result.stats.notes.push_back(fmt::format(
            "candidate {} ({}{}) won with {:.2f}% of {} scored; {} bootstrap traces computed for all candidates",
            *m_best, best.kind, best.seed >= 0 ? fmt::format(", seed {}, size {}", best.seed, best.quota) : "",
            *m_result.bestScore, m_result.stats.trials, m_bootstrapper.attempts()));
        if (*m_best == 0 && m_result.stats.trials > 1)
            m_result.stats.notes.push_back(
                fmt::format("no candidate with demos beat the zero-shot program ({:.2f}%)", *m_result.bestScore));
    }

    const RandomSearchSettings &m_settings;
    const Program &m_student;
    const std::vector<Example> &m_train;
    OptimizeContext &m_context;
    CountingLm m_task;
    CountingLm m_teacher;
    Bootstrapper m_bootstrapper;
    TrialRunner m_runner;
    std::vector<SearchCandidate> m_candidates;
    std::vector<std::size_t> m_all;
    std::optional<std::size_t> m_best;
    OptimizeResult m_result;
};

} // namespace

BootstrapFewShotWithRandomSearch::BootstrapFewShotWithRandomSearch(RandomSearchSettings settings)
    : m_settings(std::move(settings))
{}

BootstrapFewShotWithRandomSearch::BootstrapFewShotWithRandomSearch(const OptimizerConfig &config)
{
    m_settings.bootstrap.maxBootstrappedDemos = config.maxBootstrappedDemos;
    m_settings.bootstrap.maxLabeledDemos = config.maxLabeledDemos;
    m_settings.bootstrap.maxRounds = config.maxRounds;
    m_settings.bootstrap.metricThreshold = config.metricThreshold;
    m_settings.bootstrap.seed = config.seed;
    m_settings.numCandidatePrograms = config.numCandidates.value_or(kRandomSearchCandidates);
    m_settings.stopAtScore = config.stopAtScore;
}

Result<OptimizeResult> BootstrapFewShotWithRandomSearch::compile(const Program &student,
                                                                 const std::vector<Example> &trainset,
                                                                 const std::vector<Example> &valset,
                                                                 OptimizeContext &context)
{
    const BootstrapSettings &b = m_settings.bootstrap;
    if (student.predictors.empty())
        return Error::make(ErrorKind::Config, "random search: the program has no predictors");
    if (auto tunable = checkTunable(student, "random search"); !tunable)
        return tunable.error();
    if (!context.taskLm || !context.adapter || !context.metric)
        return Error::make(ErrorKind::Internal,
                           "random search: the context lacks a task model, an adapter or a metric");
    if (m_settings.numCandidatePrograms < 0)
        return Error::make(ErrorKind::Config,
                           fmt::format("random search: num_candidates (num_candidate_programs) is {}; it must be 0 "
                                       "or more",
                                       m_settings.numCandidatePrograms));
    if (b.maxBootstrappedDemos < 0 || b.maxLabeledDemos < 0 || b.maxRounds < 1)
        return Error::make(ErrorKind::Config,
                           fmt::format("random search: max_bootstrapped_demos ({}) and max_labeled_demos ({}) must be "
                                       "0 or more and max_rounds ({}) at least 1",
                                       b.maxBootstrappedDemos, b.maxLabeledDemos, b.maxRounds));
    const std::optional<double> &stop = m_settings.stopAtScore;
    if (stop && (!std::isfinite(*stop) || *stop < 0.0 || *stop > 100.0))
        return Error::make(
            ErrorKind::Config,
            fmt::format("random search: stop_at_score is {}; it must be a percent from 0 to 100", *stop));
    if (trainset.empty())
        return Error::make(ErrorKind::Data, "random search: the trainset is empty");
    if (context.cancel && context.cancel->load()) {
        OptimizeResult result;
        result.program = student;
        result.stopReason = StopReason::cancelled();
        return result;
    }
    // DSPy scores on the trainset when there is no valset (its own "FIXME: note this choice").
    const std::vector<Example> &scoredOn = valset.empty() ? trainset : valset;
    Search search(m_settings, student, trainset, scoredOn, context);
    return search.run();
}

} // namespace prism
