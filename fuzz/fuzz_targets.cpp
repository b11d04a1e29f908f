#include "fuzz_targets.h"

#include "adapter/chat_adapter.h"
#include "adapter/json_adapter.h"
#include "artifact/artifact.h"
#include "core/study.h"
#include "data/dataset.h"
#include "lm/anthropic_client.h"
#include "lm/openai_client.h"
#include "lm/prices.h"
#include "server/api_request.h"
#include "server/upload.h"
#ifdef PRISM_FUZZ_HAS_SCRIPTING
#include "scripting/jsmetric.h"
#endif

#include <algorithm>
#include <cmath>
#include <memory>
#include <string_view>

namespace prism::fuzz {

namespace {

// A broken invariant: libFuzzer reports the trap with the input that caused it.
void check(bool invariant)
{
    if (!invariant)
        __builtin_trap();
}

void checkError(const Error &error, std::string_view sourceName)
{
    check(!error.message.empty());
    if (!sourceName.empty())
        check(error.message.find(sourceName) != std::string::npos);
}

std::string text(const std::uint8_t *data, std::size_t size)
{
    return std::string(reinterpret_cast<const char *>(data), size);
}

Field field(std::string name, Type type)
{
    Field f;
    f.name = std::move(name);
    f.type = std::move(type);
    return f;
}

// One output of every type the signature language has.
Signature typedSignature()
{
    Signature s;
    s.instruction = "Fill every field.";
    s.inputs = {field("question", Type::string())};
    s.outputs = {field("answer", Type::string()),
                 field("count", Type::integer()),
                 field("confidence", Type::floating()),
                 field("flagged", Type::boolean()),
                 field("severity", Type::enumOf({"low", "medium", "high"})),
                 field("tags", Type::listOf(Type::string())),
                 field("violations", Type::listOf(Type::enumOf({"hate", "spam", "other"})))};
    return s;
}

const std::vector<std::string> kPolicies = {"harassment", "hate", "sexual", "violence", "self_harm", "spam", "other"};

// The moderation sample's signature, descriptions included (the artifact
// loader checks them against DSPy's saved fields).
Signature moderationSignature()
{
    Signature s;
    s.instruction = "Classify the snippet for moderation.";
    s.inputs = {field("snippet", Type::string())};
    s.outputs = {field("severity", Type::enumOf({"low", "medium", "high"})),
                 field("policy_violations", Type::listOf(Type::enumOf(kPolicies)))};
    s.outputs[0].description = "Overall severity of the snippet for moderation routing.";
    s.outputs[1].description = "Zero or more policy categories the snippet violates.";
    return s;
}

Predictor predictor(std::string name, Signature signature, PredictorKind kind = PredictorKind::Predict)
{
    Predictor p;
    p.name = std::move(name);
    p.kind = kind;
    p.signature = std::move(signature);
    return p;
}

// Classify, then explain with ChainOfThought (the shape of the two-predictor fixture).
Program pipeline()
{
    Signature explain;
    explain.instruction = "Given the fields `snippet`, `severity`, produce the fields `explanation`.";
    explain.inputs = {field("snippet", Type::string()), field("severity", Type::enumOf({"low", "medium", "high"}))};
    explain.outputs = {field("explanation", Type::string())};
    Program program;
    program.predictors = {predictor("classify", moderationSignature()),
                          predictor("explain", explain, PredictorKind::ChainOfThought)};
    return program;
}

Program single(Signature signature, PredictorKind kind = PredictorKind::Predict)
{
    Program program;
    program.predictors = {predictor("predict", std::move(signature), kind)};
    return program;
}

// The programs inputs are checked against; the first byte picks one.
const Program &programFor(std::uint8_t selector)
{
    static const Program programs[] = {single(moderationSignature()),
                                       single(moderationSignature(), PredictorKind::ChainOfThought), pipeline(),
                                       single(typedSignature())};
    return programs[selector % 4];
}

bool valueHasType(const Value &value, const Type &type)
{
    switch (type.kind()) {
    case TypeKind::String: return value.isString();
    case TypeKind::Int: return value.isInt();
    case TypeKind::Float: return value.isNumber();
    case TypeKind::Bool: return value.isBool();
    case TypeKind::Enum:
        if (!value.isString())
            return false;
        for (const auto &v : type.enumValues())
            if (v == value.asString())
                return true;
        return false;
    case TypeKind::List:
        if (!value.isList())
            return false;
        for (const auto &item : value.asList())
            if (!valueHasType(item, type.element()))
                return false;
        return true;
    }
    return false;
}

int fuzzTable(const std::uint8_t *data, std::size_t size, const char *format, const char *sourceName)
{
    if (size == 0)
        return 0;
    const Program &program = programFor(data[0]);
    auto table = parseTable(text(data + 1, size - 1), format, sourceName);
    if (!table) {
        checkError(table.error(), sourceName);
        return 0;
    }
    check(table->rows.size() == table->lineNumbers.size());
    // Rows start on later lines, except in a JSON array, where several elements may share one
    // line ("{}, {}"): there they never go back.
    const bool sharedLines = std::string_view(format) == "json";
    int previousLine = 0;
    for (std::size_t i = 0; i < table->rows.size(); ++i) {
        check(sharedLines ? table->lineNumbers[i] >= previousLine : table->lineNumbers[i] > previousLine);
        check(table->lineNumbers[i] >= 1);
        previousLine = table->lineNumbers[i];
        for (const auto &[key, value] : table->rows[i]) {
            bool known = false;
            for (const auto &column : table->columns)
                known = known || column == key;
            check(known);
        }
    }
    DatasetSource source;
    source.format = format;
    auto examples = mapRows(*table, source, program, sourceName);
    if (!examples) {
        checkError(examples.error(), sourceName);
        return 0;
    }
    check(examples->size() == table->rows.size());
    // Every value that made it in has its field's type.
    const std::vector<Field> outputs = program.allOutputs();
    for (const auto &example : *examples)
        for (const auto &[name, value] : example.values.items()) {
            if (value.isNull())
                continue;
            for (const auto &f : outputs)
                if (f.name == name)
                    check(valueHasType(value, f.type));
        }
    return 0;
}

int fuzzCsv(const std::uint8_t *data, std::size_t size)
{
    return fuzzTable(data, size, "csv", "fuzz.csv");
}
int fuzzJsonl(const std::uint8_t *data, std::size_t size)
{
    return fuzzTable(data, size, "jsonl", "fuzz.jsonl");
}
int fuzzJson(const std::uint8_t *data, std::size_t size)
{
    return fuzzTable(data, size, "json", "fuzz.json");
}

int fuzzStudy(const std::uint8_t *data, std::size_t size)
{
    const std::string sourceName = "fuzz.prism.json";
    auto study = studyFromJsonText(text(data, size), sourceName);
    if (!study) {
        checkError(study.error(), sourceName);
        return 0;
    }
    // What Prism saves, Prism loads back unchanged.
    const std::string saved = studyToJsonText(*study);
    auto reloaded = studyFromJsonText(saved, sourceName);
    check(reloaded.ok());
    check(*reloaded == *study);
    return 0;
}

// A team server's POST /v1/runs body: accepted or refused with a reason, and
// what is accepted is safe to act on (files stay in their directory, the
// study is a JSON object the study loader then reads).
int fuzzApiRequest(const std::uint8_t *data, std::size_t size)
{
    auto request = parseCreateRunRequest(text(data, size));
    if (!request) {
        checkError(request.error(), "");
        check(request.error().kind == ErrorKind::Parse || request.error().kind == ErrorKind::Config
              || request.error().kind == ErrorKind::Data);
        return 0;
    }
    check(!request->studyText.empty() && request->studyText.front() == '{');
    check(request->files.size() <= kMaxUploadFiles);
    for (const auto &[path, content] : request->files) {
        check(checkUploadPath(path).ok());
        const std::string wrapped = "/" + path + "/";
        check(wrapped.find("/../") == std::string::npos && wrapped.find("/./") == std::string::npos);
        check(path.front() != '/' && content.find('\0') == std::string::npos);
    }
    if (request->settings.threads)
        check(*request->settings.threads >= 1 && *request->settings.threads <= 64);
    if (request->settings.lm.budget.maxCalls)
        check(*request->settings.lm.budget.maxCalls >= 1);
    auto study = studyFromJsonText(request->studyText, "study");
    if (!study)
        checkError(study.error(), "study");
    return 0;
}

int fuzzCompareRequest(const std::uint8_t *data, std::size_t size)
{
    auto request = parseCreateCompareRequest(text(data, size));
    if (!request) {
        checkError(request.error(), "");
        check(request.error().kind == ErrorKind::Parse || request.error().kind == ErrorKind::Config);
        return 0;
    }
    check(request->split == "train" || request->split == "val" || request->split == "test");
    for (const ProgramSpec *spec : {&request->baseline, &request->candidate}) {
        check(!spec->specText.empty());
        check(spec->kind != ProgramSpec::Kind::Run || !spec->runId.empty());
        check(spec->kind != ProgramSpec::Kind::Inline
              || (!spec->programText.empty() && spec->programText.front() == '{'));
    }
    return 0;
}

// The same field names and types, in the same order.
bool sameFields(const std::vector<Field> &a, const std::vector<Field> &b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const Field &x, const Field &y) { return x.name == y.name && x.type == y.type; });
}

