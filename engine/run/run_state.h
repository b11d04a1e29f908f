#pragma once

// Where a run stands, folded from its events (docs/RUNS.md "Events"): the one
// fold of run events. The Monitor and Run pages, the CLI's progress and tests
// read it; the live monitor and a reopened run feed it the same events, so
// both show the same thing.
#include "events/events.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prism {

class RunState {
public:
    // One predictor's choice in a trial's config; demos is -1 when the
    // search has no demo dimension (zero-shot).
    struct Choice {
        std::string predictor;
        int instruction = 0;
        int demos = -1;
    };

    struct Trial {
        int number = 0;
        std::string kind; // minibatch | full
        std::vector<Choice> config;
        std::string configKey;
        std::optional<double> score; // percent; empty when the trial failed
        std::string state;           // complete | failed
        std::string error;
        int scored = 0;
        int errors = 0;
        int examples = 0;
        long long newCalls = 0;
        long long memoHits = 0;
        double elapsed = 0.0;
        // Example indices in the order the trial scored them, with their
        // scores ([0, 1], empty = the example errored).
        std::vector<std::pair<int, std::optional<double>>> results;
    };

    struct FullEval {
        int trial = 0;
        std::string configKey;
        double score = 0.0;
        std::optional<double> rankEstimate;
        double elapsed = 0.0;
    };

    // A best-so-far step: from this trial on, the best is score.
    struct BestPoint {
        int trial = 0;
        double score = 0.0;
        std::string configKey;
    };

    struct Candidate {
        std::string predictor;
        int index = 0;
        std::string text;
        std::string tip;            // empty for the original instruction
        std::string proposedIn;     // the phase, e.g. "propose"
        int proposedAfterTrial = 0; // trials finished when it was proposed
        int timesTried = 0;         // trials (any kind) whose config uses it
        int scoredTrials = 0;       // of those, the ones with a score
        double scoreSum = 0.0;
        std::optional<double> meanScore() const;
    };

    struct DemoSet {
        std::string predictor;
        int index = 0;
        std::string kind;
        std::vector<Demo> demos;
        std::string demosJson; // the demos as the event's JSON array
        int demoCount = 0;
        int timesTried = 0;
        int scoredTrials = 0;
        double scoreSum = 0.0;
        std::optional<double> meanScore() const;
    };

    struct Summary {
        std::string kind; // dataset | program | module
        std::string predictor;
        std::string text;
    };

    struct LogLine {
        enum class Level { Info, Phase, Warning, Error };
        Level level = Level::Info;
        double elapsed = 0.0;
        std::string text;
    };

    // Mean score of the trials that used instruction i and demo set j of a
    // predictor (other predictors' choices averaged over).
    struct HeatCell {
        double sum = 0.0;
        int count = 0; // trials with a score
        int tried = 0; // trials, failed ones included
        std::optional<double> mean() const;
    };
    struct Heatmap {
        int instructions = 0;        // rows
        int demoSets = 0;            // columns; 1 when there is no demo dimension
        std::vector<HeatCell> cells; // row-major
        const HeatCell *cell(int instruction, int demoSet) const;
    };

    struct RoleUsage {
        long long calls = 0;
        long long cacheHits = 0;
        long long errors = 0;
        std::optional<long long> promptTokens;
        std::optional<long long> completionTokens;
    };

    // What an apply() changed, so views refresh only that.
    enum ChangeFlag : unsigned {
        RunInfoChanged = 1u << 0, // run_started
        PhaseChanged = 1u << 1,
        TrialsAdded = 1u << 2,
        FullEvalsAdded = 1u << 3,
        BestChanged = 1u << 4,
        CandidatesAdded = 1u << 5,
        CandidateStatsChanged = 1u << 6, // times tried / mean of candidates and demo sets
        DemoSetsAdded = 1u << 7,
        SummariesAdded = 1u << 8,
        HeatmapChanged = 1u << 9,
        LogAdded = 1u << 10,
        Finished = 1u << 11,
        ProgressChanged = 1u << 12,
        ProposalsAdded = 1u << 13, // GEPA: candidate_proposed
    };
    struct Changes {
        unsigned flags = 0;
        // The first index of what was appended (equal to the size before apply).
        std::size_t firstNewTrial = 0;
        std::size_t firstNewFullEval = 0;
        std::size_t firstNewCandidate = 0;
        std::size_t firstNewDemoSet = 0;
        std::size_t firstNewSummary = 0;
        std::size_t firstNewLog = 0;
        std::size_t firstNewBestFull = 0;
        std::size_t firstNewProposal = 0;
        bool has(ChangeFlag flag) const { return (flags & flag) != 0; }
        bool any() const { return flags != 0; }
    };

    RunState() = default;

