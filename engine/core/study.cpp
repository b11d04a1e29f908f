#include "core/study.h"

#include "core/json.h"
#include "core/text.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>

namespace prism {

namespace {

namespace fs = std::filesystem;

Error studyError(const std::string &source, const std::string &what)
{
    return Error::make(ErrorKind::Parse, source + ": " + what);
}

template <typename T>
void readOpt(const Json &obj, const char *key, T &out)
{
    if (obj.contains(key) && !obj[key].is_null())
        out = obj[key].get<T>();
}

Result<DatasetSource> sourceFromJson(const Json &j, const std::string &where)
{
    DatasetSource s;
    if (j.is_string()) {
        s.path = j.get<std::string>();
        return s;
    }
    if (!j.is_object() || !j.contains("path") || !j["path"].is_string())
        return Error::make(ErrorKind::Parse, where + " needs a \"path\"");
    s.path = j["path"].get<std::string>();
    readOpt(j, "format", s.format);
    readOpt(j, "list_separator", s.listSeparator);
    if (j.contains("columns")) {
        if (!j["columns"].is_object())
            return Error::make(ErrorKind::Parse, where + ".columns must map field names to column names");
        for (auto it = j["columns"].begin(); it != j["columns"].end(); ++it) {
            if (!it.value().is_string())
                return Error::make(ErrorKind::Parse, where + ".columns." + it.key() + " must be a column name");
            s.columns[it.key()] = it.value().get<std::string>();
        }
    }
    if (!s.format.empty() && s.format != "json" && s.format != "jsonl" && s.format != "csv")
        return Error::make(ErrorKind::Parse, where + ".format must be json, jsonl or csv, not '" + s.format + "'");
    return s;
}

Json sourceToJson(const DatasetSource &s)
{
    Json j = Json::object();
    j["path"] = s.path;
    if (!s.format.empty())
        j["format"] = s.format;
    if (!s.columns.empty()) {
        Json cols = Json::object();
        for (const auto &[field, column] : s.columns)
            cols[field] = column;
        j["columns"] = cols;
    }
    if (s.listSeparator != ";")
        j["list_separator"] = s.listSeparator;
    return j;
}

// A shared study file must not reach anything but an HTTP endpoint: libcurl
// would otherwise read file:// URLs or speak gopher/dict/telnet/smb to any
// host. Header names and values must not smuggle extra header lines.
Result<void> checkEndpoint(const ModelConfig &m, const std::string &where)
{
    if (!m.baseUrl.empty()) {
        const std::string scheme = toLowerAscii(m.baseUrl.substr(0, m.baseUrl.find("://")));
        if (m.baseUrl.find("://") == std::string::npos || (scheme != "http" && scheme != "https"))
            return Error::make(ErrorKind::Config, where + ".base_url must be an http:// or https:// URL, not '" + m.baseUrl + "'");
        for (unsigned char c : m.baseUrl)
            if (c <= ' ' || c == 0x7f)
                return Error::make(ErrorKind::Config, where + ".base_url contains a space or control character");
    }
    for (std::size_t i = 0; i < m.apiKeyEnv.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(m.apiKeyEnv[i]);
        if (!(std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c))))
            return Error::make(ErrorKind::Config, where + ".api_key_env must be the name of an environment variable "
                                                          "(letters, digits and _), not '" + m.apiKeyEnv + "'");
    }
    for (const auto &[name, value] : m.extraHeaders) {
        bool nameOk = !name.empty();
        for (unsigned char c : name)
            nameOk = nameOk && c > ' ' && c < 0x7f && c != ':';
        if (!nameOk)
            return Error::make(ErrorKind::Config, where + ".extra_headers has an invalid header name '" + name + "'");
        for (unsigned char c : value)
            if (c == '\r' || c == '\n' || c == 0)
                return Error::make(ErrorKind::Config, where + ".extra_headers." + name + " contains a line break");
    }
    return {};
}

