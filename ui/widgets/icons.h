#pragma once

#include <QIcon>
#include <QString>

// Vector icons drawn with QPainter at whatever size and device pixel ratio
// is asked for, so they stay crisp on HiDPI screens without image files.
// Names: dataset, signature, metric, models, run, monitor, compare, history,
// export, app. An unknown name draws its first letter.
QIcon studioIcon(const QString &name);
