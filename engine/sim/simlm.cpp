#include "sim/simlm.h"

#include "sim/sim_judge.h"
#include "sim/sim_prompt.h"
#include "sim/sim_proposer.h"
#include "sim/sim_reflect.h"
#include "sim/sim_task.h"
#include "sim/sim_text.h"

#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstdio>
#include <optional>

namespace prism {

namespace {

constexpr double kFlakyRate = 0.05;

struct ModelSpec {
    const char *name;
    const char *noiseModel; // whose fixed error pattern it has
    double noise;
    bool largeProposer;
    bool flaky;
};

constexpr ModelSpec kModels[] = {
    {"sim-small", "sim-small", 0.35, false, false},
    {"sim-large", "sim-large", 0.15, true, false},
    {"sim-flaky", "sim-small", 0.35, false, true},
};

const ModelSpec *findModel(const std::string &name)
{
    for (const ModelSpec &m : kModels)
        if (name == m.name)
            return &m;
    return nullptr;
}

std::string quoteJson(const std::string &s)
{
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Lists as Python's json.dumps writes them, the way DSPy renders demo values.
std::string listText(const std::vector<std::string> &items)
{
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? ", " : "") + quoteJson(items[i]);
    return out + "]";
}

std::string chatValue(const sim::Answer &a)
{
    switch (a.kind) {
    case sim::FieldKind::Bool: return a.text == "true" ? "True" : a.text == "false" ? "False" : a.text;
    case sim::FieldKind::ListEnum:
    case sim::FieldKind::List: return listText(a.items);
    default: return a.text;
    }
}

std::string renderChat(const std::vector<sim::Answer> &answers, bool completed)
{
    std::string out;
    for (const sim::Answer &a : answers)
        out += "[[ ## " + a.field + " ## ]]\n" + chatValue(a) + "\n\n";
    if (completed)
        out += "[[ ## completed ## ]]";
    return out;
}

std::string renderJson(const std::vector<sim::Answer> &answers, bool completed)
{
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (const sim::Answer &a : answers) {
        switch (a.kind) {
        case sim::FieldKind::Int:
            obj[a.field] = static_cast<long long>(std::llround(std::strtod(a.text.c_str(), nullptr)));
            break;
        case sim::FieldKind::Float: obj[a.field] = std::strtod(a.text.c_str(), nullptr); break;
        case sim::FieldKind::Bool:
            if (a.text == "true" || a.text == "false")
                obj[a.field] = a.text == "true";
            else
                obj[a.field] = a.text;
            break;
        case sim::FieldKind::ListEnum:
        case sim::FieldKind::List: obj[a.field] = a.items; break;
        default: obj[a.field] = a.text;
        }
    }
    std::string text = obj.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!completed)
        text.pop_back(); // a truncated object: the closing brace is missing
    return text;
}

std::vector<sim::Answer> answerAll(const sim::Prompt &prompt, const sim::DrawContext &context)
{
    sim::TaskSkills task(prompt, context);
    const sim::JudgeSkills judge(prompt, context);
    std::vector<sim::Answer> answers;
    int reasoning = -1;
    for (const sim::PromptField &field : prompt.outputs) {
        if (judge.handles(field)) {
            answers.push_back(judge.answer(field));
        } else if (sim::isReflectionField(prompt, field)) {
            answers.push_back({field.name, field.kind, sim::reflect(sim::reflectionRequestOf(prompt), context), {}});
        } else if (sim::isProposerField(prompt, field)) {
            answers.push_back({field.name, field.kind, sim::propose(prompt, field, context), {}});
        } else if (field.name == "reasoning"
                   && (field.kind == sim::FieldKind::String || field.kind == sim::FieldKind::Other)) {
            reasoning = static_cast<int>(answers.size());
            answers.push_back({field.name, field.kind, {}, {}});
        } else {
            answers.push_back(task.answer(field));
        }
    }
    if (reasoning >= 0)
        answers[static_cast<std::size_t>(reasoning)].text = task.reasoning();
    return answers;
}

std::uint64_t messagesHash(const std::vector<ChatMessage> &messages)
{
    sim::DrawHash h;
    for (const ChatMessage &m : messages)
        h.add(m.role).add(m.content);
    return h.value();
}

sim::DrawContext drawContext(const ModelSpec &spec, const ChatRequest &request, int choice)
{
    sim::DrawContext context;
    context.model = spec.noiseModel;
    context.seed = request.seed.value_or(0);
    context.temperature = request.temperature;
    // Extra choices are further rollouts: they differ only when sampling (temperature > 0).
    context.rollout = choice == 0
                          ? request.rollout
                          : sim::DrawHash().add(request.rollout).add(static_cast<std::uint64_t>(choice)).value();
    context.noise = spec.noise;
    context.largeProposer = spec.largeProposer;
    return context;
}

// sim-flaky: a malformed answer (missing field, bad enum value, no completed marker) now and then.
bool spoilAnswer(const ModelSpec &spec, const sim::DrawContext &context, const ChatRequest &request,
                 std::uint64_t requestHash, std::vector<sim::Answer> &answers)
{
    // Seeded on the whole request and its rollout, so a retry with a new rollout can succeed.
    sim::DrawHash h;
    h.add("flaky").add(spec.name).add(static_cast<std::uint64_t>(context.seed)).add(requestHash);
    h.add(std::bit_cast<std::uint64_t>(request.temperature)).add(context.rollout);
    if (h.unit() >= kFlakyRate)
        return true;
    const int kind = static_cast<int>(sim::DrawHash(h).add("kind").unit() * 3);
    sim::Answer *choiceField = nullptr;
    for (sim::Answer &a : answers)
        if (!choiceField
            && (a.kind == sim::FieldKind::Enum || a.kind == sim::FieldKind::ListEnum || a.kind == sim::FieldKind::Bool))
            choiceField = &a;
    if (kind == 2)
        return false;
    if (kind == 1 && choiceField) {
        choiceField->text = "unknown";
        choiceField->items = {"unknown"};
        if (choiceField->kind == sim::FieldKind::Bool)
            choiceField->text = "maybe";
    } else {
        const auto drop =
            static_cast<std::size_t>(sim::DrawHash(h).add("field").unit() * static_cast<double>(answers.size()));
        answers.erase(answers.begin() + static_cast<std::ptrdiff_t>(std::min(drop, answers.size() - 1)));
    }
    return true;
}

std::string answerChat(const ModelSpec &spec, const sim::Prompt &prompt, const sim::DrawContext &context,
                       const ChatRequest &request, std::uint64_t requestHash)
{
    std::vector<sim::Answer> answers = answerAll(prompt, context);
    const bool completed = spec.flaky ? spoilAnswer(spec, context, request, requestHash, answers) : true;
    return prompt.jsonMode ? renderJson(answers, completed) : renderChat(answers, completed);
}

} // namespace

