#pragma once

// The compiled program saved in DSPy's JSON format (DSPy 3.3: `module.save("x.json")`),
// plus Prism's own `prism` block. See docs/ARTIFACTS.md.
#include "core/program.h"
#include "core/result.h"
#include "core/study.h"
#include "core/value.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prism {

// This build's version (the PRISM_VERSION compile definition).
const char *prismAppVersion();

// A model as recorded in an artifact: where it ran, never a key.
struct ArtifactModel {
    std::string provider;
    std::string model;
    std::string baseUrl; // empty = the provider's default
    bool operator==(const ArtifactModel &other) const = default;
};

ArtifactModel artifactModel(const ModelConfig &config);

struct SplitScores {
    std::optional<double> baseline;
    std::optional<double> optimized;
    bool operator==(const SplitScores &other) const = default;
};

// The `prism` block of an artifact: where the program came from. Nothing in
// it depends on wall-clock time unless the caller fills createdAt, so two runs
// with the same inputs and seed write byte-identical files.
struct ArtifactInfo {
    std::string appVersion = prismAppVersion();
    std::string studyName;
    std::string studyHash;
    std::string trainHash; // dataset content hashes; empty = omitted
    std::string valHash;
    std::string testHash;
    ArtifactModel taskModel;
    ArtifactModel proposerModel;
    std::optional<std::uint64_t> seed;
    std::string optimizer;               // miprov2 | bootstrap | labeled | ...
    Fields optimizerSettings;            // knob name -> value, written as a JSON object
    std::optional<double> baselineScore; // the scores the optimizer selected on
    std::optional<double> optimizedScore;
    std::map<std::string, SplitScores> splitScores; // "val" (or "train_holdout": the part of train an optimizer held
                                                    // out when the study has no val; "train" for random_search,
                                                    // which then selects on all of train) | "test"
    std::string runId;                              // empty = omitted
    // Set when someone made another configuration of the run its program
    // (wire: "chosen": {"by", "config_key", "replaced"}); empty = the optimizer's pick.
    std::string chosenBy;
    std::string chosenConfigKey;
    std::string replacedConfigKey;
    std::string createdAt; // ISO 8601 UTC, e.g. 2026-03-01T12:00:00Z; empty = omitted
    bool operator==(const ArtifactInfo &other) const = default;
};

// SHA-256 of the study's canonical text (studyToJsonText), lowercase hex.
std::string studyHash(const Study &study);
// The knobs the config's optimizer reads, under DSPy's names (auto, num_trials, max_bootstrapped_demos, ...).
Fields optimizerSettings(const OptimizerConfig &config);
// Study name and hash, models, seed, optimizer name and settings. Dataset
// hashes, scores, run id and createdAt are left for the caller.
ArtifactInfo artifactInfoFromStudy(const Study &study);

// DSPy's saved-program layout for a program:
//  - one Predict predictor: flat (the Predict state at the top level);
//  - one ChainOfThought predictor: under the key "predict";
//  - several predictors: keyed by predictor name, "<name>.predict" for ChainOfThought ones.
// Empty string = flat.
std::string dspyStateKey(const Program &program, std::size_t predictorIndex);

// The file DSPy's `module.save("x.json")` writes for this program, byte for
// byte (2-space indent, DSPy's key order, trailing newline), followed by the
// `prism` block when `info` is given. DSPy ignores the extra block when loading.
std::string programToDspyJson(const Program &program, const std::optional<ArtifactInfo> &info);

struct LoadedArtifact {
    Program program;
    std::optional<ArtifactInfo> info;  // the `prism` block, when the file has one
    std::vector<std::string> warnings; // things ignored on load (an LM state, unknown keys)
};

// Reads a DSPy saved program (any of the layouts above) against the study's
// program. DSPy saves no field names, so fields are matched by position to
// each predictor's effective signature (with `reasoning` for ChainOfThought);
// a different field count, a prefix or a default description that does not fit
// the field at that position, or a missing predictor fails with an error that
// names the difference. Instructions, prefixes, descriptions and demos come
// from the artifact; demo values are converted to the field types.
Result<LoadedArtifact> loadDspyProgram(const std::string &jsonText, const std::string &sourceName,
                                       const Program &studyProgram);
Result<LoadedArtifact> loadDspyProgramFile(const std::string &path, const Program &studyProgram);
// Written atomically: a failed save leaves any previous file untouched.
Result<void> saveDspyProgramFile(const std::string &path, const Program &program,
                                 const std::optional<ArtifactInfo> &info);

} // namespace prism
