#include "optimize/gepa.h"

#include "core/rng.h"
#include "optimize/pareto.h"
#include "optimize/presets.h"
#include "optimize/reflection.h"
#include "optimize/scoring.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace prism {

namespace {

constexpr double kPerfectScore = 1.0;
// Validation examples a merged program is first tried on (GEPA's default).
constexpr std::size_t kMergeSubsample = 5;
// Failures of the parent on training rows outside the minibatch that a
// reflection also reads: rows it has already run, so they cost no metric call,
// and a cue shared by several failures stands out from one example's words.
constexpr std::size_t kEarlierFailures = 5;
// Reflection samples: the rollout varies per iteration and predictor.
constexpr double kReflectionTemperature = 1.0;
// Iterations in a row that test no new child on new rows (every minibatch
// already perfect, reflections that give nothing new, a rejected child
// proposed again) before the run gives up.
constexpr int kMaxIdleIterations = 10;

// A program GEPA keeps: one instruction per predictor (an index into the
// run's instruction table) and its scores on every validation example.
struct Candidate {
    std::vector<int> instructions;
    std::vector<int> parents;
    std::string fingerprint;
    std::string configKey;
    std::vector<std::optional<double>> valScores; // [0, 1]; empty = errored
    double score = 0.0;                           // percent over the scored examples, as the trial reports it
    int trial = 0;
    int nextPredictor = 0; // round robin: the predictor its next reflection changes
};

// One train example run by a program, with the stages it went through.
struct TracedScore {
    ExampleResult result;
    ProgramTrace trace;
};
using TracedScores = std::vector<std::shared_ptr<const TracedScore>>;

double sumOf(const std::vector<std::optional<double>> &scores)
{
    double sum = 0.0;
    for (const auto &s : scores)
        sum += s.value_or(0.0); // an errored example counts 0, as DSPy's failure_score
    return sum;
}

std::string scoreText(double sum, std::size_t n)
{
    return fmt::format("{:g}/{}", sum, n);
}

// One compile() call.
class GepaRun {
public:
    GepaRun(const OptimizerConfig &config, const Program &student, OptimizeContext &context)
        : m_config(config), m_gepa(config.gepa), m_student(student), m_context(context), m_task(*context.taskLm),
          m_reflector(context.reflectionLm ? *context.reflectionLm
                      : context.proposerLm ? *context.proposerLm
                                           : *context.taskLm)
    {}

    Result<OptimizeResult> run(const std::vector<Example> &trainset, const std::vector<Example> &valset)
    {
        if (auto ok = prepareData(trainset, valset); !ok)
            return ok.error();
        m_result.program = m_student;
        publish(PhaseStartedEvent{"search", std::nullopt});
        for (std::size_t p = 0; p < m_student.predictors.size(); ++p) {
            m_instructions.push_back({m_student.predictors[p].signature.instruction});
            publish(InstructionProposedEvent{m_student.predictors[p].name, 0, m_instructions[p][0], std::nullopt});
        }
        m_runner.emplace(m_val, m_task, *m_context.adapter, *m_context.metric, m_context, taskCall("evaluation"));
        if (evaluateSeed())
            iterate();
        return finish();
    }

private:
    // ---- common ---------------------------------------------------------

    void publish(EventPayload payload) { emitEvent(m_context, std::move(payload)); }

    void stop(const Error &error)
    {
        if (!m_stop)
            m_stop = stopReasonOf(error, {&m_task, &m_reflector});
    }

    bool checkCancel() { return latchCancel(m_stop, m_context); }

    CallOptions taskCall(const std::string &role) const { return taskCallOptions(m_context, role); }

    std::size_t predictorCount() const { return m_student.predictors.size(); }

    Program programOf(const std::vector<int> &instructions) const
    {
        Program program = m_student;
        for (std::size_t p = 0; p < predictorCount(); ++p)
            program.predictors[p].signature.instruction = m_instructions[p][static_cast<std::size_t>(instructions[p])];
        return program;
    }

    std::vector<ConfigChoice> configOf(const std::vector<int> &instructions) const
    {
        std::vector<ConfigChoice> config;
        for (std::size_t p = 0; p < predictorCount(); ++p)
            config.push_back(ConfigChoice{m_student.predictors[p].name, instructions[p], std::nullopt});
        return config;
    }

    // ---- data -----------------------------------------------------------

