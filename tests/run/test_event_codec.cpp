// The run-event codec: every event type survives encode/decode (payload text
// and JSONL line); lines as earlier versions wrote them decode and encode
// back byte for byte; a malformed payload is an error that names the event's
// seq and the key. And the EventBus: listeners run outside its lock, in seq order.
#include "events/event_codec.h"
#include "run/event_bus.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

using namespace prism;

namespace {

std::vector<ConfigChoice> config()
{
    return {{"classify", 2, 1}, {"explain", 0, std::nullopt}};
}

// One event of every type, with optional fields both set and unset.
std::vector<EventPayload> everyEvent()
{
    RunStartedEvent started;
    started.runId = "r-20261204-0001";
    started.optimizer = "miprov2";
    started.seed = 7;
    started.studyName = "moderation \"tutorial\"";
    started.settings = Fields{{"auto", Value()},
                              {"num_trials", Value(std::int64_t{6})},
                              {"minibatch", Value(true)},
                              {"init_temperature", Value(0.5)},
                              {"tip", Value("simple")}};
    started.trainSize = 70;
    started.valSize = 25;
    started.testSize = 45;
    started.taskModel = {"sim", "sim-small", ""};
    started.proposerModel = {"openai", "gpt-4o-mini", "https://api.example.com/v1"};

    TrialFinishedEvent finished;
    finished.trial = 3;
    finished.kind = "minibatch";
    finished.config = config();
    finished.configKey = "classify:i2.d1|explain:i0";
    finished.score = 62.5;
    finished.scored = 4;
    finished.errors = 1;
    finished.examples = 5;
    finished.newCalls = 9;
    finished.memoHits = 2;
    finished.results = {{0, 1.0}, {4, 0.25}, {9, std::nullopt}};
    finished.searchTrial = 2;
    TrialFinishedEvent failed = finished;
    failed.score.reset();
    failed.failed = true;
    failed.error = "all 5 examples failed; first error (example 0): Transport: refused";

    RunFinishedEvent done;
    done.stopReason = StopReason::budget("60 calls reached");
    done.baselineScore = 40.0;
    done.bestScore = 64.0;
    done.notes = {"nothing beat the baseline (40.0%)", "a note"};
    done.trials = 8;
    done.callsByRole["evaluation"] = RoleCallTotals{50, 3, 1};
    done.callsByRole["proposer"] = RoleCallTotals{4, 0, 0};
    done.tokensByRole["evaluation"] = RoleTokenTotals{1200, 300};
    done.tokensByRole["proposer"] = RoleTokenTotals{std::nullopt, std::nullopt};
    done.dollars = 0.0125;
    done.optimizerCallsByRole["evaluation"] = OptimizerRoleCalls{50, 12};
    done.fullEvals = 2;
    done.memoHits = 12;
    RunFinishedEvent bare;
    bare.stopReason = StopReason::completed();
    CandidateProposedEvent proposed;
    proposed.iteration = 3;
    proposed.kind = "reflection";
    proposed.parents = {1};
    proposed.candidate = 2;
    proposed.config = config();
    proposed.configKey = "classify:i2.d1|explain:i0";
    proposed.proposals = {PredictorProposal{
        "classify",
        {ReflectionRecord{4, Fields{{"text", Value("hi")}}, Fields{{"label", Value("ok")}}, "label: correct.", 1.0}},
        "Classify with care.",
        2,
        std::nullopt}};
    proposed.minibatch = {4, 0, 9};
    proposed.parentScores = {1.0, std::nullopt, 0.0};
    proposed.childScores = {1.0, 1.0, 0.0};
    proposed.accepted = true;
    proposed.verdict = "minibatch 1/3 -> 2/3";
    proposed.trial = 7;
    proposed.metricCalls = 41;
    proposed.maxMetricCalls = 440;
    CandidateProposedEvent rejected;
    rejected.iteration = 4;
    rejected.kind = "merge";
    rejected.parents = {1, 2};

    return {started,
            PhaseStartedEvent{"search", std::nullopt},
            PhaseStartedEvent{"search", 6},
            DemoSetReadyEvent{
                "classify",
                1,
                "bootstrapped",
                {Demo{Fields{{"text", Value("hi")}, {"label", Value("ok")}}, true},
                 Demo{Fields{{"n", Value(std::int64_t{3})}, {"tags", Value(Value::List{Value("a")})}}, false}}},
            SummaryReadyEvent{"dataset", std::nullopt, "Short messages."},
            SummaryReadyEvent{"module", std::string("classify"), "Labels a message."},
            InstructionProposedEvent{"classify", 0, "Classify.", std::nullopt},
            InstructionProposedEvent{"classify", 3, "Classify with care.", std::string("persona")},
            TrialStartedEvent{3, "minibatch", config(), "classify:i2.d1|explain:i0", 5, 2},
            finished,
            failed,
            FullEvalFinishedEvent{4, config(), "classify:i2.d1|explain:i0", 70.0, 66.25},
            FullEvalFinishedEvent{1, config(), "k", 40.0, std::nullopt},
            BestUpdatedEvent{4, config(), "k", 70.0},
            BudgetWarningEvent{"80% of max_calls used"},
            WarningEvent{"a warning"},
            ErrorEvent{"an error"},
            done,
            bare,
            ProgramChosenEvent{config(), "classify:i2.d1|explain:i0", 70.0, "user", "k"},
            ProgramChosenEvent{config(), "k", std::nullopt, "user", "classify:i2.d1|explain:i0"},
            proposed,
            rejected};
}

} // namespace

