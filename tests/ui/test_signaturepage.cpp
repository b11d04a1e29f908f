// The signature page: the live prompt preview against the engine's adapter,
// instruction typing, the fields table (edit, add, remove, move, rename,
// types) and the module kind, each through the undo stack.
#include "pages/metricpage.h"
#include "pages/signaturepage.h"
#include "studydocument.h"
#include "widgets/programgraph.h"

#include "adapter/adapter.h"
#include "adapter/predict.h"
#include "artifact/prompt_export.h"
#include "sim/simlm.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QUndoStack>

namespace {

std::vector<prism::ChatMessage> engineMessages(const StudyDocument &doc, int row)
{
    const prism::Study &study = doc.study();
    const prism::Predictor &predictor = study.program.predictors.front();
    const prism::Example &example = doc.examples(Split::Train)[static_cast<std::size_t>(row)];
    prism::Fields inputs;
    for (const auto &field : predictor.signature.inputs)
        inputs.set(field.name, example.values.get(field.name));
    return prism::makeAdapter(study.eval.adapter)->format(predictor.effectiveSignature(), predictor.demos, inputs);
}

// Saves a PNG of the widget when PRISM_SCREENSHOT_DIR is set.
void saveShot(QWidget *w, const QString &name)
{
    const QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        w->grab().save(QDir(dir).filePath(name));
}

int rowOf(QTableWidget *table, const QString &name)
{
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, 0) && table->item(r, 0)->text() == name)
            return r;
    return -1;
}

} // namespace