    Result<void> prepareData(const std::vector<Example> &trainset, const std::vector<Example> &valset)
    {
        // Scoring the frontier on the rows reflection learns from would overfit them.
        auto split = trainAndValidation(trainset, valset, m_config.seed, "gepa");
        if (!split)
            return split.error();
        m_train = std::move(split->train);
        m_val = std::move(split->val);
        const GepaBudget budget =
            gepaBudget(m_config, static_cast<int>(m_student.tunableCount()), m_train.size(), m_val.size());
        m_maxMetricCalls = budget.maxMetricCalls;
        m_result.stats.notes.push_back(fmt::format("budget: {} metric calls ({})", m_maxMetricCalls, budget.basis));
        return {};
    }

    // ---- validation scoring ----------------------------------------------

    // Scores a program on validation examples as one trial; nullopt when the
    // run stopped or the trial failed (the cause is noted).
    std::optional<TrialOutcome> scoreOnVal(const std::vector<int> &instructions, const std::string &kind,
                                           const std::vector<std::size_t> &examples, int number)
    {
        TrialSpec spec;
        spec.number = number;
        spec.kind = kind;
        spec.config = configOf(instructions);
        spec.configKey = configKeyOf(spec.config);
        spec.program = programOf(instructions);
        spec.examples = examples;
        m_trialNumber = std::max(m_trialNumber, number);
        const TrialOutcome outcome = m_runner->run({spec}).front();
        m_metricCalls += static_cast<long long>(outcome.results.size()) - outcome.memoHits;
        if (outcome.interrupted) {
            stop(*outcome.stopError);
            return std::nullopt;
        }
        if (outcome.failed) {
            ++m_failedTrials;
            if (m_firstFailure.empty())
                m_firstFailure = fmt::format("trial {} ({}): {}", number, spec.configKey, outcome.failure);
        }
        return outcome;
    }

    std::vector<std::size_t> allVal() const
    {
        std::vector<std::size_t> all(m_val.size());
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i] = i;
        return all;
    }

    // Fully evaluates a candidate and adds it to the pool; false when it
    // could not be scored.
    bool admit(Candidate candidate, int trial)
    {
        const std::optional<TrialOutcome> outcome = scoreOnVal(candidate.instructions, "full", allVal(), trial);
        if (!outcome || outcome->failed || !outcome->score)
            return false;
        candidate.trial = trial;
        candidate.score = *outcome->score;
        candidate.valScores.assign(m_val.size(), std::nullopt);
        for (const auto &[index, score] : outcome->results)
            candidate.valScores[index] = score;
        ++m_result.stats.fullEvals;
        const std::vector<ConfigChoice> config = configOf(candidate.instructions);
        publish(FullEvalFinishedEvent{trial, config, candidate.configKey, candidate.score, std::nullopt});
        // The best has the highest validation mean, and a tie goes to the later
        // candidate (DSPy keeps the earlier): a candidate enters the pool only
        // after beating its parent on a training minibatch, so at an equal
        // validation score the later one has more evidence behind it. Small
        // validation sets tie often: on moderation five candidates tied at
        // 43.33 while their test scores ran from 43.33 to 53.33. A tie with
        // the student itself keeps the student: no better is no result.
        const bool better = m_candidates.empty() || candidate.score > m_candidates[m_best].score
                            || (m_best != 0 && candidate.score == m_candidates[m_best].score);
        if (better) {
            m_best = m_candidates.size();
            publish(BestUpdatedEvent{trial, config, candidate.configKey, candidate.score});
        }
        m_fingerprints.insert(candidate.fingerprint);
        m_candidates.push_back(std::move(candidate));
        return true;
    }

    bool evaluateSeed()
    {
        Candidate seed;
        seed.instructions.assign(predictorCount(), 0);
        seed.fingerprint = programFingerprint(programOf(seed.instructions));
        seed.configKey = configKeyOf(configOf(seed.instructions));
        if (admit(std::move(seed), 1))
            return true;
        if (!m_stop) {
            const std::string message = "the student program failed on the validation set: " + m_firstFailure;
            publish(ErrorEvent{message});
            m_stop = StopReason::error(message);
        }
        return false;
    }

    // ---- minibatches ------------------------------------------------------

    // The next reflection minibatch: consecutive slices of a seeded shuffle of
    // the trainset, a new shuffle per epoch (GEPA's epoch-shuffled sampler).
    std::vector<std::size_t> nextMinibatch()
    {
        const std::size_t size =
            std::min<std::size_t>(static_cast<std::size_t>(m_gepa.reflectionMinibatchSize), m_train.size());
        if (m_epochCursor + size > m_epochOrder.size()) {
            m_epochOrder = Rng::forStream(m_config.seed, "gepa-epoch", m_epoch++).permutation(m_train.size());
            m_epochCursor = 0;
        }
        std::vector<std::size_t> batch(m_epochOrder.begin() + static_cast<long>(m_epochCursor),
                                       m_epochOrder.begin() + static_cast<long>(m_epochCursor + size));
        m_epochCursor += size;
        return batch;
    }

