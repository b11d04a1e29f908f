#include "fixture.h"

#include "metric/builtin.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace prism::test {

Sample loadSample(const std::string &name)
{
    Sample s;
    const std::string path = std::string(PRISM_SAMPLES_DIR) + "/" + name + "/" + name + ".prism.json";
    auto study = loadStudy(path);
    if (!study)
        throw std::runtime_error(study.error().describe());
    s.study = *study;
    auto data = loadStudyData(s.study);
    if (!data)
        throw std::runtime_error(data.error().describe());
    s.data = std::move(*data);
    auto metric = makeMetric(s.study.metric, s.study.program);
    if (!metric)
        throw std::runtime_error(metric.error().describe());
    s.metric = std::move(*metric);
    s.adapter = makeAdapter(s.study.eval.adapter);
    s.lm = std::make_unique<SimLm>(s.study.taskModel.model);
    return s;
}

void EventRecorder::publish(EventPayload payload)
{
    // The wire form (what the run store and the JSONL log hold): these tests
    // check what optimizers publish, down to the bytes.
    Json wire = payloadToJson(payload);
    std::lock_guard lock(m_mutex);
    m_events.push_back({eventTypeOf(payload), std::move(wire)});
}

std::vector<RecordedEvent> EventRecorder::events() const
{
    std::lock_guard lock(m_mutex);
    return m_events;
}

std::vector<Json> EventRecorder::of(EventType type) const
{
    std::lock_guard lock(m_mutex);
    std::vector<Json> out;
    for (const auto &e : m_events)
        if (e.type == type)
            out.push_back(e.payload);
    return out;
}

std::string EventRecorder::transcript() const
{
    std::lock_guard lock(m_mutex);
    std::string out;
    for (const auto &e : m_events)
        out += std::string(eventTypeName(e.type)) + " " + e.payload.dump() + "\n";
    return out;
}

std::string requestedOutput(const ChatRequest &request)
{
    for (const ChatMessage &m : request.messages) {
        if (m.role != "system")
            continue;
        const std::size_t at = m.content.find("Your output fields are:\n1. `");
        if (at == std::string::npos)
            return {};
        const std::size_t begin = at + std::string("Your output fields are:\n1. `").size();
        return m.content.substr(begin, m.content.find('`', begin) - begin);
    }
    return {};
}

Result<ChatResponse> RecordingLm::complete(const ChatRequest &request)
{
    if (failWhen)
        if (auto error = failWhen(request))
            return *error;
    {
        std::lock_guard lock(m_mutex);
        ++m_byRole[request.role];
        if (request.role == "proposer")
            ++m_byOutput[requestedOutput(request)];
        m_requests.push_back(request);
    }
    return m_inner.complete(request);
}

long long RecordingLm::calls(const std::string &role) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_byRole.find(role);
    return it == m_byRole.end() ? 0 : it->second;
}

long long RecordingLm::total() const
{
    std::lock_guard lock(m_mutex);
    long long n = 0;
    for (const auto &[role, c] : m_byRole)
        n += c;
    return n;
}

long long RecordingLm::proposerCalls(const std::string &outputField) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_byOutput.find(outputField);
    return it == m_byOutput.end() ? 0 : it->second;
}

std::vector<ChatRequest> RecordingLm::requests() const
{
    std::lock_guard lock(m_mutex);
    return m_requests;
}

OptimizeContext contextFor(const Sample &sample, Lm &lm, EventSink *events, int threads)
{
    OptimizeContext c;
    c.taskLm = &lm;
    c.proposerLm = &lm;
    c.teacherLm = &lm;
    c.adapter = sample.adapter.get();
    c.metric = sample.metric.get();
    c.threads = threads;
    c.maxErrors = sample.study.eval.maxErrors;
    c.events = events;
    c.taskTemperature = sample.study.taskModel.temperature;
    c.taskMaxTokens = sample.study.taskModel.maxTokens;
    return c;
}

} // namespace prism::test
