#pragma once

// The studio's Export functions (DESIGN.md §7, "Export"): a run's program,
// the rendered prompt, the trial table, a self-contained HTML report and
// chart images. No widgets: each function writes one file atomically
// (QSaveFile: a failed write leaves any previous file as it was and no
// partial file) and returns an error that names the file and what failed.
#include "core/program.h"
#include "core/result.h"
#include "core/study.h"

#include <QByteArray>
#include <QImage>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

struct CompareSummary;
namespace prism {
class RunStore;
}

// The run's DSPy-format artifact (with its prism block), byte for byte as stored.
prism::Result<void> exportProgramJson(prism::RunStore &store, const QString &runId, const QString &path);

// The program's prompt with inputs as {field} placeholders, rendered by the
// study's adapter: chat messages as JSON, or the same as plain text.
prism::Result<void> exportPromptMessages(const prism::Study &study, const prism::Program &program, const QString &path);
prism::Result<void> exportPromptText(const prism::Study &study, const prism::Program &program, const QString &path);

// One row per trial: trial, kind, per predictor the instruction index, its
// text and the demo-set index, then score, scored, errors, examples,
// new_calls, memo_hits, state, error. RFC 4180: CRLF line ends, fields with
// a comma, quote or line break quoted with quotes doubled.
prism::Result<void> exportTrialsCsv(prism::RunStore &store, const QString &runId, const QString &path);

// One HTML file with no outside references (ui/export/runreport.cpp): the
// study and its description, the models, the scores by split, the comparison
// when one is given, the charts as embedded PNG images (title, image), the
// baseline and optimized prompts in full with their demos, the optimizer
// settings one per row, the best program's per-example results, the trial
// table, the ledger by role and the notes. Each part is a <section> with one
// of runReportSectionIds() as its id. Every text from the run is HTML-escaped.
prism::Result<void> exportRunReportHtml(prism::RunStore &store, const QString &runId,
                                        const QList<QPair<QString, QImage>> &charts, const CompareSummary *comparison,
                                        const QString &path);
// The sections every report has, in order (comparison, charts and notes only
// appear when the report has them).
QStringList runReportSectionIds();

prism::Result<void> exportChartPng(const QImage &image, const QString &path);

// The building blocks, for the functions above and for tests.
prism::Result<void> writeFileAtomically(const QString &path, const QByteArray &bytes);
QString csvField(const QString &text);