    std::size_t missingOnTrain(const std::string &fingerprint, const std::vector<std::size_t> &batch) const
    {
        return static_cast<std::size_t>(std::count_if(batch.begin(), batch.end(), [&](std::size_t i) {
            return !m_trainMemo.count({fingerprint, i});
        }));
    }

    // Runs a program on train examples with traces, each (program, example)
    // once; empty when a budget or cancel stopped it.
    std::optional<TracedScores> scoreOnTrain(const Program &program, const std::string &fingerprint,
                                             const std::vector<std::size_t> &batch)
    {
        std::vector<std::size_t> todo;
        for (const std::size_t i : batch)
            if (!m_trainMemo.count({fingerprint, i}))
                todo.push_back(i);
        std::vector<std::shared_ptr<TracedScore>> fresh(todo.size());
        const CallOptions call = taskCall("minibatch");
        parallelFor(
            m_context.pool, todo.size(), m_context.threads,
            [&](std::size_t j) {
                auto traced = std::make_shared<TracedScore>();
                traced->result = evaluateExample(program, m_train[todo[j]], todo[j], m_task, *m_context.adapter,
                                                 *m_context.metric, call, &traced->trace);
                fresh[j] = std::move(traced);
            },
            m_context.cancel);
        for (std::size_t j = 0; j < todo.size(); ++j) {
            if (!fresh[j])
                continue; // cancelled before it ran
            const ExampleResult &r = fresh[j]->result;
            if (r.error && isStopError(*r.error)) {
                stop(*r.error);
                continue;
            }
            ++m_metricCalls;
            m_trainMemo.emplace(std::make_pair(fingerprint, todo[j]), std::move(fresh[j]));
        }
        if (checkCancel())
            return std::nullopt;
        TracedScores out;
        for (const std::size_t i : batch)
            out.push_back(m_trainMemo.at({fingerprint, i}));
        return out;
    }

    static std::vector<std::optional<double>> scoresOf(const TracedScores &runs)
    {
        std::vector<std::optional<double>> out;
        for (const auto &run : runs)
            out.push_back(run->result.score);
        return out;
    }

    // ---- parent selection ------------------------------------------------

    // GEPA's Pareto selection: for each validation example, the candidates
    // with its best score; candidates whose every lead another candidate
    // shares are dropped (dominated); a parent is drawn with probability
    // proportional to the examples it leads on.
    std::size_t selectParent(int iteration)
    {
        if (m_gepa.candidateSelection == GepaSelection::CurrentBest)
            return m_best;
        const std::vector<std::set<std::size_t>> fronts = frontsOf();
        const std::set<std::size_t> dominated = dominatedCandidates(fronts);
        std::vector<std::size_t> weighted;
        for (const auto &front : fronts)
            for (const std::size_t c : front)
                if (!dominated.count(c))
                    weighted.push_back(c);
        if (weighted.empty())
            return m_best;
        std::sort(weighted.begin(), weighted.end());
        Rng rng = Rng::forStream(m_config.seed, "gepa-parent", static_cast<std::uint64_t>(iteration));
        return weighted[static_cast<std::size_t>(rng.below(static_cast<int>(weighted.size())))];
    }

    std::vector<std::set<std::size_t>> frontsOf() const
    {
        CandidateScores scores;
        for (const Candidate &c : m_candidates)
            scores.push_back(c.valScores);
        return paretoFronts(scores, m_val.size());
    }

    std::set<std::size_t> dominatedCandidates(const std::vector<std::set<std::size_t>> &fronts) const
    {
        std::vector<double> overall;
        for (const Candidate &c : m_candidates)
            overall.push_back(c.score);
        return prism::dominatedCandidates(fronts, overall);
    }

    // Frozen stages are never reflected on (compile() checks one is not).
    std::vector<std::size_t> predictorsToChange(Candidate &parent) const
    {
        std::vector<std::size_t> out;
        if (m_gepa.componentSelector == GepaComponents::All) {
            for (std::size_t p = 0; p < predictorCount(); ++p)
                if (!m_student.predictors[p].frozen)
                    out.push_back(p);
            return out;
        }
        for (std::size_t step = 0; step < predictorCount(); ++step) {
            const std::size_t p = (static_cast<std::size_t>(parent.nextPredictor) + step) % predictorCount();
            if (!m_student.predictors[p].frozen) {
                out.push_back(p);
                break;
            }
        }
        return out;
    }

