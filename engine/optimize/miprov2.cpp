#include "optimize/miprov2.h"

#include "core/rng.h"
#include "optimize/bootstrap_fewshot.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/presets.h"
#include "optimize/proposer.h"
#include "optimize/screening.h"
#include "optimize/search/random_sampler.h"
#include "optimize/search/study.h"
#include "optimize/search/tpe_sampler.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <map>
#include <set>

namespace prism {

namespace {

// kProposerDemos and kMaxDescriptorCalls live in presets.h: the run plan
// (plan.h) counts calls from them too. create_dataset_summary stops after 5
// COMPLETE answers.
constexpr int kCompleteSkips = 5;
constexpr int kMaxRollout = 1000000000;

std::string percentText(double score)
{
    return fmt::format("{:.2f}%", score);
}

bool startsWithComplete(const std::string &text)
{
    if (text.size() < 8)
        return false;
    std::string head = text.substr(0, 8);
    for (char &c : head)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return head == "COMPLETE";
}

// One compile() call: the state of the run and its steps.
class MiproRun {
public:
    MiproRun(const OptimizerConfig &config, const MiproOptions &options, MiproSettings settings, const Program &student,
             OptimizeContext &context)
        : m_config(config), m_options(options), m_settings(std::move(settings)), m_student(student), m_context(context),
          m_task(*context.taskLm), m_proposer(context.proposerLm ? *context.proposerLm : *context.taskLm),
          m_teacher(context.teacherLm ? *context.teacherLm : *context.taskLm)
    {}

    Result<OptimizeResult> run(const std::vector<Example> &trainset, const std::vector<Example> &valset)
    {
        if (auto ok = prepareData(trainset, valset); !ok)
            return ok.error();
        m_result.program = m_student;
        startDatasetSummary();
        if (!checkCancel() && !m_settings.zeroShot)
            buildDemoSets();
        if (!m_stop && !checkCancel())
            propose();
        if (!m_stop && !checkCancel())
            search();
        // A run that stopped before the proposals still waits for the summary
        // thread: its calls count in the run's totals.
        if (m_datasetSummary.valid())
            m_datasetSummary.wait();
        return finish();
    }

private:
    // ---- common ---------------------------------------------------------

    void publish(EventPayload payload)
    {
        if (m_held)
            m_held->push_back(std::move(payload));
        else
            emitEvent(m_context, std::move(payload));
    }

    void warn(const std::string &message) { publish(WarningEvent{message}); }

    // A budget or cancel stops the run; the best so far is kept.
    void stop(const Error &error)
    {
        if (m_stop)
            return;
        m_stop = stopReasonOf(error, {&m_task, &m_proposer, &m_teacher});
    }

    bool checkCancel() { return latchCancel(m_stop, m_context); }

    CallOptions taskCall(const std::string &role) const { return taskCallOptions(m_context, role); }

    CallOptions proposerCall(double temperature, std::uint64_t rollout) const
    {
        CallOptions call;
        call.temperature = temperature;
        call.maxTokens = m_context.taskMaxTokens;
        call.rollout = rollout;
        call.role = "proposer";
        return call;
    }

    // ---- (a) data -------------------------------------------------------

    Result<void> prepareData(const std::vector<Example> &trainset, const std::vector<Example> &valset)
    {
        auto split = trainAndValidation(trainset, valset, m_config.seed, "miprov2");
        if (!split)
            return split.error();
        m_train = std::move(split->train);
        m_val = std::move(split->val);
        if (m_settings.valSize && m_val.size() > static_cast<std::size_t>(*m_settings.valSize)) {
            std::vector<std::size_t> keep = Rng::forStream(m_config.seed, "valset-sample")
                                                .sample(m_val.size(), static_cast<std::size_t>(*m_settings.valSize));
            std::sort(keep.begin(), keep.end());
            std::vector<Example> sampled;
            for (const std::size_t i : keep)
                sampled.push_back(m_val[i]);
            m_val = std::move(sampled);
        }
        const bool wanted =
            m_settings.autoMode ? m_val.size() > static_cast<std::size_t>(kAutoMinibatchThreshold) : m_config.minibatch;
        m_minibatch = wanted && m_val.size() > static_cast<std::size_t>(m_config.minibatchSize);
        if (!m_settings.autoMode && m_config.minibatch && !m_minibatch)
            m_result.stats.notes.push_back(
                fmt::format("minibatching is off: the validation set ({} examples) is not larger "
                            "than minibatch_size ({}), so every trial is a full evaluation",
                            m_val.size(), m_config.minibatchSize));
        return {};
    }

    // ---- (b) demo sets --------------------------------------------------

