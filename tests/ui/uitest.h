#pragma once

// Small helpers shared by the GUI tests (header only).
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

#include <functional>
#include <memory>

namespace uitest {

// Runs handler on the next modal dialog of type T once exec() shows it, the
// way a user would answer it. Gives up after a few seconds (the test then
// fails on its own assertions instead of hanging).
template <typename T> void onNextDialog(std::function<void(T *)> handler)
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

// SimLm behind the OpenAI-compatible sim server on 127.0.0.1, answering
// after latencyMs: a run slow enough to be watched (and cancelled) whose
// answers are SimLm's. Null when the server could not start.
inline std::unique_ptr<prism::SimServer> startSimServer(double latencyMs)
{
    prism::SimServerOptions options;
    options.latencyMs = latencyMs;
    auto server = std::make_unique<prism::SimServer>(
        [](const std::string &model) -> std::shared_ptr<prism::Lm> {
            return prism::SimLm::isKnownModel(model) ? std::make_shared<prism::SimLm>(model) : nullptr;
        },
        prism::SimLm::modelNames(), options);
    if (!server->start().ok())
        return nullptr;
    return server;
}

} // namespace uitest
