// Limits of the metric sandbox that the time limit alone does not give:
// script code Prism runs around metric() (argument setters, a getter named
// metric), built-ins that work in native code, memory growth, and a fresh
// engine after a stopped call. Every case asserts the message the user sees
// and that the metric scores the next row right.
#include "scripting/jsmetric.h"

#include <gtest/gtest.h>

#include <QCoreApplication>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>

using namespace prism;

namespace {

constexpr int kLimitMs = 200;
const std::string kTimedOut = "metric timed out after 200 ms";

std::unique_ptr<Metric> mustMake(const std::string &source, int timeoutMs = kLimitMs)
{
    auto m = makeJsMetric(source, timeoutMs);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message) << "\n" << source;
    return m.ok() ? std::move(m).value() : nullptr;
}

Example row(const std::string &attack, const std::string &answer = "Paris")
{
    Example e;
    e.values.set("attack", Value(attack));
    e.values.set("answer", Value(answer));
    return e;
}

Prediction answer(const std::string &text)
{
    Prediction p;
    p.values.set("answer", Value(text));
    return p;
}

// Line 2 runs the attack on the attack row; other rows are scored by exact match.
std::string metricWith(const std::string &attack)
{
    return "function metric(e, p) {\n"
           "  if (e.attack === 'yes') { "
           + attack
           + " }\n"
             "  return p.answer === e.answer ? 1 : 0;\n"
             "}\n";
}

std::string outcome(const Metric &m, const Example &e, const Prediction &p)
{
    auto r = m.score(e, p);
    if (r.ok())
        return "scored " + std::to_string(r->score);
    EXPECT_EQ(r.error().kind, ErrorKind::Script) << r.error().message;
    return r.error().message;
}

void expectStillScores(const Metric &m, const std::string &what)
{
    auto right = m.score(row("no"), answer("Paris"));
    ASSERT_TRUE(right.ok()) << what << ": " << right.error().message;
    EXPECT_DOUBLE_EQ(right->score, 1.0) << what;
    auto wrong = m.score(row("no"), answer("Rome"));
    ASSERT_TRUE(wrong.ok()) << what << ": " << wrong.error().message;
    EXPECT_DOUBLE_EQ(wrong->score, 0.0) << what;
}

std::size_t residentBytes()
{
    std::FILE *f = std::fopen("/proc/self/statm", "r");
    unsigned long pages = 0, resident = 0;
    if (!f || std::fscanf(f, "%lu %lu", &pages, &resident) != 2)
        resident = 0;
    if (f)
        std::fclose(f);
    return static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t peakResidentBytes()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::size_t>(usage.ru_maxrss) * 1024;
}

} // namespace

TEST(SandboxLimits, SetterOnAPrototypeFiresUnderTheTimeLimit)
{
    // Prism builds the example object by setting properties: a setter the
    // top-level code put on Object.prototype runs then, before metric().
    auto m = mustMake("Object.defineProperty(Object.prototype, 'answer', {set(v) {\n"
                      "  if (v === 'hang') for (;;) {}\n"
                      "  Object.defineProperty(this, 'answer', {value: v, enumerable: true});\n"
                      "}});\n"
                      "function metric(e, p) { return p.answer === e.answer ? 1 : 0; }\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(outcome(*m, row("no", "hang"), answer("Paris")), kTimedOut);
    expectStillScores(*m, "setter on Object.prototype");

    // Lists are built by index: a setter on Array.prototype.
    auto list = mustMake("Object.defineProperty(Array.prototype, '0', {set(v) { for (;;) {} }});\n"
                         "function metric() { return 1; }\n");
    ASSERT_TRUE(list);
    Prediction withList;
    withList.values.set("tags", Value(std::vector<Value>{Value("a")}));
    EXPECT_EQ(outcome(*list, row("no"), withList), kTimedOut);
}

TEST(SandboxLimits, GetterNamedMetricIsUnderTheLoadTimeLimit)
{
    auto m = makeJsMetric("Object.defineProperty(this, 'metric', {get() { for (;;) {} }});", kLimitMs);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message, "metric.js: the top-level code ran longer than 200 ms; keep the work inside metric()");
}

