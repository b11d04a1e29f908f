#include "widgets/studyinfodialog.h"

#include "qtconvert.h"
#include "studydocument.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

StudyInfoDialog::StudyInfoDialog(const QString &name, const QString &description, QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("studyInfoDialog"));
    setWindowTitle(tr("Study Properties"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("The name appears in the window title, in History, in reports and in exported "
                                "programs. Runs already made keep the name they had."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    m_name = new QLineEdit(name, this);
    m_name->setObjectName(QStringLiteral("studyNameEdit"));
    m_name->setMaxLength(200);
    m_description = new QPlainTextEdit(description, this);
    m_description->setObjectName(QStringLiteral("studyDescriptionEdit"));
    m_description->setPlaceholderText(tr("What this study is for (optional)"));
    m_description->setTabChangesFocus(true);
    const int line = fontMetrics().lineSpacing();
    m_description->setMinimumHeight(line * 4);
    m_description->setMaximumHeight(line * 10);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Description:"), m_description);
    layout->addLayout(form);

    m_hint = new QLabel(tr("A study needs a name."), this);
    m_hint->setObjectName(QStringLiteral("studyNameHint"));
    m_hint->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_hint);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(m_name, &QLineEdit::textChanged, this, &StudyInfoDialog::updateOk);
    updateOk();
    m_name->selectAll();
    resize(fontMetrics().averageCharWidth() * 70, sizeHint().height());
}

QString StudyInfoDialog::name() const
{
    return m_name->text().trimmed();
}

QString StudyInfoDialog::description() const
{
    return m_description->toPlainText().trimmed();
}

void StudyInfoDialog::updateOk()
{
    const bool ok = !name().isEmpty();
    m_ok->setEnabled(ok);
    m_hint->setVisible(!ok);
}

bool StudyInfoDialog::editStudy(StudyDocument *document, QWidget *parent)
{
    const prism::Study &current = document->study();
    StudyInfoDialog dialog(toQ(current.name), toQ(current.description), parent);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    prism::Study study = current;
    study.name = toStd(dialog.name());
    study.description = toStd(dialog.description());
    if (study == current)
        return false;
    const QString undoText =
        study.name != current.name ? tr("Rename study to %1").arg(dialog.name()) : tr("Edit study description");
    document->setStudy(study, undoText);
    return true;
}
