#pragma once

#include <QDialog>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class StudyDocument;

// "Study Properties…": the study's name and description. The name is what
// the window title, every run in History, the report and the exported
// program carry, so it is editable wherever the study is (File menu and the
// Dataset page), not only in the .prism.json file.
class StudyInfoDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StudyInfoDialog)

public:
    StudyInfoDialog(const QString &name, const QString &description, QWidget *parent = nullptr);

    QString name() const;
    QString description() const;

    // Shows the dialog for the document's study and applies a change as one
    // undoable edit. Returns true when the study changed.
    static bool editStudy(StudyDocument *document, QWidget *parent);

private:
    void updateOk();

    QLineEdit *m_name = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QLabel *m_hint = nullptr;
    QPushButton *m_ok = nullptr;
};
