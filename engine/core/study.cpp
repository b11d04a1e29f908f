#include "core/study.h"

#include "core/json.h"
#include "core/json_reader.h"
#include "core/text.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>

namespace prism {

namespace {

namespace fs = std::filesystem;

Error studyError(const std::string &source, const std::string &what)
{
    return Error::make(ErrorKind::Parse, source + ": " + what);
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
            return Error::make(ErrorKind::Config,
                               where + ".base_url must be an http:// or https:// URL, not '" + m.baseUrl + "'");
        for (unsigned char c : m.baseUrl)
            if (c <= ' ' || c == 0x7f)
                return Error::make(ErrorKind::Config, where + ".base_url contains a space or control character");
    }
    for (std::size_t i = 0; i < m.apiKeyEnv.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(m.apiKeyEnv[i]);
        if (!(std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c))))
            return Error::make(ErrorKind::Config, where
                                                      + ".api_key_env must be the name of an environment variable "
                                                        "(letters, digits and _), not '"
                                                      + m.apiKeyEnv + "'");
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

} // namespace

std::vector<ModelConfig> endpointConfigs(const ModelConfig &entry)
{
    std::vector<ModelConfig> out;
    out.reserve(1 + entry.replicas.size());
    out.push_back(entry);
    out.back().replicas.clear();
    for (const auto &r : entry.replicas) {
        ModelConfig c = out.front();
        c.baseUrl = r.baseUrl;
        if (!r.apiKeyEnv.empty())
            c.apiKeyEnv = r.apiKeyEnv;
        c.maxConcurrency = r.maxConcurrency.value_or(entry.maxConcurrency);
        c.requestsPerMinute = r.requestsPerMinute.value_or(entry.requestsPerMinute);
        c.tokensPerMinute = r.tokensPerMinute.value_or(entry.tokensPerMinute);
        out.push_back(std::move(c));
    }
    return out;
}

namespace {

Json fieldMetricsToJson(const std::vector<FieldMetric> &fields)
{
    Json out = Json::array();
    for (const auto &f : fields) {
        Json fj = {{"field", f.field}, {"metric", f.metric}, {"weight", f.weight}};
        if (f.tolerance != 0)
            fj["tolerance"] = f.tolerance;
        if (!f.pattern.empty())
            fj["pattern"] = f.pattern;
        out.push_back(fj);
    }
    return out;
}

Json modelToJson(const ModelConfig &m)
{
    Json j = Json::object();
    j["provider"] = providerName(m.provider);
    j["model"] = m.model;
    if (!m.baseUrl.empty())
        j["base_url"] = m.baseUrl;
    if (!m.apiKeyEnv.empty())
        j["api_key_env"] = m.apiKeyEnv;
    j["temperature"] = m.temperature;
    j["max_tokens"] = m.maxTokens;
    if (m.maxPromptTokens)
        j["max_prompt_tokens"] = *m.maxPromptTokens;
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
    if (!m.replicas.empty()) {
        Json replicas = Json::array();
        for (const auto &r : m.replicas) {
            Json rj = {{"base_url", r.baseUrl}};
            if (!r.apiKeyEnv.empty())
                rj["api_key_env"] = r.apiKeyEnv;
            if (r.maxConcurrency)
                rj["max_concurrency"] = *r.maxConcurrency;
            if (r.requestsPerMinute)
                rj["requests_per_minute"] = *r.requestsPerMinute;
            if (r.tokensPerMinute)
                rj["tokens_per_minute"] = *r.tokensPerMinute;
            replicas.push_back(std::move(rj));
        }
        j["replicas"] = std::move(replicas);
    }
    return j;
}

} // namespace

const char *gepaSelectionName(GepaSelection selection)
{
    return selection == GepaSelection::Pareto ? "pareto" : "current_best";
}

const char *gepaComponentsName(GepaComponents components)
{
    return components == GepaComponents::RoundRobin ? "round_robin" : "all";
}

std::optional<GepaSelection> gepaSelectionFromName(const std::string &name)
{
    if (name == "pareto")
        return GepaSelection::Pareto;
    if (name == "current_best")
        return GepaSelection::CurrentBest;
    return std::nullopt;
}

std::optional<GepaComponents> gepaComponentsFromName(const std::string &name)
{
    if (name == "round_robin")
        return GepaComponents::RoundRobin;
    if (name == "all")
        return GepaComponents::All;
    return std::nullopt;
}