class TestSignaturePage final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<StudyDocument> m_doc;
    std::unique_ptr<SignaturePage> m_page;

    const prism::Signature &signature() const { return m_doc->study().program.predictors.front().signature; }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_signaturepage"));
    }

    void init()
    {
        m_doc = std::make_unique<StudyDocument>();
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        m_page = std::make_unique<SignaturePage>(m_doc.get());
        m_page->resize(1200, 700);
        m_page->show();
    }

    void cleanup()
    {
        m_page.reset();
        m_doc.reset();
    }

    void previewIsTheAdaptersOutputForTheChosenRow()
    {
        m_page->setPreviewRow(3);
        m_page->flushPreview();
        const auto expected = engineMessages(*m_doc, 3);
        QVERIFY(!expected.empty());
        QVERIFY(m_page->previewMessages() == expected);
        // Shown role by role, the content verbatim.
        const QString text = m_page->previewText();
        for (const auto &m : expected) {
            QVERIFY(text.contains(QString::fromStdString(m.role).toUpper()));
            QVERIFY(text.contains(QString::fromStdString(m.content)));
        }
        const std::string snippet = m_doc->examples(Split::Train)[3].values.get("snippet").asString();
        QVERIFY(text.contains(QString::fromStdString(snippet)));

        // Another row, another snippet.
        m_page->setPreviewRow(7);
        m_page->flushPreview();
        QVERIFY(m_page->previewMessages() == engineMessages(*m_doc, 7));
    }

    void previewFollowsTypingAfterAShortPause()
    {
        QPlainTextEdit *editor = m_page->instructionEditor();
        editor->selectAll();
        QTest::keyClicks(editor, QStringLiteral("Answer tersely and pick the closest severity."));
        QCOMPARE(signature().instruction, std::string("Answer tersely and pick the closest severity."));
        // The debounced render, not a forced one.
        QTRY_VERIFY_WITH_TIMEOUT(
            m_page->previewText().contains(QStringLiteral("Answer tersely and pick the closest severity.")), 2000);
        QVERIFY(m_page->previewMessages() == engineMessages(*m_doc, m_page->previewRow()));
        QCOMPARE(m_doc->undoStack()->count(), 1);
        m_doc->undoStack()->undo();
        QCOMPARE(editor->toPlainText(), QStringLiteral("Classify the snippet for moderation."));
        m_page->flushPreview();
        QVERIFY(m_page->previewText().contains(QStringLiteral("Classify the snippet for moderation.")));
    }

    void previewShowsDemosAndChainOfThought()
    {
        prism::Study study = m_doc->study();
        prism::Demo demo;
        demo.values = m_doc->examples(Split::Train)[0].values;
        study.program.predictors.front().demos.push_back(demo);
        m_doc->setStudy(study, QStringLiteral("demo"));
        auto *kind = m_page->findChild<QComboBox *>(QStringLiteral("kindCombo"));
        kind->setCurrentIndex(kind->findText(QStringLiteral("ChainOfThought")));
        QCOMPARE(m_doc->study().program.predictors.front().kind, prism::PredictorKind::ChainOfThought);
        m_page->flushPreview();
        QVERIFY(m_page->previewMessages() == engineMessages(*m_doc, m_page->previewRow()));
        QVERIFY(m_page->previewText().contains(QStringLiteral("reasoning")));
        // The demo's snippet is in the prompt, as a user/assistant pair.
        QVERIFY(m_page->previewText().contains(QString::fromStdString(demo.values.get("snippet").asString())));
        QVERIFY(m_page->previewMessages().size() >= 4);
        QVERIFY(m_page->findChild<QLabel *>(QStringLiteral("previewInfo"))->text().contains(QStringLiteral("1 demo")));
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().program.predictors.front().kind, prism::PredictorKind::Predict);
        QCOMPARE(kind->currentText(), QStringLiteral("Predict"));
    }

    void fieldsTableShowsTheSignature()
    {
        QTableWidget *table = m_page->fieldsTable();
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("snippet"));
        QCOMPARE(qobject_cast<QComboBox *>(table->cellWidget(0, 1))->currentText(), QStringLiteral("Input"));
        const int severity = rowOf(table, QStringLiteral("severity"));
        QCOMPARE(qobject_cast<QComboBox *>(table->cellWidget(severity, 1))->currentText(), QStringLiteral("Output"));
        QCOMPARE(qobject_cast<QComboBox *>(table->cellWidget(severity, 2))->currentText(), QStringLiteral("enum"));
        QCOMPARE(table->item(severity, 3)->text(), QStringLiteral("low, medium, high"));
        const int violations = rowOf(table, QStringLiteral("policy_violations"));
        QVERIFY(table->cellWidget(violations, 4)->findChild<QCheckBox *>()->isChecked());
        QVERIFY(!table->cellWidget(severity, 4)->findChild<QCheckBox *>()->isChecked());
    }

    void editingDescriptionAndValuesIsUndoable()
    {
        QTableWidget *table = m_page->fieldsTable();
        const int severity = rowOf(table, QStringLiteral("severity"));
        table->item(severity, 5)->setText(QStringLiteral("How bad it is."));
        QCOMPARE(signature().findOutput("severity")->description, std::string("How bad it is."));
        table->item(rowOf(table, QStringLiteral("severity")), 3)->setText(QStringLiteral("low, high"));
        QCOMPARE(signature().findOutput("severity")->type, prism::Type::enumOf({"low", "high"}));
        m_doc->undoStack()->undo();
        QCOMPARE(signature().findOutput("severity")->type, prism::Type::enumOf({"low", "medium", "high"}));
        QCOMPARE(table->item(rowOf(table, QStringLiteral("severity")), 3)->text(), QStringLiteral("low, medium, high"));
        m_doc->undoStack()->undo();
        QCOMPARE(signature().findOutput("severity")->description,
                 std::string("Overall severity of the snippet for moderation routing."));
    }

    void addRemoveAndMoveFields()
    {
        QTableWidget *table = m_page->fieldsTable();
        m_page->addField(false);
        QCOMPARE(signature().outputs.size(), std::size_t(3));
        QCOMPARE(signature().outputs.back().name, std::string("output"));
        QCOMPARE(table->rowCount(), 4);
        m_page->addField(true);
        QCOMPARE(signature().inputs.size(), std::size_t(2));
        QCOMPARE(signature().inputs.back().name, std::string("input"));
        QCOMPARE(rowOf(table, QStringLiteral("input")), 1); // inputs stay above outputs

        table->selectRow(rowOf(table, QStringLiteral("output")));
        m_page->removeSelectedField();
        QVERIFY(!signature().findOutput("output"));

        table->selectRow(rowOf(table, QStringLiteral("severity")));
        m_page->moveSelectedField(1);
        QCOMPARE(signature().outputs[0].name, std::string("policy_violations"));
        QCOMPARE(signature().outputs[1].name, std::string("severity"));
        // The first output does not jump into the inputs.
        table->selectRow(rowOf(table, QStringLiteral("policy_violations")));
        const prism::Signature before = signature();
        m_page->moveSelectedField(-1);
        QVERIFY(signature() == before);

        // The last input cannot be removed.
        table->selectRow(rowOf(table, QStringLiteral("input")));
        m_page->removeSelectedField();
        table->selectRow(rowOf(table, QStringLiteral("snippet")));
        m_page->removeSelectedField();
        QCOMPARE(signature().inputs.size(), std::size_t(1));

        while (m_doc->undoStack()->canUndo())
            m_doc->undoStack()->undo();
        QCOMPARE(signature().inputs.size(), std::size_t(1));
        QCOMPARE(signature().outputs[0].name, std::string("severity"));
        QCOMPARE(table->rowCount(), 3);
    }

    void renamingAFieldRenamesItInTheRows()
    {
        QTableWidget *table = m_page->fieldsTable();
        const std::string firstSnippet = m_doc->examples(Split::Train)[0].values.get("snippet").asString();
        table->item(0, 0)->setText(QStringLiteral("text"));
        QCOMPARE(signature().inputs[0].name, std::string("text"));
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("text").asString(), firstSnippet);
        QVERIFY(!m_doc->examples(Split::Test)[0].values.contains("snippet"));
        QCOMPARE(m_doc->examples(Split::Train)[0].inputKeys, std::vector<std::string>{"text"});
        m_page->flushPreview();
        QVERIFY(m_page->previewText().contains(QString::fromStdString(firstSnippet)));
        // One undo step for both.
        m_doc->undoStack()->undo();
        QCOMPARE(signature().inputs[0].name, std::string("snippet"));
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("snippet").asString(), firstSnippet);

        // Refused names leave everything as it was and say why.
        const prism::Study before = m_doc->study();
        table->item(0, 0)->setText(QStringLiteral("two words"));
        QVERIFY(m_doc->study() == before);
        table->item(0, 0)->setText(QStringLiteral("severity"));
        QVERIFY(m_doc->study() == before);
        QTRY_COMPARE(table->item(0, 0)->text(), QStringLiteral("snippet"));
    }

    void changingATypeThroughTheCombos()
    {
        QTableWidget *table = m_page->fieldsTable();
        m_page->addField(false);
        int row = rowOf(table, QStringLiteral("output"));
        qobject_cast<QComboBox *>(table->cellWidget(row, 2))->setCurrentText(QStringLiteral("bool"));
        QTRY_COMPARE(signature().findOutput("output")->type, prism::Type::boolean());
        row = rowOf(table, QStringLiteral("output"));
        table->cellWidget(row, 4)->findChild<QCheckBox *>()->setChecked(true);
        QTRY_COMPARE(signature().findOutput("output")->type, prism::Type::listOf(prism::Type::boolean()));
        row = rowOf(table, QStringLiteral("output"));
        qobject_cast<QComboBox *>(table->cellWidget(row, 1))->setCurrentText(QStringLiteral("Input"));
        QTRY_VERIFY(signature().findInput("output") != nullptr);
        QVERIFY(signature().findOutput("output") == nullptr);
    }

    void eachStageOfAPipelineHasItsOwnPreview()
    {
        // A two-stage program: the second stage reads what the first one writes.
        prism::Study study = m_doc->study();
        prism::Predictor first = study.program.predictors.front();
        first.name = "summarize";
        first.signature.instruction = "Summarize the snippet.";
        first.signature.outputs = {prism::Field{"summary", prism::Type::string(), "", ""}};
        prism::Predictor second = study.program.predictors.front();
        second.signature.inputs.push_back(prism::Field{"summary", prism::Type::string(), "", ""});
        study.program.predictors = {first, second};
        m_doc->setStudy(study, QStringLiteral("pipeline"));

        auto *combo = m_page->findChild<QComboBox *>(QStringLiteral("predictorCombo"));
        QVERIFY(combo->isVisible());
        QCOMPARE(combo->count(), 2);
        QCOMPARE(m_page->fieldsTable()->rowCount(), 2); // snippet -> summary
        combo->setCurrentIndex(1);
        QCOMPARE(m_page->currentPredictor(), 1);
        QCOMPARE(m_page->fieldsTable()->rowCount(), 4);
        QCOMPARE(m_page->instructionEditor()->toPlainText(), QStringLiteral("Classify the snippet for moderation."));

        // The same messages the prompt export renders for that stage: the
        // first stage's output is a {summary} placeholder.
        m_page->setPreviewRow(2);
        m_page->flushPreview();
        const auto adapter = prism::makeAdapter(m_doc->study().eval.adapter);
        const std::string exported =
            prism::renderPromptMessagesJson(m_doc->study().program, m_doc->examples(Split::Train)[2].values, *adapter);
        const QJsonArray stages = QJsonDocument::fromJson(QByteArray::fromStdString(exported)).array();
        QCOMPARE(stages.size(), 2);
        const QJsonArray messages = stages.at(1).toObject().value(QStringLiteral("messages")).toArray();
        QCOMPARE(static_cast<qsizetype>(m_page->previewMessages().size()), messages.size());
        for (qsizetype i = 0; i < messages.size(); ++i) {
            QCOMPARE(QString::fromStdString(m_page->previewMessages()[static_cast<std::size_t>(i)].role),
                     messages.at(i).toObject().value(QStringLiteral("role")).toString());
            QCOMPARE(QString::fromStdString(m_page->previewMessages()[static_cast<std::size_t>(i)].content),
                     messages.at(i).toObject().value(QStringLiteral("content")).toString());
        }
        QVERIFY(m_page->previewText().contains(QStringLiteral("{summary}")));

        // Typing edits the selected stage only.
        m_page->instructionEditor()->moveCursor(QTextCursor::End);
        QTest::keyClicks(m_page->instructionEditor(), QStringLiteral(" Use the summary."));
        QCOMPARE(m_doc->study().program.predictors[1].signature.instruction,
                 std::string("Classify the snippet for moderation. Use the summary."));
        QCOMPARE(m_doc->study().program.predictors[0].signature.instruction, std::string("Summarize the snippet."));

        // Freezing a stage: the box shows the chosen stage's flag, and undo thaws it.
        auto *frozen = m_page->findChild<QCheckBox *>(QStringLiteral("frozenCheck"));
        QVERIFY(frozen->isVisible());
        QVERIFY(!frozen->isChecked());
        combo->setCurrentIndex(0);
        frozen->click();
        QVERIFY(m_doc->study().program.predictors[0].frozen);
        QVERIFY(!m_doc->study().program.predictors[1].frozen);
        QCOMPARE(m_doc->undoStack()->undoText(), QStringLiteral("Freeze summarize"));
        combo->setCurrentIndex(1);
        QVERIFY(!frozen->isChecked());
        combo->setCurrentIndex(0);
        QVERIFY(frozen->isChecked());
        m_doc->undoStack()->undo();
        QVERIFY(!m_doc->study().program.predictors[0].frozen);
        QVERIFY(!frozen->isChecked());
    }

    void programPageBuildsTheTwoStageSampleFromTheOneStageOne()
    {
        // The one-stage moderation program, turned into the moderation_pipeline
        // sample's through the page, as a user would: add a stage, name it,
        // move a field into it, wire it into the next stage, drop the note.
        QCOMPARE(m_page->graph()->edges(), QStringList{QStringLiteral("example.snippet -> classify.snippet")});
        m_page->addStageBefore();
        QCOMPARE(m_doc->study().program.predictors.size(), std::size_t{2});
        QCOMPARE(m_page->currentPredictor(), 0);
        m_page->renameCurrentStage(QStringLiteral("find"));
        QVERIFY(m_page->wiringProblems().isEmpty());

        m_page->setCurrentPredictor(1);
        QTableWidget *table = m_page->fieldsTable();
        table->selectRow(rowOf(table, QStringLiteral("policy_violations")));
        m_page->moveSelectedFieldToStage(0);
        QCOMPARE(m_page->currentPredictor(), 0);
        m_page->setCurrentPredictor(1);
        QVERIFY2(m_page->inputChoiceTexts().contains(QStringLiteral("policy_violations (find)")),
                 qPrintable(m_page->inputChoiceTexts().join(QStringLiteral(", "))));
        m_page->addInputFrom(QStringLiteral("policy_violations"));
        table->selectRow(rowOf(table, QStringLiteral("notes")));
        m_page->removeSelectedField();
        m_page->setCurrentPredictor(0);
        table->selectRow(rowOf(table, QStringLiteral("notes")));
        m_page->removeSelectedField();
        m_page->setCurrentPredictor(1);
        m_page->renameCurrentStage(QStringLiteral("rate"));
        auto *kind = m_page->findChild<QComboBox *>(QStringLiteral("kindCombo"));
        kind->setCurrentIndex(kind->findText(QStringLiteral("ChainOfThought")));

        const auto &built = m_doc->study().program.predictors;
        QVERIFY(built.size() == 2);
        QCOMPARE(built[0].name, std::string("find"));
        QCOMPARE(built[1].name, std::string("rate"));
        QCOMPARE(built[1].kind, prism::PredictorKind::ChainOfThought);
        auto names = [](const std::vector<prism::Field> &fields) {
            QStringList out;
            for (const auto &f : fields)
                out << QString::fromStdString(f.name);
            return out;
        };
        QCOMPARE(names(built[0].signature.inputs), QStringList{QStringLiteral("snippet")});
        QCOMPARE(names(built[0].signature.outputs), QStringList{QStringLiteral("policy_violations")});
        QCOMPARE(names(built[1].signature.inputs),
                 (QStringList{QStringLiteral("snippet"), QStringLiteral("policy_violations")}));
        QCOMPARE(names(built[1].signature.outputs), QStringList{QStringLiteral("severity")});
        QVERIFY2(m_page->wiringProblems().isEmpty(), qPrintable(m_page->wiringProblems().join('\n')));
        const QStringList edges = m_page->graph()->edges();
        QVERIFY(edges.contains(QStringLiteral("example.snippet -> find.snippet")));
        QVERIFY(edges.contains(QStringLiteral("example.snippet -> rate.snippet")));
        QVERIFY(edges.contains(QStringLiteral("find.policy_violations -> rate.policy_violations")));

        // Clicking a node chooses its stage.
        QTest::mouseClick(m_page->graph()->viewport(), Qt::LeftButton, {}, m_page->graph()->stageCenter(0));
        QCOMPARE(m_page->currentPredictor(), 0);
        m_page->instructionEditor()->setPlainText(QStringLiteral("List the policies the snippet violates."));
        m_page->flushPreview();
        QTest::qWait(50); // the layout follows the diagram's new height
        saveShot(m_page.get(), QStringLiteral("program-page.png"));

        // rate before find reads the row's label instead: flagged on its node, live.
        m_page->setCurrentPredictor(1);
        m_page->moveCurrentStage(-1);
        QCOMPARE(m_doc->study().program.predictors[0].name, std::string("rate"));
        QVERIFY(m_page->graph()->stageFlagged(0));
        QVERIFY(m_page->graph()->edges().contains(
            QStringLiteral("find.policy_violations -> rate.policy_violations (later stage)")));
        QCOMPARE(m_page->wiringProblems().size(), 1);
        QVERIFY(
            m_page->wiringProblems().front().startsWith(QStringLiteral("stage 'rate': it reads 'policy_violations'")));
        m_doc->undoStack()->undo();
        QVERIFY(m_page->wiringProblems().isEmpty());
        QVERIFY(!m_page->graph()->stageFlagged(1));

        // A refused edit says why and changes nothing.
        m_page->setCurrentPredictor(1);
        const prism::Study before = m_doc->study();
        m_page->renameCurrentStage(QStringLiteral("find"));
        QVERIFY(m_page->bannerMessage().contains(QStringLiteral("already a stage named 'find'")));
        QVERIFY(m_doc->study() == before);

        // Every step was one undo step: undoing them all gives the one-stage program back.
        while (m_doc->undoStack()->canUndo())
            m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().program.predictors.size(), std::size_t{1});
        QCOMPARE(m_doc->study().program.predictors[0].name, std::string("classify"));
    }

    // Issue 16: the preview of a later stage with what the earlier ones produced for the row.
    void previewShowsWhatTheEarlierStagesProduced()
    {
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("moderation_pipeline"), &error), qPrintable(error));
        // The row's turn (the system message names every field as {field} anyway).
        auto userTurn = [this] { return QString::fromStdString(m_page->previewMessages().back().content); };
        m_page->setCurrentPredictor(1);
        m_page->setPreviewRow(4);
        m_page->flushPreview();
        QVERIFY(userTurn().contains(QStringLiteral("{policy_violations}")));
        QVERIFY(m_page->runEarlierButton()->isVisible());

        // What find answers for row 4, by the engine directly.
        const prism::Study &study = m_doc->study();
        prism::Program find;
        find.predictors = {study.program.predictors[0]};
        prism::SimLm sim(study.taskModel.model);
        prism::CallOptions call;
        call.role = "evaluation";
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        const prism::Prediction expected =
            prism::runProgram(find, m_doc->examples(Split::Train)[4].values, sim, *adapter, call);
        QVERIFY(!expected.error);
        const auto rendered =
            adapter->format(study.program.predictors[1].effectiveSignature(), {},
                            prism::Fields{{"snippet", m_doc->examples(Split::Train)[4].values.get("snippet")},
                                          {"policy_violations", expected.values.get("policy_violations")}});

        m_page->runEarlierStages();
        QTRY_VERIFY_WITH_TIMEOUT(!m_page->isRunningEarlierStages(), 20000);
        m_page->flushPreview();
        QVERIFY2(!userTurn().contains(QStringLiteral("{policy_violations}")), qPrintable(m_page->bannerMessage()));
        QCOMPARE(m_page->previewMessages().back().content, rendered.back().content);

        // Another row, or an edit of the earlier stage: placeholders again until run again.
        m_page->setPreviewRow(5);
        m_page->flushPreview();
        QVERIFY(userTurn().contains(QStringLiteral("{policy_violations}")));
        m_page->setPreviewRow(4);
        m_page->flushPreview();
        QVERIFY(!userTurn().contains(QStringLiteral("{policy_violations}")));
        prism::Study edited = m_doc->study();
        edited.program.predictors[0].signature.instruction += " Be strict.";
        m_doc->setStudy(edited, QStringLiteral("edit find"));
        m_page->flushPreview();
        QVERIFY(userTurn().contains(QStringLiteral("{policy_violations}")));

        // The first stage reads only the row: nothing to run.
        m_page->setCurrentPredictor(0);
        m_page->flushPreview();
        QVERIFY(!m_page->runEarlierButton()->isVisible());
    }

    void renamingAnOutputCarriesTheMetricAndDemos()
    {
        // A demo that holds the label, and the builder's metric for it, as the user set them up.
        prism::Study study = m_doc->study();
        prism::Demo demo;
        demo.values = m_doc->examples(Split::Train)[0].values;
        study.program.predictors.front().demos.push_back(demo);
        m_doc->setStudy(study, QStringLiteral("Add a demo"));
        const prism::Study before = m_doc->study();
        auto scored = [](const prism::Study &s, const std::string &name) -> const prism::FieldMetric * {
            for (const auto &fm : s.metric.fields)
                if (fm.field == name)
                    return &fm;
            return nullptr;
        };
        const prism::FieldMetric *original = scored(before, "severity");
        QVERIFY(original);
        const prism::FieldMetric severityMetric = *original;
        MetricPage metric(m_doc.get());

        QTableWidget *table = m_page->fieldsTable();
        table->item(rowOf(table, QStringLiteral("severity")), 0)->setText(QStringLiteral("level"));
        QVERIFY(signature().findOutput("level"));
        const prism::FieldMetric *renamed = scored(m_doc->study(), "level");
        QVERIFY2(renamed, "the metric lost the renamed field");
        QCOMPARE(renamed->metric, severityMetric.metric);
        QCOMPARE(renamed->weight, severityMetric.weight);
        QVERIFY(!scored(m_doc->study(), "severity"));
        QCOMPARE(m_doc->study().metric.fields.size(), before.metric.fields.size());
        const prism::Demo &kept = m_doc->study().program.predictors.front().demos.front();
        QCOMPARE(kept.values.get("level"), demo.values.get("severity"));
        QVERIFY(!kept.values.contains("severity"));
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("level"), demo.values.get("severity"));
        // The builder keeps the row under its new name, with its metric.
        auto *combo = metric.findChild<QComboBox *>(QStringLiteral("metricCombo_level"));
        QVERIFY(combo);
        QCOMPARE(combo->currentData().toString(), QString::fromStdString(severityMetric.metric));
        QVERIFY(m_page->bannerMessage().isEmpty()); // a builder metric needs no word from the user

        // One undo restores the signature, the metric, the demo and the rows.
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->study() == before);
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("severity"), demo.values.get("severity"));
        QVERIFY(metric.findChild<QComboBox *>(QStringLiteral("metricCombo_severity")));
    }

    void renamingAFieldAScriptNamesOffersToReplaceIt()
    {
        prism::Study study = m_doc->study();
        study.metric.kind = "script";
        study.metric.script = "function metric(example, pred, trace) {\n"
                              "  // severity_note stays: only the whole word is the field\n"
                              "  return example.severity === pred.severity ? 1 : 0;\n}\n";
        m_doc->setStudy(study, QStringLiteral("Use a script"));
        QTableWidget *table = m_page->fieldsTable();
        table->item(rowOf(table, QStringLiteral("severity")), 0)->setText(QStringLiteral("level"));
        QVERIFY(signature().findOutput("level"));
        // Nothing in the script changes unasked; the banner says what and offers the fix.
        QCOMPARE(m_doc->study().metric.script, study.metric.script);
        QVERIFY2(m_page->bannerMessage().contains(QStringLiteral("'severity'")), qPrintable(m_page->bannerMessage()));
        auto *replace = m_page->findChild<QPushButton *>(QStringLiteral("errorBannerAction"));
        QVERIFY(replace && replace->isVisible());
        QTest::mouseClick(replace, Qt::LeftButton);
        QCOMPARE(m_doc->study().metric.script,
                 std::string("function metric(example, pred, trace) {\n"
                             "  // severity_note stays: only the whole word is the field\n"
                             "  return example.level === pred.level ? 1 : 0;\n}\n"));
        QVERIFY(m_page->bannerMessage().isEmpty());
        // The replacement is its own undo step; then the rename.
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().metric.script, study.metric.script);
        QVERIFY(signature().findOutput("level"));
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->study() == study);
    }

    void moveButtonsFollowPositionAndGroup()
    {
        QTableWidget *table = m_page->fieldsTable();
        m_page->addField(true); // two inputs, two outputs: snippet, input | severity, policy_violations
        auto *up = m_page->findChild<QPushButton *>(QStringLiteral("moveUpButton"));
        auto *down = m_page->findChild<QPushButton *>(QStringLiteral("moveDownButton"));
        QVERIFY(up && down);
        auto check = [&](const QString &name, bool upEnabled, bool downEnabled) {
            table->selectRow(rowOf(table, name));
            QVERIFY2(up->isEnabled() == upEnabled, qPrintable(name + QStringLiteral(" up")));
            QVERIFY2(down->isEnabled() == downEnabled, qPrintable(name + QStringLiteral(" down")));
        };
        check(QStringLiteral("snippet"), false, true);
        check(QStringLiteral("input"), true, false); // the last input does not move into the outputs
        check(QStringLiteral("severity"), false, true);
        check(QStringLiteral("policy_violations"), true, false);
        // After a move the buttons follow the field to its new place.
        table->selectRow(rowOf(table, QStringLiteral("severity")));
        QTest::mouseClick(down, Qt::LeftButton);
        QCOMPARE(signature().outputs[1].name, std::string("severity"));
        QCOMPARE(table->currentRow(), rowOf(table, QStringLiteral("severity")));
        QVERIFY(up->isEnabled());
        QVERIFY(!down->isEnabled());
        // Undo rebuilds the table: the buttons still match the selected row.
        m_doc->undoStack()->undo();
        QCOMPARE(signature().outputs[0].name, std::string("severity"));
        QCOMPARE(table->currentRow(), 3); // the same row stays selected: now the last output
        QCOMPARE(table->item(3, 0)->text(), QStringLiteral("policy_violations"));
        QVERIFY(up->isEnabled());
        QVERIFY(!down->isEnabled());
    }
};

QTEST_MAIN(TestSignaturePage)
#include "test_signaturepage.moc"
