#include "pages/signaturepage.h"

#include "models/rowtablemodel.h"
#include "qtconvert.h"
#include "studydocument.h"
#include "widgets/errorbanner.h"
#include "widgets/programgraph.h"

#include "engine/jobmodels.h"

#include "adapter/predict.h"
#include "core/json.h"

#include <nlohmann/json.hpp>

#include "adapter/adapter.h"
#include "lm/estimate.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextEdit>
#include <QThread>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

#include <set>

namespace {

const QStringList kindNames = {QStringLiteral("str"), QStringLiteral("int"), QStringLiteral("float"),
                               QStringLiteral("bool"), QStringLiteral("enum")};

int kindIndex(const prism::Type &type)
{
    switch (type.kind()) {
    case prism::TypeKind::String: return 0;
    case prism::TypeKind::Int: return 1;
    case prism::TypeKind::Float: return 2;
    case prism::TypeKind::Bool: return 3;
    case prism::TypeKind::Enum: return 4;
    case prism::TypeKind::List: return 0;
    }
    return 0;
}

prism::Type baseType(int kind, const std::vector<std::string> &values)
{
    switch (kind) {
    case 1: return prism::Type::integer();
    case 2: return prism::Type::floating();
    case 3: return prism::Type::boolean();
    case 4: return prism::Type::enumOf(values);
    default: return prism::Type::string();
    }
}

std::vector<std::string> parseValues(const QString &text)
{
    std::vector<std::string> values;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const std::string v = toStd(part.trimmed());
        if (!v.empty() && std::find(values.begin(), values.end(), v) == values.end())
            values.push_back(v);
    }
    return values;
}

QString joinValues(const std::vector<std::string> &values)
{
    QStringList parts;
    for (const auto &v : values)
        parts << toQ(v);
    return parts.join(QStringLiteral(", "));
}

// The time a pause in typing ends an undo step.
constexpr qint64 typingPauseMs = 1500;

} // namespace

SignaturePage::SignaturePage(StudyDocument *document, QWidget *parent) : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("signaturePage"));
    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);
    layout->addLayout(buildPredictorBar());

    // The diagram, as tall as its nodes, above the chosen stage's editor.
    layout->addWidget(buildProgramPane());
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("signatureSplitter"));
    splitter->setChildrenCollapsible(false);
    QSplitter *left = buildEditorSplitter(splitter);
    QWidget *right = buildPreviewPane(splitter);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    m_previewTimer = new QTimer(this);
    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(150);
    connect(m_previewTimer, &QTimer::timeout, this, &SignaturePage::renderPreview);
    connectSignals();

    m_removeField->setEnabled(false);
    m_upField->setEnabled(false);
    m_downField->setEnabled(false);
    m_moveToStage->setEnabled(false);
    syncFromStudy();
    renderPreview();
    m_leftSplitter = left;
    left->setStretchFactor(0, 1);
    left->setStretchFactor(1, 0);
}

SignaturePage::~SignaturePage()
{
    // The worker holds its own copies; stop it and let it finish before the page goes.
    if (m_earlierModels)
        m_earlierModels->cancel();
    if (m_earlierThread)
        m_earlierThread->wait();
}

std::string SignaturePage::earlierStagesKey() const
{
    const prism::Study &study = m_document->study();
    prism::Program earlier;
    const auto count =
        std::min<std::size_t>(static_cast<std::size_t>(std::max(0, m_predictor)), study.program.predictors.size());
    earlier.predictors.assign(study.program.predictors.begin(),
                              study.program.predictors.begin() + static_cast<std::ptrdiff_t>(count));
    return prism::toJson(earlier).dump() + "\n" + study.taskModel.model + "\n" + study.taskModel.baseUrl + "\n"
           + std::to_string(study.eval.adapter == prism::AdapterKind::Json);
}

void SignaturePage::runEarlierStages()
{
    const prism::Study study = m_document->study();
    const auto &train = m_document->examples(Split::Train);
    const int row = previewRow();
    if (isRunningEarlierStages() || m_predictor <= 0 || row < 0 || row >= static_cast<int>(train.size()))
        return;
    prism::Program earlier;
    earlier.predictors.assign(study.program.predictors.begin(),
                              study.program.predictors.begin() + static_cast<std::ptrdiff_t>(m_predictor));
    const prism::Fields inputs = train[static_cast<std::size_t>(row)].values;
    const std::string key = earlierStagesKey();
    auto models = std::make_shared<JobModels>();
    auto produced = std::make_shared<prism::Prediction>();
    auto failure = std::make_shared<std::string>();
    m_earlierModels = models;
    m_earlierThread = QThread::create([study, earlier, inputs, models, produced, failure] {
        auto opened = models->open(study);
        if (!opened) {
            *failure = opened.error().message;
            return;
        }
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        // The evaluation's call settings, so what a run asked before is a cache hit.
        prism::CallOptions call;
        call.temperature = opened.value()->taskConfig.temperature;
        call.maxTokens = opened.value()->taskConfig.maxTokens;
        call.role = "evaluation";
        *produced = prism::runProgram(earlier, inputs, *opened.value()->task, *adapter, call);
        if (produced->error)
            *failure = produced->error->message;
    });
    m_runEarlier->setEnabled(false);
    m_earlierRunning = true;
    connect(m_earlierThread, &QThread::finished, this, [this, models, produced, failure, row, key] {
        m_earlierRunning = false;
        emit spent(spendFromLedger(models->ledgerByRole()));
        m_runEarlier->setEnabled(true);
        if (!failure->empty()) {
            showProblem(tr("The earlier stages could not run: %1").arg(toQ(*failure)));
            return;
        }
        m_produced = Produced{row, key, produced->values};
        schedulePreview();
    });
    connect(m_earlierThread, &QThread::finished, m_earlierThread, &QObject::deleteLater);
    m_earlierThread->start();
}

