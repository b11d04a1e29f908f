#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class StudyDocument;

// The Metric page's Judge mode: an LLM-as-judge metric (docs/STUDY_FORMAT.md,
// "Judge metrics"). The rubric, the reference field, the pass threshold, and
// whether the Builder's field metrics decide first, so the judge model is
// called only for the answers they cannot settle. Every edit is one undoable
// StudyDocument::setStudy; typing in the rubric merges into one undo step.
class JudgePane final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JudgePane)

public:
    explicit JudgePane(StudyDocument *document, QWidget *parent = nullptr);

    // Puts the study's judge settings into the controls (after an undo, a load...).
    void syncFromStudy();

    QPlainTextEdit *rubricEditor() const { return m_rubric; }
    QComboBox *referenceCombo() const { return m_reference; }
    QDoubleSpinBox *thresholdSpin() const { return m_threshold; }
    QCheckBox *cheapFirstCheck() const { return m_cheapFirst; }
    QComboBox *cheapDecidesCombo() const { return m_cheapDecides; }
    QLabel *summaryLabel() const { return m_summary; }

private:
    void commit(const QString &undoText, const QString &mergeKey = {});
    void updateSummary();

    StudyDocument *m_document;
    bool m_syncing = false;
    QPlainTextEdit *m_rubric = nullptr;
    QComboBox *m_reference = nullptr;
    QDoubleSpinBox *m_threshold = nullptr;
    QCheckBox *m_cheapFirst = nullptr;
    QComboBox *m_cheapDecides = nullptr;
    QLabel *m_summary = nullptr;
};
