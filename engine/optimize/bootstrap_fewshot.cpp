#include "optimize/bootstrap_fewshot.h"

#include "optimize/labeled_fewshot.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <set>

namespace prism {

namespace {

constexpr std::size_t kChunk = 8;
constexpr std::size_t kNoSource = std::numeric_limits<std::size_t>::max();

} // namespace

Bootstrapper::Bootstrapper(const Program &student, const std::vector<Example> &trainset, BootstrapSettings settings,
                           Lm &teacherLm, const Adapter &adapter, const Metric &metric, CallOptions call, int threads,
                           const std::atomic<bool> *cancel, WorkerPool *pool)
    : m_student(student), m_trainset(trainset), m_settings(std::move(settings)), m_lm(teacherLm), m_adapter(adapter),
      m_metric(metric), m_call(std::move(call)), m_threads(threads), m_cancel(cancel), m_pool(pool)
{
    m_call.role = "bootstrap";
    m_teacher = student;
    if (m_settings.maxLabeledDemos > 0) {
        Rng rng = Rng::forStream(m_settings.seed, "teacher");
        const auto demos = sampleLabeledDemos(student, trainset, m_settings.maxLabeledDemos, rng, &m_teacherSources);
        for (std::size_t p = 0; p < m_teacher.predictors.size(); ++p)
            m_teacher.predictors[p].demos = demos[p];
    } else {
        // DSPy's teacher is then a copy of the student, demos included.
        m_teacherSources.resize(m_teacher.predictors.size());
        for (std::size_t p = 0; p < m_teacher.predictors.size(); ++p)
            m_teacherSources[p].assign(m_teacher.predictors[p].demos.size(), kNoSource);
    }
}

Bootstrapper::Trace Bootstrapper::runOne(std::size_t example, int round) const
{
    const Example &ex = m_trainset[example];
    // The example must not see itself among the teacher's demos.
    Program teacher = m_teacher;
    for (std::size_t p = 0; p < teacher.predictors.size(); ++p) {
        Predictor &pred = teacher.predictors[p];
        const Demo own = labeledDemo(m_teacher.predictors[p], ex);
        std::vector<Demo> kept;
        for (std::size_t j = 0; j < pred.demos.size(); ++j) {
            const std::size_t source = j < m_teacherSources[p].size() ? m_teacherSources[p][j] : kNoSource;
            const bool self = source == kNoSource ? pred.demos[j].values == own.values : source == example;
            if (!self)
                kept.push_back(pred.demos[j]);
        }
        pred.demos = std::move(kept);
    }
    CallOptions options = m_call;
    if (round > 0) {
        options.temperature = 1.0;
        options.rollout = static_cast<std::uint64_t>(round);
    }
    Trace trace;
    try {
        TracedRun run = runTraced(teacher, ex.inputs(), m_lm, m_adapter, options);
        if (run.prediction.error) {
            trace.error = run.prediction.error;
            return trace;
        }
        Result<MetricResult> scored = m_metric.score(ex, run.prediction);
        if (!scored) {
            trace.error = scored.error();
            return trace;
        }
        const double threshold = m_settings.metricThreshold.value_or(1.0);
        trace.success = std::isfinite(scored->score) && scored->score >= threshold;
        trace.stages = std::move(run.stages);
    } catch (const std::exception &e) {
        trace.error = Error::make(ErrorKind::Internal, std::string("exception while bootstrapping: ") + e.what());
    }
    return trace;
}

std::optional<int> Bootstrapper::successRound(std::size_t example) const
{
    for (int r = 0; r < std::max(1, m_settings.maxRounds); ++r) {
        const auto it = m_traces.find({example, r});
        if (it != m_traces.end() && it->second.success)
            return r;
    }
    return std::nullopt;
}

bool Bootstrapper::hopeless() const
{
    if (m_settings.giveUpAfter <= 0)
        return false;
    std::set<std::size_t> traced;
    for (const auto &[key, trace] : m_traces) {
        if (trace.success)
            return false;
        traced.insert(key.first);
    }
    return traced.size() >= static_cast<std::size_t>(m_settings.giveUpAfter);
}

Result<std::vector<std::vector<std::size_t>>> Bootstrapper::run(const std::vector<SetRequest> &sets)
{
    struct State {
        std::size_t pos = 0;
        std::vector<std::size_t> accepted;
        bool done = false;
        std::size_t chunkEnd = 0;
    };
    std::vector<State> states(sets.size());
    for (std::size_t s = 0; s < sets.size(); ++s)
        states[s].done = sets[s].quota <= 0 || sets[s].order.empty();
    const int rounds = std::max(1, m_settings.maxRounds);

    for (;;) {
        bool active = false;
        for (std::size_t s = 0; s < sets.size(); ++s) {
            State &st = states[s];
            if (st.done)
                continue;
            active = true;
            const std::size_t left = static_cast<std::size_t>(sets[s].quota) - st.accepted.size();
            st.chunkEnd = std::min(st.pos + std::min(kChunk, left), sets[s].order.size());
        }
        if (!active)
            break;
        if (m_cancel && m_cancel->load())
            return Error::make(ErrorKind::Cancelled, "cancelled while bootstrapping");

        for (int r = 0; r < rounds; ++r) {
            std::vector<std::size_t> needed;
            std::set<std::size_t> seen;
            for (std::size_t s = 0; s < sets.size(); ++s) {
                const State &st = states[s];
                if (st.done)
                    continue;
                for (std::size_t k = st.pos; k < st.chunkEnd; ++k) {
                    const std::size_t e = sets[s].order[k];
                    if (successRound(e) || m_traces.count({e, r}) || !seen.insert(e).second)
                        continue;
                    needed.push_back(e);
                }
            }
            if (needed.empty())
                continue;
            std::vector<std::optional<Trace>> traces(needed.size());
            parallelFor(
                m_pool, needed.size(), m_threads, [&](std::size_t i) { traces[i] = runOne(needed[i], r); }, m_cancel);
            for (std::size_t i = 0; i < needed.size(); ++i) {
                if (!traces[i])
                    return Error::make(ErrorKind::Cancelled, "cancelled while bootstrapping");
                if (traces[i]->error && isStopError(*traces[i]->error))
                    return *traces[i]->error;
            }
            for (std::size_t i = 0; i < needed.size(); ++i) {
                if (traces[i]->error) {
                    ++m_errors;
                    if (!m_firstError)
                        m_firstError =
                            Error::make(traces[i]->error->kind,
                                        fmt::format("training example {}: {}", needed[i], traces[i]->error->message));
                }
                m_traces.emplace(std::make_pair(needed[i], r), std::move(*traces[i]));
            }
        }

        for (std::size_t s = 0; s < sets.size(); ++s) {
            State &st = states[s];
            if (st.done)
                continue;
            for (std::size_t k = st.pos; k < st.chunkEnd; ++k) {
                if (st.accepted.size() >= static_cast<std::size_t>(sets[s].quota))
                    break;
                if (successRound(sets[s].order[k]))
                    st.accepted.push_back(sets[s].order[k]);
            }
            st.pos = st.chunkEnd;
            st.done = st.accepted.size() >= static_cast<std::size_t>(sets[s].quota) || st.pos >= sets[s].order.size();
        }
        if (hopeless()) {
            m_gaveUp = true;
            break;
        }
    }

    std::vector<std::vector<std::size_t>> out;
    out.reserve(states.size());
    for (State &st : states)
        out.push_back(std::move(st.accepted));
    return out;
}

std::vector<std::vector<Demo>> Bootstrapper::demos(const std::vector<std::size_t> &accepted, int maxLabeled,
                                                   Rng &rng) const
{
    std::vector<std::vector<Demo>> out(m_student.predictors.size());
    for (std::size_t p = 0; p < m_student.predictors.size(); ++p) {
        const std::string &name = m_student.predictors[p].name;
        for (const std::size_t e : accepted) {
            const std::optional<int> round = successRound(e);
            if (!round)
                continue;
            const Trace &trace = m_traces.at({e, *round});
            for (const StageTrace &stage : trace.stages) {
                if (stage.predictor != name)
                    continue;
                Demo demo;
                demo.augmented = true;
                demo.values = stage.inputs;
                for (const auto &[field, value] : stage.outputs)
                    demo.values.set(field, value);
                out[p].push_back(std::move(demo));
                break;
            }
        }
    }
    // Labeled demos fill up to maxLabeled, from the examples without an accepted trace.
    std::vector<std::size_t> raw;
    const std::set<std::size_t> used(accepted.begin(), accepted.end());
    for (std::size_t i = 0; i < m_trainset.size(); ++i)
        if (!used.count(i))
            raw.push_back(i);
    for (std::size_t p = 0; p < m_student.predictors.size(); ++p) {
        const long long room = static_cast<long long>(maxLabeled) - static_cast<long long>(out[p].size());
        const auto k = static_cast<std::size_t>(std::max(0LL, std::min(room, static_cast<long long>(raw.size()))));
        for (const std::size_t j : rng.sample(raw.size(), k))
            out[p].push_back(labeledDemo(m_student.predictors[p], m_trainset[raw[j]]));
    }
    return out;
}

BootstrapFewShot::BootstrapFewShot(BootstrapSettings settings) : m_settings(std::move(settings)) {}

BootstrapFewShot::BootstrapFewShot(const OptimizerConfig &config)
{
    m_settings.maxBootstrappedDemos = config.maxBootstrappedDemos;
    m_settings.maxLabeledDemos = config.maxLabeledDemos;
    m_settings.maxRounds = config.maxRounds;
    m_settings.metricThreshold = config.metricThreshold;
    m_settings.seed = config.seed;
}

Result<OptimizeResult> BootstrapFewShot::compile(const Program &student, const std::vector<Example> &trainset,
                                                 const std::vector<Example> &valset, OptimizeContext &context)
{
    if (student.predictors.empty())
        return Error::make(ErrorKind::Config, "bootstrap few-shot: the program has no predictors");
    if (!context.taskLm || !context.adapter || !context.metric)
        return Error::make(ErrorKind::Internal,
                           "bootstrap few-shot: the context lacks a task model, an adapter or a metric");
    if (m_settings.maxBootstrappedDemos < 0 || m_settings.maxLabeledDemos < 0 || m_settings.maxRounds < 1)
        return Error::make(ErrorKind::Config,
                           fmt::format("bootstrap few-shot: max_bootstrapped_demos ({}) and max_labeled_demos ({}) "
                                       "must be 0 or more and max_rounds ({}) at least 1",
                                       m_settings.maxBootstrappedDemos, m_settings.maxLabeledDemos,
                                       m_settings.maxRounds));
    if (auto tunable = checkTunable(student, "bootstrap few-shot"); !tunable)
        return tunable.error();
    OptimizeResult result;
    result.program = student;
    if (context.cancel && context.cancel->load()) {
        result.stopReason = StopReason::cancelled();
        return result;
    }
    emitEvent(context, PhaseStartedEvent{"bootstrap", std::nullopt});
    CountingLm teacher(context.teacherLm ? *context.teacherLm : *context.taskLm);
    CallOptions call;
    call.temperature = context.taskTemperature;
    call.maxTokens = context.taskMaxTokens;
    Bootstrapper bootstrapper(student, trainset, m_settings, teacher, *context.adapter, *context.metric, call,
                              context.threads, context.cancel, context.pool);
    std::vector<std::size_t> order(trainset.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    auto accepted = bootstrapper.run({Bootstrapper::SetRequest{order, m_settings.maxBootstrappedDemos}});
    addCalls(result.stats.callsByRole, teacher.byRole());
    if (!accepted) {
        result.stopReason = stopReasonOf(accepted.error(), {&teacher});
        return result;
    }
    if (bootstrapper.errors() > 0)
        emitEvent(context, WarningEvent{fmt::format(
                               "bootstrapping: {} of {} traces failed with an error; the first: {}",
                               bootstrapper.errors(), bootstrapper.attempts(), bootstrapper.firstError()->describe())});
    Rng rng = Rng::forStream(m_settings.seed, "bootstrap-labeled");
    auto demos = bootstrapper.demos(accepted->front(), m_settings.maxLabeledDemos, rng);
    keepFrozenDemos(student, demos);
    for (std::size_t p = 0; p < student.predictors.size(); ++p) {
        result.program.predictors[p].demos = demos[p];
        emitEvent(context, DemoSetReadyEvent{student.predictors[p].name, 1, "bootstrapped", demos[p]});
    }
    result.stats.notes.push_back(fmt::format("bootstrapped {} of {} wanted traces in {} attempts",
                                             accepted->front().size(), m_settings.maxBootstrappedDemos,
                                             bootstrapper.attempts()));
    scoreAgainstStudent(student, valset, context, result);
    return result;
}

} // namespace prism
