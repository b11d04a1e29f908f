#include "studydocument.h"

#include "core/json.h"
#include "data/import.h"
#include "qtconvert.h"

#include <nlohmann/json.hpp>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QUndoCommand>
#include <QUndoStack>

#include <filesystem>
#include <utility>

namespace fs = std::filesystem;

QString splitTitle(Split split)
{
    switch (split) {
    case Split::Train: return QObject::tr("Train");
    case Split::Val: return QObject::tr("Val");
    case Split::Test: return QObject::tr("Test");
    }
    return {};
}

QString splitKey(Split split)
{
    switch (split) {
    case Split::Train: return QStringLiteral("train");
    case Split::Val: return QStringLiteral("val");
    case Split::Test: return QStringLiteral("test");
    }
    return {};
}

namespace {

int splitIndex(Split split)
{
    return static_cast<int>(split);
}

std::optional<prism::DatasetSource> &sourceOf(prism::DataConfig &config, Split split)
{
    switch (split) {
    case Split::Train: return config.train;
    case Split::Val: return config.val;
    case Split::Test: return config.test;
    }
    return config.train;
}

bool isPlainJsonl(const prism::DatasetSource &source)
{
    const bool jsonl =
        source.format == "jsonl"
        || (source.format.empty()
            && QFileInfo(toQ(source.path)).suffix().compare(QLatin1String("jsonl"), Qt::CaseInsensitive) == 0);
    if (!jsonl)
        return false;
    for (const auto &[field, column] : source.columns)
        if (field != column)
            return false;
    return true;
}

std::string normalDir(const std::string &dir)
{
    if (dir.empty())
        return {};
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(fs::path(dir), ec);
    return (ec ? fs::path(dir).lexically_normal() : canonical).string();
}

} // namespace

// ---- undo commands ------------------------------------------------------------

class SetStudyCommand final : public QUndoCommand {
public:
    SetStudyCommand(StudyDocument *doc, prism::Study before, prism::Study after, const QString &text, QString mergeKey)
        : QUndoCommand(text), m_doc(doc), m_before(std::move(before)), m_after(std::move(after)),
          m_mergeKey(std::move(mergeKey))
    {}
    void undo() override { m_doc->applyStudy(m_before); }
    void redo() override { m_doc->applyStudy(m_after); }
    int id() const override { return 1; }
    bool mergeWith(const QUndoCommand *other) override
    {
        const auto *next = static_cast<const SetStudyCommand *>(other);
        if (m_mergeKey.isEmpty() || next->m_mergeKey != m_mergeKey)
            return false;
        m_after = next->m_after;
        return true;
    }

private:
    StudyDocument *m_doc;
    prism::Study m_before;
    prism::Study m_after;
    QString m_mergeKey;
};

class SetRowCommand final : public QUndoCommand {
public:
    SetRowCommand(StudyDocument *doc, Split split, int row, prism::Example before, prism::Example after,
                  const QString &text)
        : QUndoCommand(text), m_doc(doc), m_split(split), m_row(row), m_before(std::move(before)),
          m_after(std::move(after))
    {}
    void undo() override { m_doc->applyRow(m_split, m_row, m_before); }
    void redo() override { m_doc->applyRow(m_split, m_row, m_after); }

private:
    StudyDocument *m_doc;
    Split m_split;
    int m_row;
    prism::Example m_before;
    prism::Example m_after;
};

class InsertRowsCommand final : public QUndoCommand {
public:
    InsertRowsCommand(StudyDocument *doc, Split split, int row, std::vector<prism::Example> rows, const QString &text)
        : QUndoCommand(text), m_doc(doc), m_split(split), m_row(row), m_rows(std::move(rows))
    {}
    void undo() override { m_doc->applyRemove(m_split, m_row, static_cast<int>(m_rows.size())); }
    void redo() override { m_doc->applyInsert(m_split, m_row, m_rows); }

private:
    StudyDocument *m_doc;
    Split m_split;
    int m_row;
    std::vector<prism::Example> m_rows;
};

class RemoveRowsCommand final : public QUndoCommand {
public:
    RemoveRowsCommand(StudyDocument *doc, Split split, int row, std::vector<prism::Example> removed,
                      const QString &text)
        : QUndoCommand(text), m_doc(doc), m_split(split), m_row(row), m_removed(std::move(removed))
    {}
    void undo() override { m_doc->applyInsert(m_split, m_row, m_removed); }
    void redo() override { m_doc->applyRemove(m_split, m_row, static_cast<int>(m_removed.size())); }

private:
    StudyDocument *m_doc;
    Split m_split;
    int m_row;
    std::vector<prism::Example> m_removed;
};

