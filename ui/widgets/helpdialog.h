#pragma once

// The Help menu's pages, shown in the studio (no browser, no network):
// Getting Started and Simulated Models from the resources, and the keyboard
// shortcuts read from the window's own actions, so the list cannot go stale.
#include <QDialog>

class QTextBrowser;

class HelpDialog final : public QDialog {
    Q_OBJECT

public:
    enum class Topic { GettingStarted, SimulatedModels, Shortcuts };

    // shortcutsOf: the window whose actions (and their shortcuts) are listed.
    HelpDialog(Topic topic, QWidget *shortcutsOf, QWidget *parent = nullptr);

    QTextBrowser *browser() const { return m_browser; }

    // Every action of the window that has a shortcut: "Save\tCtrl+S" rows, as HTML.
    static QString shortcutsHtml(const QWidget *window);

private:
    QTextBrowser *m_browser = nullptr;
};