QHBoxLayout *SignaturePage::buildPredictorBar()
{
    // Predictor and module kind.
    auto *top = new QHBoxLayout;
    m_predictorLabel = new QLabel(tr("S&tage:"), this);
    m_predictorCombo = new QComboBox(this);
    m_predictorCombo->setObjectName(QStringLiteral("predictorCombo"));
    m_predictorLabel->setBuddy(m_predictorCombo);
    auto *kindLabel = new QLabel(tr("&Module:"), this);
    m_kindCombo = new QComboBox(this);
    m_kindCombo->setObjectName(QStringLiteral("kindCombo"));
    m_kindCombo->addItem(tr("Predict"), static_cast<int>(prism::PredictorKind::Predict));
    m_kindCombo->addItem(tr("ChainOfThought"), static_cast<int>(prism::PredictorKind::ChainOfThought));
    m_kindCombo->setToolTip(tr("ChainOfThought adds a 'reasoning' output before the others, as DSPy does."));
    kindLabel->setBuddy(m_kindCombo);
    m_frozenCheck = new QCheckBox(tr("Fro&zen"), this);
    m_frozenCheck->setObjectName(QStringLiteral("frozenCheck"));
    m_frozenCheck->setToolTip(tr("Optimizers keep this stage's instruction and demos as they are and vary only "
                                 "the other stages"));
    top->addWidget(m_predictorLabel);
    top->addWidget(m_predictorCombo);
    top->addSpacing(fontMetrics().averageCharWidth() * 2);
    top->addWidget(kindLabel);
    top->addWidget(m_kindCombo);
    top->addSpacing(fontMetrics().averageCharWidth() * 2);
    top->addWidget(m_frozenCheck);
    top->addStretch(1);

    auto *addBefore = new QPushButton(tr("Add Stage &Before"), this);
    addBefore->setObjectName(QStringLiteral("addStageBeforeButton"));
    addBefore->setToolTip(tr("A new stage before this one: it reads what this stage reads and hands it a note"));
    auto *addAfter = new QPushButton(tr("Add Stage &After"), this);
    addAfter->setObjectName(QStringLiteral("addStageAfterButton"));
    addAfter->setToolTip(tr("A new stage after this one: it reads this stage's outputs"));
    m_removeStage = new QPushButton(tr("Remove Stage"), this);
    m_removeStage->setObjectName(QStringLiteral("removeStageButton"));
    auto *rename = new QPushButton(tr("Re&name Stage…"), this);
    rename->setObjectName(QStringLiteral("renameStageButton"));
    m_stageEarlier = new QPushButton(tr("◀ Earlier"), this);
    m_stageEarlier->setObjectName(QStringLiteral("stageEarlierButton"));
    m_stageEarlier->setToolTip(tr("Move this stage one place earlier"));
    m_stageLater = new QPushButton(tr("Later ▶"), this);
    m_stageLater->setObjectName(QStringLiteral("stageLaterButton"));
    m_stageLater->setToolTip(tr("Move this stage one place later"));
    // The stage buttons get a row of their own, over the diagram: one row
    // with the stage's own settings would not fit a 1024-pixel window.
    m_stageButtons = new QHBoxLayout;
    for (QPushButton *b : {addBefore, addAfter, m_removeStage, rename, m_stageEarlier, m_stageLater})
        m_stageButtons->addWidget(b);
    m_stageButtons->addStretch(1);
    connect(addBefore, &QPushButton::clicked, this, &SignaturePage::addStageBefore);
    connect(addAfter, &QPushButton::clicked, this, &SignaturePage::addStageAfter);
    connect(m_removeStage, &QPushButton::clicked, this, &SignaturePage::removeCurrentStage);
    connect(m_stageEarlier, &QPushButton::clicked, this, [this] { moveCurrentStage(-1); });
    connect(m_stageLater, &QPushButton::clicked, this, [this] { moveCurrentStage(1); });
    connect(rename, &QPushButton::clicked, this, [this] {
        const auto &predictors = m_document->study().program.predictors;
        if (m_predictor >= static_cast<int>(predictors.size()))
            return;
        bool ok = false;
        const QString name =
            QInputDialog::getText(this, tr("Rename Stage"), tr("Name (DSPy's attribute name for the module):"),
                                  QLineEdit::Normal, toQ(predictors[static_cast<std::size_t>(m_predictor)].name), &ok);
        if (ok)
            renameCurrentStage(name.trimmed());
    });
    return top;
}

QWidget *SignaturePage::buildProgramPane()
{
    auto *pane = new QWidget(this);
    auto *paneLayout = new QVBoxLayout(pane);
    paneLayout->setContentsMargins(0, 0, 0, 0);
    paneLayout->addLayout(m_stageButtons);
    m_graph = new ProgramGraph(pane);
    connect(m_graph, &ProgramGraph::stageClicked, this, &SignaturePage::setCurrentPredictor);
    paneLayout->addWidget(m_graph, 1);
    m_wiringLabel = new QLabel(pane);
    m_wiringLabel->setObjectName(QStringLiteral("wiringProblems"));
    m_wiringLabel->setWordWrap(true);
    m_wiringLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_wiringLabel->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_wiringLabel->hide();
    paneLayout->addWidget(m_wiringLabel);
    return pane;
}

std::optional<std::vector<std::string>> SignaturePage::datasetColumns() const
{
    // Read from every row once per data change, not on each edit of the study
    // (each keystroke in the instruction redraws the diagram).
    if (m_columnsStale) {
        m_columnsStale = false;
        m_columns.reset();
        const auto &rows = m_document->examples(Split::Train);
        if (!rows.empty()) { // no data yet: a missing column cannot be told
            m_columns.emplace();
            for (const auto &row : rows)
                addColumnsOf(row);
        }
    }
    return m_columns;
}

void SignaturePage::addColumnsOf(const prism::Example &row) const
{
    if (!m_columns)
        return;
    for (const auto &[name, value] : row.values)
        if (std::find(m_columns->begin(), m_columns->end(), name) == m_columns->end())
            m_columns->push_back(name);
}

void SignaturePage::refreshGraph()
{
    const prism::Program &program = m_document->study().program;
    const prism::ProgramWiring wiring = prism::wireProgram(program, datasetColumns());
    m_graph->setProgram(program, wiring, m_predictor);
    m_graph->setFixedHeight(std::min(m_graph->preferredHeight(), fontMetrics().height() * 16));
    m_wiringProblems.clear();
    for (const auto &problem : wiring.problems(program))
        m_wiringProblems << toQ(problem);
    m_wiringLabel->setText(m_wiringProblems.join(QLatin1Char('\n')));
    m_wiringLabel->setVisible(!m_wiringProblems.isEmpty());
    const int count = static_cast<int>(program.predictors.size());
    m_removeStage->setEnabled(count > 1);
    m_stageEarlier->setEnabled(m_predictor > 0);
    m_stageLater->setEnabled(m_predictor + 1 < count);
}

QStringList SignaturePage::wiringProblems() const
{
    return m_wiringProblems;
}

void SignaturePage::applyEdit(const prism::Result<prism::StageEdit> &edit, const QString &undoText)
{
    if (!edit) {
        showProblem(toQ(edit.error().message));
        return;
    }
    if (edit->study == m_document->study())
        return; // renamed to its own name: no undo step
    m_predictor = static_cast<int>(edit->stage);
    ++m_typingSession;
    m_shownRows.clear();
    m_document->setStudy(edit->study, undoText);
}

void SignaturePage::addStageBefore()
{
    applyEdit(prism::addStageBefore(m_document->study(), static_cast<std::size_t>(m_predictor)), tr("Add Stage"));
}

void SignaturePage::addStageAfter()
{
    applyEdit(prism::addStageAfter(m_document->study(), static_cast<std::size_t>(m_predictor)), tr("Add Stage"));
}

void SignaturePage::removeCurrentStage()
{
    const auto &predictors = m_document->study().program.predictors;
    if (m_predictor >= static_cast<int>(predictors.size()))
        return;
    const QString name = toQ(predictors[static_cast<std::size_t>(m_predictor)].name);
    applyEdit(prism::removeStage(m_document->study(), static_cast<std::size_t>(m_predictor)),
              tr("Remove Stage %1").arg(name));
}

