#include "compare/comparisonjob.h"
#include "compare/comparesummary.h"

#include "adapter/adapter.h"
#include "data/dataset.h"
#include "modelsetup/lm_setup.h"
#include "run/study_compare.h"
#include "run/study_judge.h"
#include "scripting/jsmetric.h"

#include <QObject>

#include <algorithm>

std::vector<std::string> comparisonFields(const prism::Study &study)
{
    std::vector<std::string> names;
    for (const auto &f : study.metric.fields)
        if (std::find(names.begin(), names.end(), f.field) == names.end())
            names.push_back(f.field);
    if (names.empty() && !study.program.predictors.empty())
        for (const auto &f : study.program.predictors.back().signature.outputs)
            names.push_back(f.name);
    return names;
}

ComparisonJob::ComparisonJob(prism::Study study, std::vector<prism::Example> examples, prism::Program a,
                             prism::Program b)
    : m_study(std::move(study)), m_examples(std::move(examples)), m_a(std::move(a)), m_b(std::move(b))
{
    m_total = static_cast<int>(m_examples.size()) * (m_a == m_b ? 1 : 2);
}

ComparisonJob::~ComparisonJob() = default;

void ComparisonJob::cancel()
{
    m_cancel.store(true);
    std::lock_guard lock(m_mutex);
    if (m_services)
        m_services->requestCancel();
}

std::map<std::string, prism::LedgerTotals> ComparisonJob::ledgerByRole() const
{
    std::lock_guard lock(m_mutex);
    return m_ledgerByRole;
}

prism::Result<ComparisonOutcome> ComparisonJob::run()
{
    using prism::Error;
    using prism::ErrorKind;
    const std::string where = m_study.name.empty() ? std::string("the study") : "study '" + m_study.name + "'";
    if (m_examples.empty())
        return Error::make(ErrorKind::Data, where + ": the split has no examples to compare on");
    auto adapter = prism::makeAdapter(m_study.eval.adapter);
    auto models = prism::setupModels(m_study, {}, prism::LmSetupOptions{});
    if (!models)
        return Error::make(models.error().kind, where + ": " + models.error().message);
    auto metric = prism::makeStudyMetric(m_study.metric, m_study.program, prism::studyJudge(m_study, *models));
    if (!metric)
        return prism::metricBuildError(metric.error(), where);
    {
        std::lock_guard lock(m_mutex);
        m_services = std::make_shared<prism::CallServices>(models->services);
        if (m_cancel.load())
            m_services->requestCancel();
    }

    prism::ProgramPairOptions pair;
    pair.threads = m_study.eval.threads;
    pair.cancel = &m_cancel;
    pair.onResult = [this](const prism::ExampleResult &) { m_done.fetch_add(1); };
    auto compared = prism::evaluateProgramPair(*models->task, models->taskConfig, *adapter, *metric.value(), m_examples,
                                               m_a, m_b, pair);
    {
        std::lock_guard lock(m_mutex);
        if (m_services->ledger)
            m_ledgerByRole = m_services->ledger->totalsByRole();
        m_services.reset();
    }
    if (!compared && compared.error().kind == ErrorKind::Cancelled)
        return compared.error();
    if (!compared)
        return Error::make(compared.error().kind, where + ": " + compared.error().message);
    // The comparison points into the reports; shared, they stay where they are.
    ComparisonOutcome outcome;
    outcome.reportA = std::shared_ptr<const prism::EvalReport>(std::move(compared->baseline));
    outcome.reportB = compared->candidate ? std::shared_ptr<const prism::EvalReport>(std::move(compared->candidate))
                                          : outcome.reportA;
    outcome.comparison = std::move(compared->comparison);
    outcome.shownFields = comparisonFields(m_study);
    return outcome;
}

QString signedPoints(double points)
{
    return (points >= 0 ? QStringLiteral("+") : QString()) + QString::number(points, 'f', 2);
}

QString comparisonVerdict(const prism::Comparison &c)
{
    if (c.ciLow == 0.0 && c.ciHigh == 0.0 && c.fixed.empty() && c.broken.empty() && c.changed.empty())
        return QObject::tr("No difference: every example scored the same with both programs.");
    if (c.ciLow > 0.0)
        return QObject::tr("B is better beyond the noise: the interval excludes 0.");
    if (c.ciHigh < 0.0)
        return QObject::tr("B is worse beyond the noise: the interval excludes 0.");
    return QObject::tr("Not distinguishable from noise on these examples: the interval includes 0.");
}

QString fieldsText(const prism::Fields &values, const std::vector<std::string> &fields)
{
    QStringList parts;
    auto show = [&](const std::string &name, const prism::Value *v) {
        const QString text = v ? QString::fromStdString(v->toText()) : QStringLiteral("—");
        parts << QStringLiteral("%1: %2").arg(QString::fromStdString(name), text);
    };
    if (fields.empty()) {
        for (const auto &[name, value] : values)
            show(name, &value);
    } else {
        for (const auto &name : fields)
            show(name, values.find(name));
    }
    // One field shows its value alone: the column header already names it.
    if (parts.size() == 1 && fields.size() == 1) {
        const prism::Value *v = values.find(fields.front());
        return v ? QString::fromStdString(v->toText()) : QStringLiteral("—");
    }
    return parts.join(QStringLiteral(" · "));
}

QString predictionText(const prism::ExampleResult *result, const std::vector<std::string> &fields)
{
    if (!result)
        return QObject::tr("not evaluated");
    if (result->error)
        return QObject::tr("error: %1").arg(QString::fromStdString(result->error->message));
    return fieldsText(result->prediction.values, fields);
}

CompareSummary summarizeComparison(const ComparisonOutcome &outcome, const QString &labelA, const QString &labelB,
                                   const QString &split)
{
    const prism::Comparison &c = outcome.comparison;
    CompareSummary s;
    s.labelA = labelA;
    s.labelB = labelB;
    s.split = split;
    s.scoreA = c.baselineScore;
    s.scoreB = c.optimizedScore;
    s.difference = c.difference;
    s.ciLow = c.ciLow;
    s.ciHigh = c.ciHigh;
    s.confidence = c.confidence;
    s.resamples = c.resamples;
    s.paired = static_cast<int>(c.paired);
    s.improved = static_cast<int>(c.fixed.size());
    s.regressed = static_cast<int>(c.broken.size());
    s.partialChanges = static_cast<int>(c.changed.size());
    s.errorsA = static_cast<int>(c.erroredBaseline.size());
    s.errorsB = static_cast<int>(c.erroredOptimized.size());
    s.verdict = comparisonVerdict(c);
    auto add = [&](const prism::ExampleChange &ch, bool improved) {
        CompareSummary::Flip f;
        f.index = static_cast<int>(ch.index);
        f.improved = improved;
        const prism::ExampleResult *any = ch.baseline ? ch.baseline : ch.optimized;
        if (any) {
            f.inputs = fieldsText(any->example.inputs());
            f.expected = fieldsText(any->example.labels(), outcome.shownFields);
        }
        f.predictionA = predictionText(ch.baseline, outcome.shownFields);
        f.predictionB = predictionText(ch.optimized, outcome.shownFields);
        s.flips.append(f);
    };
    for (const auto &ch : c.fixed)
        add(ch, true);
    for (const auto &ch : c.broken)
        add(ch, false);
    std::sort(s.flips.begin(), s.flips.end(), [](const auto &x, const auto &y) { return x.index < y.index; });
    return s;
}
