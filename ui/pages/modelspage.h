#pragma once

#include "core/study.h"
#include "lm/prices.h"

#include <QPointer>
#include <QThread>
#include <QWidget>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class ErrorBanner;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QHBoxLayout;
class QVBoxLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class StudyDocument;

// Models page: the task model (runs the program), the proposer model (writes
// instruction candidates), GEPA's reflection model and a judge metric's judge
// model, each by default the same as the one it follows (the proposer follows
// the task model; reflection and judge follow the proposer): provider, base URL (and replicas:
// more endpoints of the same model), model, the NAME of the
// environment variable holding the API key (shown as set / not set, never its
// value, never stored), temperature, max tokens, timeout, concurrency, rate
// limits and retries, with
// a background "Test connection". Study edits go through StudyDocument::setStudy.
//
// Below, the price table (userDataDir()/prices.json): what the ledger charges
// per million tokens. It is a user setting, not part of the study: saved
// atomically with Save Prices, and only the entries that differ from the
// built-in table are written.
class ModelsPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelsPage)

public:
    enum Role {
        Task = 0,
        Proposer = 1,
        Reflection = 2, // GEPA's reflection calls
        Judge = 3,      // a judge metric's calls
    };
    static constexpr int kRoleCount = 4;

    explicit ModelsPage(StudyDocument *document, QWidget *parent = nullptr);
    ~ModelsPage() override;

    QComboBox *providerCombo(Role role) const { return m_forms[role].provider; }
    QLineEdit *baseUrlEdit(Role role) const { return m_forms[role].baseUrl; }
    // More endpoints of the model: one base URL per line, optionally followed by its key variable.
    QPlainTextEdit *replicasEdit(Role role) const { return m_forms[role].replicas; }
    QComboBox *modelCombo(Role role) const { return m_forms[role].model; }
    QLineEdit *apiKeyEnvEdit(Role role) const { return m_forms[role].keyEnv; }
    QLabel *apiKeyStatusLabel(Role role) const { return m_forms[role].keyStatus; }
    QDoubleSpinBox *temperatureSpin(Role role) const { return m_forms[role].temperature; }
    QSpinBox *maxTokensSpin(Role role) const { return m_forms[role].maxTokens; }
    QSpinBox *maxPromptTokensSpin(Role role) const { return m_forms[role].maxPromptTokens; }
    QDoubleSpinBox *timeoutSpin(Role role) const { return m_forms[role].timeout; }
    QSpinBox *concurrencySpin(Role role) const { return m_forms[role].concurrency; }
    QSpinBox *requestsPerMinuteSpin(Role role) const { return m_forms[role].requestsPerMinute; }
    QSpinBox *tokensPerMinuteSpin(Role role) const { return m_forms[role].tokensPerMinute; }
    QSpinBox *maxRetriesSpin(Role role) const { return m_forms[role].maxRetries; }
    QDoubleSpinBox *retryWaitSpin(Role role) const { return m_forms[role].retryWait; }
    QPushButton *testConnectionButton(Role role) const { return m_forms[role].test; }
    QLabel *connectionLabel(Role role) const { return m_forms[role].result; }
    QCheckBox *sameAsTaskCheck() const { return m_forms[Proposer].same; }
    // "Same as the task model" (Proposer) or "Same as the proposer model" (Reflection, Judge).
    QCheckBox *sameAsCheck(Role role) const { return m_forms[role].same; }
    // Whether the role mirrors the model it follows (its form then shows that model's settings, read only).
    bool follows(Role role) const { return m_follows[role]; }
    QTableWidget *pricesTable() const { return m_prices; }

    // Selects a provider as the user would in the combo box (an undoable edit).
    void setProvider(Role role, const QString &provider);
    // Sends one cheap request in the background; connectionTested() reports it.
    void testConnection(Role role);
    bool isTestingConnection(Role role) const { return m_forms[role].thread != nullptr; }

    // "set" / "not set" for the variable named in the form (never its value).
    QString apiKeyStatus(Role role) const;

    // The price table's file, and saving / reloading the editor.
    QString pricesPath() const;
    bool savePrices(QString *error = nullptr);
    void reloadPrices();
    bool pricesModified() const { return m_pricesModified; }

    enum PriceColumn { PriceModelColumn, PriceInputColumn, PriceOutputColumn, PriceSourceColumn, PriceColumnCount };