    // ---- reflection -------------------------------------------------------

    // The parent's runs a reflection reads: the minibatch, then up to
    // kEarlierFailures rows outside it that the parent has already run and not
    // got right, in training order.
    std::pair<std::vector<std::size_t>, TracedScores> reflectionRuns(const std::string &fingerprint,
                                                                     const std::vector<std::size_t> &batch,
                                                                     const TracedScores &runs) const
    {
        std::vector<std::size_t> rows = batch;
        TracedScores shown = runs;
        std::size_t added = 0;
        for (auto it = m_trainMemo.lower_bound({fingerprint, 0});
             it != m_trainMemo.end() && it->first.first == fingerprint && added < kEarlierFailures; ++it) {
            const std::size_t row = it->first.second;
            const ExampleResult &r = it->second->result;
            if (std::find(batch.begin(), batch.end(), row) != batch.end() || (r.score && *r.score >= kPerfectScore))
                continue;
            rows.push_back(row);
            shown.push_back(it->second);
            ++added;
        }
        return {rows, shown};
    }

    std::vector<ReflectionRecord> recordsFor(std::size_t p, const std::vector<std::size_t> &batch,
                                             const TracedScores &runs) const
    {
        const Predictor &predictor = m_student.predictors[p];
        std::vector<ReflectionRecord> records;
        for (std::size_t k = 0; k < batch.size(); ++k) {
            const TracedScore &run = *runs[k];
            ReflectionRecord record;
            record.example = batch[k];
            record.score = run.result.score;
            const StageTrace *stage = nullptr;
            for (const StageTrace &s : run.trace.stages)
                if (s.predictor == predictor.name)
                    stage = &s;
            if (stage) {
                record.inputs = stage->inputs;
                record.outputs = stage->outputs;
            } else if (p == 0) {
                // The first stage failed: its inputs are the example's.
                for (const Field &f : predictor.signature.inputs)
                    if (const Value *v = m_train[batch[k]].values.find(f.name))
                        record.inputs.set(f.name, *v);
            } else {
                continue; // an earlier stage failed: this one never ran
            }
            if (run.result.error)
                record.feedback = "The output could not be parsed (" + run.result.error->message
                                  + "). Follow the output format exactly.";
            else
                record.feedback = run.result.feedback.empty() ? defaultFeedback(run.result.score) : run.result.feedback;
            records.push_back(std::move(record));
        }
        return records;
    }

    // One reflection call for predictor p of the parent; the new
    // instruction's index, or an error in the proposal.
    PredictorProposal reflect(std::size_t p, const Candidate &parent, const std::vector<std::size_t> &batch,
                              const TracedScores &runs, int iteration)
    {
        PredictorProposal proposal;
        proposal.predictor = m_student.predictors[p].name;
        const auto [rows, shown] = reflectionRuns(parent.fingerprint, batch, runs);
        proposal.records = recordsFor(p, rows, shown);
        if (proposal.records.empty()) {
            proposal.error = "no example of the minibatch reached this predictor";
            return proposal;
        }
        if (m_gepa.maxReflectionCalls && m_reflectionCalls >= *m_gepa.maxReflectionCalls) {
            proposal.error = "the reflection-call budget is used up";
            return proposal;
        }
        Predictor reflector;
        reflector.name = "reflection";
        reflector.signature = reflectionSignature();
        const std::string current = m_instructions[p][static_cast<std::size_t>(parent.instructions[p])];
        const Fields inputs{{"current_instruction", current},
                            {"examples_with_feedback", renderReflectionRecords(proposal.records)}};
        CallOptions call;
        call.temperature = kReflectionTemperature;
        call.maxTokens = std::max(m_context.taskMaxTokens, 2048);
        call.role = "reflection";
        Rng rng = Rng::forStream(m_config.seed, "gepa-reflection", static_cast<std::uint64_t>(iteration));
        call.rollout = rng.next() + p;
        ++m_reflectionCalls;
        const PredictorCall answer = runPredictor(reflector, inputs, m_reflector, *m_context.adapter, call);
        if (answer.error) {
            if (isStopError(*answer.error))
                stop(*answer.error);
            proposal.error = "the reflection failed: " + answer.error->describe();
            return proposal;
        }
        const Value &value = answer.outputs.get("new_instruction");
        proposal.answer = value.isString() ? value.asString() : value.toText();
        const std::string text = instructionFromAnswer(proposal.answer);
        if (text.empty() || text == current) {
            proposal.error =
                text.empty() ? "the reflection gave no instruction" : "the reflection gave back the same instruction";
            return proposal;
        }
        proposal.instruction = instructionIndex(p, text);
        return proposal;
    }

