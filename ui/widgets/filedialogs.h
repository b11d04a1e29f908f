#pragma once

// Where the studio's save and open dialogs start: the folder the user last
// exported to, else the open study's folder, else Documents (issue 14: export
// dialogs opened in the home folder, far from the study they belong to).
#include <QString>

// The folder for a new export; studyPath may be empty (an unsaved study).
QString exportFolder(const QString &studyPath);
// Remembered for the next export, in this session and the next.
void rememberExportFolder(const QString &writtenFilePath);
