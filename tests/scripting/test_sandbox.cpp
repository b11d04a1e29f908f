// A metric script is code from a shared study file: it must not get out of
// its sandbox (files, network, processes, other metrics) nor hang the run.
// These are the attacks a hostile script would try, each with the outcome a
// user sees: a Script error that says what happened, and a metric that still
// scores the next example.
#include "jstest.h"
#include "scripting/jsmetric.h"

#include <gtest/gtest.h>

#include <QCoreApplication>

#include <sys/resource.h>

#include <string>
#include <vector>

using namespace prism;

namespace {

constexpr int kLimitMs = 150;

std::unique_ptr<Metric> mustMake(const std::string &source, int timeoutMs = kLimitMs)
{
    return jstest::mustMake(source, timeoutMs);
}

using jstest::expectCheckPasses;
using jstest::pred;

// A metric that runs `attack` when pred.attack is true and scores 0.5 otherwise.
std::unique_ptr<Metric> attacker(const std::string &attack, int timeoutMs = kLimitMs)
{
    return mustMake("function metric(example, pred) {\n"
                    "  if (pred.attack) {\n"
                        + attack
                        + "\n  }\n"
                          "  return 0.5;\n"
                          "}\n",
                    timeoutMs);
}

std::string attackError(const Metric &m)
{
    auto r = m.score({}, pred({{"attack", true}}));
    if (r.ok())
        return "scored " + std::to_string(r->score);
    EXPECT_EQ(r.error().kind, ErrorKind::Script) << r.error().message;
    return r.error().message;
}

void expectStillScores(const Metric &m, const std::string &attack)
{
    auto next = m.score({}, pred({{"attack", false}}));
    ASSERT_TRUE(next.ok()) << attack << " wedged the metric: " << next.error().message;
    EXPECT_DOUBLE_EQ(next->score, 0.5) << attack;
}

const std::string kTimedOut = "metric timed out after " + std::to_string(kLimitMs) + " ms";

long peakRssKb()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

TEST(Sandbox, NoObjectReachesFilesNetworkOrProcesses)
{
    // Every way out a script could look for; none exists, each is a ReferenceError or TypeError.
    const std::vector<std::string> attacks = {
        "new WebSocket('ws://127.0.0.1:1/')",
        "new Worker('evil.js')",
        "importScripts('/etc/passwd')",
        "new (Function('return this')().XMLHttpRequest)()",
        "(0, eval)('this').Qt.openUrlExternally('file:///etc/passwd')",
        "this.constructor.constructor('return process')().exit(1)",
        "(function () { return this; })().require('child_process').execSync('touch /tmp/prism-pwned')",
        "Qt.createQmlObject('import QtQuick 2.0; Item {}', null)",
        "Java.type('java.lang.Runtime')",
        "Deno.run({cmd: ['id']})",
        "os.system('id')",
        "std.loadFile('/etc/passwd')",
        "navigator.sendBeacon('http://127.0.0.1/')",
        "new ActiveXObject('WScript.Shell')",
        "QJSEngine.importModule('/etc/passwd')",
    };
    for (const auto &attack : attacks) {
        auto m = attacker("    return " + attack + ";");
        ASSERT_TRUE(m);
        const std::string error = attackError(*m);
        // Line 3 of the script, or of the code a Function constructor made.
        EXPECT_EQ(error.rfind("metric.js line ", 0), 0u) << attack << " -> " << error;
        EXPECT_TRUE(error.find("ReferenceError") != std::string::npos || error.find("TypeError") != std::string::npos)
            << attack << " -> " << error;
        expectStillScores(*m, attack);
    }
}

TEST(Sandbox, TheGlobalObjectReachedAnyWayIsTheSameBareOne)
{
    // Indirect eval, the Function constructor and a sloppy-mode this all reach the one
    // global object, which has nothing but ECMAScript's library (JsMetric tests list it;
    // Qt 6.4's engine has no globalThis).
    auto m = mustMake(
        "function metric() {\n"
        "  const a = (0, eval)('this'), b = Function('return this')(), c = (function () { return this; })();\n"
        "  const same = a === b && b === c;\n"
        "  const io = ['XMLHttpRequest','Qt','console','print','require','process','fetch','WebSocket','Worker']\n"
        "    .filter(n => n in a);\n"
        "  return {score: same && io.length === 0 ? 1 : 0, feedback: io.join(',')};\n"
        "}\n");
    ASSERT_TRUE(m);
    expectCheckPasses(*m);
}

TEST(Sandbox, EveryKindOfHangIsCutAtTheTimeLimit)
{
    const std::vector<std::string> hangs = {
        // A plain loop, a loop that swallows the interrupt, and one in a callback.
        "    while (true) {}",
        "    for (;;) { try { while (true) {} } catch (e) {} }",
        "    [1, 2, 3].forEach(function () { for (;;) {} });",
        // Loops in code Prism runs after metric() returns: a getter, toString, toJSON.
        "    return { get score() { for (;;) {} } };",
        "    return { score: 1, feedback: { toString() { for (;;) {} } } };",
        "    throw { toJSON() { for (;;) {} }, toString() { for (;;) {} } };",
        "    const e = new Error('x'); e.toString = function () { for (;;) {} }; throw e;",
        "    return new Proxy({}, { get() { for (;;) {} } });",
        // Sorting with a comparator that never returns.
        "    return [3, 1, 2].sort(function () { for (;;) {} })[0] / 3;",
    };
    for (const auto &hang : hangs) {
        auto m = attacker(hang);
        ASSERT_TRUE(m);
        EXPECT_EQ(attackError(*m), kTimedOut) << hang;
        expectStillScores(*m, hang);
    }
    // Catastrophic backtracking: Qt's regex engine answers these quickly (a
    // score); had it not, the limit would have cut them. Either way the call ends.
    for (const std::string regex : {"    return /^(a+)+$/.test('a'.repeat(40) + 'b') ? 1 : 0;",
                                    "    return /(x+x+)+y/.test('x'.repeat(5000)) ? 1 : 0;"}) {
        auto m = attacker(regex);
        ASSERT_TRUE(m);
        const std::string outcome = attackError(*m);
        EXPECT_TRUE(outcome == kTimedOut || outcome.rfind("scored ", 0) == 0) << regex << " -> " << outcome;
        expectStillScores(*m, regex);
    }
}

TEST(Sandbox, BlockingPrimitivesCannotStopTheThread)
{
    // Atomics.wait on the only thread would block forever: it must fail or be cut off.
    auto m = attacker("    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n    return 1;");
    ASSERT_TRUE(m);
    const std::string error = attackError(*m);
    EXPECT_TRUE(error == kTimedOut || error.find("metric.js line 3:") != std::string::npos) << error;
    expectStillScores(*m, "Atomics.wait");
}

TEST(Sandbox, RunawayRecursionIsAnErrorNotACrash)
{
    auto m = attacker("    return (function f(n) { return f(n + 1) + 1; })(0);");
    ASSERT_TRUE(m);
    const std::string error = attackError(*m);
    EXPECT_TRUE(error.find("RangeError") != std::string::npos || error == kTimedOut) << error;
    expectStillScores(*m, "recursion");
}

TEST(Sandbox, MemoryBombsEndInAnErrorAndTheProcessSurvives)
{
    const long before = peakRssKb();
    const std::vector<std::string> bombs = {
        "    let s = 'x'; while (true) s += s;",
        "    return 'x'.repeat(2 ** 31) ? 1 : 0;",
        "    const a = []; while (true) a.push(new Array(1e6).fill(0));",
        "    return new Array(2 ** 32) ? 1 : 0;",
        "    return new ArrayBuffer(2 ** 40) ? 1 : 0;",
    };
    for (const auto &bomb : bombs) {
        auto m = attacker(bomb);
        ASSERT_TRUE(m);
        // An error, the time limit, or (Qt's repeat gives "" past its limit) a score:
        // what matters is that the call ends and the process goes on.
        const std::string outcome = attackError(*m);
        EXPECT_TRUE(outcome == kTimedOut || outcome.rfind("metric.js", 0) == 0 || outcome.rfind("scored ", 0) == 0)
            << bomb << " -> " << outcome;
        std::printf("%s -> %s\n", bomb.c_str(), outcome.c_str());
        expectStillScores(*m, bomb);
    }
    // What the bombs cost this process at most, for docs/RELIABILITY.md.
    std::printf("peak RSS before the memory bombs: %ld MB, after: %ld MB\n", before / 1024, peakRssKb() / 1024);
}

TEST(Sandbox, JobsQueuedByAScriptDoNotRunLater)
{
    // A promise job that loops, queued before returning, must not hang a later call.
    auto m = mustMake("function metric(example, pred) {\n"
                      "  if (pred.attack) Promise.resolve().then(function () { for (;;) {} });\n"
                      "  return 0.5;\n"
                      "}\n");
    ASSERT_TRUE(m);
    auto first = m->score({}, pred({{"attack", true}}));
    EXPECT_TRUE(first.ok() || first.error().message == kTimedOut);
    expectStillScores(*m, "promise job");
}

TEST(Sandbox, OneMetricCannotTamperWithAnother)
{
    // Two metrics (two studies open in one studio): one pollutes the shared
    // built-ins of its engine, the other must not see it.
    auto polluter = mustMake("function metric() {\n"
                             "  Object.prototype.score = 0; Array.prototype.includes = function () { return true; };\n"
                             "  (function () { return this; })().leak = 'secret';\n"
                             "  return 1;\n"
                             "}\n");
    auto victim = mustMake("function metric(example, pred) {\n"
                           "  const clean = !('score' in {}) && ![1].includes(2) && typeof leak === 'undefined';\n"
                           "  return {score: clean ? 1 : 0, feedback: clean ? '' : 'saw another metric\\'s changes'};\n"
                           "}\n");
    ASSERT_TRUE(polluter && victim);
    ASSERT_TRUE(polluter->score({}, {}).ok());
    auto r = victim->score({}, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_DOUBLE_EQ(r->score, 1.0) << r->feedback;
}

TEST(Sandbox, HostileFieldNamesStayPlainData)
{
    // Field names come from datasets: __proto__ or constructor must not
    // change what the script sees as the object's prototype.
    auto m =
        mustMake("function metric(example, pred) {\n"
                 "  const plain = Object.getPrototypeOf(example) === Object.prototype && example.constructor === 'x';\n"
                 "  return plain ? 1 : 0;\n"
                 "}\n");
    ASSERT_TRUE(m);
    Example e;
    e.values.set("__proto__", Value("not a prototype"));
    e.values.set("constructor", Value("x"));
    auto r = m->score(e, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_DOUBLE_EQ(r->score, 1.0);
}

} // namespace

int main(int argc, char **argv)
{
    // QJSEngine refuses to start without an application object.
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
