#pragma once

#include "core/input_file.h"
#include "core/kinds.h"
#include "core/program.h"
#include "core/result.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prism {

// Where one split's rows come from. Paths are relative to the study file.
struct DatasetSource {
    std::string path;
    std::string format;                         // json | jsonl | csv; empty = from the extension
    std::map<std::string, std::string> columns; // field name -> column name (identity when absent)
    std::string listSeparator = ";";            // for list fields read from CSV text
    bool operator==(const DatasetSource &other) const = default;
};

// Byte limits on the data files (data.max_file_bytes, data.max_example_bytes).
// The defaults are far above any dataset a prompt is written for, yet stop a
// data file that is /dev/zero, or one example of 50 MB, at load.
inline constexpr std::uint64_t kDefaultMaxDataFileBytes = 256 * kMiB;
inline constexpr std::uint64_t kDefaultMaxExampleBytes = 1 * kMiB;
// Upper bound of both settings: more text than a desktop holds in memory.
inline constexpr std::uint64_t kMaxDataBytesSetting = 16 * 1024 * kMiB;

struct DataLimits {
    std::uint64_t maxFileBytes = kDefaultMaxDataFileBytes;   // a whole data file
    std::uint64_t maxExampleBytes = kDefaultMaxExampleBytes; // one row: a JSONL line, a CSV record, an array element
    bool operator==(const DataLimits &other) const = default;
};

// Either explicit files per split, or one source split by seeded fractions.
struct DataConfig {
    std::optional<DatasetSource> train;
    std::optional<DatasetSource> val;
    std::optional<DatasetSource> test;
    // Used when only `train` is given and fractions are set: carve val/test out of it.
    double valFraction = 0.0;
    double testFraction = 0.0;
    std::uint64_t splitSeed = 0;
    DataLimits limits;
    bool operator==(const DataConfig &other) const = default;
};

// One built-in metric applied to one output field.
struct FieldMetric {
    std::string field;
    std::string metric = "exact"; // exact | normalized_exact | f1 | jaccard | numeric | contains | regex
    double weight = 1.0;
    double tolerance = 0.0; // numeric: absolute tolerance
    std::string pattern;    // regex
    bool operator==(const FieldMetric &other) const = default;
};

// An LLM-as-judge metric: a judge model scores each answer against a rubric
// (and a reference field, when set) from 0 to 1 and says why.
struct JudgeSpec {
    std::string rubric;
    std::string referenceField; // an output field whose label the judge compares with; empty = none
    double passThreshold = 0.5; // a score at or above it passes (bootstrap's demo threshold by default)
    // With cheaper field metrics in MetricSpec::fields, which of their verdicts
    // are final, so the judge is called only when they cannot decide: "pass"
    // (a perfect cheap score is taken as 1) or "pass_and_fail" (a zero as 0, too).
    std::string cheapDecides = "pass";
    bool operator==(const JudgeSpec &other) const = default;
};

struct MetricSpec {
    std::string kind = "composite";  // composite | script | judge
    std::vector<FieldMetric> fields; // composite: weighted mean over these; judge: the cheaper metric, optional
    std::string script;              // script: JavaScript source of `function metric(example, pred, trace)`
    JudgeSpec judge;                 // judge only
    bool operator==(const MetricSpec &other) const = default;
};

// Another endpoint that serves the same model as its entry: a replica of a
// vLLM or Ollama deployment, or the same provider reached with another key.
// Unset fields are the entry's. The cache and the run journal know one model
// whichever endpoint answers, so an answer is never paid twice because another
// replica gave it.
struct ModelReplica {
    std::string baseUrl;   // required
    std::string apiKeyEnv; // empty: the entry's api_key_env
    std::optional<int> maxConcurrency;
    std::optional<double> requestsPerMinute;
    std::optional<double> tokensPerMinute;
    bool operator==(const ModelReplica &other) const = default;
};

// A model endpoint. The API key is never stored: only the NAME of the
// environment variable that holds it.
struct ModelConfig {
    Provider provider = Provider::SimLm;
    std::string model = "sim-small";
    std::string baseUrl;
    std::string apiKeyEnv;
    double temperature = 0.0;
    int maxTokens = 1024;
    // The largest prompt (all messages, tokens as estimateTokens guesses them)
    // a call may send; a longer one fails before it is sent. Unset: the
    // default of the model family (lm/context_limit.h).
    std::optional<int> maxPromptTokens;
    double timeoutSeconds = 60.0;
    int maxConcurrency = 8;
    // The provider's per-minute limits for this endpoint; 0 = none. The
    // scheduler paces calls to stay under them (tokens: prompt + max_tokens).
    double requestsPerMinute = 0.0;
    double tokensPerMinute = 0.0;
    // Retries of a retryable failure (429, 5xx, timeout, a dropped
    // connection): at most maxRetries, the n-th after a random wait of up to
    // retryBaseSeconds * 2^n (capped at 30 s; a server's Retry-After wins).
    int maxRetries = 6;
    double retryBaseSeconds = 0.5;
    std::map<std::string, std::string> extraHeaders;
    // More endpoints of this model (HTTP providers only); calls are spread
    // over base_url and these by outstanding requests, with failover.
    std::vector<ModelReplica> replicas;
    bool operator==(const ModelConfig &other) const = default;
};