    void buildDemoSets()
    {
        publish(PhaseStartedEvent{"bootstrap", std::nullopt});
        const std::size_t predictors = m_student.predictors.size();
        const int n = m_settings.numFewshotCandidates;
        m_demoSets.assign(predictors, std::vector<std::vector<Demo>>(static_cast<std::size_t>(n)));
        for (std::size_t p = 0; p < predictors; ++p)
            m_demoSets[p][0] = m_student.predictors[p].demos; // set 0: the student as it is (no demos, usually)

        const int maxBoot = m_config.maxBootstrappedDemos;
        const int maxLabeled = m_config.maxLabeledDemos;
        auto labeledSet = [&](int index) {
            Rng rng = Rng::forStream(m_config.seed, "labeled-set", static_cast<std::uint64_t>(index));
            const auto demos = sampleLabeledDemos(m_student, m_train, maxLabeled, rng);
            for (std::size_t p = 0; p < predictors; ++p)
                m_demoSets[p][static_cast<std::size_t>(index)] = demos[p];
        };

        if (m_settings.labeledOnly) {
            // DSPy crashes here (randint(1, 0)); Prism draws labeled sets with different seeds.
            for (int i = 1; i < n; ++i)
                labeledSet(i);
        } else {
            struct Planned {
                int index;
            };
            std::vector<Planned> planned;
            std::vector<Bootstrapper::SetRequest> requests;
            for (int i = 1; i < n; ++i) {
                if (i == 1 && maxLabeled > 0) {
                    labeledSet(1);
                    continue;
                }
                Bootstrapper::SetRequest request;
                if (i == 2) {
                    request.order.resize(m_train.size());
                    for (std::size_t k = 0; k < m_train.size(); ++k)
                        request.order[k] = k;
                    request.quota = maxBoot;
                } else {
                    Rng rng = Rng::forStream(m_config.seed, "demo-set", static_cast<std::uint64_t>(i));
                    request.order = rng.permutation(m_train.size());
                    request.quota = rng.between(1, maxBoot);
                }
                planned.push_back({i});
                requests.push_back(std::move(request));
            }
            if (!requests.empty()) {
                BootstrapSettings settings;
                settings.maxBootstrappedDemos = maxBoot;
                settings.maxLabeledDemos = maxLabeled;
                settings.maxRounds = m_config.maxRounds;
                settings.metricThreshold = m_config.metricThreshold;
                settings.seed = m_config.seed;
                settings.giveUpAfter = bootstrapPatience(maxBoot);
                Bootstrapper bootstrapper(m_student, m_train, settings, m_teacher, *m_context.adapter,
                                          *m_context.metric, taskCall("bootstrap"), m_context.threads, m_context.cancel,
                                          m_context.pool);
                auto accepted = bootstrapper.run(requests);
                if (!accepted) {
                    stop(accepted.error());
                    return;
                }
                if (bootstrapper.errors() > 0)
                    warn(fmt::format("bootstrapping: {} of {} traces failed with an error; the first: {}",
                                     bootstrapper.errors(), bootstrapper.attempts(),
                                     bootstrapper.firstError()->describe()));
                if (bootstrapper.gaveUp())
                    m_result.stats.notes.push_back(fmt::format(
                        "no bootstrap trace scored {} on the first {} training examples, so bootstrapping stopped "
                        "there: the demo sets hold labeled demos (a lower metric_threshold accepts partial credit)",
                        m_config.metricThreshold ? fmt::format("{} or more", *m_config.metricThreshold)
                                                 : std::string("fully correct"),
                        settings.giveUpAfter));
                for (std::size_t k = 0; k < planned.size(); ++k) {
                    Rng rng = Rng::forStream(m_config.seed, "demo-fill", static_cast<std::uint64_t>(planned[k].index));
                    const auto demos = bootstrapper.demos((*accepted)[k], maxLabeled, rng);
                    for (std::size_t p = 0; p < predictors; ++p)
                        m_demoSets[p][static_cast<std::size_t>(planned[k].index)] = demos[p];
                }
            }
        }
        // A frozen stage has one set, its own demos: the search never varies it.
        for (std::size_t p = 0; p < predictors; ++p)
            if (m_student.predictors[p].frozen)
                m_demoSets[p].resize(1);
        for (std::size_t p = 0; p < predictors; ++p)
            for (std::size_t i = 0; i < m_demoSets[p].size(); ++i)
                publish(DemoSetReadyEvent{m_student.predictors[p].name, i, demoSetKind(m_demoSets[p][i]),
                                          m_demoSets[p][i]});
    }

    // ---- (c) proposals --------------------------------------------------

    // The sets the proposer's task_demos come from. Zero-shot mode has no demo
    // sets: labeled examples ground the proposer instead (DSPy bootstraps
    // sets it then throws away).
    std::vector<std::vector<std::vector<Demo>>> groundingSets() const
    {
        if (!m_settings.zeroShot)
            return m_demoSets;
        const std::size_t predictors = m_student.predictors.size();
        const auto k = static_cast<std::size_t>(m_settings.numInstructCandidates);
        std::vector<std::vector<std::vector<Demo>>> sets(predictors, std::vector<std::vector<Demo>>(k));
        for (std::size_t i = 1; i < k; ++i) {
            Rng rng = Rng::forStream(m_config.seed, "grounding", i);
            const auto demos = sampleLabeledDemos(m_student, m_train, static_cast<int>(kProposerDemos), rng);
            for (std::size_t p = 0; p < predictors; ++p)
                sets[p][i] = demos[p];
        }
        return sets;
    }

    std::string taskDemos(std::size_t p, std::size_t index,
                          const std::vector<std::vector<std::vector<Demo>>> &sets) const
    {
        if (!m_config.fewshotAwareProposer)
            return "No task demos provided.";
        return taskDemosText(m_student.predictors[p], sets[p], index, kProposerDemos);
    }

    // A failed proposer call: stop on a budget or cancel, else warn.
    bool failedCall(const ProposerReply &reply, const std::string &what)
    {
        if (!reply.error)
            return false;
        if (isStopError(*reply.error))
            stop(*reply.error);
        else
            warn(what + " failed: " + reply.error->describe());
        return true;
    }

    // The dataset summary's outcome, made off the optimizer's thread: what to
    // report is kept for the thread that publishes events.
    struct DatasetSummary {
        std::optional<std::string> text;
        std::vector<std::string> warnings;
        std::optional<Error> stopError; // a budget or cancel refusal
    };

