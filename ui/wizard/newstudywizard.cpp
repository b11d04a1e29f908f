#include "wizard/newstudywizard.h"

#include "qtconvert.h"
#include "widgets/errorbanner.h"

#include "core/json.h"
#include "core/outfile.h"
#include "core/study.h"
#include "data/dataset.h"
#include "data/import.h"
#include "data/schema_guess.h"
#include "data/stratify.h"
#include "metric/builtin.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QWizardPage>

#include <algorithm>
#include <climits>
#include <map>
#include <optional>

using prism::ColumnKind;
using prism::ColumnRole;
using prism::DataSplit;

// One column as the user chose it on the Columns page.
struct ColumnChoice {
    std::string column;
    std::string field;
    ColumnRole role = ColumnRole::Input;
    prism::Type type;
};

// What the pages share: the loaded file, the guesses, the user's choices and
// the typed rows with the split of each.
struct NewStudyState {
    QString dataPath;
    prism::RawTable table;
    std::vector<prism::ColumnGuess> guesses;
    std::optional<prism::SplitColumn> splitColumn;
    int generation = 0; // a new file was loaded: pages fill themselves again

    std::vector<ColumnChoice> columns;
    std::string listSeparator = ";";
    prism::Program program; // the signature's fields; kind and instruction come from the Details page
    std::vector<prism::Example> examples;
    std::vector<DataSplit> splitOf;
    std::uint64_t splitSeed = 0;

    QString studyPath;

    std::vector<const prism::Field *> outputs() const
    {
        std::vector<const prism::Field *> out;
        if (!program.predictors.empty())
            for (const auto &f : program.predictors.front().signature.outputs)
                out.push_back(&f);
        return out;
    }
};

namespace {

constexpr int kPreviewRows = 50;

// A field name the adapters can print: lower case letters, digits and '_'.
std::string fieldNameFor(const std::string &column)
{
    std::string out;
    for (char c : column) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum)
            out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        else if (!out.empty() && out.back() != '_')
            out += '_';
    }
    while (!out.empty() && out.back() == '_')
        out.pop_back();
    if (out.empty() || (out.front() >= '0' && out.front() <= '9'))
        out = "f_" + out;
    return out;
}

QString slugFor(const QString &name)
{
    QString slug = name.toLower();
    slug.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    slug = slug.section(QLatin1Char('-'), 0, 4, QString::SectionSkipEmpty).left(40);
    return slug.isEmpty() ? QStringLiteral("study") : slug;
}

QString splitName(DataSplit split)
{
    switch (split) {
    case DataSplit::Train: return QObject::tr("Train");
    case DataSplit::Val: return QObject::tr("Val");
    case DataSplit::Test: return QObject::tr("Test");
    }
    return {};
}

const char *splitFileKey(DataSplit split)
{
    switch (split) {
    case DataSplit::Train: return "train";
    case DataSplit::Val: return "val";
    case DataSplit::Test: return "test";
    }
    return "train";
}

// The metric a field's type calls for: exact for labels, numeric for
// numbers, token F1 for text, Jaccard for lists.
std::string defaultMetricFor(const prism::Type &type)
{
    switch (type.kind()) {
    case prism::TypeKind::Enum:
    case prism::TypeKind::Bool: return "exact";
    case prism::TypeKind::Int:
    case prism::TypeKind::Float: return "numeric";
    case prism::TypeKind::List: return "jaccard";
    case prism::TypeKind::String: return "f1";
    }
    return "exact";
}

QTableWidgetItem *readOnlyItem(const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(item->flags() & ~Qt::ItemIsEditable);
    return item;
}

// ---- page 1: the file ---------------------------------------------------------

class FileWizardPage final : public QWizardPage {
public:
    explicit FileWizardPage(std::shared_ptr<NewStudyState> state) : m_owner(state), m_state(*state)
    {
        setTitle(tr("Data file"));
        setSubTitle(tr("A CSV file with a header row, a JSON array of objects, or JSONL (one object per line)."));
        auto *layout = new QVBoxLayout(this);
        auto *row = new QHBoxLayout;
        m_path = new QLineEdit(this);
        m_path->setObjectName(QStringLiteral("dataFile"));
        m_path->setPlaceholderText(tr("Path of a .csv, .json or .jsonl file"));
        auto *browse = new QPushButton(tr("&Browse\u2026"), this);
        browse->setObjectName(QStringLiteral("browseData"));
        row->addWidget(m_path, 1);
        row->addWidget(browse);
        layout->addLayout(row);
        m_error = new ErrorBanner(this);
        m_error->setObjectName(QStringLiteral("loadError"));
        layout->addWidget(m_error);
        m_summary = new QLabel(this);
        m_summary->setObjectName(QStringLiteral("fileSummary"));
        layout->addWidget(m_summary);
        m_preview = new QTableWidget(this);
        m_preview->setObjectName(QStringLiteral("previewTable"));
        m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
        m_preview->setWordWrap(false);
        layout->addWidget(m_preview, 1);
        connect(m_path, &QLineEdit::editingFinished, this, [this] {
            if (m_path->text() != m_state.dataPath)
                load(m_path->text());
        });
        connect(browse, &QPushButton::clicked, this, &FileWizardPage::browse);
    }

    bool isComplete() const override { return !m_state.table.rows.empty() && !m_state.table.columns.empty(); }