void SignaturePage::renameCurrentStage(const QString &name)
{
    applyEdit(prism::renameStage(m_document->study(), static_cast<std::size_t>(m_predictor), toStd(name)),
              tr("Rename Stage to %1").arg(name));
}

void SignaturePage::moveCurrentStage(int delta)
{
    applyEdit(prism::moveStage(m_document->study(), static_cast<std::size_t>(m_predictor), delta),
              delta < 0 ? tr("Move Stage Earlier") : tr("Move Stage Later"));
}

void SignaturePage::moveSelectedFieldToStage(int stage)
{
    const auto rows = fieldRows();
    const int row = m_fields->currentRow();
    if (row < 0 || row >= static_cast<int>(rows.size()) || stage < 0)
        return;
    const std::string field = rows[static_cast<std::size_t>(row)].field.name;
    applyEdit(prism::moveField(m_document->study(), static_cast<std::size_t>(m_predictor), field,
                               static_cast<std::size_t>(stage)),
              tr("Move %1 to Another Stage").arg(toQ(field)));
}

void SignaturePage::addInputFrom(const QString &field)
{
    applyEdit(prism::addInputFrom(m_document->study(), static_cast<std::size_t>(m_predictor), toStd(field)),
              tr("Read %1").arg(field));
}

QStringList SignaturePage::inputChoiceTexts() const
{
    QStringList texts;
    const auto columns = datasetColumns().value_or(std::vector<std::string>{});
    for (const auto &choice : prism::inputChoices(m_document->study(), static_cast<std::size_t>(m_predictor), columns))
        texts << tr("%1 (%2)").arg(toQ(choice.field), choice.stage.empty() ? tr("row") : toQ(choice.stage));
    return texts;
}

void SignaturePage::showInputMenu()
{
    QMenu menu(this);
    const auto columns = datasetColumns().value_or(std::vector<std::string>{});
    const auto choices = prism::inputChoices(m_document->study(), static_cast<std::size_t>(m_predictor), columns);
    if (choices.empty())
        menu.addAction(tr("Nothing else to read: every earlier output and column is read already"))->setEnabled(false);
    for (const auto &choice : choices) {
        const QString field = toQ(choice.field);
        const QString from = choice.stage.empty() ? tr("from the row") : tr("from stage %1").arg(toQ(choice.stage));
        menu.addAction(tr("%1 — %2").arg(field, from), this, [this, field] { addInputFrom(field); });
    }
    menu.exec(m_addInputFrom->mapToGlobal(QPoint(0, m_addInputFrom->height())));
}

void SignaturePage::showMoveMenu()
{
    QMenu menu(this);
    const auto &predictors = m_document->study().program.predictors;
    for (std::size_t s = 0; s < predictors.size(); ++s) {
        if (static_cast<int>(s) == m_predictor)
            continue;
        const int stage = static_cast<int>(s);
        menu.addAction(toQ(predictors[s].name), this, [this, stage] { moveSelectedFieldToStage(stage); });
    }
    menu.exec(m_moveToStage->mapToGlobal(QPoint(0, m_moveToStage->height())));
}

QSplitter *SignaturePage::buildEditorSplitter(QSplitter *parent)
{
    // Instruction above, fields below, the split between them adjustable.
    auto *left = new QSplitter(Qt::Vertical, parent);
    left->setObjectName(QStringLiteral("signatureLeftSplitter"));
    left->setChildrenCollapsible(false);
    QWidget *instructionPane = buildInstructionPane(left);
    QWidget *fieldsPane = buildFieldsPane(left);
    left->addWidget(instructionPane);
    left->addWidget(fieldsPane);
    return left;
}

QWidget *SignaturePage::buildInstructionPane(QSplitter *parent)
{
    auto *instructionPane = new QWidget(parent);
    auto *paneLayout = new QVBoxLayout(instructionPane);
    paneLayout->setContentsMargins(0, 0, 0, 0);
    auto *instructionLabel = new QLabel(tr("<b>Instruction</b>"), instructionPane);
    m_instruction = new QPlainTextEdit(instructionPane);
    m_instruction->setObjectName(QStringLiteral("instructionEdit"));
    m_instruction->setPlaceholderText(
        tr("What the model should do, in plain words. Empty = DSPy's default instruction."));
    // Edits go to the document's undo stack, not the editor's own.
    m_instruction->setUndoRedoEnabled(false);
    m_instruction->installEventFilter(this);
    instructionLabel->setBuddy(m_instruction);
    paneLayout->addWidget(instructionLabel);
    paneLayout->addWidget(m_instruction, 1);
    return instructionPane;
}

QWidget *SignaturePage::buildFieldsPane(QSplitter *parent)
{
    auto *fieldsPane = new QWidget(parent);
    auto *paneLayout = new QVBoxLayout(fieldsPane);
    paneLayout->setContentsMargins(0, 0, 0, 0);
    auto *fieldsLabel = new QLabel(tr("<b>Fields</b>"), fieldsPane);
    paneLayout->addWidget(fieldsLabel);
    m_fields = new QTableWidget(0, ColumnCount, fieldsPane);
    m_fields->setObjectName(QStringLiteral("fieldsTable"));
    m_fields->setHorizontalHeaderLabels(
        {tr("Name"), tr("Role"), tr("Type"), tr("Enum values"), tr("List"), tr("Description")});
    m_fields->horizontalHeaderItem(ValuesColumn)->setToolTip(tr("Allowed values of an enum, separated by commas"));
    m_fields->horizontalHeaderItem(ListColumn)->setToolTip(tr("A list of values of this type"));
    m_fields->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_fields->setSelectionMode(QAbstractItemView::SingleSelection);
    m_fields->verticalHeader()->hide();
    m_fields->horizontalHeader()->setStretchLastSection(true);
    m_fields->setWordWrap(false);
    fieldsLabel->setBuddy(m_fields);
    paneLayout->addWidget(m_fields, 1);

    auto *fieldButtons = new QHBoxLayout;
    auto *addInput = new QPushButton(tr("Add &Input"), fieldsPane);
    addInput->setObjectName(QStringLiteral("addInputButton"));
    auto *addOutput = new QPushButton(tr("Add &Output"), fieldsPane);
    addOutput->setObjectName(QStringLiteral("addOutputButton"));
    m_removeField = new QPushButton(tr("&Remove"), fieldsPane);
    m_removeField->setObjectName(QStringLiteral("removeFieldButton"));
    m_upField = new QPushButton(tr("Move &Up"), fieldsPane);
    m_upField->setObjectName(QStringLiteral("moveUpButton"));
    m_downField = new QPushButton(tr("Move Do&wn"), fieldsPane);
    m_downField->setObjectName(QStringLiteral("moveDownButton"));
    m_addInputFrom = new QPushButton(tr("Read &From…"), fieldsPane);
    m_addInputFrom->setObjectName(QStringLiteral("addInputFromButton"));
    m_addInputFrom->setToolTip(tr("Read an earlier stage's output or a column of the row"));
    m_moveToStage = new QPushButton(tr("Field to &Stage…"), fieldsPane);
    m_moveToStage->setObjectName(QStringLiteral("moveToStageButton"));
    m_moveToStage->setToolTip(tr("Move the selected field to another stage"));
    for (QPushButton *b : {addInput, addOutput, m_removeField, m_upField, m_downField})
        fieldButtons->addWidget(b);
    // Wiring between stages sits with the stage buttons (a 1024-pixel window has no room here).
    m_stageButtons->insertWidget(m_stageButtons->count() - 1, m_addInputFrom);
    m_stageButtons->insertWidget(m_stageButtons->count() - 1, m_moveToStage);
    connect(m_addInputFrom, &QPushButton::clicked, this, &SignaturePage::showInputMenu);
    connect(m_moveToStage, &QPushButton::clicked, this, &SignaturePage::showMoveMenu);
    fieldButtons->addStretch(1);
    paneLayout->addLayout(fieldButtons);
    connect(addInput, &QPushButton::clicked, this, [this] { addField(true); });
    connect(addOutput, &QPushButton::clicked, this, [this] { addField(false); });
    auto *hint =
        new QLabel(tr("Inputs are read from each row of the dataset; outputs are what the model answers and "
                      "the metric scores. Enum values are separated by commas; tick List for zero or more values."),
                   fieldsPane);
    hint->setWordWrap(true);
    hint->setForegroundRole(QPalette::PlaceholderText);
    paneLayout->addWidget(hint);
    return fieldsPane;
}