    int instructionIndex(std::size_t p, const std::string &text)
    {
        auto &list = m_instructions[p];
        const auto it = std::find(list.begin(), list.end(), text);
        if (it != list.end())
            return static_cast<int>(it - list.begin());
        list.push_back(text);
        publish(
            InstructionProposedEvent{m_student.predictors[p].name, list.size() - 1, text, std::string("reflection")});
        return static_cast<int>(list.size() - 1);
    }

    // ---- one iteration ------------------------------------------------------

    CandidateProposedEvent proposalEvent(int iteration, const char *kind, std::vector<int> parents) const
    {
        CandidateProposedEvent e;
        e.iteration = iteration;
        e.kind = kind;
        e.parents = std::move(parents);
        e.maxMetricCalls = m_maxMetricCalls;
        return e;
    }

    // Reflective mutation. Returns whether a candidate was added.
    bool reflectiveStep(int iteration)
    {
        const std::size_t parentIndex = selectParent(iteration);
        const std::vector<std::size_t> batch = nextMinibatch();
        const std::vector<std::size_t> predictors = predictorsToChange(m_candidates[parentIndex]);
        const long long need = static_cast<long long>(missingOnTrain(m_candidates[parentIndex].fingerprint, batch)
                                                      + batch.size() + m_val.size());
        if (m_metricCalls + need > m_maxMetricCalls) {
            m_budgetDone = true;
            return false;
        }
        Candidate &parent = m_candidates[parentIndex];
        parent.nextPredictor = static_cast<int>((predictors.back() + 1) % predictorCount());
        CandidateProposedEvent e = proposalEvent(iteration, "reflection", {static_cast<int>(parentIndex)});
        e.minibatch = batch;
        const auto parentRuns = scoreOnTrain(programOf(parent.instructions), parent.fingerprint, batch);
        if (!parentRuns)
            return false;
        e.parentScores = scoresOf(*parentRuns);
        if (m_gepa.skipPerfectScore
            && std::all_of(e.parentScores.begin(), e.parentScores.end(),
                           [](const std::optional<double> &s) { return s && *s >= kPerfectScore; })) {
            e.verdict = "every minibatch example is already perfect: nothing to learn from";
            return finishProposal(std::move(e), std::nullopt);
        }
        std::vector<int> child = m_candidates[parentIndex].instructions;
        for (const std::size_t p : predictors) {
            PredictorProposal proposal = reflect(p, m_candidates[parentIndex], batch, *parentRuns, iteration);
            if (proposal.instruction)
                child[p] = *proposal.instruction;
            e.proposals.push_back(std::move(proposal));
            if (m_stop)
                return false;
        }
        return judgeChild(std::move(e), std::move(child), parentIndex);
    }

    // Scores a reflection's child on the parent's minibatch and admits it when
    // its sum is higher.
    bool judgeChild(CandidateProposedEvent e, std::vector<int> child, std::size_t parentIndex)
    {
        e.config = configOf(child);
        e.configKey = configKeyOf(e.config);
        const Program program = programOf(child);
        const std::string fingerprint = programFingerprint(program);
        if (child == m_candidates[parentIndex].instructions) {
            e.verdict = "no new instruction: " + firstProposalError(e);
            return finishProposal(std::move(e), std::nullopt);
        }
        if (m_fingerprints.count(fingerprint)) {
            e.verdict = "the proposal is a program already in the pool";
            return finishProposal(std::move(e), std::nullopt);
        }
        const auto childRuns = scoreOnTrain(program, fingerprint, e.minibatch);
        if (!childRuns)
            return false;
        e.childScores = scoresOf(*childRuns);
        const double before = sumOf(e.parentScores);
        const double after = sumOf(e.childScores);
        const std::size_t n = e.minibatch.size();
        if (after <= before) {
            e.verdict = fmt::format("minibatch {} -> {}: not better than the parent", scoreText(before, n),
                                    scoreText(after, n));
            return finishProposal(std::move(e), std::nullopt);
        }
        e.verdict = fmt::format("minibatch {} -> {}", scoreText(before, n), scoreText(after, n));
        Candidate candidate;
        candidate.instructions = std::move(child);
        candidate.parents = {static_cast<int>(parentIndex)};
        candidate.fingerprint = fingerprint;
        candidate.configKey = e.configKey;
        candidate.nextPredictor = m_candidates[parentIndex].nextPredictor;
        return finishProposal(std::move(e), std::move(candidate));
    }

