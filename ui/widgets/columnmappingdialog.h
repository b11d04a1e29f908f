#pragma once

#include "core/signature.h"
#include "data/import.h"
#include "studydocument.h"

#include <QDialog>
#include <QStringList>

#include <map>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QTableWidget;
class QVBoxLayout;
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

    // The file's rows: shows the first 20 (cells that do not fit in red, with
    // the reason), offers to skip the rows that do not fit, and to route rows
    // by a split column of the file (chosen when one is found).
    void setPreview(const prism::RawTable &table, const prism::Program &program, const std::string &sourceName);
    bool skipBadRows() const;
    QString splitColumn() const; // empty: every row goes to split()
    // With the current mapping: the rows that do not fit (all of the file).
    const std::vector<prism::RowProblem> &problems() const { return m_problems; }

    // Exposed for tests and keyboard users: the combo of a field.
    QComboBox *comboFor(const QString &field) const;
    static QString bestColumn(const QString &field, const QStringList &columns);
    static const char *unmappedColumn();

private:
    void validate();
    void updatePreview();
    QWidget *buildPreview();

    std::vector<FieldSlot> m_slots;
    std::vector<QComboBox *> m_combos;
    QComboBox *m_split = nullptr;
    QRadioButton *m_append = nullptr;
    QRadioButton *m_replace = nullptr;
    QLabel *m_hint = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QVBoxLayout *m_layout = nullptr;
    QFormLayout *m_target = nullptr;

    // Set by setPreview.
    prism::RawTable m_table;
    prism::Program m_program;
    std::string m_sourceName;
    std::vector<prism::RowProblem> m_problems;
    QTableWidget *m_preview = nullptr;
    QCheckBox *m_skip = nullptr;
    QRadioButton *m_routeAll = nullptr;
    QRadioButton *m_routeByColumn = nullptr;
    QComboBox *m_splitColumn = nullptr;
};
