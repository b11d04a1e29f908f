#include "pages/modelspage.h"

#include "qtconvert.h"
#include "studydocument.h"
#include "widgets/errorbanner.h"

#include "adapter/adapter.h"
#include "core/json.h"
#include "core/paths.h"
#include "lm/context_limit.h"
#include "modelsetup/factory.h"
#include "modelsetup/lm_setup.h"
#include "sim/simlm.h"

#include <QCheckBox>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>
#include <limits>

#include <chrono>
#include <cmath>
#include <functional>
#include <set>

namespace {

struct ProviderInfo {
    prism::Provider provider;
    const char *title;
    const char *defaultBaseUrl;
    const char *defaultKeyEnv;
    const char *defaultModel;
};

const ProviderInfo kProviders[] = {
    {prism::Provider::SimLm, "Simulator (SimLm, offline)", "", "", "sim-small"},
    {prism::Provider::OpenAi, "OpenAI-compatible", "https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini"},
    {prism::Provider::Anthropic, "Anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY",
     "claude-3-5-haiku-latest"},
};

const ProviderInfo &providerInfo(prism::Provider provider)
{
    for (const auto &p : kProviders)
        if (provider == p.provider)
            return p;
    return kProviders[0];
}

// What each role's form is called and says.
struct RoleText {
    const char *prefix;     // object names: taskModelBox, reflectionModelCombo, ...
    const char *title;      // the group box
    const char *what;       // one line on what the model does
    const char *undoName;   // "Change Model (Judge Model)"
    const char *followUndo; // checking "Same as"
};

const RoleText kRoleTexts[ModelsPage::kRoleCount] = {
    {"task", QT_TRANSLATE_NOOP("ModelsPage", "Task model"),
     QT_TRANSLATE_NOOP("ModelsPage", "Runs the program: every prediction of an evaluation or a trial."),
     QT_TRANSLATE_NOOP("ModelsPage", "Task Model"), ""},
    {"proposer", QT_TRANSLATE_NOOP("ModelsPage", "Proposer model"),
     QT_TRANSLATE_NOOP("ModelsPage", "Writes the candidate instructions of MIPROv2."),
     QT_TRANSLATE_NOOP("ModelsPage", "Proposer Model"),
     QT_TRANSLATE_NOOP("ModelsPage", "Use the Task Model for Proposals")},
    {"reflection", QT_TRANSLATE_NOOP("ModelsPage", "Reflection model"),
     QT_TRANSLATE_NOOP("ModelsPage", "Reads GEPA's failing examples and their feedback and writes the next "
                                     "instruction (ledger role reflection)."),
     QT_TRANSLATE_NOOP("ModelsPage", "Reflection Model"),
     QT_TRANSLATE_NOOP("ModelsPage", "Use the Proposer Model for Reflection")},
    {"judge", QT_TRANSLATE_NOOP("ModelsPage", "Judge model"),
     QT_TRANSLATE_NOOP("ModelsPage", "Scores each answer against the rubric of a Judge (LLM) metric (ledger role "
                                     "judge); other metrics make no call."),
     QT_TRANSLATE_NOOP("ModelsPage", "Judge Model"),
     QT_TRANSLATE_NOOP("ModelsPage", "Use the Proposer Model for Judging")},
};

const RoleText &roleText(ModelsPage::Role role)
{
    return kRoleTexts[role];
}

constexpr ModelsPage::Role kRoles[] = {ModelsPage::Task, ModelsPage::Proposer, ModelsPage::Reflection,
                                       ModelsPage::Judge};

// Suggestions only: the model box of an HTTP provider takes any name.
QStringList modelSuggestions(prism::Provider provider)
{
    if (provider == prism::Provider::SimLm) {
        QStringList names;
        for (const auto &n : prism::SimLm::modelNames())
            names << toQ(n);
        return names;
    }
    if (provider == prism::Provider::Anthropic)
        return {QStringLiteral("claude-3-5-haiku-latest"), QStringLiteral("claude-haiku-4-5"),
                QStringLiteral("claude-sonnet-4-0")};
    return {QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4.1-mini"), QStringLiteral("gpt-4o")};
}

QString oneLine(QString text)
{
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    text.replace(QLatin1Char('\r'), QLatin1Char(' '));
    return text.simplified();
}

QString millis(double ms)
{
    return ms < 10.0 ? QString::number(ms, 'f', 1) : QString::number(std::lround(ms));
}

// One replica per line: "URL" or "URL KEY_VARIABLE".
QString replicasText(const std::vector<prism::ModelReplica> &replicas)
{
    QStringList lines;
    for (const auto &r : replicas)
        lines << (r.apiKeyEnv.empty() ? toQ(r.baseUrl) : toQ(r.baseUrl + " " + r.apiKeyEnv));
    return lines.join(QLatin1Char('\n'));
}

// The replicas a text names; one already in `current` with the same URL and
// key keeps the limits the study file gave it.
std::vector<prism::ModelReplica> replicasFromText(const QString &text, const std::vector<prism::ModelReplica> &current)
{
    std::vector<prism::ModelReplica> out;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (words.isEmpty())
            continue;
        prism::ModelReplica r;
        r.baseUrl = toStd(words[0]);
        if (words.size() > 1)
            r.apiKeyEnv = toStd(words.mid(1).join(QLatin1Char(' ')));
        for (const auto &known : current)
            if (known.baseUrl == r.baseUrl && known.apiKeyEnv == r.apiKeyEnv)
                r = known;
        out.push_back(std::move(r));
    }
    return out;
}

struct ConnectionOutcome {
    bool ok = false;
    QString message;
    bool partly = false; // ok, but some of the model's endpoints did not answer
};

// SimLm reads only DSPy-format prompts, so its test is a real one: a tiny
// signature rendered by the chat adapter, answered and parsed back.
ConnectionOutcome testSimLm(const prism::ModelConfig &config)
{
    auto lm = prism::makeLm(config);
    if (!lm)
        return {false, oneLine(QObject::tr("Failed: %1").arg(toQ(lm.error().message)))};
    prism::Signature signature;
    signature.instruction = "Answer the question.";
    signature.inputs.push_back(prism::Field{"question", prism::Type::string(), "", ""});
    signature.outputs.push_back(prism::Field{"answer", prism::Type::string(), "", ""});
    auto adapter = prism::makeAdapter("chat");
    prism::ChatRequest request;
    request.messages = adapter->format(signature, {}, prism::Fields{{"question", "What is 2 + 2?"}});
    request.maxTokens = 64;
    request.role = "connection_test";
    const auto start = std::chrono::steady_clock::now();
    auto response = lm.value()->complete(request);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!response)
        return {false, oneLine(QObject::tr("Failed: %1").arg(toQ(response.error().message)))};
    auto parsed = adapter->parse(signature, response->text());
    if (!parsed)
        return {false, oneLine(QObject::tr("Failed: the model answered, but not in DSPy's format: %1")
                                   .arg(toQ(parsed.error().message)))};
    return {true, QObject::tr("OK: %1 answered in %2 ms").arg(toQ(config.model), millis(ms))};
}

