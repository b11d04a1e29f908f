#include "cli.h"
#include "spool.h"

#include "core/json.h"
#include "metric/builtin.h"

#include <nlohmann/json.hpp>

namespace prism::cli {

namespace {

// Each stage's inputs and outputs, then the stage that failed with its error.
Json stagesJson(const ExampleResult &r)
{
    Json stages = Json::array();
    for (const StageTrace &stage : r.stages)
        stages.push_back(
            Json{{"predictor", stage.predictor}, {"inputs", toJson(stage.inputs)}, {"outputs", toJson(stage.outputs)}});
    if (const std::string failed = failedStageOf(r.error); !failed.empty())
        stages.push_back(Json{{"predictor", failed}, {"error", r.error->describe()}});
    return stages;
}

// The first stage that went wrong by the labels (a stage without a labelled
// output cannot be judged on its own here); null when none.
Json firstWrongStageJson(const ExampleResult &r)
{
    const std::string stage = firstWrongStage(r.stages, r.example.labels(), failedStageOf(r.error));
    return stage.empty() ? Json(nullptr) : Json(stage);
}

} // namespace

std::string evalJsonItem(const EvalContext &context, const ExampleResult &r)
{
    Json item = Json::object();
    item["index"] = r.index;
    item["inputs"] = toJson(r.example.inputs());
    item["expected"] = toJson(r.example.labels());
    item["prediction"] = toJson(r.prediction.values);
    item["score"] = r.score ? Json(*r.score) : Json(nullptr);
    item["feedback"] = r.feedback;
    item["error"] = r.error ? Json(r.error->describe()) : Json(nullptr);
    if (context.stages) {
        item["stages"] = stagesJson(r);
        item["first_wrong_stage"] = firstWrongStageJson(r);
    }
    // Indented as an element of the top-level "results" array. A JSON text
    // has no raw newline inside a string, so every newline starts a line.
    std::string text = "    " + item.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    std::string indented;
    indented.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
        indented += c;
        if (c == '\n')
            indented += "    ";
    }
    return indented;
}

void writeEvalJson(std::FILE *stream, const EvalContext &context, const EvalReport &report, PieceSpool &items)
{
    // No call made means zero tokens, not unknown ones.
    auto count = [&](const std::optional<long long> &n) {
        return report.usage.calls == 0 ? Json(0) : n ? Json(*n) : Json(nullptr);
    };

    Json out = Json::object();
    out["score"] = report.scorePercent;
    out["split"] = context.split;
    out["total"] = report.total;
    out["scored"] = report.scored;
    out["errors"] = report.errors;
    out["stopped_early"] = report.stoppedEarly;
    out["stop_reason"] = report.stopReason;
    out["study"] = context.studyName;
    out["model"] = context.model;
    out["adapter"] = context.adapter;
    out["results"] = Json::array(); // spliced in below, item by item
    out["usage"] = Json{{"calls", report.usage.calls},
                        {"prompt_tokens", count(report.usage.promptTokens)},
                        {"completion_tokens", count(report.usage.completionTokens)}};
    if (context.ledger) {
        out["ledger"] = context.ledger->toJson();
        out["cache"] = cacheToJson(context.cache);
    }
    // Invalid UTF-8 in a dataset must not abort the dump: replace it.
    const std::string document = out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    // The one top-level "results" line: deeper keys are indented further, and
    // no string holds a raw newline.
    const std::string placeholder = "\n  \"results\": []";
    const std::size_t at = document.find(placeholder);
    auto put = [stream](const std::string &text) { std::fwrite(text.data(), 1, text.size(), stream); };
    if (at == std::string::npos || items.size() == 0) {
        put(document);
        return;
    }
    put(document.substr(0, at));
    put("\n  \"results\": [\n");
    std::size_t written = 0;
    items.forEach([&](const std::string &item) {
        put(item);
        put(++written < items.size() ? ",\n" : "\n");
    });
    put("  ]");
    put(document.substr(at + placeholder.size()));
}

} // namespace prism::cli
