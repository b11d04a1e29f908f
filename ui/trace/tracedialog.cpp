#include "trace/tracedialog.h"

#include "trace/traceview.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

TraceDialog::TraceDialog(const QString &title, QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("traceDialog"));
    setWindowTitle(title);
    setModal(false);
    auto *layout = new QVBoxLayout(this);
    m_view = new TraceView(this);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("traceNote"));
    m_note->setWordWrap(true);
    m_note->hide();
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_copy = buttons->addButton(tr("Copy as &JSON"), QDialogButtonBox::ActionRole);
    m_copy->setObjectName(QStringLiteral("copyJsonButton"));
    m_copy->setEnabled(false);
    connect(m_copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_view->json()); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_note);
    layout->addWidget(buttons);
    // Room for the messages and the completion side by side, inside 1024x640.
    resize(980, 600);
}

TraceDialog::~TraceDialog()
{
    if (m_thread) {
        if (m_cancel)
            m_cancel();
        m_thread->wait();
    }
}

TraceDialog *TraceDialog::open(QWidget *parent, const QString &title)
{
    auto *dialog = new TraceDialog(title, parent ? parent->window() : nullptr);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    dialog->raise();
    return dialog;
}

void TraceDialog::showTrace(const prism::ExampleTrace &trace)
{
    m_view->setTrace(trace);
    m_copy->setEnabled(true);
    emit traceReady();
}

void TraceDialog::setNote(const QString &text)
{
    m_note->setText(text);
    m_note->setVisible(!text.isEmpty());
}

bool TraceDialog::isRunning() const
{
    // Until finishJob has shown the outcome, not merely until the thread ends.
    return !m_thread.isNull();
}

void TraceDialog::start(Job job, std::function<void()> cancel)
{
    if (m_thread)
        return;
    m_view->setMessage(tr("Tracing…"));
    m_copy->setEnabled(false);
    m_cancel = std::move(cancel);
    auto result = std::make_shared<prism::Result<prism::ExampleTrace>>(
        prism::Error::make(prism::ErrorKind::Cancelled, "not run"));
    m_thread = QThread::create([job = std::move(job), result] { *result = job(); });
    connect(m_thread, &QThread::finished, this, [this, result] { finishJob(result); });
    connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    m_thread->start();
}

void TraceDialog::finishJob(const std::shared_ptr<prism::Result<prism::ExampleTrace>> &result)
{
    m_thread = nullptr;
    m_cancel = {};
    if (*result) {
        showTrace(result->value());
        return;
    }
    m_view->setMessage(tr("No trace: %1").arg(QString::fromStdString(result->error().message)), true);
    emit traceReady();
}
