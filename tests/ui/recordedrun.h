#pragma once

// A real, small run for the monitor tests (header only): the moderation
// sample (or another) on SimLm, by default MIPROv2 with manual knobs (6 minibatch trials of
// 5 examples, a full evaluation every 3) or GEPA with a budget of 160 metric
// calls, recorded into a run store in dir, with every event the controller
// delivered, in order.
#include "core/study.h"
#include "events/events.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace recordedrun {

// A hand-made event, as the run's EventBus would number it.
inline prism::RunEvent makeEvent(std::uint64_t seq, prism::EventPayload payload, double elapsed = 0.0)
{
    prism::RunEvent e;
    e.seq = seq;
    e.payload = std::move(payload);
    e.elapsedSeconds = elapsed;
    return e;
}

// The payloads of the events of type T, in order.
template <typename T> std::vector<T> payloadsOf(const std::vector<prism::RunEvent> &events)
{
    std::vector<T> out;
    for (const auto &e : events)
        if (const T *p = e.as<T>())
            out.push_back(*p);
    return out;
}

// A trial_finished event as the trial runner writes it; failed when score is empty.
inline prism::TrialFinishedEvent trialFinished(int trial, const std::string &kind,
                                               std::vector<prism::ConfigChoice> config, const std::string &configKey,
                                               std::optional<double> score)
{
    prism::TrialFinishedEvent t;
    t.trial = trial;
    t.kind = kind;
    t.config = std::move(config);
    t.configKey = configKey;
    t.score = score;
    t.failed = !score;
    return t;
}

struct Recording {
    std::shared_ptr<prism::RunStore> store;
    std::string runId;
    prism::RunOutcome outcome;
    std::vector<prism::RunEvent> events;
    std::string error; // empty when the run was recorded
};

inline prism::OptimizerConfig smallMipro(prism::OptimizerConfig c)
{
    c.name = "miprov2";
    c.autoMode.clear();
    c.numCandidates = 3;
    c.numTrials = 6;
    c.minibatch = true;
    c.minibatchSize = 5;
    c.minibatchFullEvalSteps = 3;
    c.seed = 7;
    return c;
}

// GEPA with room for seven iterations (the student's validation takes 15
// metric calls, a proposal up to 6 more and a kept child 15): two children of
// the student, a chain of four from the second, one rejected proposal.
inline prism::OptimizerConfig smallGepa(prism::OptimizerConfig c)
{
    c.name = "gepa";
    c.autoMode.clear();
    c.gepa.maxMetricCalls = 160;
    c.seed = 7;
    return c;
}

inline Recording record(const std::filesystem::path &dir,
                        prism::OptimizerConfig (*configure)(prism::OptimizerConfig) = smallMipro,
                        const std::string &sample = "moderation")
{
    Recording rec;
    std::filesystem::create_directories(dir);
    auto study = prism::loadStudy(std::string(PRISM_SAMPLES_DIR) + "/" + sample + "/" + sample + ".prism.json");
    if (!study) {
        rec.error = study.error().message;
        return rec;
    }
    study->optimizer = configure(study->optimizer);
    auto store = prism::RunStore::open((dir / "runs.sqlite").string());
    if (!store) {
        rec.error = store.error().message;
        return rec;
    }
    rec.store = store.value();
    auto mutex = std::make_shared<std::mutex>();
    auto events = std::make_shared<std::vector<prism::RunEvent>>();
    prism::RunController controller(rec.store);
    controller.addEventListener([mutex, events](const prism::RunEvent &e) {
        std::lock_guard lock(*mutex);
        events->push_back(e);
    });
    prism::RunSettings settings;
    settings.threads = 2;
    auto id = controller.start(study.value(), settings);
    if (!id) {
        rec.error = id.error().message;
        return rec;
    }
    rec.runId = id.value();
    rec.outcome = controller.wait();
    std::lock_guard lock(*mutex);
    rec.events = *events;
    return rec;
}

// Splits events into batches of n, as the engine bridge delivers them.
inline std::vector<std::vector<prism::RunEvent>> batches(const std::vector<prism::RunEvent> &events, std::size_t n)
{
    std::vector<std::vector<prism::RunEvent>> out;
    for (std::size_t i = 0; i < events.size(); i += n)
        out.emplace_back(events.begin() + static_cast<std::ptrdiff_t>(i),
                         events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + n)));
    return out;
}

} // namespace recordedrun
