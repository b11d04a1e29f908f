#include "engine/jobmodels.h"

prism::Result<prism::ModelSet *> JobModels::open(const prism::Study &study)
{
    auto models = prism::setupModels(study, {}, prism::LmSetupOptions{});
    if (!models)
        return models.error();
    std::lock_guard lock(m_mutex);
    m_models = std::move(models.value());
    if (m_stop)
        m_models->services.requestCancel();
    return &*m_models;
}

void JobModels::cancel()
{
    m_stop = true;
    std::lock_guard lock(m_mutex);
    if (m_models)
        m_models->services.requestCancel();
}

std::map<std::string, prism::LedgerTotals> JobModels::ledgerByRole() const
{
    std::lock_guard lock(m_mutex);
    if (!m_models || !m_models->services.ledger)
        return {};
    return m_models->services.ledger->totalsByRole();
}
