#include "widgets/errorbanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

ErrorBanner::ErrorBanner(QWidget *parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("errorBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    auto *layout = new QHBoxLayout(this);
    const int unit = fontMetrics().height() / 2;
    layout->setContentsMargins(unit, unit / 2, unit / 2, unit / 2);
    m_icon = new QLabel(this);
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("errorBannerText"));
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::PlainText);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_action = new QPushButton(this);
    m_action->setObjectName(QStringLiteral("errorBannerAction"));
    m_action->hide();
    connect(m_action, &QPushButton::clicked, this, &ErrorBanner::actionTriggered);
    auto *close = new QToolButton(this);
    close->setAutoRaise(true);
    close->setText(QStringLiteral("\u2715"));
    close->setToolTip(tr("Dismiss"));
    close->setAccessibleName(tr("Dismiss message"));
    layout->addWidget(m_icon, 0, Qt::AlignTop);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_action, 0, Qt::AlignTop);
    layout->addWidget(close, 0, Qt::AlignTop);
    connect(close, &QToolButton::clicked, this, &ErrorBanner::clear);
    hide();
}

void ErrorBanner::showMessage(const QString &message, Kind kind, const QString &actionText)
{
    m_kind = kind;
    QPalette pal = palette();
    QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
    switch (kind) {
    case Kind::Error:
        pal.setColor(QPalette::Window, QColor(253, 234, 231));
        pal.setColor(QPalette::WindowText, QColor(120, 20, 10));
        icon = QStyle::SP_MessageBoxCritical;
        break;
    case Kind::Warning:
        pal.setColor(QPalette::Window, QColor(255, 244, 214));
        pal.setColor(QPalette::WindowText, QColor(95, 60, 0));
        icon = QStyle::SP_MessageBoxWarning;
        break;
    case Kind::Info:
        pal.setColor(QPalette::Window, QColor(231, 242, 253));
        pal.setColor(QPalette::WindowText, QColor(20, 50, 100));
        break;
    }
    setPalette(pal);
    const int side = fontMetrics().height();
    m_icon->setPixmap(style()->standardIcon(icon).pixmap(side, side));
    m_text->setText(message);
    m_action->setText(actionText);
    m_action->setVisible(!actionText.isEmpty());
    setAccessibleDescription(message);
    show();
}

void ErrorBanner::clear()
{
    m_text->clear();
    m_action->hide();
    hide();
}

QString ErrorBanner::message() const
{
    return isHidden() ? QString() : m_text->text();
}
