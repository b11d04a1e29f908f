#pragma once

// What the studio spent since it opened (issue 14: "Spend covers every call
// the studio made since it opened, by role, beside the current run's"). Runs
// report through EngineBridge; the jobs that call models outside a run
// (Try-it on the Metric page, Compare) report their ledger when they end.
#include "lm/ledger.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <functional>
#include <map>
#include <optional>
#include <string>

// Model calls are requests that reached a model: cache hits are counted apart.
struct SpendFigures {
    double dollars = 0.0;
    bool dollarsUnknown = false; // a model without a price was called
    long long calls = 0;
    long long cacheHits = 0;
    SpendFigures &operator+=(const SpendFigures &other);
};
using SpendByRole = std::map<std::string, SpendFigures>;

// Signals carry it (and tests spy on them).
Q_DECLARE_METATYPE(SpendByRole)

SpendByRole spendFromLedger(const std::map<std::string, prism::LedgerTotals> &byRole);
SpendFigures spendTotal(const SpendByRole &byRole);

class SpendTracker final : public QObject {
    Q_OBJECT

public:
    // Reads a run's ledger by role from the store; empty when it cannot.
    using LedgerReader = std::function<std::optional<std::map<std::string, prism::LedgerTotals>>(const QString &)>;

    explicit SpendTracker(LedgerReader reader, QObject *parent = nullptr);

    // The current run (or the last one) over this session only: a resumed run
    // does not count again what its earlier sessions spent.
    SpendFigures run() const;
    bool hasRun() const { return !m_runId.isEmpty(); }
    // Everything since the studio opened: finished jobs, earlier runs, and the
    // current run so far.
    SpendFigures session() const { return spendTotal(sessionByRole()); }
    SpendByRole sessionByRole() const;

    // "Run $x · n calls │ Session $y · m calls", and a tooltip by role.
    QString statusText() const;
    QString toolTip() const;

public slots:
    void runStarted(const QString &runId);
    void runSpendChanged(double dollars, qlonglong calls);
    void runFinished(const QString &runId);
    // A job outside a run ended (Try-it, Compare): its ledger by role.
    void addJob(const SpendByRole &spent);

signals:
    void changed();

private:
    SpendByRole runByRole() const;

    LedgerReader m_reader;
    SpendByRole m_settled; // finished jobs and runs
    QString m_runId;
    SpendByRole m_runBaseline; // the run's ledger when this session of it began
    SpendByRole m_runFinal;    // set once it finished (this session's share)
    bool m_runLive = false;
    double m_liveDollars = 0.0; // the live run's totals over all its sessions
    long long m_liveCalls = 0;
};
