#pragma once

// What a run reports as it goes (DESIGN.md §5, docs/RUNS.md "Events"): one
// struct per event type, a variant of them, and the sink optimizers publish
// to. Plain data: the one place that turns them into JSON and back is
// events/event_codec.h. This folder sits below optimize/ and run/, so an
// optimizer can publish without knowing about the run machinery.
#include "core/example.h"
#include "core/value.h"
#include "events/run_status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace prism {

// The wire names ("run_started", ...) are those of eventTypeName.
enum class EventType {
    RunStarted,
    PhaseStarted,
    DemoSetReady,
    SummaryReady,
    InstructionProposed,
    TrialStarted,
    TrialFinished,
    FullEvalFinished,
    BestUpdated,
    BudgetWarning,
    Warning,
    Error,
    RunFinished,
    CandidateProposed,
    ProgramChosen,
};

const char *eventTypeName(EventType type);
bool eventTypeFromName(const std::string &name, EventType &out);

// One predictor's choice in a trial's config: instruction candidate i and,
// unless the search has no demo dimension (zero-shot), demo set j.
// Wire: {"<predictor>": {"instruction": i, "demos": j}, ...}.
struct ConfigChoice {
    std::string predictor;
    int instruction = 0;
    std::optional<int> demos;
    bool operator==(const ConfigChoice &other) const = default;
};

struct ModelInfo {
    std::string provider;
    std::string model;
    std::string baseUrl; // wire: base_url
    bool operator==(const ModelInfo &other) const = default;
};

struct RunStartedEvent {
    std::string runId;
    std::string optimizer;
    std::uint64_t seed = 0;
    std::string studyName;
    Fields settings; // the optimizer's knobs, DSPy names
    std::size_t trainSize = 0;
    std::size_t valSize = 0;
    std::size_t testSize = 0;
    ModelInfo taskModel;     // wire: models.task
    ModelInfo proposerModel; // wire: models.proposer
    bool operator==(const RunStartedEvent &other) const = default;
};

struct PhaseStartedEvent {
    std::string phase; // bootstrap | propose | search | final
    // Search trials planned, when the optimizer announces them with the phase.
    std::optional<int> numTrials;
    bool operator==(const PhaseStartedEvent &other) const = default;
};

struct DemoSetReadyEvent {
    std::string predictor;
    std::size_t index = 0;
    std::string kind; // labeled | bootstrapped | ...
    std::vector<Demo> demos;
    bool operator==(const DemoSetReadyEvent &other) const = default;
};

struct SummaryReadyEvent {
    std::string kind;                     // dataset | program | module
    std::optional<std::string> predictor; // module summaries only
    std::string text;
    bool operator==(const SummaryReadyEvent &other) const = default;
};

struct InstructionProposedEvent {
    std::string predictor;
    std::size_t index = 0;
    std::string text;
    std::optional<std::string> tip; // null for the original instruction
    bool operator==(const InstructionProposedEvent &other) const = default;
};

struct TrialStartedEvent {
    int trial = 0;
    std::string kind; // minibatch | full
    std::vector<ConfigChoice> config;
    std::string configKey;
    std::size_t examples = 0;
    // The sampler's ask this trial answers, 1..num_trials (wire
    // "search_trial", written when set). Unset for the baseline, for a full
    // evaluation chosen by rank, and for a trial that continues an earlier one
    // of the same ask (a screen's extension or its full evaluation).
    std::optional<int> searchTrial;
    bool operator==(const TrialStartedEvent &other) const = default;
};

struct TrialFinishedEvent {
    int trial = 0;
    std::string kind; // minibatch | full
    std::vector<ConfigChoice> config;
    std::string configKey;
    std::optional<double> score; // percent; empty when no example was scored
    std::size_t scored = 0;
    std::size_t errors = 0;
    std::size_t examples = 0;
    long long newCalls = 0;
    long long memoHits = 0;
    bool failed = false;              // wire: state "failed" | "complete"
    std::optional<std::string> error; // written when the trial failed
    // Validation indices in scoring order with their [0, 1] scores (empty = errored).
    std::vector<std::pair<std::size_t, std::optional<double>>> results;
    std::optional<int> searchTrial; // as TrialStartedEvent
    bool operator==(const TrialFinishedEvent &other) const = default;
};

struct FullEvalFinishedEvent {
    int trial = 0;
    std::vector<ConfigChoice> config;
    std::string configKey;
    double score = 0.0;
    std::optional<double> rankEstimate;
    bool operator==(const FullEvalFinishedEvent &other) const = default;
};

struct BestUpdatedEvent {
    int trial = 0;
    std::vector<ConfigChoice> config;
    std::string configKey;
    double score = 0.0;
    bool operator==(const BestUpdatedEvent &other) const = default;
};

struct BudgetWarningEvent {
    std::string message;
    bool operator==(const BudgetWarningEvent &other) const = default;
};

struct WarningEvent {
    std::string message;
    bool operator==(const WarningEvent &other) const = default;
};