TEST(EventCodec, EveryEventTypeRoundTrips)
{
    std::set<EventType> types;
    std::uint64_t seq = 0;
    for (const EventPayload &payload : everyEvent()) {
        ++seq;
        const EventType type = eventTypeOf(payload);
        types.insert(type);
        const std::string text = encodePayload(payload);
        auto decoded = decodePayload(type, text, seq);
        ASSERT_TRUE(decoded) << decoded.error().message;
        EXPECT_TRUE(decoded.value() == payload) << text;
        EXPECT_EQ(encodePayload(decoded.value()), text);

        RunEvent event;
        event.seq = seq;
        event.elapsedSeconds = 1.25 * static_cast<double>(seq);
        event.payload = payload;
        const std::string line = toJsonLine(event);
        auto back = runEventFromJsonLine(line);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(back->seq, seq);
        EXPECT_EQ(back->elapsedSeconds, event.elapsedSeconds);
        EXPECT_TRUE(back->payload == payload) << line;
        EXPECT_EQ(toJsonLine(back.value()), line);
    }
    EXPECT_EQ(types.size(), std::variant_size_v<EventPayload>);
}

// Lines as the JSON-object encoder of earlier versions wrote them.
TEST(EventCodec, TodaysJsonlLinesDecodeAndEncodeByteForByte)
{
    const std::vector<std::string> lines = {
        R"({"seq":1,"type":"run_started","elapsed":0.0,"run_id":"r-20261204-0001","optimizer":"miprov2","seed":7,)"
        R"("study_name":"moderation","settings":{"auto":null,"num_trials":6,"minibatch":true,"minibatch_size":5},)"
        R"("train_size":70,"val_size":25,"test_size":45,"models":{"task":{"provider":"sim","model":"sim-small","base_url":""},)"
        R"("proposer":{"provider":"sim","model":"sim-small","base_url":""}}})",
        R"({"seq":2,"type":"phase_started","elapsed":0.001,"phase":"bootstrap"})",
        R"({"seq":3,"type":"demo_set_ready","elapsed":0.5,"predictor":"classify","index":1,"kind":"bootstrapped",)"
        R"("demos":[{"augmented":true,"text":"hi","label":"ok"}]})",
        R"({"seq":4,"type":"summary_ready","elapsed":0.6,"kind":"module","predictor":"classify","text":"Labels."})",
        R"({"seq":5,"type":"instruction_proposed","elapsed":0.7,"predictor":"classify","index":0,"text":"Classify.","tip":null})",
        R"({"seq":6,"type":"trial_started","elapsed":0.8,"trial":2,"kind":"minibatch","config":{"classify":{"instruction":1,"demos":2}},)"
        R"("config_key":"classify:i1.d2","examples":5})",
        R"({"seq":7,"type":"trial_finished","elapsed":0.9,"trial":2,"kind":"minibatch","config":{"classify":{"instruction":1,"demos":2}},)"
        R"("config_key":"classify:i1.d2","score":null,"scored":0,"errors":5,"examples":5,"new_calls":5,"memo_hits":0,)"
        R"("state":"failed","error":"all 5 examples failed","results":[[3,null],[7,1.0]]})",
        R"({"seq":8,"type":"full_eval_finished","elapsed":1.0,"trial":1,"config":{"classify":{"instruction":0,"demos":0}},)"
        R"("config_key":"classify:i0.d0","score":40.0,"rank_estimate":null})",
        R"({"seq":9,"type":"best_updated","elapsed":1.0,"trial":1,"config":{"classify":{"instruction":0,"demos":0}},)"
        R"("config_key":"classify:i0.d0","score":40.0})",
        R"({"seq":10,"type":"warning","elapsed":1.1,"message":"a warning"})",
        R"({"seq":11,"type":"error","elapsed":1.2,"message":"error: boom"})",
        R"({"seq":12,"type":"run_finished","elapsed":2.5,"stop_reason":"budget reached: 60 calls","baseline_score":40.0,)"
        R"("best_score":null,"notes":[],"trials":1,"calls_by_role":{"evaluation":{"calls":5,"cache_hits":0,"errors":5}},)"
        R"("tokens_by_role":{"evaluation":{"prompt":null,"completion":120}},"dollars":null,)"
        R"("optimizer_stats":{"calls_by_role":{"evaluation":{"calls":5,"cached_calls":0}},"full_evals":1,"memo_hits":0}})",
    };
    for (const std::string &line : lines) {
        auto event = runEventFromJsonLine(line);
        ASSERT_TRUE(event) << event.error().message << "\n" << line;
        EXPECT_EQ(toJsonLine(event.value()), line);
    }
    auto last = runEventFromJsonLine(lines.back());
    ASSERT_TRUE(last);
    const auto *finished = last->as<RunFinishedEvent>();
    ASSERT_NE(finished, nullptr);
    EXPECT_TRUE(finished->stopReason.is(StopReason::Kind::Budget));
    EXPECT_EQ(statusForStop(finished->stopReason), RunStatus::Finished);
}