    bool load(const QString &path)
    {
        m_path->setText(path);
        m_state.dataPath = path;
        m_state.table = {};
        m_state.guesses.clear();
        m_state.splitColumn.reset();
        ++m_state.generation;
        m_preview->clear();
        m_preview->setRowCount(0);
        m_preview->setColumnCount(0);
        m_summary->clear();
        auto table = prism::loadTable(toStd(path));
        if (!table) {
            m_error->showMessage(toQ(table.error().message));
        } else if (table->rows.empty()) {
            m_error->showMessage(tr("%1 has no rows.").arg(QDir::toNativeSeparators(path)));
        } else {
            m_error->clear();
            m_state.table = std::move(table.value());
            m_state.guesses = prism::guessColumns(m_state.table);
            m_state.splitColumn = prism::detectSplitColumn(m_state.table);
            fillPreview();
        }
        emit completeChanged();
        return isComplete();
    }

private:
    void browse()
    {
        QSettings settings;
        const QString dir = settings
                                .value(QStringLiteral("wizard/dataDir"),
                                       QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation))
                                .toString();
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Choose a Data File"), dir,
            tr("Data files (*.csv *.json *.jsonl);;CSV (*.csv);;JSON (*.json);;JSONL (*.jsonl);;All files (*)"));
        if (path.isEmpty())
            return;
        settings.setValue(QStringLiteral("wizard/dataDir"), QFileInfo(path).absolutePath());
        load(path);
    }

    void fillPreview()
    {
        const auto &table = m_state.table;
        const int shown = std::min<int>(kPreviewRows, static_cast<int>(table.rows.size()));
        m_preview->setColumnCount(static_cast<int>(table.columns.size()));
        m_preview->setRowCount(shown);
        QStringList headers;
        for (const auto &c : table.columns)
            headers << toQ(c);
        m_preview->setHorizontalHeaderLabels(headers);
        QStringList lines;
        for (int r = 0; r < shown; ++r) {
            const auto index = static_cast<std::size_t>(r);
            lines << QString::number(index < table.lineNumbers.size() ? table.lineNumbers[index] : r + 1);
            for (std::size_t c = 0; c < table.columns.size(); ++c) {
                const prism::Value *v = table.rows[index].find(table.columns[c]);
                const QString text = v ? valueToText(*v) : QString();
                auto *item = new QTableWidgetItem(text.left(200));
                item->setToolTip(text.left(2000));
                m_preview->setItem(r, static_cast<int>(c), item);
            }
        }
        m_preview->setVerticalHeaderLabels(lines); // the file's line numbers
        m_preview->resizeColumnsToContents();
        const int widest = fontMetrics().averageCharWidth() * 48;
        for (int c = 0; c < m_preview->columnCount(); ++c)
            m_preview->setColumnWidth(c, std::min(m_preview->columnWidth(c), widest));
        QString summary = tr("%1 \u00b7 %2")
                              .arg(countOf(static_cast<long long>(table.rows.size()), tr("row"), tr("rows")),
                                   countOf(static_cast<long long>(table.columns.size()), tr("column"), tr("columns")));
        if (static_cast<int>(table.rows.size()) > shown)
            summary += tr(" \u00b7 the first %1 shown").arg(shown);
        if (m_state.splitColumn)
            summary += tr(" \u00b7 column '%1' gives the split of each row").arg(toQ(m_state.splitColumn->column));
        m_summary->setText(summary);
    }

    // Shared with the wizard: a page may still hear a signal while the wizard is destroyed.
    std::shared_ptr<NewStudyState> m_owner;
    NewStudyState &m_state;
    QLineEdit *m_path = nullptr;
    ErrorBanner *m_error = nullptr;
    QLabel *m_summary = nullptr;
    QTableWidget *m_preview = nullptr;
};

// ---- page 2: the columns -------------------------------------------------------

enum ColumnsCol { ColColumn, ColField, ColRole, ColType, ColValues, ColSeen, ColCount };

struct TypeChoice {
    const char *key;
    const char *label;
};
const TypeChoice kTypeChoices[] = {
    {"str", QT_TRANSLATE_NOOP("NewStudyWizard", "text")},
    {"int", QT_TRANSLATE_NOOP("NewStudyWizard", "integer")},
    {"float", QT_TRANSLATE_NOOP("NewStudyWizard", "number")},
    {"bool", QT_TRANSLATE_NOOP("NewStudyWizard", "yes / no")},
    {"enum", QT_TRANSLATE_NOOP("NewStudyWizard", "one of the values")},
    {"list_enum", QT_TRANSLATE_NOOP("NewStudyWizard", "list of the values")},
    {"list_str", QT_TRANSLATE_NOOP("NewStudyWizard", "list of text")},
};

QString typeKeyOf(const prism::ColumnGuess &g)
{
    switch (g.kind) {
    case ColumnKind::Bool: return QStringLiteral("bool");
    case ColumnKind::Int: return QStringLiteral("int");
    case ColumnKind::Float: return QStringLiteral("float");
    case ColumnKind::Enum: return QStringLiteral("enum");
    case ColumnKind::List: return g.values.empty() ? QStringLiteral("list_str") : QStringLiteral("list_enum");
    case ColumnKind::String: return QStringLiteral("str");
    }
    return QStringLiteral("str");
}

std::vector<std::string> splitValues(const QString &text)
{
    std::vector<std::string> values;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString v = part.trimmed();
        if (!v.isEmpty())
            values.push_back(toStd(v));
    }
    return values;
}

