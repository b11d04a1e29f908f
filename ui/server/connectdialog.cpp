#include "server/connectdialog.h"

#include "qtconvert.h"
#include "server/serversession.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent), m_url(new QLineEdit(this)), m_token(new QLineEdit(this)), m_problem(new QLabel(this)),
      m_connect(new QPushButton(tr("&Connect"), this))
{
    setWindowTitle(tr("Connect to Server"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Runs start on the team server's workers and keep going when the studio closes. "
                                "History, Monitor and Compare show the team's runs."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    m_url->setObjectName(QStringLiteral("serverUrl"));
    m_url->setPlaceholderText(QStringLiteral("https://prism.example.com"));
    m_url->setText(QSettings().value(QStringLiteral("server/url")).toString());
    m_token->setObjectName(QStringLiteral("serverToken"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("prism_… (from prism serve token add)"));
    m_token->setText(qEnvironmentVariable("PRISM_SERVER_TOKEN"));
    form->addRow(tr("Server &address:"), m_url);
    form->addRow(tr("Team &token:"), m_token);
    layout->addLayout(form);
    m_problem->setObjectName(QStringLiteral("connectProblem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b3261e"));
    m_problem->hide();
    layout->addWidget(m_problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_connect->setDefault(true);
    buttons->addButton(m_connect, QDialogButtonBox::AcceptRole);
    layout->addWidget(buttons);
    connect(m_connect, &QPushButton::clicked, this, &ConnectDialog::tryConnect);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void ConnectDialog::tryConnect()
{
    QApplication::setOverrideCursor(Qt::WaitCursor);
    auto session = ServerSession::connect(m_url->text(), m_token->text());
    QApplication::restoreOverrideCursor();
    if (!session) {
        m_problem->setText(toQ(session.error().message));
        m_problem->show();
        return;
    }
    QSettings().setValue(QStringLiteral("server/url"), m_url->text().trimmed());
    m_session = session.value();
    accept();
}
