#pragma once

class MainWindow;

// Adds every page that exists to the window's side bar, in the studio's
// order: Dataset, Program, Metric, Models, Run, Monitor, Compare, History,
// Export. A page's engineer adds one line here (and nothing else in the shell).
void registerPages(MainWindow *window);