QWidget *SignaturePage::buildPreviewPane(QSplitter *parent)
{
    // Right: the prompt preview.
    auto *right = new QWidget(parent);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    auto *previewBar = new QHBoxLayout;
    auto *previewTitle = new QLabel(tr("<b>Prompt preview</b>"), right);
    auto *rowLabel = new QLabel(tr("Training &row:"), right);
    m_rowSpin = new QSpinBox(right);
    m_rowSpin->setObjectName(QStringLiteral("previewRowSpin"));
    m_rowSpin->setMinimum(1);
    rowLabel->setBuddy(m_rowSpin);
    previewBar->addWidget(previewTitle);
    previewBar->addStretch(1);
    previewBar->addWidget(rowLabel);
    previewBar->addWidget(m_rowSpin);
    m_runEarlier = new QPushButton(tr("Run &Earlier Stages"), right);
    m_runEarlier->setObjectName(QStringLiteral("runEarlierStagesButton"));
    m_runEarlier->setToolTip(tr("Run the stages before this one on the row with the task model, so the preview "
                                "shows what they produce instead of {placeholders}. Answers already in the "
                                "response cache cost nothing; other calls are paid."));
    connect(m_runEarlier, &QPushButton::clicked, this, &SignaturePage::runEarlierStages);
    previewBar->addWidget(m_runEarlier);
    rightLayout->addLayout(previewBar);
    m_previewInfo = new QLabel(right);
    m_previewInfo->setObjectName(QStringLiteral("previewInfo"));
    m_previewInfo->setWordWrap(true);
    rightLayout->addWidget(m_previewInfo);
    m_preview = new QTextEdit(right);
    m_preview->setObjectName(QStringLiteral("promptPreview"));
    m_preview->setReadOnly(true);
    m_preview->setLineWrapMode(QTextEdit::WidgetWidth);
    m_preview->setAccessibleName(tr("Prompt preview"));
    rightLayout->addWidget(m_preview, 1);
    return right;
}

void SignaturePage::connectSignals()
{
    connect(m_predictorCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_syncing && index >= 0)
            setCurrentPredictor(index);
    });
    connect(m_kindCombo, &QComboBox::currentIndexChanged, this, &SignaturePage::onKindChosen);
    connect(m_frozenCheck, &QCheckBox::toggled, this, &SignaturePage::onFrozenToggled);
    connect(m_instruction, &QPlainTextEdit::textChanged, this, &SignaturePage::onInstructionEdited);
    connect(m_fields, &QTableWidget::cellChanged, this, &SignaturePage::onItemChanged);
    connect(m_fields, &QTableWidget::itemSelectionChanged, this, &SignaturePage::updateFieldButtons);
    // A problem shown for an earlier edit is stale once the study changed again (an edit, an undo).
    connect(m_document->undoStack(), &QUndoStack::indexChanged, m_banner, &ErrorBanner::clear);
    connect(m_banner, &ErrorBanner::actionTriggered, this, &SignaturePage::replaceInScript);
    connect(m_removeField, &QPushButton::clicked, this, &SignaturePage::removeSelectedField);
    connect(m_upField, &QPushButton::clicked, this, [this] { moveSelectedField(-1); });
    connect(m_downField, &QPushButton::clicked, this, [this] { moveSelectedField(1); });
    connect(m_rowSpin, &QSpinBox::valueChanged, this, &SignaturePage::schedulePreview);

    connect(m_document, &StudyDocument::studyChanged, this, &SignaturePage::syncFromStudy);
    connect(m_document, &StudyDocument::documentReset, this, [this] {
        m_columnsStale = true;
        m_predictor = 0;
        m_banner->clear();
        syncFromStudy();
    });
    auto onRows = [this](Split split, int editedRow) {
        if (split != Split::Train)
            return;
        // The columns a stage can read: read again after a whole-split change,
        // and only the edited row after a cell edit.
        const auto &rows = m_document->examples(Split::Train);
        if (editedRow < 0 || editedRow >= static_cast<int>(rows.size()))
            m_columnsStale = true;
        else
            addColumnsOf(rows[static_cast<std::size_t>(editedRow)]);
        updateRowRange();
        refreshGraph();
        schedulePreview();
    };
    connect(m_document, &StudyDocument::dataChanged, this, [onRows](Split split) { onRows(split, -1); });
    connect(m_document, &StudyDocument::rowChanged, this, [onRows](Split split, int row) { onRows(split, row); });
    connect(m_document, &StudyDocument::rowsInserted, this, [onRows](Split split, int, int) { onRows(split, -1); });
    connect(m_document, &StudyDocument::rowsRemoved, this, [onRows](Split split, int, int) { onRows(split, -1); });
}

void SignaturePage::onKindChosen(int index)
{
    if (m_syncing || index < 0)
        return;
    prism::Study study = m_document->study();
    if (m_predictor >= static_cast<int>(study.program.predictors.size()))
        return;
    auto &predictor = study.program.predictors[static_cast<std::size_t>(m_predictor)];
    const auto kind = static_cast<prism::PredictorKind>(m_kindCombo->itemData(index).toInt());
    if (kind == prism::PredictorKind::ChainOfThought && predictor.signature.findField("reasoning")) {
        showProblem(tr("ChainOfThought adds a field named 'reasoning'; rename the existing one first."));
        QTimer::singleShot(0, this, &SignaturePage::syncFromStudy);
        return;
    }
    predictor.kind = kind;
    m_document->setStudy(study, tr("Use %1").arg(m_kindCombo->itemText(index)));
}