    // Only reads the trainset and the settings and calls the proposer model,
    // so it can run while the demo sets are bootstrapped: its calls are a
    // chain of one at a time, and would otherwise leave the workers idle.
    DatasetSummary summarizeDataset()
    {
        DatasetSummary out;
        auto failed = [&](const ProposerReply &reply, const std::string &what) {
            if (!reply.error)
                return false;
            if (isStopError(*reply.error))
                out.stopError = reply.error;
            else
                out.warnings.push_back(what + " failed: " + reply.error->describe());
            return true;
        };
        const std::size_t batch = static_cast<std::size_t>(m_config.viewDataBatchSize);
        const CallOptions call = proposerCall(1.0, 0);
        ProposerReply first = callProposer(datasetDescriptorSignature(),
                                           Fields{{"examples", examplesRepr(m_train, 0, batch)}}, m_proposer, call);
        if (failed(first, "the dataset summary (proposing without it)"))
            return out;
        std::string observations = first.text;
        int calls = 0;
        int skips = 0;
        for (std::size_t b = batch; b < m_train.size(); b += batch) {
            if (++calls >= kMaxDescriptorCalls)
                break;
            if (m_context.cancel && m_context.cancel->load())
                return out; // the optimizer's thread latches the cancel
            ProposerReply more = callProposer(
                datasetDescriptorWithPriorSignature(),
                Fields{{"examples", examplesRepr(m_train, b, b + batch)}, {"prior_observations", observations}},
                m_proposer, call);
            if (more.error) {
                // DSPy swallows errors here and summarizes what it has.
                if (isStopError(*more.error)) {
                    out.stopError = more.error;
                    return out;
                }
                out.warnings.push_back("the dataset summary: a further batch of observations failed ("
                                       + more.error->describe() + "); summarizing the observations so far");
                break;
            }
            if (startsWithComplete(more.text)) {
                if (++skips >= kCompleteSkips)
                    break;
                continue;
            }
            observations += more.text; // DSPy concatenates with no separator
        }
        ProposerReply summary =
            callProposer(observationSummarizerSignature(), Fields{{"observations", observations}}, m_proposer, call);
        if (failed(summary, "the dataset summary (proposing without it)"))
            return out;
        out.text = stripPrefix(summary.text);
        return out;
    }

    // Starts the dataset summary on its own thread when the proposals will use one.
    void startDatasetSummary()
    {
        if (m_config.dataAwareProposer && m_settings.numInstructCandidates > 1)
            m_datasetSummary = std::async(std::launch::async, [this] { return summarizeDataset(); });
    }

    // The summary started by startDatasetSummary, its warnings published and
    // a refusal latched as the run's stop.
    std::optional<std::string> datasetSummary()
    {
        if (!m_datasetSummary.valid())
            return std::nullopt;
        DatasetSummary summary = m_datasetSummary.get();
        for (const std::string &w : summary.warnings)
            warn(w);
        if (summary.stopError) {
            stop(*summary.stopError);
            return std::nullopt;
        }
        if (checkCancel())
            return std::nullopt;
        return summary.text;
    }

    // Demo sets per predictor, as the proposer sees them.
    using DemoSetsByPredictor = std::vector<std::vector<std::vector<Demo>>>;

    // The program description: once per run (DSPy makes it again for every candidate).
    std::optional<std::string> describeProgram(const std::string &code, const DemoSetsByPredictor &sets)
    {
        Rng rng = Rng::forStream(m_config.seed, "describe-program");
        const auto rollout = static_cast<std::uint64_t>(rng.between(0, kMaxRollout));
        ProposerReply reply =
            callProposer(describeProgramSignature(),
                         Fields{{"program_code", code}, {"program_example", taskDemos(firstTunable(), 1, sets)}},
                         m_proposer, proposerCall(m_config.initTemperature, rollout));
        if (failedCall(reply, "the program description (proposing without program awareness)"))
            return std::nullopt;
        std::string description = stripPrefix(reply.text);
        publish(SummaryReadyEvent{"program", std::nullopt, description});
        return description;
    }

    // Module descriptions, once per predictor, in parallel. The program
    // example is the task demos of demo set 1, as candidate 1 sees them.
    std::vector<std::optional<std::string>>
    describeModules(const std::string &code, const std::string &programDescription, const DemoSetsByPredictor &sets)
    {
        const std::size_t predictors = m_student.predictors.size();
        std::vector<std::optional<std::string>> descriptions(predictors);
        std::vector<ProposerReply> replies(predictors);
        parallelFor(
            m_context.pool, predictors, m_context.threads,
            [&](std::size_t p) {
                if (m_student.predictors[p].frozen)
                    return; // nothing will be proposed for it
                Rng rng = Rng::forStream(m_config.seed, "describe-module", p);
                const auto rollout = static_cast<std::uint64_t>(rng.between(0, kMaxRollout));
                replies[p] = callProposer(describeModuleSignature(),
                                          Fields{{"program_code", code},
                                                 {"program_example", taskDemos(p, 1, sets)},
                                                 {"program_description", programDescription},
                                                 {"module", moduleText(m_student.predictors[p])}},
                                          m_proposer, proposerCall(m_config.initTemperature, rollout));
            },
            m_context.cancel);
        for (std::size_t p = 0; p < predictors; ++p) {
            if (m_student.predictors[p].frozen)
                continue;
            if (replies[p].lmCalls == 0 && !replies[p].error) {
                m_stop = StopReason::cancelled();
                return descriptions;
            }
            if (failedCall(replies[p], "the module description of '" + m_student.predictors[p].name
                                           + "' (proposing for it without program awareness)")) {
                if (m_stop)
                    return descriptions;
                continue;
            }
            descriptions[p] = replies[p].text;
            publish(SummaryReadyEvent{"module", m_student.predictors[p].name, *descriptions[p]});
        }
        return descriptions;
    }

    // One instruction proposal to make: candidate `index` of `predictor`.
    struct ProposalJob {
        std::size_t predictor = 0;
        std::size_t index = 0;
        std::string tipKey;
        std::string tip;
        Fields inputs;
        Signature signature;
        CallOptions call;
    };