ConnectionOutcome testHttp(const prism::ModelConfig &config, const std::atomic<bool> *cancel)
{
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> problems;
    auto checked = prism::checkConnection(config, cancel, &problems);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!checked)
        return {false, oneLine(QObject::tr("Failed: %1").arg(toQ(checked.error().message)))};
    const QString url = toQ(config.baseUrl.empty() ? providerInfo(config.provider).defaultBaseUrl : config.baseUrl);
    if (config.replicas.empty())
        return {true, QObject::tr("OK: %1 at %2 answered in %3 ms").arg(toQ(config.model), url, millis(ms))};
    const int endpoints = static_cast<int>(config.replicas.size()) + 1;
    QString text = QObject::tr("OK: %1 endpoints of %2 of %3 answered in %4 ms")
                       .arg(endpoints - static_cast<int>(problems.size()))
                       .arg(endpoints)
                       .arg(toQ(config.model), millis(ms));
    for (const auto &problem : problems)
        text += QObject::tr("; not %1").arg(toQ(problem));
    return {true, oneLine(text), !problems.empty()};
}

const QColor kGood(0x2e, 0x7d, 0x32);
const QColor kBad(0xb3, 0x26, 0x1e);
const QColor kWarn(0xa0, 0x5a, 0x00);

QString colored(const QColor &color)
{
    return QStringLiteral("color: %1;").arg(color.name());
}

} // namespace

ModelsPage::ModelsPage(StudyDocument *document, QWidget *parent)
    : QWidget(parent), m_document(document), m_builtinPrices(prism::PriceTable::defaults())
{
    setObjectName(QStringLiteral("modelsPage"));
    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);

    // Everything below the banner scrolls, so the page fits a small window
    // (1024x640) without squashing a form or clipping a long connection error.
    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("modelsScroll"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget(scroll);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    scroll->setWidget(content);
    layout->addWidget(scroll, 1);

    // Task and proposer side by side, GEPA's reflection and a judge metric's model below.
    auto *forms = new QGridLayout;
    forms->addWidget(buildForm(Task), 0, 0);
    forms->addWidget(buildForm(Proposer), 0, 1);
    forms->addWidget(buildForm(Reflection), 1, 0);
    forms->addWidget(buildForm(Judge), 1, 1);
    forms->setColumnStretch(0, 1);
    forms->setColumnStretch(1, 1);
    contentLayout->addLayout(forms);

    auto *keyNote = new QLabel(tr("API keys are never stored: the study keeps only the <i>name</i> of the environment "
                                  "variable, and Prism reads the key from it when it calls the model. Set the variable "
                                  "before starting the studio. The scheduler keeps each endpoint under its per-minute "
                                  "limits, backs off on 429 answers and honours Retry-After."),
                               this);
    keyNote->setWordWrap(true);
    keyNote->setForegroundRole(QPalette::PlaceholderText);
    contentLayout->addWidget(keyNote);

    auto *prices = buildPricesBox();
    prices->setMinimumHeight(fontMetrics().height() * 14);
    contentLayout->addWidget(prices, 1);

    connect(m_document, &StudyDocument::studyChanged, this, &ModelsPage::syncFromStudy);
    connect(m_document, &StudyDocument::documentReset, this, [this] {
        resetFollows();
        for (Role role : kRoles) {
            m_forms[role].result->clear();
            m_forms[role].tested.reset();
        }
        syncFromStudy();
    });

    resetFollows();
    syncFromStudy();
    reloadPrices();
}

ModelsPage::~ModelsPage()
{
    // A connection test holds only copies; stop it and wait so no thread
    // outlives the page.
    for (Form &form : m_forms) {
        if (form.cancel)
            form.cancel->store(true);
        if (form.thread)
            form.thread->wait();
    }
}

