#pragma once

#include <QWizard>

#include <memory>

namespace prism {
struct Study;
} // namespace prism

struct NewStudyState;

// File ▸ New Study from Data…: a study made from the user's own CSV, JSON or
// JSONL file. Pages: the file and a preview, the columns (role, type, enum
// values, guessed by the engine's schema guess), the splits (a split column
// of the file, or a stratified seeded split), the name, program kind and a
// metric per output, and where to save. Finish writes <stem>.train/val/test
// .jsonl and <stem>.prism.json (each atomically); the main window then opens
// the study file, so what the user works on is what was saved.
class NewStudyWizard final : public QWizard {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NewStudyWizard)

public:
    enum PageId { FilePage, ColumnsPage, SplitsPage, DetailsPage, SavePage };

    explicit NewStudyWizard(QWidget *parent = nullptr);
    ~NewStudyWizard() override;

    // Loads a data file into the first page (Browse… and the path field do
    // the same); false with the error shown on the page.
    bool loadFile(const QString &path);
    // The study file written by Finish; empty before.
    QString studyPath() const;

private:
    std::shared_ptr<NewStudyState> m_state;
};
