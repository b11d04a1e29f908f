#include "optimize/scoring.h"

#include "core/hash.h"
#include "core/rng.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>

namespace prism {

TracedRun runTraced(const Program &program, const Fields &inputs, Lm &lm, const Adapter &adapter,
                    const CallOptions &options)
{
    TracedRun run;
    ProgramTrace trace;
    run.prediction = runProgram(program, inputs, lm, adapter, options, &trace);
    run.stages = std::move(trace.stages);
    run.lmCalls = trace.lmCalls;
    return run;
}

bool isStopError(const Error &error)
{
    return error.kind == ErrorKind::Budget || error.kind == ErrorKind::Cancelled;
}

Result<ChatResponse> CountingLm::complete(const ChatRequest &request)
{
    Result<ChatResponse> response = m_inner.complete(request);
    std::lock_guard lock(m_mutex);
    RoleCalls &c = m_byRole[request.role];
    if (response) {
        if (response->cacheHit)
            ++c.cachedCalls;
        else
            ++c.calls;
    } else if (!isStopError(response.error())) {
        ++c.calls;
    } else if (!m_firstStop) {
        m_firstStop = response.error();
    }
    return response;
}

std::optional<Error> CountingLm::firstStopError() const
{
    std::lock_guard lock(m_mutex);
    return m_firstStop;
}

StopReason stopReasonOf(const Error &error, std::initializer_list<const CountingLm *> lms)
{
    if (error.kind != ErrorKind::Budget)
        return StopReason::cancelled();
    for (const CountingLm *lm : lms)
        if (lm)
            if (auto raw = lm->firstStopError(); raw && raw->kind == ErrorKind::Budget)
                return StopReason::verbatim(StopReason::Kind::Budget, raw->message);
    return StopReason::verbatim(StopReason::Kind::Budget, error.message);
}

std::map<std::string, RoleCalls> CountingLm::byRole() const
{
    std::lock_guard lock(m_mutex);
    return m_byRole;
}

long long CountingLm::calls(const std::string &role) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_byRole.find(role);
    return it == m_byRole.end() ? 0 : it->second.calls;
}

void addCalls(std::map<std::string, RoleCalls> &a, const std::map<std::string, RoleCalls> &b)
{
    for (const auto &[role, c] : b) {
        RoleCalls &t = a[role];
        t.calls += c.calls;
        t.cachedCalls += c.cachedCalls;
    }
}

std::string programFingerprint(const Program &program)
{
    return sha256Hex(toJson(program).dump());
}

double toPercent(double mean)
{
    return std::round(10000.0 * mean) / 100.0;
}

double shrinkageEstimate(const RankCandidate &candidate, double priorMean, double weight)
{
    const double denominator = static_cast<double>(candidate.count) + weight;
    if (denominator <= 0.0)
        return priorMean;
    return (candidate.sum + weight * priorMean) / denominator;
}

int pickByShrinkage(const std::vector<RankCandidate> &candidates, double priorMean, double weight)
{
    int best = -1;
    double bestEstimate = 0.0;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const double e = shrinkageEstimate(candidates[i], priorMean, weight);
        if (best < 0 || e > bestEstimate) {
            best = static_cast<int>(i);
            bestEstimate = e;
        }
    }
    return best;
}

std::string configKeyOf(const std::vector<ConfigChoice> &choices)
{
    std::string key;
    for (const ConfigChoice &c : choices) {
        if (!key.empty())
            key += "|";
        key += c.predictor + ":i" + std::to_string(c.instruction);
        if (c.demos)
            key += ".d" + std::to_string(*c.demos);
    }
    return key;
}

TrialRunner::TrialRunner(const std::vector<Example> &valset, Lm &lm, const Adapter &adapter, const Metric &metric,
                         const OptimizeContext &context, CallOptions call)
    : m_valset(valset), m_lm(lm), m_adapter(adapter), m_metric(metric), m_context(context), m_call(std::move(call))
{}

void TrialRunner::publish(EventPayload payload) const
{
    if (m_context.events)
        m_context.events->publish(std::move(payload));
}

