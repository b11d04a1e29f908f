#pragma once

// Shared helpers of the optimizer tests: the samples with SimLm in-process,
// an event recorder and an Lm wrapper that counts and inspects requests.
#include "adapter/adapter.h"
#include "core/json.h"
#include "core/study.h"
#include "data/dataset.h"
#include "events/event_codec.h"
#include "events/events.h"
#include "metric/metric.h"
#include "optimize/optimizer.h"
#include "sim/simlm.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prism::test {

// A sample study (samples/<name>/<name>.prism.json) with its data, metric,
// adapter and SimLm.
struct Sample {
    Study study;
    StudyData data;
    std::unique_ptr<Metric> metric;
    std::unique_ptr<Adapter> adapter;
    std::unique_ptr<SimLm> lm;
};
Sample loadSample(const std::string &name);

struct RecordedEvent {
    EventType type;
    Json payload;
};

// Keeps every event; thread-safe.
class EventRecorder final : public EventSink {
public:
    void publish(EventPayload payload) override;
    std::vector<RecordedEvent> events() const;
    std::vector<Json> of(EventType type) const;
    // One line per event: "type payload", for byte-for-byte comparisons.
    std::string transcript() const;

private:
    mutable std::mutex m_mutex;
    std::vector<RecordedEvent> m_events;
};

// Counts requests by role and by the kind of proposer call, and can fail
// requests on demand. Thread-safe.
class RecordingLm final : public Lm {
public:
    explicit RecordingLm(Lm &inner) : m_inner(inner) {}
    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override { return "recording/" + m_inner.describe(); }

    long long calls(const std::string &role) const;
    long long total() const;
    // Proposer calls whose system message asks for this output field
    // ("observations", "summary", "program_description", ...).
    long long proposerCalls(const std::string &outputField) const;
    std::vector<ChatRequest> requests() const;

    // Returns an error instead of calling the model when it gives one.
    std::function<std::optional<Error>(const ChatRequest &)> failWhen;

private:
    Lm &m_inner;
    mutable std::mutex m_mutex;
    std::map<std::string, long long> m_byRole;
    std::map<std::string, long long> m_byOutput;
    std::vector<ChatRequest> m_requests;
};

// The context for a sample: task, proposer and teacher models all `lm`.
OptimizeContext contextFor(const Sample &sample, Lm &lm, EventSink *events, int threads);

// The output field a proposer request asks for (from its system message).
std::string requestedOutput(const ChatRequest &request);

} // namespace prism::test