Result<ModelConfig> modelFromJson(const Json &j, const std::string &where)
{
    ModelConfig m;
    if (!j.is_object())
        return Error::make(ErrorKind::Parse, where + " must be an object");
    if (j.contains("api_key"))
        return Error::make(ErrorKind::Config, where + " contains \"api_key\": a study never stores a key; name the environment variable in \"api_key_env\" instead");
    readOpt(j, "provider", m.provider);
    readOpt(j, "model", m.model);
    readOpt(j, "base_url", m.baseUrl);
    readOpt(j, "api_key_env", m.apiKeyEnv);
    readOpt(j, "temperature", m.temperature);
    readOpt(j, "max_tokens", m.maxTokens);
    readOpt(j, "timeout_seconds", m.timeoutSeconds);
    readOpt(j, "max_concurrency", m.maxConcurrency);
    readOpt(j, "requests_per_minute", m.requestsPerMinute);
    readOpt(j, "tokens_per_minute", m.tokensPerMinute);
    readOpt(j, "max_retries", m.maxRetries);
    readOpt(j, "retry_base_seconds", m.retryBaseSeconds);
    if (j.contains("extra_headers") && j["extra_headers"].is_object())
        for (auto it = j["extra_headers"].begin(); it != j["extra_headers"].end(); ++it)
            if (it.value().is_string())
                m.extraHeaders[it.key()] = it.value().get<std::string>();
    if (m.provider != "simlm" && m.provider != "openai" && m.provider != "anthropic")
        return Error::make(ErrorKind::Parse, where + ".provider must be simlm, openai or anthropic, not '" + m.provider + "'");
    if (auto bad = checkEndpoint(m, where); !bad)
        return bad.error();
    return m;
}

Json modelToJson(const ModelConfig &m)
{
    Json j = Json::object();
    j["provider"] = m.provider;
    j["model"] = m.model;
    if (!m.baseUrl.empty())
        j["base_url"] = m.baseUrl;
    if (!m.apiKeyEnv.empty())
        j["api_key_env"] = m.apiKeyEnv;
    j["temperature"] = m.temperature;
    j["max_tokens"] = m.maxTokens;
    j["timeout_seconds"] = m.timeoutSeconds;
    j["max_concurrency"] = m.maxConcurrency;
    if (m.requestsPerMinute > 0.0)
        j["requests_per_minute"] = m.requestsPerMinute;
    if (m.tokensPerMinute > 0.0)
        j["tokens_per_minute"] = m.tokensPerMinute;
    if (m.maxRetries != ModelConfig{}.maxRetries)
        j["max_retries"] = m.maxRetries;
    if (m.retryBaseSeconds != ModelConfig{}.retryBaseSeconds)
        j["retry_base_seconds"] = m.retryBaseSeconds;
    if (!m.extraHeaders.empty())
        j["extra_headers"] = m.extraHeaders;
    return j;
}

} // namespace

std::string Study::resolvePath(const std::string &path) const
{
    if (path.empty() || fs::path(path).is_absolute() || baseDir.empty())
        return path;
    return (fs::path(baseDir) / path).lexically_normal().string();
}

