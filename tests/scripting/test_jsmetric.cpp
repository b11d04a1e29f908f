#include "jstest.h"
#include "scripting/jsmetric.h"

#include "core/study.h"

#include <gtest/gtest.h>

#include <QCoreApplication>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace prism;

using namespace prism::jstest;

namespace {

// The error message of a failed score, "" when it succeeded.
std::string scoreError(const Metric &m, const Example &e = {}, const Prediction &p = {})
{
    auto r = m.score(e, p);
    if (r.ok())
        return "";
    EXPECT_EQ(r.error().kind, ErrorKind::Script) << r.error().message;
    return r.error().message;
}

std::string loadError(const std::string &source, int timeoutMs = kDefaultMetricTimeoutMs)
{
    auto m = makeJsMetric(source, timeoutMs);
    if (m.ok())
        return "";
    EXPECT_EQ(m.error().kind, ErrorKind::Script) << m.error().message;
    return m.error().message;
}

long long msSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST(JsMetric, NumberReturnIsTheScore)
{
    auto m = mustMake("function metric(example, pred, trace) {\n"
                      "  return pred.answer === example.answer ? 1 : 0.25;\n"
                      "}\n");
    ASSERT_TRUE(m);
    auto hit = m->score(row({{"q", "2+2"}, {"answer", "4"}}), pred({{"answer", "4"}}));
    ASSERT_TRUE(hit.ok()) << hit.error().message;
    EXPECT_DOUBLE_EQ(hit->score, 1.0);
    EXPECT_EQ(hit->feedback, "");
    auto miss = m->score(row({{"q", "2+2"}, {"answer", "4"}}), pred({{"answer", "5"}}));
    ASSERT_TRUE(miss.ok());
    EXPECT_DOUBLE_EQ(miss->score, 0.25);
}

TEST(JsMetric, ObjectReturnCarriesFeedback)
{
    auto m = mustMake("function metric(example, pred) {\n"
                      "  if (pred.label === example.label) return {score: 1, feedback: 'right'};\n"
                      "  return {score: 0.5, feedback: 'expected ' + example.label + ', got ' + pred.label};\n"
                      "}\n");
    ASSERT_TRUE(m);
    auto r = m->score(row({{"label", "spam"}}), pred({{"label", "ham"}}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_DOUBLE_EQ(r->score, 0.5);
    EXPECT_EQ(r->feedback, "expected spam, got ham");
    // A boolean score inside the object counts too.
    auto b = mustMake("function metric(e, p) { return {score: p.x === 1}; }");
    ASSERT_TRUE(b);
    EXPECT_DOUBLE_EQ(b->score({}, pred({{"x", 1}}))->score, 1.0);
    EXPECT_DOUBLE_EQ(b->score({}, pred({{"x", 2}}))->score, 0.0);
}

TEST(JsMetric, BooleanReturnIsOneOrZero)
{
    auto m = mustMake("function metric(e, p) { return p.ok; }");
    ASSERT_TRUE(m);
    EXPECT_DOUBLE_EQ(m->score({}, pred({{"ok", true}}))->score, 1.0);
    EXPECT_DOUBLE_EQ(m->score({}, pred({{"ok", false}}))->score, 0.0);
}

TEST(JsMetric, FieldValuesArePlainJsValues)
{
    // Each check contributes one letter to the feedback when it fails.
    auto m = mustMake("function metric(e, p, trace) {\n"
                      "  let bad = '';\n"
                      "  if (typeof e.text !== 'string' || e.text !== 'héllo') bad += 's';\n"
                      "  if (typeof e.n !== 'number' || e.n !== 3) bad += 'i';\n"
                      "  if (e.x !== 2.5) bad += 'f';\n"
                      "  if (e.flag !== true) bad += 'b';\n"
                      "  if (!Array.isArray(e.tags) || e.tags.length !== 2 || e.tags[1] !== 'b') bad += 'l';\n"
                      "  if (e.missing !== null) bad += 'n';\n"
                      "  if (trace !== null) bad += 't';\n"
                      "  if (p.tags.join(',') !== 'a') bad += 'p';\n"
                      "  return {score: bad === '' ? 1 : 0, feedback: bad};\n"
                      "}\n");
    ASSERT_TRUE(m);
    auto r = m->score(row({{"text", "héllo"},
                           {"n", 3},
                           {"x", 2.5},
                           {"flag", true},
                           {"tags", Value::List{"a", "b"}},
                           {"missing", Value()}}),
                      pred({{"tags", Value::List{"a"}}}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->feedback, "");
    EXPECT_DOUBLE_EQ(r->score, 1.0);
}

TEST(JsMetric, SyntaxErrorIsReportedAtLoadWithItsLine)
{
    const std::string error = loadError("function metric(example, pred) {\n"
                                        "  let x = 1;\n"
                                        "  return x +;\n"
                                        "}\n");
    EXPECT_NE(error.find("metric.js line 3: SyntaxError"), std::string::npos) << error;
}

TEST(JsMetric, RuntimeErrorNamesItsLine)
{
    auto m = mustMake("function metric(example, pred) {\n"
                      "  const a = 1;\n"
                      "  return foo(a);\n"
                      "}\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(scoreError(*m), "metric.js line 3: ReferenceError: foo is not defined");
    // A thrown Error keeps its line; a thrown string is shown as thrown.
    auto t = mustMake("function metric(e, p) {\n"
                      "  if (p.kind === 'error') throw new Error('bad row');\n"
                      "  throw 'just a string';\n"
                      "}\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(scoreError(*t, {}, pred({{"kind", "error"}})), "metric.js line 2: Error: bad row");
    EXPECT_EQ(scoreError(*t, {}, pred({{"kind", "other"}})), "metric.js: metric() threw \"just a string\"");
}

TEST(JsMetric, WrongReturnValuesAreErrors)
{
    auto m = mustMake("function metric(e, p) {\n"
                      "  switch (p.what) {\n"
                      "  case 'nothing': return;\n"
                      "  case 'text': return 'good';\n"
                      "  case 'nan': return 0 / 0;\n"
                      "  case 'big': return 1.5;\n"
                      "  case 'negative': return {score: -0.1};\n"
                      "  case 'noscore': return {feedback: 'x'};\n"
                      "  case 'array': return [1];\n"
                      "  }\n"
                      "  return 1;\n"
                      "}\n");
    ASSERT_TRUE(m);
    auto err = [&](const char *what) { return scoreError(*m, {}, pred({{"what", what}})); };
    EXPECT_NE(err("nothing").find("metric() returned nothing"), std::string::npos) << err("nothing");
    EXPECT_NE(err("text").find("metric() returned the string \"good\""), std::string::npos) << err("text");
    EXPECT_NE(err("nan").find("NaN"), std::string::npos) << err("nan");
    EXPECT_EQ(err("big"), "metric.js: the score must be in [0, 1], got 1.5");
    EXPECT_EQ(err("negative"), "metric.js: the score must be in [0, 1], got -0.1");
    EXPECT_NE(err("noscore").find("without a score"), std::string::npos) << err("noscore");
    EXPECT_NE(err("array").find("an array"), std::string::npos) << err("array");
    EXPECT_EQ(err("fine"), "");
}

TEST(JsMetric, ScriptProblemsAtLoad)
{
    EXPECT_NE(loadError("").find("empty"), std::string::npos);
    EXPECT_NE(loadError("function score(e, p) { return 1; }").find("must define function metric"), std::string::npos);
    EXPECT_NE(loadError("var metric = 3;").find("metric is a number, not a function"), std::string::npos);
    EXPECT_EQ(loadError("var x = 1;\nnope();\nfunction metric() { return 1; }"),
              "metric.js line 2: ReferenceError: nope is not defined");
    EXPECT_EQ(loadError("\n\nthrow 'no';\nfunction metric() { return 1; }"),
              "metric.js line 3: uncaught exception: \"no\"");
    auto bad = makeJsMetric("function metric() { return 1; }", 0);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::Config);
}

TEST(JsMetric, EndlessLoopIsInterruptedAndTheNextCallWorks)
{
    auto m = mustMake("function metric(e, p) {\n"
                      "  if (p.loop) { for (;;) { try { while (true) {} } catch (x) {} } }\n"
                      "  return 0.75;\n"
                      "}\n",
                      200);
    ASSERT_TRUE(m);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(scoreError(*m, {}, pred({{"loop", true}})), "metric timed out after 200 ms");
    const long long took = msSince(start);
    EXPECT_GE(took, 190);
    EXPECT_LT(took, 1500);
    auto next = m->score({}, pred({{"loop", false}}));
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_DOUBLE_EQ(next->score, 0.75);
    // And again: the interrupt flag does not stick.
    EXPECT_EQ(scoreError(*m, {}, pred({{"loop", true}})), "metric timed out after 200 ms");
    EXPECT_TRUE(m->score({}, pred({{"loop", false}})).ok());
}

TEST(JsMetric, DefaultLimitIsOneSecond)
{
    auto m = mustMake("function metric() { while (true) {} }");
    ASSERT_TRUE(m);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(scoreError(*m), "metric timed out after 1000 ms");
    EXPECT_LT(msSince(start), 2500);
}

TEST(JsMetric, EndlessTopLevelCodeFailsTheLoad)
{
    const auto start = std::chrono::steady_clock::now();
    const std::string error = loadError("while (true) {}\nfunction metric() { return 1; }", 150);
    EXPECT_NE(error.find("top-level code ran longer than 150 ms"), std::string::npos) << error;
    EXPECT_LT(msSince(start), 1500);
}

TEST(JsMetric, SandboxHasNoWayOut)
{
    const char *attempts[] = {
        "Qt.openUrlExternally('file:///etc/passwd')",
        "Qt.include('/etc/passwd')",
        "new XMLHttpRequest()",
        "require('fs').readFileSync('/etc/passwd')",
        "console.log('x')",
        "print('x')",
        "readFile('/etc/passwd')",
        "load('/etc/passwd')",
        "process.exit(1)",
        "fetch('http://127.0.0.1/')",
        "gc()",
        "qsTr('x')",
        "(function () { return this; })().Qt.quit()",
    };
    for (const char *attempt : attempts) {
        auto m = mustMake(std::string("function metric(e, p) {\n  ") + attempt + ";\n  return 1;\n}\n");
        ASSERT_TRUE(m);
        const std::string error = scoreError(*m);
        EXPECT_NE(error.find("metric.js line 2: "), std::string::npos) << attempt << " -> " << error;
        EXPECT_TRUE(error.find("ReferenceError") != std::string::npos || error.find("TypeError") != std::string::npos)
            << attempt << " -> " << error;
    }
    // Modules cannot be loaded: import is not even valid syntax in a metric script.
    EXPECT_NE(loadError("import fs from 'fs';\nfunction metric() { return 1; }").find("line 1: SyntaxError"),
              std::string::npos);
    EXPECT_NE(loadError("function metric() {\n  return import('/etc/passwd');\n}").find("line 2: SyntaxError"),
              std::string::npos);
}

TEST(JsMetric, GlobalObjectHoldsOnlyTheStandardLibrary)
{
    // Any global beyond ECMAScript's (plus the URL parser classes) fails this test.
    auto m = mustMake(
        "const allowed = new Set(['Object','String','Symbol','Number','Boolean','Array','Function','Date','RegExp',\n"
        "  'Error','EvalError','RangeError','ReferenceError','SyntaxError','TypeError','URIError','Promise','URL',\n"
        "  'URLSearchParams','SharedArrayBuffer','ArrayBuffer','DataView','WeakSet','Set','WeakMap','Map',\n"
        "  'Int8Array','Uint8Array','Int16Array','Uint16Array','Int32Array','Uint32Array','Uint8ClampedArray',\n"
        "  'Float32Array','Float64Array','Atomics','Math','JSON','Reflect','Proxy','undefined','NaN','Infinity',\n"
        "  'eval','parseInt','parseFloat','isNaN','isFinite','decodeURI','decodeURIComponent','encodeURI',\n"
        "  'encodeURIComponent','escape','unescape','globalThis','allowed','metric']);\n"
        "function metric() {\n"
        "  const extra = Object.getOwnPropertyNames((function () { return this; })()).filter(n => !allowed.has(n));\n"
        "  return {score: extra.length === 0 ? 1 : 0, feedback: extra.join(',')};\n"
        "}\n");
    ASSERT_TRUE(m);
    expectCheckPasses(*m);
}

TEST(JsMetric, OneEnginePerThreadScoresConcurrently)
{
    // calls counts the calls of this thread's engine: with one engine per
    // thread every thread sees 1, 2, 3, ... in order, whatever the others do.
    auto m = mustMake("var calls = 0;\n"
                      "function metric(e, p) {\n"
                      "  calls++;\n"
                      "  let s = 0; for (let i = 0; i < 2000; i++) s += i % 7;\n"
                      "  return {score: p.n / 100, feedback: String(calls)};\n"
                      "}\n");
    ASSERT_TRUE(m);
    constexpr int threads = 4;
    constexpr int perThread = 40;
    std::atomic<int> wrong{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < perThread; ++i) {
                const int n = (t * perThread + i) % 101;
                auto r = m->score({}, pred({{"n", n}}));
                if (!r.ok() || r->score != n / 100.0 || r->feedback != std::to_string(i + 1))
                    ++wrong;
            }
        });
    }
    for (auto &t : pool)
        t.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST(JsMetric, ConcurrentTimeoutsAreAllInterrupted)
{
    auto m = mustMake("function metric(e, p) { if (p.loop) while (true) {} return 1; }", 200);
    ASSERT_TRUE(m);
    std::atomic<int> timedOut{0};
    std::atomic<int> scored{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&, t] {
            auto r = m->score({}, pred({{"loop", t % 2 == 0}}));
            if (r.ok() && r->score == 1.0)
                ++scored;
            else if (!r.ok() && r.error().message == "metric timed out after 200 ms")
                ++timedOut;
        });
    }
    for (auto &t : pool)
        t.join();
    EXPECT_EQ(timedOut.load(), 2);
    EXPECT_EQ(scored.load(), 2);
    EXPECT_LT(msSince(start), 2000);
}

TEST(JsMetric, FailedPredictionIsNotScored)
{
    auto m = mustMake("function metric() { throw new Error('must not run'); }");
    ASSERT_TRUE(m);
    Prediction p;
    p.error = Error::make(ErrorKind::Parse, "could not parse the answer");
    auto r = m->score({}, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Parse);
    EXPECT_EQ(r.error().message, "could not parse the answer");
}

TEST(JsMetric, StudyMetricPicksScriptOrComposite)
{
    auto study = loadStudy(PRISM_SAMPLES_DIR "/moderation/moderation.prism.json");
    ASSERT_TRUE(study.ok()) << study.error().message;
    const Example gold =
        row({{"snippet", "x"}, {"severity", "high"}, {"policy_violations", Value::List{"hate", "violence"}}});
    const Prediction half = pred({{"severity", "high"}, {"policy_violations", Value::List{"hate"}}});

    // The sample's composite: severity exact (1) and Jaccard {hate} vs {hate, violence} (0.5), averaged.
    auto composite = makeStudyMetric(study->metric, study->program);
    ASSERT_TRUE(composite.ok()) << composite.error().message;
    EXPECT_DOUBLE_EQ((*composite)->score(gold, half)->score, 0.75);

    MetricSpec script;
    script.kind = "script";
    script.script = "function metric(e, p) { return p.severity === e.severity ? 0.5 : 0; }";
    auto js = makeStudyMetric(script, study->program);
    ASSERT_TRUE(js.ok()) << js.error().message;
    EXPECT_DOUBLE_EQ((*js)->score(gold, half)->score, 0.5);

    script.script = "function metric(e, p) {\n  return p.severity ==== 1;\n}";
    auto broken = makeStudyMetric(script, study->program);
    ASSERT_FALSE(broken.ok());
    EXPECT_NE(broken.error().message.find("metric.js line 2: SyntaxError"), std::string::npos)
        << broken.error().message;
}

TEST(JsMetric, TemplateForTheSignatureRuns)
{
    auto study = loadStudy(PRISM_SAMPLES_DIR "/moderation/moderation.prism.json");
    ASSERT_TRUE(study.ok()) << study.error().message;
    const std::string source = jsMetricTemplate(study->program);
    EXPECT_NE(source.find("function metric(example, pred, trace)"), std::string::npos);
    auto m = mustMake(source);
    ASSERT_TRUE(m);
    const Example gold =
        row({{"snippet", "x"}, {"severity", "high"}, {"policy_violations", Value::List{"hate", "violence"}}});
    auto perfect = m->score(gold, pred({{"severity", "high"}, {"policy_violations", Value::List{"violence", "hate"}}}));
    ASSERT_TRUE(perfect.ok()) << perfect.error().message;
    EXPECT_DOUBLE_EQ(perfect->score, 1.0);
    EXPECT_EQ(perfect->feedback, "severity: correct. policy_violations: correct.");
    // severity wrong (0), violations {hate} of {hate, violence} (0.5): (0 + 0.5) / 2.
    auto partial = m->score(gold, pred({{"severity", "low"}, {"policy_violations", Value::List{"hate"}}}));
    ASSERT_TRUE(partial.ok()) << partial.error().message;
    EXPECT_DOUBLE_EQ(partial->score, 0.25);
    // The same words as the built-in metrics.
    EXPECT_EQ(partial->feedback, "severity: expected high, got low. policy_violations: missing violence.");
    auto other = m->score(gold, pred({{"severity", "high"}, {"policy_violations", Value::List{"spam"}}}));
    ASSERT_TRUE(other.ok()) << other.error().message;
    EXPECT_EQ(other->feedback, "severity: correct. policy_violations: missing hate, violence; extra spam.");
    auto nothing = m->score(gold, pred({{"policy_violations", Value::List{}}}));
    ASSERT_TRUE(nothing.ok()) << nothing.error().message;
    EXPECT_EQ(nothing->feedback,
              "severity: expected high, got nothing. policy_violations: missing hate, violence; got nothing.");
}

TEST(JsMetric, TemplatesOfTheSamplesLoadAndScoreAPerfectAnswerAsOne)
{
    for (const char *sample : {"qa/qa.prism.json", "math/math.prism.json"}) {
        auto study = loadStudy(std::string(PRISM_SAMPLES_DIR) + "/" + sample);
        ASSERT_TRUE(study.ok()) << study.error().message;
        auto m = mustMake(jsMetricTemplate(study->program));
        ASSERT_TRUE(m) << sample;
        // The label itself as the prediction: every comparison must hold.
        Example gold;
        Prediction same;
        for (const auto &f : study->program.predictors.back().signature.outputs) {
            const Value v = f.type.isNumeric() ? Value(42) : Value(" Paris ");
            gold.values.set(f.name, v);
            same.values.set(f.name, f.type.isNumeric() ? v : Value("paris"));
        }
        auto r = m->score(gold, same);
        ASSERT_TRUE(r.ok()) << sample << ": " << r.error().message;
        EXPECT_DOUBLE_EQ(r->score, 1.0) << sample << ": " << r->feedback;
    }
}

int main(int argc, char **argv)
{
    // QJSEngine refuses to start without an application object.
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
