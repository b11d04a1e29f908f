#include "widgets/fielddelegate.h"

#include "models/rowtablemodel.h"
#include "qtconvert.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QStandardItemModel>
#include <QStylePainter>

#include <functional>

namespace {

// The element separator of a list cell's text ("a; b"), as valueToText writes it.
const QString listSeparator = QStringLiteral("; ");

bool sameLabel(const QString &a, const QString &b)
{
    return a.trimmed().compare(b.trimmed(), Qt::CaseInsensitive) == 0;
}

// A combo box whose popup is a list of check boxes: a click toggles an item and
// leaves the popup open; the box shows the checked values joined as the cell does.
class CheckListCombo final : public QComboBox {
public:
    explicit CheckListCombo(const std::vector<std::string> &values, QWidget *parent) : QComboBox(parent)
    {
        auto *items = new QStandardItemModel(this);
        for (const auto &v : values) {
            auto *item = new QStandardItem(toQ(v));
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
            item->setData(Qt::Unchecked, Qt::CheckStateRole);
            items->appendRow(item);
        }
        setModel(items);
        view()->viewport()->installEventFilter(this);
        view()->installEventFilter(this);
    }

    QStringList checkedValues() const
    {
        QStringList checked;
        for (int i = 0; i < count(); ++i)
            if (itemData(i, Qt::CheckStateRole).toInt() == Qt::Checked)
                checked << itemText(i);
        return checked;
    }

    // Values of the cell that are not (or no longer) in the enum are kept, so
    // opening and closing the editor never drops part of a label.
    void setCheckedValues(const QStringList &values)
    {
        m_extra.clear();
        for (int i = 0; i < count(); ++i)
            setItemData(i, Qt::Unchecked, Qt::CheckStateRole);
        for (const QString &value : values) {
            int found = -1;
            for (int i = 0; i < count() && found < 0; ++i)
                if (sameLabel(itemText(i), value))
                    found = i;
            if (found >= 0)
                setItemData(found, Qt::Checked, Qt::CheckStateRole);
            else
                m_extra << value;
        }
        update();
    }

    QString text() const { return (checkedValues() + m_extra).join(listSeparator); }

    // Called when the popup closes: the end of a round of choices.
    std::function<void()> onPopupHidden;

    void hidePopup() override
    {
        QComboBox::hidePopup();
        if (onPopupHidden)
            onPopupHidden();
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == view()->viewport() && event->type() == QEvent::MouseButtonRelease) {
            const QModelIndex index = view()->indexAt(static_cast<QMouseEvent *>(event)->position().toPoint());
            if (index.isValid()) {
                toggle(index.row());
                return true; // the popup stays open for the next choice
            }
        }
        // Space ticks the highlighted value from the keyboard; Enter or Esc closes the list.
        if (watched == view() && event->type() == QEvent::KeyPress
            && static_cast<QKeyEvent *>(event)->key() == Qt::Key_Space && view()->currentIndex().isValid()) {
            toggle(view()->currentIndex().row());
            return true;
        }
        return QComboBox::eventFilter(watched, event);
    }

    void keyPressEvent(QKeyEvent *event) override
    {
        if (event->key() == Qt::Key_Space && !view()->isVisible()) {
            showPopup();
            return;
        }
        QComboBox::keyPressEvent(event);
    }

    void paintEvent(QPaintEvent *) override
    {
        QStylePainter painter(this);
        QStyleOptionComboBox option;
        initStyleOption(&option);
        const QString shown = text();
        option.currentText = shown.isEmpty() ? tr("(none)") : shown;
        option.currentIcon = {};
        painter.drawComplexControl(QStyle::CC_ComboBox, option);
        painter.drawControl(QStyle::CE_ComboBoxLabel, option);
    }

private:
    void toggle(int row)
    {
        const bool checked = itemData(row, Qt::CheckStateRole).toInt() == Qt::Checked;
        setItemData(row, checked ? Qt::Unchecked : Qt::Checked, Qt::CheckStateRole);
        update();
    }

    QStringList m_extra;
};

const prism::Type &itemType(const prism::Type &type)
{
    return type.kind() == prism::TypeKind::List ? type.element() : type;
}

} // namespace

FieldDelegate::FieldDelegate(RowTableModel *model, QObject *parent) : QStyledItemDelegate(parent), m_model(model) {}

QWidget *FieldDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &option,
                                     const QModelIndex &index) const
{
    const auto &fields = m_model->fields();
    if (index.column() < 0 || index.column() >= static_cast<int>(fields.size()))
        return QStyledItemDelegate::createEditor(parent, option, index);
    const prism::Type &type = fields[static_cast<std::size_t>(index.column())].type;
    const bool list = type.kind() == prism::TypeKind::List;
    const prism::Type &item = itemType(type);
    if (list && item.kind() == prism::TypeKind::Enum) {
        auto *combo = new CheckListCombo(item.enumValues(), parent);
        combo->setObjectName(QStringLiteral("checkListEditor"));
        combo->onPopupHidden = [this, combo] {
            auto *self = const_cast<FieldDelegate *>(this);
            emit self->commitData(combo);
            emit self->closeEditor(combo, QAbstractItemDelegate::SubmitModelCache);
        };
        return combo;
    }
    if (list || (item.kind() != prism::TypeKind::Enum && item.kind() != prism::TypeKind::Bool))
        return QStyledItemDelegate::createEditor(parent, option, index);
    auto *combo = new QComboBox(parent);
    combo->setObjectName(QStringLiteral("valueEditor"));
    if (item.kind() == prism::TypeKind::Bool)
        combo->addItems({QStringLiteral("true"), QStringLiteral("false")});
    else
        for (const auto &v : item.enumValues())
            combo->addItem(toQ(v));
    // Choosing is the edit: written at once, as Enter writes a typed cell.
    connect(combo, &QComboBox::activated, this, [this, combo] {
        auto *self = const_cast<FieldDelegate *>(this);
        emit self->commitData(combo);
        emit self->closeEditor(combo, QAbstractItemDelegate::SubmitModelCache);
    });
    return combo;
}

void FieldDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const
{
    const QString text = index.data(Qt::EditRole).toString();
    if (auto *checks = dynamic_cast<CheckListCombo *>(editor)) {
        QStringList values;
        for (const QString &part : text.split(QLatin1Char(';'), Qt::SkipEmptyParts))
            if (!part.trimmed().isEmpty())
                values << part.trimmed();
        checks->setCheckedValues(values);
        return;
    }
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        int found = -1;
        for (int i = 0; i < combo->count() && found < 0; ++i)
            if (sameLabel(combo->itemText(i), text))
                found = i;
        // A label outside the enum shows as no choice, so the user sees it must change.
        combo->setCurrentIndex(found);
        return;
    }
    QStyledItemDelegate::setEditorData(editor, index);
}

void FieldDelegate::setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const
{
    QString text;
    if (auto *checks = dynamic_cast<CheckListCombo *>(editor)) {
        text = checks->text();
    } else if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        if (combo->currentIndex() < 0)
            return; // nothing chosen: the cell keeps its value
        text = combo->currentText();
    } else {
        QStyledItemDelegate::setModelData(editor, model, index);
        return;
    }
    // An unchanged choice is no edit (no empty undo step).
    if (text == index.data(Qt::EditRole).toString())
        return;
    model->setData(index, text, Qt::EditRole);
}