QGroupBox *ModelsPage::buildPricesBox()
{
    auto *pricesBox = new QGroupBox(tr("Prices (US $ per million tokens)"), this);
    pricesBox->setObjectName(QStringLiteral("pricesBox"));
    auto *pricesLayout = new QVBoxLayout(pricesBox);
    m_pricesInfo = new QLabel(pricesBox);
    m_pricesInfo->setObjectName(QStringLiteral("pricesInfo"));
    m_pricesInfo->setWordWrap(true);
    m_pricesInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    pricesLayout->addWidget(m_pricesInfo);
    m_prices = new QTableWidget(0, PriceColumnCount, pricesBox);
    m_prices->setObjectName(QStringLiteral("pricesTable"));
    m_prices->setHorizontalHeaderLabels(
        {tr("Model (or name prefix)"), tr("Input $ / 1M"), tr("Output $ / 1M"), tr("Source")});
    m_prices->horizontalHeaderItem(PriceModelColumn)
        ->setToolTip(tr("Exact model name, or a prefix: gpt-4o-mini also prices gpt-4o-mini-2024-07-18"));
    m_prices->verticalHeader()->hide();
    m_prices->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_prices->horizontalHeader()->setStretchLastSection(true);
    m_prices->setSortingEnabled(false);
    m_prices->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    const int ch = fontMetrics().averageCharWidth();
    m_prices->setColumnWidth(PriceModelColumn, ch * 34);
    m_prices->setColumnWidth(PriceInputColumn, ch * 16);
    m_prices->setColumnWidth(PriceOutputColumn, ch * 16);
    pricesLayout->addWidget(m_prices, 1);
    auto *priceButtons = new QHBoxLayout;
    auto *addPrice = new QPushButton(tr("&Add Model"), pricesBox);
    addPrice->setObjectName(QStringLiteral("addPriceButton"));
    m_removePrice = new QPushButton(tr("&Remove"), pricesBox);
    m_removePrice->setObjectName(QStringLiteral("removePriceButton"));
    m_removePrice->setToolTip(tr("Removes models you added; built-in prices can be changed but not removed"));
    m_savePrices = new QPushButton(tr("&Save Prices"), pricesBox);
    m_savePrices->setObjectName(QStringLiteral("savePricesButton"));
    m_revertPrices = new QPushButton(tr("Re&vert"), pricesBox);
    m_revertPrices->setObjectName(QStringLiteral("revertPricesButton"));
    priceButtons->addWidget(addPrice);
    priceButtons->addWidget(m_removePrice);
    priceButtons->addStretch(1);
    priceButtons->addWidget(m_revertPrices);
    priceButtons->addWidget(m_savePrices);
    pricesLayout->addLayout(priceButtons);

    connect(m_prices, &QTableWidget::cellChanged, this, &ModelsPage::onPriceEdited);
    connect(m_prices, &QTableWidget::itemSelectionChanged, this, [this] {
        bool removable = false;
        for (const QModelIndex &index : m_prices->selectionModel()->selectedRows()) {
            const QTableWidgetItem *key = m_prices->item(index.row(), PriceModelColumn);
            removable = removable || !key || m_builtinPrices.models().count(toStd(key->text().trimmed())) == 0;
        }
        m_removePrice->setEnabled(removable);
    });
    connect(addPrice, &QPushButton::clicked, this, &ModelsPage::addPriceRow);
    connect(m_removePrice, &QPushButton::clicked, this, &ModelsPage::removePriceRows);
    connect(m_savePrices, &QPushButton::clicked, this, [this] {
        QString error;
        if (!savePrices(&error))
            m_banner->showMessage(error);
    });
    connect(m_revertPrices, &QPushButton::clicked, this, &ModelsPage::reloadPrices);
    return pricesBox;
}

QGroupBox *ModelsPage::buildForm(Role role)
{
    Form &f = m_forms[role];
    const RoleText &text = roleText(role);
    const QString prefix = QLatin1String(text.prefix);
    f.box = new QGroupBox(tr(text.title), this);
    f.box->setObjectName(prefix + QStringLiteral("ModelBox"));
    auto *outer = new QVBoxLayout(f.box);
    auto *what = new QLabel(tr(text.what), f.box);
    what->setWordWrap(true);
    what->setForegroundRole(QPalette::PlaceholderText);
    outer->addWidget(what);
    if (role != Task) {
        f.same =
            new QCheckBox(role == Proposer ? tr("Same as the &task model") : tr("Same as the proposer model"), f.box);
        // The proposer's box keeps its historical name (tests and users' scripts look it up).
        f.same->setObjectName(role == Proposer ? QStringLiteral("sameAsTaskCheck")
                                               : prefix + QStringLiteral("SameAsProposerCheck"));
        outer->addWidget(f.same);
        connect(f.same, &QCheckBox::toggled, this, [this, role](bool on) { onSameAsToggled(role, on); });
    }
    if (role == Reflection || role == Judge) {
        f.followNote = new QLabel(f.box);
        f.followNote->setObjectName(prefix + QStringLiteral("FollowNote"));
        f.followNote->setWordWrap(true);
        outer->addWidget(f.followNote);
    }
    // The settings live in a body of their own, so a following reflection or
    // judge model can fold them away instead of repeating the proposer's.
    f.body = new QWidget(f.box);
    auto *bodyLayout = new QVBoxLayout(f.body);
    bodyLayout->setContentsMargins(0, 0, 0, 0);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    bodyLayout->addLayout(form);
    outer->addWidget(f.body);

    addEndpointRows(f, form, prefix);
    addCallRows(f, form, prefix);
    addLimitRows(f, form, prefix);
    bodyLayout->addLayout(buildTestRow(f, prefix));
    outer->addStretch(1);
    connectForm(role);
    return f.box;
}