// Every endpoint of a model entry as an entry of its own: the entry itself,
// then each replica with the entry's settings where it sets none (replicas
// cleared in all of them).
std::vector<ModelConfig> endpointConfigs(const ModelConfig &entry);

// MIPROv2 knobs use DSPy's names; see docs/STUDY_FORMAT.md.
// GEPA's knobs (DSPy's names in the study file; docs/GEPA.md). Exactly one
// budget applies: the optimizer's `auto`, max_metric_calls or max_full_evals.
enum class GepaSelection {
    Pareto,      // a parent drawn from the Pareto frontier, weighted by the examples it leads on
    CurrentBest, // always the candidate with the best validation mean
};
enum class GepaComponents {
    RoundRobin, // one predictor per proposal, in turn per parent
    All,        // every predictor in one proposal
};
const char *gepaSelectionName(GepaSelection selection);
const char *gepaComponentsName(GepaComponents components);
std::optional<GepaSelection> gepaSelectionFromName(const std::string &name);
std::optional<GepaComponents> gepaComponentsFromName(const std::string &name);

struct GepaConfig {
    std::optional<int> maxMetricCalls; // program runs on an example; memo hits are free
    std::optional<int> maxFullEvals;   // max_metric_calls = this x (train + val)
    int reflectionMinibatchSize = 3;
    GepaSelection candidateSelection = GepaSelection::Pareto;
    GepaComponents componentSelector = GepaComponents::RoundRobin;
    bool useMerge = true;
    int maxMergeInvocations = 5;
    bool skipPerfectScore = true;
    // Prism's own cap on reflection calls (DSPy has none); unset = no cap.
    std::optional<int> maxReflectionCalls;
    bool operator==(const GepaConfig &other) const = default;
};

// random_search's num_candidates when unset (DSPy's num_candidate_programs default).
inline constexpr int kRandomSearchCandidates = 16;

struct OptimizerConfig {
    std::string name = "miprov2";   // miprov2 | gepa | bootstrap | labeled | random_search
    std::string autoMode = "light"; // light | medium | heavy | "" (manual)
    std::optional<int> numTrials;
    // miprov2: demo sets and instruction candidates (at least 1); random_search:
    // DSPy's num_candidate_programs, shuffled bootstraps after the three fixed
    // candidates (0 or more; unset = 16).
    std::optional<int> numCandidates;
    int maxBootstrappedDemos = 4;
    int maxLabeledDemos = 4;
    int maxRounds = 1;
    std::optional<double> metricThreshold;
    // random_search: stop once a candidate scores at least this (percent, as
    // the scores); unset = score every candidate.
    std::optional<double> stopAtScore;
    std::uint64_t seed = 0;
    bool minibatch = true;
    int minibatchSize = 35;
    int minibatchFullEvalSteps = 5;
    double initTemperature = 1.0;
    int viewDataBatchSize = 10;
    bool programAwareProposer = true;
    bool dataAwareProposer = true;
    bool tipAwareProposer = true;
    bool fewshotAwareProposer = true;
    std::string tip; // empty = a random tip per proposal
    GepaConfig gepa;
    bool operator==(const OptimizerConfig &other) const = default;
};

struct EvalSettings {
    int threads = 8;
    int maxErrors = 10; // evaluation stops after this many errors
    AdapterKind adapter = AdapterKind::Chat;
    bool operator==(const EvalSettings &other) const = default;
};

// A saved `.prism.json` study. Never holds an API key.
// Thread counts anywhere (a study's eval.threads, --threads) are 1 to this.
inline constexpr int kMaxThreads = 1024;

struct Study {
    int formatVersion = 1;
    std::string name;
    std::string description; // free text shown with the study
    DataConfig data;
    Program program;
    MetricSpec metric;
    ModelConfig taskModel;
    ModelConfig proposerModel;
    ModelConfig reflectionModel; // GEPA's reflection calls; the proposer's unless set
    ModelConfig judgeModel;      // a judge metric's calls; the proposer's unless set
    OptimizerConfig optimizer;
    EvalSettings eval;

    // Directory of the study file; relative dataset paths resolve against it. Not saved.
    std::string baseDir;
    std::string resolvePath(const std::string &path) const;
    bool operator==(const Study &other) const = default;
};

// Loading checks every value's type and range, naming the key path and line of
// the first bad one. Keys that no part of Prism reads (a typo such as "metrics"
// for "metric") do not fail the load: each becomes one line in `warnings`
// (when given), with the nearest known key.
Result<Study> loadStudy(const std::string &path, std::vector<std::string> *warnings = nullptr);
Result<Study> studyFromJsonText(const std::string &text, const std::string &sourceName,
                                std::vector<std::string> *warnings = nullptr);
std::string studyToJsonText(const Study &study);
Result<void> saveStudy(const Study &study, const std::string &path);

} // namespace prism