Result<Study> studyFromJsonText(const std::string &text, const std::string &sourceName)
{
    auto parsed = parseJson(text, sourceName);
    if (!parsed)
        return parsed.error();
    const Json &j = parsed.value();
    if (!j.is_object())
        return studyError(sourceName, "a study file is a JSON object");
    Study s;
    try {
        readOpt(j, "prism_study", s.formatVersion);
        if (s.formatVersion != 1)
            return studyError(sourceName, "unsupported study format version " + std::to_string(s.formatVersion));
        readOpt(j, "name", s.name);

        if (!j.contains("data") || !j["data"].is_object())
            return studyError(sourceName, "missing \"data\" (the dataset files)");
        const Json &d = j["data"];
        for (const char *split : {"train", "val", "test"}) {
            if (!d.contains(split))
                continue;
            auto src = sourceFromJson(d[split], std::string("data.") + split);
            if (!src)
                return studyError(sourceName, src.error().message);
            (std::string(split) == "train" ? s.data.train : std::string(split) == "val" ? s.data.val : s.data.test) = src.value();
        }
        if (!s.data.train)
            return studyError(sourceName, "data.train is required");
        readOpt(d, "val_fraction", s.data.valFraction);
        readOpt(d, "test_fraction", s.data.testFraction);
        readOpt(d, "split_seed", s.data.splitSeed);
        if (s.data.valFraction < 0 || s.data.testFraction < 0 || s.data.valFraction + s.data.testFraction >= 1.0)
            return studyError(sourceName, "data.val_fraction and data.test_fraction must be >= 0 and sum to less than 1");

        if (!j.contains("program"))
            return studyError(sourceName, "missing \"program\"");
        auto program = programFromJson(j["program"]);
        if (!program)
            return studyError(sourceName, "program: " + program.error().message);
        s.program = program.value();

        if (j.contains("metric")) {
            const Json &m = j["metric"];
            if (!m.is_object())
                return studyError(sourceName, "metric must be an object");
            readOpt(m, "kind", s.metric.kind);
            if (s.metric.kind == "script") {
                readOpt(m, "script", s.metric.script);
                if (s.metric.script.empty())
                    return studyError(sourceName, "metric.script is empty");
            } else if (s.metric.kind == "composite") {
                if (!m.contains("fields") || !m["fields"].is_array() || m["fields"].empty())
                    return studyError(sourceName, "metric.fields must list one metric per output field");
                for (const auto &fm : m["fields"]) {
                    FieldMetric f;
                    readOpt(fm, "field", f.field);
                    readOpt(fm, "metric", f.metric);
                    readOpt(fm, "weight", f.weight);
                    readOpt(fm, "tolerance", f.tolerance);
                    readOpt(fm, "pattern", f.pattern);
                    bool known = false;
                    for (const auto &p : s.program.predictors)
                        known = known || p.signature.findOutput(f.field);
                    if (!known)
                        return studyError(sourceName, "metric.fields: '" + f.field + "' is not an output field of the program");
                    if (f.weight < 0)
                        return studyError(sourceName, "metric.fields: weight of '" + f.field + "' is negative");
                    s.metric.fields.push_back(f);
                }
            } else {
                return studyError(sourceName, "metric.kind must be composite or script, not '" + s.metric.kind + "'");
            }
        } else {
            // Default: exact match on every final output, equally weighted.
            for (const auto &f : s.program.predictors.back().signature.outputs)
                s.metric.fields.push_back(FieldMetric{f.name, "exact", 1.0, 0.0, {}});
        }

        if (j.contains("models")) {
            const Json &m = j["models"];
            if (m.contains("task")) {
                auto task = modelFromJson(m["task"], "models.task");
                if (!task)
                    return studyError(sourceName, task.error().message);
                s.taskModel = task.value();
            }
            s.proposerModel = s.taskModel;
            if (m.contains("proposer")) {
                auto proposer = modelFromJson(m["proposer"], "models.proposer");
                if (!proposer)
                    return studyError(sourceName, proposer.error().message);
                s.proposerModel = proposer.value();
            }
        } else {
            s.proposerModel = s.taskModel;
        }

        if (j.contains("optimizer")) {
            const Json &o = j["optimizer"];
            auto &c = s.optimizer;
            readOpt(o, "name", c.name);
            if (o.contains("auto"))
                c.autoMode = o["auto"].is_null() ? std::string() : o["auto"].get<std::string>();
            if (o.contains("num_trials") && !o["num_trials"].is_null())
                c.numTrials = o["num_trials"].get<int>();
            if (o.contains("num_candidates") && !o["num_candidates"].is_null())
                c.numCandidates = o["num_candidates"].get<int>();
            readOpt(o, "max_bootstrapped_demos", c.maxBootstrappedDemos);
            readOpt(o, "max_labeled_demos", c.maxLabeledDemos);
            readOpt(o, "max_rounds", c.maxRounds);
            if (o.contains("metric_threshold") && !o["metric_threshold"].is_null())
                c.metricThreshold = o["metric_threshold"].get<double>();
            readOpt(o, "seed", c.seed);
            readOpt(o, "minibatch", c.minibatch);
            readOpt(o, "minibatch_size", c.minibatchSize);
            readOpt(o, "minibatch_full_eval_steps", c.minibatchFullEvalSteps);
            readOpt(o, "init_temperature", c.initTemperature);
            readOpt(o, "view_data_batch_size", c.viewDataBatchSize);
            readOpt(o, "program_aware_proposer", c.programAwareProposer);
            readOpt(o, "data_aware_proposer", c.dataAwareProposer);
            readOpt(o, "tip_aware_proposer", c.tipAwareProposer);
            readOpt(o, "fewshot_aware_proposer", c.fewshotAwareProposer);
            readOpt(o, "tip", c.tip);
            if (c.name != "miprov2" && c.name != "bootstrap" && c.name != "labeled")
                return studyError(sourceName, "optimizer.name must be miprov2, bootstrap or labeled, not '" + c.name + "'");
            if (!c.autoMode.empty() && c.autoMode != "light" && c.autoMode != "medium" && c.autoMode != "heavy")
                return studyError(sourceName, "optimizer.auto must be light, medium, heavy or null");
        }
        if (j.contains("eval")) {
            const Json &e = j["eval"];
            readOpt(e, "threads", s.eval.threads);
            readOpt(e, "max_errors", s.eval.maxErrors);
            readOpt(e, "adapter", s.eval.adapter);
            if (s.eval.adapter != "chat" && s.eval.adapter != "json")
                return studyError(sourceName, "eval.adapter must be chat or json");
            if (s.eval.threads < 1)
                return studyError(sourceName, "eval.threads must be at least 1");
        }
    } catch (const nlohmann::json::exception &e) {
        // A value of the wrong JSON type (a string where a number belongs...).
        return studyError(sourceName, std::string("a value has the wrong type: ") + e.what());
    }
    return s;
}