void ModelsPage::addEndpointRows(Form &f, QFormLayout *form, const QString &prefix)
{
    f.provider = new QComboBox(f.box);
    f.provider->setObjectName(prefix + QStringLiteral("ProviderCombo"));
    for (const auto &p : kProviders)
        f.provider->addItem(tr(p.title), QString::fromLatin1(prism::providerName(p.provider)));
    f.provider->setToolTip(
        tr("The simulator runs offline with no key: deterministic, for trying Prism out and for tests"));
    form->addRow(tr("&Provider:"), f.provider);

    f.baseUrl = new QLineEdit(f.box);
    f.baseUrl->setObjectName(prefix + QStringLiteral("BaseUrlEdit"));
    f.baseUrl->setToolTip(tr("Any OpenAI-compatible server: OpenAI, Ollama (http://localhost:11434/v1), vLLM, "
                             "llama.cpp, LM Studio, OpenRouter, Groq…; empty = the provider's default"));
    form->addRow(tr("Base &URL:"), f.baseUrl);

    f.replicas = new QPlainTextEdit(f.box);
    f.replicas->setObjectName(prefix + QStringLiteral("ReplicasEdit"));
    f.replicas->setTabChangesFocus(true);
    f.replicas->setPlaceholderText(tr("none; or one base URL per line, optionally followed by its API key variable"));
    f.replicas->setToolTip(
        tr("More endpoints that serve the same model: replicas of a vLLM or Ollama deployment, or the same "
           "provider with another key (\"https://api.openai.com/v1 OPENAI_KEY_2\"). Each call goes to the one with "
           "the fewest requests outstanding; a failing one is skipped while it recovers. Each replica has the "
           "limits above; the study file can set its own."));
    f.replicas->setFixedHeight(f.replicas->fontMetrics().lineSpacing() * 3 + 12);
    form->addRow(tr("&Replicas:"), f.replicas);

    f.model = new QComboBox(f.box);
    f.model->setObjectName(prefix + QStringLiteral("ModelCombo"));
    form->addRow(tr("&Model:"), f.model);

    auto *keyRow = new QHBoxLayout;
    f.keyEnv = new QLineEdit(f.box);
    f.keyEnv->setObjectName(prefix + QStringLiteral("KeyEnvEdit"));
    f.keyEnv->setToolTip(
        tr("The NAME of an environment variable, e.g. OPENAI_API_KEY. The key itself is never stored."));
    f.keyStatus = new QLabel(f.box);
    f.keyStatus->setObjectName(prefix + QStringLiteral("KeyStatus"));
    f.keyStatus->setMinimumWidth(fontMetrics().horizontalAdvance(tr("✗ not set")) + 8);
    keyRow->addWidget(f.keyEnv, 1);
    keyRow->addWidget(f.keyStatus);
    auto *keyLabel = new QLabel(tr("API &key variable:"), f.box);
    keyLabel->setBuddy(f.keyEnv);
    form->addRow(keyLabel, keyRow);
}

void ModelsPage::addCallRows(Form &f, QFormLayout *form, const QString &prefix)
{
    f.temperature = new QDoubleSpinBox(f.box);
    f.temperature->setObjectName(prefix + QStringLiteral("TemperatureSpin"));
    f.temperature->setRange(0.0, 2.0);
    f.temperature->setSingleStep(0.1);
    f.temperature->setDecimals(2);
    form->addRow(tr("&Temperature:"), f.temperature);

    f.maxTokens = new QSpinBox(f.box);
    f.maxTokens->setObjectName(prefix + QStringLiteral("MaxTokensSpin"));
    f.maxTokens->setRange(1, 1000000);
    f.maxTokens->setSingleStep(256);
    form->addRow(tr("Max t&okens:"), f.maxTokens);

    // 0 stands for "not set in the study": the model family's window applies, and the
    // special text shows which (it follows the provider and model, see showConfig).
    f.maxPromptTokens = new QSpinBox(f.box);
    f.maxPromptTokens->setObjectName(prefix + QStringLiteral("MaxPromptTokensSpin"));
    f.maxPromptTokens->setRange(0, std::numeric_limits<int>::max());
    f.maxPromptTokens->setSingleStep(1024);
    f.maxPromptTokens->setToolTip(tr("The longest prompt a call may send, in tokens (estimated); a longer one is an "
                                     "example error, never sent and never billed"));
    form->addRow(tr("Max &prompt:"), f.maxPromptTokens);

    f.timeout = new QDoubleSpinBox(f.box);
    f.timeout->setObjectName(prefix + QStringLiteral("TimeoutSpin"));
    f.timeout->setRange(0.0, 3600.0);
    f.timeout->setDecimals(0);
    f.timeout->setSuffix(tr(" s"));
    f.timeout->setSpecialValueText(tr("none"));
    f.timeout->setToolTip(tr("Per call; 0 = no limit"));
    form->addRow(tr("T&imeout:"), f.timeout);
}

void ModelsPage::addLimitRows(Form &f, QFormLayout *form, const QString &prefix)
{
    f.concurrency = new QSpinBox(f.box);
    f.concurrency->setObjectName(prefix + QStringLiteral("ConcurrencySpin"));
    f.concurrency->setRange(1, 512);
    f.concurrency->setToolTip(tr("Calls in flight at once to this endpoint"));
    form->addRow(tr("Max &concurrency:"), f.concurrency);

    f.requestsPerMinute = new QSpinBox(f.box);
    f.requestsPerMinute->setObjectName(prefix + QStringLiteral("RpmSpin"));
    f.requestsPerMinute->setRange(0, 1000000);
    f.requestsPerMinute->setSingleStep(10);
    f.requestsPerMinute->setSpecialValueText(tr("no limit"));
    f.requestsPerMinute->setSuffix(tr(" / min"));
    f.requestsPerMinute->setToolTip(
        tr("The provider's request limit (RPM) for this endpoint; calls are paced to stay under it"));
    form->addRow(tr("&Requests per minute:"), f.requestsPerMinute);

    f.tokensPerMinute = new QSpinBox(f.box);
    f.tokensPerMinute->setObjectName(prefix + QStringLiteral("TpmSpin"));
    f.tokensPerMinute->setRange(0, 100000000);
    f.tokensPerMinute->setSingleStep(1000);
    f.tokensPerMinute->setSpecialValueText(tr("no limit"));
    f.tokensPerMinute->setSuffix(tr(" / min"));
    f.tokensPerMinute->setToolTip(tr("The provider's token limit (TPM); a call counts its prompt and max tokens"));
    form->addRow(tr("To&kens per minute:"), f.tokensPerMinute);

    auto *retryRow = new QHBoxLayout;
    f.maxRetries = new QSpinBox(f.box);
    f.maxRetries->setObjectName(prefix + QStringLiteral("MaxRetriesSpin"));
    f.maxRetries->setRange(0, prism::kMaxRetriesLimit);
    f.maxRetries->setSpecialValueText(tr("none"));
    f.maxRetries->setToolTip(tr("How often a call that failed in a way that may pass (429, 5xx, a timeout, a dropped "
                                "connection) is tried again before it counts as that example's error"));
    f.retryWait = new QDoubleSpinBox(f.box);
    f.retryWait->setObjectName(prefix + QStringLiteral("RetryWaitSpin"));
    f.retryWait->setRange(0.0, prism::kRetryBaseSecondsLimit);
    f.retryWait->setDecimals(2);
    f.retryWait->setSingleStep(0.25);
    f.retryWait->setPrefix(tr("first wait up to "));
    f.retryWait->setSuffix(tr(" s"));
    f.retryWait->setToolTip(tr("The first retry waits a random time up to this, each next one up to twice as long "
                               "(at most 30 s); a server's Retry-After wins"));
    retryRow->addWidget(f.maxRetries);
    retryRow->addWidget(f.retryWait, 1);
    auto *retryLabel = new QLabel(tr("R&etries:"), f.box);
    retryLabel->setBuddy(f.maxRetries);
    form->addRow(retryLabel, retryRow);
}