std::vector<TrialOutcome> TrialRunner::run(const std::vector<TrialSpec> &specs)
{
    std::vector<std::string> fingerprints;
    fingerprints.reserve(specs.size());
    for (const TrialSpec &spec : specs) {
        fingerprints.push_back(programFingerprint(spec.program));
        publish(TrialStartedEvent{spec.number, spec.kind, spec.config, spec.configKey, spec.examples.size(),
                                  spec.searchTrial});
    }

    // The pairs to score: each (fingerprint, example) once, owned by the
    // first spec that needs it.
    std::vector<ScoringJob> jobs;
    std::map<std::pair<std::string, std::size_t>, std::size_t> jobOf;
    std::vector<std::vector<bool>> owned(specs.size());
    for (std::size_t s = 0; s < specs.size(); ++s) {
        owned[s].assign(specs[s].examples.size(), false);
        for (std::size_t k = 0; k < specs[s].examples.size(); ++k) {
            const auto key = std::make_pair(fingerprints[s], specs[s].examples[k]);
            if (m_memo.count(key) || jobOf.count(key))
                continue;
            jobOf.emplace(key, jobs.size());
            jobs.push_back(ScoringJob{s, specs[s].examples[k]});
            owned[s][k] = true;
        }
    }

    std::vector<std::optional<ExampleResult>> results(jobs.size());
    parallelFor(
        m_context.pool, jobs.size(), m_context.threads,
        [&](std::size_t j) {
            const ScoringJob &job = jobs[j];
            results[j] = evaluateExample(specs[job.spec].program, m_valset[job.example], job.example, m_lm, m_adapter,
                                         m_metric, m_call);
        },
        m_context.cancel);

    const std::optional<Error> stopError = memoize(jobs, results, fingerprints);
    notifyExampleResults(specs, fingerprints);
    std::vector<TrialOutcome> outcomes;
    outcomes.reserve(specs.size());
    for (std::size_t s = 0; s < specs.size(); ++s)
        outcomes.push_back(finishTrial(specs[s], fingerprints[s], owned[s], stopError));
    return outcomes;
}

// Stored in job order (spec order, then example order): deterministic.
std::optional<Error> TrialRunner::memoize(const std::vector<ScoringJob> &jobs,
                                          std::vector<std::optional<ExampleResult>> &results,
                                          const std::vector<std::string> &fingerprints)
{
    std::optional<Error> stopError;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        if (!results[j])
            continue;
        ExampleResult &r = *results[j];
        if (r.error && isStopError(*r.error)) {
            if (!stopError)
                stopError = r.error;
            continue;
        }
        m_newCalls += r.lmCalls;
        Tally &t = m_tallies[fingerprints[jobs[j].spec]];
        if (r.score) {
            t.sum += *r.score;
            ++t.scored;
            m_globalSum += *r.score;
            ++m_globalCount;
        } else {
            ++t.errors;
        }
        Entry entry;
        entry.score = r.score;
        entry.error = r.error;
        entry.lmCalls = r.lmCalls;
        entry.result = std::make_shared<const ExampleResult>(std::move(r));
        m_memo.emplace(std::make_pair(fingerprints[jobs[j].spec], jobs[j].example), std::move(entry));
    }
    return stopError;
}

void TrialRunner::notifyExampleResults(const std::vector<TrialSpec> &specs,
                                       const std::vector<std::string> &fingerprints)
{
    for (std::size_t s = 0; s < specs.size(); ++s) {
        for (const std::size_t index : specs[s].examples) {
            const auto it = m_memo.find(std::make_pair(fingerprints[s], index));
            if (it == m_memo.end() || !m_notified.emplace(specs[s].configKey, index).second)
                continue;
            if (m_context.onExampleResult)
                m_context.onExampleResult(specs[s].configKey, *it->second.result);
        }
    }
}