    // Candidates 1..k-1 of every predictor; each draws its tip and rollout
    // from its own stream, so the jobs are independent of each other.
    std::vector<ProposalJob> proposalJobs(std::size_t k, const std::optional<std::string> &dataset,
                                          const std::string &code, const std::optional<std::string> &programDescription,
                                          const std::vector<std::optional<std::string>> &moduleDescriptions,
                                          const DemoSetsByPredictor &sets)
    {
        std::vector<ProposalJob> jobs;
        const auto &tips = proposerTips();
        for (std::size_t p = 0; p < m_student.predictors.size(); ++p) {
            if (m_student.predictors[p].frozen)
                continue; // keeps its one instruction, candidate 0
            const bool programAware = programDescription && moduleDescriptions[p];
            for (std::size_t i = 1; i < k; ++i) {
                ProposalJob job;
                job.predictor = p;
                job.index = i;
                Rng rng = Rng::forStream(m_config.seed, "proposal", p * 1000003ULL + i);
                if (!m_config.tip.empty()) {
                    job.tip = tipText(m_config.tip);
                    job.tipKey = m_config.tip;
                } else if (m_config.tipAwareProposer) {
                    const ProposerTip &tip = tips[static_cast<std::size_t>(rng.below(static_cast<int>(tips.size())))];
                    job.tipKey = tip.key;
                    job.tip = tip.text;
                } else {
                    job.tipKey = "none";
                }
                const auto rollout = static_cast<std::uint64_t>(rng.between(0, kMaxRollout));
                job.signature = instructionSignature(dataset.has_value(), programAware, !job.tip.empty());
                if (dataset)
                    job.inputs.set("dataset_description", *dataset);
                if (programAware) {
                    job.inputs.set("program_code", code);
                    job.inputs.set("program_description", *programDescription);
                    job.inputs.set("module", moduleText(m_student.predictors[p]));
                    job.inputs.set("module_description", *moduleDescriptions[p]);
                }
                job.inputs.set("task_demos", taskDemos(p, i, sets));
                job.inputs.set("basic_instruction", basicInstruction(m_student.predictors[p]));
                if (!job.tip.empty())
                    job.inputs.set("tip", job.tip);
                job.call = proposerCall(m_config.initTemperature, rollout);
                jobs.push_back(std::move(job));
            }
        }
        return jobs;
    }

    // Candidate 0 is the original instruction (no call); then every answered
    // proposal in job order. A failed proposal is dropped with a warning.
    void collectInstructions(const std::vector<ProposalJob> &jobs,
                             const std::vector<std::optional<ProposerReply>> &replies)
    {
        m_instructions.assign(m_student.predictors.size(), {});
        for (std::size_t p = 0; p < m_student.predictors.size(); ++p) {
            m_instructions[p].push_back(m_student.predictors[p].signature.instruction);
            publish(InstructionProposedEvent{m_student.predictors[p].name, 0,
                                             m_student.predictors[p].signature.instruction, std::nullopt});
        }
        for (std::size_t j = 0; j < jobs.size(); ++j) {
            const ProposalJob &job = jobs[j];
            const std::string &name = m_student.predictors[job.predictor].name;
            if (!replies[j]) {
                m_stop = StopReason::cancelled();
                return;
            }
            const ProposerReply &reply = *replies[j];
            if (reply.error && isStopError(*reply.error)) {
                stop(*reply.error);
                return;
            }
            std::string text = reply.error ? std::string() : stripPrefix(stripPrefix(reply.text));
            if (reply.error || text.empty()) {
                const std::string cause =
                    reply.error ? reply.error->describe() : "the proposer returned an empty instruction";
                warn(fmt::format("instruction proposal {} of predictor '{}' failed and was dropped: {}", job.index,
                                 name, cause));
                ++m_failedProposals;
                continue;
            }
            auto &list = m_instructions[job.predictor];
            publish(InstructionProposedEvent{name, list.size(), text, job.tipKey});
            list.push_back(std::move(text));
        }
    }

    void propose()
    {
        publish(PhaseStartedEvent{"propose", std::nullopt});
        const auto k = static_cast<std::size_t>(m_settings.numInstructCandidates);
        const auto sets = groundingSets();

        // The program and module descriptions do not need the dataset summary:
        // they are made while its thread finishes, and their events are held
        // so the events keep their order (dataset, program, modules).
        const std::string code = programCode(m_student);
        std::optional<std::string> programDescription;
        std::vector<std::optional<std::string>> moduleDescriptions(m_student.predictors.size());
        std::vector<EventPayload> held;
        m_held = &held;
        if (m_config.programAwareProposer && k > 1 && !checkCancel())
            programDescription = describeProgram(code, sets);
        if (programDescription && !m_stop && !checkCancel())
            moduleDescriptions = describeModules(code, *programDescription, sets);
        m_held = nullptr;

        std::optional<std::string> dataset = datasetSummary();
        if (dataset && !m_stop)
            publish(SummaryReadyEvent{"dataset", std::nullopt, *dataset});
        for (EventPayload &event : held)
            publish(std::move(event));
        if (m_stop)
            return;
        if (checkCancel())
            return;

        const std::vector<ProposalJob> jobs =
            proposalJobs(k, dataset, code, programDescription, moduleDescriptions, sets);
        std::vector<std::optional<ProposerReply>> replies(jobs.size());
        parallelFor(
            m_context.pool, jobs.size(), m_context.threads,
            [&](std::size_t j) {
                replies[j] = callProposer(jobs[j].signature, jobs[j].inputs, m_proposer, jobs[j].call);
            },
            m_context.cancel);
        collectInstructions(jobs, replies);
    }