int fuzzArtifact(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const Program &program = programFor(data[0]);
    const std::string sourceName = "fuzz-program.json";
    auto loaded = loadDspyProgram(text(data + 1, size - 1), sourceName, program);
    if (!loaded) {
        checkError(loaded.error(), sourceName);
        return 0;
    }
    // The loaded program has the study's shape, and every demo value its field's type.
    check(loaded->program.predictors.size() == program.predictors.size());
    for (std::size_t i = 0; i < program.predictors.size(); ++i) {
        const Predictor &got = loaded->program.predictors[i];
        const Predictor &want = program.predictors[i];
        check(got.name == want.name);
        // The shape is compared on the effective signatures (ChainOfThought's
        // `reasoning` included), not the declared ones: a ChainOfThought
        // artifact whose reasoning description is not DSPy's "${reasoning}"
        // loads with `reasoning` made explicit to keep that description (as
        // DSPy keeps it), so the declared outputs gain one field while the
        // fields the model is asked for and the program returns stay the
        // study's (issue 13 item 22b; fuzz/regressions/artifact/cot-reasoning-*).
        const Signature effective = got.effectiveSignature();
        const Signature wanted = want.effectiveSignature();
        check(sameFields(effective.inputs, wanted.inputs));
        check(sameFields(effective.outputs, wanted.outputs));
        check(got.kind == want.kind);
        for (const auto &demo : got.demos)
            for (const auto &[name, value] : demo.values.items()) {
                const Field *f = effective.findField(name);
                if (f && !value.isNull())
                    check(valueHasType(value, f->type));
            }
    }
    return 0;
}

