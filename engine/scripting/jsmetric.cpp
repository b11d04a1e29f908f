#include "scripting/jsmetric.h"

#include "metric/builtin.h"

#include <spdlog/fmt/fmt.h>

#include <QCoreApplication>
#include <QJSEngine>
#include <QJSValue>
#include <QString>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <unistd.h>

namespace prism {

namespace {

using Clock = std::chrono::steady_clock;

// Calls a script function and reports a throw as {threw, value}: QJSValue::call
// returns a thrown string or object as if it had been returned. Interrupts are
// not catchable by JS, so a timeout still comes back as an Error value.
const char *const kWrapperSource = "(function (fn) {\n"
                                   "  return function (example, pred, trace) {\n"
                                   "    try { return { threw: false, value: fn(example, pred, trace) }; }\n"
                                   "    catch (e) { return { threw: true, value: e }; }\n"
                                   "  };\n"
                                   "})";

// Runs before the user's script in every engine. The engine checks for an
// interrupt only between bytecode instructions, so a built-in that loops or
// allocates in native code for a length the script chose (new Array(2**31).fill(0)
// took 15 GB and two minutes before the OOM killer ended it) cannot be
// stopped by the time limit: these built-ins refuse lengths no metric needs.
const char *const kSandboxPreludeSource =
    "(function () {\n"
    "  const maxElements = 16777216, maxChars = 67108864;\n"
    "  const toLength = (n) => { n = Number(n); return n > 0 ? Math.floor(n) : 0; };\n"
    "  const refuse = (what, n, max) => {\n"
    "    throw new RangeError(what + ' of ' + n + ' is over the metric sandbox limit of ' + max);\n"
    "  };\n"
    "  const replace = (object, name, fn) =>\n"
    "    Object.defineProperty(object, name, {value: fn, writable: true, configurable: true, enumerable: false});\n"
    "  const fill = Array.prototype.fill, join = Array.prototype.join, from = Array.from;\n"
    "  const repeat = String.prototype.repeat, padStart = String.prototype.padStart, padEnd = "
    "String.prototype.padEnd;\n"
    "  replace(Array.prototype, 'fill', {fill(value, start, end) {\n"
    "    const n = toLength(Object(this).length);\n"
    "    if (n > maxElements) refuse('Array.prototype.fill on a length', n, maxElements);\n"
    "    return fill.apply(this, arguments);\n"
    "  }}.fill);\n"
    "  replace(Array.prototype, 'join', {join(separator) {\n"
    "    const n = toLength(Object(this).length);\n"
    "    if (n > maxElements) refuse('Array.prototype.join on a length', n, maxElements);\n"
    "    return join.apply(this, arguments);\n"
    "  }}.join);\n"
    "  replace(Array, 'from', {from(items) {\n"
    "    const n = items == null ? 0 : toLength(Object(items).length);\n"
    "    if (n > maxElements) refuse('Array.from of a length', n, maxElements);\n"
    "    return from.apply(this, arguments);\n"
    "  }}.from);\n"
    "  replace(String.prototype, 'repeat', {repeat(count) {\n"
    "    const n = String(this).length * toLength(count);\n"
    "    if (n > maxChars) refuse('String.prototype.repeat to a length', n, maxChars);\n"
    "    return repeat.apply(this, arguments);\n"
    "  }}.repeat);\n"
    "  replace(String.prototype, 'padStart', {padStart(length) {\n"
    "    if (toLength(length) > maxChars) refuse('String.prototype.padStart to a length', toLength(length), "
    "maxChars);\n"
    "    return padStart.apply(this, arguments);\n"
    "  }}.padStart);\n"
    "  replace(String.prototype, 'padEnd', {padEnd(length) {\n"
    "    if (toLength(length) > maxChars) refuse('String.prototype.padEnd to a length', toLength(length), maxChars);\n"
    "    return padEnd.apply(this, arguments);\n"
    "  }}.padEnd);\n"
    "})()";

// The resident set size of this process in bytes, 0 when unknown.
std::size_t residentBytes()
{
    std::FILE *f = std::fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long pages = 0, resident = 0;
    const int read = std::fscanf(f, "%lu %lu", &pages, &resident);
    std::fclose(f);
    static const long pageSize = sysconf(_SC_PAGESIZE);
    return read == 2 ? static_cast<std::size_t>(resident) * static_cast<std::size_t>(pageSize) : 0;
}

// Why the watchdog interrupted a call.
enum class Stop { None, Timeout, Memory };

// One thread for every running call of every JsMetric: it interrupts the
// engines whose call outlived its deadline, and while calls run it polls the
// process's resident memory and interrupts the calls it grew under by more
// than kMetricMemoryLimitMiB (a loop of new ArrayBuffer(64 MiB) reached 2 GB
// within the one-second time limit). The memory is the process's, so a bomb
// on one scoring thread can also stop calls running on others at that moment.
// setInterrupted is the one QJSEngine function meant to be called from another thread.
class Watchdog {
public:
    static Watchdog &instance()
    {
        static Watchdog watchdog;
        return watchdog;
    }