QVBoxLayout *ModelsPage::buildTestRow(Form &f, const QString &prefix)
{
    auto *testRow = new QVBoxLayout;
    f.simNote = new QLabel(
        tr("The simulator runs in-process, offline and free, with no key. <b>sim-small</b>: a weak model "
           "(noisy answers, plain proposals). <b>sim-large</b>: a stronger one (less noise, better proposals). "
           "<b>sim-flaky</b>: sim-small that answers malformed about one call in twenty, to see how a run "
           "copes with bad answers."),
        f.box);
    f.simNote->setObjectName(prefix + QStringLiteral("SimNote"));
    f.simNote->setWordWrap(true);
    f.simNote->setForegroundRole(QPalette::PlaceholderText);
    testRow->addWidget(f.simNote);
    f.test = new QPushButton(tr("Test &Connection"), f.box);
    f.test->setObjectName(prefix + QStringLiteral("TestButton"));
    f.test->setToolTip(
        tr("One cheap request: the model list of an HTTP server (no tokens), or a tiny prompt to the simulator"));
    f.result = new QLabel(f.box);
    f.result->setObjectName(prefix + QStringLiteral("ConnectionLabel"));
    f.result->setWordWrap(true);
    f.result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    testRow->addWidget(f.test, 0, Qt::AlignLeft);
    testRow->addWidget(f.result); // a row of its own: a long error wraps at the form's full width
    return testRow;
}

void ModelsPage::connectForm(Role role)
{
    const Form &f = m_forms[role];
    connect(f.provider, &QComboBox::activated, this,
            [this, role](int index) { setProvider(role, m_forms[role].provider->itemData(index).toString()); });
    connect(f.baseUrl, &QLineEdit::textEdited, this, [this, role](const QString &text) {
        commit(
            role, [&](prism::ModelConfig &c) { c.baseUrl = toStd(text.trimmed()); }, tr("Change Base URL"),
            QStringLiteral("baseUrl"));
    });
    connect(f.replicas, &QPlainTextEdit::textChanged, this, [this, role] {
        const QString text = m_forms[role].replicas->toPlainText();
        commit(
            role, [&](prism::ModelConfig &c) { c.replicas = replicasFromText(text, c.replicas); },
            tr("Change Replicas"), QStringLiteral("replicas"));
    });
    connect(f.model, &QComboBox::currentTextChanged, this, [this, role](const QString &text) {
        if (m_syncing || text.trimmed().isEmpty())
            return;
        commit(
            role, [&](prism::ModelConfig &c) { c.model = toStd(text.trimmed()); }, tr("Change Model"),
            QStringLiteral("model"));
    });
    connect(f.keyEnv, &QLineEdit::textEdited, this, [this, role](const QString &text) {
        commit(
            role, [&](prism::ModelConfig &c) { c.apiKeyEnv = toStd(text.trimmed()); }, tr("Change API Key Variable"),
            QStringLiteral("apiKeyEnv"));
        updateKeyStatus(role);
    });
    connect(f.temperature, &QDoubleSpinBox::valueChanged, this, [this, role](double v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.temperature = v; }, tr("Change Temperature"),
            QStringLiteral("temperature"));
    });
    connect(f.maxTokens, &QSpinBox::valueChanged, this, [this, role](int v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.maxTokens = v; }, tr("Change Max Tokens"),
            QStringLiteral("maxTokens"));
    });
    connect(f.maxPromptTokens, &QSpinBox::valueChanged, this, [this, role](int v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.maxPromptTokens = v > 0 ? std::optional<int>(v) : std::nullopt; },
            tr("Change Max Prompt"), QStringLiteral("maxPromptTokens"));
    });
    connect(f.timeout, &QDoubleSpinBox::valueChanged, this, [this, role](double v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.timeoutSeconds = v; }, tr("Change Timeout"),
            QStringLiteral("timeout"));
    });
    connect(f.concurrency, &QSpinBox::valueChanged, this, [this, role](int v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.maxConcurrency = v; }, tr("Change Max Concurrency"),
            QStringLiteral("concurrency"));
    });
    connect(f.requestsPerMinute, &QSpinBox::valueChanged, this, [this, role](int v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.requestsPerMinute = v; }, tr("Change Requests per Minute"),
            QStringLiteral("rpm"));
    });
    connect(f.tokensPerMinute, &QSpinBox::valueChanged, this, [this, role](int v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.tokensPerMinute = v; }, tr("Change Tokens per Minute"),
            QStringLiteral("tpm"));
    });
    connect(f.maxRetries, &QSpinBox::valueChanged, this, [this, role](int v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.maxRetries = v; }, tr("Change Retries"), QStringLiteral("retries"));
    });
    connect(f.retryWait, &QDoubleSpinBox::valueChanged, this, [this, role](double v) {
        commit(
            role, [&](prism::ModelConfig &c) { c.retryBaseSeconds = v; }, tr("Change Retry Wait"),
            QStringLiteral("retryWait"));
    });
    connect(f.test, &QPushButton::clicked, this, [this, role] { testConnection(role); });
}

