// The Export functions: the program file loads back as the run's program,
// the trial CSV has one row per trial with RFC 4180 quoting, the HTML report
// is escaped and embeds its charts, and a write that cannot happen reports
// an error and leaves no file behind.
#include "compare/comparesummary.h"
#include "compare/programsource.h"
#include "export/exporters.h"
#include "runfixture.h"

#include "artifact/artifact.h"
#include "core/json.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <csignal>
#include <map>
#include <sys/resource.h>
#include <unistd.h>

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks.
QList<QStringList> parseCsv(const QString &text)
{
    QList<QStringList> records;
    QStringList record;
    QString field;
    bool quoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < text.size() && text.at(i + 1) == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            record << field;
            field.clear();
        } else if (c == QLatin1Char('\r') && i + 1 < text.size() && text.at(i + 1) == QLatin1Char('\n')) {
            record << field;
            field.clear();
            records << record;
            record.clear();
            ++i;
        } else {
            field += c;
        }
    }
    return records;
}

QImage chartImage(const QColor &color)
{
    QImage image(120, 80, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.fillRect(10, 10, 60, 40, color);
    return image;
}

} // namespace

class TestExporters final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<prism::RunStore> m_store;
    std::string m_runId;
    prism::Study m_study;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto store = prism::RunStore::open(m_dir.filePath(QStringLiteral("runs.sqlite")).toStdString());
        QVERIFY2(store, store ? "" : store.error().message.c_str());
        m_store = store.value();
        QString error;
        m_runId = uitest::runTinyOptimization(m_store, "miprov2", &error);
        QVERIFY2(!m_runId.empty(), qPrintable(error));
        auto study = uitest::mathStudy();
        QVERIFY(study);
        m_study = study.value();
    }

    void programLoadsBackAsTheRunsProgram()
    {
        const QString path = m_dir.filePath(QStringLiteral("program.json"));
        auto written = exportProgramJson(*m_store, QString::fromStdString(m_runId), path);
        QVERIFY2(written, written ? "" : written.error().message.c_str());
        // Byte for byte what the run stored.
        QCOMPARE(readAll(path).toStdString(), m_store->artifact(m_runId).value());
        auto loaded = prism::loadDspyProgramFile(path.toStdString(), m_study.program);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        auto runProgram = loadRunProgram(*m_store, QString::fromStdString(m_runId), m_study.program);
        QVERIFY(runProgram);
        QVERIFY(loaded->program == runProgram.value());
        // The optimizer did something: the run's program is not the study's.
        QVERIFY(!(loaded->program == m_study.program));
        QVERIFY(loaded->info.has_value());
    }

    void aRunWithoutProgramSaysSo()
    {
        const QString path = m_dir.filePath(QStringLiteral("none.json"));
        auto written = exportProgramJson(*m_store, QStringLiteral("r-19990101-0001"), path);
        QVERIFY(!written);
        QVERIFY2(QString::fromStdString(written.error().message).contains(QStringLiteral("r-19990101-0001")),
                 written.error().message.c_str());
        QVERIFY(!QFile::exists(path));
    }

    void trialsCsvHasOneRowPerTrialAndQuotes()
    {
        QCOMPARE(csvField(QStringLiteral("plain")), QStringLiteral("plain"));
        QCOMPARE(csvField(QStringLiteral("a,b")), QStringLiteral("\"a,b\""));
        QCOMPARE(csvField(QStringLiteral("say \"hi\"")), QStringLiteral("\"say \"\"hi\"\"\""));
        QCOMPARE(csvField(QStringLiteral("two\nlines")), QStringLiteral("\"two\nlines\""));

        const QString path = m_dir.filePath(QStringLiteral("trials.csv"));
        auto written = exportTrialsCsv(*m_store, QString::fromStdString(m_runId), path);
        QVERIFY2(written, written ? "" : written.error().message.c_str());
        const QString text = QString::fromUtf8(readAll(path));
        QVERIFY(text.endsWith(QStringLiteral("\r\n")));
        const QList<QStringList> records = parseCsv(text);
        const auto trials = m_store->trials(m_runId).value();
        QVERIFY(trials.size() >= 5); // the baseline and a batch of 4 (a perfect config ends math's search)
        QCOMPARE(records.size(), static_cast<qsizetype>(trials.size()) + 1);
        const QStringList header = records.first();
        QCOMPARE(header.first(), QStringLiteral("trial"));
        QVERIFY(header.contains(QStringLiteral("solve.instruction")));
        QVERIFY(header.contains(QStringLiteral("solve.instruction_text")));
        QVERIFY(header.contains(QStringLiteral("solve.demos")));
        QVERIFY(header.contains(QStringLiteral("new_calls")));
        const int scoreColumn = static_cast<int>(header.indexOf(QStringLiteral("score")));
        const int textColumn = static_cast<int>(header.indexOf(QStringLiteral("solve.instruction_text")));
        std::map<std::pair<std::string, int>, QString> candidates;
        const std::vector<prism::CandidateRecord> stored = m_store->candidates(m_runId).value();
        for (const auto &c : stored)
            candidates[{c.predictor, c.index}] = QString::fromStdString(c.text);
        const int indexColumn = static_cast<int>(header.indexOf(QStringLiteral("solve.instruction")));
        for (int r = 1; r < records.size(); ++r) {
            QCOMPARE(records.at(r).size(), header.size());
            QCOMPARE(records.at(r).first(), QString::number(trials[static_cast<std::size_t>(r - 1)].trial));
            if (trials[static_cast<std::size_t>(r - 1)].score)
                QCOMPARE(records.at(r).at(scoreColumn).toDouble(), *trials[static_cast<std::size_t>(r - 1)].score);
            // Whatever the proposed instruction holds (commas, quotes, line
            // breaks), it reads back as the text the run stored.
            const QString text = candidates[{"solve", records.at(r).at(indexColumn).toInt()}];
            QVERIFY(!text.isEmpty());
            QCOMPARE(records.at(r).at(textColumn), text);
        }
    }

    void htmlReportIsEscapedAndEmbedsTheCharts()
    {
        CompareSummary comparison;
        comparison.labelA = QStringLiteral("<script>alert('A')</script> & co");
        comparison.labelB = QStringLiteral("Run r-1");
        comparison.split = QStringLiteral("test");
        comparison.scoreA = 40;
        comparison.scoreB = 60;
        comparison.difference = 20;
        comparison.ciLow = 5;
        comparison.ciHigh = 35;
        comparison.verdict = QStringLiteral("B is better beyond the noise: the interval excludes 0.");
        CompareSummary::Flip flip;
        flip.index = 3;
        flip.improved = true;
        flip.inputs = QStringLiteral("problem: 2 < 3 & 4 > 1");
        comparison.flips.append(flip);
        const QImage chart = chartImage(QColor(0x3a, 0x6e, 0xc8));
        const QString path = m_dir.filePath(QStringLiteral("report.html"));
        auto written = exportRunReportHtml(*m_store, QString::fromStdString(m_runId),
                                           {{QStringLiteral("Trials <scatter>"), chart}}, &comparison, path);
        QVERIFY2(written, written ? "" : written.error().message.c_str());
        const QString html = QString::fromUtf8(readAll(path));
        QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
        QVERIFY(!html.contains(QStringLiteral("<script>")));
        QVERIFY(html.contains(QStringLiteral("&lt;script&gt;alert(&#x27;A&#x27;)&lt;/script&gt; &amp; co"))
                || html.contains(QStringLiteral("&lt;script&gt;alert('A')&lt;/script&gt; &amp; co")));
        QVERIFY(html.contains(QStringLiteral("problem: 2 &lt; 3 &amp; 4 &gt; 1")));
        QVERIFY(html.contains(QStringLiteral("Trials &lt;scatter&gt;")));
        // The chart is inside the file, not linked.
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        QVERIFY(chart.save(&buffer, "PNG"));
        QVERIFY(html.contains(QStringLiteral("src=\"data:image/png;base64,") + QString::fromLatin1(png.toBase64())
                              + QLatin1Char('"')));
        QVERIFY(!html.contains(QStringLiteral("http://")) && !html.contains(QStringLiteral("https://")));
        // The run's facts are there.
        const auto run = m_store->loadRun(m_runId).value();
        QVERIFY(html.contains(QString::fromStdString(run.stopReason.text()).toHtmlEscaped()));
        const auto ledger = m_store->ledgerTotals(m_runId).value();
        QVERIFY(!ledger.byRole.empty());
        for (const auto &[role, totals] : ledger.byRole)
            QVERIFY2(html.contains(
                         QStringLiteral("<td>%1</td><td>%2</td>").arg(QString::fromStdString(role)).arg(totals.calls)),
                     role.c_str());
        QVERIFY(html.contains(QStringLiteral("B is better beyond the noise")));
    }

    // Issue 14: the report carries what a reader needs without Prism: the
    // models, both prompts in full with the optimized demos, the settings one
    // per row, and the best program's per-example results.
    void reportShowsPromptsModelsSettingsAndExamples()
    {
        const QString path = m_dir.filePath(QStringLiteral("full-report.html"));
        auto written = exportRunReportHtml(*m_store, QString::fromStdString(m_runId), {}, nullptr, path);
        QVERIFY2(written, written ? "" : written.error().message.c_str());
        const QString html = QString::fromUtf8(readAll(path));
        for (const QString &id : runReportSectionIds())
            QVERIFY2(html.contains(QStringLiteral("<section id=\"%1\">").arg(id)), qPrintable(id));

        const auto run = m_store->loadRun(m_runId).value();
        auto study = prism::studyFromJsonText(run.studyJson, "snapshot");
        QVERIFY(study);
        auto optimized = loadRunProgram(*m_store, QString::fromStdString(m_runId), study->program);
        QVERIFY(optimized);
        // The optimized instruction and a demo's value appear in full.
        const prism::Predictor &p = optimized->predictors.front();
        QVERIFY2(html.contains(QString::fromStdString(p.signature.instruction).toHtmlEscaped()),
                 p.signature.instruction.c_str());
        QVERIFY(!p.demos.empty());
        int demoTexts = 0;
        for (const auto &[field, value] : p.demos.front().values)
            if (value.isString()) {
                QVERIFY2(html.contains(QString::fromStdString(value.asString()).toHtmlEscaped()), field.c_str());
                ++demoTexts;
            }
        QVERIFY(demoTexts > 0);
        // Both models by name.
        QVERIFY(html.contains(QStringLiteral("<td>%1</td>").arg(QString::fromStdString(study->taskModel.model))));
        QVERIFY(html.contains(QStringLiteral("<td>%1</td>").arg(QString::fromStdString(study->proposerModel.model))));
        // Settings: one row per knob, none holding a JSON object.
        auto settings = prism::parseJson(run.optimizerConfigJson, "settings");
        QVERIFY(settings && settings->is_object());
        const QString settingsHtml = html.mid(html.indexOf(QStringLiteral("<section id=\"settings\">")));
        QVERIFY(
            !settingsHtml.left(settingsHtml.indexOf(QStringLiteral("</section>"))).contains(QStringLiteral("<td>{")));
        int knobs = 0;
        for (const auto &[key, value] : settings->items()) {
            if (value.is_object()) {
                for (const auto &[sub, subValue] : value.items()) {
                    // The knobs under "settings" are listed by their own names.
                    const QString name = QString::fromStdString(key == "settings" ? sub : key + "." + sub);
                    QVERIFY2(html.contains(QStringLiteral("<th>%1</th>").arg(name)), qPrintable(name));
                    ++knobs;
                }
            } else {
                QVERIFY2(html.contains(QStringLiteral("<th>%1</th>").arg(QString::fromStdString(key))), key.c_str());
                ++knobs;
            }
        }
        QVERIFY(knobs > 3);
        // One row per example the best program was scored on.
        const QString examples = html.mid(html.indexOf(QStringLiteral("<section id=\"examples\">")));
        const QString table = examples.left(examples.indexOf(QStringLiteral("</section>")));
        QVERIFY(table.contains(QStringLiteral("<table class=\"examples\">")));
        QVERIFY(table.count(QStringLiteral("<tr>")) > 1);
        // Long values wrap inside the page instead of widening it.
        QVERIFY(html.contains(QStringLiteral("table-layout:fixed")));
        QVERIFY(html.contains(QStringLiteral("overflow-wrap:anywhere")));
    }

    void promptExportsRenderPlaceholders()
    {
        const QString messages = m_dir.filePath(QStringLiteral("prompt.json"));
        QVERIFY(exportPromptMessages(m_study, m_study.program, messages));
        auto json = prism::parseJson(readAll(messages).toStdString(), "prompt.json");
        QVERIFY(json);
        QVERIFY(json->is_array());
        const QString text = m_dir.filePath(QStringLiteral("prompt.txt"));
        QVERIFY(exportPromptText(m_study, m_study.program, text));
        const QString prompt = QString::fromUtf8(readAll(text));
        QVERIFY(prompt.contains(QStringLiteral("{problem}")));
        QVERIFY(prompt.contains(QStringLiteral("Solve the word problem.")));
    }

    void chartPngRoundTrips()
    {
        const QImage chart = chartImage(Qt::red);
        const QString path = m_dir.filePath(QStringLiteral("chart.png"));
        QVERIFY(exportChartPng(chart, path));
        QImage back(path);
        QCOMPARE(back.size(), chart.size());
        QCOMPARE(back.pixelColor(20, 20), QColor(Qt::red));
        QVERIFY(!exportChartPng(QImage(), path)); // nothing to save is an error, not an empty file
    }

    void aFailedWriteLeavesNoFile()
    {
        // A directory this process cannot write to. Root ignores permission
        // bits, so the size limit below covers a write that fails midway too.
        QTemporaryDir locked;
        QVERIFY(QFile::setPermissions(locked.path(), QFile::ReadOwner | QFile::ExeOwner));
        const QString inLocked = QDir(locked.path()).filePath(QStringLiteral("trials.csv"));
        if (::access(locked.path().toLocal8Bit().constData(), W_OK) != 0) {
            auto written = exportTrialsCsv(*m_store, QString::fromStdString(m_runId), inLocked);
            QVERIFY(!written);
            QVERIFY2(QString::fromStdString(written.error().message).contains(inLocked),
                     written.error().message.c_str());
            QVERIFY(QDir(locked.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden).isEmpty());
        }
        QFile::setPermissions(locked.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

        // The file system refuses the bytes after the first 1 KiB: the report
        // (several KiB) fails part way, and neither it nor a temporary file remains.
        QTemporaryDir target;
        const QString path = QDir(target.path()).filePath(QStringLiteral("report.html"));
        rlimit previous{};
        QCOMPARE(::getrlimit(RLIMIT_FSIZE, &previous), 0);
        auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = previous;
        small.rlim_cur = 1024;
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
        auto written = exportRunReportHtml(*m_store, QString::fromStdString(m_runId),
                                           {{QStringLiteral("chart"), chartImage(Qt::blue)}}, nullptr, path);
        ::setrlimit(RLIMIT_FSIZE, &previous);
        std::signal(SIGXFSZ, previousHandler);
        QVERIFY(!written);
        QVERIFY2(QString::fromStdString(written.error().message).contains(path), written.error().message.c_str());
        QVERIFY(QDir(target.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden).isEmpty());

        // An earlier file at the target survives a failed write unchanged.
        QVERIFY(writeFileAtomically(path, QByteArray("previous")));
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
        previousHandler = std::signal(SIGXFSZ, SIG_IGN);
        written = exportRunReportHtml(*m_store, QString::fromStdString(m_runId), {}, nullptr, path);
        ::setrlimit(RLIMIT_FSIZE, &previous);
        std::signal(SIGXFSZ, previousHandler);
        QVERIFY(!written);
        QCOMPARE(readAll(path), QByteArray("previous"));
        QCOMPARE(QDir(target.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden).size(), 1);
    }
};

QTEST_MAIN(TestExporters)
#include "test_exporters.moc"