class ColumnsWizardPage final : public QWizardPage {
public:
    explicit ColumnsWizardPage(std::shared_ptr<NewStudyState> state) : m_owner(state), m_state(*state)
    {
        setTitle(tr("Columns"));
        setSubTitle(tr("What each column is: an input the model reads, an output it must produce (the label), or "
                       "ignored. Types and values are guessed from the file; change any of them."));
        auto *layout = new QVBoxLayout(this);
        m_error = new ErrorBanner(this);
        m_error->setObjectName(QStringLiteral("mapError"));
        layout->addWidget(m_error);
        m_table = new QTableWidget(0, ColCount, this);
        m_table->setObjectName(QStringLiteral("columnsTable"));
        m_table->setHorizontalHeaderLabels(
            {tr("Column"), tr("Field name"), tr("Role"), tr("Type"), tr("Values (comma separated)"), tr("Seen")});
        m_table->verticalHeader()->hide();
        m_table->horizontalHeader()->setSectionResizeMode(ColValues, QHeaderView::Stretch);
        m_table->setSelectionMode(QAbstractItemView::NoSelection);
        layout->addWidget(m_table, 1);
        m_hint = new QLabel(this);
        m_hint->setObjectName(QStringLiteral("columnsHint"));
        m_hint->setWordWrap(true);
        layout->addWidget(m_hint);
    }

    void initializePage() override
    {
        if (m_filled == m_state.generation)
            return;
        m_filled = m_state.generation;
        m_error->clear();
        m_table->setRowCount(static_cast<int>(m_state.guesses.size()));
        for (std::size_t k = 0; k < m_state.guesses.size(); ++k)
            fillRow(static_cast<int>(k), m_state.guesses[k]);
        m_table->resizeColumnsToContents();
        m_table->horizontalHeader()->setSectionResizeMode(ColValues, QHeaderView::Stretch);
        updateHint();
    }

    bool isComplete() const override { return count(ColumnRole::Input) > 0 && count(ColumnRole::Output) > 0; }

    bool validatePage() override
    {
        auto choices = readChoices();
        if (!choices) {
            m_error->showMessage(m_problem);
            return false;
        }
        prism::Predictor predictor;
        predictor.name = "predict";
        prism::DatasetSource source;
        source.listSeparator = m_state.listSeparator;
        for (const auto &c : *choices) {
            if (c.role == ColumnRole::Ignore)
                continue;
            auto &fields = c.role == ColumnRole::Input ? predictor.signature.inputs : predictor.signature.outputs;
            fields.push_back(prism::Field{c.field, c.type, {}, {}});
            source.columns[c.field] = c.column;
        }
        prism::Program program;
        program.predictors.push_back(predictor);
        // The loader's own mapping: a row that does not fit names its line.
        auto examples = prism::mapRows(m_state.table, source, program, toStd(m_state.dataPath));
        if (!examples) {
            m_error->showMessage(
                tr("%1\nChange the type or values of that column, or ignore it.").arg(toQ(examples.error().message)));
            return false;
        }
        m_error->clear();
        m_state.columns = std::move(*choices);
        m_state.program = std::move(program);
        m_state.examples = std::move(examples.value());
        return true;
    }

private:
    QComboBox *combo(int row, int column) const { return qobject_cast<QComboBox *>(m_table->cellWidget(row, column)); }
    QLineEdit *edit(int row, int column) const { return qobject_cast<QLineEdit *>(m_table->cellWidget(row, column)); }

    void fillRow(int row, const prism::ColumnGuess &g)
    {
        const QString name = toQ(g.column);
        m_table->setItem(row, ColColumn, readOnlyItem(name));
        auto *field = new QLineEdit(toQ(fieldNameFor(g.column)), m_table);
        field->setObjectName(QStringLiteral("field_") + name);
        m_table->setCellWidget(row, ColField, field);
        auto *role = new QComboBox(m_table);
        role->setObjectName(QStringLiteral("role_") + name);
        role->addItem(tr("Input"), static_cast<int>(ColumnRole::Input));
        role->addItem(tr("Output"), static_cast<int>(ColumnRole::Output));
        role->addItem(tr("Ignore"), static_cast<int>(ColumnRole::Ignore));
        role->setCurrentIndex(role->findData(static_cast<int>(g.role)));
        if (!g.why.empty())
            role->setToolTip(tr("Guessed: the column %1").arg(toQ(g.why)));
        m_table->setCellWidget(row, ColRole, role);
        auto *type = new QComboBox(m_table);
        type->setObjectName(QStringLiteral("type_") + name);
        for (const auto &choice : kTypeChoices)
            type->addItem(tr(choice.label), QLatin1String(choice.key));
        type->setCurrentIndex(type->findData(typeKeyOf(g)));
        m_table->setCellWidget(row, ColType, type);
        QStringList values;
        for (const auto &v : g.values)
            values << toQ(v);
        auto *valuesEdit = new QLineEdit(values.join(QStringLiteral(", ")), m_table);
        valuesEdit->setObjectName(QStringLiteral("values_") + name);
        m_table->setCellWidget(row, ColValues, valuesEdit);
        m_table->setItem(row, ColSeen,
                         readOnlyItem(tr("%1 distinct \u00b7 %2 missing").arg(g.distinct).arg(g.missing)
                                      + (g.why.empty() ? QString() : QStringLiteral(" \u00b7 ") + toQ(g.why))));
        if (g.kind == ColumnKind::List && !g.listSeparator.empty())
            m_state.listSeparator = g.listSeparator;
        auto changed = [this, row] {
            updateValuesEnabled(row);
            updateHint();
            emit completeChanged();
        };
        connect(role, &QComboBox::currentIndexChanged, this, changed);
        connect(type, &QComboBox::currentIndexChanged, this, changed);
        updateValuesEnabled(row);
    }

