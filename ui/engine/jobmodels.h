#pragma once

// The study's models for one studio job that runs off the UI thread (Try-it
// rows, a comparison, the Grid, the Playground, a trace run again): the job
// opens them on its thread; cancel() from the UI thread stops new calls and
// wakes the ones waiting; ledgerByRole() is what the job spent.
#include "core/result.h"
#include "core/study.h"
#include "lm/ledger.h"
#include "modelsetup/lm_setup.h"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

class JobModels {
public:
    // Builds the models (task and proposer, cache, ledger, scheduler) as
    // setupModels does for a run; a cancel() that came first is applied at once.
    prism::Result<prism::ModelSet *> open(const prism::Study &study);
    void cancel(); // any thread
    bool cancelled() const { return m_stop.load(); }
    const std::atomic<bool> *stopFlag() const { return &m_stop; }
    // The job's calls by role, cache hits included; empty before open().
    std::map<std::string, prism::LedgerTotals> ledgerByRole() const;

private:
    mutable std::mutex m_mutex; // guards m_models against cancel() from the UI thread
    std::atomic<bool> m_stop{false};
    std::optional<prism::ModelSet> m_models;
};