    std::uint64_t arm(QJSEngine *engine, int timeoutMs)
    {
        const std::size_t resident = residentBytes();
        std::lock_guard lock(m_mutex);
        const std::uint64_t token = m_next++;
        m_entries[token] = Entry{engine, Clock::now() + std::chrono::milliseconds(timeoutMs), resident, Stop::None};
        m_cv.notify_all();
        return token;
    }

    // Why the engine was interrupted, if it was. After this returns the
    // watchdog no longer touches the engine.
    Stop disarm(std::uint64_t token)
    {
        std::lock_guard lock(m_mutex);
        auto it = m_entries.find(token);
        const Stop stop = it != m_entries.end() ? it->second.stop : Stop::None;
        if (it != m_entries.end())
            m_entries.erase(it);
        return stop;
    }

    ~Watchdog()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable())
            m_thread.join();
    }

private:
    struct Entry {
        QJSEngine *engine = nullptr;
        Clock::time_point deadline;
        std::size_t residentAtArm = 0;
        Stop stop = Stop::None;
    };

    Watchdog() : m_thread([this] { loop(); }) {}

    void loop()
    {
        constexpr auto kMemoryPoll = std::chrono::milliseconds(10);
        const std::size_t limit = static_cast<std::size_t>(kMetricMemoryLimitMiB) << 20;
        std::unique_lock lock(m_mutex);
        while (!m_stop) {
            std::optional<Clock::time_point> next;
            const auto now = Clock::now();
            const std::size_t resident = m_entries.empty() ? 0 : residentBytes();
            for (auto &[token, entry] : m_entries) {
                if (entry.stop != Stop::None)
                    continue;
                if (entry.deadline <= now) {
                    entry.engine->setInterrupted(true);
                    entry.stop = Stop::Timeout;
                } else if (entry.residentAtArm && resident > entry.residentAtArm + limit) {
                    entry.engine->setInterrupted(true);
                    entry.stop = Stop::Memory;
                } else {
                    const auto wake = std::min(entry.deadline, now + kMemoryPoll);
                    if (!next || wake < *next)
                        next = wake;
                }
            }
            if (next)
                m_cv.wait_until(lock, *next);
            else
                m_cv.wait(lock);
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::map<std::uint64_t, Entry> m_entries;
    std::uint64_t m_next = 1;
    bool m_stop = false;
    std::thread m_thread; // last: started once the members it uses exist
};

// Arms the watchdog for one call and disarms it on every path out.
class WatchdogGuard {
public:
    WatchdogGuard(QJSEngine *engine, int timeoutMs) : m_token(Watchdog::instance().arm(engine, timeoutMs)) {}
    ~WatchdogGuard() { disarm(); }
    Stop disarm()
    {
        if (m_token) {
            m_stop = Watchdog::instance().disarm(m_token);
            m_token = 0;
        }
        return m_stop;
    }

private:
    std::uint64_t m_token = 0;
    Stop m_stop = Stop::None;
};

std::string toStd(const QString &s)
{
    return s.toStdString();
}

Error scriptError(std::string message)
{
    return Error::make(ErrorKind::Script, std::move(message));
}

std::string timeoutMessage(int timeoutMs)
{
    return fmt::format("metric timed out after {} ms", timeoutMs);
}

// The line of the innermost frame in the user's script of a JS error's stack
// ("refuse@file:prism-prelude.js:9\nmetric@file:metric.js:2"): an error the
// sandbox prelude throws names the user's line that called it.
std::optional<int> scriptLineFromStack(const QJSValue &error)
{
    const QJSValue stack = error.property(QStringLiteral("stack"));
    if (!stack.isString())
        return std::nullopt;
    const QString marker = QStringLiteral("file:") + QString::fromLatin1(kMetricScriptName) + QLatin1Char(':');
    for (const QString &frame : stack.toString().split(QLatin1Char('\n'))) {
        const qsizetype at = frame.indexOf(marker);
        if (at < 0)
            continue;
        bool ok = false;
        const int line = frame.mid(at + marker.size()).toInt(&ok);
        if (ok && line > 0)
            return line;
    }
    return std::nullopt;
}

// "ReferenceError: foo is not defined" with the line where JS knows it.
std::string describeJsError(const QJSValue &error)
{
    const QJSValue line = error.property(QStringLiteral("lineNumber"));
    const std::string text = toStd(error.toString());
    const QJSValue file = error.property(QStringLiteral("fileName"));
    if (file.isString() && file.toString().endsWith(QStringLiteral("prism-prelude.js"))) {
        if (const auto scriptLine = scriptLineFromStack(error))
            return fmt::format("{} line {}: {}", kMetricScriptName, *scriptLine, text);
    }
    if (line.isNumber() && line.toInt() > 0)
        return fmt::format("{} line {}: {}", kMetricScriptName, line.toInt(), text);
    return fmt::format("{}: {}", kMetricScriptName, text);
}

// The line of the innermost frame of a stack trace entry "%entry:3:-1:file:metric.js".
std::optional<int> lineFromStack(const QStringList &stack)
{
    if (stack.isEmpty())
        return std::nullopt;
    const QStringList parts = stack.front().split(QLatin1Char(':'));
    if (parts.size() < 2)
        return std::nullopt;
    bool ok = false;
    const int line = parts[1].toInt(&ok);
    return ok && line > 0 ? std::optional<int>(line) : std::nullopt;
}

std::string jsTypeName(const QJSValue &v)
{
    if (v.isUndefined())
        return "undefined";
    if (v.isNull())
        return "null";
    if (v.isString())
        return "a string";
    if (v.isNumber())
        return "a number";
    if (v.isBool())
        return "a boolean";
    if (v.isArray())
        return "an array";
    if (v.isCallable())
        return "a function";
    return "an object";
}

QJSValue toJs(QJSEngine &engine, const Value &value)
{
    if (value.isString())
        return QJSValue(QString::fromStdString(value.asString()));
    if (value.isNumber())
        return QJSValue(value.asNumber());
    if (value.isBool())
        return QJSValue(value.asBool());
    if (value.isList()) {
        const auto &list = value.asList();
        QJSValue array = engine.newArray(static_cast<uint>(list.size()));
        for (std::size_t i = 0; i < list.size(); ++i)
            array.setProperty(static_cast<quint32>(i), toJs(engine, list[i]));
        return array;
    }
    return QJSValue(QJSValue::NullValue);
}

QJSValue toJs(QJSEngine &engine, const Fields &fields)
{
    QJSValue object = engine.newObject();
    for (const auto &[name, value] : fields)
        object.setProperty(QString::fromStdString(name), toJs(engine, value));
    return object;
}

// A script compiled in one engine, ready to call. Members are destroyed in
// reverse order, so the values go before their engine.
struct LoadedScript {
    std::unique_ptr<QJSEngine> engine;
    QJSValue call;      // wrapper(metric)
    QJSValue stringify; // the original JSON.stringify, for showing thrown objects
};

std::string shownThrown(const LoadedScript &script, const QJSValue &value)
{
    if (value.isString())
        return "\"" + toStd(value.toString()) + "\"";
    if (value.isObject() && !value.isCallable()) {
        const QJSValue json = script.stringify.call({value});
        if (json.isString())
            return toStd(json.toString());
    }
    return toStd(value.toString());
}

std::string memoryMessage(const char *what)
{
    return fmt::format("{}: {} used more than {} MiB of memory and was stopped", kMetricScriptName, what,
                       kMetricMemoryLimitMiB);
}

// Runs the source's top-level code and binds metric(). Every step can run
// script code (toString or toJSON of a thrown value, a getter named metric),
// so the caller keeps the watchdog armed throughout.
Result<void> bindScript(LoadedScript &script, const std::string &source)
{
    QJSEngine &engine = *script.engine;
    QStringList stack;
    const QJSValue result =
        engine.evaluate(QString::fromStdString(source), QString::fromLatin1(kMetricScriptName), 1, &stack);
    if (result.isError())
        return scriptError(describeJsError(result));
    if (!stack.isEmpty()) {
        // A thrown string or object: evaluate hands it back as the result.
        const auto line = lineFromStack(stack);
        return scriptError(fmt::format("{}{}: uncaught exception: {}", kMetricScriptName,
                                       line ? fmt::format(" line {}", *line) : std::string(),
                                       shownThrown(script, result)));
    }

    const QJSValue fn = engine.globalObject().property(QStringLiteral("metric"));
    if (fn.isUndefined())
        return scriptError(
            fmt::format("{}: the script must define function metric(example, pred, trace)", kMetricScriptName));
    if (!fn.isCallable())
        return scriptError(fmt::format("{}: metric is {}, not a function; define function metric(example, pred, trace)",
                                       kMetricScriptName, jsTypeName(fn)));

    const QJSValue wrapper = engine.evaluate(QString::fromLatin1(kWrapperSource), QStringLiteral("prism-wrapper.js"));
    if (!wrapper.isCallable())
        return Error::make(ErrorKind::Internal,
                           "metric: the call wrapper did not compile: " + toStd(wrapper.toString()));
    script.call = wrapper.call({fn});
    if (!script.call.isCallable())
        return Error::make(ErrorKind::Internal, "metric: the call wrapper failed: " + toStd(script.call.toString()));
    return {};
}

// Creates an engine with nothing but the ECMAScript library (and the
// prelude's limits), runs the source's top-level code under the time and
// memory limits and binds metric().
Result<std::unique_ptr<LoadedScript>> loadScript(const std::string &source, int timeoutMs)
{
    auto script = std::make_unique<LoadedScript>();
    // No installExtensions: no console, no qsTr, no gc. A bare QJSEngine has
    // no Qt object, no XMLHttpRequest and no module loading.
    script->engine = std::make_unique<QJSEngine>();
    QJSEngine &engine = *script->engine;
    const QJSValue prelude =
        engine.evaluate(QString::fromLatin1(kSandboxPreludeSource), QStringLiteral("prism-prelude.js"));
    if (prelude.isError())
        return Error::make(ErrorKind::Internal, "metric: the sandbox prelude failed: " + toStd(prelude.toString()));
    script->stringify = engine.globalObject().property(QStringLiteral("JSON")).property(QStringLiteral("stringify"));

    Result<void> bound;
    Stop stop = Stop::None;
    {
        WatchdogGuard guard(&engine, timeoutMs);
        bound = bindScript(*script, source);
        stop = guard.disarm();
    }
    const bool interrupted = engine.isInterrupted();
    engine.setInterrupted(false);
    if (stop == Stop::Memory)
        return scriptError(memoryMessage("the top-level code"));
    if (stop == Stop::Timeout || interrupted)
        return scriptError(fmt::format("{}: the top-level code ran longer than {} ms; "
                                       "keep the work inside metric()",
                                       kMetricScriptName, timeoutMs));
    if (!bound)
        return bound.error();
    return script;
}

Result<double> scoreFromJs(const QJSValue &v, const char *what)
{
    if (v.isBool())
        return v.toBool() ? 1.0 : 0.0;
    if (!v.isNumber())
        return scriptError(fmt::format("{}: {} is {}; return a number in [0, 1], a boolean, or {{score, feedback}}",
                                       kMetricScriptName, what, jsTypeName(v)));
    const double s = v.toNumber();
    if (std::isnan(s))
        return scriptError(fmt::format("{}: {} is NaN; the score must be a number in [0, 1]", kMetricScriptName, what));
    if (s < 0.0 || s > 1.0)
        return scriptError(
            fmt::format("{}: the score must be in [0, 1], got {}", kMetricScriptName, toStd(v.toString())));
    return s;
}

Result<MetricResult> interpretResult(const QJSValue &v)
{
    MetricResult out;
    if (v.isNumber() || v.isBool()) {
        auto s = scoreFromJs(v, "the returned value");
        if (!s)
            return s.error();
        out.score = *s;
        return out;
    }
    if (v.isObject() && !v.isArray() && !v.isCallable()) {
        const QJSValue score = v.property(QStringLiteral("score"));
        if (score.isUndefined())
            return scriptError(fmt::format(
                "{}: metric() returned an object without a score; return {{score, feedback}}", kMetricScriptName));
        auto s = scoreFromJs(score, "the returned score");
        if (!s)
            return s.error();
        out.score = *s;
        const QJSValue feedback = v.property(QStringLiteral("feedback"));
        if (!feedback.isUndefined() && !feedback.isNull())
            out.feedback = toStd(feedback.toString());
        return out;
    }
    if (v.isUndefined())
        return scriptError(fmt::format("{}: metric() returned nothing; return a number in [0, 1], a boolean, "
                                       "or {{score, feedback}}",
                                       kMetricScriptName));
    const std::string what = v.isString() ? "the string \"" + toStd(v.toString()) + "\"" : jsTypeName(v);
    return scriptError(fmt::format("{}: metric() returned {}; return a number in [0, 1], a boolean, "
                                   "or {{score, feedback}}",
                                   kMetricScriptName, what));
}

// The score of one wrapped call: {threw, value} from the wrapper, or an error
// thrown outside its try (an interrupt).
Result<MetricResult> readOutcome(const LoadedScript &script, const QJSValue &out)
{
    if (out.isError())
        return scriptError(describeJsError(out));
    const QJSValue value = out.property(QStringLiteral("value"));
    if (out.property(QStringLiteral("threw")).toBool()) {
        if (value.isError())
            return scriptError(describeJsError(value));
        return scriptError(fmt::format("{}: metric() threw {}", kMetricScriptName, shownThrown(script, value)));
    }
    return interpretResult(value);
}

// This thread's engines, one per live JsMetric that scored here. Destroyed
// with the thread, on the thread that created them.
struct ThreadEntry {
    std::weak_ptr<const int> alive;
    std::unique_ptr<LoadedScript> script;
    std::optional<Error> loadError;
};
thread_local std::unordered_map<std::uint64_t, ThreadEntry> t_scripts;

std::atomic<std::uint64_t> g_nextMetricId{1};
std::atomic<long long> g_scoringEnginesBuilt{0};

std::string jsIdentifierAccess(const std::string &object, const std::string &name)
{
    bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
    for (char c : name)
        plain = plain
                && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$');
    if (plain)
        return object + "." + name;
    std::string quoted;
    for (char c : name) {
        if (c == '"' || c == '\\')
            quoted += '\\';
        quoted += c;
    }
    return object + "[\"" + quoted + "\"]";
}

} // namespace

JsMetric::JsMetric(std::string source, int timeoutMs)
    : m_source(std::move(source)), m_timeoutMs(timeoutMs), m_id(g_nextMetricId++),
      m_alive(std::make_shared<const int>(0))
{}

JsMetric::~JsMetric() = default;

long long JsMetric::scoringEnginesBuilt()
{
    return g_scoringEnginesBuilt.load(std::memory_order_relaxed);
}

Result<MetricResult> JsMetric::score(const Example &example, const Prediction &prediction) const
{
    if (prediction.error)
        return *prediction.error;

    // Drop the engines of metrics that no longer exist, then find or build ours.
    for (auto it = t_scripts.begin(); it != t_scripts.end();)
        it = it->second.alive.expired() ? t_scripts.erase(it) : std::next(it);
    auto found = t_scripts.find(m_id);
    if (found == t_scripts.end()) {
        ThreadEntry entry;
        entry.alive = m_alive;
        g_scoringEnginesBuilt.fetch_add(1, std::memory_order_relaxed);
        auto loaded = loadScript(m_source, m_timeoutMs);
        if (loaded)
            entry.script = std::move(loaded).value();
        else
            entry.loadError = loaded.error();
        found = t_scripts.emplace(m_id, std::move(entry)).first;
    }
    ThreadEntry &entry = found->second;
    if (entry.loadError)
        return *entry.loadError;

    LoadedScript &script = *entry.script;
    QJSEngine &engine = *script.engine;
    // Everything here can run script code: setters a script put on
    // Object.prototype or Array.prototype fire while the arguments are built,
    // getters and toString (of score, feedback, a thrown value) while the
    // result is read. All of it stays under the limits, or a hostile metric
    // could hang the run outside metric().
    Result<MetricResult> result = MetricResult{};
    Stop stop = Stop::None;
    {
        WatchdogGuard guard(&engine, m_timeoutMs);
        const QJSValue exampleJs = toJs(engine, example.values);
        const QJSValue predJs = toJs(engine, prediction.values);
        const QJSValue out = script.call.call({exampleJs, predJs, QJSValue(QJSValue::NullValue)});
        result = readOutcome(script, out);
        stop = guard.disarm();
    }
    const bool interrupted = engine.isInterrupted();
    // A deadline that passed just after the call returned leaves the flag set.
    engine.setInterrupted(false);
    if (stop != Stop::None || interrupted) {
        // A fresh engine for the next call: this one's heap holds what the
        // script piled up, and its state is that of a half-run call.
        t_scripts.erase(found);
        return scriptError(stop == Stop::Memory ? memoryMessage("metric()") : timeoutMessage(m_timeoutMs));
    }
    return result;
}

std::string JsMetric::describe() const
{
    std::size_t lines = m_source.empty() ? 0 : 1;
    for (char c : m_source)
        lines += c == '\n' ? 1 : 0;
    return fmt::format("JavaScript metric ({} lines, {} ms limit per call)", lines, m_timeoutMs);
}

Result<std::unique_ptr<Metric>> makeJsMetric(const std::string &source, int timeoutMs)
{
    if (!scriptingAvailable())
        return Error::make(ErrorKind::Config, "metric: JavaScript metrics need a QCoreApplication in this process "
                                              "(create a prism::ScriptingRuntime first)");
    if (timeoutMs < 1)
        return Error::make(ErrorKind::Config,
                           fmt::format("metric: the time limit must be at least 1 ms, not {}", timeoutMs));
    bool blank = true;
    for (char c : source)
        blank = blank && (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if (blank)
        return scriptError(fmt::format("{} is empty; define function metric(example, pred, trace)", kMetricScriptName));
    // Compiled once here for the syntax check; each scoring thread compiles its own.
    auto loaded = loadScript(source, timeoutMs);
    if (!loaded)
        return loaded.error();
    return std::unique_ptr<Metric>(new JsMetric(source, timeoutMs));
}

Result<std::unique_ptr<Metric>> makeStudyMetric(const MetricSpec &spec, const Program &program,
                                                std::shared_ptr<const Judge> judge, int scriptTimeoutMs)
{
    if (spec.kind == "script")
        return makeJsMetric(spec.script, scriptTimeoutMs);
    return makeMetric(spec, program, std::move(judge));
}

std::string jsMetricTemplate(const Program &program)
{
    const std::vector<Field> outputs =
        program.predictors.empty() ? std::vector<Field>{} : program.predictors.back().signature.outputs;
    std::string body;
    bool needsJaccard = false;
    bool needsNorm = false;
    for (const auto &f : outputs) {
        const std::string want = jsIdentifierAccess("example", f.name);
        const std::string got = jsIdentifierAccess("pred", f.name);
        std::string test;
        std::string how;
        switch (f.type.kind()) {
        case TypeKind::List:
            needsJaccard = true;
            body += fmt::format("  // {}: set overlap (Jaccard)\n", f.name);
            body += "  {\n";
            body += fmt::format("    const overlap = jaccard({}, {});\n", want, got);
            body += "    total += overlap;\n";
            body += fmt::format("    notes.push(`{}: ${{overlap === 1 ? \"correct\" : difference({}, {})}}.`);\n",
                                f.name, want, got);
            body += "  }\n\n";
            continue;
        case TypeKind::Float:
            test = fmt::format("Math.abs(Number({}) - Number({})) <= 1e-6", got, want);
            how = "equal within a tolerance";
            break;
        case TypeKind::String:
            needsNorm = true;
            test = fmt::format("norm({}) === norm({})", got, want);
            how = "same text, ignoring case and outer spaces";
            break;
        default:
            test = fmt::format("{} === {}", got, want);
            how = "exact match";
            break;
        }
        body += fmt::format("  // {}: {}\n", f.name, how);
        body += fmt::format("  if ({}) {{\n    total += 1;\n    notes.push(\"{}: correct.\");\n  }} else {{\n", test,
                            f.name);
        body += fmt::format("    notes.push(`{}: expected ${{{}}}, got ${{{} ?? \"nothing\"}}.`);\n  }}\n\n", f.name,
                            want, got);
    }

    std::string out;
    out += "// Scores one prediction of the program.\n";
    out += "//   example: the row's values (inputs and expected outputs)\n";
    out += "//   pred:    the program's outputs for that row\n";
    out += "// Return a number in [0, 1], a boolean, or {score, feedback}.\n";
    out += "// The feedback says what went wrong, one sentence per field, in the words\n";
    out += "// of the built-in metrics (\"correct\", \"expected X, got Y\", \"missing a; extra b\");\n";
    out += "// reflective optimizers read it.\n";
    out += "// Only the JavaScript standard library is available (no files, network, console).\n";
    out += "function metric(example, pred, trace) {\n";
    out += "  let total = 0;\n";
    out += "  const notes = [];\n\n";
    out += body;
    out += fmt::format("  return {{ score: total / {}, feedback: notes.join(\" \") }};\n",
                       std::max<std::size_t>(outputs.size(), 1));
    out += "}\n";
    if (needsNorm) {
        out += "\nfunction norm(s) {\n";
        out += "  return String(s ?? \"\").trim().toLowerCase();\n";
        out += "}\n";
    }
    if (needsJaccard) {
        out += "\n// |A and B| / |A or B|; two empty lists match.\n";
        out += "function jaccard(a, b) {\n";
        out += "  const x = new Set(a || []), y = new Set(b || []);\n";
        out += "  if (x.size === 0 && y.size === 0) return 1;\n";
        out += "  let both = 0;\n";
        out += "  for (const v of x) if (y.has(v)) both++;\n";
        out += "  return both / (x.size + y.size - both);\n";
        out += "}\n";
        out += "\n// \"missing a, b; extra c\", or \"got nothing\" for an empty answer.\n";
        out += "function difference(want, got) {\n";
        out += "  const x = new Set(want || []), y = new Set(got || []);\n";
        out += "  const parts = [];\n";
        out += "  const missing = [...x].filter(v => !y.has(v));\n";
        out += "  if (missing.length) parts.push(\"missing \" + missing.join(\", \"));\n";
        out += "  const extra = [...y].filter(v => !x.has(v));\n";
        out += "  if (y.size === 0) parts.push(\"got nothing\");\n";
        out += "  else if (extra.length) parts.push(\"extra \" + extra.join(\", \"));\n";
        out += "  return parts.join(\"; \");\n";
        out += "}\n";
    }
    return out;
}

bool scriptingAvailable()
{
    return QCoreApplication::instance() != nullptr;
}

struct ScriptingRuntime::Impl {
    std::unique_ptr<QCoreApplication> app;
};

ScriptingRuntime::ScriptingRuntime() : m_impl(std::make_unique<Impl>())
{
    if (QCoreApplication::instance())
        return;
    // QCoreApplication keeps references to argc and argv for its lifetime.
    static int argc = 1;
    static char name[] = "prism";
    static char *argv[] = {name, nullptr};
    m_impl->app = std::make_unique<QCoreApplication>(argc, argv);
}

ScriptingRuntime::~ScriptingRuntime() = default;

} // namespace prism