signals:
    void connectionTested(int role, bool ok, const QString &message);

private:
    struct Form {
        QGroupBox *box = nullptr;
        QComboBox *provider = nullptr;
        QLineEdit *baseUrl = nullptr;
        QPlainTextEdit *replicas = nullptr;
        QComboBox *model = nullptr;
        QLineEdit *keyEnv = nullptr;
        QLabel *keyStatus = nullptr;
        QDoubleSpinBox *temperature = nullptr;
        QSpinBox *maxTokens = nullptr;
        QSpinBox *maxPromptTokens = nullptr; // 0 shows the model family's default
        QDoubleSpinBox *timeout = nullptr;
        QSpinBox *concurrency = nullptr;
        QSpinBox *requestsPerMinute = nullptr;
        QSpinBox *tokensPerMinute = nullptr;
        QSpinBox *maxRetries = nullptr;
        QDoubleSpinBox *retryWait = nullptr;
        QLabel *simNote = nullptr;    // what the simulated models are, while SimLm is chosen
        QCheckBox *same = nullptr;    // follows another role's model (not on the task model)
        QWidget *body = nullptr;      // the settings; hidden while a reflection or judge model follows
        QLabel *followNote = nullptr; // "Uses the proposer model: …" while the body is hidden
        QPushButton *test = nullptr;
        QLabel *result = nullptr;
        // The settings the shown result was tested with: a result about other
        // settings (a provider switched, an undo) is cleared, not left to mislead.
        std::optional<prism::ModelConfig> tested;
        QPointer<QThread> thread;
        std::shared_ptr<std::atomic<bool>> cancel;
    };

    // The price editor below the forms, wired to its buttons.
    QGroupBox *buildPricesBox();
    // One model's form: built from the parts below, then connected.
    QGroupBox *buildForm(Role role);
    // Provider, base URL, model and the key variable with its status.
    void addEndpointRows(Form &f, QFormLayout *form, const QString &prefix);
    // Per call: temperature, max tokens, timeout.
    void addCallRows(Form &f, QFormLayout *form, const QString &prefix);
    // Concurrency, rate limits and retries.
    void addLimitRows(Form &f, QFormLayout *form, const QString &prefix);
    QVBoxLayout *buildTestRow(Form &f, const QString &prefix);
    void connectForm(Role role);
    void syncFromStudy();
    void syncForm(Role role, const prism::ModelConfig &config);
    void updateKeyStatus(Role role);
    void updateEnabled();
    const prism::ModelConfig &config(Role role) const;
    // Applies an edit to a copy of the role's config and pushes it as one undo step.
    void followProposer(prism::Study &study) const;
    void commit(Role role, const std::function<void(prism::ModelConfig &)> &edit, const QString &undoText,
                const QString &mergeKey = {});
    void onSameAsToggled(Role role, bool on);
    // The model a role follows when its "Same as" box is checked.
    static Role leaderOf(Role role) { return role == Proposer ? Task : Proposer; }
    static prism::ModelConfig &modelOf(prism::Study &study, Role role);
    static const prism::ModelConfig &modelOf(const prism::Study &study, Role role);
    void resetFollows();

    void fillPrices(const prism::PriceTable &table);
    void onPriceEdited();
    void addPriceRow();
    void removePriceRows();

    StudyDocument *m_document;
    bool m_syncing = false;
    std::array<bool, kRoleCount> m_follows{}; // per role: mirrors leaderOf(role) (never the task model)
    std::array<Form, kRoleCount> m_forms;
    ErrorBanner *m_banner = nullptr;

    QTableWidget *m_prices = nullptr;
    QLabel *m_pricesInfo = nullptr;
    QPushButton *m_savePrices = nullptr;
    QPushButton *m_revertPrices = nullptr;
    QPushButton *m_removePrice = nullptr;
    prism::PriceTable m_builtinPrices;
    bool m_pricesModified = false;
    bool m_fillingPrices = false;
};
