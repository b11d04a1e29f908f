#pragma once

// A finished comparison in display terms: what the Compare page shows at the
// top and what an HTML run report embeds. Plain values, no engine types.
#include <QList>
#include <QString>

struct CompareSummary {
    struct Flip {
        int index = 0;         // example index in the split
        bool improved = false; // A wrong, B correct (else the reverse)
        QString inputs;
        QString expected;
        QString predictionA;
        QString predictionB;
    };

    QString labelA; // "Baseline (the study's program)", "Run r-20261122-0001", a file name
    QString labelB;
    QString split;       // train | val | test
    double scoreA = 0.0; // percent over the examples both scored
    double scoreB = 0.0;
    double difference = 0.0; // B - A, points
    double ciLow = 0.0;      // paired bootstrap interval of the difference
    double ciHigh = 0.0;
    double confidence = 0.95;
    int resamples = 0;
    int paired = 0;
    int improved = 0; // flips A wrong -> B correct
    int regressed = 0;
    int partialChanges = 0;
    int errorsA = 0;
    int errorsB = 0;
    QString verdict;   // whether the interval excludes 0, in words
    QList<Flip> flips; // in example order
};