TEST(EventCodec, AMalformedPayloadNamesTheSeqAndTheKey)
{
    auto wrongType = decodePayload(EventType::TrialFinished,
                                   R"({"trial":"two","kind":"full","config":{},"config_key":"k","score":null})", 12);
    ASSERT_FALSE(wrongType);
    EXPECT_NE(wrongType.error().message.find("event 12 (trial_finished)"), std::string::npos)
        << wrongType.error().message;
    EXPECT_NE(wrongType.error().message.find("\"trial\""), std::string::npos) << wrongType.error().message;

    auto missing = decodePayload(EventType::BestUpdated, R"({"trial":1,"config":{},"config_key":"k"})", 40);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("event 40 (best_updated)"), std::string::npos);
    EXPECT_NE(missing.error().message.find("\"score\" is missing"), std::string::npos) << missing.error().message;

    auto nested = decodePayload(
        EventType::FullEvalFinished,
        R"({"trial":1,"config":{"p":{"instruction":"x"}},"config_key":"k","score":1.0,"rank_estimate":null})", 3);
    ASSERT_FALSE(nested);
    EXPECT_NE(nested.error().message.find("\"config.p.instruction\""), std::string::npos) << nested.error().message;

    auto notJson = decodePayload(EventType::Warning, "{not json", 5);
    ASSERT_FALSE(notJson);
    EXPECT_NE(notJson.error().message.find("event 5 (warning)"), std::string::npos);

    auto badLine = runEventFromJsonLine(R"({"seq":9,"type":"no_such_event","elapsed":0.0})");
    ASSERT_FALSE(badLine);
    EXPECT_NE(badLine.error().message.find("event 9"), std::string::npos);
    EXPECT_NE(badLine.error().message.find("\"type\""), std::string::npos);
}

TEST(StopReasons, TextRoundTripsAndGivesTheStatus)
{
    for (const std::string text : {"completed", "cancelled", "budget: 60 calls reached", "budget reached: $1.00",
                                   "error: the baseline program failed", ""}) {
        const StopReason reason = StopReason::fromText(text);
        EXPECT_EQ(reason.text(), text);
    }
    EXPECT_EQ(StopReason::budget("60 calls reached").detail(), "60 calls reached");
    EXPECT_EQ(statusForStop(StopReason::completed()), RunStatus::Finished);
    EXPECT_EQ(statusForStop(StopReason::cancelled()), RunStatus::Cancelled);
    EXPECT_EQ(statusForStop(StopReason::budget("x")), RunStatus::Finished);
    EXPECT_EQ(statusForStop(StopReason::error("x")), RunStatus::Failed);
    for (RunStatus s : {RunStatus::Running, RunStatus::Finished, RunStatus::Cancelled, RunStatus::Failed})
        EXPECT_EQ(runStatusFromName(runStatusName(s)), s);
}

TEST(EventBus, ListenersMayCallTheBusAndSeeEventsInSeqOrder)
{
    EventBus bus;
    std::vector<std::uint64_t> first;
    std::vector<std::uint64_t> second;
    bool nested = false;
    bus.addListener([&](const RunEvent &e) {
        first.push_back(e.seq);
        EXPECT_EQ(bus.lastSeq() >= e.seq, true); // the lock is not held here
        if (!nested) {
            nested = true;
            bus.publish(WarningEvent{"from a listener"}); // delivered after this event
        }
    });
    bus.addListener([&](const RunEvent &e) {
        // The first listener (the store, in a run) has seen every event this one sees.
        ASSERT_FALSE(first.empty());
        EXPECT_GE(first.back(), e.seq);
        second.push_back(e.seq);
    });
    bus.publish(PhaseStartedEvent{"search", std::nullopt});
    bus.publish(PhaseStartedEvent{"final", std::nullopt});
    EXPECT_EQ(first, (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(second, first);
}

TEST(EventBus, ConcurrentPublishersAreDeliveredInSeqOrder)
{
    EventBus bus;
    std::vector<std::uint64_t> seen;
    std::atomic<int> inListener{0};
    bus.addListener([&](const RunEvent &e) {
        EXPECT_EQ(inListener.fetch_add(1), 0); // one delivery at a time
        seen.push_back(e.seq);
        inListener.fetch_sub(1);
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i)
                bus.publish(WarningEvent{"w"});
        });
    for (auto &t : threads)
        t.join();
    ASSERT_EQ(seen.size(), 800u);
    for (std::size_t i = 0; i < seen.size(); ++i)
        EXPECT_EQ(seen[i], i + 1);
}