const prism::ModelConfig &ModelsPage::config(Role role) const
{
    return modelOf(m_document->study(), role);
}

prism::ModelConfig &ModelsPage::modelOf(prism::Study &study, Role role)
{
    switch (role) {
    case Task: return study.taskModel;
    case Proposer: return study.proposerModel;
    case Reflection: return study.reflectionModel;
    case Judge: return study.judgeModel;
    }
    return study.taskModel;
}

const prism::ModelConfig &ModelsPage::modelOf(const prism::Study &study, Role role)
{
    return modelOf(const_cast<prism::Study &>(study), role);
}

// A role follows when its model is its leader's, as the study file says by
// naming it only when they differ.
void ModelsPage::resetFollows()
{
    const prism::Study &study = m_document->study();
    m_follows[Task] = false;
    for (Role role : {Proposer, Reflection, Judge})
        m_follows[role] = modelOf(study, role) == modelOf(study, leaderOf(role));
}

// GEPA's reflection model and a judge metric's model default to the proposer
// (the study file names them only when they differ): while their "Same as"
// box is checked they stay the proposer's when the proposer changes.
void ModelsPage::followProposer(prism::Study &study) const
{
    for (Role role : {Reflection, Judge})
        if (m_follows[role])
            modelOf(study, role) = study.proposerModel;
}

void ModelsPage::commit(Role role, const std::function<void(prism::ModelConfig &)> &edit, const QString &undoText,
                        const QString &mergeKey)
{
    if (m_syncing)
        return;
    prism::Study study = m_document->study();
    edit(modelOf(study, role));
    if (role == Task && m_follows[Proposer])
        study.proposerModel = study.taskModel;
    followProposer(study);
    if (study == m_document->study())
        return;
    const QString text = QStringLiteral("%1 (%2)").arg(undoText, tr(roleText(role).undoName));
    m_document->setStudy(study, text,
                         mergeKey.isEmpty() ? QString() : QStringLiteral("models.%1.%2").arg(int(role)).arg(mergeKey));
}

void ModelsPage::setProvider(Role role, const QString &provider)
{
    const std::optional<prism::Provider> chosen = prism::providerFromName(toStd(provider));
    const prism::ModelConfig &current = config(role);
    if (!chosen || *chosen == current.provider)
        return;
    const prism::Provider key = *chosen;
    const ProviderInfo &info = providerInfo(key);
    const bool wasSim = current.provider == prism::Provider::SimLm;
    commit(
        role,
        [&](prism::ModelConfig &c) {
            c.provider = key;
            // Settings of the previous provider rarely fit the next one.
            c.baseUrl.clear();
            c.replicas.clear();
            if (key == prism::Provider::SimLm) {
                c.apiKeyEnv.clear();
                if (!prism::SimLm::isKnownModel(c.model))
                    c.model = info.defaultModel;
            } else {
                c.model = info.defaultModel;
                c.apiKeyEnv = info.defaultKeyEnv;
                if (wasSim)
                    c.maxConcurrency = std::min(c.maxConcurrency, 8);
            }
        },
        tr("Use %1").arg(tr(info.title)));
}

void ModelsPage::onSameAsToggled(Role role, bool on)
{
    if (m_syncing)
        return;
    m_follows[role] = on;
    const Role leader = leaderOf(role);
    if (on && modelOf(m_document->study(), role) != modelOf(m_document->study(), leader)) {
        prism::Study study = m_document->study();
        modelOf(study, role) = modelOf(study, leader);
        followProposer(study);
        m_document->setStudy(study, tr(roleText(role).followUndo));
    }
    updateEnabled();
}

void ModelsPage::syncFromStudy()
{
    const prism::Study &study = m_document->study();
    for (Role role : {Proposer, Reflection, Judge})
        if (modelOf(study, role) != modelOf(study, leaderOf(role)))
            m_follows[role] = false;
    m_syncing = true;
    for (Role role : kRoles) {
        syncForm(role, modelOf(study, role));
        if (m_forms[role].same)
            m_forms[role].same->setChecked(m_follows[role]);
    }
    m_syncing = false;
    updateEnabled();
}

void ModelsPage::syncForm(Role role, const prism::ModelConfig &c)
{
    Form &f = m_forms[role];
    const bool sim = c.provider == prism::Provider::SimLm;
    f.simNote->setVisible(sim);
    if (f.tested && *f.tested != c && !f.thread) {
        f.result->clear();
        f.tested.reset();
    }
    const ProviderInfo &info = providerInfo(c.provider);
    f.provider->setCurrentIndex(
        std::max(0, f.provider->findData(QString::fromLatin1(prism::providerName(c.provider)))));
    if (f.baseUrl->text() != toQ(c.baseUrl))
        f.baseUrl->setText(toQ(c.baseUrl));
    f.baseUrl->setPlaceholderText(sim ? tr("not used: the simulator runs in-process")
                                      : tr("%1 (default)").arg(QString::fromLatin1(info.defaultBaseUrl)));
    // Text that reads as the study's replicas stays as typed (a trailing
    // newline, a half-typed line's spaces); anything else is replaced.
    if (replicasFromText(f.replicas->toPlainText(), c.replicas) != c.replicas)
        f.replicas->setPlainText(replicasText(c.replicas));

    // Rebuild the suggestions only when the provider changed: rebuilding
    // under the user's typing would move the cursor.
    const QStringList suggestions = modelSuggestions(c.provider);
    QStringList shown;
    for (int i = 0; i < f.model->count(); ++i)
        shown << f.model->itemText(i);
    if (f.model->isEditable() == sim || shown != suggestions) {
        f.model->clear();
        f.model->setEditable(!sim);
        f.model->addItems(suggestions);
    }
    if (f.model->currentText() != toQ(c.model)) {
        const int index = f.model->findText(toQ(c.model));
        if (index >= 0)
            f.model->setCurrentIndex(index);
        else
            f.model->setEditText(toQ(c.model));
    }
    f.model->setToolTip(sim ? tr("sim-small and sim-large differ in skill; sim-flaky sometimes breaks the format")
                            : tr("The model name as the server knows it"));

    if (f.keyEnv->text() != toQ(c.apiKeyEnv))
        f.keyEnv->setText(toQ(c.apiKeyEnv));
    f.keyEnv->setPlaceholderText(sim ? tr("not needed") : QString::fromLatin1(info.defaultKeyEnv));
    f.temperature->setValue(c.temperature);
    f.maxTokens->setValue(c.maxTokens);
    f.maxPromptTokens->setSpecialValueText(tr("default: %L1").arg(prism::defaultMaxPromptTokens(c.provider, c.model)));
    f.maxPromptTokens->setValue(c.maxPromptTokens.value_or(0));
    f.timeout->setValue(c.timeoutSeconds);
    f.concurrency->setValue(c.maxConcurrency);
    f.requestsPerMinute->setValue(static_cast<int>(c.requestsPerMinute));
    f.tokensPerMinute->setValue(static_cast<int>(c.tokensPerMinute));
    f.maxRetries->setValue(c.maxRetries);
    f.retryWait->setValue(c.retryBaseSeconds);
    updateKeyStatus(role);
}

