#pragma once

#include <QStyledItemDelegate>

class RowTableModel;

// The Dataset table's cell editors, chosen by the column's field type: a list
// of the enum's values for an enum label, true / false for a bool, a list of
// check boxes for a list of enum values, and the plain text editor for the
// rest. A choice is written at once (one undo step), as a typed cell would be.
class FieldDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FieldDelegate)

public:
    explicit FieldDelegate(RowTableModel *model, QObject *parent = nullptr);

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override;

private:
    RowTableModel *m_model;
};
