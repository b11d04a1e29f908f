#pragma once

// Small helpers shared by the GUI tests (header only).
#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

#include <functional>

namespace uitest {

// Runs handler on the next modal dialog of type T once exec() shows it, the
// way a user would answer it. Gives up after a few seconds (the test then
// fails on its own assertions instead of hanging).
template <typename T>
void onNextDialog(std::function<void(T *)> handler)
{
    auto *timer = new QTimer(qApp);
    auto *clock = new QElapsedTimer;
    clock->start();
    timer->setInterval(10);
    QObject::connect(timer, &QTimer::timeout, qApp, [timer, clock, handler] {
        if (auto *dialog = qobject_cast<T *>(QApplication::activeModalWidget())) {
            timer->stop();
            timer->deleteLater();
            delete clock;
            handler(dialog);
            return;
        }
        if (clock->elapsed() > 5000) {
            timer->stop();
            timer->deleteLater();
            delete clock;
        }
    });
    timer->start();
}

} // namespace uitest