    void clear();
    // Folds a batch of events in seq order. Cost is linear in the batch (and
    // in the predictors of each trial), never in the run's history. Events
    // with a seq at or below the last one applied are ignored, so a batch
    // that overlaps a replay does no harm.
    Changes apply(const std::vector<RunEvent> &events);
    Changes apply(const RunEvent &event);

    // --- run_started ---
    const std::string &runId() const { return m_runId; }
    const std::string &optimizer() const { return m_optimizer; }
    const std::string &studyName() const { return m_studyName; }
    std::uint64_t seed() const { return m_seed; }
    const Fields &settings() const { return m_settings; }
    int trainSize() const { return m_trainSize; }
    int valSize() const { return m_valSize; }
    // Search trials the run plans (MIPROv2's num_trials, from the settings
    // or its auto preset); 0 when unknown (other optimizers).
    int plannedSearchTrials() const;
    // num_trials as the run announced it (its settings, or a phase_started
    // that carries it); empty when it did not.
    std::optional<int> announcedTrials() const { return m_settingsNumTrials; }
    bool minibatchMode() const;

    // --- progress ---
    const std::string &phase() const { return m_phase; }
    double elapsed() const { return m_elapsed; }
    std::uint64_t lastSeq() const { return m_lastSeq; }
    // Search trials finished: minibatch trials when minibatching, else the
    // full trials after the baseline.
    int searchTrialsDone() const;
    int trialsRunning() const { return m_trialsRunning; }
    // In [0, 1]; empty when the run's size is unknown. 1 once finished.
    std::optional<double> progress() const;
    // Seconds left, from the search's elapsed time over its progress; empty
    // before the first search trial or when the size is unknown.
    std::optional<double> etaSeconds() const;

    // --- trials and scores ---
    const std::vector<Trial> &trials() const { return m_trials; }
    int minibatchTrialCount() const { return m_minibatchTrials; }
    int failedTrialCount() const { return m_failedTrials; }
    const std::vector<FullEval> &fullEvals() const { return m_fullEvals; }
    // Steps of the best full-evaluation score (best_updated) and of the best
    // minibatch score, each in trial order.
    const std::vector<BestPoint> &bestFull() const { return m_bestFull; }
    const std::vector<BestPoint> &bestMinibatch() const { return m_bestMinibatch; }
    std::optional<double> bestScore() const;     // best full-evaluation score so far
    std::optional<double> baselineScore() const; // trial 1's full evaluation, or run_finished's
    // run_finished's best score once the run finished (an optimizer may
    // report its compiled program's score, below the best), else bestScore().
    std::optional<double> reportedBestScore() const;
    // The highest trial number finished so far; 0 before the first.
    int highestTrialNumber() const { return m_highestTrial; }
    // Index in trials() of the trial with this number; -1 when unknown.
    int trialIndex(int number) const;

    // --- candidates, demo sets, summaries ---
    const std::vector<Candidate> &candidates() const { return m_candidates; }
    const Candidate *candidate(const std::string &predictor, int index) const;
    const std::vector<DemoSet> &demoSets() const { return m_demoSets; }
    const std::vector<Summary> &summaries() const { return m_summaries; }
    // Predictor names in the order they first appeared.
    const std::vector<std::string> &predictors() const { return m_predictors; }
    // Instruction x demo-set grid of one predictor; an empty grid when unknown.
    Heatmap heatmap(const std::string &predictor) const;

    // --- GEPA ---
    // A program GEPA kept: candidate 0 is the student (the baseline trial),
    // each accepted proposal adds one.
    struct GepaCandidate {
        int number = 0;
        std::vector<int> parents;
        std::string kind;                 // seed | reflection | merge
        std::vector<std::string> mutated; // the predictors a reflection changed
        std::string configKey;
        int iteration = 0;
        std::optional<int> trial; // its full evaluation
    };
    const std::vector<CandidateProposedEvent> &proposals() const { return m_proposals; }
    // The configuration made the run's program after it ended, instead of the optimizer's pick.
    const std::optional<ProgramChosenEvent> &chosen() const { return m_chosen; }
    const std::vector<GepaCandidate> &gepaCandidates() const { return m_gepaCandidates; }
    // Metric calls used and allowed, from the last proposal; empty before one.
    std::optional<std::pair<long long, long long>> metricCallBudget() const { return m_metricCalls; }
    // Each GEPA candidate's scores on the validation examples ([0, 1], empty
    // = errored or not scored), from its full evaluation; rows in candidate
    // order, columns by example index up to valSize() (or up to the highest
    // index scored, when GEPA split its validation set off the trainset).
    std::vector<std::vector<std::optional<double>>> frontierScores() const;

    // --- log ---
    const std::vector<LogLine> &log() const { return m_log; }
    int warningCount() const { return m_warnings; }
    int errorCount() const { return m_errors; }
    // The message of the last warning, budget warning or error; empty when none.
    const std::string &lastWarning() const { return m_lastWarning; }

