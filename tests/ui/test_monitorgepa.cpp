// The Monitor page on a GEPA run: a real run (moderation on SimLm, 160
// metric calls) fed in batches as the engine bridge delivers them, then
// reopened from the store; hand-made events for a merge. What a user sees:
// the candidate tree with each candidate under its parent, the Pareto grid
// with the per-example best and the frontier marked, the iterations with
// their records, verdict and instruction diff, and the metric calls left.
// Engine headers before Qt's (its emit macro).
#include "recordedrun.h"

#include "charts/trialchart.h"
#include "compare/worddiff.h"
#include "monitorfixture.h"
#include "pages/monitorpage.h"
#include "run/gepaviews.h"
#include "run/runtablemodels.h"
#include "studiostyle.h"

#include <QAbstractItemModel>
#include <QDir>
#include <QLabel>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTreeWidget>

#include <set>

using namespace prism;
using recordedrun::makeEvent;

namespace {

QString shotsDir()
{
    QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
    if (dir.isEmpty())
        dir = QStringLiteral("/tmp/monitor-shots");
    QDir().mkpath(dir);
    return dir;
}

bool saveShot(QWidget *widget, const QString &name)
{
    QCoreApplication::processEvents();
    return widget->grab().save(shotsDir() + QLatin1Char('/') + name);
}

// Every candidate item of the tree (merge links left out), by number.
std::map<int, QTreeWidgetItem *> candidateItems(QTreeWidget *tree)
{
    std::map<int, QTreeWidgetItem *> out;
    std::vector<QTreeWidgetItem *> stack;
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        stack.push_back(tree->topLevelItem(i));
    while (!stack.empty()) {
        QTreeWidgetItem *item = stack.back();
        stack.pop_back();
        if (!item->data(GepaViews::CandidateColumn, GepaViews::kMergeLinkRole).toBool())
            out[item->data(GepaViews::CandidateColumn, GepaViews::kCandidateRole).toInt()] = item;
        for (int i = 0; i < item->childCount(); ++i)
            stack.push_back(item->child(i));
    }
    return out;
}

int numberOf(QTreeWidgetItem *item)
{
    return item ? item->data(GepaViews::CandidateColumn, GepaViews::kCandidateRole).toInt() : -1;
}

bool tabShown(MonitorPage *page, QWidget *tab)
{
    return page->tabs()->isTabVisible(page->tabs()->indexOf(tab));
}

// The character format of the first occurrence of word in the document.
QTextCharFormat formatOf(QTextDocument *doc, const QString &word)
{
    QTextCursor cursor = doc->find(word, 0, QTextDocument::FindWholeWords);
    if (cursor.isNull())
        return {};
    QTextCursor at(doc);
    at.setPosition(cursor.selectionStart() + 1);
    return at.charFormat();
}

// Whether some whole-word occurrence of word is drawn in color.
bool someOccurrenceIn(QTextDocument *doc, const QString &word, const QColor &color)
{
    for (QTextCursor found = doc->find(word, 0, QTextDocument::FindWholeWords); !found.isNull();
         found = doc->find(word, found, QTextDocument::FindWholeWords)) {
        QTextCursor at(doc);
        at.setPosition(found.selectionStart() + 1);
        if (at.charFormat().foreground().color() == color)
            return true;
    }
    return false;
}

} // namespace