    // ---- (d) search -----------------------------------------------------

    std::size_t dimsPerPredictor() const { return m_settings.zeroShot ? 1 : 2; }

    // The first predictor an optimizer may change (compile() checks there is one).
    std::size_t firstTunable() const
    {
        std::size_t p = 0;
        while (p + 1 < m_student.predictors.size() && m_student.predictors[p].frozen)
            ++p;
        return p;
    }

    // Where predictor p's dimensions start in a config: frozen predictors
    // have none (they stay at candidate 0 and set 0, their own).
    std::optional<std::size_t> firstDimOf(std::size_t p) const
    {
        if (m_student.predictors[p].frozen)
            return std::nullopt;
        std::size_t dims = 0;
        for (std::size_t q = 0; q < p; ++q)
            if (!m_student.predictors[q].frozen)
                dims += dimsPerPredictor();
        return dims;
    }

    // Predictor p's instruction candidate and demo set in a config.
    std::pair<int, int> choiceOf(const Config &config, std::size_t p) const
    {
        const std::optional<std::size_t> first = firstDimOf(p);
        if (!first)
            return {0, 0};
        return {config[*first], m_settings.zeroShot ? 0 : config[*first + 1]};
    }

    Program programFor(const Config &config) const
    {
        Program program = m_student;
        for (std::size_t p = 0; p < program.predictors.size(); ++p) {
            const auto [instruction, demos] = choiceOf(config, p);
            program.predictors[p].signature.instruction = m_instructions[p][static_cast<std::size_t>(instruction)];
            if (!m_settings.zeroShot)
                program.predictors[p].demos = m_demoSets[p][static_cast<std::size_t>(demos)];
        }
        return program;
    }

    std::vector<ConfigChoice> choicesOf(const Config &config) const
    {
        std::vector<ConfigChoice> choices;
        for (std::size_t p = 0; p < m_student.predictors.size(); ++p) {
            const auto [instruction, demos] = choiceOf(config, p);
            ConfigChoice c;
            c.predictor = m_student.predictors[p].name;
            c.instruction = instruction;
            if (!m_settings.zeroShot)
                c.demos = demos;
            choices.push_back(std::move(c));
        }
        return choices;
    }

    std::string configKey(const Config &config) const { return configKeyOf(choicesOf(config)); }

    TrialSpec specFor(const Config &config, const std::string &kind, std::vector<std::size_t> examples)
    {
        TrialSpec spec;
        spec.number = ++m_trialNumber;
        spec.kind = kind;
        spec.config = choicesOf(config);
        spec.configKey = configKeyOf(spec.config);
        spec.program = programFor(config);
        spec.examples = std::move(examples);
        return spec;
    }

    std::vector<std::size_t> allExamples() const
    {
        std::vector<std::size_t> all(m_val.size());
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i] = i;
        return all;
    }

    struct Seen {
        Config config;
        std::string key;
        std::string fingerprint;
        bool failed = false;
    };

    Seen &remember(const Config &config, const Program &program)
    {
        const std::string key = configKey(config);
        const auto it = m_seenIndex.find(key);
        if (it != m_seenIndex.end())
            return m_seen[it->second];
        m_seenIndex.emplace(key, m_seen.size());
        m_seen.push_back(Seen{config, key, programFingerprint(program), false});
        return m_seen.back();
    }

    // A complete full evaluation: the sampler, the events, the best.
    void recordFull(const TrialSpec &spec, const Config &config, double score, std::optional<double> rankEstimate)
    {
        ++m_result.stats.fullEvals;
        if (m_fullyEvaluated.insert(programFingerprint(spec.program)).second)
            m_fullFingerprints.push_back(programFingerprint(spec.program));
        m_fullScores.emplace_back(spec.configKey, score);
        if (!m_bestScore || score > *m_bestScore)
            m_bestFingerprint = programFingerprint(spec.program);
        publish(FullEvalFinishedEvent{spec.number, spec.config, spec.configKey, score, rankEstimate});
        if (!m_bestScore || score > *m_bestScore) {
            m_bestScore = score;
            m_bestConfig = config;
            m_bestKey = spec.configKey;
            publish(BestUpdatedEvent{spec.number, spec.config, spec.configKey, score});
        }
    }

    void noteFailure(const TrialSpec &spec, const TrialOutcome &outcome)
    {
        ++m_failedTrials;
        if (m_firstFailure.empty())
            m_firstFailure = fmt::format("trial {} ({}): {}", spec.number, spec.configKey, outcome.failure);
    }

    // Fully evaluates the best-ranked config not yet fully evaluated.
    void fullEvaluation(TrialRunner &runner, SearchStudy &study)
    {
        std::vector<RankCandidate> candidates;
        std::vector<std::size_t> which;
        for (std::size_t s = 0; s < m_seen.size(); ++s) {
            const Seen &seen = m_seen[s];
            if (seen.failed || m_fullyEvaluated.count(seen.fingerprint))
                continue;
            const TrialRunner::Tally t = runner.tally(seen.fingerprint);
            if (t.scored == 0)
                continue;
            candidates.push_back(RankCandidate{t.sum, t.scored});
            which.push_back(s);
        }
        const int pick = pickByShrinkage(candidates, runner.globalMean(), m_options.shrinkageWeight);
        if (pick < 0)
            return;
        const double estimate = shrinkageEstimate(candidates[static_cast<std::size_t>(pick)], runner.globalMean(),
                                                  m_options.shrinkageWeight);
        const Config config = m_seen[which[static_cast<std::size_t>(pick)]].config;
        const TrialSpec spec = specFor(config, "full", allExamples());
        const TrialOutcome outcome = runner.run({spec}).front();
        if (outcome.interrupted) {
            stop(*outcome.stopError);
            return;
        }
        if (outcome.failed) {
            m_seen[which[static_cast<std::size_t>(pick)]].failed = true;
            noteFailure(spec, outcome);
            (void)study.addFailed(config);
            return;
        }
        m_completeScores.push_back(*outcome.score);
        (void)study.addCompleted(config, *outcome.score);
        recordFull(spec, config, *outcome.score, toPercent(estimate));
    }

