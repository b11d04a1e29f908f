#pragma once

// File > Connect to Server: the server's address and a team token
// (`prism serve token add`), checked with a first request before the dialog
// closes. The token is kept for this session only, never written to disk.
#include <QDialog>

#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;
class ServerSession;

class ConnectDialog final : public QDialog {
    Q_OBJECT

public:
    explicit ConnectDialog(QWidget *parent = nullptr);
    // The connected session after exec() returned Accepted.
    std::shared_ptr<ServerSession> session() const { return m_session; }

    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *tokenEdit() const { return m_token; }
    QLabel *problemLabel() const { return m_problem; }
    QPushButton *connectButton() const { return m_connect; }

private:
    void tryConnect();

    QLineEdit *m_url;
    QLineEdit *m_token;
    QLabel *m_problem;
    QPushButton *m_connect;
    std::shared_ptr<ServerSession> m_session;
};
