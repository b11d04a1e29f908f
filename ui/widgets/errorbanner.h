#pragma once

#include <QFrame>

class QLabel;

// A visible strip above a page's content with an error message (the
// engine's text: file, line and what was wrong) and a close button.
// Hidden while there is nothing to say.
class ErrorBanner final : public QFrame {
    Q_OBJECT

public:
    enum class Kind { Error, Info };

    explicit ErrorBanner(QWidget *parent = nullptr);

    void showMessage(const QString &message, Kind kind = Kind::Error);
    void clear();
    QString message() const;
    Kind kind() const { return m_kind; }

private:
    QLabel *m_icon = nullptr;
    QLabel *m_text = nullptr;
    Kind m_kind = Kind::Error;
};
