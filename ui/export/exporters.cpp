#include "export/exporters.h"

#include "adapter/adapter.h"
#include "artifact/prompt_export.h"
#include "core/json.h"
#include "core/outfile.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <QBuffer>
#include <QFileInfo>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

namespace {

using prism::Error;
using prism::ErrorKind;

QString q(const std::string &text)
{
    return QString::fromStdString(text);
}

QString number(double value)
{
    return QString::number(value, 'g', 12);
}

Error runError(const Error &error, const QString &runId, const char *what)
{
    return Error::make(error.kind, "run " + runId.toStdString() + ": " + what + ": " + error.message);
}

// The predictor names of a run, in program order: from its study snapshot,
// else from the trial configs.
std::vector<std::string> predictorNames(const prism::RunRecord &run, const std::vector<prism::TrialRecord> &trials)
{
    std::vector<std::string> names;
    if (auto study = prism::studyFromJsonText(run.studyJson, run.id))
        for (const auto &p : study->program.predictors)
            names.push_back(p.name);
    if (!names.empty())
        return names;
    std::set<std::string> seen;
    for (const auto &t : trials)
        for (const prism::ConfigChoice &c : t.config)
            if (seen.insert(c.predictor).second)
                names.push_back(c.predictor);
    return names;
}

// The predictor's choice in a trial config; null when the config has none.
const prism::ConfigChoice *choiceOf(const std::vector<prism::ConfigChoice> &config, const std::string &predictor)
{
    for (const prism::ConfigChoice &c : config)
        if (c.predictor == predictor)
            return &c;
    return nullptr;
}

} // namespace

prism::Result<void> writeFileAtomically(const QString &path, const QByteArray &bytes)
{
    // The engine's writer, so an export from the studio follows the CLI's one
    // rule for output paths (core/outfile.h): through symlinks, straight into
    // a FIFO or character device, never replacing anything else.
    return prism::writeFileAtomic(path.toStdString(), bytes.toStdString());
}

QString csvField(const QString &text)
{
    static const QString special = QStringLiteral(",\"\r\n");
    bool quote = false;
    for (const QChar c : text)
        quote = quote || special.contains(c);
    if (!quote)
        return text;
    QString doubled = text;
    doubled.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + doubled + QLatin1Char('"');
}

prism::Result<void> exportProgramJson(prism::RunStore &store, const QString &runId, const QString &path)
{
    auto text = store.artifact(runId.toStdString());
    if (!text)
        return runError(text.error(), runId, "artifact");
    if (text->empty())
        return Error::make(ErrorKind::Data,
                           "run " + runId.toStdString() + " has no program yet (it is running or failed early)");
    return writeFileAtomically(path, QByteArray::fromStdString(text.value()));
}

prism::Result<void> exportPromptMessages(const prism::Study &study, const prism::Program &program, const QString &path)
{
    auto adapter = prism::makeAdapter(study.eval.adapter);
    return writeFileAtomically(path, QByteArray::fromStdString(prism::renderPromptMessagesJson(program, {}, *adapter)));
}

prism::Result<void> exportPromptText(const prism::Study &study, const prism::Program &program, const QString &path)
{
    auto adapter = prism::makeAdapter(study.eval.adapter);
    return writeFileAtomically(path, QByteArray::fromStdString(prism::renderPromptText(program, {}, *adapter)));
}

prism::Result<void> exportTrialsCsv(prism::RunStore &store, const QString &runId, const QString &path)
{
    const std::string id = runId.toStdString();
    auto run = store.loadRun(id);
    if (!run)
        return runError(run.error(), runId, "loading");
    auto trials = store.trials(id);
    if (!trials)
        return runError(trials.error(), runId, "trials");
    auto candidates = store.candidates(id);
    if (!candidates)
        return runError(candidates.error(), runId, "candidates");
    std::map<std::pair<std::string, int>, std::string> instructionText;
    for (const auto &c : candidates.value())
        instructionText[{c.predictor, c.index}] = c.text;
    const std::vector<std::string> predictors = predictorNames(run.value(), trials.value());

    QStringList header{QStringLiteral("trial"), QStringLiteral("kind")};
    for (const auto &p : predictors)
        header << q(p) + QStringLiteral(".instruction") << q(p) + QStringLiteral(".instruction_text")
               << q(p) + QStringLiteral(".demos");
    header << QStringLiteral("score") << QStringLiteral("scored") << QStringLiteral("errors")
           << QStringLiteral("examples") << QStringLiteral("new_calls") << QStringLiteral("memo_hits")
           << QStringLiteral("state") << QStringLiteral("error");
    QString csv;
    auto addLine = [&csv](const QStringList &fields) {
        QStringList quoted;
        for (const QString &f : fields)
            quoted << csvField(f);
        csv += quoted.join(QLatin1Char(',')) + QStringLiteral("\r\n");
    };
    addLine(header);
    for (const auto &t : trials.value()) {
        QStringList row{QString::number(t.trial), q(t.kind)};
        for (const auto &p : predictors) {
            const prism::ConfigChoice *choice = choiceOf(t.config, p);
            const QString instruction = choice ? QString::number(choice->instruction) : QString();
            QString text;
            if (!instruction.isEmpty()) {
                const auto found = instructionText.find({p, instruction.toInt()});
                if (found != instructionText.end())
                    text = q(found->second);
            }
            row << instruction << text << (choice && choice->demos ? QString::number(*choice->demos) : QString());
        }
        row << (t.score ? number(*t.score) : QString()) << QString::number(t.scored) << QString::number(t.errors)
            << QString::number(t.examples) << QString::number(t.newCalls) << QString::number(t.memoHits) << q(t.state)
            << q(t.error);
        addLine(row);
    }
    return writeFileAtomically(path, csv.toUtf8());
}

prism::Result<void> exportChartPng(const QImage &image, const QString &path)
{
    if (image.isNull())
        return Error::make(ErrorKind::Data, "no chart image to save to " + path.toStdString());
    // Encoded in memory first: the image writer does not report a short write.
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG"))
        return Error::make(ErrorKind::Data, "cannot encode the chart as PNG for " + path.toStdString());
    return writeFileAtomically(path, png);
}
