#include "widgets/tableviews.h"

#include <QHeaderView>
#include <QTableView>

#include <algorithm>

void setupTableView(QAbstractItemView *view, int rowHeight)
{
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    if (auto *table = qobject_cast<QTableView *>(view)) {
        table->verticalHeader()->hide();
        table->verticalHeader()->setDefaultSectionSize(rowHeight);
        table->setWordWrap(false);
        table->horizontalHeader()->setHighlightSections(false);
    }
}

void fitColumns(QTableView *view, const QStringList &samples)
{
    const QFontMetrics fm = view->fontMetrics();
    const int padding = fm.averageCharWidth() * 2;
    QFont bold = view->font();
    bold.setBold(true);
    const QFontMetrics headerMetrics(bold);
    for (int c = 0; c < samples.size() && c < view->model()->columnCount(); ++c) {
        const QString header = view->model()->headerData(c, Qt::Horizontal).toString();
        view->setColumnWidth(c, std::max(headerMetrics.horizontalAdvance(header), fm.horizontalAdvance(samples.at(c)))
                                    + padding);
    }
}
