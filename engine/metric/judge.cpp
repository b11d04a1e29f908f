#include "metric/judge.h"

#include <spdlog/fmt/fmt.h>

namespace prism {

namespace {

// "name: value" lines, in the order given.
std::string fieldLines(const Fields &fields, const std::vector<std::string> &names)
{
    std::string out;
    for (const std::string &name : names) {
        if (!out.empty())
            out += "\n";
        out += name + ": " + fields.get(name).toText();
    }
    return out;
}

std::string memoKey(const JudgeRequest &request)
{
    // Each part prefixed by its length, so no two requests share a key.
    std::string key;
    auto add = [&key](const std::string &part) { key += std::to_string(part.size()) + ":" + part; };
    add(request.rubric);
    add(request.inputs);
    add(request.response);
    if (request.reference)
        add(*request.reference);
    else
        key += "-";
    return key;
}
} // namespace

JudgeMetric::JudgeMetric(JudgeSpec spec, std::vector<std::string> responseFields, std::unique_ptr<Metric> cheap,
                         std::shared_ptr<const Judge> judge)
    : m_spec(std::move(spec)), m_responseFields(std::move(responseFields)), m_cheap(std::move(cheap)),
      m_judge(std::move(judge))
{}

Result<JudgeRequest> JudgeMetric::requestFor(const Example &example, const Prediction &prediction) const
{
    JudgeRequest request;
    request.rubric = m_spec.rubric;
    std::vector<std::string> inputNames;
    for (const auto &[name, value] : example.inputs())
        inputNames.push_back(name);
    request.inputs = fieldLines(example.values, inputNames);
    request.response = fieldLines(prediction.values, m_responseFields);
    if (!m_spec.referenceField.empty()) {
        const Value *label = example.values.find(m_spec.referenceField);
        if (!label || label->isNull())
            return Error::make(ErrorKind::Data, fmt::format("judge metric: the example has no '{}' to compare with "
                                                            "(metric.judge.reference_field)",
                                                            m_spec.referenceField));
        request.reference = label->toText();
    }
    return request;
}

std::optional<MetricResult> JudgeMetric::cheapVerdict(const MetricResult &cheap) const
{
    const bool decidesFail = m_spec.cheapDecides == "pass_and_fail";
    if (cheap.score >= 1.0)
        return MetricResult{1.0, "pass without the judge (the cheaper metric: " + cheap.feedback + ")"};
    if (decidesFail && cheap.score <= 0.0)
        return MetricResult{0.0, "fail without the judge (the cheaper metric: " + cheap.feedback + ")"};
    return std::nullopt;
}

Result<MetricResult> JudgeMetric::score(const Example &example, const Prediction &prediction) const
{
    if (m_cheap) {
        Result<MetricResult> cheap = m_cheap->score(example, prediction);
        if (!cheap)
            return cheap.error();
        if (auto decided = cheapVerdict(*cheap))
            return *decided;
    }
    Result<JudgeRequest> request = requestFor(example, prediction);
    if (!request)
        return request.error();
    const std::string key = memoKey(*request);
    {
        std::lock_guard lock(m_mutex);
        if (auto hit = m_memo.find(key); hit != m_memo.end())
            return MetricResult{hit->second.score, judgeFeedback(hit->second, m_spec.passThreshold)};
        ++m_calls;
    }
    Result<JudgeVerdict> verdict = m_judge->judge(*request);
    if (!verdict)
        return verdict.error();
    {
        std::lock_guard lock(m_mutex);
        m_memo.emplace(key, *verdict);
    }
    return MetricResult{verdict->score, judgeFeedback(*verdict, m_spec.passThreshold)};
}

std::string JudgeMetric::describe() const
{
    std::string out = m_judge->describe();
    if (m_cheap)
        out += ", after " + m_cheap->describe();
    return out;
}

long long JudgeMetric::judgeCalls() const
{
    std::lock_guard lock(m_mutex);
    return m_calls;
}

std::string judgeFeedback(const JudgeVerdict &verdict, double passThreshold)
{
    const bool pass = verdict.score >= passThreshold;
    std::string reason = verdict.reason;
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' '))
        reason.pop_back();
    return fmt::format("{} (judge {:.2f}, passes at {:.2f}){}{}", pass ? "pass" : "fail", verdict.score, passThreshold,
                       reason.empty() ? "" : ": ", reason);
}

} // namespace prism