std::string Study::resolvePath(const std::string &path) const
{
    if (path.empty() || fs::path(path).is_absolute() || baseDir.empty())
        return path;
    return (fs::path(baseDir) / path).lexically_normal().string();
}

namespace {

// Reads a study document section by section. Every value is type- and
// range-checked through JsonReader, so an error names its key path and line;
// keys no section reads become warnings with the nearest known key.
class StudyParser {
public:
    StudyParser(const std::string &text, const std::string &source) : m_reader(source, text), m_source(source) {}

    Result<Study> parse(const Json &root, std::vector<std::string> *warnings)
    {
        Study s;
        try {
            const JsonPath top;
            m_reader.object(root, top);
            m_reader.expectKeys(
                root, top,
                {"prism_study", "name", "description", "data", "program", "metric", "models", "optimizer", "eval"});
            if (!root.contains("prism_study"))
                return studyError(m_source, "not a Prism study: the key \"prism_study\" is missing (a study file "
                                            "starts with {\"prism_study\": 1, ...})");
            m_reader.read(root, top, "prism_study", s.formatVersion, 1, std::numeric_limits<int>::max());
            if (s.formatVersion != 1)
                return studyError(m_source, "unsupported study format version " + std::to_string(s.formatVersion));
            m_reader.read(root, top, "name", s.name);
            m_reader.read(root, top, "description", s.description);
            readData(root, s);
            readProgram(root, s);
            readMetric(root, s);
            readModels(root, s);
            if (root.contains("optimizer"))
                readOptimizer(m_reader.object(root["optimizer"], top.key("optimizer")), s.optimizer);
            if (root.contains("eval"))
                readEval(m_reader.object(root["eval"], top.key("eval")), s.eval);
        } catch (const JsonReader::Failure &failure) {
            return JsonReader::toError(failure);
        } catch (const nlohmann::json::exception &e) {
            // Every read above checks its type first; this is a last line of defence.
            return studyError(m_source, std::string("a value has the wrong type: ") + e.what());
        }
        if (warnings)
            *warnings = m_reader.warnings();
        return s;
    }

private:
    [[noreturn]] void fail(const JsonPath &at, const std::string &what) const { m_reader.fail(at, what); }

    DatasetSource readSource(const Json &j, const JsonPath &at)
    {
        DatasetSource s;
        if (j.is_string()) {
            s.path = j.get<std::string>();
            return s;
        }
        if (!j.is_object() || !j.contains("path") || !j["path"].is_string())
            fail(at, "needs a \"path\" (the data file, relative to the study)");
        m_reader.expectKeys(j, at, {"path", "format", "columns", "list_separator"});
        m_reader.read(j, at, "path", s.path);
        m_reader.read(j, at, "format", s.format);
        m_reader.read(j, at, "list_separator", s.listSeparator);
        if (j.contains("columns")) {
            const Json &columns = m_reader.object(j["columns"], at.key("columns"));
            for (auto it = columns.begin(); it != columns.end(); ++it) {
                if (!it.value().is_string())
                    fail(at.key("columns").key(it.key()), "must be a column name");
                s.columns[it.key()] = it.value().get<std::string>();
            }
        }
        if (!s.format.empty() && s.format != "json" && s.format != "jsonl" && s.format != "csv")
            fail(at.key("format"), "must be json, jsonl or csv, not '" + s.format + "'");
        return s;
    }

    void readData(const Json &root, Study &s)
    {
        const JsonPath at = JsonPath().key("data");
        if (!root.contains("data") || !root["data"].is_object())
            throw JsonReader::Failure(m_source + ": missing \"data\" (the dataset files)");
        const Json &d = root["data"];
        m_reader.expectKeys(d, at,
                            {"train", "val", "test", "val_fraction", "test_fraction", "split_seed", "max_file_bytes",
                             "max_example_bytes"});
        if (d.contains("train"))
            s.data.train = readSource(d["train"], at.key("train"));
        if (d.contains("val"))
            s.data.val = readSource(d["val"], at.key("val"));
        if (d.contains("test"))
            s.data.test = readSource(d["test"], at.key("test"));
        if (!s.data.train)
            throw JsonReader::Failure(m_source + ": data.train is required");
        m_reader.read(d, at, "val_fraction", s.data.valFraction);
        m_reader.read(d, at, "test_fraction", s.data.testFraction);
        m_reader.read(d, at, "split_seed", s.data.splitSeed);
        const auto maxSetting = static_cast<long long>(kMaxDataBytesSetting);
        m_reader.read(d, at, "max_file_bytes", s.data.limits.maxFileBytes, 1, maxSetting);
        m_reader.read(d, at, "max_example_bytes", s.data.limits.maxExampleBytes, 1, maxSetting);
        if (s.data.valFraction < 0 || s.data.testFraction < 0 || s.data.valFraction + s.data.testFraction >= 1.0)
            fail(at, "val_fraction and test_fraction must be >= 0 and sum to less than 1");
    }