    void updateValuesEnabled(int row)
    {
        const QString key = combo(row, ColType)->currentData().toString();
        edit(row, ColValues)->setEnabled(key == QLatin1String("enum") || key == QLatin1String("list_enum"));
    }

    int count(ColumnRole role) const
    {
        int n = 0;
        for (int r = 0; r < m_table->rowCount(); ++r)
            if (auto *c = combo(r, ColRole); c && c->currentData().toInt() == static_cast<int>(role))
                ++n;
        return n;
    }

    void updateHint()
    {
        const int inputs = count(ColumnRole::Input);
        const int outputs = count(ColumnRole::Output);
        if (inputs == 0 || outputs == 0)
            m_hint->setText(tr("A study needs at least one input and one output column."));
        else
            m_hint->setText(
                tr("%1 \u00b7 %2")
                    .arg(countOf(inputs, tr("input"), tr("inputs")), countOf(outputs, tr("output"), tr("outputs"))));
    }

    std::optional<std::vector<ColumnChoice>> readChoices()
    {
        std::vector<ColumnChoice> choices;
        for (int r = 0; r < m_table->rowCount(); ++r) {
            ColumnChoice c;
            c.column = toStd(m_table->item(r, ColColumn)->text());
            c.field = toStd(edit(r, ColField)->text().trimmed());
            c.role = static_cast<ColumnRole>(combo(r, ColRole)->currentData().toInt());
            if (c.role == ColumnRole::Ignore) {
                choices.push_back(std::move(c));
                continue;
            }
            if (c.field.empty() || c.field != fieldNameFor(c.field)) {
                m_problem = tr("Column '%1': the field name '%2' must be lower case letters, digits and '_' "
                               "(such as %3).")
                                .arg(toQ(c.column), toQ(c.field), toQ(fieldNameFor(c.column)));
                return std::nullopt;
            }
            for (const auto &other : choices)
                if (other.role != ColumnRole::Ignore && other.field == c.field) {
                    m_problem = tr("Two columns would be the field '%1'; rename one.").arg(toQ(c.field));
                    return std::nullopt;
                }
            const QString key = combo(r, ColType)->currentData().toString();
            const auto values = splitValues(edit(r, ColValues)->text());
            if ((key == QLatin1String("enum") || key == QLatin1String("list_enum")) && values.empty()) {
                m_problem = tr("Column '%1': list the values it can take, separated by commas.").arg(toQ(c.column));
                return std::nullopt;
            }
            if (const auto repeated = prism::repeatedEnumValue(values)) {
                m_problem = tr("Column '%1': the value '%2' is listed twice (values ignore case).")
                                .arg(toQ(c.column), toQ(*repeated));
                return std::nullopt;
            }
            if (key == QLatin1String("int"))
                c.type = prism::Type::integer();
            else if (key == QLatin1String("float"))
                c.type = prism::Type::floating();
            else if (key == QLatin1String("bool"))
                c.type = prism::Type::boolean();
            else if (key == QLatin1String("enum"))
                c.type = prism::Type::enumOf(values);
            else if (key == QLatin1String("list_enum"))
                c.type = prism::Type::listOf(prism::Type::enumOf(values));
            else if (key == QLatin1String("list_str"))
                c.type = prism::Type::listOf(prism::Type::string());
            else
                c.type = prism::Type::string();
            choices.push_back(std::move(c));
        }
        return choices;
    }

    // Shared with the wizard: a page may still hear a signal while the wizard is destroyed.
    std::shared_ptr<NewStudyState> m_owner;
    NewStudyState &m_state;
    ErrorBanner *m_error = nullptr;
    QTableWidget *m_table = nullptr;
    QLabel *m_hint = nullptr;
    QString m_problem;
    int m_filled = -1;
};

// ---- page 3: the splits --------------------------------------------------------