int fuzzAdapter(const Adapter &adapter, const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const Signature signature = (data[0] & 1) ? typedSignature() : moderationSignature();
    auto parsed = adapter.parse(signature, text(data + 1, size - 1));
    if (!parsed) {
        check(!parsed.error().message.empty());
        check(parsed.error().kind == ErrorKind::Parse);
        return 0;
    }
    // Exactly the outputs, each of its declared type.
    check(parsed->size() == signature.outputs.size());
    for (const auto &f : signature.outputs) {
        const Value *value = parsed->find(f.name);
        check(value != nullptr);
        check(valueHasType(*value, f.type));
    }
    return 0;
}

int fuzzChatAdapter(const std::uint8_t *data, std::size_t size)
{
    static const ChatAdapter adapter;
    return fuzzAdapter(adapter, data, size);
}

int fuzzJsonAdapter(const std::uint8_t *data, std::size_t size)
{
    static const JsonAdapter adapter;
    return fuzzAdapter(adapter, data, size);
}

// The first byte picks the HTTP status, the second a Retry-After header; the
// rest is the body.
struct HttpAnswer {
    int status = 200;
    HttpHeaders headers;
    std::string body;
};

HttpAnswer httpAnswer(const std::uint8_t *data, std::size_t size)
{
    static const int statuses[] = {200, 200, 200, 200, 201, 400, 401, 403, 404,
                                   408, 413, 422, 429, 500, 502, 503, 529, 302};
    HttpAnswer answer;
    if (size >= 1)
        answer.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    if (size >= 2 && data[1] % 8 != 0) {
        static const char *retryAfter[] = {"",      "3",           "-1",  "Wed, 21 Oct 2015 07:28:00 GMT",
                                           "1e300", "99999999999", "nan", "1e308h"};
        static const char *names[] = {"retry-after", "retry-after-ms", "x-ratelimit-reset-requests"};
        answer.headers[names[data[1] / 8 % 3]] = retryAfter[data[1] % 8];
        if (data[1] / 8 % 3 == 2)
            answer.headers["x-ratelimit-remaining-requests"] = "0";
    }
    if (size > 2)
        answer.body = text(data + 2, size - 2);
    return answer;
}

void checkLmResult(const Result<ChatResponse> &response, int status)
{
    if (!response) {
        check(!response.error().message.empty());
        // An HTTP answer is always classified (the message can refine the kind:
        // a 429 "no quota left" is Auth, a 400 "prompt too long" is ContextWindowExceeded).
        check(response.error().kind != ErrorKind::Internal);
        if (response.error().retryAfterSeconds)
            check(*response.error().retryAfterSeconds >= 0
                  && *response.error().retryAfterSeconds <= 3600); // never longer than an hour
        return;
    }
    check(status >= 200 && status < 300);
    check(!response->choices.empty());
    const auto &usage = response->usage;
    if (usage.promptTokens)
        check(*usage.promptTokens >= 0);
    if (usage.completionTokens)
        check(*usage.completionTokens >= 0);
}

