#include "server/api_request.h"

#include "core/input_file.h"
#include "core/json_reader.h"
#include "core/study.h"
#include "lm/openai_client.h"
#include "server/upload.h"

#include <nlohmann/json.hpp>

namespace prism {

namespace {

void readBudget(JsonReader &reader, const Json &object, const JsonPath &at, Budget &budget)
{
    reader.expectKeys(object, at, {"calls", "tokens", "dollars", "seconds"});
    std::optional<double> calls, tokens, dollars, seconds;
    reader.read(object, at, "calls", calls);
    reader.read(object, at, "tokens", tokens);
    reader.read(object, at, "dollars", dollars);
    reader.read(object, at, "seconds", seconds);
    const auto whole = [&](const char *key, const std::optional<double> &v, std::optional<long long> &out) {
        if (!v)
            return;
        if (*v < 1 || *v > 1e15 || *v != static_cast<double>(static_cast<long long>(*v)))
            reader.fail(at.key(key), "must be a whole number of at least 1");
        out = static_cast<long long>(*v);
    };
    const auto positive = [&](const char *key, const std::optional<double> &v, std::optional<double> &out) {
        if (!v)
            return;
        if (!(*v > 0) || *v > 1e15)
            reader.fail(at.key(key), "must be a number above 0");
        out = *v;
    };
    whole("calls", calls, budget.maxCalls);
    whole("tokens", tokens, budget.maxTokens);
    positive("dollars", dollars, budget.maxDollars);
    positive("seconds", seconds, budget.maxWallSeconds);
}

void readSettings(JsonReader &reader, const Json &object, const JsonPath &at, RunSettings &settings)
{
    reader.expectKeys(object, at, {"optimizer", "auto", "seed", "threads", "compare_on_test", "use_cache", "budget"});
    std::string optimizer, autoMode;
    reader.read(object, at, "optimizer", optimizer);
    reader.read(object, at, "auto", autoMode);
    if (!optimizer.empty())
        settings.optimizer = optimizer;
    if (!autoMode.empty()) {
        if (autoMode != "light" && autoMode != "medium" && autoMode != "heavy")
            reader.fail(at.key("auto"), "must be light, medium or heavy");
        settings.autoMode = autoMode;
    }
    if (object.contains("seed") && !object["seed"].is_null()) {
        std::uint64_t seed = 0;
        reader.read(object, at, "seed", seed);
        settings.seed = seed;
    }
    reader.read(object, at, "threads", settings.threads, 1, 64);
    reader.read(object, at, "compare_on_test", settings.compareOnTest);
    reader.read(object, at, "use_cache", settings.lm.useCache);
    if (object.contains("budget") && !object["budget"].is_null())
        readBudget(reader, reader.object(object["budget"], at.key("budget")), at.key("budget"), settings.lm.budget);
}

void readFiles(JsonReader &reader, const Json &object, const JsonPath &at, std::map<std::string, std::string> &files)
{
    for (const auto &[path, content] : object.items()) {
        if (!content.is_string())
            reader.fail(at.key(path), "must be the file's text (a JSON string)");
        files[path] = content.get<std::string>();
    }
}

} // namespace

Result<CreateRunRequest> parseCreateRunRequest(std::string_view body)
{
    const Json document = Json::parse(body.begin(), body.end(), nullptr, false);
    if (document.is_discarded())
        return Error::make(ErrorKind::Parse, "the request body is not valid JSON");
    if (!document.is_object())
        return Error::make(ErrorKind::Config, "the request body must be an object: {\"study\": ...}");
    CreateRunRequest request;
    JsonReader reader("request", body);
    try {
        const JsonPath root;
        reader.object(document, root);
        reader.expectKeys(document, root, {"study", "files", "settings"});
        if (!document.contains("study") || document["study"].is_null())
            reader.fail(root.key("study"), "is missing: the study to run (a .prism.json object)");
        request.studyText = reader.object(document["study"], root.key("study")).dump();
        // As the client wrote it, so an error in the study names the
        // request's line, not line 1 of a re-serialized copy.
        if (auto written = jsonMemberKeepingLines(body, "study");
            written && Json::parse(*written, nullptr, false) == document["study"])
            request.studyText = std::move(*written);
        if (document.contains("files") && !document["files"].is_null())
            readFiles(reader, reader.object(document["files"], root.key("files")), root.key("files"), request.files);
        if (document.contains("settings") && !document["settings"].is_null())
            readSettings(reader, reader.object(document["settings"], root.key("settings")), root.key("settings"),
                         request.settings);
    } catch (const JsonReader::Failure &failure) {
        return JsonReader::toError(failure, ErrorKind::Config);
    }
    if (auto files = checkUploadedFiles(request.files); !files)
        return files.error();
    request.warnings = reader.warnings();
    return request;
}

namespace {

ProgramSpec readProgramSpec(JsonReader &reader, const Json &value, const JsonPath &at, ProgramSpec::Kind fallback)
{
    ProgramSpec spec;
    spec.kind = fallback;
    if (value.is_null()) {
        spec.specText = fallback == ProgramSpec::Kind::Baseline ? "\"baseline\"" : "\"optimized\"";
        return spec;
    }
    spec.specText = value.dump();
    if (value.is_string()) {
        const std::string name = value.get<std::string>();
        if (name == "baseline")
            spec.kind = ProgramSpec::Kind::Baseline;
        else if (name == "optimized")
            spec.kind = ProgramSpec::Kind::Optimized;
        else
            reader.fail(at, "must be \"baseline\", \"optimized\", {\"run\": ID} or {\"program\": {...}}, not \""
                                + name.substr(0, 40) + "\"");
        return spec;
    }
    const Json &object = reader.object(value, at);
    if (object.size() != 1 || (!object.contains("run") && !object.contains("program")))
        reader.fail(at, "must hold exactly one key, \"run\" (a run's artifact) or \"program\" (a program)");
    if (object.contains("run")) {
        reader.read(object, at, "run", spec.runId);
        if (spec.runId.empty())
            reader.fail(at.key("run"), "must be a run id (r-YYYYMMDD-NNNN)");
        spec.kind = ProgramSpec::Kind::Run;
        return spec;
    }
    spec.kind = ProgramSpec::Kind::Inline;
    spec.programText = reader.object(object["program"], at.key("program")).dump();
    return spec;
}

} // namespace

Result<CreateCompareRequest> parseCreateCompareRequest(std::string_view body)
{
    const bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
    const Json document = blank ? Json::object() : Json::parse(body.begin(), body.end(), nullptr, false);
    if (document.is_discarded())
        return Error::make(ErrorKind::Parse, "the request body is not valid JSON");
    if (!document.is_object())
        return Error::make(ErrorKind::Config, "the request body must be an object, {\"split\": ...}, or empty");
    CreateCompareRequest request;
    JsonReader reader("request", body);
    try {
        const JsonPath root;
        reader.object(document, root);
        reader.expectKeys(document, root, {"split", "baseline", "candidate"});
        reader.read(document, root, "split", request.split);
        if (request.split != "train" && request.split != "val" && request.split != "test")
            reader.fail(root.key("split"), "must be train, val or test");
        const auto member = [&](const char *key) { return document.contains(key) ? document[key] : Json(); };
        request.baseline =
            readProgramSpec(reader, member("baseline"), root.key("baseline"), ProgramSpec::Kind::Baseline);
        request.candidate =
            readProgramSpec(reader, member("candidate"), root.key("candidate"), ProgramSpec::Kind::Optimized);
    } catch (const JsonReader::Failure &failure) {
        return JsonReader::toError(failure, ErrorKind::Config);
    }
    request.warnings = reader.warnings();
    return request;
}

namespace {

Json settingsJson(const RunSettings &settings)
{
    Json j = Json::object();
    if (settings.optimizer)
        j["optimizer"] = *settings.optimizer;
    if (settings.autoMode)
        j["auto"] = *settings.autoMode;
    if (settings.seed)
        j["seed"] = *settings.seed;
    if (settings.threads)
        j["threads"] = *settings.threads;
    j["compare_on_test"] = settings.compareOnTest;
    j["use_cache"] = settings.lm.useCache;
    const Budget &b = settings.lm.budget;
    Json budget = Json::object();
    if (b.maxCalls)
        budget["calls"] = *b.maxCalls;
    if (b.maxTokens)
        budget["tokens"] = *b.maxTokens;
    if (b.maxDollars)
        budget["dollars"] = *b.maxDollars;
    if (b.maxWallSeconds)
        budget["seconds"] = *b.maxWallSeconds;
    if (!budget.empty())
        j["budget"] = budget;
    return j;
}

} // namespace

Result<void> checkUploadedStudy(const Study &study, const std::map<std::string, std::string> &files,
                                const std::vector<std::string> &allowedEndpoints)
{
    const std::pair<const char *, const std::optional<DatasetSource> *> splits[] = {
        {"train", &study.data.train}, {"val", &study.data.val}, {"test", &study.data.test}};
    for (const auto &[split, source] : splits)
        if (*source && !files.count((*source)->path))
            return Error::make(ErrorKind::Config, std::string("study: data.") + split + ".path \"" + (*source)->path
                                                      + "\" is not one of the uploaded files; upload it in \"files\""
                                                        " under that path");
    const std::pair<const char *, const ModelConfig *> models[] = {{"task", &study.taskModel},
                                                                   {"proposer", &study.proposerModel},
                                                                   {"reflection", &study.reflectionModel},
                                                                   {"judge", &study.judgeModel}};
    for (const auto &[role, entry] : models)
        for (const ModelConfig &endpoint : endpointConfigs(*entry)) {
            if (endpoint.provider == Provider::SimLm)
                continue;
            const char *own = endpoint.provider == Provider::Anthropic ? kAnthropicBaseUrl : kOpenAiBaseUrl;
            const std::string url = baseUrlOr(endpoint.baseUrl, own);
            bool allowed = url == own;
            for (const std::string &prefix : allowedEndpoints)
                allowed = allowed || (!prefix.empty() && url.rfind(prefix, 0) == 0);
            if (!allowed)
                return Error::make(ErrorKind::Config,
                                   std::string("study: models.") + role + " sends the workers' key to " + url
                                       + ", which this server does not allow (the providers' own URLs and"
                                         " prism serve --api --allow-endpoints URL are)");
        }
    return {};
}

Result<std::string> createRunRequestBody(const Study &input, const RunSettings &settings)
{
    Study study = input;
    Json files = Json::object();
    const std::pair<const char *, std::optional<DatasetSource> *> splits[] = {
        {"train", &study.data.train}, {"val", &study.data.val}, {"test", &study.data.test}};
    for (const auto &[split, source] : splits) {
        if (!*source)
            continue;
        const std::string path = (*source)->path;
        auto text = readInputFile(study.resolvePath(path), ReadLimit{study.data.limits.maxFileBytes, "a data file",
                                                                     "data.max_file_bytes in the study"});
        if (!text)
            return text.error();
        std::string uploaded = path;
        if (!checkUploadPath(path)) {
            const auto dot = path.rfind('.');
            const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
            uploaded = std::string("data/") + split + (checkUploadPath("x" + ext) ? ext : std::string());
        }
        (*source)->path = uploaded;
        files[uploaded] = text.value();
    }
    Json body = Json::object();
    body["study"] = Json::parse(studyToJsonText(study));
    body["files"] = files;
    body["settings"] = settingsJson(settings);
    return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace prism