class SplitsWizardPage final : public QWizardPage {
public:
    explicit SplitsWizardPage(std::shared_ptr<NewStudyState> state) : m_owner(state), m_state(*state)
    {
        setTitle(tr("Splits"));
        setSubTitle(tr("Train rows teach the optimizer, validation rows choose among its candidates, and test rows "
                       "measure the result: the optimizer never sees them."));
        auto *layout = new QVBoxLayout(this);
        m_useColumn = new QRadioButton(this);
        m_useColumn->setObjectName(QStringLiteral("useSplitColumn"));
        m_stratify = new QRadioButton(tr("Split the rows at random, keeping each label's share in every split"), this);
        m_stratify->setObjectName(QStringLiteral("stratifySplit"));
        layout->addWidget(m_useColumn);
        layout->addWidget(m_stratify);

        auto *form = new QFormLayout;
        form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
        m_by = new QComboBox(this);
        m_by->setObjectName(QStringLiteral("stratifyBy"));
        m_val = percentSpin(QStringLiteral("valPercent"), 20.0);
        m_test = percentSpin(QStringLiteral("testPercent"), 20.0);
        m_seed = new QSpinBox(this);
        m_seed->setObjectName(QStringLiteral("splitSeed"));
        m_seed->setRange(0, INT_MAX);
        m_seed->setToolTip(tr("The same seed always deals the same rows into the same splits."));
        form->addRow(tr("Stratify &by:"), m_by);
        form->addRow(tr("&Validation:"), m_val);
        form->addRow(tr("&Test:"), m_test);
        form->addRow(tr("&Seed:"), m_seed);
        layout->addLayout(form);

        m_totals = new QLabel(this);
        m_totals->setObjectName(QStringLiteral("splitTotals"));
        layout->addWidget(m_totals);
        m_counts = new QTableWidget(0, 4, this);
        m_counts->setObjectName(QStringLiteral("splitCounts"));
        m_counts->setHorizontalHeaderLabels({tr("Train"), tr("Val"), tr("Test"), tr("Total")});
        m_counts->setEditTriggers(QAbstractItemView::NoEditTriggers);
        m_counts->setSelectionMode(QAbstractItemView::NoSelection);
        layout->addWidget(m_counts, 1);

        connect(m_useColumn, &QRadioButton::toggled, this, &SplitsWizardPage::update);
        connect(m_by, &QComboBox::currentIndexChanged, this, &SplitsWizardPage::update);
        connect(m_seed, &QSpinBox::valueChanged, this, &SplitsWizardPage::update);
    }

    void initializePage() override
    {
        // Rebuilt each time: the outputs may have changed on the Columns page.
        const QString previous = m_by->currentData().toString();
        const QSignalBlocker block(m_by);
        m_by->clear();
        m_by->addItem(tr("(nothing: one random split)"), QString());
        for (const prism::Field *f : m_state.outputs()) {
            const auto kind = f->type.kind();
            if (kind == prism::TypeKind::Enum || kind == prism::TypeKind::Bool || kind == prism::TypeKind::Int)
                m_by->addItem(toQ(f->name), toQ(f->name));
        }
        const int keep = m_by->findData(previous);
        m_by->setCurrentIndex(keep > 0 ? keep : std::min(1, m_by->count() - 1));
        if (m_state.splitColumn) {
            m_useColumn->setText(tr("Use the column '%1' of the file").arg(toQ(m_state.splitColumn->column)));
            m_useColumn->setVisible(true);
            if (m_initialized != m_state.generation)
                m_useColumn->setChecked(true);
        } else {
            m_useColumn->setVisible(false);
            m_stratify->setChecked(true);
        }
        m_initialized = m_state.generation;
        update();
    }

    bool isComplete() const override
    {
        return std::any_of(m_state.splitOf.begin(), m_state.splitOf.end(),
                           [](DataSplit s) { return s == DataSplit::Train; });
    }

    bool validatePage() override
    {
        m_state.splitSeed = static_cast<std::uint64_t>(m_seed->value());
        return isComplete();
    }

private:
    QDoubleSpinBox *percentSpin(const QString &name, double value)
    {
        auto *spin = new QDoubleSpinBox(this);
        spin->setObjectName(name);
        spin->setRange(0.0, 90.0);
        spin->setDecimals(1);
        spin->setSingleStep(5.0);
        spin->setSuffix(QStringLiteral(" %"));
        spin->setValue(value);
        connect(spin, &QDoubleSpinBox::valueChanged, this, &SplitsWizardPage::update);
        return spin;
    }

    void update()
    {
        const bool byColumn = m_state.splitColumn && m_useColumn->isChecked();
        for (QWidget *w : std::initializer_list<QWidget *>{m_val, m_test, m_seed})
            w->setEnabled(!byColumn);
        const std::string by = toStd(m_by->currentData().toString());
        std::vector<std::string> labels;
        for (const auto &example : m_state.examples)
            labels.push_back(by.empty() ? std::string() : prism::stratumOf(example, by));
        const double val = m_val->value() / 100.0, test = m_test->value() / 100.0;
        if (byColumn) {
            m_state.splitOf = m_state.splitColumn->splitOf;
        } else if (val + test >= 0.95) {
            m_state.splitOf.assign(m_state.examples.size(), DataSplit::Test);
            m_totals->setText(tr("Leave at least 5% of the rows for training."));
            m_counts->setRowCount(0);
            emit completeChanged();
            return;
        } else {
            m_state.splitOf =
                prism::stratifiedAssignment(labels, val, test, static_cast<std::uint64_t>(m_seed->value())).splitOf;
        }
        showCounts(labels, !by.empty());
        emit completeChanged();
    }

