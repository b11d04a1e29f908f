#include "pages/judgepane.h"

#include "qtconvert.h"
#include "studydocument.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace {

// A rubric to start from when a study switches to the judge.
QString starterRubric()
{
    return QObject::tr("The response answers what was asked, correctly and completely, and says nothing the "
                       "inputs do not support.");
}

} // namespace

JudgePane::JudgePane(StudyDocument *document, QWidget *parent) : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("judgePane"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *help = new QLabel(tr("A judge model reads each answer with the example's inputs, the rubric and, when "
                               "set, the reference label, and scores it from 0 to 1 with a reason (the "
                               "feedback optimizers read). Its calls have their own role, <b>judge</b>, in the "
                               "ledger; an answer already judged is never judged again. The judge model is "
                               "set on the Models page (models.judge; the proposer model by default)."),
                            this);
    help->setWordWrap(true);
    layout->addWidget(help);

    auto *form = new QFormLayout;
    m_rubric = new QPlainTextEdit(this);
    m_rubric->setObjectName(QStringLiteral("judgeRubric"));
    m_rubric->setAccessibleName(tr("Rubric"));
    m_rubric->setPlaceholderText(starterRubric());
    m_rubric->setTabChangesFocus(true);
    m_rubric->setMinimumHeight(fontMetrics().lineSpacing() * 4);
    form->addRow(tr("&Rubric:"), m_rubric);

    m_reference = new QComboBox(this);
    m_reference->setObjectName(QStringLiteral("judgeReference"));
    m_reference->setToolTip(tr("The label the judge compares the answer with; none judges by the rubric alone"));
    form->addRow(tr("R&eference field:"), m_reference);

    m_threshold = new QDoubleSpinBox(this);
    m_threshold->setObjectName(QStringLiteral("judgeThreshold"));
    m_threshold->setRange(0.0, 1.0);
    m_threshold->setSingleStep(0.05);
    m_threshold->setDecimals(2);
    m_threshold->setToolTip(tr("A score at or above this passes; bootstrapping keeps demos that pass unless "
                               "the optimizer sets its own metric threshold"));
    form->addRow(tr("&Pass threshold:"), m_threshold);

    m_cheapFirst = new QCheckBox(tr("Let exact match decide &first"), this);
    m_cheapFirst->setObjectName(QStringLiteral("judgeCheapFirst"));
    m_cheapFirst->setToolTip(tr("Exact match on each final output; the answers it settles cost no judge call "
                                "(other field metrics: metric.fields in the study file)"));
    m_cheapDecides = new QComboBox(this);
    m_cheapDecides->setObjectName(QStringLiteral("judgeCheapDecides"));
    m_cheapDecides->addItem(tr("a perfect score passes without the judge"), QStringLiteral("pass"));
    m_cheapDecides->addItem(tr("a perfect score passes, a zero fails, without the judge"),
                            QStringLiteral("pass_and_fail"));
    auto *cheapRow = new QHBoxLayout;
    cheapRow->addWidget(m_cheapFirst);
    cheapRow->addWidget(m_cheapDecides, 1);
    form->addRow(QString(), cheapRow);
    layout->addLayout(form);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("judgeSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);
    layout->addStretch(1);

    connect(m_rubric, &QPlainTextEdit::textChanged, this,
            [this] { commit(tr("Edit Judge Rubric"), QStringLiteral("judge-rubric")); });
    connect(m_reference, &QComboBox::currentIndexChanged, this, [this] { commit(tr("Set Judge Reference")); });
    connect(m_threshold, &QDoubleSpinBox::valueChanged, this,
            [this] { commit(tr("Set Judge Pass Threshold"), QStringLiteral("judge-threshold")); });
    connect(m_cheapFirst, &QCheckBox::toggled, this, [this] { commit(tr("Decide with Field Metrics First")); });
    connect(m_cheapDecides, &QComboBox::currentIndexChanged, this,
            [this] { commit(tr("Set What Field Metrics Decide")); });
    syncFromStudy();
}

void JudgePane::syncFromStudy()
{
    const prism::Study &study = m_document->study();
    const prism::JudgeSpec &judge = study.metric.judge;
    m_syncing = true;
    if (m_rubric->toPlainText() != toQ(judge.rubric))
        m_rubric->setPlainText(toQ(judge.rubric));
    m_reference->clear();
    m_reference->addItem(tr("(none: the rubric alone)"), QString());
    for (const prism::Field &f : study.program.allOutputs())
        m_reference->addItem(toQ(f.name), toQ(f.name));
    m_reference->setCurrentIndex(std::max(0, m_reference->findData(toQ(judge.referenceField))));
    m_threshold->setValue(judge.passThreshold);
    const bool cheapFirst = study.metric.kind == "judge" && !study.metric.fields.empty();
    m_cheapFirst->setChecked(cheapFirst);
    m_cheapDecides->setCurrentIndex(std::max(0, m_cheapDecides->findData(toQ(judge.cheapDecides))));
    m_cheapDecides->setEnabled(cheapFirst);
    m_syncing = false;
    updateSummary();
}

void JudgePane::commit(const QString &undoText, const QString &mergeKey)
{
    if (m_syncing)
        return;
    prism::Study study = m_document->study();
    prism::JudgeSpec &judge = study.metric.judge;
    study.metric.kind = "judge";
    judge.rubric = m_rubric->toPlainText().toStdString();
    judge.referenceField = m_reference->currentData().toString().toStdString();
    judge.passThreshold = m_threshold->value();
    judge.cheapDecides = m_cheapDecides->currentData().toString().toStdString();
    if (!m_cheapFirst->isChecked()) {
        study.metric.fields.clear();
    } else if (study.metric.fields.empty()) {
        // Exact match on each final output (a study file may list other field metrics).
        for (const prism::Field &f : study.program.predictors.back().signature.outputs)
            study.metric.fields.push_back(prism::FieldMetric{f.name, "exact", 1.0, 0.0, {}});
    }
    m_cheapDecides->setEnabled(m_cheapFirst->isChecked());
    if (!(study.metric == m_document->study().metric))
        m_document->setStudy(study, undoText, mergeKey);
    updateSummary();
}

void JudgePane::updateSummary()
{
    const prism::MetricSpec &metric = m_document->study().metric;
    QStringList parts;
    if (QString::fromStdString(metric.judge.rubric).trimmed().isEmpty())
        parts << tr("<span style='color:#b3261e'>The rubric is empty: say what a good answer does.</span>");
    if (metric.kind == "judge" && !metric.fields.empty()) {
        QStringList fields;
        for (const prism::FieldMetric &f : metric.fields)
            fields << QStringLiteral("%1 on %2").arg(toQ(f.metric), toQ(f.field)).toHtmlEscaped();
        parts << tr("First: %1. The judge is called only for the answers these cannot decide.")
                     .arg(fields.join(QStringLiteral(", ")));
    }
    m_summary->setText(parts.join(QStringLiteral("<br>")));
}
