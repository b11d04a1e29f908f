#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

// A visible strip above a page's content with an error message (the
// engine's text: file, line and what was wrong) and a close button.
// Hidden while there is nothing to say. A message may offer one action (a
// button beside the text, e.g. "Show first"); clicking it emits actionTriggered.
class ErrorBanner final : public QFrame {
    Q_OBJECT

public:
    enum class Kind { Error, Info, Warning };

    explicit ErrorBanner(QWidget *parent = nullptr);

    void showMessage(const QString &message, Kind kind = Kind::Error, const QString &actionText = {});
    void clear();
    QString message() const;
    Kind kind() const { return m_kind; }
    // The action button (hidden when the message offers none).
    QPushButton *actionButton() const { return m_action; }

signals:
    void actionTriggered();

private:
    QLabel *m_icon = nullptr;
    QLabel *m_text = nullptr;
    QPushButton *m_action = nullptr;
    Kind m_kind = Kind::Error;
};