    // Rows per label (one table row each) and split; the last row is the total.
    void showCounts(const std::vector<std::string> &labels, bool perLabel)
    {
        std::vector<std::string> order;
        std::vector<std::array<int, 3>> counts;
        std::array<int, 3> total{};
        for (std::size_t r = 0; r < labels.size() && r < m_state.splitOf.size(); ++r) {
            const auto split = static_cast<std::size_t>(m_state.splitOf[r]);
            ++total[split];
            if (!perLabel)
                continue;
            auto it = std::find(order.begin(), order.end(), labels[r]);
            if (it == order.end()) {
                order.push_back(labels[r]);
                counts.push_back({});
                it = order.end() - 1;
            }
            ++counts[static_cast<std::size_t>(it - order.begin())][split];
        }
        m_counts->setRowCount(static_cast<int>(order.size()) + 1);
        QStringList rowNames;
        auto fill = [this](int row, const std::array<int, 3> &c) {
            for (int s = 0; s < 3; ++s)
                m_counts->setItem(row, s, readOnlyItem(QString::number(c[static_cast<std::size_t>(s)])));
            m_counts->setItem(row, 3, readOnlyItem(QString::number(c[0] + c[1] + c[2])));
        };
        for (std::size_t k = 0; k < order.size(); ++k) {
            rowNames << (order[k].empty() ? tr("(empty)") : toQ(order[k]));
            fill(static_cast<int>(k), counts[k]);
        }
        rowNames << tr("Total");
        fill(static_cast<int>(order.size()), total);
        m_counts->setVerticalHeaderLabels(rowNames);
        m_totals->setText(tr("%1 %2 \u00b7 %3 %4 \u00b7 %5 %6")
                              .arg(splitName(DataSplit::Train))
                              .arg(total[0])
                              .arg(splitName(DataSplit::Val))
                              .arg(total[1])
                              .arg(splitName(DataSplit::Test))
                              .arg(total[2]));
    }

    // Shared with the wizard: a page may still hear a signal while the wizard is destroyed.
    std::shared_ptr<NewStudyState> m_owner;
    NewStudyState &m_state;
    QRadioButton *m_useColumn = nullptr;
    QRadioButton *m_stratify = nullptr;
    QComboBox *m_by = nullptr;
    QDoubleSpinBox *m_val = nullptr;
    QDoubleSpinBox *m_test = nullptr;
    QSpinBox *m_seed = nullptr;
    QLabel *m_totals = nullptr;
    QTableWidget *m_counts = nullptr;
    int m_initialized = -1;
};

// ---- page 4: name, program, metric ---------------------------------------------

const char *const kMetricNames[] = {"exact", "normalized_exact", "f1", "jaccard", "numeric", "contains"};

class DetailsWizardPage final : public QWizardPage {
public:
    explicit DetailsWizardPage(std::shared_ptr<NewStudyState> state) : m_owner(state), m_state(*state)
    {
        setTitle(tr("Study"));
        setSubTitle(tr("Its name (runs, reports and exports carry it), the kind of program, and how each output "
                       "is scored."));
        auto *layout = new QVBoxLayout(this);
        auto *form = new QFormLayout;
        m_name = new QLineEdit(this);
        m_name->setObjectName(QStringLiteral("studyName"));
        m_description = new QPlainTextEdit(this);
        m_description->setObjectName(QStringLiteral("studyDescription"));
        m_description->setMaximumHeight(fontMetrics().height() * 4);
        m_instruction = new QLineEdit(this);
        m_instruction->setObjectName(QStringLiteral("studyInstruction"));
        form->addRow(tr("&Name:"), m_name);
        form->addRow(tr("&Description:"), m_description);
        form->addRow(tr("&Instruction:"), m_instruction);
        m_predict = new QRadioButton(tr("&Predict: answer directly"), this);
        m_predict->setObjectName(QStringLiteral("predictKind"));
        m_cot = new QRadioButton(tr("&Chain of thought: reason first, then answer"), this);
        m_cot->setObjectName(QStringLiteral("chainOfThoughtKind"));
        m_predict->setChecked(true);
        auto *kinds = new QVBoxLayout;
        kinds->addWidget(m_predict);
        kinds->addWidget(m_cot);
        form->addRow(tr("Program:"), kinds);
        layout->addLayout(form);
        m_metrics = new QGroupBox(tr("Metric per output"), this);
        m_metrics->setObjectName(QStringLiteral("metricsBox"));
        m_metricForm = new QFormLayout(m_metrics);
        layout->addWidget(m_metrics);
        layout->addStretch(1);
        connect(m_name, &QLineEdit::textChanged, this, &QWizardPage::completeChanged);
    }

    void initializePage() override
    {
        if (m_named != m_state.generation) {
            m_named = m_state.generation;
            m_name->setText(QFileInfo(m_state.dataPath).completeBaseName());
        }
        const auto &signature = m_state.program.predictors.front().signature;
        m_instruction->setPlaceholderText(
            toQ(prism::Signature::defaultInstruction(signature.inputs, signature.outputs)));
        // Choices made before going back survive, for the outputs that remain.
        std::map<QString, QString> chosen;
        for (auto *combo : m_metrics->findChildren<QComboBox *>())
            chosen[combo->objectName()] = combo->currentData().toString();
        while (m_metricForm->rowCount() > 0)
            m_metricForm->removeRow(0);
        for (const prism::Field *f : m_state.outputs()) {
            auto *metric = new QComboBox(m_metrics);
            metric->setObjectName(QStringLiteral("metric_") + toQ(f->name));
            for (const char *name : kMetricNames)
                metric->addItem(QLatin1String(name), QLatin1String(name));
            const auto previous = chosen.find(metric->objectName());
            metric->setCurrentIndex(
                metric->findData(previous != chosen.end() ? previous->second : toQ(defaultMetricFor(f->type))));
            m_metricForm->addRow(tr("%1 (%2):").arg(toQ(f->name), typeText(f->type)), metric);
        }
    }

    bool isComplete() const override { return !m_name->text().trimmed().isEmpty(); }

