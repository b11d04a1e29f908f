#include "compare/candidateprogram.h"

#include "core/study.h"
#include "run/run_store.h"

#include <QStringList>

#include <algorithm>
#include <map>
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
    const std::string id = candidate.runId.toStdString();
    auto run = store.loadRun(id);
    if (!run)
        return run.error();
    auto study = prism::studyFromJsonText(run->studyJson, "the study snapshot of run " + id);
    if (!study)
        return study.error();
    auto events = store.events(id);
    if (!events)
        return events.error();
    std::map<std::pair<std::string, std::size_t>, std::string> instructions;
    std::map<std::pair<std::string, std::size_t>, std::vector<prism::Demo>> demoSets;
    for (const prism::RunEvent &e : events.value()) {
        if (const auto *p = std::get_if<prism::InstructionProposedEvent>(&e.payload))
            instructions[{p->predictor, p->index}] = p->text;
        else if (const auto *d = std::get_if<prism::DemoSetReadyEvent>(&e.payload))
            demoSets[{d->predictor, d->index}] = d->demos;
    }
    prism::Program program = study->program;
    for (const prism::ConfigChoice &c : candidate.config) {
        prism::Predictor *p = program.find(c.predictor);
        auto instruction = instructions.find({c.predictor, static_cast<std::size_t>(c.instruction)});
        if (!p || instruction == instructions.end())
            return prism::Error::make(prism::ErrorKind::Data, "run " + id + ": predictor '" + c.predictor
                                                                  + "' has no instruction "
                                                                  + std::to_string(c.instruction));
        p->signature.instruction = instruction->second;
        if (c.demos) {
            auto demos = demoSets.find({c.predictor, static_cast<std::size_t>(*c.demos)});
            if (demos == demoSets.end())
                return prism::Error::make(prism::ErrorKind::Data, "run " + id + ": predictor '" + c.predictor
                                                                      + "' has no demo set "
                                                                      + std::to_string(*c.demos));
            p->demos = demos->second;
        }
    }
    return program;
}