    // Tells the sampler each trial's outcome; a full trial is also recorded
    // as a full evaluation.
    void tellOutcomes(SearchStudy &study, const std::vector<SearchTrial> &asked, const std::vector<TrialSpec> &specs,
                      const std::vector<TrialOutcome> &outcomes)
    {
        for (std::size_t t = 0; t < specs.size(); ++t) {
            const TrialOutcome &o = outcomes[t];
            if (o.interrupted) {
                stop(*o.stopError);
                continue;
            }
            if (o.failed) {
                (void)study.fail(asked[t].number);
                m_seen[m_seenIndex.at(specs[t].configKey)].failed = true;
                noteFailure(specs[t], o);
                continue;
            }
            (void)study.tell(asked[t].number, *o.score);
            m_completeScores.push_back(*o.score);
            if (specs[t].kind == "full")
                recordFull(specs[t], asked[t].config, *o.score, std::nullopt);
        }
    }

    // Screening applies without minibatches, on a valset big enough to cut.
    bool screening() const { return m_options.screen && !m_minibatch && screenSize(m_val.size()) < m_val.size(); }

    // A program's memoized score on every validation example (empty where it
    // errored or was not scored).
    std::vector<std::optional<double>> scoresOf(const TrialRunner &runner, const std::string &fingerprint) const
    {
        std::vector<std::optional<double>> scores(m_val.size());
        for (std::size_t i = 0; i < scores.size(); ++i)
            scores[i] = runner.memoScore(fingerprint, i);
        return scores;
    }

    // The best full evaluation's score on every validation example.
    std::vector<std::optional<double>> incumbentScores(const TrialRunner &runner) const
    {
        if (m_bestFingerprint.empty())
            return std::vector<std::optional<double>>(m_val.size());
        return scoresOf(runner, m_bestFingerprint);
    }

    // The sampler's asks of one batch, each one trial of `kind` on `examples`,
    // scored together and told.
    void scoreAsked(TrialRunner &runner, SearchStudy &study, const std::vector<SearchTrial> &asked,
                    const std::string &kind, const std::vector<std::size_t> &examples, int searchTrialsBefore)
    {
        std::vector<TrialSpec> specs;
        for (const SearchTrial &trial : asked) {
            specs.push_back(specFor(trial.config, kind, examples));
            specs.back().searchTrial = searchTrialsBefore + static_cast<int>(specs.size());
            remember(trial.config, specs.back().program);
        }
        tellOutcomes(study, asked, specs, runner.run(specs));
    }

    // A batch without minibatches: every config runs on the batch's screen (a
    // third of the valset where the full evaluations so far disagreed most,
    // kind "minibatch"); those that can still beat the incumbent are
    // evaluated fully, the memo paying only for the rest. A config screened
    // out is told to the sampler at its paired estimate. Until a config other
    // than the baseline has been fully evaluated there is no disagreement to
    // screen on, and the batch is evaluated fully.
    void screenedBatch(TrialRunner &runner, SearchStudy &study, const std::vector<SearchTrial> &asked,
                       std::uint64_t batchIndex, int searchTrialsBefore)
    {
        if (m_fullFingerprints.size() < 2) {
            scoreAsked(runner, study, asked, "full", allExamples(), searchTrialsBefore);
            return;
        }
        std::vector<std::vector<std::optional<double>>> fullScores;
        for (const std::string &fingerprint : m_fullFingerprints)
            fullScores.push_back(scoresOf(runner, fingerprint));
        const std::vector<std::size_t> order =
            Rng::forStream(m_config.seed, "screen", batchIndex).permutation(m_val.size());
        std::vector<std::size_t> screen = pickScreen(fullScores, screenSize(m_val.size()), order);
        const std::vector<std::optional<double>> incumbent = incumbentScores(runner);
        std::vector<SearchTrial> undecided = asked;
        std::vector<SearchTrial> promoted;
        bool firstRound = true;
        while (!undecided.empty() && !m_stop) {
            std::vector<TrialSpec> specs;
            for (const SearchTrial &trial : undecided) {
                specs.push_back(specFor(trial.config, "minibatch", screen));
                // Only the first screen answers the ask; an extension continues it.
                if (firstRound)
                    specs.back().searchTrial = searchTrialsBefore + static_cast<int>(specs.size());
                remember(trial.config, specs.back().program);
            }
            firstRound = false;
            const std::vector<TrialOutcome> outcomes = runner.run(specs);
            std::vector<SearchTrial> tied;
            for (std::size_t t = 0; t < specs.size(); ++t) {
                const TrialOutcome &o = outcomes[t];
                if (o.interrupted || o.failed) {
                    tellOutcomes(study, {undecided[t]}, {specs[t]}, {o});
                    continue;
                }
                std::vector<std::optional<double>> scores;
                for (const auto &[index, score] : o.results)
                    scores.push_back(score);
                const ScreenVerdict verdict = screenAgainst(incumbent, screen, scores);
                if (verdict.promote) {
                    promoted.push_back(undecided[t]);
                } else if (verdict.tied && worthExtending(m_val.size(), screen.size())) {
                    tied.push_back(undecided[t]);
                } else {
                    ++m_screenedOut;
                    (void)study.tell(undecided[t].number, toPercent(verdict.estimate));
                }
            }
            // Configs the screen could not tell from the incumbent run on
            // more examples, drawn from those not screened yet.
            undecided = std::move(tied);
            if (!undecided.empty())
                screen = extendScreen(screen, order, screenSize(m_val.size()));
        }
        if (m_stop || promoted.empty())
            return;
        std::vector<TrialSpec> full;
        for (const SearchTrial &trial : promoted)
            full.push_back(specFor(trial.config, "full", allExamples()));
        tellOutcomes(study, promoted, full, runner.run(full));
    }