SimLm::SimLm(std::string model) : m_model(std::move(model)) {}

bool SimLm::isKnownModel(const std::string &model)
{
    return findModel(model) != nullptr;
}

std::vector<std::string> SimLm::modelNames()
{
    std::vector<std::string> names;
    for (const ModelSpec &m : kModels)
        names.emplace_back(m.name);
    return names;
}

std::string SimLm::describe() const
{
    return "simlm/" + m_model;
}

Result<ChatResponse> SimLm::complete(const ChatRequest &request)
{
    const ModelSpec *spec = findModel(m_model);
    if (!spec)
        return Error::make(ErrorKind::InvalidRequest, "unknown SimLm model '" + m_model
                                                          + "'; known models: " + sim::joinStrings(modelNames(), ", "));
    if (!std::isfinite(request.temperature) || request.temperature < 0)
        return Error::make(ErrorKind::InvalidRequest, "SimLm: temperature must be a number >= 0");
    if (request.n < 1)
        return Error::make(ErrorKind::InvalidRequest, "SimLm: n must be at least 1");
    // GEPA's reflection prompt is one raw user message, not the ChatAdapter format: read it first.
    const std::optional<sim::ReflectionRequest> reflection = sim::readGepaReflection(request.messages);
    std::optional<sim::Prompt> prompt;
    if (!reflection) {
        Result<sim::Prompt> read = sim::readPrompt(request.messages, request.responseFormat);
        if (!read)
            return read.error();
        prompt = std::move(*read);
    }

    const std::uint64_t requestHash = messagesHash(request.messages);
    ChatResponse response;
    response.model = m_model;
    long long completionChars = 0;
    for (int choice = 0; choice < request.n; ++choice) {
        const sim::DrawContext context = drawContext(*spec, request, choice);
        std::string text = reflection ? "```\n" + sim::reflect(*reflection, context) + "\n```"
                                      : answerChat(*spec, *prompt, context, request, requestHash);
        if (request.maxTokens > 0 && sim::countChars(text) > static_cast<std::size_t>(request.maxTokens) * 4)
            text = sim::cutChars(text, static_cast<std::size_t>(request.maxTokens) * 4);
        completionChars += static_cast<long long>(sim::countChars(text));
        response.choices.push_back(std::move(text));
    }

    long long promptChars = 0;
    for (const ChatMessage &m : request.messages)
        promptChars += static_cast<long long>(sim::countChars(m.content));
    response.usage.promptTokens = (promptChars + 3) / 4;
    response.usage.completionTokens = (completionChars + 3) / 4;
    response.usage.calls = 1;
    char id[32];
    std::snprintf(
        id, sizeof id, "sim-%016llx",
        static_cast<unsigned long long>(sim::DrawHash().add(m_model).add(requestHash).add(request.rollout).value()));
    response.requestId = id;
    return response;
}

} // namespace prism