void SignaturePage::onFrozenToggled(bool frozen)
{
    if (m_syncing)
        return;
    prism::Study study = m_document->study();
    if (m_predictor >= static_cast<int>(study.program.predictors.size()))
        return;
    auto &predictor = study.program.predictors[static_cast<std::size_t>(m_predictor)];
    predictor.frozen = frozen;
    const QString name = toQ(predictor.name);
    m_document->setStudy(study, frozen ? tr("Freeze %1").arg(name) : tr("Unfreeze %1").arg(name));
}

void SignaturePage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_sized || !m_leftSplitter)
        return;
    m_sized = true;
    // The fields pane starts as tall as its rows (and two spare); the instruction gets the rest.
    QWidget *fieldsPane = m_leftSplitter->widget(1);
    const int rowHeight = m_fields->verticalHeader()->defaultSectionSize();
    const int tableHeight = m_fields->horizontalHeader()->sizeHint().height() + rowHeight * (m_fields->rowCount() + 2)
                            + m_fields->frameWidth() * 2;
    const int fieldsHeight = fieldsPane->sizeHint().height() - m_fields->sizeHint().height() + tableHeight;
    const int total = m_leftSplitter->height();
    if (total > fieldsHeight + fontMetrics().height() * 6)
        m_leftSplitter->setSizes({total - fieldsHeight, fieldsHeight});
}

void SignaturePage::setCurrentPredictor(int index)
{
    const int count = static_cast<int>(m_document->study().program.predictors.size());
    if (index < 0 || index >= count || index == m_predictor)
        return;
    m_predictor = index;
    ++m_typingSession;
    m_shownRows.clear();
    syncFromStudy();
}

void SignaturePage::showProblem(const QString &message)
{
    m_banner->showMessage(message);
}

void SignaturePage::syncFromStudy()
{
    const prism::Study &study = m_document->study();
    const auto &predictors = study.program.predictors;
    if (m_predictor >= static_cast<int>(predictors.size()))
        m_predictor = 0;
    m_syncing = true;
    m_predictorCombo->clear();
    for (const auto &p : predictors)
        m_predictorCombo->addItem(toQ(p.name));
    m_predictorCombo->setCurrentIndex(m_predictor);
    const bool several = predictors.size() > 1;
    m_predictorLabel->setVisible(several);
    m_predictorCombo->setVisible(several);
    // Freezing the only stage would leave an optimizer nothing to change.
    m_frozenCheck->setVisible(several);
    if (!predictors.empty()) {
        const auto &predictor = predictors[static_cast<std::size_t>(m_predictor)];
        m_kindCombo->setCurrentIndex(m_kindCombo->findData(static_cast<int>(predictor.kind)));
        m_frozenCheck->setChecked(predictor.frozen);
        if (predictor.frozen)
            m_frozenCheck->setVisible(true); // so a lone frozen stage can be thawed
        const QString instruction = toQ(predictor.signature.instruction);
        if (m_instruction->toPlainText() != instruction) {
            // An undo, a redo or another predictor: not the user's typing.
            ++m_typingSession;
            QTextCursor cursor = m_instruction->textCursor();
            const int position = cursor.position();
            m_instruction->setPlainText(instruction);
            cursor = m_instruction->textCursor();
            cursor.setPosition(std::min(position, static_cast<int>(instruction.size())));
            m_instruction->setTextCursor(cursor);
        }
    }
    m_syncing = false;
    if (fieldRows().size() != m_shownRows.size() || [&] {
            const auto rows = fieldRows();
            for (std::size_t i = 0; i < rows.size(); ++i)
                if (!(rows[i].field == m_shownRows[i].field) || rows[i].input != m_shownRows[i].input)
                    return true;
            return false;
        }())
        rebuildFieldsTable();
    updateRowRange();
    refreshGraph();
    schedulePreview();
}

std::vector<SignaturePage::FieldRow> SignaturePage::fieldRows() const
{
    std::vector<FieldRow> rows;
    const auto &predictors = m_document->study().program.predictors;
    if (m_predictor >= static_cast<int>(predictors.size()))
        return rows;
    const prism::Signature &signature = predictors[static_cast<std::size_t>(m_predictor)].signature;
    for (const auto &f : signature.inputs)
        rows.push_back({f, true});
    for (const auto &f : signature.outputs)
        rows.push_back({f, false});
    return rows;
}

void SignaturePage::rebuildFieldsTable()
{
    const int selected = m_fields->currentRow();
    m_shownRows = fieldRows();
    const QSignalBlocker blocker(m_fields);
    m_fields->setRowCount(0);
    m_fields->setRowCount(static_cast<int>(m_shownRows.size()));
    for (int r = 0; r < static_cast<int>(m_shownRows.size()); ++r) {
        const FieldRow &row = m_shownRows[static_cast<std::size_t>(r)];
        const prism::Type &type = row.field.type;
        const bool list = type.kind() == prism::TypeKind::List;
        const prism::Type &base = list ? type.element() : type;

        auto *name = new QTableWidgetItem(toQ(row.field.name));
        m_fields->setItem(r, NameColumn, name);

        auto *role = new QComboBox(m_fields);
        role->addItems({tr("Input"), tr("Output")});
        role->setCurrentIndex(row.input ? 0 : 1);
        role->setAccessibleName(tr("Role of %1").arg(toQ(row.field.name)));
        connect(role, &QComboBox::currentIndexChanged, this, [this, r](int index) {
            // Queued: the edit rebuilds the table, which deletes this combo box.
            QMetaObject::invokeMethod(
                this, [this, r, index] { onRoleChanged(r, index); }, Qt::QueuedConnection);
        });
        m_fields->setCellWidget(r, RoleColumn, role);

        auto *kind = new QComboBox(m_fields);
        kind->addItems(kindNames);
        kind->setCurrentIndex(kindIndex(base));
        kind->setAccessibleName(tr("Type of %1").arg(toQ(row.field.name)));
        connect(kind, &QComboBox::currentIndexChanged, this, [this, r] {
            QMetaObject::invokeMethod(
                this, [this, r] { onTypeChanged(r); }, Qt::QueuedConnection);
        });
        m_fields->setCellWidget(r, TypeColumn, kind);

        auto *values =
            new QTableWidgetItem(base.kind() == prism::TypeKind::Enum ? joinValues(base.enumValues()) : QString());
        if (base.kind() != prism::TypeKind::Enum) {
            values->setFlags(values->flags() & ~Qt::ItemIsEditable);
            values->setToolTip(tr("Only enum fields have a list of allowed values"));
        }
        m_fields->setItem(r, ValuesColumn, values);

        auto *listBox = new QWidget(m_fields);
        auto *listLayout = new QHBoxLayout(listBox);
        listLayout->setContentsMargins(0, 0, 0, 0);
        auto *check = new QCheckBox(listBox);
        check->setObjectName(QStringLiteral("listCheck"));
        check->setChecked(list);
        check->setAccessibleName(tr("%1 is a list").arg(toQ(row.field.name)));
        listLayout->addWidget(check, 0, Qt::AlignCenter);
        connect(check, &QCheckBox::toggled, this, [this, r] {
            QMetaObject::invokeMethod(
                this, [this, r] { onTypeChanged(r); }, Qt::QueuedConnection);
        });
        m_fields->setCellWidget(r, ListColumn, listBox);

        auto *description = new QTableWidgetItem(toQ(row.field.description));
        description->setToolTip(toQ(row.field.description));
        m_fields->setItem(r, DescriptionColumn, description);
    }
    const int ch = fontMetrics().averageCharWidth();
    m_fields->setColumnWidth(NameColumn, ch * 20);
    // Wide enough for the combo boxes in the user's font and style.
    QComboBox probe;
    probe.addItems(kindNames);
    m_fields->setColumnWidth(TypeColumn, probe.sizeHint().width() + ch);
    probe.clear();
    probe.addItems({tr("Input"), tr("Output")});
    m_fields->setColumnWidth(RoleColumn, probe.sizeHint().width() + ch);
    m_fields->setColumnWidth(ValuesColumn, ch * 26);
    m_fields->setColumnWidth(ListColumn, ch * 6);
    m_fields->verticalHeader()->setDefaultSectionSize(
        std::max(m_fields->verticalHeader()->defaultSectionSize(), fontMetrics().height() * 2));
    if (selected >= 0 && selected < m_fields->rowCount())
        m_fields->selectRow(selected);
    // The table's signals are blocked here: the buttons follow the restored selection by hand.
    updateFieldButtons();
}

