#include "engine/spendtracker.h"

#include <QStringList>

SpendFigures &SpendFigures::operator+=(const SpendFigures &other)
{
    dollars += other.dollars;
    dollarsUnknown = dollarsUnknown || other.dollarsUnknown;
    calls += other.calls;
    cacheHits += other.cacheHits;
    return *this;
}

SpendByRole spendFromLedger(const std::map<std::string, prism::LedgerTotals> &byRole)
{
    SpendByRole spent;
    for (const auto &[role, t] : byRole) {
        SpendFigures &f = spent[role];
        f.dollars = t.dollars;
        f.dollarsUnknown = t.dollarsUnknown;
        f.calls = t.calls - t.cacheHits; // the ledger counts a cache hit as a request
        f.cacheHits = t.cacheHits;
    }
    return spent;
}

SpendFigures spendTotal(const SpendByRole &byRole)
{
    SpendFigures total;
    for (const auto &[role, f] : byRole)
        total += f;
    return total;
}

namespace {

SpendByRole minus(const SpendByRole &now, const SpendByRole &before)
{
    SpendByRole d = now;
    for (const auto &[role, f] : before) {
        SpendFigures &x = d[role];
        x.dollars -= f.dollars;
        x.calls -= f.calls;
        x.cacheHits -= f.cacheHits;
    }
    return d;
}

QString money(const SpendFigures &f)
{
    if (f.dollarsUnknown && f.dollars == 0.0)
        return QObject::tr("$?");
    // Small runs cost fractions of a cent; show enough digits to see them.
    const int decimals = f.dollars > 0 && f.dollars < 0.01 ? 4 : 2;
    return QStringLiteral("$") + QString::number(f.dollars, 'f', decimals)
           + (f.dollarsUnknown ? QStringLiteral("+") : QString());
}

QString figures(const SpendFigures &f)
{
    QString text = money(f);
    if (f.calls > 0)
        text +=
            QStringLiteral(" \u00b7 ") + (f.calls == 1 ? QObject::tr("1 call") : QObject::tr("%1 calls").arg(f.calls));
    return text;
}

} // namespace

SpendTracker::SpendTracker(LedgerReader reader, QObject *parent) : QObject(parent), m_reader(std::move(reader)) {}

void SpendTracker::runStarted(const QString &runId)
{
    if (m_runLive)
        runFinished(m_runId);
    m_runId = runId;
    m_runLive = true;
    m_runFinal.clear();
    m_runBaseline.clear();
    if (auto before = m_reader(runId))
        m_runBaseline = spendFromLedger(*before);
    const SpendFigures base = spendTotal(m_runBaseline);
    m_liveDollars = base.dollars;
    m_liveCalls = base.calls;
    emit changed();
}

void SpendTracker::runSpendChanged(double dollars, qlonglong calls)
{
    if (!m_runLive)
        return;
    m_liveDollars = dollars;
    m_liveCalls = calls;
    emit changed();
}

void SpendTracker::runFinished(const QString &runId)
{
    if (!m_runLive || runId != m_runId)
        return;
    m_runLive = false;
    if (auto after = m_reader(runId))
        m_runFinal = minus(spendFromLedger(*after), m_runBaseline);
    else
        m_runFinal = runByRole();
    for (const auto &[role, f] : m_runFinal)
        m_settled[role] += f;
    emit changed();
}

void SpendTracker::addJob(const SpendByRole &spent)
{
    for (const auto &[role, f] : spent)
        m_settled[role] += f;
    emit changed();
}

// While a run is live only its totals are polled (every 500 ms), not its
// roles: its share shows as one "run" line until it finishes.
SpendByRole SpendTracker::runByRole() const
{
    if (!m_runLive)
        return m_runFinal;
    const SpendFigures base = spendTotal(m_runBaseline);
    SpendFigures live;
    live.dollars = m_liveDollars - base.dollars;
    live.calls = m_liveCalls - base.calls;
    return {{"run in progress", live}};
}

SpendFigures SpendTracker::run() const
{
    return spendTotal(runByRole());
}

SpendByRole SpendTracker::sessionByRole() const
{
    SpendByRole all = m_settled;
    if (m_runLive)
        for (const auto &[role, f] : runByRole())
            all[role] += f;
    return all;
}

QString SpendTracker::statusText() const
{
    const QString session = tr("Session %1").arg(figures(this->session()));
    if (!hasRun())
        return session;
    return tr("Run %1").arg(figures(run())) + QStringLiteral(" \u2502 ") + session;
}

QString SpendTracker::toolTip() const
{
    QStringList lines{tr("Model calls since the studio opened, by role (cache hits are free):")};
    const SpendByRole byRole = sessionByRole();
    if (byRole.empty())
        lines << tr("none yet");
    for (const auto &[role, f] : byRole)
        lines << QStringLiteral("%1: %2, %3 cache hits").arg(QString::fromStdString(role), figures(f)).arg(f.cacheHits);
    if (hasRun())
        lines << QString() << tr("Run %1: %2 in this session").arg(m_runId, figures(run()));
    return lines.join(QLatin1Char('\n'));
}