    // The screen plus up to `more` examples not in it, in `order`; ascending.
    static std::vector<std::size_t> extendScreen(std::vector<std::size_t> screen, const std::vector<std::size_t> &order,
                                                 std::size_t more)
    {
        std::set<std::size_t> in(screen.begin(), screen.end());
        for (std::size_t i = 0; i < order.size() && more > 0; ++i)
            if (in.insert(order[i]).second) {
                screen.push_back(order[i]);
                --more;
            }
        std::sort(screen.begin(), screen.end());
        return screen;
    }

    std::unique_ptr<Sampler> makeSampler() const
    {
        if (m_options.sampler == "random")
            return std::make_unique<RandomSampler>();
        TpeOptions options;
        options.nStartupTrials =
            m_options.startupTrials ? *m_options.startupTrials : std::clamp(m_settings.numTrials / 2, 4, 10);
        // A repeat of a full evaluation tells nothing new.
        if (!m_minibatch)
            options.confirmIncumbent = 0;
        return std::make_unique<TpeSampler>(options);
    }

    void search()
    {
        publish(PhaseStartedEvent{"search", std::nullopt});
        std::vector<SearchDimension> dims;
        for (std::size_t p = 0; p < m_student.predictors.size(); ++p) {
            if (m_student.predictors[p].frozen)
                continue;
            dims.push_back({std::to_string(p) + "_predictor_instruction", static_cast<int>(m_instructions[p].size())});
            if (!m_settings.zeroShot)
                dims.push_back({std::to_string(p) + "_predictor_demos", static_cast<int>(m_demoSets[p].size())});
        }
        auto space = SearchSpace::create(dims);
        if (!space) {
            m_stop = StopReason::error(space.error().message);
            return;
        }
        m_runner.emplace(m_val, m_task, *m_context.adapter, *m_context.metric, m_context, taskCall("evaluation"));
        TrialRunner &runner = *m_runner;

        // Trial 1: the baseline, fully evaluated.
        const Config baseline(dims.size(), 0);
        const TrialSpec baseSpec = specFor(baseline, "full", allExamples());
        remember(baseline, baseSpec.program);
        const TrialOutcome base = runner.run({baseSpec}).front();
        if (base.interrupted) {
            stop(*base.stopError);
            return;
        }
        if (base.failed) {
            const std::string message = "the baseline program failed on the validation set: " + base.failure;
            publish(ErrorEvent{message});
            m_stop = StopReason::error(message);
            return;
        }
        m_baselineScore = *base.score;
        m_completeScores.push_back(*base.score);
        recordFull(baseSpec, baseline, *base.score, std::nullopt);

        SearchStudy study(*space, makeSampler(), m_config.seed);
        (void)study.addCompleted(baseline, *base.score);
        if (space->configCount() <= 1) {
            m_result.stats.notes.push_back(
                "the search space holds only the baseline config (one instruction and at most "
                "one demo set per predictor): nothing to search");
            return;
        }

        const int batchSize = std::max(1, m_options.batchSize);
        int done = 0;
        int sinceFull = 0;
        std::uint64_t batchIndex = 0;
        while (done < m_settings.numTrials) {
            if (checkCancel())
                return;
            if (unbeatable(incumbentScores(runner))) {
                m_result.stats.notes.push_back(
                    done == 0 ? std::string("the baseline scored 100% on every validation example and no config can "
                                            "beat that, so nothing was searched; a harder metric or a bigger "
                                            "validation set would tell configs apart")
                              : fmt::format("the best config ({}) scored 100% on every validation example and no "
                                            "config can beat that, so the search stopped after {} of {} trials",
                                            m_bestKey, done, m_settings.numTrials));
                sinceFull = 0;
                break;
            }
            const int k = std::min(batchSize, m_settings.numTrials - done);
            std::vector<std::size_t> examples;
            if (m_minibatch) {
                examples = Rng::forStream(m_config.seed, "minibatch", batchIndex)
                               .sample(m_val.size(), static_cast<std::size_t>(m_config.minibatchSize));
                std::sort(examples.begin(), examples.end());
            } else {
                examples = allExamples();
            }
            std::vector<SearchTrial> asked;
            for (int t = 0; t < k; ++t)
                asked.push_back(study.ask());
            if (screening())
                screenedBatch(runner, study, asked, batchIndex, done);
            else
                scoreAsked(runner, study, asked, m_minibatch ? "minibatch" : "full", examples, done);
            done += k;
            sinceFull += k;
            ++batchIndex;
            if (m_stop)
                return;
            if (m_minibatch) {
                while (sinceFull >= m_config.minibatchFullEvalSteps && !m_stop) {
                    sinceFull -= m_config.minibatchFullEvalSteps;
                    if (checkCancel())
                        return;
                    fullEvaluation(runner, study);
                }
                if (m_stop)
                    return;
            }
        }
        publish(PhaseStartedEvent{"final", std::nullopt});
        m_finalPhase = true;
        if (m_minibatch && sinceFull > 0 && !checkCancel())
            fullEvaluation(runner, study);
        if (m_screenedOut > 0)
            m_result.stats.notes.push_back(fmt::format(
                "screening: {} trial(s) stopped after a third of the validation set (two thirds after a tie), "
                "on the examples where configs disagreed most, as they could no longer beat the best config",
                m_screenedOut));
    }