void SignaturePage::commitFieldRows(const std::vector<FieldRow> &rows, const QString &undoText, int selectRow)
{
    prism::Study study = m_document->study();
    if (m_predictor >= static_cast<int>(study.program.predictors.size()))
        return;
    prism::Signature &signature = study.program.predictors[static_cast<std::size_t>(m_predictor)].signature;
    signature.inputs.clear();
    signature.outputs.clear();
    for (const auto &row : rows)
        (row.input ? signature.inputs : signature.outputs).push_back(row.field);
    m_document->setStudy(study, undoText);
    if (selectRow >= 0 && selectRow < m_fields->rowCount())
        m_fields->selectRow(selectRow);
}

void SignaturePage::onItemChanged(int row, int column)
{
    auto rows = fieldRows();
    if (row < 0 || row >= static_cast<int>(rows.size()))
        return;
    FieldRow &target = rows[static_cast<std::size_t>(row)];
    const QString text = m_fields->item(row, column) ? m_fields->item(row, column)->text() : QString();
    // Reverts the cell when an edit is refused.
    auto refuse = [this](const QString &message) {
        showProblem(message);
        m_shownRows.clear();
        QTimer::singleShot(0, this, &SignaturePage::rebuildFieldsTable);
    };
    if (column == NameColumn) {
        const QString name = text.trimmed();
        const std::string oldName = target.field.name;
        if (toStd(name) == oldName)
            return;
        static const QRegularExpression identifier(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
        if (!identifier.match(name).hasMatch()) {
            refuse(tr("'%1' is not a valid field name: use letters, digits and _ (DSPy field names are Python "
                      "identifiers).")
                       .arg(name));
            return;
        }
        for (const auto &other : rows)
            if (toQ(other.field.name) == name) {
                refuse(tr("There is already a field named '%1'.").arg(name));
                return;
            }
        const auto &predictor = m_document->study().program.predictors[static_cast<std::size_t>(m_predictor)];
        if (name == QLatin1String("reasoning") && predictor.kind == prism::PredictorKind::ChainOfThought) {
            refuse(tr("ChainOfThought already adds a field named 'reasoning'."));
            return;
        }
        renameField(std::move(rows), row, oldName, toStd(name));
        return;
    }
    if (column == ValuesColumn) {
        const auto values = parseValues(text);
        if (values.empty()) {
            refuse(tr("An enum needs at least one value, e.g. \"low, medium, high\"."));
            return;
        }
        const bool list = target.field.type.kind() == prism::TypeKind::List;
        const prism::Type base = prism::Type::enumOf(values);
        target.field.type = list ? prism::Type::listOf(base) : base;
        m_banner->clear();
        commitFieldRows(rows, tr("Edit values of %1").arg(toQ(target.field.name)), row);
        // Rows keep their labels; those now outside the enum would not load on reopen.
        int outside = 0;
        for (Split split : allSplits)
            for (const auto &example : m_document->examples(split))
                if (const prism::Value *v = example.values.find(target.field.name))
                    outside += isOutsideEnum(*v, target.field.type) ? 1 : 0;
        if (outside > 0)
            m_banner->showMessage(tr("%1 of the dataset have a %2 label that is not one of these values; the "
                                     "Dataset page highlights them.")
                                      .arg(countOf(outside, tr("row"), tr("rows")), toQ(target.field.name)),
                                  ErrorBanner::Kind::Warning);
        return;
    }
    if (column == DescriptionColumn) {
        target.field.description = toStd(text.trimmed());
        commitFieldRows(rows, tr("Edit description of %1").arg(toQ(target.field.name)), row);
    }
}

void SignaturePage::renameField(std::vector<FieldRow> rows, int row, const std::string &oldName,
                                const std::string &newName)
{
    rows[static_cast<std::size_t>(row)].field.name = newName;
    m_banner->clear();
    prism::Study study = m_document->study();
    auto &predictors = study.program.predictors;
    auto &predictor = predictors[static_cast<std::size_t>(m_predictor)];
    auto renameKey = [&](prism::Fields &values) {
        if (!values.contains(oldName))
            return;
        prism::Fields renamed;
        for (const auto &[key, value] : values)
            renamed.set(key == oldName ? newName : key, value);
        values = std::move(renamed);
    };
    // The metric scores the last predictor's outputs by name: it follows the
    // field when the rename takes that name away from them.
    auto lastOutput = [&](const std::string &name) { return predictors.back().signature.findOutput(name) != nullptr; };
    const bool wasScored = lastOutput(oldName);
    predictor.signature.inputs.clear();
    predictor.signature.outputs.clear();
    for (const auto &r : rows)
        (r.input ? predictor.signature.inputs : predictor.signature.outputs).push_back(r.field);
    for (auto &demo : predictor.demos)
        renameKey(demo.values);
    if (wasScored && !lastOutput(oldName))
        for (auto &fieldMetric : study.metric.fields)
            if (fieldMetric.field == oldName)
                fieldMetric.field = newName;

    // The rows keep their values under the new name, unless another stage still reads the old one.
    bool usedElsewhere = false;
    for (std::size_t p = 0; p < predictors.size(); ++p)
        if (static_cast<int>(p) != m_predictor && predictors[p].signature.findField(oldName))
            usedElsewhere = true;
    bool inData = false;
    for (Split split : allSplits)
        for (const auto &example : m_document->examples(split))
            inData = inData || example.values.contains(oldName);

    QUndoStack *stack = m_document->undoStack();
    const QString undoText = tr("Rename field %1 to %2").arg(toQ(oldName), toQ(newName));
    stack->beginMacro(undoText);
    m_document->setStudy(study, undoText);
    if (row < m_fields->rowCount())
        m_fields->selectRow(row);
    if (inData && !usedElsewhere) {
        prism::StudyData data = m_document->data();
        for (auto *set : {&data.train, &data.val, &data.test})
            for (auto &example : set->examples)
                renameKey(example.values);
        m_document->replaceData(data, undoText);
    }
    stack->endMacro();

    // A script names fields in its own text: offer the replacement, never make it unasked.
    const QRegularExpression word(QStringLiteral("\\b%1\\b").arg(QRegularExpression::escape(toQ(oldName))));
    if (study.metric.kind == "script" && !usedElsewhere && toQ(study.metric.script).contains(word)) {
        m_scriptRename = {oldName, newName};
        m_banner->showMessage(tr("The metric script still mentions '%1'. Scripts are not changed on their own: "
                                 "replace the word '%1' with '%2' in the script?")
                                  .arg(toQ(oldName), toQ(newName)),
                              ErrorBanner::Kind::Warning, tr("Replace in Script"));
    }
}

void SignaturePage::replaceInScript()
{
    const auto [oldName, newName] = m_scriptRename;
    if (oldName.empty())
        return;
    prism::Study study = m_document->study();
    const QRegularExpression word(QStringLiteral("\\b%1\\b").arg(QRegularExpression::escape(toQ(oldName))));
    QString script = toQ(study.metric.script);
    script.replace(word, toQ(newName));
    m_scriptRename = {};
    study.metric.script = toStd(script);
    if (study == m_document->study())
        return;
    m_document->setStudy(study, tr("Replace %1 with %2 in the metric script").arg(toQ(oldName), toQ(newName)));
}

QString SignaturePage::bannerMessage() const
{
    return m_banner->message();
}

void SignaturePage::updateFieldButtons()
{
    const int row = m_fields->currentRow();
    const bool any = row >= 0 && !m_fields->selectedItems().isEmpty();
    const auto rows = fieldRows();
    const auto at = static_cast<std::size_t>(row);
    const bool known = any && at < rows.size();
    // Fields move within their group (inputs, then outputs), as moveSelectedField does.
    m_removeField->setEnabled(any);
    m_upField->setEnabled(known && at > 0 && rows[at - 1].input == rows[at].input);
    m_downField->setEnabled(known && at + 1 < rows.size() && rows[at + 1].input == rows[at].input);
    m_moveToStage->setEnabled(any && m_document->study().program.predictors.size() > 1);
}

void SignaturePage::onRoleChanged(int row, int index)
{
    auto rows = fieldRows();
    if (row < 0 || row >= static_cast<int>(rows.size()))
        return;
    FieldRow moved = rows[static_cast<std::size_t>(row)];
    const bool input = index == 0;
    if (moved.input == input)
        return;
    moved.input = input;
    rows.erase(rows.begin() + row);
    // Inputs first, then outputs: the field joins the end of its new group.
    auto at = input ? std::find_if(rows.begin(), rows.end(), [](const FieldRow &r) { return !r.input; }) : rows.end();
    const int newRow = static_cast<int>(at - rows.begin());
    rows.insert(at, moved);
    commitFieldRows(rows,
                    input ? tr("Make %1 an input").arg(toQ(moved.field.name))
                          : tr("Make %1 an output").arg(toQ(moved.field.name)),
                    newRow);
}

void SignaturePage::onTypeChanged(int row)
{
    auto rows = fieldRows();
    if (row < 0 || row >= static_cast<int>(rows.size()))
        return;
    auto *kindCombo = qobject_cast<QComboBox *>(m_fields->cellWidget(row, TypeColumn));
    auto *listBox = m_fields->cellWidget(row, ListColumn);
    auto *check = listBox ? listBox->findChild<QCheckBox *>() : nullptr;
    if (!kindCombo || !check)
        return;
    FieldRow &target = rows[static_cast<std::size_t>(row)];
    const prism::Type old = target.field.type; // a copy: target changes below
    const prism::Type &oldBase = old.kind() == prism::TypeKind::List ? old.element() : old;
    std::vector<std::string> values =
        oldBase.kind() == prism::TypeKind::Enum ? oldBase.enumValues() : std::vector<std::string>{};
    const int kind = kindCombo->currentIndex();
    if (kind == 4 && values.empty()) {
        // Start from the values the rows already hold, so the data still fits.
        std::set<std::string> seen;
        for (const auto &example : m_document->examples(Split::Train)) {
            const prism::Value *v = example.values.find(target.field.name);
            if (!v)
                continue;
            if (v->isList()) {
                for (const auto &item : v->asList())
                    if (item.isString())
                        seen.insert(item.asString());
            } else if (v->isString()) {
                seen.insert(v->asString());
            }
            if (seen.size() > 20)
                break;
        }
        if (!seen.empty() && seen.size() <= 20)
            values.assign(seen.begin(), seen.end());
        else
            values = {"yes", "no"};
    }
    const prism::Type base = baseType(kind, values);
    target.field.type = check->isChecked() ? prism::Type::listOf(base) : base;
    if (target.field.type == old)
        return;
    commitFieldRows(rows, tr("Change type of %1 to %2").arg(toQ(target.field.name), typeText(target.field.type)), row);
}

void SignaturePage::addField(bool input)
{
    auto rows = fieldRows();
    std::set<std::string> names;
    for (const auto &r : rows)
        names.insert(r.field.name);
    const std::string stem = input ? "input" : "output";
    std::string name = stem;
    for (int i = 2; names.contains(name); ++i)
        name = stem + "_" + std::to_string(i);
    FieldRow row;
    row.field.name = name;
    row.field.type = prism::Type::string();
    row.input = input;
    auto at = input ? std::find_if(rows.begin(), rows.end(), [](const FieldRow &r) { return !r.input; }) : rows.end();
    const int newRow = static_cast<int>(at - rows.begin());
    rows.insert(at, row);
    commitFieldRows(rows, input ? tr("Add input %1").arg(toQ(name)) : tr("Add output %1").arg(toQ(name)), newRow);
    if (QTableWidgetItem *item = m_fields->item(newRow, NameColumn)) {
        m_fields->setCurrentItem(item);
        m_fields->editItem(item);
    }
}

void SignaturePage::removeSelectedField()
{
    auto rows = fieldRows();
    const int row = m_fields->currentRow();
    if (row < 0 || row >= static_cast<int>(rows.size()))
        return;
    const FieldRow removed = rows[static_cast<std::size_t>(row)];
    const int inGroup = static_cast<int>(
        std::count_if(rows.begin(), rows.end(), [&](const FieldRow &r) { return r.input == removed.input; }));
    if (inGroup <= 1) {
        showProblem(removed.input ? tr("A signature needs at least one input.")
                                  : tr("A signature needs at least one output."));
        return;
    }
    rows.erase(rows.begin() + row);
    commitFieldRows(rows, tr("Remove field %1").arg(toQ(removed.field.name)),
                    std::min(row, static_cast<int>(rows.size()) - 1));
}

void SignaturePage::moveSelectedField(int delta)
{
    auto rows = fieldRows();
    const int row = m_fields->currentRow();
    const int to = row + delta;
    if (row < 0 || to < 0 || row >= static_cast<int>(rows.size()) || to >= static_cast<int>(rows.size()))
        return;
    // Fields move within their group; the prompt lists inputs before outputs anyway.
    if (rows[static_cast<std::size_t>(row)].input != rows[static_cast<std::size_t>(to)].input)
        return;
    std::swap(rows[static_cast<std::size_t>(row)], rows[static_cast<std::size_t>(to)]);
    commitFieldRows(rows, tr("Move field %1").arg(toQ(rows[static_cast<std::size_t>(to)].field.name)), to);
}

void SignaturePage::onInstructionEdited()
{
    if (m_syncing)
        return;
    prism::Study study = m_document->study();
    if (m_predictor >= static_cast<int>(study.program.predictors.size()))
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastTypingMs > typingPauseMs)
        ++m_typingSession;
    m_lastTypingMs = now;
    auto &predictor = study.program.predictors[static_cast<std::size_t>(m_predictor)];
    predictor.signature.instruction = toStd(m_instruction->toPlainText());
    // Coming back through studyChanged, the text already matches: syncFromStudy leaves the editor alone.
    m_document->setStudy(study, tr("Edit instruction"),
                         QStringLiteral("instruction:%1:%2").arg(m_predictor).arg(m_typingSession));
    schedulePreview();
}