TrialOutcome TrialRunner::finishTrial(const TrialSpec &spec, const std::string &fingerprint,
                                      const std::vector<bool> &owned, const std::optional<Error> &stopError)
{
    TrialOutcome out;
    double sum = 0.0;
    std::optional<std::pair<std::size_t, Error>> firstError;
    for (std::size_t k = 0; k < spec.examples.size(); ++k) {
        const std::size_t index = spec.examples[k];
        const auto it = m_memo.find(std::make_pair(fingerprint, index));
        if (it == m_memo.end()) {
            out.interrupted = true;
            continue;
        }
        const Entry &e = it->second;
        if (owned[k])
            out.newCalls += e.lmCalls;
        else
            ++out.memoHits;
        out.results.emplace_back(index, e.score);
        if (e.score) {
            ++out.scored;
            sum += *e.score;
        } else {
            ++out.errors;
            if (!firstError && e.error)
                firstError.emplace(index, *e.error);
        }
    }
    if (out.interrupted) {
        out.stopError = stopError ? stopError : std::optional<Error>(Error::make(ErrorKind::Cancelled, "cancelled"));
        return out;
    }
    m_memoHits += out.memoHits;
    const std::size_t n = spec.examples.size();
    const int maxErrors = m_context.maxErrors;
    const std::string first =
        firstError ? fmt::format("; first error (example {}): {}", firstError->first, firstError->second.describe())
                   : "";
    if (n > 0 && out.scored == 0) {
        out.failed = true;
        out.failure = fmt::format("all {} examples failed{}", n, first);
    } else if (maxErrors > 0 && out.errors > static_cast<std::size_t>(maxErrors)) {
        out.failed = true;
        out.failure =
            fmt::format("{} of {} examples failed, more than max_errors ({}){}", out.errors, n, maxErrors, first);
    } else if (out.scored > 0) {
        out.score = toPercent(sum / static_cast<double>(out.scored));
    }

    TrialFinishedEvent finished;
    finished.trial = spec.number;
    finished.kind = spec.kind;
    finished.config = spec.config;
    finished.configKey = spec.configKey;
    finished.score = out.score;
    finished.scored = out.scored;
    finished.errors = out.errors;
    finished.examples = n;
    finished.newCalls = out.newCalls;
    finished.memoHits = out.memoHits;
    finished.failed = out.failed;
    if (out.failed)
        finished.error = out.failure;
    finished.results.assign(out.results.begin(), out.results.end());
    finished.searchTrial = spec.searchTrial;
    publish(std::move(finished));
    return out;
}

TrialRunner::Tally TrialRunner::tally(const std::string &fingerprint) const
{
    const auto it = m_tallies.find(fingerprint);
    return it == m_tallies.end() ? Tally{} : it->second;
}

std::optional<double> TrialRunner::memoScore(const std::string &fingerprint, std::size_t index) const
{
    const auto it = m_memo.find(std::make_pair(fingerprint, index));
    return it == m_memo.end() ? std::nullopt : it->second.score;
}

double TrialRunner::globalMean() const
{
    return m_globalCount > 0 ? m_globalSum / static_cast<double>(m_globalCount) : 0.0;
}

} // namespace prism

