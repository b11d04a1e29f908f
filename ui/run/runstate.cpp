#include "run/runstate.h"

#include "core/json.h"
#include "optimize/presets.h"
#include "run/events.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>

namespace prism {

namespace {

std::string stringOf(const Json &j, const char *key)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

long long integerOf(const Json &j, const char *key, long long fallback = 0)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<long long>() : fallback;
}

std::optional<double> numberOf(const Json &j, const char *key)
{
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return std::nullopt;
    return it->get<double>();
}

std::vector<RunState::Choice> choicesOf(const Json &config)
{
    std::vector<RunState::Choice> choices;
    if (!config.is_object())
        return choices;
    for (auto it = config.begin(); it != config.end(); ++it) {
        RunState::Choice c;
        c.predictor = it.key();
        c.instruction = static_cast<int>(integerOf(it.value(), "instruction"));
        c.demos = static_cast<int>(integerOf(it.value(), "demos", -1));
        choices.push_back(std::move(c));
    }
    return choices;
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
    for (const RunEvent &event : events) {
        if (event.seq != 0 && event.seq <= m_lastSeq)
            continue;
        applyOne(event, changes);
        if (event.seq != 0)
            m_lastSeq = event.seq;
    }
    return changes;
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
    static const Json kEmpty = Json::object();
    const Json payload = Json::parse(event.payloadJson, nullptr, false);
    const Json &p = payload.is_object() ? payload : kEmpty;
    m_elapsed = std::max(m_elapsed, event.elapsedSeconds);
    changes.flags |= ProgressChanged;

    switch (event.type) {
    case EventType::RunStarted: {
        m_runId = stringOf(p, "run_id");
        m_optimizer = stringOf(p, "optimizer");
        m_studyName = stringOf(p, "study_name");
        m_seed = static_cast<std::uint64_t>(integerOf(p, "seed"));
        m_trainSize = static_cast<int>(integerOf(p, "train_size"));
        m_valSize = static_cast<int>(integerOf(p, "val_size"));
        if (const auto it = p.find("settings"); it != p.end() && it->is_object()) {
            const Json &s = *it;
            m_settingsJson = s.dump(-1, ' ', false, Json::error_handler_t::replace);
            if (const auto n = numberOf(s, "num_trials"))
                m_settingsNumTrials = static_cast<int>(*n);
            m_autoMode = stringOf(s, "auto");
            if (const auto mb = s.find("minibatch"); mb != s.end() && mb->is_boolean())
                m_settingsMinibatch = mb->get<bool>();
            m_minibatchSize = static_cast<int>(integerOf(s, "minibatch_size"));
            m_zeroShot = integerOf(s, "max_bootstrapped_demos") == 0 && integerOf(s, "max_labeled_demos") == 0;
        }
        if (const auto it = p.find("models"); it != p.end())
            m_modelsJson = it->dump(-1, ' ', false, Json::error_handler_t::replace);
        changes.flags |= RunInfoChanged;
        addLog(LogLine::Level::Info, event.elapsedSeconds,
               fmt::format("run {} started: {} on \"{}\", seed {}, {} train / {} validation examples", m_runId,
                           m_optimizer, m_studyName, m_seed, m_trainSize, m_valSize),
               changes);
        break;
    }
    case EventType::PhaseStarted: {
        m_phase = stringOf(p, "phase");
        if (m_phase == "search" && !m_searchStartElapsed)
            m_searchStartElapsed = event.elapsedSeconds;
        changes.flags |= PhaseChanged;
        addLog(LogLine::Level::Phase, event.elapsedSeconds, "phase: " + m_phase, changes);
        break;
    }
    case EventType::DemoSetReady: {
        DemoSet set;
        set.predictor = stringOf(p, "predictor");
        set.index = static_cast<int>(integerOf(p, "index"));
        set.kind = stringOf(p, "kind");
        if (const auto it = p.find("demos"); it != p.end()) {
            set.demosJson = it->dump(-1, ' ', false, Json::error_handler_t::replace);
            set.demoCount = it->is_array() ? static_cast<int>(it->size()) : 0;
        }
        notePredictor(set.predictor);
        m_demoSetIndex[{set.predictor, set.index}] = m_demoSets.size();
        m_demoSets.push_back(std::move(set));
        changes.flags |= DemoSetsAdded | HeatmapChanged;
        break;
    }
    case EventType::SummaryReady: {
        m_summaries.push_back(Summary{stringOf(p, "kind"), stringOf(p, "predictor"), stringOf(p, "text")});
        changes.flags |= SummariesAdded;
        break;
    }
    case EventType::InstructionProposed: {
        Candidate c;
        c.predictor = stringOf(p, "predictor");
        c.index = static_cast<int>(integerOf(p, "index"));
        c.text = stringOf(p, "text");
        c.tip = stringOf(p, "tip");
        c.proposedIn = m_phase.empty() ? std::string("propose") : m_phase;
        c.proposedAfterTrial = static_cast<int>(m_trials.size());
        notePredictor(c.predictor);
        m_candidateIndex[{c.predictor, c.index}] = m_candidates.size();
        m_candidates.push_back(std::move(c));
        changes.flags |= CandidatesAdded | HeatmapChanged;
        break;
    }
    case EventType::TrialStarted:
        ++m_trialsRunning;
        break;
    case EventType::TrialFinished: {
        m_trialsRunning = std::max(0, m_trialsRunning - 1);
        Trial t;
        t.number = static_cast<int>(integerOf(p, "trial"));
        t.kind = stringOf(p, "kind");
        if (const auto it = p.find("config"); it != p.end())
            t.config = choicesOf(*it);
        t.configKey = stringOf(p, "config_key");
        t.score = numberOf(p, "score");
        t.state = stringOf(p, "state");
        t.error = stringOf(p, "error");
        t.scored = static_cast<int>(integerOf(p, "scored"));
        t.errors = static_cast<int>(integerOf(p, "errors"));
        t.examples = static_cast<int>(integerOf(p, "examples"));
        t.newCalls = integerOf(p, "new_calls");
        t.memoHits = integerOf(p, "memo_hits");
        t.elapsed = event.elapsedSeconds;
        if (const auto it = p.find("results"); it != p.end() && it->is_array()) {
            t.results.reserve(it->size());
            for (const Json &r : *it) {
                if (!r.is_array() || r.size() < 2 || !r[0].is_number())
                    continue;
                t.results.emplace_back(r[0].get<int>(), r[1].is_number() ? std::optional<double>(r[1].get<double>())
                                                                         : std::nullopt);
            }
        }
        if (t.kind == "minibatch") {
            ++m_minibatchTrials;
            if (t.score && (m_bestMinibatch.empty() || *t.score > m_bestMinibatch.back().score))
                m_bestMinibatch.push_back(BestPoint{t.number, *t.score, t.configKey});
        } else {
            ++m_fullTrials;
        }
        if (t.state == "failed" || !t.score) {
            ++m_failedTrials;
            addLog(LogLine::Level::Warning, event.elapsedSeconds,
                   fmt::format("trial {} ({}) failed: {}", t.number, t.configKey,
                               t.error.empty() ? std::string("no example was scored") : t.error),
                   changes);
        }
        countTrial(t);
        m_trialByNumber[t.number] = m_trials.size();
        m_trials.push_back(std::move(t));
        changes.flags |= TrialsAdded | CandidateStatsChanged | HeatmapChanged;
        break;
    }
    case EventType::FullEvalFinished: {
        FullEval f;
        f.trial = static_cast<int>(integerOf(p, "trial"));
        f.configKey = stringOf(p, "config_key");
        f.score = numberOf(p, "score").value_or(0.0);
        f.rankEstimate = numberOf(p, "rank_estimate");
        f.elapsed = event.elapsedSeconds;
        if (m_fullEvals.empty() && !m_baselineScore)
            m_baselineScore = f.score;
        m_fullEvals.push_back(std::move(f));
        changes.flags |= FullEvalsAdded;
        break;
    }
    case EventType::BestUpdated: {
        const auto score = numberOf(p, "score");
        if (score) {
            m_bestFull.push_back(BestPoint{static_cast<int>(integerOf(p, "trial")), *score, stringOf(p, "config_key")});
            changes.flags |= BestChanged;
        }
        break;
    }
    case EventType::BudgetWarning:
    case EventType::Warning:
        ++m_warnings;
        addLog(LogLine::Level::Warning, event.elapsedSeconds,
               (event.type == EventType::BudgetWarning ? "budget: " : "warning: ") + stringOf(p, "message"), changes);
        break;
    case EventType::Error:
        ++m_errors;
        addLog(LogLine::Level::Error, event.elapsedSeconds, "error: " + stringOf(p, "message"), changes);
        break;
    case EventType::RunFinished: {
        m_finished = true;
        m_trialsRunning = 0;
        m_stopReason = stringOf(p, "stop_reason");
        if (const auto baseline = numberOf(p, "baseline_score"))
            m_baselineScore = baseline;
        m_finalBest = numberOf(p, "best_score");
        m_finishedTrials = static_cast<int>(integerOf(p, "trials"));
        m_notes.clear();
        if (const auto it = p.find("notes"); it != p.end() && it->is_array())
            for (const Json &n : *it)
                if (n.is_string())
                    m_notes.push_back(n.get<std::string>());
        m_usage.clear();
        if (const auto it = p.find("calls_by_role"); it != p.end() && it->is_object())
            for (auto r = it->begin(); r != it->end(); ++r) {
                RoleUsage &u = m_usage[r.key()];
                u.calls = integerOf(r.value(), "calls");
                u.cacheHits = integerOf(r.value(), "cache_hits");
                u.errors = integerOf(r.value(), "errors");
            }
        if (const auto it = p.find("tokens_by_role"); it != p.end() && it->is_object())
            for (auto r = it->begin(); r != it->end(); ++r) {
                RoleUsage &u = m_usage[r.key()];
                if (const auto n = numberOf(r.value(), "prompt"))
                    u.promptTokens = static_cast<long long>(*n);
                if (const auto n = numberOf(r.value(), "completion"))
                    u.completionTokens = static_cast<long long>(*n);
            }
        m_dollars = numberOf(p, "dollars");
        changes.flags |= Finished;
        addLog(LogLine::Level::Info, event.elapsedSeconds, "finished: " + m_stopReason, changes);
        for (const std::string &note : m_notes)
            addLog(LogLine::Level::Info, event.elapsedSeconds, "note: " + note, changes);
        break;
    }
    }
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
    if (m_minibatchTrials > 0)
        return true;
    // A full search trial after the baseline settles it.
    if (m_fullTrials > 1)
        return false;
    return m_settingsMinibatch && m_autoMode.empty();
}

int RunState::searchTrialsDone() const
{
    if (m_minibatchTrials > 0)
        return m_minibatchTrials;
    return std::max(0, m_fullTrials - 1);
}

std::optional<double> RunState::progress() const
{
    if (m_finished)
        return 1.0;
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

std::string RunState::status() const
{
    if (!m_finished)
        return "running";
    if (m_stopReason == "cancelled")
        return "cancelled";
    if (startsWith(m_stopReason, "error"))
        return "failed";
    return "finished";
}

std::vector<RunExplanation> explainRun(const RunState &state)
{
    std::vector<RunExplanation> out;
    if (!state.finished())
        return out;
    const std::string &reason = state.stopReason();
    if (reason == "cancelled") {
        out.push_back({"Cancelled",
                       "The run was stopped before it finished. The best program found so far was kept. "
                       "A cancelled run can be resumed: it replays the calls it already paid for and goes on."});
    } else if (startsWith(reason, "budget")) {
        out.push_back({"Stopped by a budget",
                       fmt::format("The run reached its budget ({}) and started no new model call; the best program "
                                   "found so far was kept. Raise the budget, use fewer trials or smaller minibatches, "
                                   "or a cheaper task model.",
                                   reason.substr(std::min<std::size_t>(reason.size(), 8)))});
    } else if (startsWith(reason, "error")) {
        out.push_back({"The run failed",
                       fmt::format("{}. Check the Log tab for the first error; a model that cannot be reached or a "
                                   "metric that fails on every example stops a run.",
                                   reason)});
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