bool SignaturePage::eventFilter(QObject *watched, QEvent *event)
{
    // Ctrl+Z in the instruction editor undoes through the document, like Edit > Undo.
    if (watched == m_instruction && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Undo)) {
            m_document->undoStack()->undo();
            return true;
        }
        if (key->matches(QKeySequence::Redo)) {
            m_document->undoStack()->redo();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

int SignaturePage::previewRow() const
{
    return m_rowSpin->value() - 1;
}

void SignaturePage::setPreviewRow(int row)
{
    m_rowSpin->setValue(row + 1);
}

void SignaturePage::updateRowRange()
{
    const int rows = m_document->rowCount(Split::Train);
    const QSignalBlocker blocker(m_rowSpin);
    m_rowSpin->setMaximum(std::max(1, rows));
    m_rowSpin->setEnabled(rows > 0);
    m_rowSpin->setSuffix(tr(" of %1").arg(rows));
}

void SignaturePage::schedulePreview()
{
    m_previewTimer->start();
}

void SignaturePage::flushPreview()
{
    m_previewTimer->stop();
    renderPreview();
}

QString SignaturePage::previewText() const
{
    return m_preview->toPlainText();
}

void SignaturePage::renderPreview()
{
    m_messages.clear();
    m_preview->clear();
    const prism::Study &study = m_document->study();
    const auto &predictors = study.program.predictors;
    if (m_predictor >= static_cast<int>(predictors.size())) {
        m_previewInfo->setText(tr("The program has no predictor."));
        return;
    }
    const auto adapter = prism::makeAdapter(study.eval.adapter);
    const auto &predictor = predictors[static_cast<std::size_t>(m_predictor)];
    const prism::Signature signature = predictor.effectiveSignature();

    // Inputs from the chosen row. What an earlier stage produces is only known
    // at run time: shown as {field}, as the prompt export does.
    std::set<std::string> produced;
    for (int p = 0; p < m_predictor; ++p)
        for (const auto &f : predictors[static_cast<std::size_t>(p)].effectiveSignature().outputs)
            produced.insert(f.name);
    const auto &train = m_document->examples(Split::Train);
    const int row = previewRow();
    const prism::Example *example =
        row >= 0 && row < static_cast<int>(train.size()) ? &train[static_cast<std::size_t>(row)] : nullptr;
    // What the earlier stages produced for this row, when they were run and have not changed since.
    const prism::Fields *ran =
        m_produced && m_produced->row == row && m_produced->key == earlierStagesKey() ? &m_produced->values : nullptr;
    prism::Fields inputs;
    bool shownProduced = false;
    for (const auto &field : signature.inputs) {
        const prism::Value *value = example ? example->values.find(field.name) : nullptr;
        const prism::Value *output = ran ? ran->find(field.name) : nullptr;
        if (produced.contains(field.name) && output) {
            inputs.set(field.name, *output);
            shownProduced = true;
        } else if (value && !produced.contains(field.name)) {
            inputs.set(field.name, *value);
        } else {
            inputs.set(field.name, prism::Value("{" + field.name + "}"));
        }
    }
    const bool readsEarlier = std::any_of(signature.inputs.begin(), signature.inputs.end(),
                                          [&](const prism::Field &f) { return produced.contains(f.name); });
    m_runEarlier->setVisible(readsEarlier);
    m_messages = adapter->format(signature, predictor.demos, inputs);

    std::size_t chars = 0;
    for (const auto &m : m_messages)
        chars += m.content.size();
    QString info = tr("%1 \u00b7 %2")
                       .arg(QLatin1String(adapter->name()),
                            countOf(static_cast<long long>(predictor.demos.size()), tr("demo"), tr("demos")));
    info +=
        QStringLiteral(" \u00b7 ") + countOf(static_cast<long long>(m_messages.size()), tr("message"), tr("messages"));
    info += tr(" \u00b7 about %1 tokens").arg(prism::estimateTokens(chars));
    if (!example)
        info += tr(" \u00b7 no training row: inputs shown as {placeholders}");
    else if (shownProduced)
        info += tr(" \u00b7 earlier stages' outputs as the pipeline produced them for this row");
    m_previewInfo->setText(info);

    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    QTextCursor cursor(m_preview->document());
    bool first = true;
    for (const auto &message : m_messages) {
        QTextBlockFormat headFormat;
        headFormat.setBackground(message.role == "system"      ? QColor(232, 238, 250)
                                 : message.role == "assistant" ? QColor(233, 245, 236)
                                                               : QColor(250, 243, 228));
        headFormat.setTopMargin(first ? 0 : fontMetrics().height());
        headFormat.setLeftMargin(0);
        QTextCharFormat headChars;
        headChars.setFontWeight(QFont::Bold);
        if (first)
            cursor.setBlockFormat(headFormat);
        else
            cursor.insertBlock(headFormat);
        cursor.setCharFormat(headChars);
        cursor.insertText(toQ(message.role).toUpper());
        QTextBlockFormat bodyFormat;
        bodyFormat.setLeftMargin(fontMetrics().averageCharWidth());
        bodyFormat.setTopMargin(fontMetrics().height() / 4);
        QTextCharFormat bodyChars;
        bodyChars.setFont(mono);
        cursor.insertBlock(bodyFormat, bodyChars);
        cursor.insertText(toQ(message.content));
        first = false;
    }
    m_preview->moveCursor(QTextCursor::Start);
}
