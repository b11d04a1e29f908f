#include "artifact/artifact.h"

#include "core/demo_value.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#ifndef PRISM_VERSION
#define PRISM_VERSION "0.0.0"
#endif

namespace prism {

namespace {

constexpr int kArtifactFormat = 1;

// What DSPy 3.3.1 writes; DSPy only warns when these differ from its own.
Json dependencyVersions()
{
    Json v = Json::object();
    v["python"] = "3.11";
    v["dspy"] = "3.3.1";
    v["cloudpickle"] = "2.1";
    return v;
}

std::string defaultDescription(const std::string &name)
{
    return "${" + name + "}";
}

Json predictorState(const Predictor &predictor)
{
    const Signature effective = predictor.effectiveSignature();
    Json state = Json::object();
    state["traces"] = Json::array();
    state["train"] = Json::array();
    Json demos = Json::array();
    for (const auto &demo : predictor.demos)
        demos.push_back(toJson(demo)); // "augmented" first, then the demo's own order, as Example.toDict
    state["demos"] = demos;
    Json fields = Json::array();
    for (const auto *list : {&effective.inputs, &effective.outputs}) {
        for (const auto &field : *list) {
            Json f = Json::object();
            f["prefix"] = field.effectivePrefix();
            f["description"] = field.description.empty() ? defaultDescription(field.name) : field.description;
            fields.push_back(f);
        }
    }
    Json signature = Json::object();
    // DSPy's default instruction is computed before ChainOfThought adds `reasoning`.
    signature["instructions"] =
        predictor.signature.instruction.empty()
            ? Signature::defaultInstruction(predictor.signature.inputs, predictor.signature.outputs)
            : predictor.signature.instruction;
    signature["fields"] = fields;
    state["signature"] = signature;
    state["lm"] = nullptr;
    return state;
}

Json modelToJson(const ArtifactModel &model)
{
    Json j = Json::object();
    j["provider"] = model.provider;
    j["model"] = model.model;
    if (!model.baseUrl.empty())
        j["base_url"] = model.baseUrl;
    return j;
}

Json scoresToJson(const std::optional<double> &baseline, const std::optional<double> &optimized)
{
    Json j = Json::object();
    if (baseline)
        j["baseline"] = *baseline;
    if (optimized)
        j["optimized"] = *optimized;
    return j;
}

Json infoToJson(const ArtifactInfo &info)
{
    Json j = Json::object();
    j["format"] = kArtifactFormat;
    j["app_version"] = info.appVersion;
    j["study"] = Json{{"name", info.studyName}, {"hash", info.studyHash}};
    Json datasets = Json::object();
    if (!info.trainHash.empty())
        datasets["train"] = info.trainHash;
    if (!info.valHash.empty())
        datasets["val"] = info.valHash;
    if (!info.testHash.empty())
        datasets["test"] = info.testHash;
    j["datasets"] = datasets;
    j["models"] = Json{{"task", modelToJson(info.taskModel)}, {"proposer", modelToJson(info.proposerModel)}};
    j["seed"] = info.seed ? Json(*info.seed) : Json(nullptr);
    j["optimizer"] = Json{{"name", info.optimizer}, {"settings", toJson(info.optimizerSettings)}};
    Json scores = scoresToJson(info.baselineScore, info.optimizedScore);
    if (!info.splitScores.empty()) {
        Json splits = Json::object();
        for (const auto &[split, s] : info.splitScores)
            splits[split] = scoresToJson(s.baseline, s.optimized);
        scores["splits"] = splits;
    }
    if (!scores.empty())
        j["scores"] = scores;
    if (!info.runId.empty())
        j["run_id"] = info.runId;
    if (!info.chosenBy.empty())
        j["chosen"] =
            Json{{"by", info.chosenBy}, {"config_key", info.chosenConfigKey}, {"replaced", info.replacedConfigKey}};
    if (!info.createdAt.empty())
        j["created_at"] = info.createdAt;
    return j;
}

// ---- reading -------------------------------------------------------------

Error parseError(const std::string &source, const std::string &what)
{
    return Error::make(ErrorKind::Parse, source + ": " + what);
}

Error mismatch(const std::string &source, const std::string &what)
{
    return Error::make(ErrorKind::Data, source + ": " + what);
}

// Reads optional string `key` of object `j`; false when present but not a string.
bool readString(const Json &j, const char *key, std::string &out)
{
    if (!j.contains(key) || j[key].is_null())
        return true;
    if (!j[key].is_string())
        return false;
    out = j[key].get<std::string>();
    return true;
}

bool readScore(const Json &j, const char *key, std::optional<double> &out)
{
    if (!j.contains(key) || j[key].is_null())
        return true;
    if (!j[key].is_number())
        return false;
    out = j[key].get<double>();
    return true;
}

Result<ArtifactModel> modelFromJson(const Json &j, const std::string &where)
{
    if (!j.is_object())
        return Error::make(ErrorKind::Parse, where + " must be an object");
    ArtifactModel m;
    if (!readString(j, "provider", m.provider) || !readString(j, "model", m.model)
        || !readString(j, "base_url", m.baseUrl))
        return Error::make(ErrorKind::Parse, where + ": provider, model and base_url must be strings");
    return m;
}

Result<ArtifactInfo> infoFromJson(const Json &j)
{
    auto bad = [](const std::string &what) { return Error::make(ErrorKind::Parse, "prism block: " + what); };
    if (!j.is_object())
        return bad("must be an object");
    if (j.contains("format") && !j["format"].is_number_integer())
        return bad("\"format\" must be an integer");
    ArtifactInfo info;
    info.appVersion.clear();
    if (!readString(j, "app_version", info.appVersion))
        return bad("\"app_version\" must be a string");
    if (j.contains("study")) {
        const Json &s = j["study"];
        if (!s.is_object() || !readString(s, "name", info.studyName) || !readString(s, "hash", info.studyHash))
            return bad("\"study\" must be an object with string \"name\" and \"hash\"");
    }
    if (j.contains("datasets")) {
        const Json &d = j["datasets"];
        if (!d.is_object() || !readString(d, "train", info.trainHash) || !readString(d, "val", info.valHash)
            || !readString(d, "test", info.testHash))
            return bad("\"datasets\" must map train / val / test to hash strings");
    }
    if (j.contains("models")) {
        const Json &m = j["models"];
        if (!m.is_object())
            return bad("\"models\" must be an object");
        if (m.contains("task")) {
            auto task = modelFromJson(m["task"], "prism block: models.task");
            if (!task)
                return task.error();
            info.taskModel = task.value();
        }
        if (m.contains("proposer")) {
            auto proposer = modelFromJson(m["proposer"], "prism block: models.proposer");
            if (!proposer)
                return proposer.error();
            info.proposerModel = proposer.value();
        }
    }
    if (j.contains("seed") && !j["seed"].is_null()) {
        if (!j["seed"].is_number_unsigned())
            return bad("\"seed\" must be a non-negative integer");
        info.seed = j["seed"].get<std::uint64_t>();
    }
    if (j.contains("optimizer")) {
        const Json &o = j["optimizer"];
        if (!o.is_object() || !readString(o, "name", info.optimizer))
            return bad("\"optimizer\" must be an object with a string \"name\"");
        if (o.contains("settings")) {
            auto settings = fieldsFromJson(o["settings"]);
            if (!settings)
                return bad("optimizer.settings: " + settings.error().message);
            info.optimizerSettings = settings.value();
        }
    }
    if (j.contains("scores")) {
        const Json &s = j["scores"];
        if (!s.is_object() || !readScore(s, "baseline", info.baselineScore)
            || !readScore(s, "optimized", info.optimizedScore))
            return bad("\"scores\" must be an object with numeric \"baseline\" and \"optimized\"");
        if (s.contains("splits")) {
            if (!s["splits"].is_object())
                return bad("scores.splits must be an object");
            for (auto it = s["splits"].begin(); it != s["splits"].end(); ++it) {
                SplitScores split;
                if (!it.value().is_object() || !readScore(it.value(), "baseline", split.baseline)
                    || !readScore(it.value(), "optimized", split.optimized))
                    return bad("scores.splits." + it.key()
                               + " must be an object with numeric \"baseline\" and \"optimized\"");
                info.splitScores[it.key()] = split;
            }
        }
    }
    if (!readString(j, "run_id", info.runId))
        return bad("\"run_id\" must be a string");
    if (!readString(j, "created_at", info.createdAt))
        return bad("\"created_at\" must be a string");
    if (j.contains("chosen")) {
        const Json &c = j["chosen"];
        if (!c.is_object() || !readString(c, "by", info.chosenBy) || !readString(c, "config_key", info.chosenConfigKey)
            || !readString(c, "replaced", info.replacedConfigKey))
            return bad("\"chosen\" must be an object with string \"by\", \"config_key\" and \"replaced\"");
    }
    return info;
}

std::string fieldNames(const Signature &signature)
{
    std::string out;
    for (const auto *list : {&signature.inputs, &signature.outputs})
        for (const auto &f : *list)
            out += (out.empty() ? "" : ", ") + f.name;
    return out;
}

// The "name" in a default description "${name}", or empty.
std::string defaultDescriptionName(const std::string &description)
{
    if (description.size() > 3 && description.compare(0, 2, "${") == 0 && description.back() == '}')
        return description.substr(2, description.size() - 3);
    return {};
}

struct SavedField {
    std::string prefix;
    std::string description;
};

// Applies one saved predictor state to the study's predictor.
Result<Predictor> loadPredictorState(const Json &state, const Predictor &studyPredictor, const std::string &source,
                                     const std::string &key, std::vector<std::string> &warnings)
{
    const std::string where =
        source + ": predictor '" + studyPredictor.name + "'" + (key.empty() ? std::string() : " (key \"" + key + "\")");
    auto bad = [&](const std::string &what) { return Error::make(ErrorKind::Parse, where + ": " + what); };
    if (state.contains("extended_signature"))
        return bad("has an \"extended_signature\": a file from DSPy 2.5 or older, which DSPy 2.6+ cannot load either");
    if (!state.contains("signature") || !state["signature"].is_object())
        return bad("\"signature\" must be an object with \"instructions\" and \"fields\"");
    const Json &sig = state["signature"];
    if (!sig.contains("instructions") || !sig["instructions"].is_string())
        return bad("signature.instructions must be a string");
    if (!sig.contains("fields") || !sig["fields"].is_array())
        return bad("signature.fields must be an array of {\"prefix\", \"description\"}");
    std::vector<SavedField> saved;
    for (std::size_t i = 0; i < sig["fields"].size(); ++i) {
        const Json &f = sig["fields"][i];
        if (!f.is_object() || !f.contains("prefix") || !f["prefix"].is_string() || !f.contains("description")
            || !f["description"].is_string())
            return bad("signature.fields[" + std::to_string(i)
                       + "] must be an object with string \"prefix\" and \"description\"");
        saved.push_back({f["prefix"].get<std::string>(), f["description"].get<std::string>()});
    }

    const Signature effective = studyPredictor.effectiveSignature();
    const std::size_t nInputs = effective.inputs.size();
    const std::size_t nFields = nInputs + effective.outputs.size();
    auto effectiveField = [&](std::size_t i) -> const Field & {
        return i < nInputs ? effective.inputs[i] : effective.outputs[i - nInputs];
    };
    const std::string mwhere = "predictor '" + studyPredictor.name + "'";
    if (saved.size() != nFields)
        return mismatch(source, mwhere + ": the artifact has " + std::to_string(saved.size())
                                    + " fields, the study's signature has " + std::to_string(nFields) + " ("
                                    + fieldNames(effective) + ")");
    for (std::size_t i = 0; i < nFields; ++i) {
        const Field &f = effectiveField(i);
        const std::string position = "field " + std::to_string(i + 1);
        if (saved[i].prefix != f.effectivePrefix())
            return mismatch(source, mwhere + ": " + position + " is '" + saved[i].prefix + "' in the artifact but '"
                                        + f.name + "' (" + f.effectivePrefix() + ") in the study");
        // A default description carries the field's name: the one name check DSPy's format allows.
        const std::string named = defaultDescriptionName(saved[i].description);
        if (!named.empty() && named != f.name)
            return mismatch(source, mwhere + ": " + position + " is named '" + named
                                        + "' in the artifact (description \"" + saved[i].description + "\") but '"
                                        + f.name + "' in the study");
    }

    Predictor out = studyPredictor;
    out.signature.instruction = sig["instructions"].get<std::string>();
    std::size_t index = 0;
    // Prefixes matched above, so the study's (possibly inferred) prefix stays; descriptions come from the artifact.
    auto apply = [](Field &field, const SavedField &s) {
        field.description = s.description == defaultDescription(field.name) ? std::string() : s.description;
    };
    for (auto &field : out.signature.inputs)
        apply(field, saved[index++]);
    std::vector<Field> outputs;
    if (effective.outputs.size() != studyPredictor.signature.outputs.size()) {
        // ChainOfThought's implicit `reasoning`: keep a custom description by making the field explicit.
        const SavedField &reasoning = saved[index++];
        if (reasoning.description != defaultDescription("reasoning")) {
            Field r = effective.outputs.front();
            r.description = reasoning.description;
            outputs.push_back(r);
        }
    }
    for (Field field : studyPredictor.signature.outputs) {
        apply(field, saved[index++]);
        outputs.push_back(std::move(field));
    }
    out.signature.outputs = std::move(outputs);

    out.demos.clear();
    if (state.contains("demos") && !state["demos"].is_null()) {
        if (!state["demos"].is_array())
            return bad("\"demos\" must be an array");
        for (std::size_t d = 0; d < state["demos"].size(); ++d) {
            const Json &dj = state["demos"][d];
            if (!dj.is_object())
                return bad("demo " + std::to_string(d + 1) + " must be an object of field values");
            Demo demo;
            for (auto it = dj.begin(); it != dj.end(); ++it) {
                if (it.key() == "augmented") {
                    if (!it.value().is_boolean())
                        return bad("demo " + std::to_string(d + 1) + ": \"augmented\" must be true or false");
                    demo.augmented = it.value().get<bool>();
                    continue;
                }
                const Field *field = effective.findField(it.key());
                if (!field) {
                    demo.values.set(it.key(), valueFromJson(it.value())); // DSPy keeps extra keys too
                    continue;
                }
                auto v = readDemoValue(it.value(), *field, d + 1);
                if (!v)
                    return mismatch(source, mwhere + ": " + v.error().message);
                demo.values.set(it.key(), std::move(v.value()));
            }
            out.demos.push_back(std::move(demo));
        }
    }
    if (state.contains("lm") && !state["lm"].is_null())
        warnings.push_back(where + ": the saved LM settings are ignored; Prism uses the study's task model");
    return out;
}

bool isPredictorState(const Json &j)
{
    return j.is_object() && j.contains("signature");
}

std::string joinKeys(const std::vector<std::string> &keys)
{
    std::string out;
    for (const auto &k : keys)
        out += (out.empty() ? "" : ", ") + k;
    return out.empty() ? "none" : out;
}

} // namespace

const char *prismAppVersion()
{
    return PRISM_VERSION;
}

ArtifactModel artifactModel(const ModelConfig &config)
{
    return ArtifactModel{providerName(config.provider), config.model, config.baseUrl};
}

std::string studyHash(const Study &study)
{
    return sha256Hex(studyToJsonText(study));
}

Fields optimizerSettings(const OptimizerConfig &c)
{
    auto opt = [](const auto &o) { return o ? Value(*o) : Value(); };
    Fields f;
    // Only the knobs the optimizer reads: a LabeledFewShot run has no "auto".
    if (c.name == "labeled") {
        f.set("max_labeled_demos", c.maxLabeledDemos);
        return f;
    }
    if (c.name == "bootstrap" || c.name == "random_search") {
        f.set("max_bootstrapped_demos", c.maxBootstrappedDemos);
        f.set("max_labeled_demos", c.maxLabeledDemos);
        f.set("max_rounds", c.maxRounds);
        f.set("metric_threshold", opt(c.metricThreshold));
        if (c.name == "random_search") {
            // DSPy's names: num_candidate_programs is the study's num_candidates.
            f.set("num_candidate_programs", c.numCandidates.value_or(kRandomSearchCandidates));
            f.set("stop_at_score", opt(c.stopAtScore));
        }
        return f;
    }
    f.set("auto", c.autoMode.empty() ? Value() : Value(c.autoMode));
    if (c.name == "gepa") {
        const GepaConfig &g = c.gepa;
        f.set("max_metric_calls", opt(g.maxMetricCalls));
        f.set("max_full_evals", opt(g.maxFullEvals));
        f.set("reflection_minibatch_size", g.reflectionMinibatchSize);
        f.set("candidate_selection_strategy", std::string(gepaSelectionName(g.candidateSelection)));
        f.set("component_selector", std::string(gepaComponentsName(g.componentSelector)));
        f.set("use_merge", g.useMerge);
        f.set("max_merge_invocations", g.maxMergeInvocations);
        f.set("skip_perfect_score", g.skipPerfectScore);
        f.set("max_reflection_calls", opt(g.maxReflectionCalls));
        return f;
    }
    f.set("num_trials", opt(c.numTrials));
    f.set("num_candidates", opt(c.numCandidates));
    f.set("max_bootstrapped_demos", c.maxBootstrappedDemos);
    f.set("max_labeled_demos", c.maxLabeledDemos);
    f.set("max_rounds", c.maxRounds);
    f.set("metric_threshold", opt(c.metricThreshold));
    f.set("minibatch", c.minibatch);
    f.set("minibatch_size", c.minibatchSize);
    f.set("minibatch_full_eval_steps", c.minibatchFullEvalSteps);
    f.set("init_temperature", c.initTemperature);
    f.set("view_data_batch_size", c.viewDataBatchSize);
    f.set("program_aware_proposer", c.programAwareProposer);
    f.set("data_aware_proposer", c.dataAwareProposer);
    f.set("tip_aware_proposer", c.tipAwareProposer);
    f.set("fewshot_aware_proposer", c.fewshotAwareProposer);
    f.set("tip", c.tip.empty() ? Value() : Value(c.tip));
    return f;
}

ArtifactInfo artifactInfoFromStudy(const Study &study)
{
    ArtifactInfo info;
    info.studyName = study.name;
    info.studyHash = studyHash(study);
    info.taskModel = artifactModel(study.taskModel);
    info.proposerModel = artifactModel(study.proposerModel);
    info.seed = study.optimizer.seed;
    info.optimizer = study.optimizer.name;
    info.optimizerSettings = optimizerSettings(study.optimizer);
    return info;
}

std::string dspyStateKey(const Program &program, std::size_t predictorIndex)
{
    const Predictor &p = program.predictors.at(predictorIndex);
    const bool cot = p.kind == PredictorKind::ChainOfThought;
    if (program.predictors.size() == 1)
        return cot ? "predict" : "";
    return cot ? p.name + ".predict" : p.name;
}

std::string programToDspyJson(const Program &program, const std::optional<ArtifactInfo> &info)
{
    Json root = Json::object();
    if (program.predictors.size() == 1 && dspyStateKey(program, 0).empty()) {
        root = predictorState(program.predictors.front());
    } else {
        for (std::size_t i = 0; i < program.predictors.size(); ++i)
            root[dspyStateKey(program, i)] = predictorState(program.predictors[i]);
    }
    root["metadata"] = Json{{"dependency_versions", dependencyVersions()}};
    if (info)
        root["prism"] = infoToJson(*info);
    // orjson writes UTF-8 as is; invalid bytes from a model's output become U+FFFD rather than an exception.
    return root.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<LoadedArtifact> loadDspyProgram(const std::string &jsonText, const std::string &sourceName,
                                       const Program &studyProgram)
{
    auto parsed = parseJson(jsonText, sourceName);
    if (!parsed)
        return parsed.error();
    const Json &root = parsed.value();
    if (studyProgram.predictors.empty())
        return Error::make(ErrorKind::Config, sourceName + ": the study's program has no predictor to load into");
    if (!root.is_object())
        return parseError(sourceName, "unknown layout: a DSPy saved program is a JSON object, this file holds "
                                          + shortJsonText(root));

    LoadedArtifact out;
    try {
        // Collect the saved predictor states: the top level itself (flat) or keyed entries.
        std::vector<std::pair<std::string, const Json *>> entries;
        if (root.contains("signature")) {
            entries.emplace_back(std::string(), &root);
        } else {
            std::vector<std::string> ignored;
            for (auto it = root.begin(); it != root.end(); ++it) {
                if (it.key() == "metadata" || it.key() == "prism")
                    continue;
                if (isPredictorState(it.value()))
                    entries.emplace_back(it.key(), &it.value());
                else
                    ignored.push_back(it.key());
            }
            if (entries.empty()) {
                std::vector<std::string> keys;
                for (auto it = root.begin(); it != root.end(); ++it)
                    keys.push_back(it.key());
                return parseError(sourceName,
                                  "unknown layout: no saved predictor found (expected \"signature\" at the top level "
                                  "for a dspy.Predict, or entries such as \"predict\" holding one; top-level keys: "
                                      + joinKeys(keys) + ")");
            }
            for (const auto &key : ignored)
                out.warnings.push_back(sourceName + ": top-level key \"" + key
                                       + "\" is not a saved predictor; ignored");
        }
        auto entryNames = [&]() {
            std::vector<std::string> names;
            for (const auto &e : entries)
                names.push_back(e.first.empty() ? std::string("(flat)") : e.first);
            return joinKeys(names);
        };

        const auto &predictors = studyProgram.predictors;
        std::vector<bool> used(entries.size(), false);
        for (std::size_t i = 0; i < predictors.size(); ++i) {
            const std::string expected = dspyStateKey(studyProgram, i);
            std::optional<std::size_t> match;
            for (std::size_t e = 0; e < entries.size() && !match; ++e)
                if (!used[e] && entries[e].first == expected)
                    match = e;
            // Accept the predictor's name with or without ".predict" (a module attribute holding a
            // Predict or a ChainOfThought); the fields check decides whether it fits.
            const std::string &name = predictors[i].name;
            for (const std::string &alternate : {name, name + ".predict"})
                for (std::size_t e = 0; e < entries.size() && !match; ++e)
                    if (!used[e] && entries[e].first == alternate)
                        match = e;
            if (!match && predictors.size() == 1 && entries.size() == 1)
                match = 0; // one predictor either way, under another attribute name: the fields decide
            if (!match) {
                if (entries.size() == 1 && entries.front().first.empty())
                    return mismatch(
                        sourceName,
                        "the artifact holds a single dspy.Predict (flat layout) but the study's program has "
                            + std::to_string(predictors.size()) + " predictors");
                const std::string wanted = expected.empty()
                                               ? "a flat dspy.Predict file or the key \"" + predictors[i].name + "\""
                                               : "key \"" + expected + "\"";
                return mismatch(sourceName, "the artifact has no predictor '" + predictors[i].name + "' (expected "
                                                + wanted + "; the artifact has: " + entryNames() + ")");
            }
            used[*match] = true;
            auto predictor = loadPredictorState(*entries[*match].second, predictors[i], sourceName,
                                                entries[*match].first, out.warnings);
            if (!predictor)
                return predictor.error();
            out.program.predictors.push_back(std::move(predictor.value()));
        }
        for (std::size_t e = 0; e < entries.size(); ++e)
            if (!used[e])
                return mismatch(sourceName, "the artifact has a predictor \"" + entries[e].first
                                                + "\" that the study's program does not have");

        const bool newerBlock = root.contains("prism") && root["prism"].is_object() && root["prism"].contains("format")
                                && root["prism"]["format"].is_number_integer()
                                && root["prism"]["format"].get<std::int64_t>() > kArtifactFormat;
        if (newerBlock) {
            out.warnings.push_back(sourceName + ": the prism block has format " + root["prism"]["format"].dump()
                                   + ", newer than this Prism reads (" + std::to_string(kArtifactFormat)
                                   + "); it is ignored");
        } else if (root.contains("prism")) {
            auto info = infoFromJson(root["prism"]);
            if (!info)
                return parseError(sourceName, info.error().message);
            out.info = info.value();
        }
    } catch (const nlohmann::json::exception &e) {
        // Defensive: every access above checks types first.
        return parseError(sourceName, std::string("unexpected JSON content: ") + e.what());
    }
    return out;
}

Result<LoadedArtifact> loadDspyProgramFile(const std::string &path, const Program &studyProgram)
{
    auto text = readInputFile(path);
    if (!text)
        return text.error();
    return loadDspyProgram(text.value(), path, studyProgram);
}

Result<void> saveDspyProgramFile(const std::string &path, const Program &program,
                                 const std::optional<ArtifactInfo> &info)
{
    if (program.predictors.empty())
        return Error::make(ErrorKind::Config, path + ": cannot save a program without predictors");
    return writeFileAtomic(path, programToDspyJson(program, info));
}

} // namespace prism
