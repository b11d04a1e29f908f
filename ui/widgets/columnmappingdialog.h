#pragma once

#include "core/signature.h"
#include "studydocument.h"

#include <QDialog>
#include <QStringList>

#include <map>
#include <string>
#include <vector>

class QComboBox;
class QLabel;
class QRadioButton;
class QDialogButtonBox;

// The column-mapping step of an import: one combo box of the file's columns
// per program field, pre-filled with the column of the same name, plus the
// split the rows go to and whether they replace it.
class ColumnMappingDialog final : public QDialog {
    Q_OBJECT

public:
    struct FieldSlot {
        prism::Field field;
        bool input = false;
        bool required = true; // inputs and final labels; intermediate outputs are optional
    };

    ColumnMappingDialog(std::vector<FieldSlot> slots, const QStringList &columns, const QString &fileName, int rowCount,
                        Split split, QWidget *parent = nullptr);

    // field -> column, for every field; an unmapped optional field maps to a
    // column name no file has, so mapRows skips it.
    std::map<std::string, std::string> mapping() const;
    Split split() const;
    bool replaceSplit() const;

    // Exposed for tests and keyboard users: the combo of a field.
    QComboBox *comboFor(const QString &field) const;
    static QString bestColumn(const QString &field, const QStringList &columns);
    static const char *unmappedColumn();

private:
    void validate();

    std::vector<FieldSlot> m_slots;
    std::vector<QComboBox *> m_combos;
    QComboBox *m_split = nullptr;
    QRadioButton *m_append = nullptr;
    QRadioButton *m_replace = nullptr;
    QLabel *m_hint = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};
