#pragma once

#include "core/signature.h"
#include "studydocument.h"

#include <QAbstractTableModel>

#include <vector>

// A value of an enum field (or of a list of enums) that is not one of the
// enum's values, compared as the dataset loader does (trimmed, any case). Such
// a row is left over from an edit of the enum on the Program page, and the
// loader refuses it when the study is opened again.
bool isOutsideEnum(const prism::Value &value, const prism::Type &type);

// The rows of one split of a StudyDocument as a table: one column per field
// of the program (inputs, then outputs). Nothing is copied: data() reads the
// document's examples on demand, so 100k rows cost nothing until shown.
// Edits go through the document's undo stack.
class RowTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RowTableModel)

public:
    explicit RowTableModel(StudyDocument *document, QObject *parent = nullptr);

    Split split() const { return m_split; }
    void setSplit(Split split);
    const std::vector<prism::Field> &fields() const { return m_fields; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

signals:
    // A value that does not fit its field's type; the edit was not applied.
    void editRejected(const QString &message);

private:
    void refreshFields();
    bool sameSplit(Split split) const { return split == m_split; }

    StudyDocument *m_document;
    Split m_split = Split::Train;
    std::vector<prism::Field> m_fields;
};