    // ---- (e) result -----------------------------------------------------

    Result<OptimizeResult> finish()
    {
        if (!m_finalPhase && m_runner)
            publish(PhaseStartedEvent{"final", std::nullopt});
        OptimizeResult &r = m_result;
        r.stopReason = m_stop ? *m_stop : StopReason::completed();
        r.baselineScore = m_baselineScore;
        r.bestScore = m_bestScore;
        if (m_bestConfig)
            r.program = programFor(*m_bestConfig);
        addCalls(r.stats.callsByRole, m_teacher.byRole());
        addCalls(r.stats.callsByRole, m_proposer.byRole());
        addCalls(r.stats.callsByRole, m_task.byRole());
        r.stats.trials = m_trialNumber;
        if (m_runner)
            r.stats.memoHits = m_runner->memoHits();

        auto &notes = r.stats.notes;
        if (m_failedProposals > 0)
            notes.push_back(fmt::format("{} instruction proposal(s) failed and were dropped (see the warnings)",
                                        m_failedProposals));
        if (m_failedTrials > 0)
            notes.push_back(
                fmt::format("{} trial(s) failed and were not scored; the first: {}", m_failedTrials, m_firstFailure));
        const bool searched = m_seen.size() > 1;
        if (searched && m_completeScores.size() > 1
            && std::all_of(m_completeScores.begin(), m_completeScores.end(),
                           [&](double s) { return s == m_completeScores.front(); }))
            // At 0% no config got anything right: the cause is upstream of the
            // search (a metric that never matches, a model that cannot answer,
            // labels that do not fit), and a harder metric would not help.
            notes.push_back(
                m_completeScores.front() == 0.0
                    ? std::string("every trial scored 0%: no example scored above 0; check the metric, the "
                                  "model and the data")
                    : fmt::format("every trial scored {}: the metric cannot tell configs apart; use a harder "
                                  "metric or a bigger validation set",
                                  percentText(m_completeScores.front())));
        if (searched && m_baselineScore && m_bestKey == m_seen.front().key)
            notes.push_back(fmt::format("nothing beat the baseline ({})", percentText(*m_baselineScore)));
        if (m_bestScore) {
            std::vector<std::string> tied;
            for (const auto &[key, score] : m_fullScores)
                if (score == *m_bestScore && key != m_bestKey)
                    tied.push_back(key);
            if (!tied.empty()) {
                std::string list;
                for (const std::string &k : tied)
                    list += (list.empty() ? "" : ", ") + k;
                notes.push_back(fmt::format("{} other config(s) tied with the best full score {} ({}); the first one "
                                            "evaluated ({}) was kept",
                                            tied.size(), percentText(*m_bestScore), list, m_bestKey));
            }
        }
        return r;
    }

    const OptimizerConfig &m_config;
    const MiproOptions &m_options;
    MiproSettings m_settings;
    const Program &m_student;
    OptimizeContext &m_context;
    CountingLm m_task;
    CountingLm m_proposer;
    CountingLm m_teacher;

    std::vector<Example> m_train;
    std::vector<Example> m_val;
    bool m_minibatch = false;
    std::vector<std::vector<std::vector<Demo>>> m_demoSets; // [predictor][set]
    std::vector<std::vector<std::string>> m_instructions;   // [predictor][candidate]
    int m_failedProposals = 0;

    std::future<DatasetSummary> m_datasetSummary; // running while the demo sets are bootstrapped
    std::vector<EventPayload> *m_held = nullptr;  // publish() appends here instead, when set

    std::optional<TrialRunner> m_runner;
    int m_trialNumber = 0;
    std::vector<Seen> m_seen;
    std::map<std::string, std::size_t> m_seenIndex;
    std::set<std::string> m_fullyEvaluated;      // program fingerprints
    std::vector<std::string> m_fullFingerprints; // the same, in evaluation order
    std::vector<std::pair<std::string, double>> m_fullScores;
    std::vector<double> m_completeScores;
    int m_failedTrials = 0;
    std::string m_firstFailure;
    std::optional<double> m_baselineScore;
    std::optional<double> m_bestScore;
    std::optional<Config> m_bestConfig;
    std::string m_bestKey;
    std::string m_bestFingerprint; // the best config's program, for its per-example scores
    int m_screenedOut = 0;         // trials screening kept from a full evaluation
    bool m_finalPhase = false;

    std::optional<StopReason> m_stop;
    OptimizeResult m_result;
};

} // namespace

MiproV2::MiproV2(OptimizerConfig config, MiproOptions options)
    : m_config(std::move(config)), m_options(std::move(options))
{}

Result<OptimizeResult> MiproV2::compile(const Program &student, const std::vector<Example> &trainset,
                                        const std::vector<Example> &valset, OptimizeContext &context)
{
    if (!context.taskLm || !context.adapter || !context.metric)
        return Error::make(ErrorKind::Internal, "miprov2: the context lacks a task model, an adapter or a metric");
    if (m_options.batchSize < 1)
        return Error::make(ErrorKind::Config, fmt::format("miprov2: the trial batch size is {}; it must be at least 1",
                                                          m_options.batchSize));
    if (m_options.sampler != "tpe" && m_options.sampler != "random")
        return Error::make(ErrorKind::Config, "miprov2: unknown sampler '" + m_options.sampler + "' (tpe or random)");
    if (auto tunable = checkTunable(student, "miprov2"); !tunable)
        return tunable.error();
    auto settings = resolveMiproSettings(m_config, static_cast<int>(student.tunableCount()));
    if (!settings)
        return settings.error();
    MiproRun run(m_config, m_options, std::move(*settings), student, context);
    return run.run(trainset, valset);
}

} // namespace prism