TEST(SandboxLimits, NativeBuiltInsRefuseLengthsTheTimeLimitCannotStop)
{
    // Unchecked, the first took 15 GB and two minutes until the OOM killer
    // ended the process: native code does not see the interrupt.
    struct Case {
        const char *attack;
        const char *message;
    };
    const Case cases[] = {
        {"new Array(2 ** 31).fill(0);", "metric.js line 2: RangeError: Array.prototype.fill on a length of 2147483648 "
                                        "is over the metric sandbox limit of 16777216"},
        {"const a = []; a.length = 2 ** 32 - 1; Array.prototype.fill.call(a, 1);",
         "metric.js line 2: RangeError: Array.prototype.fill on a length of 4294967295 is over the metric sandbox "
         "limit of 16777216"},
        {"'x'.repeat(2 ** 30);", "metric.js line 2: RangeError: String.prototype.repeat to a length of 1073741824 is "
                                 "over the metric sandbox limit of 67108864"},
        {"'x'.padEnd(2 ** 30);", "metric.js line 2: RangeError: String.prototype.padEnd to a length of 1073741824 is "
                                 "over the metric sandbox limit of 67108864"},
        {"'x'.padStart(2 ** 30);", "metric.js line 2: RangeError: String.prototype.padStart to a length of 1073741824 "
                                   "is over the metric sandbox limit of 67108864"},
        {"new Array(2 ** 30).join('ab');", "metric.js line 2: RangeError: Array.prototype.join on a length of "
                                           "1073741824 is over the metric sandbox limit of 16777216"},
        {"Array.from({length: 2 ** 31});", "metric.js line 2: RangeError: Array.from of a length of 2147483648 is over "
                                           "the metric sandbox limit of 16777216"},
    };
    for (const auto &c : cases) {
        auto m = mustMake(metricWith(c.attack));
        ASSERT_TRUE(m);
        EXPECT_EQ(outcome(*m, row("yes"), answer("Paris")), c.message);
        expectStillScores(*m, c.attack);
    }
    // Lengths a metric uses still work.
    auto m = mustMake(
        "function metric() { return 'ab'.repeat(3) + new Array(3).fill(1).join('') === 'ababab111' ? 1 : 0; }");
    ASSERT_TRUE(m);
    auto r = m->score({}, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_DOUBLE_EQ(r->score, 1.0);
}

TEST(SandboxLimits, MemoryBombsStopAtTheMemoryLimit)
{
    // Unchecked, each reached about 2 GB within a one-second limit, per
    // scoring thread. A 120 s limit here: memory, not time, stops them. (With 20 s,
    // the Array.fill bomb needed more than 20 s to reach 512 MiB on two cores
    // shared with three fuzzers; it stops at the memory limit all the same.)
    const char *bombs[] = {"const a = []; for (;;) a.push(new ArrayBuffer(1 << 26));",
                           "const a = []; for (;;) a.push(new Float64Array(1 << 23));",
                           "const a = []; for (;;) a.push('x'.repeat(1 << 25) + a.length);",
                           "let s = 'ab'; const a = []; for (;;) { s = s + s; a.push(s); }",
                           "const a = []; for (;;) a.push(new Array(1 << 16).fill(1.5));"};
    const std::size_t limit = static_cast<std::size_t>(kMetricMemoryLimitMiB) << 20;
    for (const char *bomb : bombs) {
        const std::size_t before = residentBytes();
        auto m = mustMake(metricWith(bomb), 120000);
        ASSERT_TRUE(m);
        const std::string error = outcome(*m, row("yes"), answer("Paris"));
        std::printf("  %s -> %s; peak RSS %zu MiB (%zu MiB before)\n", bomb, error.c_str(), peakResidentBytes() >> 20,
                    before >> 20);
        EXPECT_EQ(error, "metric.js: metric() used more than 512 MiB of memory and was stopped") << bomb;
        // One 10 ms poll and one native allocation past the limit stay far under three limits.
        EXPECT_LT(peakResidentBytes(), before + 3 * limit) << bomb;
        expectStillScores(*m, bomb);
    }
}

TEST(SandboxLimits, AStoppedCallLeavesAFreshEngine)
{
    // Changes to the built-ins stay with the metric's next calls on the same
    // thread, like its globals, until a call is stopped: the next call then
    // gets a new engine, as if the metric had just been loaded.
    auto m = mustMake("function metric(e, p) {\n"
                      "  const seen = ({}).polluted === 'yes';\n"
                      "  Object.prototype.polluted = 'yes';\n"
                      "  if (e.attack === 'yes') for (;;) {}\n"
                      "  return {score: 1, feedback: seen ? 'saw its change' : 'clean'};\n"
                      "}\n");
    ASSERT_TRUE(m);
    auto first = m->score(row("no"), answer("Paris"));
    auto second = m->score(row("no"), answer("Paris"));
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->feedback, "clean");
    EXPECT_EQ(second->feedback, "saw its change");
    EXPECT_EQ(outcome(*m, row("yes"), answer("Paris")), kTimedOut);
    auto after = m->score(row("no"), answer("Paris"));
    ASSERT_TRUE(after.ok()) << after.error().message;
    EXPECT_EQ(after->feedback, "clean");
}

TEST(SandboxLimits, QmlDirectivesAreInert)
{
    // .import parses in a bare engine but is never acted on: the file is not
    // read and nothing is bound (evil.js would define leaked and P).
    const std::string evil = ::testing::TempDir() + "prism_sandbox_evil.js";
    std::FILE *f = std::fopen(evil.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("var leaked = 42; function P() { return 1; }\n", f);
    std::fclose(f);
    for (const std::string &directive : {".import \"" + evil + "\" as P", ".import \"file://" + evil + "\" as P",
                                         std::string(".import QtQuick 2.0 as P"), std::string(".pragma library")}) {
        auto m = mustMake(directive + "\nfunction metric() { return typeof P + ' ' + typeof leaked; }");
        ASSERT_TRUE(m) << directive;
        EXPECT_EQ(outcome(*m, row("no"), answer("Paris")),
                  "metric.js: metric() returned the string \"undefined undefined\"; return a number in [0, 1], "
                  "a boolean, or {score, feedback}")
            << directive;
    }
    std::remove(evil.c_str());
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
