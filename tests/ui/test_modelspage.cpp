// The models page: switching providers (undoable), the API key variable's
// status (set / not set, never the value), the proposer following the task
// model, "Test connection" against SimLm, an in-process OpenAI-compatible
// server and a closed port, and the price table saved atomically.
#include "../support/closed_port.h"

#include "pages/modelspage.h"
#include "studydocument.h"

#include "core/json.h"
#include "lm/context_limit.h"
#include "lm/prices.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using prism::testsupport::closedPort;

// Replaces a line edit's text by typing, as a user does.
void retype(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

int priceRow(QTableWidget *table, const QString &model)
{
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, ModelsPage::PriceModelColumn)
            && table->item(r, ModelsPage::PriceModelColumn)->text() == model)
            return r;
    return -1;
}

} // namespace

class TestModelsPage final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<StudyDocument> m_doc;
    std::unique_ptr<ModelsPage> m_page;

    // Clicks Test Connection and waits for the verdict.
    std::pair<bool, QString> testConnection(ModelsPage::Role role)
    {
        QSignalSpy tested(m_page.get(), &ModelsPage::connectionTested);
        m_page->testConnectionButton(role)->click();
        if (!tested.wait(20000))
            return {false, QStringLiteral("(no answer)")};
        const auto args = tested.takeFirst();
        return {args.at(1).toBool(), args.at(2).toString()};
    }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_modelspage"));
        qunsetenv("PRISM_TEST_UNSET_KEY");
        qputenv("PRISM_TEST_KEY", "sk-secret-value-123");
    }

    void init()
    {
        m_doc = std::make_unique<StudyDocument>();
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        m_page = std::make_unique<ModelsPage>(m_doc.get());
        m_page->resize(1200, 800);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
    }

    void cleanup()
    {
        m_page.reset();
        m_doc.reset();
    }

    void showsTheStudyModels()
    {
        QCOMPARE(m_page->providerCombo(ModelsPage::Task)->currentData().toString(), QStringLiteral("simlm"));
        QCOMPARE(m_page->modelCombo(ModelsPage::Task)->currentText(), QStringLiteral("sim-small"));
        QStringList sims;
        for (int i = 0; i < m_page->modelCombo(ModelsPage::Task)->count(); ++i)
            sims << m_page->modelCombo(ModelsPage::Task)->itemText(i);
        QCOMPARE(sims,
                 (QStringList{QStringLiteral("sim-small"), QStringLiteral("sim-large"), QStringLiteral("sim-flaky")}));
        // In-process: no URL, no key.
        QVERIFY(!m_page->baseUrlEdit(ModelsPage::Task)->isEnabled());
        QVERIFY(!m_page->apiKeyEnvEdit(ModelsPage::Task)->isEnabled());
        // The sample's proposer is the task model.
        QVERIFY(m_page->sameAsTaskCheck()->isChecked());
        QVERIFY(!m_page->providerCombo(ModelsPage::Proposer)->isEnabled());
    }

    void switchingProviderIsOneUndoableEdit()
    {
        QComboBox *provider = m_page->providerCombo(ModelsPage::Task);
        provider->setFocus();
        QTest::keyClick(provider, Qt::Key_Down); // Simulator -> OpenAI-compatible
        const prism::ModelConfig &task = m_doc->study().taskModel;
        QCOMPARE(task.provider, prism::Provider::OpenAi);
        QCOMPARE(task.model, std::string("gpt-4o-mini"));
        QCOMPARE(task.apiKeyEnv, std::string("OPENAI_API_KEY"));
        QVERIFY(m_page->baseUrlEdit(ModelsPage::Task)->isEnabled());
        QVERIFY(m_page->modelCombo(ModelsPage::Task)->isEditable());
        QCOMPARE(m_page->apiKeyEnvEdit(ModelsPage::Task)->text(), QStringLiteral("OPENAI_API_KEY"));
        // The proposer follows the task model.
        QCOMPARE(m_doc->study().proposerModel, m_doc->study().taskModel);
        QCOMPARE(m_page->providerCombo(ModelsPage::Proposer)->currentData().toString(), QStringLiteral("openai"));

        QTest::keyClick(provider, Qt::Key_Down); // -> Anthropic
        QCOMPARE(m_doc->study().taskModel.provider, prism::Provider::Anthropic);
        QCOMPARE(m_doc->study().taskModel.apiKeyEnv, std::string("ANTHROPIC_API_KEY"));

        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.provider, prism::Provider::OpenAi);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.provider, prism::Provider::SimLm);
        QCOMPARE(m_doc->study().taskModel.model, std::string("sim-small"));
        QCOMPARE(m_page->providerCombo(ModelsPage::Task)->currentData().toString(), QStringLiteral("simlm"));
        QVERIFY(!m_page->baseUrlEdit(ModelsPage::Task)->isEnabled());
    }

    void editsAreUndoableAndTypingMerges()
    {
        m_page->setProvider(ModelsPage::Task, QStringLiteral("openai"));
        const int steps = m_doc->undoStack()->count();
        retype(m_page->baseUrlEdit(ModelsPage::Task), QStringLiteral("http://localhost:11434/v1"));
        QCOMPARE(m_doc->study().taskModel.baseUrl, std::string("http://localhost:11434/v1"));
        QCOMPARE(m_doc->undoStack()->count(), steps + 1);
        m_page->temperatureSpin(ModelsPage::Task)->setValue(0.7);
        QCOMPARE(m_doc->study().taskModel.temperature, 0.7);
        QCOMPARE(m_doc->study().proposerModel.temperature, 0.7); // still following
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.temperature, 0.0);
        QCOMPARE(m_page->temperatureSpin(ModelsPage::Task)->value(), 0.0);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.baseUrl, std::string());
        QCOMPARE(m_page->baseUrlEdit(ModelsPage::Task)->text(), QString());
    }

    void rateLimitsAreEditedAndUndone()
    {
        QSpinBox *rpm = m_page->requestsPerMinuteSpin(ModelsPage::Task);
        QCOMPARE(rpm->text(), QStringLiteral("no limit"));
        rpm->setValue(500);
        QCOMPARE(m_doc->study().taskModel.requestsPerMinute, 500.0);
        m_page->tokensPerMinuteSpin(ModelsPage::Task)->setValue(200000);
        QCOMPARE(m_doc->study().taskModel.tokensPerMinute, 200000.0);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.tokensPerMinute, 0.0);
        QCOMPARE(m_page->tokensPerMinuteSpin(ModelsPage::Task)->value(), 0);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.requestsPerMinute, 0.0);
    }

    void retriesAreEditedAndUndone()
    {
        QSpinBox *retries = m_page->maxRetriesSpin(ModelsPage::Task);
        QDoubleSpinBox *wait = m_page->retryWaitSpin(ModelsPage::Task);
        QCOMPARE(retries->value(), prism::ModelConfig{}.maxRetries);
        QCOMPARE(wait->value(), prism::ModelConfig{}.retryBaseSeconds);
        QCOMPARE(retries->maximum(), 20); // the engine refuses more
        retries->setValue(0);
        QCOMPARE(retries->text(), QStringLiteral("none"));
        QCOMPARE(m_doc->study().taskModel.maxRetries, 0);
        wait->setValue(2.0);
        QCOMPARE(m_doc->study().taskModel.retryBaseSeconds, 2.0);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.retryBaseSeconds, prism::ModelConfig{}.retryBaseSeconds);
        QCOMPARE(wait->value(), prism::ModelConfig{}.retryBaseSeconds);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.maxRetries, prism::ModelConfig{}.maxRetries);
        QCOMPARE(retries->value(), prism::ModelConfig{}.maxRetries);
    }

    // Issue 13 item 15: each model's context limit is set here too; unset shows the family's default.
    void maxPromptIsSetUndoneAndShowsTheModelsDefault()
    {
        QSpinBox *limit = m_page->maxPromptTokensSpin(ModelsPage::Task);
        QCOMPARE(limit->value(), 0);
        QCOMPARE(limit->text(), QStringLiteral("default: %L1").arg(prism::kSimMaxPromptTokens));
        limit->setValue(5000);
        QCOMPARE(m_doc->study().taskModel.maxPromptTokens, std::optional<int>(5000));
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().taskModel.maxPromptTokens, std::nullopt);
        QCOMPARE(limit->value(), 0);

        m_page->setProvider(ModelsPage::Task, QStringLiteral("openai"));
        QComboBox *model = m_page->modelCombo(ModelsPage::Task);
        model->setEditText(QStringLiteral("gpt-4o-mini"));
        QCOMPARE(m_doc->study().taskModel.model, std::string("gpt-4o-mini"));
        QCOMPARE(limit->text(), QStringLiteral("default: %L1").arg(128000));
    }

    void proposerCanDivergeAndFollowAgain()
    {
        m_page->sameAsTaskCheck()->click();
        QVERIFY(!m_page->sameAsTaskCheck()->isChecked());
        QVERIFY(m_page->providerCombo(ModelsPage::Proposer)->isEnabled());
        QComboBox *model = m_page->modelCombo(ModelsPage::Proposer);
        model->setCurrentIndex(model->findText(QStringLiteral("sim-large")));
        QCOMPARE(m_doc->study().proposerModel.model, std::string("sim-large"));
        QCOMPARE(m_doc->study().taskModel.model, std::string("sim-small"));
        // Task edits no longer reach the proposer.
        m_page->maxTokensSpin(ModelsPage::Task)->setValue(300);
        QCOMPARE(m_doc->study().proposerModel.maxTokens, 1024);

        m_page->sameAsTaskCheck()->click();
        QCOMPARE(m_doc->study().proposerModel, m_doc->study().taskModel);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().proposerModel.model, std::string("sim-large"));
        QVERIFY(!m_page->sameAsTaskCheck()->isChecked());
    }

    void reflectionAndJudgeModelsFollowTheProposerOrHaveTheirOwn()
    {
        // The sample names neither: both follow the proposer, their settings folded to one line.
        for (ModelsPage::Role role : {ModelsPage::Reflection, ModelsPage::Judge}) {
            QVERIFY(m_page->sameAsCheck(role)->isChecked());
            QVERIFY(!m_page->modelCombo(role)->isVisible());
        }
        const auto *judgeNote = m_page->findChild<QLabel *>(QStringLiteral("judgeFollowNote"));
        QVERIFY(judgeNote && judgeNote->isVisible());
        QVERIFY2(judgeNote->text().contains(QStringLiteral("sim-small")), qPrintable(judgeNote->text()));
        // A task edit reaches the proposer, and through it reflection and judge.
        m_page->maxTokensSpin(ModelsPage::Task)->setValue(300);
        QCOMPARE(m_doc->study().reflectionModel.maxTokens, 300);
        QCOMPARE(m_doc->study().judgeModel.maxTokens, 300);

        // A judge of its own: unchecked, the form opens; the model is one undoable edit.
        m_page->sameAsCheck(ModelsPage::Judge)->click();
        QVERIFY(!m_page->follows(ModelsPage::Judge));
        QVERIFY(m_page->modelCombo(ModelsPage::Judge)->isVisible());
        QVERIFY(m_page->modelCombo(ModelsPage::Judge)->isEnabled());
        QComboBox *model = m_page->modelCombo(ModelsPage::Judge);
        model->setCurrentIndex(model->findText(QStringLiteral("sim-large")));
        QCOMPARE(m_doc->study().judgeModel.model, std::string("sim-large"));
        QCOMPARE(m_doc->study().proposerModel.model, std::string("sim-small"));
        QCOMPARE(m_doc->undoStack()->undoText(), QStringLiteral("Change Model (Judge Model)"));
        // The proposer changes: the judge keeps its own settings, reflection still follows.
        m_page->maxTokensSpin(ModelsPage::Task)->setValue(400);
        QCOMPARE(m_doc->study().judgeModel.maxTokens, 300);
        QCOMPARE(m_doc->study().reflectionModel.maxTokens, 400);

        // Saved, the file names the judge model and not the reflection model; reopened, the page shows both so.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("study.prism.json"));
        QString error;
        QVERIFY2(m_doc->save(path, &error), qPrintable(error));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto saved = prism::Json::parse(file.readAll().toStdString());
        QCOMPARE(saved["models"]["judge"]["model"].get<std::string>(), std::string("sim-large"));
        QVERIFY(!saved["models"].contains("reflection"));
        m_page.reset();
        m_doc = std::make_unique<StudyDocument>();
        QVERIFY2(m_doc->open(path, &error), qPrintable(error));
        m_page = std::make_unique<ModelsPage>(m_doc.get());
        QVERIFY(!m_page->sameAsCheck(ModelsPage::Judge)->isChecked());
        QCOMPARE(m_page->modelCombo(ModelsPage::Judge)->currentText(), QStringLiteral("sim-large"));
        QVERIFY(m_page->sameAsCheck(ModelsPage::Reflection)->isChecked());

        // Following again is one undoable edit back to the proposer's model.
        m_page->sameAsCheck(ModelsPage::Judge)->click();
        QCOMPARE(m_doc->study().judgeModel, m_doc->study().proposerModel);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().judgeModel.model, std::string("sim-large"));
        QVERIFY(!m_page->sameAsCheck(ModelsPage::Judge)->isChecked());
    }

    void keyVariableShowsSetOrNotSetButNeverTheValue()
    {
        m_page->setProvider(ModelsPage::Task, QStringLiteral("openai"));
        QLineEdit *key = m_page->apiKeyEnvEdit(ModelsPage::Task);
        retype(key, QStringLiteral("PRISM_TEST_KEY"));
        QCOMPARE(m_doc->study().taskModel.apiKeyEnv, std::string("PRISM_TEST_KEY"));
        QCOMPARE(m_page->apiKeyStatus(ModelsPage::Task), QStringLiteral("set"));
        QLabel *status = m_page->apiKeyStatusLabel(ModelsPage::Task);
        QVERIFY2(status->text().contains(QStringLiteral("set")) && !status->text().contains(QStringLiteral("not")),
                 qPrintable(status->text()));
        // The value appears nowhere: not in any label, tooltip or field, not in the study file.
        for (QWidget *w : m_page->findChildren<QWidget *>()) {
            QVERIFY(!w->toolTip().contains(QStringLiteral("sk-secret")));
            if (auto *label = qobject_cast<QLabel *>(w))
                QVERIFY(!label->text().contains(QStringLiteral("sk-secret")));
            if (auto *edit = qobject_cast<QLineEdit *>(w))
                QVERIFY(!edit->text().contains(QStringLiteral("sk-secret")));
        }
        QVERIFY(prism::studyToJsonText(m_doc->study()).find("sk-secret") == std::string::npos);

        retype(key, QStringLiteral("PRISM_TEST_UNSET_KEY"));
        QCOMPARE(m_page->apiKeyStatus(ModelsPage::Task), QStringLiteral("not set"));
        QVERIFY2(status->text().contains(QStringLiteral("not set")), qPrintable(status->text()));
    }

    void testConnectionToTheSimulator()
    {
        const auto [ok, message] = testConnection(ModelsPage::Task);
        QVERIFY2(ok, qPrintable(message));
        QVERIFY2(message.startsWith(QStringLiteral("OK: sim-small answered in "))
                     && message.endsWith(QStringLiteral(" ms")),
                 qPrintable(message));
        QCOMPARE(m_page->connectionLabel(ModelsPage::Task)->text(), message);
        QVERIFY(m_page->testConnectionButton(ModelsPage::Task)->isEnabled());
    }

    void testConnectionToAnOpenAiCompatibleServer()
    {
        prism::SimServer server(std::make_shared<prism::SimLm>("sim-small"), "sim-small");
        auto port = server.start();
        QVERIFY2(port.ok(), port.ok() ? "" : port.error().message.c_str());
        m_page->setProvider(ModelsPage::Task, QStringLiteral("openai"));
        retype(m_page->baseUrlEdit(ModelsPage::Task), QString::fromStdString(server.baseUrl()));
        retype(m_page->apiKeyEnvEdit(ModelsPage::Task), QString()); // a local server needs no key
        QComboBox *model = m_page->modelCombo(ModelsPage::Task);
        model->setEditText(QStringLiteral("sim-small"));
        QCOMPARE(m_doc->study().taskModel.model, std::string("sim-small"));
        QCOMPARE(m_doc->study().taskModel.apiKeyEnv, std::string());

        auto [ok, message] = testConnection(ModelsPage::Task);
        QVERIFY2(ok, qPrintable(message));
        QVERIFY2(message.startsWith(QStringLiteral("OK: sim-small at http://127.0.0.1:")), qPrintable(message));
        QVERIFY(server.stats().requests >= 1);

        // A model the server does not serve is named in the error.
        model->setEditText(QStringLiteral("no-such-model"));
        std::tie(ok, message) = testConnection(ModelsPage::Task);
        QVERIFY(!ok);
        QVERIFY2(message.startsWith(QStringLiteral("Failed: ")) && message.contains(QStringLiteral("no-such-model")),
                 qPrintable(message));
        server.stop();
    }

    void testConnectionToAClosedPortFailsWithOneLine()
    {
        m_page->setProvider(ModelsPage::Task, QStringLiteral("openai"));
        const QString url = QStringLiteral("http://127.0.0.1:%1/v1").arg(closedPort());
        retype(m_page->baseUrlEdit(ModelsPage::Task), url);
        retype(m_page->apiKeyEnvEdit(ModelsPage::Task), QString());
        const auto [ok, message] = testConnection(ModelsPage::Task);
        QVERIFY(!ok);
        QVERIFY2(message.startsWith(QStringLiteral("Failed: ")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("127.0.0.1")), qPrintable(message));
        QVERIFY(!message.contains(QLatin1Char('\n')));
        QCOMPARE(m_page->connectionLabel(ModelsPage::Task)->text(), message);
    }

    void replicasAreTypedOnePerLineTestedAndUndone()
    {
        prism::SimServer a(std::make_shared<prism::SimLm>("sim-small"), "sim-small");
        prism::SimServer b(std::make_shared<prism::SimLm>("sim-small"), "sim-small");
        QVERIFY(a.start().ok());
        QVERIFY(b.start().ok());
        QVERIFY(!m_page->replicasEdit(ModelsPage::Task)->isEnabled()); // the simulator runs in-process
        m_page->setProvider(ModelsPage::Task, QStringLiteral("openai"));
        retype(m_page->baseUrlEdit(ModelsPage::Task), QString::fromStdString(a.baseUrl()));
        retype(m_page->apiKeyEnvEdit(ModelsPage::Task), QString());
        m_page->modelCombo(ModelsPage::Task)->setEditText(QStringLiteral("sim-small"));
        const int steps = m_doc->undoStack()->count();

        QPlainTextEdit *replicas = m_page->replicasEdit(ModelsPage::Task);
        QVERIFY(replicas->isEnabled());
        replicas->setFocus();
        QTest::keyClicks(replicas, QString::fromStdString(b.baseUrl()));
        QTest::keyClick(replicas, Qt::Key_Return);
        QTest::keyClicks(replicas, QString::fromStdString(b.baseUrl()) + QStringLiteral(" PRISM_TEST_UNSET_KEY"));
        QCOMPARE(replicas->toPlainText(),
                 QString::fromStdString(b.baseUrl() + "\n" + b.baseUrl() + " PRISM_TEST_UNSET_KEY"));
        const prism::ModelConfig &task = m_doc->study().taskModel;
        QCOMPARE(task.replicas.size(), std::size_t(2));
        QCOMPARE(task.replicas[0].baseUrl, b.baseUrl());
        QCOMPARE(task.replicas[0].apiKeyEnv, std::string());
        QCOMPARE(task.replicas[1].apiKeyEnv, std::string("PRISM_TEST_UNSET_KEY"));
        QCOMPARE(m_doc->study().proposerModel, task);     // still following
        QCOMPARE(m_doc->undoStack()->count(), steps + 1); // the typing is one edit

        // Every endpoint is tried; the one whose key variable is not set is named.
        auto [ok, message] = testConnection(ModelsPage::Task);
        QVERIFY2(ok, qPrintable(message));
        QVERIFY2(message.startsWith(QStringLiteral("OK: 2 endpoints of 3 of sim-small answered")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("PRISM_TEST_UNSET_KEY")), qPrintable(message));
        // Partly working is shown as a warning, not as a plain OK.
        QVERIFY2(m_page->connectionLabel(ModelsPage::Task)->styleSheet().contains(QStringLiteral("#a05a00")),
                 qPrintable(m_page->connectionLabel(ModelsPage::Task)->styleSheet()));
        // For the docs (docs/screenshots/models-replicas.png), when asked.
        if (const QString shots = qEnvironmentVariable("PRISM_SCREENSHOT_DIR"); !shots.isEmpty()) {
            QTest::qWait(100); // the layout takes the wrapped result line first
            QVERIFY(m_page->grab().save(QDir(shots).filePath(QStringLiteral("models-replicas.png"))));
        }

        m_doc->undoStack()->undo();
        QVERIFY(m_doc->study().taskModel.replicas.empty());
        QCOMPARE(replicas->toPlainText(), QString());
        m_doc->undoStack()->redo();
        QCOMPARE(m_doc->study().taskModel.replicas.size(), std::size_t(2));
        QCOMPARE(replicas->toPlainText(),
                 QString::fromStdString(b.baseUrl() + "\n" + b.baseUrl() + " PRISM_TEST_UNSET_KEY"));

        // Another provider's endpoints do not carry over.
        m_page->setProvider(ModelsPage::Task, QStringLiteral("anthropic"));
        QVERIFY(m_doc->study().taskModel.replicas.empty());
        QCOMPARE(replicas->toPlainText(), QString());
    }

    // Issue 14: a connection error stayed after an undo switched the provider
    // back; a long error was clipped; the simulated models were never explained.
    void aResultAboutOtherSettingsIsCleared()
    {
        m_page->resize(1024 - 160, 640 - 80); // the page's share of a 1024x640 window
        QVERIFY(m_page->findChild<QLabel *>(QStringLiteral("taskSimNote"))->isVisible());
        m_page->setProvider(ModelsPage::Task, QStringLiteral("openai"));
        QVERIFY(!m_page->findChild<QLabel *>(QStringLiteral("taskSimNote"))->isVisible());
        const QString url =
            QStringLiteral("http://127.0.0.1:%1/v1/a/rather/long/path/to/make/the/error/wrap").arg(closedPort());
        retype(m_page->baseUrlEdit(ModelsPage::Task), url);
        retype(m_page->apiKeyEnvEdit(ModelsPage::Task), QString());
        const auto [ok, message] = testConnection(ModelsPage::Task);
        QVERIFY(!ok);
        QLabel *result = m_page->connectionLabel(ModelsPage::Task);
        QCOMPARE(result->text(), message);
        QCoreApplication::processEvents();
        // Wrapped on a row of its own, every line shown.
        QVERIFY(result->height() >= result->heightForWidth(result->width()));
        QVERIFY(result->heightForWidth(result->width()) > result->fontMetrics().height()); // it did wrap

        // One undo (the key variable) changes the settings: the old verdict goes.
        m_doc->undoStack()->undo();
        QVERIFY2(result->text().isEmpty(), qPrintable(result->text()));
        // Back to the simulator: its note is there again.
        while (m_doc->study().taskModel.provider != prism::Provider::SimLm && m_doc->undoStack()->canUndo())
            m_doc->undoStack()->undo();
        QVERIFY(m_page->findChild<QLabel *>(QStringLiteral("taskSimNote"))->isVisible());

        // A result that still matches the settings stays.
        const auto [simOk, simMessage] = testConnection(ModelsPage::Task);
        QVERIFY(simOk);
        m_page->resize(1024 - 150, 640 - 80);
        QCOMPARE(result->text(), simMessage);
    }

    void pricesAreSavedAtomicallyAndOnlyTheUsersOnes()
    {
        QTableWidget *table = m_page->pricesTable();
        const QString path = m_page->pricesPath();
        QFile::remove(path);
        m_page->reloadPrices();
        const int mini = priceRow(table, QStringLiteral("gpt-4o-mini"));
        QVERIFY(mini >= 0);
        QCOMPARE(table->item(mini, ModelsPage::PriceSourceColumn)->text(), QStringLiteral("built-in"));
        table->item(mini, ModelsPage::PriceInputColumn)->setText(QStringLiteral("0.2"));
        QVERIFY(m_page->pricesModified());

        m_page->findChild<QPushButton *>(QStringLiteral("addPriceButton"))->click();
        const int added = table->rowCount() - 1;
        table->item(added, ModelsPage::PriceModelColumn)->setText(QStringLiteral("my-model"));
        table->item(added, ModelsPage::PriceInputColumn)->setText(QStringLiteral("1"));
        table->item(added, ModelsPage::PriceOutputColumn)->setText(QStringLiteral("2.5"));

        QString error;
        QVERIFY2(m_page->savePrices(&error), qPrintable(error));
        QVERIFY(!m_page->pricesModified());
        auto saved = prism::PriceTable::load(path.toStdString());
        QVERIFY2(saved.ok(), saved.ok() ? "" : saved.error().message.c_str());
        // Only the changed and the new entry: untouched built-ins keep following the defaults.
        QCOMPARE(saved->models().size(), std::size_t(2));
        QCOMPARE(saved->models().at("gpt-4o-mini").inputPerMillion, 0.2);
        QCOMPARE(saved->models().at("gpt-4o-mini").outputPerMillion, 0.6);
        QCOMPARE(saved->models().at("my-model").outputPerMillion, 2.5);
        // What the engine charges from now on.
        auto effective = prism::PriceTable::loadDefault();
        QVERIFY(effective.ok());
        QCOMPARE(effective->find("gpt-4o-mini-2024-07-18")->inputPerMillion, 0.2);
        QCOMPARE(effective->find("gpt-4o")->inputPerMillion, 2.5);
        // Reloaded: the sources say whose the prices are.
        QCOMPARE(table->item(priceRow(table, QStringLiteral("gpt-4o-mini")), ModelsPage::PriceSourceColumn)->text(),
                 QStringLiteral("yours (changed)"));
        QCOMPARE(table->item(priceRow(table, QStringLiteral("my-model")), ModelsPage::PriceSourceColumn)->text(),
                 QStringLiteral("yours"));

        // A bad number is refused and the file stays as it was.
        const QByteArray before = [&] {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        table->item(priceRow(table, QStringLiteral("my-model")), ModelsPage::PriceOutputColumn)
            ->setText(QStringLiteral("abc"));
        QVERIFY(!m_page->savePrices(&error));
        QVERIFY2(error.contains(QStringLiteral("my-model")) && error.contains(QStringLiteral("abc")),
                 qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before);
        QFile::remove(path);
    }
};

QTEST_MAIN(TestModelsPage)
#include "test_modelspage.moc"