QString ModelsPage::apiKeyStatus(Role role) const
{
    const QString name = m_forms[role].keyEnv->text().trimmed();
    if (name.isEmpty())
        return QString();
    // Only whether it is there; the value never leaves the environment.
    return qEnvironmentVariableIsEmpty(name.toLocal8Bit().constData()) ? tr("not set") : tr("set");
}

void ModelsPage::updateKeyStatus(Role role)
{
    Form &f = m_forms[role];
    const bool sim = config(role).provider == prism::Provider::SimLm;
    const QString status = apiKeyStatus(role);
    if (sim) {
        f.keyStatus->clear();
        f.keyStatus->setToolTip(QString());
    } else if (status.isEmpty()) {
        f.keyStatus->setText(tr("no key"));
        f.keyStatus->setStyleSheet(colored(kWarn));
        f.keyStatus->setToolTip(tr("No variable named: requests are sent without a key (fine for local servers)"));
    } else if (status == tr("set")) {
        f.keyStatus->setText(tr("✓ set"));
        f.keyStatus->setStyleSheet(colored(kGood));
        f.keyStatus->setToolTip(tr("%1 is set in the studio's environment").arg(f.keyEnv->text().trimmed()));
    } else {
        f.keyStatus->setText(tr("✗ not set"));
        f.keyStatus->setStyleSheet(colored(kBad));
        f.keyStatus->setToolTip(tr("%1 is not set: export it and restart the studio").arg(f.keyEnv->text().trimmed()));
    }
}

void ModelsPage::updateEnabled()
{
    for (Role role : kRoles) {
        Form &f = m_forms[role];
        const bool sim = config(role).provider == prism::Provider::SimLm;
        const bool editable = !m_follows[role];
        if (f.followNote) {
            const prism::ModelConfig &leader = config(leaderOf(role));
            f.body->setVisible(editable);
            f.followNote->setVisible(!editable);
            f.followNote->setText(tr("Uses the proposer model: %1 (%2).")
                                      .arg(toQ(leader.model), tr(providerInfo(leader.provider).title)));
        }
        for (QWidget *w : std::initializer_list<QWidget *>{
                 f.provider, f.model, f.temperature, f.maxTokens, f.maxPromptTokens, f.timeout, f.concurrency,
                 f.requestsPerMinute, f.tokensPerMinute, f.maxRetries, f.retryWait})
            w->setEnabled(editable);
        f.baseUrl->setEnabled(editable && !sim);
        f.replicas->setEnabled(editable && !sim);
        f.keyEnv->setEnabled(editable && !sim);
        f.test->setEnabled(!isTestingConnection(role));
    }
}

void ModelsPage::testConnection(Role role)
{
    Form &f = m_forms[role];
    if (f.thread)
        return;
    const prism::ModelConfig c = config(role);
    auto outcome = std::make_shared<ConnectionOutcome>();
    f.cancel = std::make_shared<std::atomic<bool>>(false);
    auto cancel = f.cancel;
    f.thread = QThread::create([c, outcome, cancel] {
        *outcome = c.provider == prism::Provider::SimLm ? testSimLm(c) : testHttp(c, cancel.get());
    });
    f.tested = c;
    f.result->setText(tr("Testing %1…").arg(toQ(c.model)));
    f.result->setStyleSheet(QString());
    connect(f.thread, &QThread::finished, this, [this, role, outcome] {
        Form &form = m_forms[role];
        form.thread = nullptr;
        if (form.tested && *form.tested != config(role)) {
            // The settings changed while the test ran: its answer is about others.
            form.result->clear();
            form.tested.reset();
        } else {
            form.result->setText(outcome->message);
            form.result->setStyleSheet(colored(!outcome->ok ? kBad : outcome->partly ? kWarn : kGood));
        }
        updateEnabled();
        emit connectionTested(role, outcome->ok, outcome->message);
    });
    connect(f.thread, &QThread::finished, f.thread, &QObject::deleteLater);
    f.thread->start();
    updateEnabled();
}

// ---- prices

QString ModelsPage::pricesPath() const
{
    auto path = prism::userDataPath("prices.json");
    return path ? toQ(path.value()) : QString();
}

