#include "widgets/filedialogs.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

namespace {
const char *const kLastExportFolder = "export/lastFolder";
}

QString exportFolder(const QString &studyPath)
{
    const QString last = QSettings().value(QLatin1String(kLastExportFolder)).toString();
    if (!last.isEmpty() && QFileInfo(last).isDir())
        return last;
    if (!studyPath.isEmpty()) {
        const QString studyFolder = QFileInfo(studyPath).absolutePath();
        if (QFileInfo(studyFolder).isDir())
            return studyFolder;
    }
    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return !documents.isEmpty() && QFileInfo(documents).isDir() ? documents : QDir::homePath();
}

void rememberExportFolder(const QString &writtenFilePath)
{
    QSettings().setValue(QLatin1String(kLastExportFolder), QFileInfo(writtenFilePath).absolutePath());
}