class TestMonitorGepa final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    recordedrun::Recording m_rec;

    std::unique_ptr<MonitorPage> makePage() { return uitest::shownMonitor(m_rec.store, QSize(1280, 800)); }

    void feedLive(MonitorPage *page, std::size_t batch)
    {
        page->beginRun(QString::fromStdString(m_rec.runId));
        for (const auto &b : recordedrun::batches(m_rec.events, batch))
            page->applyEvents(b);
        page->finishRun(QString::fromStdString(m_rec.runId), m_rec.outcome.status, m_rec.outcome.stopReason);
    }

    // The tree, the grid and the iterations against the page's RunState.
    void checkViewsMatchState(MonitorPage *page)
    {
        const RunState &state = page->state();
        GepaViews *gepa = page->gepaViews();
        // Tree: every candidate, under its first parent, with its validation score.
        const auto items = candidateItems(gepa->candidateTree());
        QCOMPARE(items.size(), state.gepaCandidates().size());
        for (const auto &c : state.gepaCandidates()) {
            QTreeWidgetItem *item = items.at(c.number);
            if (c.parents.empty())
                QVERIFY(!item->parent());
            else
                QCOMPARE(numberOf(item->parent()), c.parents.front());
            QCOMPARE(item->text(GepaViews::KindColumn), QString::fromStdString(c.kind));
            QCOMPARE(item->text(GepaViews::ParentsColumn), ProposalTableModel::parentsText(c.parents));
            const int trial = c.trial ? state.trialIndex(*c.trial) : -1;
            QVERIFY(trial >= 0);
            QCOMPARE(item->text(GepaViews::ScoreColumn),
                     QString::number(*state.trials()[static_cast<std::size_t>(trial)].score, 'f', 1));
            for (const auto &p : c.mutated)
                QVERIFY(item->text(GepaViews::ChangedColumn).contains(QString::fromStdString(p)));
        }
        // Grid: candidates x validation examples, the best of each column framed.
        const auto scores = state.frontierScores();
        QTableWidget *grid = gepa->frontierTable();
        QCOMPARE(grid->rowCount(), static_cast<int>(scores.size()));
        // The study has no validation split: GEPA scores the half of the trainset it split off.
        QVERIFY(!scores.empty());
        QCOMPARE(grid->columnCount(), static_cast<int>(scores.front().size()));
        QCOMPARE(grid->columnCount(), state.trials().front().examples);
        for (int e = 0; e < grid->columnCount(); ++e) {
            std::optional<double> best;
            for (const auto &row : scores)
                if (row[static_cast<std::size_t>(e)] && (!best || *row[static_cast<std::size_t>(e)] > *best))
                    best = row[static_cast<std::size_t>(e)];
            // A column where every candidate scores the same marks nothing.
            int scored = 0;
            int atBest = 0;
            for (const auto &row : scores) {
                scored += row[static_cast<std::size_t>(e)].has_value() ? 1 : 0;
                atBest += best && row[static_cast<std::size_t>(e)] == best ? 1 : 0;
            }
            for (int r = 0; r < grid->rowCount(); ++r) {
                const auto &s = scores[static_cast<std::size_t>(r)][static_cast<std::size_t>(e)];
                QCOMPARE(grid->item(r, e)->data(GepaViews::kBestRole).toBool(),
                         best.has_value() && s == best && atBest < scored);
            }
        }
        // Frontier: starred rows are the frontier candidates, and each leads somewhere.
        QVERIFY(!gepa->frontierCandidates().empty());
        for (int r = 0; r < grid->rowCount(); ++r) {
            const int number = grid->verticalHeaderItem(r)->data(GepaViews::kCandidateRole).toInt();
            const bool starred = grid->verticalHeaderItem(r)->text().startsWith(QStringLiteral("★"));
            QCOMPARE(starred, gepa->frontierCandidates().count(number) > 0);
            bool leads = false;
            for (int e = 0; e < grid->columnCount(); ++e)
                leads = leads || grid->item(r, e)->data(GepaViews::kBestRole).toBool();
            if (starred)
                QVERIFY(leads);
        }
        // Iterations: one row per proposal.
        QCOMPARE(gepa->iterationsTable()->model()->rowCount(), static_cast<int>(state.proposals().size()));
    }