    void readProgram(const Json &root, Study &s)
    {
        if (!root.contains("program"))
            throw JsonReader::Failure(m_source + ": missing \"program\"");
        auto program = programFromJson(root["program"]);
        if (!program)
            fail(JsonPath().key("program"), "is invalid: " + program.error().message);
        s.program = program.value();
    }

    void readMetric(const Json &root, Study &s)
    {
        if (!root.contains("metric")) {
            // Default: exact match on every final output, equally weighted.
            for (const auto &f : s.program.predictors.back().signature.outputs)
                s.metric.fields.push_back(FieldMetric{f.name, "exact", 1.0, 0.0, {}});
            return;
        }
        const JsonPath at = JsonPath().key("metric");
        const Json &m = m_reader.object(root["metric"], at);
        m_reader.expectKeys(m, at, {"kind", "fields", "script", "judge"});
        m_reader.read(m, at, "kind", s.metric.kind);
        if (s.metric.kind == "script") {
            m_reader.read(m, at, "script", s.metric.script);
            if (s.metric.script.empty())
                fail(at.key("script"), "is empty");
            return;
        }
        if (s.metric.kind == "judge") {
            readJudge(m, at, s);
            return;
        }
        if (s.metric.kind != "composite")
            fail(at.key("kind"), "must be composite, script or judge, not '" + s.metric.kind + "'");
        if (!m.contains("fields") || !m["fields"].is_array() || m["fields"].empty())
            fail(at.key("fields"), "must list one metric per output field");
        readFieldMetrics(m, at, s);
    }

    void readFieldMetrics(const Json &m, const JsonPath &at, Study &s)
    {
        if (!m.contains("fields"))
            return;
        if (!m["fields"].is_array())
            fail(at.key("fields"), "must be a list of field metrics");
        for (std::size_t i = 0; i < m["fields"].size(); ++i)
            s.metric.fields.push_back(readFieldMetric(m["fields"][i], at.key("fields").index(i), s.program));
    }

    // The judge's settings; `fields`, when given, is the cheaper metric tried first.
    void readJudge(const Json &m, const JsonPath &at, Study &s)
    {
        readFieldMetrics(m, at, s);
        if (!m.contains("judge"))
            fail(at.key("judge"), "is missing: a judge metric needs at least a rubric");
        const JsonPath jat = at.key("judge");
        const Json &j = m_reader.object(m["judge"], jat);
        m_reader.expectKeys(j, jat, {"rubric", "reference_field", "pass_threshold", "cheap_decides"});
        JudgeSpec &judge = s.metric.judge;
        m_reader.read(j, jat, "rubric", judge.rubric);
        m_reader.read(j, jat, "reference_field", judge.referenceField);
        m_reader.read(j, jat, "pass_threshold", judge.passThreshold);
        m_reader.read(j, jat, "cheap_decides", judge.cheapDecides);
        if (trimmed(judge.rubric).empty())
            fail(jat.key("rubric"), "is empty: say what a good answer does");
        if (!(judge.passThreshold >= 0.0 && judge.passThreshold <= 1.0))
            fail(jat.key("pass_threshold"), "must be between 0 and 1");
        if (judge.cheapDecides != "pass" && judge.cheapDecides != "pass_and_fail")
            fail(jat.key("cheap_decides"), "must be pass or pass_and_fail, not '" + judge.cheapDecides + "'");
        if (!judge.referenceField.empty()) {
            bool known = false;
            for (const auto &p : s.program.predictors)
                known = known || p.signature.findOutput(judge.referenceField);
            if (!known)
                fail(jat.key("reference_field"),
                     "'" + judge.referenceField
                         + "' is not an output field of the program (the label to compare with)");
        }
    }

