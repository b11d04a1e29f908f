#include "compare/candidateprogram.h"

#include "run/run_choice.h"
#include "run/run_store.h"

#include <QStringList>

#include <algorithm>
#include <set>

namespace {

QString choiceText(const std::vector<prism::ConfigChoice> &config)
{
    QStringList parts;
    for (const prism::ConfigChoice &c : config) {
        QString part = config.size() > 1 ? QString::fromStdString(c.predictor) + QLatin1Char(' ') : QString();
        part += QStringLiteral("instr %1").arg(c.instruction);
        if (c.demos)
            part += QStringLiteral(" · demos %1").arg(*c.demos);
        parts << part;
    }
    return parts.join(QStringLiteral(" | "));
}

} // namespace

prism::Result<std::vector<RunCandidate>> runCandidates(prism::RunStore &store, const QString &runId)
{
    auto events = store.events(runId.toStdString());
    if (!events)
        return events.error();
    std::vector<RunCandidate> found;
    std::set<std::string> seen;
    for (const prism::RunEvent &e : events.value()) {
        const auto *full = std::get_if<prism::FullEvalFinishedEvent>(&e.payload);
        if (!full || !seen.insert(full->configKey).second)
            continue;
        RunCandidate c;
        c.runId = runId;
        c.config = full->config;
        c.score = full->score;
        c.label = QStringLiteral("%1 trial %2 · %3 (%4%)")
                      .arg(runId)
                      .arg(full->trial)
                      .arg(choiceText(full->config))
                      .arg(full->score, 0, 'f', 1);
        found.push_back(std::move(c));
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const RunCandidate &a, const RunCandidate &b) { return a.score > b.score; });
    return found;
}

prism::Result<prism::Program> candidateProgram(prism::RunStore &store, const RunCandidate &candidate)
{
    return prism::programOfConfig(store, candidate.runId.toStdString(), candidate.config);
}
