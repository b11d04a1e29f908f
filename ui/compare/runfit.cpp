#include "compare/runfit.h"

#include "artifact/program_file.h"
#include "run/run_store.h"

#include <QObject>

namespace {

// Every field of every predictor (name, type, description, prefix): what the
// program loader compares, so two studies with one fingerprint get one answer.
QString signatureFingerprint(const prism::Program &program)
{
    QString text;
    auto addFields = [&text](const std::vector<prism::Field> &fields) {
        for (const prism::Field &f : fields)
            text += QString::fromStdString(f.name + ':' + f.type.shortName() + ':' + f.description + ':' + f.prefix)
                    + QLatin1Char(',');
    };
    for (const prism::Predictor &p : program.predictors) {
        text += QString::fromStdString(p.name) + QLatin1Char('(');
        addFields(p.signature.inputs);
        text += QStringLiteral("->");
        addFields(p.signature.outputs);
        text += QLatin1Char(')');
    }
    return text;
}

} // namespace

RunFitCache::Fit RunFitCache::fit(prism::RunStore &store, const QString &runId, const prism::Program &studyProgram)
{
    const QString key = runId + QLatin1Char('|') + signatureFingerprint(studyProgram);
    if (auto cached = m_fits.constFind(key); cached != m_fits.constEnd())
        return cached.value();
    Fit fit;
    const std::string id = runId.toStdString();
    auto text = store.artifact(id);
    if (!text || text->empty()) {
        fit.reason = text ? QObject::tr("it has no program") : QString::fromStdString(text.error().message);
    } else {
        auto loaded = prism::loadProgramText(text.value(), "the artifact of run " + id, studyProgram);
        fit.fits = loaded.ok();
        if (!loaded)
            fit.reason = QString::fromStdString(loaded.error().message);
        else if (loaded->info)
            for (const auto &[split, scores] : loaded->info->splitScores)
                if (split != "test" && scores.optimized)
                    fit.scoreText = QObject::tr(" · best %1% on %2")
                                        .arg(*scores.optimized, 0, 'f', 2)
                                        .arg(split == "val" ? QObject::tr("val") : QObject::tr("held-out train"));
    }
    // A store error may pass; a verdict about the artifact stays true.
    if (text)
        m_fits.insert(key, fit);
    return fit;
}

const std::vector<RunCandidate> &RunFitCache::candidates(prism::RunStore &store, const QString &runId)
{
    auto cached = m_candidates.find(runId);
    if (cached == m_candidates.end()) {
        auto found = runCandidates(store, runId);
        cached = m_candidates.insert(runId, found ? std::move(found.value()) : std::vector<RunCandidate>());
    }
    return cached.value();
}
