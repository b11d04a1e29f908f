#include "widgets/helpdialog.h"

#include "studiostyle.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QFile>
#include <QKeySequence>
#include <QMap>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace {

QString resourceText(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QObject::tr("<p>This help page is missing from the build (%1).</p>").arg(path.toHtmlEscaped());
    return QString::fromUtf8(file.readAll());
}

} // namespace

QString HelpDialog::shortcutsHtml(const QWidget *window)
{
    // By shortcut text: one row per key, the first action named with it.
    QMap<QString, QString> rows;
    for (const QAction *action : window->findChildren<QAction *>()) {
        if (action->shortcut().isEmpty() || action->text().isEmpty())
            continue;
        QString name = action->text();
        name.remove(QLatin1Char('&'));
        name.replace(QStringLiteral("\u2026"), QString());
        const QString keys = action->shortcut().toString(QKeySequence::NativeText);
        if (!rows.contains(keys))
            rows.insert(keys, name.trimmed());
    }
    QString html = QObject::tr("<h2>Keyboard shortcuts</h2>\n<table cellpadding=\"4\">\n");
    for (auto it = rows.cbegin(); it != rows.cend(); ++it)
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>\n")
                    .arg(it.key().toHtmlEscaped(), it.value().toHtmlEscaped());
    html += QStringLiteral("</table>\n");
    html += QObject::tr("<p>In tables, <b>Delete</b> removes the selected rows and a double-click edits a cell. "
                        "Every edit of the study can be undone.</p>");
    return html;
}

HelpDialog::HelpDialog(Topic topic, QWidget *shortcutsOf, QWidget *parent) : QDialog(parent)
{
    initStudioResources();
    setObjectName(QStringLiteral("helpDialog"));
    setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(this);
    m_browser = new QTextBrowser(this);
    m_browser->setObjectName(QStringLiteral("helpBrowser"));
    m_browser->setOpenExternalLinks(true);
    switch (topic) {
    case Topic::GettingStarted:
        setWindowTitle(tr("Getting Started"));
        m_browser->setHtml(resourceText(QStringLiteral(":/prism/help/getting-started.html")));
        break;
    case Topic::SimulatedModels:
        setWindowTitle(tr("Simulated Models"));
        m_browser->setHtml(resourceText(QStringLiteral(":/prism/help/simulated-models.html")));
        break;
    case Topic::Shortcuts:
        setWindowTitle(tr("Keyboard Shortcuts"));
        m_browser->setHtml(shortcutsHtml(shortcutsOf));
        break;
    }
    layout->addWidget(m_browser, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    layout->addWidget(buttons);
    resize(640, 520); // inside a 1024x640 window
}