    FieldMetric readFieldMetric(const Json &fm, const JsonPath &at, const Program &program)
    {
        m_reader.object(fm, at);
        m_reader.expectKeys(fm, at, {"field", "metric", "weight", "tolerance", "pattern"});
        FieldMetric f;
        m_reader.read(fm, at, "field", f.field);
        m_reader.read(fm, at, "metric", f.metric);
        m_reader.read(fm, at, "weight", f.weight);
        m_reader.read(fm, at, "tolerance", f.tolerance);
        m_reader.read(fm, at, "pattern", f.pattern);
        bool known = false;
        for (const auto &p : program.predictors)
            known = known || p.signature.findOutput(f.field);
        if (!known)
            fail(at.key("field"), "'" + f.field + "' is not an output field of the program");
        if (f.weight < 0)
            fail(at.key("weight"), "of '" + f.field + "' is negative");
        return f;
    }

    ModelConfig readModel(const Json &j, const JsonPath &at)
    {
        ModelConfig m;
        m_reader.object(j, at);
        if (j.contains("api_key"))
            throw JsonReader::Failure(m_source + ": " + at.text()
                                      + " contains \"api_key\": a study never stores a key; name the environment "
                                        "variable in \"api_key_env\" instead");
        m_reader.expectKeys(j, at,
                            {"provider", "model", "base_url", "api_key_env", "temperature", "max_tokens",
                             "max_prompt_tokens", "timeout_seconds", "max_concurrency", "requests_per_minute",
                             "tokens_per_minute", "max_retries", "retry_base_seconds", "extra_headers", "replicas"});
        std::string provider = providerName(m.provider);
        m_reader.read(j, at, "provider", provider);
        m_reader.read(j, at, "model", m.model);
        m_reader.read(j, at, "base_url", m.baseUrl);
        m_reader.read(j, at, "api_key_env", m.apiKeyEnv);
        m_reader.read(j, at, "temperature", m.temperature);
        m_reader.read(j, at, "max_tokens", m.maxTokens, 1, std::numeric_limits<int>::max());
        m_reader.read(j, at, "max_prompt_tokens", m.maxPromptTokens, 1, std::numeric_limits<int>::max());
        m_reader.read(j, at, "timeout_seconds", m.timeoutSeconds);
        m_reader.read(j, at, "max_concurrency", m.maxConcurrency, std::numeric_limits<int>::min(),
                      std::numeric_limits<int>::max());
        m_reader.read(j, at, "requests_per_minute", m.requestsPerMinute);
        m_reader.read(j, at, "tokens_per_minute", m.tokensPerMinute);
        m_reader.read(j, at, "max_retries", m.maxRetries, std::numeric_limits<int>::min(),
                      std::numeric_limits<int>::max());
        m_reader.read(j, at, "retry_base_seconds", m.retryBaseSeconds);
        if (j.contains("extra_headers") && j["extra_headers"].is_object())
            for (auto it = j["extra_headers"].begin(); it != j["extra_headers"].end(); ++it)
                if (it.value().is_string())
                    m.extraHeaders[it.key()] = it.value().get<std::string>();
        if (auto known = providerFromName(provider))
            m.provider = *known;
        else
            throw JsonReader::Failure(m_source + ": " + at.text()
                                      + ".provider must be simlm, openai or anthropic, not '" + provider + "'");
        if (auto bad = checkEndpoint(m, at.text()); !bad)
            throw JsonReader::Failure(m_source + ": " + bad.error().message);
        if (j.contains("replicas"))
            readReplicas(j["replicas"], at.key("replicas"), m);
        return m;
    }

