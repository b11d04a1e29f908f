#pragma once

// Which stored runs' programs fit the open study, for every page that offers
// runs as programs (Compare, Grid, Playground). Each answer is remembered per
// run and study signature: a finished run's artifact and events never change,
// and the pages ask again each time they are shown, on the UI thread.
#include "compare/candidateprogram.h"

#include "core/program.h"

#include <QHash>
#include <QString>

#include <vector>

namespace prism {
class RunStore;
}

class RunFitCache {
public:
    struct Fit {
        bool fits = false;
        QString reason;    // why it does not fit (the program loader's message)
        QString scoreText; // " · best 73.33% on val" (or "on held-out train"); empty without scores
    };

    // The run's artifact read against the study's program by the engine's one program loader.
    Fit fit(prism::RunStore &store, const QString &runId, const prism::Program &studyProgram);
    // The configurations the run evaluated on the full split (runCandidates), best first; empty on an error.
    const std::vector<RunCandidate> &candidates(prism::RunStore &store, const QString &runId);

private:
    QHash<QString, Fit> m_fits; // key: run id + the study's signature fingerprint
    QHash<QString, std::vector<RunCandidate>> m_candidates;
};