std::string studyToJsonText(const Study &s)
{
    Json j = Json::object();
    j["prism_study"] = s.formatVersion;
    j["name"] = s.name;
    Json d = Json::object();
    if (s.data.train)
        d["train"] = sourceToJson(*s.data.train);
    if (s.data.val)
        d["val"] = sourceToJson(*s.data.val);
    if (s.data.test)
        d["test"] = sourceToJson(*s.data.test);
    if (s.data.valFraction > 0)
        d["val_fraction"] = s.data.valFraction;
    if (s.data.testFraction > 0)
        d["test_fraction"] = s.data.testFraction;
    if (s.data.valFraction > 0 || s.data.testFraction > 0)
        d["split_seed"] = s.data.splitSeed;
    j["data"] = d;
    j["program"] = toJson(s.program);
    Json m = Json::object();
    m["kind"] = s.metric.kind;
    if (s.metric.kind == "script") {
        m["script"] = s.metric.script;
    } else {
        Json fields = Json::array();
        for (const auto &f : s.metric.fields) {
            Json fj = {{"field", f.field}, {"metric", f.metric}, {"weight", f.weight}};
            if (f.tolerance != 0)
                fj["tolerance"] = f.tolerance;
            if (!f.pattern.empty())
                fj["pattern"] = f.pattern;
            fields.push_back(fj);
        }
        m["fields"] = fields;
    }
    j["metric"] = m;
    j["models"] = Json{{"task", modelToJson(s.taskModel)}, {"proposer", modelToJson(s.proposerModel)}};
    const auto &c = s.optimizer;
    Json o = Json::object();
    o["name"] = c.name;
    o["auto"] = c.autoMode.empty() ? Json(nullptr) : Json(c.autoMode);
    o["num_trials"] = c.numTrials ? Json(*c.numTrials) : Json(nullptr);
    o["num_candidates"] = c.numCandidates ? Json(*c.numCandidates) : Json(nullptr);
    o["max_bootstrapped_demos"] = c.maxBootstrappedDemos;
    o["max_labeled_demos"] = c.maxLabeledDemos;
    o["max_rounds"] = c.maxRounds;
    o["metric_threshold"] = c.metricThreshold ? Json(*c.metricThreshold) : Json(nullptr);
    o["seed"] = c.seed;
    o["minibatch"] = c.minibatch;
    o["minibatch_size"] = c.minibatchSize;
    o["minibatch_full_eval_steps"] = c.minibatchFullEvalSteps;
    o["init_temperature"] = c.initTemperature;
    o["view_data_batch_size"] = c.viewDataBatchSize;
    o["program_aware_proposer"] = c.programAwareProposer;
    o["data_aware_proposer"] = c.dataAwareProposer;
    o["tip_aware_proposer"] = c.tipAwareProposer;
    o["fewshot_aware_proposer"] = c.fewshotAwareProposer;
    if (!c.tip.empty())
        o["tip"] = c.tip;
    j["optimizer"] = o;
    j["eval"] = Json{{"threads", s.eval.threads}, {"max_errors", s.eval.maxErrors}, {"adapter", s.eval.adapter}};
    return j.dump(2) + "\n";
}

Result<Study> loadStudy(const std::string &path)
{
    auto text = readTextFile(path);
    if (!text)
        return text.error();
    auto study = studyFromJsonText(text.value(), path);
    if (!study)
        return study.error();
    study->baseDir = fs::path(path).parent_path().string();
    return study;
}

Result<void> saveStudy(const Study &study, const std::string &path)
{
    return writeFileAtomic(path, studyToJsonText(study));
}

} // namespace prism
