#include "run/journal_lm.h"

#include <spdlog/spdlog.h>

namespace prism {

namespace {

// The ledger entries of the call this thread is making through a JournalLm.
// ManagedLm appends its ledger entry on the calling thread, so the listener
// finds the call it belongs to here.
thread_local std::vector<LedgerEntry> *t_capture = nullptr;

} // namespace

CallJournal::CallJournal(std::shared_ptr<RunStore> store, std::string runId, int session,
                         const std::vector<JournalRecord> &recorded)
    : m_store(std::move(store)), m_runId(std::move(runId)), m_session(session)
{
    for (const auto &r : recorded)
        m_recorded.emplace(r.requestKey, r.response);
}

void CallJournal::attachLedger(Ledger &ledger)
{
    ledger.setListener([this](const LedgerEntry &entry) {
        if (t_capture) {
            t_capture->push_back(entry);
            return;
        }
        auto written = recordLedgerOnly({entry});
        (void)written; // noted by recordLedgerOnly
    });
}

std::optional<ChatResponse> CallJournal::lookup(const std::string &key) const
{
    // m_recorded is fixed after construction: no lock needed.
    auto it = m_recorded.find(key);
    if (it == m_recorded.end())
        return std::nullopt;
    ++m_replayed;
    return it->second;
}

std::optional<ChatResponse> CallJournal::lookupFresh(const std::string &key) const
{
    std::lock_guard lock(m_freshMutex);
    auto it = m_fresh.find(key);
    if (it == m_fresh.end())
        return std::nullopt;
    return it->second;
}

void CallJournal::rememberFresh(const std::string &key, const ChatResponse &response)
{
    std::lock_guard lock(m_freshMutex);
    m_fresh.emplace(key, response);
}

Result<void> CallJournal::record(const std::string &key, const ChatResponse &response,
                                 const std::vector<LedgerEntry> &ledger)
{
    std::vector<LedgerRow> rows;
    rows.reserve(ledger.size());
    for (const auto &e : ledger)
        rows.push_back({m_session, key, e});
    auto written = m_store->recordCall(m_runId, {key, response, m_session}, rows);
    if (!written)
        noteError(written.error());
    return written;
}

Result<void> CallJournal::recordLedgerOnly(const std::vector<LedgerEntry> &ledger)
{
    for (const auto &e : ledger) {
        auto written = m_store->appendLedger(m_runId, {m_session, std::string(), e});
        if (!written) {
            noteError(written.error());
            return written;
        }
    }
    return {};
}

std::optional<Error> CallJournal::storeError() const
{
    std::lock_guard lock(m_errorMutex);
    return m_storeError;
}

void CallJournal::noteError(const Error &error)
{
    std::lock_guard lock(m_errorMutex);
    if (!m_storeError) {
        spdlog::error("{}", error.message);
        m_storeError = error;
    }
}

JournalLm::JournalLm(std::shared_ptr<ManagedLm> inner, std::shared_ptr<CallJournal> journal)
    : m_inner(std::move(inner)), m_journal(std::move(journal))
{}

std::string JournalLm::describe() const
{
    return m_inner->describe();
}

Result<ChatResponse> JournalLm::complete(const ChatRequest &request)
{
    if (m_inner->services().cancelled())
        return Error::make(ErrorKind::Cancelled, "cancelled: no new LM call is started");
    const std::string key = cacheKey(m_inner->identity(), request);
    if (auto recorded = m_journal->lookup(key))
        return std::move(*recorded);

    // Without cache reads, ManagedLm makes every request its own call: here
    // the same request waits for the first (InFlightCalls) and takes its answer.
    const CallServices &services = m_inner->services();
    const bool readsCache = services.cache && services.cacheEnabled && !services.cacheBypass;
    std::optional<InFlightCalls::Claim> claim;
    if (!readsCache && services.inFlight) {
        auto claimed = services.inFlight->claim(key, services.cancel.get());
        if (!claimed)
            return Error::make(ErrorKind::Cancelled, "cancelled: no new LM call is started");
        claim.emplace(std::move(*claimed));
        if (auto fresh = m_journal->lookupFresh(key))
            return std::move(*fresh);
    }

    std::vector<LedgerEntry> captured;
    std::vector<LedgerEntry> *previous = t_capture;
    t_capture = &captured;
    auto result = m_inner->complete(request);
    t_capture = previous;

    if (!result) {
        auto written = m_journal->recordLedgerOnly(captured);
        (void)written;
        return result;
    }
    // Committed before anyone uses the answer: a crash after this point never
    // pays for it again.
    auto written = m_journal->record(key, result.value(), captured);
    if (!written)
        return Error::make(ErrorKind::Io,
                           "the answer could not be recorded in the run store: " + written.error().message);
    if (!readsCache)
        m_journal->rememberFresh(key, result.value());
    return result;
}

} // namespace prism
