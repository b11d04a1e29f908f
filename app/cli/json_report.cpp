#include "cli.h"

#include "core/json.h"

#include <nlohmann/json.hpp>

namespace prism::cli {

std::string renderEvalJson(const EvalContext &context, const EvalReport &report)
{
    Json results = Json::array();
    for (const auto &r : report.results) {
        Json item = Json::object();
        item["index"] = r.index;
        item["inputs"] = toJson(r.example.inputs());
        item["expected"] = toJson(r.example.labels());
        item["prediction"] = toJson(r.prediction.values);
        item["score"] = r.score ? Json(*r.score) : Json(nullptr);
        item["feedback"] = r.feedback;
        item["error"] = r.error ? Json(r.error->describe()) : Json(nullptr);
        results.push_back(std::move(item));
    }
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
    out["results"] = std::move(results);
    out["usage"] = Json{{"calls", report.usage.calls},
                        {"prompt_tokens", count(report.usage.promptTokens)},
                        {"completion_tokens", count(report.usage.completionTokens)}};
    if (context.ledger) {
        out["ledger"] = context.ledger->toJson();
        out["cache"] = cacheToJson(context.cache);
    }
    // Invalid UTF-8 in a dataset must not abort the dump: replace it.
    return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

} // namespace prism::cli
