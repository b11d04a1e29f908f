#pragma once

// How a run ends, as values (docs/RUNS.md). The strings exist only at the
// JSON and SQL boundary: runStatusName / stopReasonText write exactly the
// text stored and exported before these enums existed, and the parsers read it.
#include <string>
#include <utility>

namespace prism {

enum class RunStatus {
    Queued, // waiting in a team server's queue for a worker (PostgreSQL stores)
    Running,
    Finished,
    Cancelled,
    Failed,
};

// "queued" | "running" | "finished" | "cancelled" | "failed".
const char *runStatusName(RunStatus status);
// Unknown text reads as Failed: a row that no version wrote is not a success.
RunStatus runStatusFromName(const std::string &name);

// Why a run stopped: a kind to compare, and the wire text it was written
// as, whose words after the kind are the detail ("budget: max_calls (100)
// reached" is Budget with detail "max_calls (100) reached"). The text is kept
// as written: a budget error's own message ("budget reached: ...") is a stop
// reason too, and the event log must stay byte-identical.
class StopReason {
public:
    enum class Kind {
        None,      // not stopped yet (a running run's empty stop reason)
        Completed, // "completed"
        Cancelled, // "cancelled"
        Budget,    // "budget: <detail>" or a budget error's message
        Error,     // "error: <detail>"
    };

    StopReason() = default;
    static StopReason completed();
    static StopReason cancelled();
    // "budget: <detail>" / "error: <detail>".
    static StopReason budget(const std::string &detail);
    static StopReason error(const std::string &detail);
    // A stop reason of this kind written as text, verbatim (e.g. a budget
    // error's "budget reached: $1.00").
    static StopReason verbatim(Kind kind, std::string text);
    // Reads the wire text back: "", "completed", "cancelled", text starting
    // with "budget" or "error". Any other text is an Error that keeps it, so
    // nothing unknown is mistaken for success.
    static StopReason fromText(const std::string &text);

    Kind kind() const { return m_kind; }
    bool is(Kind kind) const { return m_kind == kind; }
    // The wire text, exactly as stored and exported.
    const std::string &text() const { return m_text; }
    // The words after "budget: " / "error: " (the whole text when it has no such prefix).
    std::string detail() const;

    bool operator==(const StopReason &other) const = default;

private:
    StopReason(Kind kind, std::string text) : m_kind(kind), m_text(std::move(text)) {}

    Kind m_kind = Kind::None;
    std::string m_text;
};

// The status a run ends with for a stop reason: Cancelled for cancelled,
// Failed for an error, Finished otherwise (completed, budget); Running for None.
RunStatus statusForStop(const StopReason &reason);

} // namespace prism
