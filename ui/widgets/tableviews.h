#pragma once

#include <QStringList>

class QAbstractItemView;
class QTableView;

// The Monitor's read-only tables: whole rows selected one at a time, no
// editing, alternating rows; a table view also loses its row numbers and
// wrapping and takes rowHeight.
void setupTableView(QAbstractItemView *view, int rowHeight);

// Widens each column to hold its header and a sample of its widest content.
void fitColumns(QTableView *view, const QStringList &samples);
