#include "studiostyle.h"

#include <QApplication>
#include <QFile>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

// Q_INIT_RESOURCE must be called from the global namespace; prism_ui is a
// static library, so nothing would pull the resources in otherwise.
void initStudioResources()
{
    Q_INIT_RESOURCE(studio);
}

void applyStudioStyle(QApplication *app)
{
    initStudioResources();
    if (QStyle *fusion = QStyleFactory::create(QStringLiteral("Fusion")))
        app->setStyle(fusion);
    QPalette palette = app->style()->standardPalette();
    palette.setColor(QPalette::Window, QColor(246, 247, 249));
    palette.setColor(QPalette::Base, QColor(255, 255, 255));
    palette.setColor(QPalette::AlternateBase, QColor(245, 248, 252));
    palette.setColor(QPalette::Highlight, QColor(58, 110, 200));
    palette.setColor(QPalette::HighlightedText, QColor(255, 255, 255));
    app->setPalette(palette);
    QFile style(QStringLiteral(":/prism/styles/light.qss"));
    if (style.open(QIODevice::ReadOnly))
        app->setStyleSheet(QString::fromUtf8(style.readAll()));
}
