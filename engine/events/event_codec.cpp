#include "events/event_codec.h"

#include "core/json.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <optional>

namespace prism {

namespace {

std::string dumpJson(const Json &json)
{
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json optionalNumber(const std::optional<double> &v)
{
    return v ? Json(*v) : Json(nullptr);
}

Json optionalInteger(const std::optional<long long> &v)
{
    return v ? Json(*v) : Json(nullptr);
}

Json configJson(const std::vector<ConfigChoice> &choices)
{
    Json j = Json::object();
    for (const ConfigChoice &c : choices) {
        Json entry = Json::object();
        entry["instruction"] = c.instruction;
        if (c.demos)
            entry["demos"] = *c.demos;
        j[c.predictor] = entry;
    }
    return j;
}

Json modelJson(const ModelInfo &model)
{
    Json j = Json::object();
    j["provider"] = model.provider;
    j["model"] = model.model;
    j["base_url"] = model.baseUrl;
    return j;
}

Json demosJson(const std::vector<Demo> &demos)
{
    Json list = Json::array();
    for (const Demo &d : demos)
        list.push_back(toJson(d));
    return list;
}

// ---- encoding: one function per type, keys in the order earlier versions wrote them

Json encode(const RunStartedEvent &e)
{
    Json j = Json::object();
    j["run_id"] = e.runId;
    j["optimizer"] = e.optimizer;
    j["seed"] = e.seed;
    j["study_name"] = e.studyName;
    j["settings"] = toJson(e.settings);
    j["train_size"] = e.trainSize;
    j["val_size"] = e.valSize;
    j["test_size"] = e.testSize;
    Json models = Json::object();
    models["task"] = modelJson(e.taskModel);
    models["proposer"] = modelJson(e.proposerModel);
    j["models"] = models;
    return j;
}

Json encode(const PhaseStartedEvent &e)
{
    Json j = Json::object();
    j["phase"] = e.phase;
    if (e.numTrials)
        j["num_trials"] = *e.numTrials;
    return j;
}

Json encode(const DemoSetReadyEvent &e)
{
    return Json{{"predictor", e.predictor}, {"index", e.index}, {"kind", e.kind}, {"demos", demosJson(e.demos)}};
}

Json encode(const SummaryReadyEvent &e)
{
    Json j = Json::object();
    j["kind"] = e.kind;
    if (e.predictor)
        j["predictor"] = *e.predictor;
    j["text"] = e.text;
    return j;
}

Json encode(const InstructionProposedEvent &e)
{
    return Json{{"predictor", e.predictor},
                {"index", e.index},
                {"text", e.text},
                {"tip", e.tip ? Json(*e.tip) : Json(nullptr)}};
}

Json encode(const TrialStartedEvent &e)
{
    Json j = Json::object();
    j["trial"] = e.trial;
    j["kind"] = e.kind;
    j["config"] = configJson(e.config);
    j["config_key"] = e.configKey;
    j["examples"] = e.examples;
    if (e.searchTrial)
        j["search_trial"] = *e.searchTrial;
    return j;
}

Json encode(const TrialFinishedEvent &e)
{
    Json j = Json::object();
    j["trial"] = e.trial;
    j["kind"] = e.kind;
    j["config"] = configJson(e.config);
    j["config_key"] = e.configKey;
    j["score"] = optionalNumber(e.score);
    j["scored"] = e.scored;
    j["errors"] = e.errors;
    j["examples"] = e.examples;
    j["new_calls"] = e.newCalls;
    j["memo_hits"] = e.memoHits;
    j["state"] = e.failed ? "failed" : "complete";
    if (e.error)
        j["error"] = *e.error;
    Json results = Json::array();
    for (const auto &[index, score] : e.results)
        results.push_back(Json::array({index, optionalNumber(score)}));
    j["results"] = std::move(results);
    if (e.searchTrial)
        j["search_trial"] = *e.searchTrial;
    return j;
}

Json encode(const FullEvalFinishedEvent &e)
{
    return Json{{"trial", e.trial},
                {"config", configJson(e.config)},
                {"config_key", e.configKey},
                {"score", e.score},
                {"rank_estimate", optionalNumber(e.rankEstimate)}};
}

Json encode(const BestUpdatedEvent &e)
{
    return Json{{"trial", e.trial}, {"config", configJson(e.config)}, {"config_key", e.configKey}, {"score", e.score}};
}

Json encode(const BudgetWarningEvent &e)
{
    return Json{{"message", e.message}};
}

Json encode(const WarningEvent &e)
{
    return Json{{"message", e.message}};
}

Json encode(const ErrorEvent &e)
{
    return Json{{"message", e.message}};
}

Json callsJson(const std::map<std::string, RoleCallTotals> &calls)
{
    Json callsByRole = Json::object();
    for (const auto &[role, t] : calls) {
        Json c = Json::object();
        c["calls"] = t.calls;
        c["cache_hits"] = t.cacheHits;
        c["errors"] = t.errors;
        callsByRole[role] = c;
    }
    return callsByRole;
}

Json tokensJson(const std::map<std::string, RoleTokenTotals> &tokens)
{
    Json tokensByRole = Json::object();
    for (const auto &[role, t] : tokens) {
        Json tk = Json::object();
        tk["prompt"] = optionalInteger(t.prompt);
        tk["completion"] = optionalInteger(t.completion);
        tokensByRole[role] = tk;
    }
    return tokensByRole;
}

Json scoresJson(const std::vector<std::optional<double>> &scores)
{
    Json list = Json::array();
    for (const auto &score : scores)
        list.push_back(optionalNumber(score));
    return list;
}

Json encode(const ReflectionRecord &r)
{
    Json j = Json::object();
    j["example"] = r.example;
    j["inputs"] = toJson(r.inputs);
    j["outputs"] = toJson(r.outputs);
    j["feedback"] = r.feedback;
    j["score"] = optionalNumber(r.score);
    return j;
}

Json encode(const PredictorProposal &p)
{
    Json records = Json::array();
    for (const ReflectionRecord &r : p.records)
        records.push_back(encode(r));
    Json j = Json::object();
    j["predictor"] = p.predictor;
    j["records"] = std::move(records);
    j["answer"] = p.answer;
    j["instruction"] = p.instruction ? Json(*p.instruction) : Json(nullptr);
    j["error"] = p.error ? Json(*p.error) : Json(nullptr);
    return j;
}

Json encode(const CandidateProposedEvent &e)
{
    Json proposals = Json::array();
    for (const PredictorProposal &p : e.proposals)
        proposals.push_back(encode(p));
    Json j = Json::object();
    j["iteration"] = e.iteration;
    j["kind"] = e.kind;
    j["parents"] = e.parents;
    j["candidate"] = e.candidate ? Json(*e.candidate) : Json(nullptr);
    j["config"] = configJson(e.config);
    j["config_key"] = e.configKey;
    j["proposals"] = std::move(proposals);
    j["minibatch"] = e.minibatch;
    j["parent_scores"] = scoresJson(e.parentScores);
    j["child_scores"] = scoresJson(e.childScores);
    j["accepted"] = e.accepted;
    j["verdict"] = e.verdict;
    j["trial"] = e.trial ? Json(*e.trial) : Json(nullptr);
    j["metric_calls"] = e.metricCalls;
    j["max_metric_calls"] = e.maxMetricCalls;
    return j;
}

Json encode(const ProgramChosenEvent &e)
{
    Json j = Json::object();
    j["config"] = configJson(e.config);
    j["config_key"] = e.configKey;
    j["score"] = e.score ? Json(*e.score) : Json(nullptr);
    j["by"] = e.by;
    j["replaced"] = e.replaced;
    return j;
}

Json encode(const RunFinishedEvent &e)
{
    Json optimizerCalls = Json::object();
    for (const auto &[role, c] : e.optimizerCallsByRole) {
        Json j = Json::object();
        j["calls"] = c.calls;
        j["cached_calls"] = c.cachedCalls;
        optimizerCalls[role] = j;
    }
    Json optimizerStats = Json::object();
    optimizerStats["calls_by_role"] = optimizerCalls;
    optimizerStats["full_evals"] = e.fullEvals;
    optimizerStats["memo_hits"] = e.memoHits;

    Json j = Json::object();
    j["stop_reason"] = e.stopReason.text();
    j["baseline_score"] = optionalNumber(e.baselineScore);
    j["best_score"] = optionalNumber(e.bestScore);
    j["notes"] = e.notes;
    j["trials"] = e.trials;
    j["calls_by_role"] = callsJson(e.callsByRole);
    j["tokens_by_role"] = tokensJson(e.tokensByRole);
    j["dollars"] = optionalNumber(e.dollars);
    j["optimizer_stats"] = optimizerStats;
    return j;
}

// ---- decoding

// Reads the keys of one JSON object; the first problem is kept as an error
// naming the event and the key's path ("config.classify.instruction").
class Reader {
public:
    Reader(const Json &object, std::string where, std::string path, std::optional<Error> *error)
        : m_object(object), m_where(std::move(where)), m_path(std::move(path)), m_error(error)
    {}

    bool ok() const { return !m_error->has_value(); }

    const Json *find(const char *key, bool required)
    {
        const auto it = m_object.find(key);
        if (it == m_object.end()) {
            if (required)
                fail(key, "is missing");
            return nullptr;
        }
        return &*it;
    }

    void fail(const std::string &key, const std::string &what)
    {
        if (!m_error->has_value())
            *m_error = Error::make(ErrorKind::Parse, fmt::format("{}: key \"{}{}\" {}", m_where, m_path, key, what));
    }

    std::string str(const char *key)
    {
        const Json *v = find(key, true);
        if (v && !v->is_string()) {
            fail(key, "must be a string");
            return {};
        }
        return v ? v->get<std::string>() : std::string();
    }

    std::optional<std::string> optStr(const char *key, bool required)
    {
        const Json *v = find(key, required);
        if (!v || v->is_null())
            return std::nullopt;
        if (!v->is_string()) {
            fail(key, "must be a string or null");
            return std::nullopt;
        }
        return v->get<std::string>();
    }

    template <typename Int> Int integer(const char *key)
    {
        const Json *v = find(key, true);
        if (!v)
            return Int{};
        if (!v->is_number_integer()) {
            fail(key, "must be an integer");
            return Int{};
        }
        return v->get<Int>();
    }

    std::optional<long long> optInteger(const char *key, bool required)
    {
        const Json *v = find(key, required);
        if (!v || v->is_null())
            return std::nullopt;
        if (!v->is_number_integer()) {
            fail(key, "must be an integer or null");
            return std::nullopt;
        }
        return v->get<long long>();
    }

    double number(const char *key)
    {
        const Json *v = find(key, true);
        if (v && !v->is_number()) {
            fail(key, "must be a number");
            return 0.0;
        }
        return v ? v->get<double>() : 0.0;
    }

    // Missing or null: empty; else an integer.
    std::optional<int> optInteger(const char *key)
    {
        const Json *v = find(key, false);
        if (!v || v->is_null())
            return std::nullopt;
        if (!v->is_number_integer()) {
            fail(key, "must be an integer or null");
            return std::nullopt;
        }
        return v->get<int>();
    }

    std::optional<double> optNumber(const char *key)
    {
        const Json *v = find(key, true);
        if (!v || v->is_null())
            return std::nullopt;
        if (!v->is_number()) {
            fail(key, "must be a number or null");
            return std::nullopt;
        }
        return v->get<double>();
    }

    // A nested object, read by its own Reader (null when missing or not an object).
    std::optional<Reader> object(const char *key)
    {
        const Json *v = find(key, true);
        if (!v)
            return std::nullopt;
        if (!v->is_object()) {
            fail(key, "must be an object");
            return std::nullopt;
        }
        return Reader(*v, m_where, m_path + key + ".", m_error);
    }

    const Json *array(const char *key)
    {
        const Json *v = find(key, true);
        if (v && !v->is_array()) {
            fail(key, "must be an array");
            return nullptr;
        }
        return v;
    }

    // Each key of this object with a Reader over its value (which must be an object).
    template <typename Fn> void eachObject(Fn fn)
    {
        for (auto it = m_object.begin(); it != m_object.end() && ok(); ++it) {
            if (!it.value().is_object()) {
                fail(it.key(), "must be an object");
                return;
            }
            Reader inner(it.value(), m_where, m_path + it.key() + ".", m_error);
            fn(it.key(), inner);
        }
    }

private:
    const Json &m_object;
    std::string m_where;
    std::string m_path;
    std::optional<Error> *m_error;
};

std::vector<ConfigChoice> readConfig(Reader &r)
{
    std::vector<ConfigChoice> out;
    if (auto config = r.object("config"))
        config->eachObject([&](const std::string &predictor, Reader &c) {
            ConfigChoice choice;
            choice.predictor = predictor;
            choice.instruction = c.integer<int>("instruction");
            if (const auto demos = c.optInteger("demos", false))
                choice.demos = static_cast<int>(*demos);
            out.push_back(std::move(choice));
        });
    return out;
}

ModelInfo readModel(Reader &models, const char *key)
{
    ModelInfo m;
    if (auto r = models.object(key)) {
        m.provider = r->str("provider");
        m.model = r->str("model");
        m.baseUrl = r->str("base_url");
    }
    return m;
}

RunStartedEvent decodeRunStarted(Reader &r)
{
    RunStartedEvent e;
    e.runId = r.str("run_id");
    e.optimizer = r.str("optimizer");
    e.seed = r.integer<std::uint64_t>("seed");
    e.studyName = r.str("study_name");
    if (const Json *settings = r.find("settings", true)) {
        if (auto fields = fieldsFromJson(*settings))
            e.settings = std::move(fields.value());
        else
            r.fail("settings", "must be an object");
    }
    e.trainSize = r.integer<std::size_t>("train_size");
    e.valSize = r.integer<std::size_t>("val_size");
    e.testSize = r.integer<std::size_t>("test_size");
    if (auto models = r.object("models")) {
        e.taskModel = readModel(*models, "task");
        e.proposerModel = readModel(*models, "proposer");
    }
    return e;
}

DemoSetReadyEvent decodeDemoSetReady(Reader &r)
{
    DemoSetReadyEvent e;
    e.predictor = r.str("predictor");
    e.index = r.integer<std::size_t>("index");
    e.kind = r.str("kind");
    if (const Json *demos = r.array("demos"))
        for (std::size_t i = 0; i < demos->size() && r.ok(); ++i) {
            auto demo = demoFromJson((*demos)[i]);
            if (demo)
                e.demos.push_back(std::move(demo.value()));
            else
                r.fail(fmt::format("demos[{}]", i), "must be an object of field values");
        }
    return e;
}

TrialFinishedEvent decodeTrialFinished(Reader &r)
{
    TrialFinishedEvent e;
    e.trial = r.integer<int>("trial");
    e.kind = r.str("kind");
    e.config = readConfig(r);
    e.configKey = r.str("config_key");
    e.score = r.optNumber("score");
    e.scored = r.integer<std::size_t>("scored");
    e.errors = r.integer<std::size_t>("errors");
    e.examples = r.integer<std::size_t>("examples");
    e.newCalls = r.integer<long long>("new_calls");
    e.memoHits = r.integer<long long>("memo_hits");
    const std::string state = r.str("state");
    if (r.ok() && state != "failed" && state != "complete")
        r.fail("state", "must be \"complete\" or \"failed\"");
    e.failed = state == "failed";
    e.error = r.optStr("error", false);
    if (const Json *results = r.array("results"))
        for (std::size_t i = 0; i < results->size() && r.ok(); ++i) {
            const Json &pair = (*results)[i];
            if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned()
                || !(pair[1].is_number() || pair[1].is_null())) {
                r.fail(fmt::format("results[{}]", i), "must be [example index, score or null]");
                break;
            }
            e.results.emplace_back(pair[0].get<std::size_t>(),
                                   pair[1].is_null() ? std::nullopt : std::optional<double>(pair[1].get<double>()));
        }
    e.searchTrial = r.optInteger("search_trial");
    return e;
}

RunFinishedEvent decodeRunFinished(Reader &r)
{
    RunFinishedEvent e;
    e.stopReason = StopReason::fromText(r.str("stop_reason"));
    e.baselineScore = r.optNumber("baseline_score");
    e.bestScore = r.optNumber("best_score");
    if (const Json *notes = r.array("notes"))
        for (std::size_t i = 0; i < notes->size() && r.ok(); ++i) {
            if (!(*notes)[i].is_string())
                r.fail(fmt::format("notes[{}]", i), "must be a string");
            else
                e.notes.push_back((*notes)[i].get<std::string>());
        }
    e.trials = r.integer<int>("trials");
    if (auto calls = r.object("calls_by_role"))
        calls->eachObject([&](const std::string &role, Reader &c) {
            RoleCallTotals &t = e.callsByRole[role];
            t.calls = c.integer<long long>("calls");
            t.cacheHits = c.integer<long long>("cache_hits");
            t.errors = c.integer<long long>("errors");
        });
    if (auto tokens = r.object("tokens_by_role"))
        tokens->eachObject([&](const std::string &role, Reader &t) {
            RoleTokenTotals &totals = e.tokensByRole[role];
            totals.prompt = t.optInteger("prompt", true);
            totals.completion = t.optInteger("completion", true);
        });
    e.dollars = r.optNumber("dollars");
    if (auto stats = r.object("optimizer_stats")) {
        if (auto calls = stats->object("calls_by_role"))
            calls->eachObject([&](const std::string &role, Reader &c) {
                OptimizerRoleCalls &o = e.optimizerCallsByRole[role];
                o.calls = c.integer<long long>("calls");
                o.cachedCalls = c.integer<long long>("cached_calls");
            });
        e.fullEvals = stats->integer<int>("full_evals");
        e.memoHits = stats->integer<long long>("memo_hits");
    }
    return e;
}

std::vector<std::optional<double>> readScores(Reader &r, const char *key)
{
    std::vector<std::optional<double>> out;
    if (const Json *list = r.array(key))
        for (std::size_t i = 0; i < list->size() && r.ok(); ++i) {
            const Json &v = (*list)[i];
            if (v.is_null())
                out.emplace_back();
            else if (v.is_number())
                out.emplace_back(v.get<double>());
            else
                r.fail(fmt::format("{}[{}]", key, i), "must be a number or null");
        }
    return out;
}

template <typename T> std::vector<T> readIntegers(Reader &r, const char *key)
{
    std::vector<T> out;
    if (const Json *list = r.array(key))
        for (std::size_t i = 0; i < list->size() && r.ok(); ++i) {
            if ((*list)[i].is_number_integer())
                out.push_back((*list)[i].get<T>());
            else
                r.fail(fmt::format("{}[{}]", key, i), "must be an integer");
        }
    return out;
}

Fields readFields(Reader &r, const char *key)
{
    Fields out;
    if (const Json *v = r.find(key, true)) {
        if (auto fields = fieldsFromJson(*v))
            out = std::move(fields.value());
        else
            r.fail(key, "must be an object of field values");
    }
    return out;
}

// Each element of an array of objects with a Reader over it.
template <typename Fn> void eachElement(Reader &r, const Json *list, const std::string &path, Fn fn)
{
    if (!list)
        return;
    for (std::size_t i = 0; i < list->size() && r.ok(); ++i) {
        if (!(*list)[i].is_object()) {
            r.fail(fmt::format("{}[{}]", path, i), "must be an object");
            return;
        }
        fn(i, (*list)[i]);
    }
}

CandidateProposedEvent decodeCandidateProposed(Reader &r, const std::string &where, std::optional<Error> *error)
{
    CandidateProposedEvent e;
    e.iteration = r.integer<int>("iteration");
    e.kind = r.str("kind");
    e.parents = readIntegers<int>(r, "parents");
    if (const auto c = r.optInteger("candidate", true))
        e.candidate = static_cast<int>(*c);
    e.config = readConfig(r);
    e.configKey = r.str("config_key");
    eachElement(r, r.array("proposals"), "proposals", [&](std::size_t i, const Json &pj) {
        Reader p(pj, where, fmt::format("proposals[{}].", i), error);
        PredictorProposal proposal;
        proposal.predictor = p.str("predictor");
        proposal.answer = p.str("answer");
        if (const auto n = p.optInteger("instruction", true))
            proposal.instruction = static_cast<int>(*n);
        proposal.error = p.optStr("error", true);
        eachElement(p, p.array("records"), "records", [&](std::size_t k, const Json &rj) {
            Reader rec(rj, where, fmt::format("proposals[{}].records[{}].", i, k), error);
            ReflectionRecord record;
            record.example = rec.integer<std::size_t>("example");
            record.inputs = readFields(rec, "inputs");
            record.outputs = readFields(rec, "outputs");
            record.feedback = rec.str("feedback");
            record.score = rec.optNumber("score");
            proposal.records.push_back(std::move(record));
        });
        e.proposals.push_back(std::move(proposal));
    });
    e.minibatch = readIntegers<std::size_t>(r, "minibatch");
    e.parentScores = readScores(r, "parent_scores");
    e.childScores = readScores(r, "child_scores");
    const Json *accepted = r.find("accepted", true);
    if (accepted && !accepted->is_boolean())
        r.fail("accepted", "must be true or false");
    e.accepted = accepted && accepted->is_boolean() && accepted->get<bool>();
    e.verdict = r.str("verdict");
    if (const auto t = r.optInteger("trial", true))
        e.trial = static_cast<int>(*t);
    e.metricCalls = r.integer<long long>("metric_calls");
    e.maxMetricCalls = r.integer<long long>("max_metric_calls");
    return e;
}

EventPayload decodeAny(EventType type, Reader &r, const std::string &where, std::optional<Error> *error)
{
    switch (type) {
    case EventType::RunStarted: return decodeRunStarted(r);
    case EventType::PhaseStarted: {
        PhaseStartedEvent e;
        e.phase = r.str("phase");
        if (const auto n = r.optInteger("num_trials", false))
            e.numTrials = static_cast<int>(*n);
        return e;
    }
    case EventType::DemoSetReady: return decodeDemoSetReady(r);
    case EventType::SummaryReady: {
        SummaryReadyEvent e;
        e.kind = r.str("kind");
        e.predictor = r.optStr("predictor", false);
        e.text = r.str("text");
        return e;
    }
    case EventType::InstructionProposed: {
        InstructionProposedEvent e;
        e.predictor = r.str("predictor");
        e.index = r.integer<std::size_t>("index");
        e.text = r.str("text");
        e.tip = r.optStr("tip", true);
        return e;
    }
    case EventType::TrialStarted: {
        TrialStartedEvent e;
        e.trial = r.integer<int>("trial");
        e.kind = r.str("kind");
        e.config = readConfig(r);
        e.configKey = r.str("config_key");
        e.examples = r.integer<std::size_t>("examples");
        e.searchTrial = r.optInteger("search_trial");
        return e;
    }
    case EventType::TrialFinished: return decodeTrialFinished(r);
    case EventType::FullEvalFinished: {
        FullEvalFinishedEvent e;
        e.trial = r.integer<int>("trial");
        e.config = readConfig(r);
        e.configKey = r.str("config_key");
        e.score = r.number("score");
        e.rankEstimate = r.optNumber("rank_estimate");
        return e;
    }
    case EventType::BestUpdated: {
        BestUpdatedEvent e;
        e.trial = r.integer<int>("trial");
        e.config = readConfig(r);
        e.configKey = r.str("config_key");
        e.score = r.number("score");
        return e;
    }
    case EventType::BudgetWarning: return BudgetWarningEvent{r.str("message")};
    case EventType::Warning: return WarningEvent{r.str("message")};
    case EventType::Error: return ErrorEvent{r.str("message")};
    case EventType::RunFinished: return decodeRunFinished(r);
    case EventType::CandidateProposed: return decodeCandidateProposed(r, where, error);
    case EventType::ProgramChosen: {
        ProgramChosenEvent e;
        e.config = readConfig(r);
        e.configKey = r.str("config_key");
        e.score = r.optNumber("score");
        e.by = r.str("by");
        e.replaced = r.str("replaced");
        return e;
    }
    }
    return WarningEvent{};
}

std::string eventWhere(EventType type, std::uint64_t seq)
{
    return fmt::format("event {} ({})", seq, eventTypeName(type));
}

} // namespace

Json payloadToJson(const EventPayload &payload)
{
    return std::visit([](const auto &e) { return encode(e); }, payload);
}

std::string encodePayload(const EventPayload &payload)
{
    return dumpJson(payloadToJson(payload));
}

Result<EventPayload> payloadFromJson(EventType type, const Json &object, std::uint64_t seq)
{
    if (!object.is_object())
        return Error::make(ErrorKind::Parse, eventWhere(type, seq) + ": the payload is not a JSON object");
    std::optional<Error> error;
    const std::string where = eventWhere(type, seq);
    Reader reader(object, where, std::string(), &error);
    EventPayload payload = decodeAny(type, reader, where, &error);
    if (error)
        return *error;
    return payload;
}

Result<EventPayload> decodePayload(EventType type, const std::string &text, std::uint64_t seq)
{
    const Json object = Json::parse(text, nullptr, false);
    if (object.is_discarded())
        return Error::make(ErrorKind::Parse, eventWhere(type, seq) + ": the payload is not valid JSON");
    return payloadFromJson(type, object, seq);
}

std::string toJsonLine(const RunEvent &event)
{
    Json line = Json::object();
    line["seq"] = event.seq;
    line["type"] = eventTypeName(event.type());
    line["elapsed"] = event.elapsedSeconds;
    const Json payload = payloadToJson(event.payload);
    for (auto it = payload.begin(); it != payload.end(); ++it)
        line[it.key()] = it.value();
    return dumpJson(line);
}

Result<RunEvent> runEventFromJsonLine(const std::string &text)
{
    Json line = Json::parse(text, nullptr, false);
    if (!line.is_object())
        return Error::make(ErrorKind::Parse, "an event line is not a JSON object");
    const auto seq = line.find("seq");
    if (seq == line.end() || !seq->is_number_unsigned())
        return Error::make(ErrorKind::Parse, "an event line has no \"seq\" (a positive integer)");
    RunEvent event;
    event.seq = seq->get<std::uint64_t>();
    const auto type = line.find("type");
    EventType t = EventType::Warning;
    if (type == line.end() || !type->is_string() || !eventTypeFromName(type->get<std::string>(), t))
        return Error::make(ErrorKind::Parse,
                           fmt::format("event {}: key \"type\" is missing or not an event type", event.seq));
    const auto elapsed = line.find("elapsed");
    if (elapsed == line.end() || !elapsed->is_number())
        return Error::make(ErrorKind::Parse, fmt::format("event {}: key \"elapsed\" must be a number", event.seq));
    event.elapsedSeconds = elapsed->get<double>();
    line.erase("seq");
    line.erase("type");
    line.erase("elapsed");
    auto payload = payloadFromJson(t, line, event.seq);
    if (!payload)
        return payload.error();
    event.payload = std::move(payload.value());
    return event;
}

std::string demosToJsonText(const std::vector<Demo> &demos)
{
    return dumpJson(demosJson(demos));
}

std::string configToJsonText(const std::vector<ConfigChoice> &config)
{
    return dumpJson(configJson(config));
}

Result<std::vector<ConfigChoice>> configFromJsonText(const std::string &text, std::uint64_t seq)
{
    const Json config = Json::parse(text, nullptr, false);
    const Json object = Json{{"config", config}};
    std::optional<Error> error;
    Reader reader(object, eventWhere(EventType::TrialFinished, seq), std::string(), &error);
    std::vector<ConfigChoice> out = readConfig(reader);
    if (error)
        return *error;
    return out;
}

Json callsByRoleToJson(const std::map<std::string, RoleCallTotals> &calls)
{
    return callsJson(calls);
}

Json tokensByRoleToJson(const std::map<std::string, RoleTokenTotals> &tokens)
{
    return tokensJson(tokens);
}

} // namespace prism
