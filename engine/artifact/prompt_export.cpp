#include "artifact/prompt_export.h"

#include "core/json.h"

#include <nlohmann/json.hpp>

#include <set>
#include <utility>
#include <vector>

namespace prism {

namespace {

struct RenderedStage {
    std::string predictor;
    std::vector<ChatMessage> messages;
};

std::vector<RenderedStage> renderStages(const Program &program, const Fields &exampleInputs, const Adapter &adapter)
{
    std::vector<RenderedStage> stages;
    std::set<std::string> produced;
    for (const auto &predictor : program.predictors) {
        const Signature signature = predictor.effectiveSignature();
        Fields inputs;
        for (const auto &field : signature.inputs) {
            const Value *value = exampleInputs.find(field.name);
            // An earlier stage's output is only known at run time, even if the example has a value of that name.
            if (value && !produced.contains(field.name))
                inputs.set(field.name, *value);
            else
                inputs.set(field.name, Value("{" + field.name + "}"));
        }
        stages.push_back({predictor.name, adapter.format(signature, predictor.demos, inputs)});
        for (const auto &field : signature.outputs)
            produced.insert(field.name);
    }
    return stages;
}

} // namespace

std::string renderPromptMessagesJson(const Program &program, const Fields &exampleInputs, const Adapter &adapter)
{
    Json out = Json::array();
    for (const auto &stage : renderStages(program, exampleInputs, adapter)) {
        Json messages = Json::array();
        for (const auto &m : stage.messages) {
            Json message = Json::object();
            message["role"] = m.role;
            message["content"] = m.content;
            messages.push_back(std::move(message));
        }
        Json entry = Json::object();
        entry["predictor"] = stage.predictor;
        entry["messages"] = std::move(messages);
        out.push_back(std::move(entry));
    }
    return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string renderPromptText(const Program &program, const Fields &exampleInputs, const Adapter &adapter)
{
    const auto stages = renderStages(program, exampleInputs, adapter);
    std::string out;
    for (const auto &stage : stages) {
        if (!out.empty())
            out += "\n";
        if (stages.size() > 1)
            out += "##### predictor: " + stage.predictor + " #####\n\n";
        bool first = true;
        for (const auto &m : stage.messages) {
            if (!first)
                out += "\n\n";
            first = false;
            out += "=== " + m.role + " ===\n" + m.content;
        }
        out += "\n";
    }
    return out;
}

} // namespace prism