    // The study these pages describe, its data still to be placed.
    prism::Study study() const
    {
        prism::Study study;
        study.name = toStd(m_name->text().trimmed());
        study.description = toStd(m_description->toPlainText().trimmed());
        study.program = m_state.program;
        prism::Predictor &predictor = study.program.predictors.front();
        predictor.kind = m_cot->isChecked() ? prism::PredictorKind::ChainOfThought : prism::PredictorKind::Predict;
        predictor.signature.instruction = toStd(m_instruction->text().trimmed());
        if (predictor.signature.instruction.empty())
            predictor.signature.instruction =
                prism::Signature::defaultInstruction(predictor.signature.inputs, predictor.signature.outputs);
        study.metric.kind = "composite";
        for (const prism::Field *f : m_state.outputs()) {
            auto *metric = m_metrics->findChild<QComboBox *>(QStringLiteral("metric_") + toQ(f->name));
            prism::FieldMetric fm;
            fm.field = f->name;
            fm.metric = metric ? toStd(metric->currentData().toString()) : defaultMetricFor(f->type);
            study.metric.fields.push_back(fm);
        }
        return study;
    }

    QString name() const { return m_name->text().trimmed(); }

private:
    // Shared with the wizard: a page may still hear a signal while the wizard is destroyed.
    std::shared_ptr<NewStudyState> m_owner;
    NewStudyState &m_state;
    QLineEdit *m_name = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QLineEdit *m_instruction = nullptr;
    QRadioButton *m_predict = nullptr;
    QRadioButton *m_cot = nullptr;
    QGroupBox *m_metrics = nullptr;
    QFormLayout *m_metricForm = nullptr;
    int m_named = -1;
};

// ---- page 5: where to save -------------------------------------------------------

std::array<std::vector<prism::Example>, 3> rowsBySplit(const NewStudyState &state)
{
    std::array<std::vector<prism::Example>, 3> rows;
    for (std::size_t r = 0; r < state.examples.size() && r < state.splitOf.size(); ++r)
        rows[static_cast<std::size_t>(state.splitOf[r])].push_back(state.examples[r]);
    return rows;
}

// The files Finish writes, relative to the folder: the study last.
QStringList filesToWrite(const NewStudyState &state, const QString &stem)
{
    QStringList files;
    const auto rows = rowsBySplit(state);
    for (DataSplit split : {DataSplit::Train, DataSplit::Val, DataSplit::Test})
        if (!rows[static_cast<std::size_t>(split)].empty())
            files << stem + QLatin1Char('.') + QLatin1String(splitFileKey(split)) + QLatin1String(".jsonl");
    files << stem + QLatin1String(".prism.json");
    return files;
}

// Writes the split files and the study (each atomically); the study's path on success.
prism::Result<std::string> writeNewStudy(const NewStudyState &state, prism::Study study, const QString &folder,
                                         const QString &stem)
{
    const auto rows = rowsBySplit(state);
    const QDir dir(folder);
    struct Output {
        std::string path;
        std::string content;
    };
    std::vector<Output> outputs;
    for (DataSplit split : {DataSplit::Train, DataSplit::Val, DataSplit::Test}) {
        const auto &splitRows = rows[static_cast<std::size_t>(split)];
        if (splitRows.empty())
            continue;
        const QString name = stem + QLatin1Char('.') + QLatin1String(splitFileKey(split)) + QLatin1String(".jsonl");
        prism::DatasetSource source;
        source.path = toStd(name);
        source.format = "jsonl";
        (split == DataSplit::Train ? study.data.train
         : split == DataSplit::Val ? study.data.val
                                   : study.data.test) = source;
        outputs.push_back({toStd(dir.filePath(name)), prism::examplesToJsonl(splitRows)});
    }
    if (!study.data.train)
        return prism::Error::make(prism::ErrorKind::Data, "no rows in the train split");
    const prism::Predictor &predictor = study.program.predictors.front();
    if (predictor.kind == prism::PredictorKind::ChainOfThought && predictor.signature.findField("reasoning"))
        return prism::Error::make(prism::ErrorKind::Config,
                                  "chain of thought adds its own field 'reasoning'; give the column of that name "
                                  "another field name (on the Columns page), or use Predict");
    study.data.splitSeed = state.splitSeed;
    if (auto metric = prism::makeMetric(study.metric, study.program); !metric)
        return metric.error();
    const std::string studyPath = toStd(dir.filePath(stem + QLatin1String(".prism.json")));
    // Every path is checked before anything is written, so a refusal leaves no half-made study.
    for (const auto &o : outputs)
        if (auto ok = prism::checkWritableOutput(o.path); !ok)
            return ok.error();
    if (auto ok = prism::checkWritableOutput(studyPath); !ok)
        return ok.error();
    for (const auto &o : outputs)
        if (auto ok = prism::writeFileAtomic(o.path, o.content); !ok)
            return ok.error();
    if (auto ok = prism::saveStudy(study, studyPath); !ok)
        return ok.error();
    return studyPath;
}

