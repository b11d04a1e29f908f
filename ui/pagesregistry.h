#pragma once

#include <memory>

class MainWindow;
class ServerSession;

// Adds every page that exists to the window's side bar, in the studio's
// order: Dataset, Program, Metric, Models, Run, Monitor, Compare, History,
// Export. A page's engineer adds one line here (and nothing else in the shell).
// With a server session, the run pages work on the team server's runs (its
// mirror store) and runs start there; File > Connect to Server makes such a
// window, File > Disconnect from Server a local one.
void registerPages(MainWindow *window, std::shared_ptr<ServerSession> server = nullptr);
