// The HTML run report (exportRunReportHtml in exporters.h): one self-contained
// file a prompt engineer can send to someone who has no Prism. It reads only
// the run store: the run's study snapshot, artifact, events, trials, example
// results and ledger, so a report of an old run says what that run did even
// after the study changed.
#include "export/exporters.h"

#include "compare/comparesummary.h"

#include "adapter/adapter.h"
#include "artifact/program_file.h"
#include "artifact/prompt_export.h"
#include "core/json.h"
#include "run/run_store.h"

#include <QBuffer>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <optional>

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

QString signedPoints(double v)
{
    return (v >= 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', 2);
}

// Fixed-layout tables and wrapping anywhere: a long instruction, a JSON value
// or a URL wraps inside its cell instead of widening the page past the window.
const char *const kStyle =
    "body{font-family:sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1f2d44;line-height:1.35}"
    "h1{font-size:1.6em;margin-bottom:0.2em}.sub{color:#5b6b82;margin-top:0}"
    "section{margin:1.5em 0}"
    "table{border-collapse:collapse;margin:0.5em 0 1em;width:100%;table-layout:fixed}"
    "th,td{border:1px solid #d5dbe5;padding:0.25em 0.6em;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere;word-break:break-word}"
    "th{background:#f0f2f6}table.kv th{width:18em;overflow-wrap:anywhere;word-break:normal}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f8fa;border:1px solid #d5dbe5;"
    "padding:0.6em;font-size:0.85em;max-height:40em;overflow-y:auto}"
    "img{max-width:100%;border:1px solid #d5dbe5;margin:0.5em 0}"
    ".good{color:#2e7d32}.bad{color:#b3261e}.muted{color:#5b6b82}";

// widths: one CSS width per column ("" = share the rest), so a narrow number
// column leaves the room to the text columns in a fixed-layout table.
QString htmlTable(const QStringList &headers, const QList<QStringList> &rows, const QString &cls = QString(),
                  const QStringList &widths = {})
{
    QString html = cls.isEmpty() ? QStringLiteral("<table>\n") : QStringLiteral("<table class=\"%1\">\n").arg(cls);
    if (!widths.isEmpty()) {
        html += QStringLiteral("<colgroup>");
        for (const QString &w : widths)
            html += w.isEmpty() ? QStringLiteral("<col>") : QStringLiteral("<col style=\"width:%1\">").arg(w);
        html += QStringLiteral("</colgroup>\n");
    }
    if (!headers.isEmpty()) {
        html += QStringLiteral("<tr>");
        for (const QString &h : headers)
            html += QStringLiteral("<th>%1</th>").arg(esc(h));
        html += QStringLiteral("</tr>\n");
    }
    for (const QStringList &row : rows) {
        html += QStringLiteral("<tr>");
        for (const QString &cell : row)
            html += QStringLiteral("<td>%1</td>").arg(esc(cell));
        html += QStringLiteral("</tr>\n");
    }
    return html + QStringLiteral("</table>\n");
}

// Rows of "setting | value", the setting in a header cell.
QString keyValueTable(const QList<QStringList> &rows)
{
    QString html = QStringLiteral("<table class=\"kv\">\n");
    for (const QStringList &row : rows)
        html += QStringLiteral("<tr><th>%1</th><td>%2</td></tr>\n").arg(esc(row.value(0)), esc(row.value(1)));
    return html + QStringLiteral("</table>\n");
}

QString section(const char *id, const QString &title, const QString &body)
{
    return QStringLiteral("<section id=\"%1\">\n<h2>%2</h2>\n%3</section>\n").arg(QLatin1String(id), esc(title), body);
}

// A JSON value as a reader would write it: strings unquoted, lists joined
// with commas, anything nested as compact JSON.
QString plainValue(const prism::Json &value)
{
    if (value.is_string())
        return q(value.get<std::string>());
    if (value.is_array()) {
        QStringList items;
        for (const auto &item : value)
            items << (item.is_structured() ? q(item.dump()) : plainValue(item));
        return items.join(QStringLiteral(", "));
    }
    if (value.is_null())
        return QStringLiteral("none");
    return q(value.dump());
}

// A settings object flattened into "a.b: value" rows, so a nested block (the
// optimizer's "settings") reads as rows instead of one long JSON line.
void flattenInto(const prism::Json &json, const QString &prefix, QList<QStringList> &rows)
{
    for (const auto &[key, value] : json.items()) {
        // The optimizer's knobs sit under "settings": listed without the prefix.
        const QString name = prefix.isEmpty() ? q(key) : prefix + QLatin1Char('.') + q(key);
        if (prefix.isEmpty() && key == "settings" && value.is_object()) {
            flattenInto(value, QString(), rows);
            continue;
        }
        if (value.is_object() && !value.empty())
            flattenInto(value, name, rows);
        else
            rows.append({name, plainValue(value)});
    }
}

QList<QStringList> flattenedSettings(const std::string &text)
{
    QList<QStringList> rows;
    auto json = prism::parseJson(text, "settings");
    if (json && json->is_object())
        flattenInto(json.value(), QString(), rows);
    return rows;
}

// "val" is the validation split; "train_holdout" the part of train an
// optimizer held out because the study had no validation split; "train" the
// training split itself (random search without a validation split).
QString splitTitle(const std::string &split)
{
    if (split == "val")
        return QStringLiteral("validation");
    if (split == "train_holdout")
        return QStringLiteral("held-out part of train (no validation split)");
    if (split == "train")
        return QStringLiteral("train (no validation split)");
    return q(split);
}

// Everything the report reads beside the run record; a part the run does not
// have (no artifact yet, a study snapshot that no longer parses) stays empty
// and its section says so.
struct ReportInputs {
    prism::RunRecord run;
    std::vector<prism::TrialRecord> trials;
    prism::LedgerSummary ledger;
    std::optional<prism::Study> study;
    std::optional<prism::LoadedArtifact> artifact;
    std::string artifactProblem;
    std::optional<prism::RunStartedEvent> started;
    std::string bestConfigKey;
    std::vector<prism::ExampleResultRecord> bestExamples;
};

prism::Result<ReportInputs> readInputs(prism::RunStore &store, const std::string &id)
{
    auto fail = [&id](const Error &error, const char *what) {
        return Error::make(error.kind, "run " + id + ": " + what + ": " + error.message);
    };
    ReportInputs in;
    auto run = store.loadRun(id);
    if (!run)
        return fail(run.error(), "loading");
    in.run = std::move(run.value());
    auto trials = store.trials(id);
    if (!trials)
        return fail(trials.error(), "trials");
    in.trials = std::move(trials.value());
    auto ledger = store.ledgerTotals(id);
    if (!ledger)
        return fail(ledger.error(), "ledger");
    in.ledger = std::move(ledger.value());
    auto events = store.events(id);
    if (!events)
        return fail(events.error(), "events");
    for (const prism::RunEvent &e : events.value()) {
        if (const auto *started = std::get_if<prism::RunStartedEvent>(&e.payload))
            in.started = *started;
        else if (const auto *best = std::get_if<prism::BestUpdatedEvent>(&e.payload))
            in.bestConfigKey = best->configKey;
    }
    if (auto study = prism::studyFromJsonText(in.run.studyJson, "the study snapshot of run " + id))
        in.study = std::move(study.value());
    auto artifact = store.artifact(id);
    if (!artifact)
        return fail(artifact.error(), "artifact");
    if (artifact->empty())
        in.artifactProblem = "The run has no program yet (it is running, or it stopped before it had one).";
    else if (in.study) {
        auto loaded = prism::loadProgramText(artifact.value(), "the artifact of run " + id, in.study->program);
        if (loaded)
            in.artifact = std::move(loaded.value());
        else
            in.artifactProblem = loaded.error().message;
    }
    if (!in.bestConfigKey.empty()) {
        auto examples = store.exampleResults(id, in.bestConfigKey);
        if (!examples)
            return fail(examples.error(), "example results");
        in.bestExamples = std::move(examples.value());
    }
    return in;
}

QString headerBlock(const ReportInputs &in)
{
    const prism::RunRecord &r = in.run;
    QString html = QStringLiteral("<h1>%1</h1>\n").arg(esc(q(r.studyName)));
    html += QStringLiteral("<p class=\"sub\">%1 run %2 · %3 · %4</p>\n")
                .arg(esc(q(r.optimizer)), esc(q(r.id)), esc(q(prism::runStatusName(r.status))),
                     esc(q(r.finishedAt.empty() ? r.createdAt : r.finishedAt)));
    if (in.study && !in.study->description.empty())
        html += QStringLiteral("<p>%1</p>\n").arg(esc(q(in.study->description)));
    return html;
}

QString summarySection(const ReportInputs &in)
{
    const prism::RunRecord &r = in.run;
    return section("summary", QStringLiteral("Run"),
                   keyValueTable({{QStringLiteral("Study"), q(r.studyName)},
                                  {QStringLiteral("Study file"), q(r.studyPath)},
                                  {QStringLiteral("Run"), q(r.id)},
                                  {QStringLiteral("Optimizer"), q(r.optimizer)},
                                  {QStringLiteral("Seed"), QString::number(r.seed)},
                                  {QStringLiteral("Status"), q(prism::runStatusName(r.status))},
                                  {QStringLiteral("Stop reason"), q(r.stopReason.text())},
                                  {QStringLiteral("Created"), q(r.createdAt)},
                                  {QStringLiteral("Finished"), q(r.finishedAt)},
                                  {QStringLiteral("Sessions"), QString::number(r.sessions)}}));
}

QString modelsSection(const ReportInputs &in)
{
    QList<QStringList> rows;
    auto add = [&rows](const char *role, const std::string &provider, const std::string &model,
                       const std::string &baseUrl) {
        rows.append({QLatin1String(role), q(provider), q(model),
                     baseUrl.empty() ? QStringLiteral("the provider's default") : q(baseUrl)});
    };
    if (in.started) {
        add("task", in.started->taskModel.provider, in.started->taskModel.model, in.started->taskModel.baseUrl);
        add("proposer", in.started->proposerModel.provider, in.started->proposerModel.model,
            in.started->proposerModel.baseUrl);
    } else if (in.artifact && in.artifact->info) {
        const auto &info = *in.artifact->info;
        add("task", info.taskModel.provider, info.taskModel.model, info.taskModel.baseUrl);
        add("proposer", info.proposerModel.provider, info.proposerModel.model, info.proposerModel.baseUrl);
    }
    if (rows.isEmpty())
        return section("models", QStringLiteral("Models"),
                       QStringLiteral("<p class=\"muted\">The run recorded no models.</p>\n"));
    return section("models", QStringLiteral("Models"),
                   htmlTable({QStringLiteral("Role"), QStringLiteral("Provider"), QStringLiteral("Model"),
                              QStringLiteral("Endpoint")},
                             rows));
}

// Scores by split from the artifact's record, naming the split the optimizer
// really selected on; the run record's two scores when there is no artifact.
QString scoresSection(const ReportInputs &in)
{
    QList<QStringList> rows;
    auto row = [](const QString &split, std::optional<double> base, std::optional<double> best) {
        const QString change = base && best ? signedPoints(*best - *base) + QStringLiteral(" points") : QString();
        return QStringList{split, percent(base), percent(best), change};
    };
    if (in.artifact && in.artifact->info && !in.artifact->info->splitScores.empty()) {
        for (const auto &[split, scores] : in.artifact->info->splitScores)
            rows.append(row(splitTitle(split), scores.baseline, scores.optimized));
    } else {
        rows.append(row(QStringLiteral("selection split"), in.run.baselineScore, in.run.bestScore));
    }
    return section("scores", QStringLiteral("Scores"),
                   htmlTable({QStringLiteral("Split"), QStringLiteral("Baseline"), QStringLiteral("Optimized"),
                              QStringLiteral("Change")},
                             rows));
}

QString promptsSection(const ReportInputs &in)
{
    QString body;
    if (!in.study) {
        body = QStringLiteral("<p class=\"muted\">The run's study snapshot could not be read, so its prompts cannot be "
                              "shown.</p>\n");
        return section("prompts", QStringLiteral("Prompts"), body);
    }
    auto adapter = prism::makeAdapter(in.study->eval.adapter);
    auto prompt = [&adapter](const prism::Program &program) {
        return QStringLiteral("<pre>%1</pre>\n").arg(esc(q(prism::renderPromptText(program, {}, *adapter))));
    };
    body += QStringLiteral("<p class=\"muted\">As the %1 adapter renders them, with the inputs as {field} "
                           "placeholders and the demos as the turns before the input.</p>\n")
                .arg(esc(q(prism::adapterKindName(in.study->eval.adapter))));
    body += QStringLiteral("<h3>Baseline</h3>\n") + prompt(in.study->program);
    body += QStringLiteral("<h3>Optimized</h3>\n");
    if (in.artifact)
        body += prompt(in.artifact->program);
    else
        body += QStringLiteral("<p class=\"muted\">%1</p>\n").arg(esc(q(in.artifactProblem)));
    return section("prompts", QStringLiteral("Prompts"), body);
}

QString settingsSection(const ReportInputs &in)
{
    QList<QStringList> rows = flattenedSettings(in.run.optimizerConfigJson);
    if (rows.isEmpty())
        return section("settings", QStringLiteral("Optimizer settings"),
                       QStringLiteral("<p class=\"muted\">None recorded.</p>\n"));
    return section("settings", QStringLiteral("Optimizer settings"), keyValueTable(rows));
}

// One example's stored prediction as "field: value" lines, then its feedback.
QPair<QString, QString> predictionCells(const std::string &predictionJson)
{
    auto json = prism::parseJson(predictionJson, "prediction");
    if (!json || !json->is_object())
        return {q(predictionJson), QString()};
    QStringList lines;
    if (auto values = json->find("values"); values != json->end() && values->is_object())
        for (const auto &[field, value] : values->items())
            lines << q(field) + QStringLiteral(": ") + plainValue(value);
    QString feedback;
    if (auto f = json->find("feedback"); f != json->end() && f->is_string())
        feedback = q(f->get<std::string>());
    return {lines.join(QLatin1Char('\n')), feedback};
}

QString examplesSection(const ReportInputs &in)
{
    if (in.bestExamples.empty())
        return section("examples", QStringLiteral("Per-example results"),
                       QStringLiteral("<p class=\"muted\">The run recorded no per-example results for its best "
                                      "program.</p>\n"));
    QList<QStringList> rows;
    int passed = 0;
    for (const prism::ExampleResultRecord &e : in.bestExamples) {
        const auto [prediction, feedback] = predictionCells(e.predictionJson);
        passed += e.score && *e.score >= 1.0 ? 1 : 0;
        rows.append({QString::number(e.exampleIndex),
                     e.score ? QString::number(*e.score, 'f', 2) : QStringLiteral("error"), prediction,
                     feedback.isEmpty() ? q(e.error) : feedback});
    }
    QString body = QStringLiteral("<p>The best program (config %1): %2 of %3 examples scored in full.</p>\n")
                       .arg(esc(q(in.bestConfigKey)))
                       .arg(passed)
                       .arg(in.bestExamples.size());
    body += htmlTable(
        {QStringLiteral("Example"), QStringLiteral("Score"), QStringLiteral("Prediction"), QStringLiteral("Feedback")},
        rows, QStringLiteral("examples"), {QStringLiteral("6em"), QStringLiteral("5em"), QString(), QString()});
    return section("examples", QStringLiteral("Per-example results"), body);
}

QString ledgerSection(const prism::LedgerSummary &ledger)
{
    QList<QStringList> rows;
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
        rows.append(ledgerRow(q(role), totals));
    rows.append(ledgerRow(QStringLiteral("total"), ledger.total));
    return section("ledger", QStringLiteral("Model calls by role"),
                   htmlTable({QStringLiteral("Role"), QStringLiteral("Calls"), QStringLiteral("Cache hits"),
                              QStringLiteral("Errors"), QStringLiteral("Prompt tokens"),
                              QStringLiteral("Completion tokens"), QStringLiteral("Dollars")},
                             rows));
}

QString notesSection(const prism::RunRecord &r)
{
    if (!r.summary || r.summary->notes.empty())
        return {};
    QString html = QStringLiteral("<ul>\n");
    for (const std::string &n : r.summary->notes)
        html += QStringLiteral("<li>%1</li>\n").arg(esc(q(n)));
    return section("notes", QStringLiteral("Notes"), html + QStringLiteral("</ul>\n"));
}

// The charts as embedded PNG images; empty without charts. An image that does
// not encode is an error naming the chart and the report's path.
prism::Result<QString> chartsSection(const QList<QPair<QString, QImage>> &charts, const QString &path)
{
    if (charts.isEmpty())
        return QString();
    QString html;
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
    return section("charts", QStringLiteral("Charts"), html);
}

QString comparisonSection(const CompareSummary &c)
{
    QString html = keyValueTable(
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
        html += QStringLiteral("<h3>Examples that changed</h3>\n");
        html += htmlTable(
            {QStringLiteral("#"), QStringLiteral("Change"), QStringLiteral("Inputs"), QStringLiteral("Expected"),
             QStringLiteral("Prediction A"), QStringLiteral("Prediction B")},
            flipRows, QString(),
            {QStringLiteral("3em"), QStringLiteral("7em"), QStringLiteral("34%"), QString(), QString(), QString()});
    }
    return section("comparison", QStringLiteral("Comparison on the %1 split").arg(c.split), html);
}

QString trialsSection(const std::vector<prism::TrialRecord> &trials)
{
    QList<QStringList> rows;
    for (const auto &t : trials)
        rows.append({QString::number(t.trial), q(t.kind), q(t.configJson), percent(t.score),
                     QStringLiteral("%1 / %2").arg(t.scored).arg(t.examples), QString::number(t.errors),
                     QString::number(t.newCalls), QString::number(t.memoHits), q(t.state), q(t.error)});
    return section(
        "trials", QStringLiteral("Trials"),
        htmlTable({QStringLiteral("Trial"), QStringLiteral("Kind"), QStringLiteral("Config"), QStringLiteral("Score"),
                   QStringLiteral("Scored"), QStringLiteral("Errors"), QStringLiteral("New calls"),
                   QStringLiteral("Memo hits"), QStringLiteral("State"), QStringLiteral("Error")},
                  rows, QString(),
                  {QStringLiteral("4em"), QStringLiteral("6em"), QStringLiteral("30%"), QString(), QString(), QString(),
                   QString(), QString(), QString(), QString()}));
}

} // namespace

