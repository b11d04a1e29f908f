#pragma once

#include "core/study.h"
#include "data/dataset.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <array>
#include <vector>

class QUndoStack;

enum class Split {
    Train,
    Val,
    Test,
};

// "Train", "Val", "Test" for the UI; "train", "val", "test" for files and keys.
QString splitTitle(Split split);
QString splitKey(Split split);
inline constexpr std::array<Split, 3> allSplits = {Split::Train, Split::Val, Split::Test};

// The open study: the prism::Study value, its file, the loaded rows of each
// split and the undo stack. Every edit goes through an undo command, so a page
// never mutates the study directly: it builds a changed copy and calls setStudy.
//
// The document owns study().data (where the rows live on disk) and
// study().baseDir: setStudy keeps the current ones, whatever the copy holds.
// save() rewrites them when rows have to be written.
class StudyDocument final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StudyDocument)

public:
    explicit StudyDocument(QObject *parent = nullptr);
    ~StudyDocument() override;

    const prism::Study &study() const { return m_study; }
    // Dataset hashes are recomputed here when rows changed since the last call.
    const prism::StudyData &data() const;
    const std::vector<prism::Example> &examples(Split split) const;
    int rowCount(Split split) const { return static_cast<int>(examples(split).size()); }
    // The file a split was read from or last saved to; empty for rows not saved yet.
    QString sourcePath(Split split) const;

    QString path() const { return m_path; } // empty until saved
    QString displayName() const;            // the study's name, else its file name, else "Untitled"
    bool isUntitled() const { return m_path.isEmpty(); }
    bool isModified() const;
    QUndoStack *undoStack() const { return m_undoStack; }

    // Undoable edits. undoText is what Edit > Undo shows. Consecutive setStudy
    // calls with the same non-empty mergeKey merge into one undo step (typing).
    void setStudy(const prism::Study &study, const QString &undoText, const QString &mergeKey = {});
    void setRow(Split split, int row, const prism::Example &example, const QString &undoText);
    // The name the studio brief used; same as setRow.
    void setRows(Split split, int row, const prism::Example &example, const QString &undoText)
    {
        setRow(split, row, example, undoText);
    }
    void insertRows(Split split, int row, std::vector<prism::Example> examples, const QString &undoText = {});
    void removeRows(Split split, int row, int count, const QString &undoText = {});
    // Imports and re-splits: replaces every split; rows of a split that changed
    // are saved to a new file beside the study.
    void replaceData(const prism::StudyData &data, const QString &undoText);

    // Loading replaces everything and clears the undo stack. On failure the
    // document is unchanged and *error holds the engine's message (file, line).
    bool open(const QString &path, QString *error);
    // Writes changed rows (each file atomically, as JSONL), then the study.
    bool save(const QString &path, QString *error);
    // Opens samples/<name>/<name>.prism.json as an untitled study.
    bool newFromSample(const QString &sampleName, QString *error);

    // $PRISM_SAMPLES_DIR, the installed share/prism/samples, or the source tree's samples/.
    static QString samplesDir();
    static QStringList sampleNames();

    // The program's columns in the order the dataset table shows them:
    // external inputs, then every output (labels and intermediate values).
    std::vector<prism::Field> dataFields() const;
    bool isInputField(const std::string &name) const;

signals:
    void studyChanged();
    // Whole-split changes (imports, splits, open). Row-level edits use the row signals.
    void dataChanged(Split split);
    void rowChanged(Split split, int row);
    void rowsAboutToBeInserted(Split split, int row, int count);
    void rowsInserted(Split split, int row, int count);
    void rowsAboutToBeRemoved(Split split, int row, int count);
    void rowsRemoved(Split split, int row, int count);
    // After open / new: everything changed, the undo history is empty.
    void documentReset();
    void pathChanged();
    void modifiedChanged(bool modified);

private:
    friend class SetStudyCommand;
    friend class SetRowCommand;
    friend class InsertRowsCommand;
    friend class RemoveRowsCommand;
    friend class ReplaceDataCommand;

    prism::Dataset &dataset(Split split);
    const prism::Dataset &dataset(Split split) const;
    void applyStudy(const prism::Study &study);
    void applyRow(Split split, int row, const prism::Example &example);
    void applyInsert(Split split, int row, const std::vector<prism::Example> &examples);
    void applyRemove(Split split, int row, int count);
    void applyData(const prism::StudyData &data);
    void resetTo(prism::Study study, prism::StudyData data, const QString &path);
    void setPath(const QString &path);

    prism::Study m_study;
    mutable prism::StudyData m_data;
    mutable std::array<bool, 3> m_hashStale{};
    // The rows as they are on disk, to know what save() must write.
    std::array<std::vector<prism::Example>, 3> m_diskRows;
    // Splits replaced by an import or a re-split: saved to a new file.
    std::array<bool, 3> m_detached{};
    QString m_path;
    QUndoStack *m_undoStack = nullptr;
    bool m_lastModified = false;
};
