#include "export/exporters.h"

#include "compare/comparesummary.h"

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

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QString percent(const std::optional<double> &value)
{
    return value ? QString::number(*value, 'f', 2) + QLatin1Char('%') : QStringLiteral("—");
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

QString htmlTable(const QStringList &headers, const QList<QStringList> &rows)
{
    QString html = QStringLiteral("<table>\n<tr>");
    for (const QString &h : headers)
        html += QStringLiteral("<th>%1</th>").arg(esc(h));
    html += QStringLiteral("</tr>\n");
    for (const QStringList &row : rows) {
        html += QStringLiteral("<tr>");
        for (const QString &cell : row)
            html += QStringLiteral("<td>%1</td>").arg(esc(cell));
        html += QStringLiteral("</tr>\n");
    }
    return html + QStringLiteral("</table>\n");
}

// The pairs of a JSON object as "key: value" rows (values as compact JSON).
QList<QStringList> jsonRows(const std::string &text)
{
    QList<QStringList> rows;
    auto json = prism::parseJson(text, "settings");
    if (!json || !json->is_object())
        return rows;
    for (const auto &[key, value] : json->items())
        rows.append({q(key), value.is_string() ? q(value.get<std::string>()) : q(value.dump())});
    return rows;
}

QString signedPoints(double v)
{
    return (v >= 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', 2);
}

// The report's sections, in the order exportRunReportHtml writes them.

QString reportHead(const QString &runId)
{
    return QStringLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>%1</title>\n"
                          "<style>body{font-family:sans-serif;margin:2em;color:#1f2d44}table{border-collapse:collapse;"
                          "margin:0.5em 0 1.5em}"
                          "th,td{border:1px solid #d5dbe5;padding:0.25em "
                          "0.6em;text-align:left;vertical-align:top}th{background:#f0f2f6}"
                          "img{max-width:100%;border:1px solid #d5dbe5;margin:0.5em "
                          "0}.good{color:#2e7d32}.bad{color:#b3261e}</style>\n"
                          "</head><body>\n")
        .arg(esc(QStringLiteral("Prism run %1").arg(runId)));
}

QString runSection(const QString &runId, const prism::RunRecord &r)
{
    QString html = QStringLiteral("<h1>Run %1</h1>\n").arg(esc(runId));
    html += QStringLiteral("<h2>Run</h2>\n");
    html += htmlTable({QStringLiteral("Setting"), QStringLiteral("Value")},
                      {{QStringLiteral("Study"), q(r.studyName)},
                       {QStringLiteral("Study file"), q(r.studyPath)},
                       {QStringLiteral("Created"), q(r.createdAt)},
                       {QStringLiteral("Finished"), q(r.finishedAt)},
                       {QStringLiteral("Optimizer"), q(r.optimizer)},
                       {QStringLiteral("Seed"), QString::number(r.seed)},
                       {QStringLiteral("Status"), q(prism::runStatusName(r.status))},
                       {QStringLiteral("Stop reason"), q(r.stopReason.text())},
                       {QStringLiteral("Sessions"), QString::number(r.sessions)},
                       {QStringLiteral("Baseline score (validation)"), percent(r.baselineScore)},
                       {QStringLiteral("Best score (validation)"), percent(r.bestScore)}});
    return html;
}

// The run summary's notes as a list; empty when it has none.
QString notesSection(const prism::RunRecord &r)
{
    QStringList notes;
    if (r.summary)
        for (const std::string &n : r.summary->notes)
            notes << q(n);
    if (notes.isEmpty())
        return {};
    QString html = QStringLiteral("<h2>Notes</h2>\n<ul>\n");
    for (const QString &n : notes)
        html += QStringLiteral("<li>%1</li>\n").arg(esc(n));
    return html + QStringLiteral("</ul>\n");
}

QString ledgerSection(const prism::LedgerSummary &ledger)
{
    QString html = QStringLiteral("<h2>Model calls by role</h2>\n");
    QList<QStringList> ledgerRows;
    auto ledgerRow = [](const QString &role, const prism::LedgerTotals &t) {
        return QStringList{role,
                           QString::number(t.calls),
                           QString::number(t.cacheHits),
                           QString::number(t.errors),
                           t.promptTokensUnknown ? QStringLiteral("unknown") : QString::number(t.promptTokens),
                           t.completionTokensUnknown ? QStringLiteral("unknown") : QString::number(t.completionTokens),
                           t.dollarsUnknown ? QStringLiteral("unknown")
                                            : QStringLiteral("$%1").arg(t.dollars, 0, 'f', 4)};
    };
    for (const auto &[role, totals] : ledger.byRole)
        ledgerRows.append(ledgerRow(q(role), totals));
    ledgerRows.append(ledgerRow(QStringLiteral("total"), ledger.total));
    html += htmlTable({QStringLiteral("Role"), QStringLiteral("Calls"), QStringLiteral("Cache hits"),
                       QStringLiteral("Errors"), QStringLiteral("Prompt tokens"), QStringLiteral("Completion tokens"),
                       QStringLiteral("Dollars")},
                      ledgerRows);
    return html;
}

// The charts as embedded PNG images; empty without charts. An image that does
// not encode is an error naming the chart and the report's path.
prism::Result<QString> chartsSection(const QList<QPair<QString, QImage>> &charts, const QString &path)
{
    if (charts.isEmpty())
        return QString();
    QString html = QStringLiteral("<h2>Charts</h2>\n");
    for (const auto &[title, image] : charts) {
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        if (image.isNull() || !image.save(&buffer, "PNG"))
            return Error::make(ErrorKind::Data, "chart '" + title.toStdString() + "' could not be encoded as PNG for "
                                                    + path.toStdString());
        html += QStringLiteral("<h3>%1</h3>\n<img alt=\"%1\" src=\"data:image/png;base64,%2\">\n")
                    .arg(esc(title), QString::fromLatin1(png.toBase64()));
    }
    return html;
}

QString comparisonSection(const CompareSummary &c)
{
    QString html = QStringLiteral("<h2>Comparison on the %1 split</h2>\n").arg(esc(c.split));
    html += htmlTable(
        {QStringLiteral(""), QStringLiteral("Value")},
        {{QStringLiteral("A"), c.labelA},
         {QStringLiteral("B"), c.labelB},
         {QStringLiteral("Score A"), QString::number(c.scoreA, 'f', 2) + QLatin1Char('%')},
         {QStringLiteral("Score B"), QString::number(c.scoreB, 'f', 2) + QLatin1Char('%')},
         {QStringLiteral("Difference (B − A)"), QStringLiteral("%1 points, %2% paired bootstrap interval [%3, %4]")
                                                    .arg(signedPoints(c.difference))
                                                    .arg(c.confidence * 100.0, 0, 'f', 0)
                                                    .arg(signedPoints(c.ciLow), signedPoints(c.ciHigh))},
         {QStringLiteral("Verdict"), c.verdict},
         {QStringLiteral("Examples scored by both"), QString::number(c.paired)},
         {QStringLiteral("Improved / regressed"), QStringLiteral("%1 / %2").arg(c.improved).arg(c.regressed)},
         {QStringLiteral("Errors A / B"), QStringLiteral("%1 / %2").arg(c.errorsA).arg(c.errorsB)}});
    if (!c.flips.isEmpty()) {
        QList<QStringList> flipRows;
        for (const auto &f : c.flips)
            flipRows.append({QString::number(f.index),
                             f.improved ? QStringLiteral("improved") : QStringLiteral("regressed"), f.inputs,
                             f.expected, f.predictionA, f.predictionB});
        html += htmlTable({QStringLiteral("#"), QStringLiteral("Change"), QStringLiteral("Inputs"),
                           QStringLiteral("Expected"), QStringLiteral("Prediction A"), QStringLiteral("Prediction B")},
                          flipRows);
    }
    return html;
}

QString trialsSection(const std::vector<prism::TrialRecord> &trials)
{
    QString html = QStringLiteral("<h2>Trials</h2>\n");
    QList<QStringList> trialRows;
    for (const auto &t : trials)
        trialRows.append({QString::number(t.trial), q(t.kind), q(t.configJson), percent(t.score),
                          QStringLiteral("%1 / %2").arg(t.scored).arg(t.examples), QString::number(t.errors),
                          QString::number(t.newCalls), QString::number(t.memoHits), q(t.state), q(t.error)});
    html +=
        htmlTable({QStringLiteral("Trial"), QStringLiteral("Kind"), QStringLiteral("Config"), QStringLiteral("Score"),
                   QStringLiteral("Scored"), QStringLiteral("Errors"), QStringLiteral("New calls"),
                   QStringLiteral("Memo hits"), QStringLiteral("State"), QStringLiteral("Error")},
                  trialRows);
    return html;
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

prism::Result<void> exportRunReportHtml(prism::RunStore &store, const QString &runId,
                                        const QList<QPair<QString, QImage>> &charts, const CompareSummary *comparison,
                                        const QString &path)
{
    const std::string id = runId.toStdString();
    auto run = store.loadRun(id);
    if (!run)
        return runError(run.error(), runId, "loading");
    auto trials = store.trials(id);
    if (!trials)
        return runError(trials.error(), runId, "trials");
    auto ledger = store.ledgerTotals(id);
    if (!ledger)
        return runError(ledger.error(), runId, "ledger");
    auto chartsHtml = chartsSection(charts, path);
    if (!chartsHtml)
        return chartsHtml.error();
    const prism::RunRecord &r = run.value();

    QString html = reportHead(runId);
    html += runSection(runId, r);
    html += notesSection(r);
    html += QStringLiteral("<h2>Optimizer settings</h2>\n");
    html += htmlTable({QStringLiteral("Knob"), QStringLiteral("Value")}, jsonRows(r.optimizerConfigJson));
    html += ledgerSection(ledger.value());
    html += chartsHtml.value();
    if (comparison)
        html += comparisonSection(*comparison);
    html += trialsSection(trials.value());
    html += QStringLiteral("<p>Written by Prism.</p>\n</body></html>\n");
    return writeFileAtomically(path, html.toUtf8());
}