QStringList runReportSectionIds()
{
    return {QStringLiteral("summary"),  QStringLiteral("models"),   QStringLiteral("scores"), QStringLiteral("prompts"),
            QStringLiteral("settings"), QStringLiteral("examples"), QStringLiteral("trials"), QStringLiteral("ledger")};
}

prism::Result<void> exportRunReportHtml(prism::RunStore &store, const QString &runId,
                                        const QList<QPair<QString, QImage>> &charts, const CompareSummary *comparison,
                                        const QString &path)
{
    auto inputs = readInputs(store, runId.toStdString());
    if (!inputs)
        return inputs.error();
    auto chartsHtml = chartsSection(charts, path);
    if (!chartsHtml)
        return chartsHtml.error();
    const ReportInputs &in = inputs.value();

    QString html =
        QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width\">\n<title>%1</title>\n"
                       "<style>%2</style>\n</head><body>\n")
            .arg(esc(QStringLiteral("%1: Prism run %2").arg(q(in.run.studyName), runId)), QLatin1String(kStyle));
    html += headerBlock(in);
    html += summarySection(in);
    html += modelsSection(in);
    html += scoresSection(in);
    if (comparison)
        html += comparisonSection(*comparison);
    html += chartsHtml.value();
    html += promptsSection(in);
    html += settingsSection(in);
    html += examplesSection(in);
    html += trialsSection(in.trials);
    html += ledgerSection(in.ledger);
    html += notesSection(in.run);
    html += QStringLiteral("<p class=\"muted\">Written by Prism %1.</p>\n</body></html>\n")
                .arg(QLatin1String(prism::prismAppVersion()));
    return writeFileAtomically(path, html.toUtf8());
}