    static std::string firstProposalError(const CandidateProposedEvent &e)
    {
        for (const PredictorProposal &p : e.proposals)
            if (p.error)
                return *p.error;
        return "the reflection changed nothing";
    }

    // Publishes the proposal, then fully evaluates an accepted candidate.
    bool finishProposal(CandidateProposedEvent e, std::optional<Candidate> accepted)
    {
        // Progress is a child tested on rows it had not run: a repeat of a
        // rejected child on a remembered minibatch costs nothing and teaches nothing.
        const bool progressed = !e.childScores.empty() && m_metricCalls > m_iterationStartCalls;
        m_idleIterations = progressed ? 0 : m_idleIterations + 1;
        if (!accepted) {
            e.metricCalls = m_metricCalls;
            publish(std::move(e));
            return false;
        }
        const int trial = m_trialNumber + 1;
        e.accepted = true;
        e.candidate = static_cast<int>(m_candidates.size());
        e.trial = trial;
        const long long unscored = static_cast<long long>(m_val.size() - m_valScored[accepted->fingerprint].size());
        e.metricCalls = m_metricCalls + unscored;
        publish(std::move(e));
        const std::string fingerprint = accepted->fingerprint;
        const bool added = admit(std::move(*accepted), trial);
        m_valScored[fingerprint].clear();
        m_idleIterations = 0;
        return added;
    }

    // ---- merge -------------------------------------------------------------

    std::set<std::size_t> ancestorsOf(std::size_t c) const
    {
        std::set<std::size_t> out;
        std::vector<std::size_t> todo = {c};
        while (!todo.empty()) {
            const std::size_t x = todo.back();
            todo.pop_back();
            for (const int parent : m_candidates[x].parents)
                if (out.insert(static_cast<std::size_t>(parent)).second)
                    todo.push_back(static_cast<std::size_t>(parent));
        }
        return out;
    }

    struct MergePlan {
        std::size_t a = 0, b = 0, ancestor = 0;
        std::vector<int> instructions;
    };

    // Two frontier candidates that changed different predictors of a common
    // ancestor scoring no higher than either, merged predictor by predictor.
    std::optional<MergePlan> findMerge(int iteration)
    {
        const auto fronts = frontsOf();
        const auto dominated = dominatedCandidates(fronts);
        std::vector<std::size_t> leaders;
        for (std::size_t c = 0; c < m_candidates.size(); ++c)
            if (!dominated.count(c)
                && std::any_of(fronts.begin(), fronts.end(), [&](const auto &f) { return f.count(c) > 0; }))
                leaders.push_back(c);
        std::vector<MergePlan> plans;
        for (std::size_t i = 0; i < leaders.size(); ++i)
            for (std::size_t j = i + 1; j < leaders.size(); ++j)
                if (auto plan = mergeOf(leaders[i], leaders[j]))
                    plans.push_back(std::move(*plan));
        if (plans.empty())
            return std::nullopt;
        Rng rng = Rng::forStream(m_config.seed, "gepa-merge", static_cast<std::uint64_t>(iteration));
        return plans[static_cast<std::size_t>(rng.below(static_cast<int>(plans.size())))];
    }

    std::optional<MergePlan> mergeOf(std::size_t a, std::size_t b) const
    {
        const Candidate &ca = m_candidates[a];
        const Candidate &cb = m_candidates[b];
        const std::set<std::size_t> ancestorsA = ancestorsOf(a);
        const std::set<std::size_t> ancestorsB = ancestorsOf(b);
        std::optional<std::size_t> ancestor;
        for (const std::size_t x : ancestorsA)
            if (ancestorsB.count(x) && m_candidates[x].score <= std::min(ca.score, cb.score)
                && (!ancestor || m_candidates[x].score > m_candidates[*ancestor].score))
                ancestor = x;
        if (!ancestor)
            return std::nullopt;
        const Candidate &base = m_candidates[*ancestor];
        MergePlan plan{a, b, *ancestor, base.instructions};
        bool fromA = false, fromB = false;
        for (std::size_t p = 0; p < predictorCount(); ++p) {
            const bool aChanged = ca.instructions[p] != base.instructions[p];
            const bool bChanged = cb.instructions[p] != base.instructions[p];
            if (aChanged && (!bChanged || ca.score >= cb.score)) {
                plan.instructions[p] = ca.instructions[p];
                fromA = true;
            } else if (bChanged) {
                plan.instructions[p] = cb.instructions[p];
                fromB = true;
            }
        }
        if (!fromA || !fromB || m_triedMerges.count(plan.instructions))
            return std::nullopt;
        if (m_fingerprints.count(programFingerprint(programOf(plan.instructions))))
            return std::nullopt;
        return plan;
    }