void ModelsPage::reloadPrices()
{
    prism::PriceTable table = m_builtinPrices;
    QString info;
    const QString path = pricesPath();
    if (!path.isEmpty() && QFileInfo::exists(path)) {
        auto user = prism::PriceTable::load(toStd(path));
        if (user) {
            table.merge(user.value());
            info = tr("Built-in prices, with yours from %1.").arg(path);
        } else {
            m_banner->showMessage(tr("Your price file could not be read; showing the built-in prices. %1")
                                      .arg(toQ(user.error().message)));
            info = tr("Built-in prices (your file %1 has an error; saving replaces it).").arg(path);
        }
    } else {
        info = tr("Built-in prices. Your changes are saved to %1.").arg(path.isEmpty() ? tr("the data folder") : path);
    }
    m_pricesInfo->setText(info + QLatin1Char(' ')
                          + tr("A model without a price shows its spend as unknown, never as $0."));
    fillPrices(table);
}

void ModelsPage::fillPrices(const prism::PriceTable &table)
{
    m_fillingPrices = true;
    m_prices->setRowCount(0);
    m_prices->setRowCount(static_cast<int>(table.models().size()));
    int r = 0;
    for (const auto &[model, price] : table.models()) {
        auto *key = new QTableWidgetItem(toQ(model));
        const auto builtin = m_builtinPrices.models().find(model);
        const bool isBuiltin = builtin != m_builtinPrices.models().end();
        if (isBuiltin)
            key->setFlags(key->flags() & ~Qt::ItemIsEditable); // built-ins are renamed by adding a new row
        m_prices->setItem(r, PriceModelColumn, key);
        auto *in = new QTableWidgetItem(QString::number(price.inputPerMillion));
        in->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_prices->setItem(r, PriceInputColumn, in);
        auto *out = new QTableWidgetItem(QString::number(price.outputPerMillion));
        out->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_prices->setItem(r, PriceOutputColumn, out);
        auto *source = new QTableWidgetItem(!isBuiltin                 ? tr("yours")
                                            : builtin->second == price ? tr("built-in")
                                                                       : tr("yours (changed)"));
        source->setFlags(source->flags() & ~Qt::ItemIsEditable);
        m_prices->setItem(r, PriceSourceColumn, source);
        ++r;
    }
    m_fillingPrices = false;
    m_pricesModified = false;
    m_savePrices->setEnabled(false);
    m_revertPrices->setEnabled(false);
    m_removePrice->setEnabled(false);
}

void ModelsPage::onPriceEdited()
{
    if (m_fillingPrices)
        return;
    m_pricesModified = true;
    m_savePrices->setEnabled(true);
    m_revertPrices->setEnabled(true);
}

void ModelsPage::addPriceRow()
{
    m_fillingPrices = true;
    const int r = m_prices->rowCount();
    m_prices->insertRow(r);
    m_prices->setItem(r, PriceModelColumn, new QTableWidgetItem);
    for (int c : {PriceInputColumn, PriceOutputColumn}) {
        auto *item = new QTableWidgetItem(QStringLiteral("0"));
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_prices->setItem(r, c, item);
    }
    auto *source = new QTableWidgetItem(tr("yours"));
    source->setFlags(source->flags() & ~Qt::ItemIsEditable);
    m_prices->setItem(r, PriceSourceColumn, source);
    m_fillingPrices = false;
    onPriceEdited();
    m_prices->setCurrentCell(r, PriceModelColumn);
    m_prices->editItem(m_prices->item(r, PriceModelColumn));
}

void ModelsPage::removePriceRows()
{
    std::set<int, std::greater<>> rows;
    for (const QModelIndex &index : m_prices->selectionModel()->selectedRows()) {
        const QTableWidgetItem *key = m_prices->item(index.row(), PriceModelColumn);
        if (!key || m_builtinPrices.models().count(toStd(key->text().trimmed())) == 0)
            rows.insert(index.row());
    }
    for (int r : rows)
        m_prices->removeRow(r);
    if (!rows.empty())
        onPriceEdited();
}

bool ModelsPage::savePrices(QString *error)
{
    auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    const QString path = pricesPath();
    if (path.isEmpty())
        return fail(tr("Prices not saved: %1").arg(toQ(prism::userDataPath("prices.json").error().message)));

    // Only what differs from the built-in table is the user's: later built-in
    // updates still reach the models the user never touched.
    prism::PriceTable user;
    std::set<std::string> seen;
    for (int r = 0; r < m_prices->rowCount(); ++r) {
        const QString name =
            m_prices->item(r, PriceModelColumn) ? m_prices->item(r, PriceModelColumn)->text().trimmed() : QString();
        if (name.isEmpty())
            return fail(tr("Prices not saved: row %1 has no model name.").arg(r + 1));
        if (!seen.insert(toStd(name)).second)
            return fail(tr("Prices not saved: %1 is listed twice.").arg(name));
        prism::ModelPrice price;
        for (int c : {PriceInputColumn, PriceOutputColumn}) {
            bool ok = false;
            const QString text = m_prices->item(r, c) ? m_prices->item(r, c)->text().trimmed() : QString();
            const double value = text.toDouble(&ok);
            if (!ok || !std::isfinite(value) || value < 0)
                return fail(tr("Prices not saved: the %1 price of %2 must be a number ≥ 0, not '%3'.")
                                .arg(c == PriceInputColumn ? tr("input") : tr("output"), name, text));
            (c == PriceInputColumn ? price.inputPerMillion : price.outputPerMillion) = value;
        }
        const auto builtin = m_builtinPrices.models().find(toStd(name));
        const bool sameAsBuiltin = builtin != m_builtinPrices.models().end() && builtin->second == price;
        if (!sameAsBuiltin)
            user.set(toStd(name), price);
    }
    auto written = prism::writeFileAtomic(toStd(path), user.toJsonText());
    if (!written)
        return fail(tr("Prices not saved: %1").arg(toQ(written.error().message)));
    m_banner->clear();
    reloadPrices();
    m_pricesInfo->setText(tr("Saved to %1. New runs and evaluations use these prices.").arg(path));
    return true;
}