class ReplaceDataCommand final : public QUndoCommand {
public:
    ReplaceDataCommand(StudyDocument *doc, prism::StudyData before, prism::StudyData after, const QString &text)
        : QUndoCommand(text), m_doc(doc), m_before(std::move(before)), m_after(std::move(after))
    {}
    void undo() override { m_doc->applyData(m_before); }
    void redo() override { m_doc->applyData(m_after); }

private:
    StudyDocument *m_doc;
    prism::StudyData m_before;
    prism::StudyData m_after;
};

// ---- StudyDocument ------------------------------------------------------------

StudyDocument::StudyDocument(QObject *parent) : QObject(parent), m_undoStack(new QUndoStack(this))
{
    connect(m_undoStack, &QUndoStack::cleanChanged, this, [this] {
        const bool modified = isModified();
        if (modified != m_lastModified) {
            m_lastModified = modified;
            emit modifiedChanged(modified);
        }
    });
}

StudyDocument::~StudyDocument() = default;

const prism::StudyData &StudyDocument::data() const
{
    for (Split split : allSplits) {
        const int i = splitIndex(split);
        if (m_hashStale[i]) {
            auto &set = const_cast<StudyDocument *>(this)->dataset(split);
            set.hash = prism::hashExamples(set.examples);
            m_hashStale[i] = false;
        }
    }
    return m_data;
}

prism::Dataset &StudyDocument::dataset(Split split)
{
    switch (split) {
    case Split::Train: return m_data.train;
    case Split::Val: return m_data.val;
    case Split::Test: return m_data.test;
    }
    return m_data.train;
}

const prism::Dataset &StudyDocument::dataset(Split split) const
{
    return const_cast<StudyDocument *>(this)->dataset(split);
}

const std::vector<prism::Example> &StudyDocument::examples(Split split) const
{
    return dataset(split).examples;
}

QString StudyDocument::sourcePath(Split split) const
{
    // Replaced rows go to a new file on save; the old one is no longer their source.
    if (m_detached[static_cast<std::size_t>(splitIndex(split))])
        return {};
    return toQ(dataset(split).path);
}

QString StudyDocument::displayName() const
{
    if (!m_study.name.empty())
        return toQ(m_study.name);
    if (!m_path.isEmpty())
        return QFileInfo(m_path).fileName();
    return tr("Untitled");
}

bool StudyDocument::isModified() const
{
    return !m_undoStack->isClean();
}

std::vector<prism::Field> StudyDocument::dataFields() const
{
    std::vector<prism::Field> fields;
    auto has = [&](const std::string &name) {
        for (const auto &f : fields)
            if (f.name == name)
                return true;
        return false;
    };
    const prism::Program &program = m_study.program;
    for (const auto &name : program.externalInputs()) {
        for (const auto &p : program.predictors) {
            if (const prism::Field *f = p.signature.findInput(name)) {
                if (!has(name))
                    fields.push_back(*f);
                break;
            }
        }
    }
    for (const auto &p : program.predictors)
        for (const auto &f : p.signature.outputs)
            if (!has(f.name))
                fields.push_back(f);
    return fields;
}

bool StudyDocument::isInputField(const std::string &name) const
{
    for (const auto &input : m_study.program.externalInputs())
        if (input == name)
            return true;
    return false;
}

// ---- edits ----------------------------------------------------------------------

void StudyDocument::setStudy(const prism::Study &study, const QString &undoText, const QString &mergeKey)
{
    prism::Study after = study;
    after.data = m_study.data;
    after.baseDir = m_study.baseDir;
    if (after == m_study)
        return;
    m_undoStack->push(new SetStudyCommand(this, m_study, std::move(after), undoText, mergeKey));
}

void StudyDocument::setRow(Split split, int row, const prism::Example &example, const QString &undoText)
{
    const auto &rows = examples(split);
    if (row < 0 || row >= static_cast<int>(rows.size()) || rows[static_cast<std::size_t>(row)] == example)
        return;
    m_undoStack->push(new SetRowCommand(this, split, row, rows[static_cast<std::size_t>(row)], example, undoText));
}

void StudyDocument::insertRows(Split split, int row, std::vector<prism::Example> newRows, const QString &undoText)
{
    if (newRows.empty())
        return;
    row = std::clamp(row, 0, rowCount(split));
    const QString text = !undoText.isEmpty()   ? undoText
                         : newRows.size() == 1 ? tr("Add row")
                                               : tr("Add %1 rows").arg(newRows.size());
    m_undoStack->push(new InsertRowsCommand(this, split, row, std::move(newRows), text));
}

void StudyDocument::removeRows(Split split, int row, int count, const QString &undoText)
{
    const int n = rowCount(split);
    if (row < 0 || count <= 0 || row >= n)
        return;
    count = std::min(count, n - row);
    const auto &rows = examples(split);
    std::vector<prism::Example> removed(rows.begin() + row, rows.begin() + row + count);
    const QString text = !undoText.isEmpty() ? undoText
                         : count == 1        ? tr("Delete row")
                                             : tr("Delete %1 rows").arg(count);
    m_undoStack->push(new RemoveRowsCommand(this, split, row, std::move(removed), text));
}