    // Up to kMergeSubsample validation examples, taken in turn from those where
    // a beats b, those where b beats a, and the ties (GEPA's balanced subsample).
    std::vector<std::size_t> mergeSubsample(const MergePlan &plan, int iteration) const
    {
        std::vector<std::size_t> groups[3];
        for (std::size_t e = 0; e < m_val.size(); ++e) {
            const double a = m_candidates[plan.a].valScores[e].value_or(0.0);
            const double b = m_candidates[plan.b].valScores[e].value_or(0.0);
            groups[a > b ? 0 : b > a ? 1 : 2].push_back(e);
        }
        Rng rng = Rng::forStream(m_config.seed, "gepa-merge-subsample", static_cast<std::uint64_t>(iteration));
        for (auto &group : groups) {
            const auto order = rng.permutation(group.size());
            std::vector<std::size_t> shuffled;
            for (const std::size_t k : order)
                shuffled.push_back(group[k]);
            group = std::move(shuffled);
        }
        std::vector<std::size_t> out;
        for (std::size_t round = 0; out.size() < std::min(kMergeSubsample, m_val.size()); ++round)
            for (auto &group : groups)
                if (round < group.size() && out.size() < kMergeSubsample)
                    out.push_back(group[round]);
        std::sort(out.begin(), out.end());
        return out;
    }

    // One merge attempt; nullopt when no pair can be merged (the iteration
    // then reflects instead).
    std::optional<bool> mergeStep(int iteration)
    {
        const std::optional<MergePlan> plan = findMerge(iteration);
        if (!plan)
            return std::nullopt;
        const std::vector<std::size_t> subsample = mergeSubsample(*plan, iteration);
        if (m_metricCalls + static_cast<long long>(m_val.size()) > m_maxMetricCalls) {
            m_budgetDone = true;
            return false;
        }
        m_triedMerges.insert(plan->instructions);
        ++m_mergesTried;
        --m_mergesDue;
        CandidateProposedEvent e =
            proposalEvent(iteration, "merge", {static_cast<int>(plan->a), static_cast<int>(plan->b)});
        e.config = configOf(plan->instructions);
        e.configKey = configKeyOf(e.config);
        e.minibatch = subsample;
        const Candidate &a = m_candidates[plan->a];
        const Candidate &b = m_candidates[plan->b];
        std::vector<std::optional<double>> scoresA, scoresB;
        for (const std::size_t i : subsample) {
            scoresA.push_back(a.valScores[i]);
            scoresB.push_back(b.valScores[i]);
        }
        e.parentScores = sumOf(scoresA) >= sumOf(scoresB) ? scoresA : scoresB;
        const std::optional<TrialOutcome> outcome =
            scoreOnVal(plan->instructions, "minibatch", subsample, m_trialNumber + 1);
        if (!outcome)
            return false;
        const std::string fingerprint = programFingerprint(programOf(plan->instructions));
        for (const auto &[index, score] : outcome->results) {
            e.childScores.push_back(score);
            m_valScored[fingerprint].insert(index);
        }
        const double before = sumOf(e.parentScores);
        const double after = sumOf(e.childScores);
        const std::size_t n = subsample.size();
        const std::string sums =
            fmt::format("validation subsample: parents {} and {}, merged {}", scoreText(sumOf(scoresA), n),
                        scoreText(sumOf(scoresB), n), scoreText(after, n));
        if (outcome->failed || after < before) {
            e.verdict = sums + ": worse than the better parent";
            return finishProposal(std::move(e), std::nullopt);
        }
        e.verdict = sums;
        Candidate candidate;
        candidate.instructions = plan->instructions;
        candidate.parents = {static_cast<int>(plan->a), static_cast<int>(plan->b)};
        candidate.fingerprint = fingerprint;
        candidate.configKey = e.configKey;
        return finishProposal(std::move(e), std::move(candidate));
    }

    // ---- the loop -------------------------------------------------------------

