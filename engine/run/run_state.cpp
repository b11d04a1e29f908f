#include "run/run_state.h"

#include "events/event_codec.h"
#include "optimize/presets.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <variant>

namespace prism {

namespace {

std::vector<RunState::Choice> choicesOf(const std::vector<ConfigChoice> &config)
{
    std::vector<RunState::Choice> choices;
    choices.reserve(config.size());
    for (const ConfigChoice &c : config)
        choices.push_back(RunState::Choice{c.predictor, c.instruction, c.demos.value_or(-1)});
    return choices;
}

std::optional<long long> integerSetting(const Fields &settings, const char *name)
{
    const Value *v = settings.find(name);
    if (!v)
        return std::nullopt;
    if (v->isInt())
        return v->asInt();
    if (v->isFloat())
        return static_cast<long long>(v->asNumber());
    return std::nullopt;
}

std::string percentText(double score)
{
    return fmt::format("{:.1f}%", score);
}

bool startsWith(const std::string &text, const std::string &prefix)
{
    return text.rfind(prefix, 0) == 0;
}

} // namespace

std::optional<double> RunState::Candidate::meanScore() const
{
    return scoredTrials > 0 ? std::optional<double>(scoreSum / scoredTrials) : std::nullopt;
}

std::optional<double> RunState::DemoSet::meanScore() const
{
    return scoredTrials > 0 ? std::optional<double>(scoreSum / scoredTrials) : std::nullopt;
}

std::optional<double> RunState::HeatCell::mean() const
{
    return count > 0 ? std::optional<double>(sum / count) : std::nullopt;
}

const RunState::HeatCell *RunState::Heatmap::cell(int instruction, int demoSet) const
{
    if (instruction < 0 || demoSet < 0 || instruction >= instructions || demoSet >= demoSets)
        return nullptr;
    return &cells[static_cast<std::size_t>(instruction * demoSets + demoSet)];
}

void RunState::clear()
{
    *this = RunState();
}

RunState::Changes RunState::apply(const std::vector<RunEvent> &events)
{
    Changes changes;
    changes.firstNewTrial = m_trials.size();
    changes.firstNewFullEval = m_fullEvals.size();
    changes.firstNewCandidate = m_candidates.size();
    changes.firstNewDemoSet = m_demoSets.size();
    changes.firstNewSummary = m_summaries.size();
    changes.firstNewLog = m_log.size();
    changes.firstNewBestFull = m_bestFull.size();
    changes.firstNewProposal = m_proposals.size();
    for (const RunEvent &event : events) {
        if (event.seq != 0 && event.seq <= m_lastSeq)
            continue;
        applyOne(event, changes);
        if (event.seq != 0)
            m_lastSeq = event.seq;
    }
    return changes;
}

RunState::Changes RunState::apply(const RunEvent &event)
{
    return apply(std::vector<RunEvent>{event});
}

void RunState::addLog(LogLine::Level level, double elapsed, std::string text, Changes &changes)
{
    m_log.push_back(LogLine{level, elapsed, std::move(text)});
    changes.flags |= LogAdded;
}

RunState::Candidate *RunState::findCandidate(const std::string &predictor, int index)
{
    const auto it = m_candidateIndex.find({predictor, index});
    return it == m_candidateIndex.end() ? nullptr : &m_candidates[it->second];
}

const RunState::Candidate *RunState::candidate(const std::string &predictor, int index) const
{
    const auto it = m_candidateIndex.find({predictor, index});
    return it == m_candidateIndex.end() ? nullptr : &m_candidates[it->second];
}

RunState::DemoSet *RunState::findDemoSet(const std::string &predictor, int index)
{
    const auto it = m_demoSetIndex.find({predictor, index});
    return it == m_demoSetIndex.end() ? nullptr : &m_demoSets[it->second];
}

void RunState::notePredictor(const std::string &name)
{
    if (std::find(m_predictors.begin(), m_predictors.end(), name) == m_predictors.end())
        m_predictors.push_back(name);
}

void RunState::countTrial(const Trial &trial)
{
    for (const Choice &c : trial.config) {
        notePredictor(c.predictor);
        if (Candidate *candidate = findCandidate(c.predictor, c.instruction)) {
            ++candidate->timesTried;
            if (trial.score) {
                ++candidate->scoredTrials;
                candidate->scoreSum += *trial.score;
            }
        }
        if (c.demos >= 0) {
            if (DemoSet *set = findDemoSet(c.predictor, c.demos)) {
                ++set->timesTried;
                if (trial.score) {
                    ++set->scoredTrials;
                    set->scoreSum += *trial.score;
                }
            }
        }
        // A failed trial still places its cell on the grid (tried, no score).
        HeatCell &cell = m_heat[c.predictor][{c.instruction, std::max(0, c.demos)}];
        ++cell.tried;
        if (trial.score) {
            cell.sum += *trial.score;
            ++cell.count;
        }
    }
}

void RunState::applyOne(const RunEvent &event, Changes &changes)
{
    m_elapsed = std::max(m_elapsed, event.elapsedSeconds);
    changes.flags |= ProgressChanged;
    std::visit([&](const auto &e) { on(e, event.elapsedSeconds, changes); }, event.payload);
}

void RunState::on(const RunStartedEvent &e, double elapsed, Changes &changes)
{
    m_runId = e.runId;
    m_optimizer = e.optimizer;
    m_studyName = e.studyName;
    m_seed = e.seed;
    m_trainSize = static_cast<int>(e.trainSize);
    m_valSize = static_cast<int>(e.valSize);
    m_settings = e.settings;
    if (const auto n = integerSetting(e.settings, "num_trials"))
        m_settingsNumTrials = static_cast<int>(*n);
    const Value *autoMode = e.settings.find("auto");
    m_autoMode = autoMode && autoMode->isString() ? autoMode->asString() : std::string();
    if (const Value *mb = e.settings.find("minibatch"); mb && mb->isBool())
        m_settingsMinibatch = mb->asBool();
    m_minibatchSize = static_cast<int>(integerSetting(e.settings, "minibatch_size").value_or(0));
    m_zeroShot = integerSetting(e.settings, "max_bootstrapped_demos").value_or(0) == 0
                 && integerSetting(e.settings, "max_labeled_demos").value_or(0) == 0;
    changes.flags |= RunInfoChanged;
    addLog(LogLine::Level::Info, elapsed,
           fmt::format("run {} started: {} on \"{}\", seed {}, {} train / {} validation examples", m_runId, m_optimizer,
                       m_studyName, m_seed, m_trainSize, m_valSize),
           changes);
}

void RunState::on(const PhaseStartedEvent &e, double elapsed, Changes &changes)
{
    m_phase = e.phase;
    if (e.numTrials)
        m_settingsNumTrials = *e.numTrials;
    if (m_phase == "search" && !m_searchStartElapsed)
        m_searchStartElapsed = elapsed;
    changes.flags |= PhaseChanged;
    addLog(LogLine::Level::Phase, elapsed, "phase: " + m_phase, changes);
}

void RunState::on(const DemoSetReadyEvent &e, double, Changes &changes)
{
    DemoSet set;
    set.predictor = e.predictor;
    set.index = static_cast<int>(e.index);
    set.kind = e.kind;
    set.demos = e.demos;
    set.demosJson = demosToJsonText(e.demos);
    set.demoCount = static_cast<int>(e.demos.size());
    notePredictor(set.predictor);
    m_demoSetIndex[{set.predictor, set.index}] = m_demoSets.size();
    m_demoSets.push_back(std::move(set));
    changes.flags |= DemoSetsAdded | HeatmapChanged;
}

void RunState::on(const SummaryReadyEvent &e, double, Changes &changes)
{
    m_summaries.push_back(Summary{e.kind, e.predictor.value_or(std::string()), e.text});
    changes.flags |= SummariesAdded;
}

void RunState::on(const InstructionProposedEvent &e, double, Changes &changes)
{
    Candidate c;
    c.predictor = e.predictor;
    c.index = static_cast<int>(e.index);
    c.text = e.text;
    c.tip = e.tip.value_or(std::string());
    c.proposedIn = m_phase.empty() ? std::string("propose") : m_phase;
    c.proposedAfterTrial = static_cast<int>(m_trials.size());
    notePredictor(c.predictor);
    m_candidateIndex[{c.predictor, c.index}] = m_candidates.size();
    m_candidates.push_back(std::move(c));
    changes.flags |= CandidatesAdded | HeatmapChanged;
}

void RunState::on(const TrialStartedEvent &, double, Changes &)
{
    ++m_trialsRunning;
}

void RunState::on(const TrialFinishedEvent &e, double elapsed, Changes &changes)
{
    m_trialsRunning = std::max(0, m_trialsRunning - 1);
    Trial t;
    t.number = e.trial;
    t.kind = e.kind;
    t.config = choicesOf(e.config);
    t.configKey = e.configKey;
    t.score = e.score;
    t.state = e.failed ? "failed" : "complete";
    t.error = e.error.value_or(std::string());
    t.scored = static_cast<int>(e.scored);
    t.errors = static_cast<int>(e.errors);
    t.examples = static_cast<int>(e.examples);
    t.newCalls = e.newCalls;
    t.memoHits = e.memoHits;
    t.elapsed = elapsed;
    t.results.reserve(e.results.size());
    for (const auto &[index, score] : e.results)
        t.results.emplace_back(static_cast<int>(index), score);
    if (e.searchTrial) {
        ++m_searchTrialsFinished;
        if (t.kind == "full")
            ++m_fullSearchTrials;
    }
    if (t.kind == "minibatch") {
        ++m_minibatchTrials;
        if (t.score && (m_bestMinibatch.empty() || *t.score > m_bestMinibatch.back().score))
            m_bestMinibatch.push_back(BestPoint{t.number, *t.score, t.configKey});
    } else {
        ++m_fullTrials;
    }
    if (e.failed || !t.score) {
        ++m_failedTrials;
        addLog(LogLine::Level::Warning, elapsed,
               fmt::format("trial {} ({}) failed: {}", t.number, t.configKey,
                           t.error.empty() ? std::string("no example was scored") : t.error),
               changes);
    }
    countTrial(t);
    m_highestTrial = std::max(m_highestTrial, t.number);
    m_trialByNumber[t.number] = m_trials.size();
    m_trials.push_back(std::move(t));
    changes.flags |= TrialsAdded | CandidateStatsChanged | HeatmapChanged;
}

void RunState::on(const FullEvalFinishedEvent &e, double elapsed, Changes &changes)
{
    if (m_fullEvals.empty() && !m_baselineScore)
        m_baselineScore = e.score;
    m_fullEvals.push_back(FullEval{e.trial, e.configKey, e.score, e.rankEstimate, elapsed});
    changes.flags |= FullEvalsAdded;
}

void RunState::on(const BestUpdatedEvent &e, double, Changes &changes)
{
    m_bestFull.push_back(BestPoint{e.trial, e.score, e.configKey});
    changes.flags |= BestChanged;
}

void RunState::on(const BudgetWarningEvent &e, double elapsed, Changes &changes)
{
    ++m_warnings;
    m_lastWarning = e.message;
    addLog(LogLine::Level::Warning, elapsed, "budget: " + e.message, changes);
}

void RunState::on(const WarningEvent &e, double elapsed, Changes &changes)
{
    ++m_warnings;
    m_lastWarning = e.message;
    addLog(LogLine::Level::Warning, elapsed, "warning: " + e.message, changes);
}

void RunState::on(const ErrorEvent &e, double elapsed, Changes &changes)
{
    ++m_errors;
    m_lastWarning = e.message;
    addLog(LogLine::Level::Error, elapsed, "error: " + e.message, changes);
}

void RunState::on(const CandidateProposedEvent &e, double elapsed, Changes &changes)
{
    if (m_gepaCandidates.empty()) {
        GepaCandidate seed;
        seed.kind = "seed";
        if (!m_trials.empty()) {
            seed.configKey = m_trials.front().configKey;
            seed.trial = m_trials.front().number;
        }
        m_gepaCandidates.push_back(std::move(seed));
    }
    if (e.accepted && e.candidate) {
        GepaCandidate c;
        c.number = *e.candidate;
        c.parents = e.parents;
        c.kind = e.kind;
        for (const PredictorProposal &p : e.proposals)
            if (p.instruction)
                c.mutated.push_back(p.predictor);
        c.configKey = e.configKey;
        c.iteration = e.iteration;
        c.trial = e.trial;
        m_gepaCandidates.push_back(std::move(c));
    }
    m_metricCalls = std::make_pair(e.metricCalls, e.maxMetricCalls);
    m_proposals.push_back(e);
    changes.flags |= ProposalsAdded;
    std::string parents;
    for (const int p : e.parents)
        parents += (parents.empty() ? "" : " and ") + std::to_string(p);
    addLog(LogLine::Level::Info, elapsed,
           fmt::format("iteration {}: {} of candidate {}: {}{}", e.iteration, e.kind, parents,
                       e.accepted ? "accepted" : "rejected", e.verdict.empty() ? "" : " (" + e.verdict + ")"),
           changes);
}

std::vector<std::vector<std::optional<double>>> RunState::frontierScores() const
{
    // A study without a validation split reports val_size 0 while GEPA scores
    // the half of the trainset it split off: the columns also reach the
    // highest example index a candidate's full evaluation scored.
    std::vector<const Trial *> evaluations;
    int columns = std::max(0, m_valSize);
    for (const GepaCandidate &c : m_gepaCandidates) {
        const int index = c.trial ? trialIndex(*c.trial) : -1;
        evaluations.push_back(index >= 0 ? &m_trials[static_cast<std::size_t>(index)] : nullptr);
        if (evaluations.back())
            for (const auto &result : evaluations.back()->results)
                columns = std::max(columns, result.first + 1);
    }
    std::vector<std::vector<std::optional<double>>> rows;
    for (const Trial *trial : evaluations) {
        std::vector<std::optional<double>> row(static_cast<std::size_t>(columns));
        if (trial)
            for (const auto &[example, score] : trial->results)
                if (example >= 0)
                    row[static_cast<std::size_t>(example)] = score;
        rows.push_back(std::move(row));
    }
    return rows;
}

void RunState::on(const RunFinishedEvent &e, double elapsed, Changes &changes)
{
    m_finished = true;
    m_trialsRunning = 0;
    m_stopReason = e.stopReason;
    if (e.baselineScore)
        m_baselineScore = e.baselineScore;
    m_finalBest = e.bestScore;
    m_finishedTrials = e.trials;
    m_notes = e.notes;
    m_usage.clear();
    for (const auto &[role, calls] : e.callsByRole) {
        RoleUsage &u = m_usage[role];
        u.calls = calls.calls;
        u.cacheHits = calls.cacheHits;
        u.errors = calls.errors;
    }
    for (const auto &[role, tokens] : e.tokensByRole) {
        RoleUsage &u = m_usage[role];
        u.promptTokens = tokens.prompt;
        u.completionTokens = tokens.completion;
    }
    m_dollars = e.dollars;
    changes.flags |= Finished;
    addLog(LogLine::Level::Info, elapsed, "finished: " + m_stopReason.text(), changes);
    for (const std::string &note : m_notes)
        addLog(LogLine::Level::Info, elapsed, "note: " + note, changes);
}

void RunState::on(const ProgramChosenEvent &e, double elapsed, Changes &changes)
{
    m_chosen = e;
    changes.flags |= Finished;
    std::string line = "program chosen by " + e.by + ": " + e.configKey;
    if (e.score)
        line += fmt::format(" ({:.2f}%)", *e.score);
    addLog(LogLine::Level::Info, elapsed, line + ", instead of " + e.replaced, changes);
}

int RunState::plannedSearchTrials() const
{
    if (m_settingsNumTrials)
        return *m_settingsNumTrials;
    if (m_optimizer != "miprov2" || m_autoMode.empty())
        return 0;
    const AutoPreset *preset = autoPreset(m_autoMode);
    if (!preset)
        return 0;
    const int predictors = std::max<int>(1, static_cast<int>(m_predictors.size()));
    return autoNumTrials(preset->n, predictors, m_zeroShot);
}

bool RunState::minibatchMode() const
{
    // A full evaluation that answers an ask: every ask is a full evaluation
    // (its later ones screened first), not a minibatch.
    if (m_fullSearchTrials > 0)
        return false;
    if (m_minibatchTrials > 0)
        return true;
    // A full search trial after the baseline settles it.
    if (m_fullTrials > 1)
        return false;
    return m_settingsMinibatch && m_autoMode.empty();
}

int RunState::searchTrialsDone() const
{
    // Runs that number their asks: a screened trial's extension and full
    // evaluation are further trials of one ask.
    if (m_searchTrialsFinished > 0)
        return m_searchTrialsFinished;
    if (m_minibatchTrials > 0)
        return m_minibatchTrials;
    return std::max(0, m_fullTrials - 1);
}

std::optional<double> RunState::progress() const
{
    if (m_finished)
        return 1.0;
    if (m_metricCalls && m_metricCalls->second > 0) // GEPA: its budget is metric calls
        return std::clamp(static_cast<double>(m_metricCalls->first) / static_cast<double>(m_metricCalls->second), 0.0,
                          1.0);
    const int planned = plannedSearchTrials();
    if (planned <= 0)
        return std::nullopt;
    return std::clamp(static_cast<double>(searchTrialsDone()) / planned, 0.0, 1.0);
}

std::optional<double> RunState::etaSeconds() const
{
    if (m_finished)
        return 0.0;
    const int planned = plannedSearchTrials();
    const int done = searchTrialsDone();
    if (planned <= 0 || done <= 0 || !m_searchStartElapsed)
        return std::nullopt;
    const double spent = std::max(0.0, m_elapsed - *m_searchStartElapsed);
    return spent * std::max(0, planned - done) / done;
}

std::optional<double> RunState::bestScore() const
{
    if (!m_bestFull.empty())
        return m_bestFull.back().score;
    return m_finalBest;
}

std::optional<double> RunState::baselineScore() const
{
    return m_baselineScore;
}

std::optional<double> RunState::reportedBestScore() const
{
    if (m_finished && m_finalBest)
        return m_finalBest;
    return bestScore();
}

int RunState::trialIndex(int number) const
{
    const auto it = m_trialByNumber.find(number);
    return it == m_trialByNumber.end() ? -1 : static_cast<int>(it->second);
}

RunState::Heatmap RunState::heatmap(const std::string &predictor) const
{
    Heatmap grid;
    for (const Candidate &c : m_candidates)
        if (c.predictor == predictor)
            grid.instructions = std::max(grid.instructions, c.index + 1);
    for (const DemoSet &d : m_demoSets)
        if (d.predictor == predictor)
            grid.demoSets = std::max(grid.demoSets, d.index + 1);
    const auto it = m_heat.find(predictor);
    if (it != m_heat.end())
        for (const auto &[key, cell] : it->second) {
            grid.instructions = std::max(grid.instructions, key.first + 1);
            grid.demoSets = std::max(grid.demoSets, key.second + 1);
        }
    if (grid.instructions == 0)
        return grid;
    grid.demoSets = std::max(grid.demoSets, 1);
    grid.cells.assign(static_cast<std::size_t>(grid.instructions * grid.demoSets), HeatCell{});
    if (it != m_heat.end())
        for (const auto &[key, cell] : it->second)
            grid.cells[static_cast<std::size_t>(key.first * grid.demoSets + key.second)] = cell;
    return grid;
}

RunStatus RunState::status() const
{
    if (!m_finished)
        return RunStatus::Running;
    return statusForStop(m_stopReason.is(StopReason::Kind::None) ? StopReason::completed() : m_stopReason);
}

std::vector<RunExplanation> explainRun(const RunState &state)
{
    std::vector<RunExplanation> out;
    if (!state.finished())
        return out;
    const StopReason &reason = state.stopReason();
    if (reason.is(StopReason::Kind::Cancelled)) {
        out.push_back({"Cancelled",
                       "The run was stopped before it finished. The best program found so far was kept. "
                       "A cancelled run can be resumed: it replays the calls it already paid for and goes on."});
    } else if (reason.is(StopReason::Kind::Budget)) {
        out.push_back({"Stopped by a budget",
                       fmt::format("The run reached its budget ({}) and started no new model call; the best program "
                                   "found so far was kept. Raise the budget, use fewer trials or smaller minibatches, "
                                   "or a cheaper task model.",
                                   reason.text().substr(std::min<std::size_t>(reason.text().size(), 8)))});
    } else if (reason.is(StopReason::Kind::Error)) {
        out.push_back({"The run failed",
                       fmt::format("{}. Check the Log tab for the first error; a model that cannot be reached or a "
                                   "metric that fails on every example stops a run.",
                                   reason.text())});
    }

    bool nothingBeat = false;
    bool saturated = false;
    for (const std::string &note : state.notes()) {
        if (startsWith(note, "nothing beat the baseline"))
            nothingBeat = true;
        else if (startsWith(note, "every trial scored"))
            saturated = true;
    }
    // The notes come from MIPROv2; other optimizers leave them out, so the
    // scores are checked here too.
    const auto baseline = state.baselineScore();
    const auto best = state.bestScore();
    if (!nothingBeat && baseline && best && state.trials().size() > 1 && *best <= *baseline)
        nothingBeat = true;
    if (!saturated) {
        std::optional<double> first;
        int scored = 0;
        bool same = true;
        for (const RunState::Trial &t : state.trials()) {
            if (!t.score)
                continue;
            ++scored;
            if (!first)
                first = t.score;
            else if (*t.score != *first)
                same = false;
        }
        saturated = scored > 1 && same;
    }
    if (saturated) {
        const std::string score = state.trials().empty() || !state.trials().front().score
                                      ? std::string("the same score")
                                      : percentText(*state.trials().front().score);
        out.push_back({"Every trial scored the same",
                       fmt::format("Every trial scored {}: the metric cannot tell the configurations apart. Either "
                                   "the task is already solved on this data (100%) or the metric is too coarse. Try "
                                   "a harder or finer-grained metric (partial credit per field), more and more varied "
                                   "validation examples, or a weaker task model to see differences.",
                                   score)});
    }
    if (nothingBeat) {
        out.push_back({"Nothing beat the baseline",
                       fmt::format("No instruction or demo set scored higher than the original program{}. The "
                                   "original is kept. Try more instruction candidates and trials, more (or more "
                                   "varied) training data for the demos, a proposer model stronger than the task "
                                   "model, or check that the metric rewards what you want.",
                                   baseline ? " (" + percentText(*baseline) + ")" : std::string())});
    }
    for (const std::string &note : state.notes()) {
        if (startsWith(note, "nothing beat the baseline") || startsWith(note, "every trial scored"))
            continue;
        if (startsWith(note, "minibatching is off"))
            out.push_back({"Minibatching was off", note + ". Add validation examples to make trials cheaper."});
        else if (note.find("failed") != std::string::npos)
            out.push_back({"Some work failed", note + ". Failed trials are not counted as 0; see the Log tab."});
        else
            out.push_back({"Note", note});
    }
    return out;
}

std::string formatDuration(double seconds)
{
    const long long total = std::max(0LL, static_cast<long long>(std::llround(seconds)));
    const long long h = total / 3600;
    const long long m = (total / 60) % 60;
    const long long s = total % 60;
    if (h > 0)
        return fmt::format("{}:{:02}:{:02}", h, m, s);
    return fmt::format("{}:{:02}", m, s);
}

} // namespace prism
