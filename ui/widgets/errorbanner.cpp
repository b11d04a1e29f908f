#include "widgets/errorbanner.h"

#include <QHBoxLayout>
#include <QLabel>
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
    auto *close = new QToolButton(this);
    close->setAutoRaise(true);
    close->setText(QStringLiteral("\u2715"));
    close->setToolTip(tr("Dismiss"));
    close->setAccessibleName(tr("Dismiss message"));
    layout->addWidget(m_icon, 0, Qt::AlignTop);
    layout->addWidget(m_text, 1);
    layout->addWidget(close, 0, Qt::AlignTop);
    connect(close, &QToolButton::clicked, this, &ErrorBanner::clear);
    hide();
}

void ErrorBanner::showMessage(const QString &message, Kind kind)
{
    m_kind = kind;
    const bool error = kind == Kind::Error;
    QPalette pal = palette();
    pal.setColor(QPalette::Window, error ? QColor(253, 234, 231) : QColor(231, 242, 253));
    pal.setColor(QPalette::WindowText, error ? QColor(120, 20, 10) : QColor(20, 50, 100));
    setPalette(pal);
    const int side = fontMetrics().height();
    m_icon->setPixmap(style()
                          ->standardIcon(error ? QStyle::SP_MessageBoxCritical : QStyle::SP_MessageBoxInformation)
                          .pixmap(side, side));
    m_text->setText(message);
    setAccessibleDescription(message);
    show();
}

void ErrorBanner::clear()
{
    m_text->clear();
    hide();
}

QString ErrorBanner::message() const
{
    return isHidden() ? QString() : m_text->text();
}