private slots:
    void initTestCase()
    {
        applyStudioStyle(qApp);
        QVERIFY(m_dir.isValid());
        m_rec = recordedrun::record(m_dir.filePath(QStringLiteral("store")).toStdString(), recordedrun::smallGepa);
        QVERIFY2(m_rec.error.empty(), m_rec.error.c_str());
        QCOMPARE(m_rec.outcome.status, RunStatus::Finished);
        const auto proposals = recordedrun::payloadsOf<CandidateProposedEvent>(m_rec.events);
        // The run this suite reads: accepted and rejected proposals, each with records.
        QVERIFY(proposals.size() >= 3);
        QVERIFY(std::any_of(proposals.begin(), proposals.end(), [](const auto &p) { return p.accepted; }));
        QVERIFY(std::any_of(proposals.begin(), proposals.end(), [](const auto &p) { return !p.accepted; }));
    }

    void cleanupTestCase() { m_rec = {}; }

    void liveBatchesFillTheGepaViews()
    {
        auto page = makePage();
        QVERIFY(QTest::qWaitForWindowExposed(page.get()));
        GepaViews *gepa = page->gepaViews();
        QSignalSpy resets(gepa->iterationsTable()->model(), &QAbstractItemModel::modelReset);
        QSignalSpy inserts(gepa->iterationsTable()->model(), &QAbstractItemModel::rowsInserted);
        page->beginRun(QString::fromStdString(m_rec.runId));
        resets.clear();
        const auto batches = recordedrun::batches(m_rec.events, 3);
        for (std::size_t i = 0; i < batches.size(); ++i) {
            page->applyEvents(batches[i]);
            if (i == batches.size() / 2) {
                page->trialChart()->flush();
                // Mid-run: the budget is read from the last proposal.
                const auto budget = page->state().metricCallBudget();
                QVERIFY(budget);
                QVERIFY(page->progressBar()->format().contains(QStringLiteral("%1 of %2 metric calls · %3 left")
                                                                   .arg(budget->first)
                                                                   .arg(budget->second)
                                                                   .arg(budget->second - budget->first)));
                QVERIFY(saveShot(page.get(), QStringLiteral("monitor-gepa-live.png")));
            }
        }
        page->finishRun(QString::fromStdString(m_rec.runId), m_rec.outcome.status, m_rec.outcome.stopReason);
        // Rows were appended batch by batch, never by resetting the model.
        QCOMPARE(resets.count(), 0);
        QVERIFY(inserts.count() > 1);

        // GEPA's views replace the heatmap and the demo sets.
        QVERIFY(gepa->treePanel()->isVisible());
        QVERIFY(!page->heatmapPanel()->isVisible());
        QVERIFY(tabShown(page.get(), gepa->iterationsPanel()));
        QVERIFY(tabShown(page.get(), gepa->frontierPanel()));
        QVERIFY(!tabShown(page.get(), page->demoSetsTable()->parentWidget()));
        checkViewsMatchState(page.get());
        QVERIFY(page->progressBar()->format().contains(QStringLiteral("metric calls")));
        QVERIFY(page->progressBar()->format().contains(QStringLiteral("left")));
    }

    void selectingAnIterationShowsItsReflection()
    {
        auto page = makePage();
        feedLive(page.get(), 7);
        GepaViews *gepa = page->gepaViews();
        const auto &proposals = page->state().proposals();
        page->tabs()->setCurrentWidget(gepa->iterationsPanel());

        // A rejected one: its verdict and what its reflection read.
        const auto rejected =
            std::find_if(proposals.begin(), proposals.end(), [](const auto &p) { return !p.accepted; });
        QVERIFY(rejected != proposals.end());
        const int rejectedRow = static_cast<int>(rejected - proposals.begin());
        gepa->iterationsTable()->selectRow(rejectedRow);
        QString text = gepa->proposalDetail()->toPlainText().simplified();
        QVERIFY(text.contains(QStringLiteral("Rejected")));
        QVERIFY2(text.contains(QString::fromStdString(rejected->verdict).simplified()), qPrintable(text));
        const auto *model = gepa->iterationsTable()->model();
        QCOMPARE(model->index(rejectedRow, ProposalTableModel::ResultColumn).data().toString(),
                 QStringLiteral("rejected"));
        QCOMPARE(model->index(rejectedRow, ProposalTableModel::MetricCallsColumn).data().toString(),
                 QStringLiteral("%1 / %2").arg(rejected->metricCalls).arg(rejected->maxMetricCalls));

        // An accepted reflection: records, answer, diff, and the candidate selected elsewhere.
        const auto accepted = std::find_if(proposals.begin(), proposals.end(), [](const auto &p) {
            return p.accepted && p.kind == "reflection" && !p.proposals.empty() && !p.proposals[0].records.empty();
        });
        QVERIFY(accepted != proposals.end());
        const int acceptedRow = static_cast<int>(accepted - proposals.begin());
        gepa->iterationsTable()->selectRow(acceptedRow);
        text = gepa->proposalDetail()->toPlainText().simplified();
        QVERIFY(text.contains(QStringLiteral("Accepted as candidate #%1").arg(*accepted->candidate)));
        const PredictorProposal &reflection = accepted->proposals[0];
        for (const auto &record : reflection.records) {
            QVERIFY2(text.contains(QString::fromStdString(record.feedback).simplified().left(40)), qPrintable(text));
            const auto *input = record.inputs.find("snippet");
            QVERIFY(input);
            QVERIFY(text.contains(QString::fromStdString(input->toText()).simplified().left(30)));
        }
        QVERIFY(text.contains(QString::fromStdString(reflection.answer).simplified().left(40)));
        QVERIFY(text.contains(QStringLiteral("Instruction diff from #%1").arg(accepted->parents.front())));
        QCOMPARE(numberOf(gepa->candidateTree()->currentItem()), *accepted->candidate);
        const int gridRow = gepa->frontierTable()->currentRow();
        QVERIFY(gridRow >= 0);
        QCOMPARE(gepa->frontierTable()->verticalHeaderItem(gridRow)->data(GepaViews::kCandidateRole).toInt(),
                 *accepted->candidate);
        // The words the child added are green in the detail.
        const auto *parent = page->state().candidate(reflection.predictor, 0);
        const auto *child = page->state().candidate(reflection.predictor, *reflection.instruction);
        QVERIFY(parent && child);
        QString added;
        for (const auto &piece : diffWords(QString::fromStdString(parent->text), QString::fromStdString(child->text)))
            if (piece.kind == DiffSegment::Kind::Added && added.isEmpty())
                added = piece.text.simplified().section(QLatin1Char(' '), 0, 0);
        if (accepted->parents.front() == 0 && !added.isEmpty())
            QVERIFY(someOccurrenceIn(gepa->proposalDetail()->document(), added, QColor(0x1b, 0x5e, 0x20)));
        QVERIFY(saveShot(page.get(), QStringLiteral("monitor-gepa-iteration.png")));
        // The whole detail, records and answer included, at the width of its pane.
        QTextBrowser whole;
        whole.setHtml(gepa->proposalDetail()->toHtml());
        whole.resize(gepa->proposalDetail()->width(), 1400);
        QVERIFY(saveShot(&whole, QStringLiteral("monitor-gepa-iteration-detail.png")));

        // Selecting the student in the tree selects its grid row and leaves the iteration.
        const auto items = candidateItems(gepa->candidateTree());
        gepa->candidateTree()->setCurrentItem(items.at(0));
        QCOMPARE(gepa->frontierTable()
                     ->verticalHeaderItem(gepa->frontierTable()->currentRow())
                     ->data(GepaViews::kCandidateRole)
                     .toInt(),
                 0);
        page->tabs()->setCurrentWidget(gepa->frontierPanel());
        QVERIFY(saveShot(page.get(), QStringLiteral("monitor-gepa-frontier.png")));
    }

    void reopeningFromHistoryShowsTheSameViews()
    {
        auto live = makePage();
        feedLive(live.get(), 5);
        auto reopened = makePage();
        QString error;
        QVERIFY2(reopened->loadRun(QString::fromStdString(m_rec.runId), &error), qPrintable(error));
        checkViewsMatchState(reopened.get());
        QCOMPARE(reopened->state().proposals(), live->state().proposals());
        QCOMPARE(candidateItems(reopened->gepaViews()->candidateTree()).size(),
                 candidateItems(live->gepaViews()->candidateTree()).size());
        QCOMPARE(reopened->gepaViews()->frontierCandidates(), live->gepaViews()->frontierCandidates());
        for (int row = 0; row < static_cast<int>(live->state().proposals().size()); ++row) {
            live->gepaViews()->showProposal(row);
            reopened->gepaViews()->showProposal(row);
            QCOMPARE(reopened->gepaViews()->proposalDetail()->toPlainText(),
                     live->gepaViews()->proposalDetail()->toPlainText());
        }
        QVERIFY(reopened->progressBar()->format().contains(QStringLiteral("metric calls")));
    }

    // Two reflections of the student, then a merge of both: the merge sits
    // under its first parent and is listed under the second; the grid marks
    // the per-example best and the candidates on the frontier.
    void mergeIsShownWithBothParents()
    {
        MonitorPage page;
        page.resize(1280, 800);
        std::uint64_t seq = 0;
        std::vector<RunEvent> events;
        RunStartedEvent started;
        started.runId = "r-merge";
        started.optimizer = "gepa";
        started.valSize = 3;
        events.push_back(makeEvent(++seq, started));
        const auto full = [&](int trial, std::vector<ConfigChoice> config, std::vector<std::optional<double>> s) {
            auto t = recordedrun::trialFinished(trial, "full", config, "k" + std::to_string(trial), 50.0);
            for (std::size_t e = 0; e < s.size(); ++e)
                t.results.emplace_back(e, s[e]);
            events.push_back(makeEvent(++seq, t));
        };
        const std::vector<ConfigChoice> seed = {{"a", 0, {}}, {"b", 0, {}}};
        full(1, seed, {1.0, 0.0, 0.0});
        const auto proposal = [&](int iteration, std::string kind, std::vector<int> parents, int candidate,
                                  std::vector<ConfigChoice> config, int trial) {
            CandidateProposedEvent p;
            p.iteration = iteration;
            p.kind = std::move(kind);
            p.parents = std::move(parents);
            p.candidate = candidate;
            p.config = std::move(config);
            p.accepted = true;
            p.verdict = "child beats parent";
            p.trial = trial;
            p.metricCalls = 10L * iteration;
            p.maxMetricCalls = 100;
            events.push_back(makeEvent(++seq, p));
        };
        proposal(1, "reflection", {0}, 1, {{"a", 1, {}}, {"b", 0, {}}}, 2);
        full(2, {{"a", 1, {}}, {"b", 0, {}}}, {1.0, 1.0, 0.0});
        proposal(2, "reflection", {0}, 2, {{"a", 0, {}}, {"b", 1, {}}}, 3);
        full(3, {{"a", 0, {}}, {"b", 1, {}}}, {0.0, 0.0, 1.0});
        proposal(3, "merge", {1, 2}, 3, {{"a", 1, {}}, {"b", 1, {}}}, 4);
        full(4, {{"a", 1, {}}, {"b", 1, {}}}, {0.5, 1.0, std::nullopt});
        page.applyEvents(events);

        GepaViews *gepa = page.gepaViews();
        const auto items = candidateItems(gepa->candidateTree());
        QCOMPARE(items.size(), std::size_t(4));
        QCOMPARE(numberOf(items.at(3)->parent()), 1);
        QCOMPARE(items.at(3)->text(GepaViews::ParentsColumn), QStringLiteral("#1 + #2"));
        QCOMPARE(items.at(3)->text(GepaViews::KindColumn), QStringLiteral("merge"));
        // The second parent lists the merge too.
        bool linked = false;
        for (int i = 0; i < items.at(2)->childCount(); ++i)
            linked = linked
                     || (items.at(2)->child(i)->data(0, GepaViews::kMergeLinkRole).toBool()
                         && numberOf(items.at(2)->child(i)) == 3);
        QVERIFY(linked);

        QTableWidget *grid = gepa->frontierTable();
        QCOMPARE(grid->rowCount(), 4);
        QCOMPARE(grid->columnCount(), 3);
        // Example 0: #0 and #1 (1.0); example 1: #1 and #3; example 2: #2.
        const std::vector<std::vector<bool>> best = {
            {true, false, false}, {true, true, false}, {false, false, true}, {false, true, false}};
        for (int r = 0; r < 4; ++r)
            for (int e = 0; e < 3; ++e)
                QCOMPARE(grid->item(r, e)->data(GepaViews::kBestRole).toBool(), best[r][e]);
        QCOMPARE(grid->item(3, 2)->text(), QStringLiteral("–"));
        QCOMPARE(grid->item(3, 0)->text(), QStringLiteral("0.5"));
        // Every trial scored 50%: #0 is dropped first (#1 shares its lead),
        // then #1 keeps example 0 alone; #2 leads example 2; #3 shares example 1 with #1.
        QCOMPARE(gepa->frontierCandidates(), (std::set<int>{1, 2}));
        QVERIFY(grid->verticalHeaderItem(1)->text().startsWith(QStringLiteral("★")));
        QVERIFY(!grid->verticalHeaderItem(0)->text().startsWith(QStringLiteral("★")));

        // The merge's detail: both parents and the instruction it took from #2.
        gepa->showProposal(2);
        const QString text = gepa->proposalDetail()->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("merge of #1 + #2")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("b: instruction 0 → 1, from #2")));
        QVERIFY(page.progressBar()->format().startsWith(QStringLiteral("30 of 100 metric calls · 70 left")));
    }

    void otherOptimizersKeepTheirViews()
    {
        MonitorPage page;
        page.show();
        RunStartedEvent started;
        started.runId = "r-mipro";
        started.optimizer = "miprov2";
        page.applyEvents({makeEvent(1, started)});
        QVERIFY(page.heatmapPanel()->isVisible());
        QVERIFY(!page.gepaViews()->treePanel()->isVisible());
        QVERIFY(!tabShown(&page, page.gepaViews()->iterationsPanel()));
        QVERIFY(!tabShown(&page, page.gepaViews()->frontierPanel()));
        QVERIFY(tabShown(&page, page.demoSetsTable()->parentWidget()));
    }

    void instructionDiffStrikesRemovedAndColoursAddedWords()
    {
        QTextBrowser browser;
        browser.setHtml(GepaViews::instructionDiffHtml("Classify the snippet for moderation.",
                                                       "Classify each snippet for spam moderation."));
        QTextDocument *doc = browser.document();
        QCOMPARE(doc->toPlainText(), QStringLiteral("Classify the each snippet for spam moderation."));
        QVERIFY(formatOf(doc, QStringLiteral("the")).fontStrikeOut());
        QCOMPARE(formatOf(doc, QStringLiteral("the")).foreground().color(), QColor(0x8a, 0x1c, 0x12));
        QVERIFY(!formatOf(doc, QStringLiteral("each")).fontStrikeOut());
        QCOMPARE(formatOf(doc, QStringLiteral("each")).foreground().color(), QColor(0x1b, 0x5e, 0x20));
        QCOMPARE(formatOf(doc, QStringLiteral("spam")).foreground().color(), QColor(0x1b, 0x5e, 0x20));
        QVERIFY(!formatOf(doc, QStringLiteral("snippet")).fontStrikeOut());
        QVERIFY(formatOf(doc, QStringLiteral("snippet")).foreground().style() == Qt::NoBrush);
    }
};

QTEST_MAIN(TestMonitorGepa)
#include "test_monitorgepa.moc"