void StudyDocument::replaceData(const prism::StudyData &newData, const QString &undoText)
{
    prism::StudyData after = m_data;
    for (Split split : allSplits) {
        const int i = splitIndex(split);
        auto &set = split == Split::Train ? after.train : split == Split::Val ? after.val : after.test;
        const auto &incoming = split == Split::Train ? newData.train : split == Split::Val ? newData.val : newData.test;
        if (set.examples != incoming.examples) {
            set.examples = incoming.examples;
            m_detached[i] = true;
        }
    }
    if (after.train.examples == m_data.train.examples && after.val.examples == m_data.val.examples
        && after.test.examples == m_data.test.examples)
        return;
    m_undoStack->push(new ReplaceDataCommand(this, m_data, std::move(after), undoText));
}

void StudyDocument::applyStudy(const prism::Study &study)
{
    const auto inputsBefore = m_study.program.externalInputs();
    prism::DataConfig data = m_study.data;
    std::string baseDir = m_study.baseDir;
    m_study = study;
    m_study.data = std::move(data);
    m_study.baseDir = std::move(baseDir);
    // Which values are inputs follows from the program; keep the rows in step.
    const auto inputsAfter = m_study.program.externalInputs();
    if (inputsAfter != inputsBefore) {
        for (Split split : allSplits) {
            for (auto &example : dataset(split).examples)
                example.inputKeys = inputsAfter;
            m_hashStale[splitIndex(split)] = true;
        }
    }
    emit studyChanged();
}

void StudyDocument::applyRow(Split split, int row, const prism::Example &example)
{
    auto &rows = dataset(split).examples;
    if (row < 0 || row >= static_cast<int>(rows.size()))
        return;
    rows[static_cast<std::size_t>(row)] = example;
    m_hashStale[splitIndex(split)] = true;
    emit rowChanged(split, row);
}

void StudyDocument::applyInsert(Split split, int row, const std::vector<prism::Example> &newRows)
{
    auto &rows = dataset(split).examples;
    row = std::clamp(row, 0, static_cast<int>(rows.size()));
    const int count = static_cast<int>(newRows.size());
    emit rowsAboutToBeInserted(split, row, count);
    rows.insert(rows.begin() + row, newRows.begin(), newRows.end());
    m_hashStale[splitIndex(split)] = true;
    emit rowsInserted(split, row, count);
}

void StudyDocument::applyRemove(Split split, int row, int count)
{
    auto &rows = dataset(split).examples;
    if (row < 0 || count <= 0 || row + count > static_cast<int>(rows.size()))
        return;
    emit rowsAboutToBeRemoved(split, row, count);
    rows.erase(rows.begin() + row, rows.begin() + row + count);
    m_hashStale[splitIndex(split)] = true;
    emit rowsRemoved(split, row, count);
}

void StudyDocument::applyData(const prism::StudyData &newData)
{
    for (Split split : allSplits) {
        auto &set = dataset(split);
        const auto &incoming = split == Split::Train ? newData.train : split == Split::Val ? newData.val : newData.test;
        if (set.examples == incoming.examples)
            continue;
        set.examples = incoming.examples;
        m_hashStale[splitIndex(split)] = true;
        emit dataChanged(split);
    }
}

// ---- files ----------------------------------------------------------------------

void StudyDocument::resetTo(prism::Study study, prism::StudyData data, const QString &path)
{
    m_study = std::move(study);
    m_data = std::move(data);
    for (Split split : allSplits) {
        const int i = splitIndex(split);
        m_diskRows[i] = dataset(split).examples;
        m_detached[i] = false;
        m_hashStale[i] = false;
    }
    m_undoStack->clear();
    m_undoStack->setClean();
    setPath(path);
    emit studyChanged();
    for (Split split : allSplits)
        emit dataChanged(split);
    emit documentReset();
    if (m_lastModified) {
        m_lastModified = false;
        emit modifiedChanged(false);
    }
}

void StudyDocument::setPath(const QString &path)
{
    if (path == m_path)
        return;
    m_path = path;
    emit pathChanged();
}

bool StudyDocument::open(const QString &path, QString *error)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    auto study = prism::loadStudy(toStd(absolute));
    if (!study) {
        if (error)
            *error = toQ(study.error().message);
        return false;
    }
    auto data = prism::loadStudyData(study.value());
    if (!data) {
        if (error)
            *error = toQ(data.error().message);
        return false;
    }
    resetTo(std::move(study.value()), std::move(data.value()), absolute);
    return true;
}

