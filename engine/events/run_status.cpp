#include "events/run_status.h"

#include <initializer_list>

namespace prism {

namespace {

bool startsWith(const std::string &text, const char *prefix)
{
    return text.rfind(prefix, 0) == 0;
}

} // namespace

const char *runStatusName(RunStatus status)
{
    switch (status) {
    case RunStatus::Queued: return "queued";
    case RunStatus::Running: return "running";
    case RunStatus::Finished: return "finished";
    case RunStatus::Cancelled: return "cancelled";
    case RunStatus::Failed: return "failed";
    }
    return "failed";
}

RunStatus runStatusFromName(const std::string &name)
{
    if (name == "queued")
        return RunStatus::Queued;
    if (name == "running")
        return RunStatus::Running;
    if (name == "finished")
        return RunStatus::Finished;
    if (name == "cancelled")
        return RunStatus::Cancelled;
    return RunStatus::Failed;
}

StopReason StopReason::completed()
{
    return StopReason(Kind::Completed, "completed");
}

StopReason StopReason::cancelled()
{
    return StopReason(Kind::Cancelled, "cancelled");
}

StopReason StopReason::budget(const std::string &detail)
{
    return StopReason(Kind::Budget, "budget: " + detail);
}

StopReason StopReason::error(const std::string &detail)
{
    return StopReason(Kind::Error, "error: " + detail);
}

StopReason StopReason::verbatim(Kind kind, std::string text)
{
    return StopReason(kind, std::move(text));
}

StopReason StopReason::fromText(const std::string &text)
{
    if (text.empty())
        return {};
    if (text == "completed")
        return completed();
    if (text == "cancelled")
        return cancelled();
    if (startsWith(text, "budget"))
        return StopReason(Kind::Budget, text);
    return StopReason(Kind::Error, text);
}

std::string StopReason::detail() const
{
    for (const char *prefix : {"budget: ", "error: "})
        if (startsWith(m_text, prefix))
            return m_text.substr(std::string(prefix).size());
    return m_text;
}

RunStatus statusForStop(const StopReason &reason)
{
    switch (reason.kind()) {
    case StopReason::Kind::None: return RunStatus::Running;
    case StopReason::Kind::Cancelled: return RunStatus::Cancelled;
    case StopReason::Kind::Error: return RunStatus::Failed;
    case StopReason::Kind::Completed:
    case StopReason::Kind::Budget: return RunStatus::Finished;
    }
    return RunStatus::Failed;
}

} // namespace prism