    void readReplicas(const Json &list, const JsonPath &at, ModelConfig &m)
    {
        if (!list.is_array())
            m_reader.fail(at, "must be a list of endpoints");
        if (!isHttpProvider(m.provider))
            m_reader.fail(at,
                          std::string("need an HTTP provider (openai or anthropic), not ") + providerName(m.provider));
        for (std::size_t i = 0; i < list.size(); ++i) {
            const JsonPath rat = at.index(i);
            const Json &rj = m_reader.object(list[i], rat);
            m_reader.expectKeys(
                rj, rat, {"base_url", "api_key_env", "max_concurrency", "requests_per_minute", "tokens_per_minute"});
            ModelReplica r;
            m_reader.read(rj, rat, "base_url", r.baseUrl);
            if (r.baseUrl.empty())
                m_reader.fail(rat, "needs a base_url");
            m_reader.read(rj, rat, "api_key_env", r.apiKeyEnv);
            m_reader.read(rj, rat, "max_concurrency", r.maxConcurrency, std::numeric_limits<int>::min(),
                          std::numeric_limits<int>::max());
            m_reader.read(rj, rat, "requests_per_minute", r.requestsPerMinute);
            m_reader.read(rj, rat, "tokens_per_minute", r.tokensPerMinute);
            m.replicas.push_back(std::move(r));
        }
        const auto endpoints = endpointConfigs(m);
        for (std::size_t i = 1; i < endpoints.size(); ++i) {
            const JsonPath rat = at.index(i - 1);
            if (auto bad = checkEndpoint(endpoints[i], rat.text()); !bad)
                throw JsonReader::Failure(m_source + ": " + bad.error().message);
            for (std::size_t k = 0; k < i; ++k)
                if (endpoints[k].baseUrl == endpoints[i].baseUrl && endpoints[k].apiKeyEnv == endpoints[i].apiKeyEnv)
                    m_reader.fail(
                        rat, "repeats the endpoint " + endpoints[i].baseUrl
                                 + (endpoints[i].apiKeyEnv.empty() ? std::string() : " with " + endpoints[i].apiKeyEnv)
                                 + ": give another base_url or api_key_env");
        }
    }

    void readModels(const Json &root, Study &s)
    {
        if (!root.contains("models")) {
            s.proposerModel = s.taskModel;
            s.reflectionModel = s.proposerModel;
            s.judgeModel = s.proposerModel;
            return;
        }
        const JsonPath at = JsonPath().key("models");
        const Json &m = m_reader.object(root["models"], at);
        m_reader.expectKeys(m, at, {"task", "proposer", "reflection", "judge"});
        if (m.contains("task"))
            s.taskModel = readModel(m["task"], at.key("task"));
        s.proposerModel = m.contains("proposer") ? readModel(m["proposer"], at.key("proposer")) : s.taskModel;
        s.reflectionModel =
            m.contains("reflection") ? readModel(m["reflection"], at.key("reflection")) : s.proposerModel;
        s.judgeModel = m.contains("judge") ? readModel(m["judge"], at.key("judge")) : s.proposerModel;
    }

