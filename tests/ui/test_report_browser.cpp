// Issue 14: "a report worth sharing ... checked in a real browser". A real
// run's report (chart, comparison with flips, prompts, per-example results)
// is opened in headless Chromium at 1024 px: every section is visible, no
// horizontal scrolling, every image loaded. Skips without chromium unless
// PRISM_REQUIRE_CHROMIUM=1. With PRISM_SCREENSHOT_DIR set, it also saves a
// screenshot of the report (docs/screenshots/14-report.png).
#include "compare/comparesummary.h"
#include "compare/comparisonjob.h"
#include "compare/programsource.h"
#include "export/exporters.h"
#include "pages/monitorpage.h"
#include "runfixture.h"
#include "studydocument.h"

#include "charts/trialchart.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

namespace {

// Appended to a copy of the report: measures what a reader would see and
// writes one line into #prism-check, which --dump-dom prints.
const char *const kChecker = R"JS(
<script>
window.addEventListener('load', function () {
  var problems = [];
  var ids = IDS;
  ids.forEach(function (id) {
    var s = document.getElementById(id);
    if (!s) { problems.push('missing section ' + id); return; }
    var r = s.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) problems.push('section ' + id + ' not visible');
    if (r.right > window.innerWidth + 1) problems.push('section ' + id + ' wider than the window');
  });
  var doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    problems.push('horizontal overflow: ' + doc.scrollWidth + ' > ' + window.innerWidth);
  var cells = document.querySelectorAll('td, th, pre');
  for (var i = 0; i < cells.length; ++i)
    if (cells[i].scrollWidth > cells[i].clientWidth + 1) { problems.push('clipped cell: ' + cells[i].textContent.slice(0, 40)); break; }
  var images = document.images;
  for (var j = 0; j < images.length; ++j)
    if (!images[j].complete || images[j].naturalWidth === 0) problems.push('image not loaded: ' + images[j].alt);
  var out = document.createElement('div');
  out.id = 'prism-check';
  out.textContent = 'CHECK ' + window.innerWidth + ' ' + images.length + ' ' + (problems.length ? problems.join('; ') : 'OK') + ' END';
  document.body.appendChild(out);
});
</script>
)JS";

QString chromium()
{
    for (const char *name : {"chromium", "chromium-browser", "google-chrome"}) {
        const QString path = QStandardPaths::findExecutable(QLatin1String(name));
        if (!path.isEmpty())
            return path;
    }
    return {};
}

QStringList chromiumArgs(const QString &profile)
{
    return {QStringLiteral("--headless"),
            QStringLiteral("--no-sandbox"), // CI runs as root
            QStringLiteral("--disable-gpu"),
            QStringLiteral("--no-first-run"),
            QStringLiteral("--user-data-dir=") + profile,
            QStringLiteral("--window-size=1024,900"),
            QStringLiteral("--virtual-time-budget=5000")};
}

} // namespace

class TestReportBrowser final : public QObject {
    Q_OBJECT

private slots:
    void theReportReadsWellInABrowser()
    {
        const QString browser = chromium();
        if (browser.isEmpty()) {
            if (qEnvironmentVariableIntValue("PRISM_REQUIRE_CHROMIUM") == 1)
                QFAIL("chromium is not installed and PRISM_REQUIRE_CHROMIUM=1");
            QSKIP("chromium is not installed (apt-get install chromium)");
        }
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto store = prism::RunStore::open(dir.filePath(QStringLiteral("runs.sqlite")).toStdString());
        QVERIFY(store);
        QString error;
        const std::string runId = uitest::runTinyOptimization(store.value(), "miprov2", &error);
        QVERIFY2(!runId.empty(), qPrintable(error));
        const QString id = QString::fromStdString(runId);

        // The chart as the Monitor draws it.
        MonitorPage monitor;
        monitor.setStore(store.value());
        QVERIFY2(monitor.loadRun(id, &error), qPrintable(error));
        const QImage chart = monitor.trialChart()->renderImage(QSize(900, 420));
        QVERIFY(!chart.isNull());

        // A real comparison of the baseline with the run on the test split.
        StudyDocument doc;
        QVERIFY2(doc.open(QStringLiteral(PRISM_SAMPLES_DIR "/math/math.prism.json"), &error), qPrintable(error));
        auto optimized = loadRunProgram(*store.value(), id, doc.study().program);
        QVERIFY(optimized);
        ComparisonJob job(doc.study(), doc.examples(Split::Test), doc.study().program, optimized.value());
        auto outcome = job.run();
        QVERIFY2(outcome, outcome ? "" : outcome.error().message.c_str());
        const CompareSummary summary = summarizeComparison(outcome.value(), QStringLiteral("Baseline"),
                                                           QStringLiteral("Run ") + id, QStringLiteral("test"));

        const QString report = dir.filePath(QStringLiteral("report.html"));
        auto written =
            exportRunReportHtml(*store.value(), id, {{QStringLiteral("Trial scores"), chart}}, &summary, report);
        QVERIFY2(written, written ? "" : written.error().message.c_str());

        // The checker needs the optional sections this report has too.
        QStringList ids = runReportSectionIds();
        ids << QStringLiteral("comparison") << QStringLiteral("charts");
        QFile in(report);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QString html = QString::fromUtf8(in.readAll());
        QString checker = QString::fromLatin1(kChecker);
        checker.replace(QStringLiteral("IDS"),
                        QStringLiteral("['") + ids.join(QStringLiteral("','")) + QStringLiteral("']"));
        html.replace(QStringLiteral("</body>"), checker + QStringLiteral("</body>"));
        const QString checked = dir.filePath(QStringLiteral("checked.html"));
        QFile out(checked);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(html.toUtf8());
        out.close();

        QProcess process;
        QStringList args = chromiumArgs(dir.filePath(QStringLiteral("profile")));
        args << QStringLiteral("--dump-dom") << QUrl::fromLocalFile(checked).toString();
        process.start(browser, args);
        QVERIFY(process.waitForFinished(120000));
        const QString dom = QString::fromUtf8(process.readAllStandardOutput());
        const QRegularExpression line(QStringLiteral("CHECK (\\d+) (\\d+) (.*) END"));
        const auto match = line.match(dom);
        QVERIFY2(match.hasMatch(), qPrintable(QStringLiteral("no check result; chromium said: ")
                                              + QString::fromUtf8(process.readAllStandardError()).left(2000)));
        QCOMPARE(match.captured(1).toInt(), 1024);
        QCOMPARE(match.captured(2).toInt(), 1); // the chart
        QCOMPARE(match.captured(3), QStringLiteral("OK"));

        const QString shots = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            QProcess shot;
            QStringList shotArgs = chromiumArgs(dir.filePath(QStringLiteral("profile-shot")));
            shotArgs.replace(shotArgs.indexOf(QStringLiteral("--window-size=1024,900")),
                             QStringLiteral("--window-size=1024,2400"));
            shotArgs << QStringLiteral("--hide-scrollbars")
                     << QStringLiteral("--screenshot=") + QDir(shots).filePath(QStringLiteral("14-report.png"))
                     << QUrl::fromLocalFile(report).toString();
            shot.start(browser, shotArgs);
            QVERIFY(shot.waitForFinished(120000));
            QVERIFY(QFile::exists(QDir(shots).filePath(QStringLiteral("14-report.png"))));
        }
    }
};

QTEST_MAIN(TestReportBrowser)
#include "test_report_browser.moc"
