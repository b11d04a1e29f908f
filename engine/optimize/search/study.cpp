#include "optimize/search/study.h"

#include <spdlog/fmt/fmt.h>

#include <cassert>
#include <cmath>

namespace prism {

SearchStudy::SearchStudy(SearchSpace space, std::unique_ptr<Sampler> sampler, std::uint64_t seed)
    : m_space(std::move(space)), m_sampler(std::move(sampler)), m_seed(seed)
{
    assert(m_sampler);
}

SearchTrial SearchStudy::ask()
{
    SearchTrial trial;
    trial.number = static_cast<int>(m_trials.size());
    if (!m_queue.empty()) {
        trial.config = std::move(m_queue.front());
        m_queue.pop_front();
    } else {
        Rng rng = Rng::forNumberedStream(m_seed, static_cast<std::uint64_t>(trial.number));
        trial.config = m_sampler->sample(m_space, m_trials, rng);
        assert(m_space.contains(trial.config));
    }
    m_trials.push_back(trial);
    return trial;
}

Result<SearchTrial *> SearchStudy::pendingTrial(int number, const char *action)
{
    if (number < 0 || number >= static_cast<int>(m_trials.size()))
        return Error::make(ErrorKind::Internal,
                           fmt::format("search: cannot {} trial {}: no such trial (the study has {})", action, number,
                                       m_trials.size()));
    SearchTrial &t = m_trials[static_cast<std::size_t>(number)];
    if (t.state != SearchTrialState::Pending)
        return Error::make(ErrorKind::Internal, fmt::format("search: cannot {} trial {}: it is already {}", action,
                                                            number, searchTrialStateName(t.state)));
    return &t;
}

Result<void> SearchStudy::tell(int number, double value)
{
    Result<SearchTrial *> t = pendingTrial(number, "tell");
    if (!t)
        return t.error();
    if (!std::isfinite(value)) {
        (*t)->state = SearchTrialState::Failed;
        return {};
    }
    (*t)->state = SearchTrialState::Complete;
    (*t)->value = value;
    return {};
}

Result<void> SearchStudy::fail(int number)
{
    Result<SearchTrial *> t = pendingTrial(number, "fail");
    if (!t)
        return t.error();
    (*t)->state = SearchTrialState::Failed;
    return {};
}

Result<void> SearchStudy::enqueue(Config config)
{
    if (Result<void> ok = m_space.validate(config); !ok)
        return Error::make(ErrorKind::Config, "search: cannot enqueue: " + ok.error().message);
    m_queue.push_back(std::move(config));
    return {};
}

Result<int> SearchStudy::addCompleted(Config config, double value)
{
    if (Result<void> ok = m_space.validate(config); !ok)
        return Error::make(ErrorKind::Config, "search: cannot add a completed trial: " + ok.error().message);
    if (!std::isfinite(value))
        return Error::make(ErrorKind::Config, fmt::format("search: cannot add a completed trial with value {}", value));
    SearchTrial t;
    t.number = static_cast<int>(m_trials.size());
    t.config = std::move(config);
    t.state = SearchTrialState::Complete;
    t.value = value;
    m_trials.push_back(std::move(t));
    return m_trials.back().number;
}

Result<int> SearchStudy::addFailed(Config config)
{
    if (Result<void> ok = m_space.validate(config); !ok)
        return Error::make(ErrorKind::Config, "search: cannot add a failed trial: " + ok.error().message);
    SearchTrial t;
    t.number = static_cast<int>(m_trials.size());
    t.config = std::move(config);
    t.state = SearchTrialState::Failed;
    m_trials.push_back(std::move(t));
    return m_trials.back().number;
}

Result<int> SearchStudy::addPending(Config config)
{
    if (Result<void> ok = m_space.validate(config); !ok)
        return Error::make(ErrorKind::Config, "search: cannot add a pending trial: " + ok.error().message);
    SearchTrial t;
    t.number = static_cast<int>(m_trials.size());
    t.config = std::move(config);
    m_trials.push_back(std::move(t));
    return m_trials.back().number;
}

const SearchTrial *SearchStudy::trial(int number) const
{
    if (number < 0 || number >= static_cast<int>(m_trials.size()))
        return nullptr;
    return &m_trials[static_cast<std::size_t>(number)];
}

int SearchStudy::count(SearchTrialState state) const
{
    int n = 0;
    for (const SearchTrial &t : m_trials)
        n += t.state == state ? 1 : 0;
    return n;
}

std::optional<SearchTrial> SearchStudy::bestTrial() const
{
    const SearchTrial *best = nullptr;
    for (const SearchTrial &t : m_trials) {
        if (t.state == SearchTrialState::Complete && (!best || t.value > best->value))
            best = &t;
    }
    if (!best)
        return std::nullopt;
    return *best;
}

} // namespace prism