struct ErrorEvent {
    std::string message;
    bool operator==(const ErrorEvent &other) const = default;
};

// LM calls of one role over every session of the run, from the ledger.
struct RoleCallTotals {
    long long calls = 0; // cache hits excluded
    long long cacheHits = 0;
    long long errors = 0;
    bool operator==(const RoleCallTotals &other) const = default;
};

struct RoleTokenTotals {
    std::optional<long long> prompt; // empty when unknown
    std::optional<long long> completion;
    bool operator==(const RoleTokenTotals &other) const = default;
};

struct OptimizerRoleCalls {
    long long calls = 0;
    long long cachedCalls = 0;
    bool operator==(const OptimizerRoleCalls &other) const = default;
};

struct RunFinishedEvent {
    StopReason stopReason; // wire: the stop reason's text
    std::optional<double> baselineScore;
    std::optional<double> bestScore;
    std::vector<std::string> notes;
    int trials = 0;
    std::map<std::string, RoleCallTotals> callsByRole;
    std::map<std::string, RoleTokenTotals> tokensByRole;
    std::optional<double> dollars;
    // optimizer_stats: what the optimizer itself counted.
    std::map<std::string, OptimizerRoleCalls> optimizerCallsByRole;
    int fullEvals = 0;
    long long memoHits = 0;
    bool operator==(const RunFinishedEvent &other) const = default;
};

// What GEPA's reflection read for one example of its minibatch: the
// predictor's inputs and outputs in the parent's run, and the metric's verdict.
struct ReflectionRecord {
    std::size_t example = 0; // train index
    Fields inputs;
    Fields outputs; // empty when the predictor's answer could not be read
    std::string feedback;
    std::optional<double> score; // [0, 1]; empty when the example errored
    bool operator==(const ReflectionRecord &other) const = default;
};

// One predictor's reflection in a GEPA proposal.
struct PredictorProposal {
    std::string predictor;
    std::vector<ReflectionRecord> records;
    std::string answer;               // the reflection model's new_instruction, as it answered
    std::optional<int> instruction;   // the new instruction's index (an instruction_proposed event)
    std::optional<std::string> error; // the reflection failed or gave nothing new
    bool operator==(const PredictorProposal &other) const = default;
};

// One GEPA iteration's proposal (docs/GEPA.md): a reflective mutation of a
// parent, or a merge of two frontier candidates, with the minibatch it was
// judged on and the verdict. Candidates are numbered in acceptance order;
// 0 is the student.
struct CandidateProposedEvent {
    int iteration = 0;
    std::string kind; // reflection | merge
    std::vector<int> parents;
    std::optional<int> candidate; // the new candidate's number, when accepted
    std::vector<ConfigChoice> config;
    std::string configKey;
    std::vector<PredictorProposal> proposals; // reflection only
    // Reflection: train indices; merge: validation indices.
    std::vector<std::size_t> minibatch;
    std::vector<std::optional<double>> parentScores; // per minibatch example (merge: the better parent's)
    std::vector<std::optional<double>> childScores;
    bool accepted = false;
    std::string verdict;          // why it was (not) accepted
    std::optional<int> trial;     // the full evaluation that follows an accepted candidate
    long long metricCalls = 0;    // used by the run so far, this proposal included
    long long maxMetricCalls = 0; // the run's budget
    bool operator==(const CandidateProposedEvent &other) const = default;
};

// After a run: a configuration the run evaluated was made the run's program
// instead of the optimizer's pick (issue 16 item 5), and by whom.
struct ProgramChosenEvent {
    std::vector<ConfigChoice> config;
    std::string configKey;
    std::optional<double> score; // its full evaluation on the selection split, percent
    std::string by;              // "user"
    std::string replaced;        // the config key of the program it replaces
    bool operator==(const ProgramChosenEvent &other) const = default;
};

// In EventType order: the variant's index is the type.
using EventPayload =
    std::variant<RunStartedEvent, PhaseStartedEvent, DemoSetReadyEvent, SummaryReadyEvent, InstructionProposedEvent,
                 TrialStartedEvent, TrialFinishedEvent, FullEvalFinishedEvent, BestUpdatedEvent, BudgetWarningEvent,
                 WarningEvent, ErrorEvent, RunFinishedEvent, CandidateProposedEvent, ProgramChosenEvent>;

EventType eventTypeOf(const EventPayload &payload);

struct RunEvent {
    std::uint64_t seq = 0; // 1-based, in emission order; deterministic for a seed
    double elapsedSeconds = 0.0;
    EventPayload payload; // never wall-clock time

    EventType type() const { return eventTypeOf(payload); }
    // The payload as T, or null when the event is of another type.
    template <typename T> const T *as() const { return std::get_if<T>(&payload); }
};

// Receives events from an optimizer. Implementations must be thread-safe:
// optimizers emit from their own thread only, but sinks may be shared.
class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void publish(EventPayload payload) = 0;
};

} // namespace prism