    void readOptimizer(const Json &o, OptimizerConfig &c)
    {
        const JsonPath at = JsonPath().key("optimizer");
        m_reader.expectKeys(o, at,
                            {"name",
                             "auto",
                             "num_trials",
                             "num_candidates",
                             "max_bootstrapped_demos",
                             "max_labeled_demos",
                             "max_rounds",
                             "metric_threshold",
                             "stop_at_score",
                             "seed",
                             "minibatch",
                             "minibatch_size",
                             "minibatch_full_eval_steps",
                             "init_temperature",
                             "view_data_batch_size",
                             "program_aware_proposer",
                             "data_aware_proposer",
                             "tip_aware_proposer",
                             "fewshot_aware_proposer",
                             "tip",
                             "max_metric_calls",
                             "max_full_evals",
                             "reflection_minibatch_size",
                             "candidate_selection_strategy",
                             "component_selector",
                             "use_merge",
                             "max_merge_invocations",
                             "skip_perfect_score",
                             "max_reflection_calls"});
        constexpr long long kMaxCount = 1'000'000;
        m_reader.read(o, at, "name", c.name);
        if (o.contains("auto"))
            c.autoMode.clear(); // null means manual mode
        m_reader.read(o, at, "auto", c.autoMode);
        // 0 trials (the baseline and the proposals only) is a valid manual run, as on the Run page.
        m_reader.read(o, at, "num_trials", c.numTrials, 0, kMaxCount);
        // 0 is a valid random_search (the three fixed candidates only); miprov2 needs 1, checked below.
        m_reader.read(o, at, "num_candidates", c.numCandidates, 0, kMaxCount);
        m_reader.read(o, at, "max_bootstrapped_demos", c.maxBootstrappedDemos, 0, kMaxCount);
        m_reader.read(o, at, "max_labeled_demos", c.maxLabeledDemos, 0, kMaxCount);
        m_reader.read(o, at, "max_rounds", c.maxRounds, 1, kMaxCount);
        m_reader.read(o, at, "metric_threshold", c.metricThreshold);
        m_reader.read(o, at, "stop_at_score", c.stopAtScore);
        m_reader.read(o, at, "seed", c.seed);
        m_reader.read(o, at, "minibatch", c.minibatch);
        m_reader.read(o, at, "minibatch_size", c.minibatchSize, 1, kMaxCount);
        m_reader.read(o, at, "minibatch_full_eval_steps", c.minibatchFullEvalSteps, 1, kMaxCount);
        m_reader.read(o, at, "init_temperature", c.initTemperature);
        m_reader.read(o, at, "view_data_batch_size", c.viewDataBatchSize, 1, kMaxCount);
        m_reader.read(o, at, "program_aware_proposer", c.programAwareProposer);
        m_reader.read(o, at, "data_aware_proposer", c.dataAwareProposer);
        m_reader.read(o, at, "tip_aware_proposer", c.tipAwareProposer);
        m_reader.read(o, at, "fewshot_aware_proposer", c.fewshotAwareProposer);
        m_reader.read(o, at, "tip", c.tip);
        readGepa(o, c.gepa);
        if (c.name != "miprov2" && c.name != "gepa" && c.name != "bootstrap" && c.name != "labeled"
            && c.name != "random_search")
            fail(at.key("name"), "must be miprov2, gepa, bootstrap, labeled or random_search, not '" + c.name + "'");
        if (c.numCandidates == 0 && c.name != "random_search")
            fail(at.key("num_candidates"), "must be at least 1 (0 candidates is for random_search only)");
        if (c.stopAtScore && (!std::isfinite(*c.stopAtScore) || *c.stopAtScore < 0.0 || *c.stopAtScore > 100.0))
            fail(at.key("stop_at_score"), "must be a percent from 0 to 100, as the scores are");
        if (!c.autoMode.empty() && c.autoMode != "light" && c.autoMode != "medium" && c.autoMode != "heavy")
            fail(at.key("auto"), "must be light, medium, heavy or null");
    }

    void readGepa(const Json &o, GepaConfig &g)
    {
        const JsonPath at = JsonPath().key("optimizer");
        constexpr long long kMaxCount = 1'000'000'000;
        m_reader.read(o, at, "max_metric_calls", g.maxMetricCalls, 1, kMaxCount);
        m_reader.read(o, at, "max_full_evals", g.maxFullEvals, 1, 1'000'000);
        m_reader.read(o, at, "reflection_minibatch_size", g.reflectionMinibatchSize, 1, 1'000'000);
        m_reader.read(o, at, "use_merge", g.useMerge);
        m_reader.read(o, at, "max_merge_invocations", g.maxMergeInvocations, 0, 1'000'000);
        m_reader.read(o, at, "skip_perfect_score", g.skipPerfectScore);
        m_reader.read(o, at, "max_reflection_calls", g.maxReflectionCalls, 1, 1'000'000);
        std::string selection = gepaSelectionName(g.candidateSelection);
        m_reader.read(o, at, "candidate_selection_strategy", selection);
        if (auto known = gepaSelectionFromName(selection))
            g.candidateSelection = *known;
        else
            fail(at.key("candidate_selection_strategy"), "must be pareto or current_best, not '" + selection + "'");
        std::string components = gepaComponentsName(g.componentSelector);
        m_reader.read(o, at, "component_selector", components);
        if (auto known = gepaComponentsFromName(components))
            g.componentSelector = *known;
        else
            fail(at.key("component_selector"), "must be round_robin or all, not '" + components + "'");
    }

    void readEval(const Json &e, EvalSettings &settings)
    {
        const JsonPath at = JsonPath().key("eval");
        m_reader.expectKeys(e, at, {"threads", "max_errors", "adapter"});
        m_reader.read(e, at, "threads", settings.threads, 1, kMaxThreads);
        m_reader.read(e, at, "max_errors", settings.maxErrors, 0, std::numeric_limits<int>::max());
        std::string adapter = adapterKindName(settings.adapter);
        m_reader.read(e, at, "adapter", adapter);
        if (auto kind = adapterKindFromName(adapter))
            settings.adapter = *kind;
        else
            fail(at.key("adapter"), "must be chat or json");
    }

    JsonReader m_reader;
    std::string m_source;
};

} // namespace