    // --- run_finished ---
    bool finished() const { return m_finished; }
    const StopReason &stopReason() const { return m_stopReason; }
    // From the stop reason; Running before run_finished.
    RunStatus status() const;
    const std::vector<std::string> &notes() const { return m_notes; }
    int finishedTrials() const { return m_finishedTrials; }
    const std::map<std::string, RoleUsage> &usageByRole() const { return m_usage; }
    std::optional<double> dollars() const { return m_dollars; }

private:
    void applyOne(const RunEvent &event, Changes &changes);
    // One per event type; elapsed is the event's.
    void on(const RunStartedEvent &e, double elapsed, Changes &changes);
    void on(const PhaseStartedEvent &e, double elapsed, Changes &changes);
    void on(const DemoSetReadyEvent &e, double elapsed, Changes &changes);
    void on(const SummaryReadyEvent &e, double elapsed, Changes &changes);
    void on(const InstructionProposedEvent &e, double elapsed, Changes &changes);
    void on(const TrialStartedEvent &e, double elapsed, Changes &changes);
    void on(const TrialFinishedEvent &e, double elapsed, Changes &changes);
    void on(const FullEvalFinishedEvent &e, double elapsed, Changes &changes);
    void on(const BestUpdatedEvent &e, double elapsed, Changes &changes);
    void on(const BudgetWarningEvent &e, double elapsed, Changes &changes);
    void on(const WarningEvent &e, double elapsed, Changes &changes);
    void on(const ErrorEvent &e, double elapsed, Changes &changes);
    void on(const RunFinishedEvent &e, double elapsed, Changes &changes);
    void on(const ProgramChosenEvent &e, double elapsed, Changes &changes);
    void on(const CandidateProposedEvent &e, double elapsed, Changes &changes);
    void addLog(LogLine::Level level, double elapsed, std::string text, Changes &changes);
    Candidate *findCandidate(const std::string &predictor, int index);
    DemoSet *findDemoSet(const std::string &predictor, int index);
    void notePredictor(const std::string &name);
    void countTrial(const Trial &trial);

    std::string m_runId;
    std::string m_optimizer;
    std::string m_studyName;
    std::uint64_t m_seed = 0;
    Fields m_settings;
    int m_trainSize = 0;
    int m_valSize = 0;
    std::optional<int> m_settingsNumTrials;
    std::string m_autoMode;
    bool m_settingsMinibatch = true;
    int m_minibatchSize = 0;
    bool m_zeroShot = false;

    std::string m_phase;
    double m_elapsed = 0.0;
    std::optional<double> m_searchStartElapsed;
    std::uint64_t m_lastSeq = 0;
    int m_trialsRunning = 0;

    std::vector<Trial> m_trials;
    std::map<int, std::size_t> m_trialByNumber;
    int m_minibatchTrials = 0;
    int m_searchTrialsFinished = 0; // trial_finished events with a search_trial
    int m_fullSearchTrials = 0;     // those of kind full
    int m_fullTrials = 0;
    int m_failedTrials = 0;
    int m_highestTrial = 0;
    std::vector<FullEval> m_fullEvals;
    std::vector<BestPoint> m_bestFull;
    std::vector<BestPoint> m_bestMinibatch;
    std::optional<double> m_baselineScore;

    std::vector<Candidate> m_candidates;
    std::map<std::pair<std::string, int>, std::size_t> m_candidateIndex;
    std::vector<DemoSet> m_demoSets;
    std::map<std::pair<std::string, int>, std::size_t> m_demoSetIndex;
    std::vector<Summary> m_summaries;
    std::vector<std::string> m_predictors;
    // Per predictor: (instruction, demo set) -> sum and count.
    std::map<std::string, std::map<std::pair<int, int>, HeatCell>> m_heat;

    std::vector<CandidateProposedEvent> m_proposals;
    std::vector<GepaCandidate> m_gepaCandidates;
    std::optional<std::pair<long long, long long>> m_metricCalls;

    std::vector<LogLine> m_log;
    int m_warnings = 0;
    int m_errors = 0;
    std::string m_lastWarning;

    bool m_finished = false;
    StopReason m_stopReason;
    std::vector<std::string> m_notes;
    int m_finishedTrials = 0;
    std::optional<double> m_finalBest;
    std::optional<ProgramChosenEvent> m_chosen;
    std::map<std::string, RoleUsage> m_usage;
    std::optional<double> m_dollars;
};

// A plain-words reading of how a run ended, for the monitor's explanation
// box: what the stop reason or a note means and what to try next.
struct RunExplanation {
    std::string title;
    std::string text;
};
std::vector<RunExplanation> explainRun(const RunState &state);

// "1:05", "12:03", "1:02:03".
std::string formatDuration(double seconds);

} // namespace prism