bool StudyDocument::newFromSample(const QString &sampleName, QString *error)
{
    const QString dir = samplesDir();
    const QString file = QDir(dir).filePath(sampleName + QLatin1Char('/') + sampleName + QLatin1String(".prism.json"));
    if (dir.isEmpty() || !QFileInfo::exists(file)) {
        if (error)
            *error = tr("No sample named '%1' (looked for %2)")
                         .arg(sampleName, dir.isEmpty() ? tr("a samples folder") : file);
        return false;
    }
    if (!open(file, error))
        return false;
    // A sample opens untitled so that Save asks where to put the copy.
    setPath(QString());
    return true;
}

bool StudyDocument::save(const QString &pathIn, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (pathIn.isEmpty())
        return fail(tr("No file name given"));
    const QFileInfo target(pathIn);
    const QString absolute = target.absoluteFilePath();
    const std::string newBase = target.absolutePath().toStdString();
    const bool sameBase = normalDir(m_study.baseDir) == normalDir(newBase);

    prism::Study study = m_study;
    study.baseDir = newBase;
    const prism::DataConfig &config = m_study.data;
    const bool carved = (!config.val && config.valFraction > 0) || (!config.test && config.testFraction > 0);

    std::array<bool, 3> changed{};
    bool anyChanged = false;
    for (Split split : allSplits) {
        const int i = splitIndex(split);
        changed[i] = m_detached[i] || examples(split) != m_diskRows[i];
        anyChanged = anyChanged || changed[i];
    }

    // Rows are written when they changed, when val/test were carved out of
    // train (the file holds all of them), or when the study moves to another
    // folder (its copy keeps its data beside it).
    struct PendingWrite {
        std::string path;
        std::string content;
    };
    std::vector<PendingWrite> writes;
    std::array<std::string, 3> writtenPaths;
    if (anyChanged || !sameBase) {
        QString stem = target.fileName();
        for (const char *suffix : {".prism.json", ".json"}) {
            if (stem.endsWith(QLatin1String(suffix), Qt::CaseInsensitive)) {
                stem.chop(static_cast<int>(qstrlen(suffix)));
                break;
            }
        }
        study.data.valFraction = 0.0;
        study.data.testFraction = 0.0;
        for (Split split : allSplits) {
            const int i = splitIndex(split);
            auto &source = sourceOf(study.data, split);
            const bool keep = sameBase && source && !changed[i] && !carved;
            if (keep)
                continue;
            if (split != Split::Train && examples(split).empty()) {
                source.reset();
                continue;
            }
            std::string relative;
            if (sameBase && source && isPlainJsonl(*source) && !m_detached[i] && !carved)
                relative = source->path;
            else
                relative = (stem + QLatin1Char('.') + splitKey(split) + QLatin1String(".jsonl")).toStdString();
            prism::DatasetSource fresh;
            fresh.path = relative;
            fresh.format = "jsonl";
            source = fresh;
            writtenPaths[i] = study.resolvePath(relative);
            writes.push_back({writtenPaths[i], prism::examplesToJsonl(examples(split))});
        }
    }

    for (const auto &w : writes)
        if (auto r = prism::writeFileAtomic(w.path, w.content); !r)
            return fail(toQ(r.error().message));
    if (auto r = prism::saveStudy(study, absolute.toStdString()); !r)
        return fail(toQ(r.error().message));

    m_study.data = study.data;
    m_study.baseDir = study.baseDir;
    for (Split split : allSplits) {
        const int i = splitIndex(split);
        m_diskRows[i] = examples(split);
        m_detached[i] = false;
        if (!writtenPaths[i].empty())
            dataset(split).path = writtenPaths[i];
    }
    setPath(absolute);
    m_undoStack->setClean();
    return true;
}

QString StudyDocument::samplesDir()
{
    QStringList candidates;
    const QString env = qEnvironmentVariable("PRISM_SAMPLES_DIR");
    if (!env.isEmpty())
        candidates << env;
    if (QCoreApplication::instance())
        candidates << QCoreApplication::applicationDirPath() + QLatin1String("/../share/prism/samples");
#ifdef PRISM_SOURCE_DIR
    candidates << QStringLiteral(PRISM_SOURCE_DIR "/samples");
#endif
    for (const QString &dir : candidates)
        if (QFileInfo(dir).isDir())
            return QDir(dir).canonicalPath();
    return {};
}

QStringList StudyDocument::sampleNames()
{
    const QString dir = samplesDir();
    if (dir.isEmpty())
        return {};
    QStringList names;
    const auto entries = QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QString &name : entries)
        if (QFileInfo::exists(QDir(dir).filePath(name + QLatin1Char('/') + name + QLatin1String(".prism.json"))))
            names << name;
    return names;
}