namespace prism {

CallOptions taskCallOptions(const OptimizeContext &context, std::string role)
{
    CallOptions call;
    call.temperature = context.taskTemperature;
    call.maxTokens = context.taskMaxTokens;
    call.role = std::move(role);
    return call;
}

Result<TrainValSplit> splitOffValidation(const std::vector<Example> &trainset, std::uint64_t seed,
                                         const char *optimizer)
{
    if (trainset.size() < 2)
        return Error::make(ErrorKind::Data,
                           fmt::format("{}: without a validation set the trainset must have at least 2 examples to "
                                       "split (it has {})",
                                       optimizer, trainset.size()));
    // A seeded shuffle, half and half (DSPy's MIPROv2 puts the last 80% in val by position).
    const std::vector<std::size_t> order = Rng::forStream(seed, "valset-split").permutation(trainset.size());
    const auto valCount = static_cast<std::ptrdiff_t>(trainset.size() / 2);
    std::vector<std::size_t> valIdx(order.begin(), order.begin() + valCount);
    std::vector<std::size_t> trainIdx(order.begin() + valCount, order.end());
    std::sort(valIdx.begin(), valIdx.end());
    std::sort(trainIdx.begin(), trainIdx.end());
    TrainValSplit split;
    for (const std::size_t i : trainIdx)
        split.train.push_back(trainset[i]);
    for (const std::size_t i : valIdx)
        split.val.push_back(trainset[i]);
    return split;
}

Result<TrainValSplit> trainAndValidation(const std::vector<Example> &trainset, const std::vector<Example> &valset,
                                         std::uint64_t seed, const char *optimizer)
{
    if (valset.empty())
        return splitOffValidation(trainset, seed, optimizer);
    if (trainset.empty())
        return Error::make(
            ErrorKind::Data,
            fmt::format("{}: the trainset is empty: the optimizer needs examples to learn from", optimizer));
    return TrainValSplit{trainset, valset};
}

bool latchCancel(std::optional<StopReason> &stop, const OptimizeContext &context)
{
    if (!stop && context.cancel && context.cancel->load())
        stop = StopReason::cancelled();
    return stop.has_value();
}

std::string demoSetKind(const std::vector<Demo> &demos)
{
    if (demos.empty())
        return "empty";
    return std::any_of(demos.begin(), demos.end(), [](const Demo &d) { return d.augmented; }) ? "bootstrapped"
                                                                                              : "labeled";
}

Result<void> checkTunable(const Program &program, const std::string &optimizer)
{
    if (!program.predictors.empty() && program.tunableCount() == 0)
        return Error::make(
            ErrorKind::Config,
            fmt::format("every stage of the program is frozen: unfreeze at least one for {} to change", optimizer));
    return {};
}

void keepFrozenDemos(const Program &student, std::vector<std::vector<Demo>> &demos)
{
    for (std::size_t p = 0; p < student.predictors.size() && p < demos.size(); ++p)
        if (student.predictors[p].frozen)
            demos[p] = student.predictors[p].demos;
}

void emitEvent(const OptimizeContext &context, EventPayload payload)
{
    if (context.events)
        context.events->publish(std::move(payload));
}

void scoreAgainstStudent(const Program &student, const std::vector<Example> &valset, const OptimizeContext &context,
                         OptimizeResult &result)
{
    if (valset.empty() || !context.taskLm || !context.adapter || !context.metric)
        return;
    if (context.cancel && context.cancel->load()) {
        result.stopReason = StopReason::cancelled();
        return;
    }
    emitEvent(context, PhaseStartedEvent{"final", std::nullopt});
    CountingLm lm(*context.taskLm);
    TrialRunner runner(valset, lm, *context.adapter, *context.metric, context, taskCallOptions(context, "evaluation"));

    std::vector<std::size_t> all(valset.size());
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    auto spec = [&](int number, const Program &program, int demos) {
        TrialSpec t;
        t.number = number;
        t.kind = "full";
        for (const Predictor &p : program.predictors)
            t.config.push_back(ConfigChoice{p.name, 0, demos});
        t.configKey = configKeyOf(t.config);
        t.program = program;
        t.examples = all;
        return t;
    };
    const std::vector<TrialSpec> specs = {spec(1, student, 0), spec(2, result.program, 1)};
    const std::vector<TrialOutcome> outcomes = runner.run(specs);
    addCalls(result.stats.callsByRole, lm.byRole());
    result.stats.memoHits += runner.memoHits();

    std::optional<double> best;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const TrialOutcome &o = outcomes[i];
        if (o.interrupted) {
            result.stopReason = o.stopError ? stopReasonOf(*o.stopError, {&lm}) : StopReason::cancelled();
            continue;
        }
        ++result.stats.trials;
        ++result.stats.fullEvals;
        if (o.failed) {
            result.stats.notes.push_back(fmt::format("trial {} failed: {}", specs[i].number, o.failure));
            continue;
        }
        emitEvent(context,
                  FullEvalFinishedEvent{specs[i].number, specs[i].config, specs[i].configKey, *o.score, std::nullopt});
        if (i == 0)
            result.baselineScore = o.score;
        else
            result.bestScore = o.score;
        if (!best || *o.score > *best) {
            best = o.score;
            emitEvent(context, BestUpdatedEvent{specs[i].number, specs[i].config, specs[i].configKey, *o.score});
        }
    }
    if (result.baselineScore && result.bestScore && *result.bestScore <= *result.baselineScore)
        result.stats.notes.push_back(
            fmt::format("nothing beat the baseline ({:.2f}%): the compiled program scored {:.2f}%",
                        *result.baselineScore, *result.bestScore));
}

} // namespace prism