Result<Study> studyFromJsonText(const std::string &text, const std::string &sourceName,
                                std::vector<std::string> *warnings)
{
    auto parsed = parseJson(text, sourceName);
    if (!parsed)
        return parsed.error();
    if (!parsed->is_object())
        return studyError(sourceName, "a study file is a JSON object");
    return StudyParser(text, sourceName).parse(parsed.value(), warnings);
}

std::string studyToJsonText(const Study &s)
{
    Json j = Json::object();
    j["prism_study"] = s.formatVersion;
    j["name"] = s.name;
    if (!s.description.empty())
        j["description"] = s.description;
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
    // Written only when changed, so saving a study does not add the defaults.
    if (s.data.limits.maxFileBytes != kDefaultMaxDataFileBytes)
        d["max_file_bytes"] = s.data.limits.maxFileBytes;
    if (s.data.limits.maxExampleBytes != kDefaultMaxExampleBytes)
        d["max_example_bytes"] = s.data.limits.maxExampleBytes;
    j["data"] = d;
    j["program"] = toJson(s.program);
    Json m = Json::object();
    m["kind"] = s.metric.kind;
    if (s.metric.kind == "script") {
        m["script"] = s.metric.script;
    } else if (s.metric.kind == "judge") {
        const JudgeSpec &judge = s.metric.judge;
        m["judge"] = Json{
            {"rubric", judge.rubric}, {"pass_threshold", judge.passThreshold}, {"cheap_decides", judge.cheapDecides}};
        if (!judge.referenceField.empty())
            m["judge"]["reference_field"] = judge.referenceField;
        if (!s.metric.fields.empty())
            m["fields"] = fieldMetricsToJson(s.metric.fields);
    } else {
        m["fields"] = fieldMetricsToJson(s.metric.fields);
    }
    j["metric"] = m;
    j["models"] = Json{{"task", modelToJson(s.taskModel)}, {"proposer", modelToJson(s.proposerModel)}};
    if (s.reflectionModel != s.proposerModel)
        j["models"]["reflection"] = modelToJson(s.reflectionModel);
    if (s.judgeModel != s.proposerModel)
        j["models"]["judge"] = modelToJson(s.judgeModel);
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
    // Only where it is read (or set), so other optimizers' studies save as before.
    if (c.name == "random_search" || c.stopAtScore)
        o["stop_at_score"] = c.stopAtScore ? Json(*c.stopAtScore) : Json(nullptr);
    // GEPA's knobs only where they are read (or changed), so a MIPROv2 study saves as before.
    if (c.name == "gepa" || c.gepa != GepaConfig{}) {
        const GepaConfig &g = c.gepa;
        o["max_metric_calls"] = g.maxMetricCalls ? Json(*g.maxMetricCalls) : Json(nullptr);
        o["max_full_evals"] = g.maxFullEvals ? Json(*g.maxFullEvals) : Json(nullptr);
        o["reflection_minibatch_size"] = g.reflectionMinibatchSize;
        o["candidate_selection_strategy"] = gepaSelectionName(g.candidateSelection);
        o["component_selector"] = gepaComponentsName(g.componentSelector);
        o["use_merge"] = g.useMerge;
        o["max_merge_invocations"] = g.maxMergeInvocations;
        o["skip_perfect_score"] = g.skipPerfectScore;
        o["max_reflection_calls"] = g.maxReflectionCalls ? Json(*g.maxReflectionCalls) : Json(nullptr);
    }
    j["optimizer"] = o;
    j["eval"] = Json{
        {"threads", s.eval.threads}, {"max_errors", s.eval.maxErrors}, {"adapter", adapterKindName(s.eval.adapter)}};
    return j.dump(2) + "\n";
}

Result<Study> loadStudy(const std::string &path, std::vector<std::string> *warnings)
{
    auto text = readInputFile(path);
    if (!text)
        return text.error();
    auto study = studyFromJsonText(text.value(), path, warnings);
    if (!study)
        return study.error();
    // Absolute, so a run resumed from another directory still finds its data.
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec);
    study->baseDir = (ec ? fs::path(path) : absolute).parent_path().lexically_normal().string();
    return study;
}

Result<void> saveStudy(const Study &study, const std::string &path)
{
    return writeFileAtomic(path, studyToJsonText(study));
}

} // namespace prism