    void iterate()
    {
        bool lastFoundNew = false;
        for (int iteration = 1; !m_stop && !m_budgetDone; ++iteration) {
            if (checkCancel())
                return;
            m_iterationStartCalls = m_metricCalls;
            if (m_idleIterations >= kMaxIdleIterations) {
                m_result.stats.notes.push_back(
                    fmt::format("stopped after {} iterations in a row that tested no new program (every minibatch "
                                "already perfect, or the reflection gave nothing new)",
                                m_idleIterations));
                return;
            }
            if (m_gepa.useMerge && m_mergesDue > 0 && lastFoundNew) {
                if (const std::optional<bool> merged = mergeStep(iteration)) {
                    lastFoundNew = false;
                    continue;
                }
            }
            const std::size_t before = m_candidates.size();
            reflectiveStep(iteration);
            lastFoundNew = m_candidates.size() > before;
            if (lastFoundNew && m_gepa.useMerge && m_mergesTried + m_mergesDue < m_gepa.maxMergeInvocations)
                ++m_mergesDue;
            if (m_gepa.maxReflectionCalls && m_reflectionCalls >= *m_gepa.maxReflectionCalls) {
                m_result.stats.notes.push_back(
                    fmt::format("stopped at the reflection-call budget ({})", *m_gepa.maxReflectionCalls));
                return;
            }
        }
    }

    Result<OptimizeResult> finish()
    {
        publish(PhaseStartedEvent{"final", std::nullopt});
        OptimizeResult &r = m_result;
        r.stopReason = m_stop ? *m_stop : StopReason::completed();
        if (!m_candidates.empty()) {
            r.baselineScore = m_candidates.front().score;
            r.bestScore = m_candidates[m_best].score;
            r.program = programOf(m_candidates[m_best].instructions);
        }
        addCalls(r.stats.callsByRole, m_task.byRole());
        addCalls(r.stats.callsByRole, m_reflector.byRole());
        r.stats.trials = m_trialNumber;
        if (m_runner)
            r.stats.memoHits = m_runner->memoHits();
        auto &notes = r.stats.notes;
        notes.push_back(fmt::format("{} candidate(s) in the pool after {} metric calls of {} and {} reflection call(s)",
                                    m_candidates.size(), m_metricCalls, m_maxMetricCalls, m_reflectionCalls));
        if (m_budgetDone)
            notes.push_back("the metric-call budget cannot pay for another proposal and its validation; stopped "
                            "before exceeding it");
        if (m_failedTrials > 0)
            notes.push_back(
                fmt::format("{} trial(s) failed and were not scored; the first: {}", m_failedTrials, m_firstFailure));
        if (m_candidates.size() > 1 && m_best == 0)
            notes.push_back(fmt::format("nothing beat the baseline ({:.2f}%)", m_candidates.front().score));
        return r;
    }

    const OptimizerConfig &m_config;
    const GepaConfig &m_gepa;
    const Program &m_student;
    OptimizeContext &m_context;
    CountingLm m_task;
    CountingLm m_reflector;

    std::vector<Example> m_train;
    std::vector<Example> m_val;
    std::vector<std::vector<std::string>> m_instructions; // [predictor][index]
    std::optional<TrialRunner> m_runner;
    std::map<std::pair<std::string, std::size_t>, std::shared_ptr<const TracedScore>> m_trainMemo;
    std::map<std::string, std::set<std::size_t>> m_valScored; // merge subsamples scored before admission
    std::vector<Candidate> m_candidates;
    std::set<std::string> m_fingerprints;
    std::set<std::vector<int>> m_triedMerges;
    std::size_t m_best = 0;

    std::vector<std::size_t> m_epochOrder;
    std::size_t m_epochCursor = 0;
    std::uint64_t m_epoch = 0;

    long long m_maxMetricCalls = 0;
    long long m_metricCalls = 0;
    int m_reflectionCalls = 0;
    int m_trialNumber = 0;
    int m_mergesDue = 0;
    int m_mergesTried = 0;
    int m_idleIterations = 0;
    long long m_iterationStartCalls = 0;
    bool m_budgetDone = false;
    int m_failedTrials = 0;
    std::string m_firstFailure;

    std::optional<StopReason> m_stop;
    OptimizeResult m_result;
};

} // namespace

Gepa::Gepa(OptimizerConfig config) : m_config(std::move(config)) {}

Result<OptimizeResult> Gepa::compile(const Program &student, const std::vector<Example> &trainset,
                                     const std::vector<Example> &valset, OptimizeContext &context)
{
    if (!context.taskLm || !context.adapter || !context.metric)
        return Error::make(ErrorKind::Internal, "gepa: the context lacks a task model, an adapter or a metric");
    if (student.predictors.empty())
        return Error::make(ErrorKind::Config, "gepa: the program has no predictors");
    if (auto valid = validateOptimizerFor(m_config, student); !valid)
        return valid.error();
    GepaRun run(m_config, student, context);
    return run.run(trainset, valset);
}

} // namespace prism