class SaveWizardPage final : public QWizardPage {
public:
    SaveWizardPage(std::shared_ptr<NewStudyState> state, const DetailsWizardPage *details)
        : m_owner(state), m_state(*state), m_details(details)
    {
        setTitle(tr("Save"));
        setSubTitle(tr("The study file and one JSONL file per split are written to this folder; the study then "
                       "opens."));
        auto *layout = new QVBoxLayout(this);
        auto *form = new QFormLayout;
        auto *row = new QHBoxLayout;
        m_folder = new QLineEdit(this);
        m_folder->setObjectName(QStringLiteral("saveFolder"));
        auto *browse = new QPushButton(tr("B&rowse\u2026"), this);
        browse->setObjectName(QStringLiteral("browseFolder"));
        row->addWidget(m_folder, 1);
        row->addWidget(browse);
        auto *folderLabel = new QLabel(tr("&Folder:"), this);
        folderLabel->setBuddy(m_folder);
        form->addRow(folderLabel, row);
        m_stem = new QLineEdit(this);
        m_stem->setObjectName(QStringLiteral("fileStem"));
        form->addRow(tr("File &names:"), m_stem);
        layout->addLayout(form);
        m_files = new QLabel(this);
        m_files->setObjectName(QStringLiteral("filesToWrite"));
        m_files->setWordWrap(true);
        m_files->setTextInteractionFlags(Qt::TextSelectableByMouse);
        layout->addWidget(m_files);
        m_replace = new QCheckBox(tr("Replace the files that exist"), this);
        m_replace->setObjectName(QStringLiteral("replaceFiles"));
        layout->addWidget(m_replace);
        m_error = new ErrorBanner(this);
        m_error->setObjectName(QStringLiteral("saveError"));
        layout->addWidget(m_error);
        layout->addStretch(1);
        connect(m_folder, &QLineEdit::textChanged, this, &SaveWizardPage::updateFiles);
        connect(m_stem, &QLineEdit::textChanged, this, &SaveWizardPage::updateFiles);
        connect(m_replace, &QCheckBox::toggled, this, &QWizardPage::completeChanged);
        connect(browse, &QPushButton::clicked, this, [this] {
            const QString dir = QFileDialog::getExistingDirectory(this, tr("Save the Study In"), m_folder->text());
            if (!dir.isEmpty())
                m_folder->setText(dir);
        });
    }

    void initializePage() override
    {
        if (m_folder->text().isEmpty() || m_filled != m_state.generation)
            m_folder->setText(QFileInfo(m_state.dataPath).absolutePath());
        m_filled = m_state.generation;
        m_stem->setText(slugFor(m_details->name()));
        m_error->clear();
        updateFiles();
    }

    bool isComplete() const override
    {
        return QFileInfo(m_folder->text()).isDir() && !m_stem->text().trimmed().isEmpty()
               && (m_existing.isEmpty() || m_replace->isChecked());
    }

    bool validatePage() override
    {
        auto written = writeNewStudy(m_state, m_details->study(), m_folder->text(), m_stem->text().trimmed());
        if (!written) {
            m_error->showMessage(tr("Nothing was opened. %1").arg(toQ(written.error().message)));
            return false;
        }
        m_state.studyPath = toQ(written.value());
        return true;
    }

private:
    void updateFiles()
    {
        const QString stem = m_stem->text().trimmed();
        const QDir dir(m_folder->text());
        m_existing.clear();
        QStringList lines;
        for (const QString &file : filesToWrite(m_state, stem)) {
            const bool exists = QFileInfo::exists(dir.filePath(file));
            if (exists)
                m_existing << file;
            lines << (exists ? tr("%1 (exists)").arg(file) : file);
        }
        if (!QFileInfo(m_folder->text()).isDir())
            m_files->setText(tr("Choose a folder that exists."));
        else
            m_files->setText(tr("Writes %1").arg(lines.join(QStringLiteral(", "))));
        m_replace->setVisible(!m_existing.isEmpty());
        emit completeChanged();
    }

    // Shared with the wizard: a page may still hear a signal while the wizard is destroyed.
    std::shared_ptr<NewStudyState> m_owner;
    NewStudyState &m_state;
    const DetailsWizardPage *m_details;
    QLineEdit *m_folder = nullptr;
    QLineEdit *m_stem = nullptr;
    QLabel *m_files = nullptr;
    QCheckBox *m_replace = nullptr;
    ErrorBanner *m_error = nullptr;
    QStringList m_existing;
    int m_filled = -1;
};

} // namespace

// ---- the wizard ------------------------------------------------------------------

NewStudyWizard::NewStudyWizard(QWidget *parent) : QWizard(parent), m_state(std::make_shared<NewStudyState>())
{
    setObjectName(QStringLiteral("newStudyWizard"));
    setWindowTitle(tr("New Study from Data"));
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnStartPage);
    auto *details = new DetailsWizardPage(m_state);
    setPage(FilePage, new FileWizardPage(m_state));
    setPage(ColumnsPage, new ColumnsWizardPage(m_state));
    setPage(SplitsPage, new SplitsWizardPage(m_state));
    setPage(DetailsPage, details);
    setPage(SavePage, new SaveWizardPage(m_state, details));
    for (int id : pageIds())
        page(id)->setObjectName(QStringList{QStringLiteral("filePage"), QStringLiteral("columnsPage"),
                                            QStringLiteral("splitsPage"), QStringLiteral("detailsPage"),
                                            QStringLiteral("savePage")}
                                    .value(id));
    const int unit = fontMetrics().height();
    resize(unit * 56, unit * 34);
}

NewStudyWizard::~NewStudyWizard() = default;

bool NewStudyWizard::loadFile(const QString &path)
{
    return static_cast<FileWizardPage *>(page(FilePage))->load(path);
}

QString NewStudyWizard::studyPath() const
{
    return m_state->studyPath;
}
