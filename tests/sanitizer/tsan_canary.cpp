// Checks what the committed ThreadSanitizer suppressions may and may not hide
// (scripts/sanitizers/tsan.supp).
//
// Debian's Qt is not built with TSan, so the suppressions tell TSan to ignore
// the memory touched by malloc, free and memcpy calls made from inside Qt's
// libraries: Qt's own hand-overs between its threads are synchronised by
// futexes TSan cannot see. Two programs pin down the limits of that:
//   tsan_canary race      Prism-style code on a QThread writes a value the
//                         main thread writes too, with no synchronisation:
//                         TSan must report it. QThread::create runs its body
//                         inside std::call_once, the path that a broader
//                         setting (ignore_noninstrumented_modules=1) hid.
//   tsan_canary handover  the same value handed over correctly (QThread's
//                         finished signal, then wait()): no report.
#include <QCoreApplication>
#include <QThread>

#include <cstdio>
#include <cstring>

namespace {

int g_shared = 0; // the value both threads write

__attribute__((noinline)) void writeFromWorker(int value)
{
    g_shared = value;
}
__attribute__((noinline)) void writeFromMain(int value)
{
    g_shared = value + 1;
} // not foldable into the other

int race(QCoreApplication &app)
{
    QThread *worker = QThread::create([] { writeFromWorker(1); });
    worker->start();
    writeFromMain(2); // no happens-before with the worker's write
    worker->wait();
    delete worker;
    Q_UNUSED(app);
    return 0;
}

int handover(QCoreApplication &app)
{
    QThread *worker = QThread::create([] { writeFromWorker(42); });
    QObject::connect(worker, &QThread::finished, &app, [&app, worker] {
        worker->wait();
        std::printf("handed over: %d\n", g_shared);
        writeFromMain(0);
        app.quit();
    });
    worker->start();
    const int rc = app.exec();
    delete worker;
    return rc;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const char *mode = argc > 1 ? argv[1] : "";
    if (std::strcmp(mode, "race") == 0)
        return race(app);
    if (std::strcmp(mode, "handover") == 0)
        return handover(app);
    std::fprintf(stderr, "usage: tsan_canary race|handover\n");
    return 2;
}