int fuzzOpenAiResponse(const std::uint8_t *data, std::size_t size)
{
    const HttpAnswer answer = httpAnswer(data, size);
    ProviderContext ctx;
    ctx.model = "gpt-fuzz";
    ctx.url = "http://127.0.0.1:1/v1/chat/completions";
    checkLmResult(parseOpenAiResponse(answer.status, answer.body, answer.headers, ctx), answer.status);
    auto models = parseModelList(answer.status, answer.body, answer.headers, ctx);
    if (!models)
        check(!models.error().message.empty());
    return 0;
}

int fuzzAnthropicResponse(const std::uint8_t *data, std::size_t size)
{
    const HttpAnswer answer = httpAnswer(data, size);
    ProviderContext ctx;
    ctx.provider = Provider::Anthropic;
    ctx.model = "claude-fuzz";
    ctx.url = "http://127.0.0.1:1/v1/messages";
    checkLmResult(parseAnthropicResponse(answer.status, answer.body, answer.headers, ctx), answer.status);
    return 0;
}

int fuzzPrices(const std::uint8_t *data, std::size_t size)
{
    const std::string sourceName = "fuzz-prices.json";
    auto table = PriceTable::fromJsonText(text(data, size), sourceName);
    if (!table) {
        checkError(table.error(), sourceName);
        return 0;
    }
    for (const auto &[model, price] : table->models()) {
        check(std::isfinite(price.inputPerMillion) && price.inputPerMillion >= 0);
        check(std::isfinite(price.outputPerMillion) && price.outputPerMillion >= 0);
        const auto dollars = table->dollars(model, 1000, 1000);
        check(dollars.has_value() && std::isfinite(*dollars) && *dollars >= 0);
    }
    // What Prism saves, Prism loads back unchanged.
    auto reloaded = PriceTable::fromJsonText(table->toJsonText(), sourceName);
    check(reloaded.ok());
    check(reloaded->models() == table->models());
    return 0;
}

#ifdef PRISM_FUZZ_HAS_SCRIPTING
// The input is JavaScript evaluated inside metric(): whatever value it makes
// (objects, NaN, getters that throw, endless loops) goes through the
// conversion of a metric's result.
int fuzzJsMetric(const std::uint8_t *data, std::size_t size)
{
    static const std::unique_ptr<Metric> metric = [] {
        auto made = makeJsMetric("function metric(example, pred, trace) { return eval(example.code); }", 50);
        check(made.ok());
        return std::move(*made);
    }();
    // Native builders (String.prototype.repeat, padStart/padEnd) run to their
    // end before the time limit can interrupt them: a known limit, bounded by
    // memory (docs/RELIABILITY.md). Inputs using them would only measure it.
    const std::string code = text(data, size);
    if (code.find("repeat") != std::string::npos || code.find("pad") != std::string::npos)
        return 0;
    Example example;
    example.values.set("code", code);
    example.values.set("answer", "42");
    example.inputKeys = {"code"};
    Prediction prediction;
    prediction.values.set("answer", "42");
    auto scored = metric->score(example, prediction);
    if (!scored) {
        check(scored.error().kind == ErrorKind::Script);
        // Where the script went wrong ("metric.js line 1: ..."), or that it ran out of time.
        const std::string &message = scored.error().message;
        check(message.find(kMetricScriptName) != std::string::npos
              || message.find("metric timed out after") != std::string::npos);
        return 0;
    }
    check(std::isfinite(scored->score) && scored->score >= 0.0 && scored->score <= 1.0);
    return 0;
}
#endif

} // namespace

const std::vector<Target> &targets()
{
    static const std::vector<Target> all = {
        {"csv", fuzzCsv},
        {"jsonl", fuzzJsonl},
        {"json", fuzzJson},
        {"study", fuzzStudy},
        {"artifact", fuzzArtifact},
        {"chat_adapter", fuzzChatAdapter},
        {"json_adapter", fuzzJsonAdapter},
        {"openai_response", fuzzOpenAiResponse},
        {"anthropic_response", fuzzAnthropicResponse},
        {"prices", fuzzPrices},
        {"api_request", fuzzApiRequest},
        {"compare_request", fuzzCompareRequest},
#ifdef PRISM_FUZZ_HAS_SCRIPTING
        {"jsmetric", fuzzJsMetric, true},
#endif
    };
    return all;
}

const Target *findTarget(const std::string &name)
{
    for (const auto &t : targets())
        if (name == t.name)
            return &t;
    return nullptr;
}

void initialize(const Target &target)
{
#ifdef PRISM_FUZZ_HAS_SCRIPTING
    if (target.needsScripting) {
        // Lives for the process (libFuzzer never returns from its loop); made
        // before the target's metric, so destroyed after it.
        static ScriptingRuntime runtime;
    }
#else
    (void)target;
#endif
}

} // namespace prism::fuzz
