#pragma once

// The call journal of a run: every LM answer is recorded in the run store
// before it is used, and a resumed run gets the recorded answers back without
// a call (docs/RUNS.md, "Resume").
#include "core/result.h"
#include "lm/lm.h"
#include "lm/managed_lm.h"
#include "run/run_store.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace prism {

// Shared by the JournalLms of one run session.
class CallJournal {
public:
    // recorded: the answers of earlier sessions (empty for a new run).
    CallJournal(std::shared_ptr<RunStore> store, std::string runId, int session,
                const std::vector<JournalRecord> &recorded);

    // Routes the ledger's entries to the store: those of a call made through a
    // JournalLm go into the same transaction as its answer, any other one is
    // written on its own.
    void attachLedger(Ledger &ledger);

    // An answer recorded by an earlier session of the run.
    std::optional<ChatResponse> lookup(const std::string &key) const;
    // Answers this session paid for, kept when the run reads no response cache
    // (--no-cache): an identical request later in the run (the same stage-1
    // prompt under another stage-2 configuration) is answered from here.
    std::optional<ChatResponse> lookupFresh(const std::string &key) const;
    void rememberFresh(const std::string &key, const ChatResponse &response);
    Result<void> record(const std::string &key, const ChatResponse &response, const std::vector<LedgerEntry> &ledger);
    Result<void> recordLedgerOnly(const std::vector<LedgerEntry> &ledger);

    const std::string &runId() const { return m_runId; }
    int session() const { return m_session; }
    long long replayedCalls() const { return m_replayed.load(); }
    std::size_t recordedCount() const { return m_recorded.size(); }
    // The first store write that failed; empty while none did.
    std::optional<Error> storeError() const;

private:
    void noteError(const Error &error);

    std::shared_ptr<RunStore> m_store;
    std::string m_runId;
    int m_session = 1;
    std::unordered_map<std::string, ChatResponse> m_recorded;
    mutable std::atomic<long long> m_replayed{0};
    mutable std::mutex m_freshMutex;
    std::unordered_map<std::string, ChatResponse> m_fresh; // guarded by m_freshMutex
    mutable std::mutex m_errorMutex;
    std::optional<Error> m_storeError;
};

// Sits in front of a ManagedLm: a request whose answer is in the journal is
// answered from it (no call, no ledger entry, no budget); any other goes to
// the ManagedLm and its answer is committed to the journal before it is
// returned. Keys are the response cache's (cacheKey with the model's identity).
// When the run reads no cache, the journal also stands in for it: identical
// requests (at once or later) pay one call, as ManagedLm's cache makes them
// otherwise, so a run never pays twice for one request.
class JournalLm final : public Lm {
public:
    JournalLm(std::shared_ptr<ManagedLm> inner, std::shared_ptr<CallJournal> journal);

    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override;

    ManagedLm &inner() const { return *m_inner; }

private:
    std::shared_ptr<ManagedLm> m_inner;
    std::shared_ptr<CallJournal> m_journal;
};

} // namespace prism
