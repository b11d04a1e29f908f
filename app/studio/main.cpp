// prism-studio [STUDY] [--sample NAME]: the desktop app. Wiring only.
#include "mainwindow.h"
#include "pagesregistry.h"
#include "server/serversession.h"
#include "studiostyle.h"
#include "studydocument.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>
#include <cstring>

namespace {

struct Options {
    QCommandLineParser parser;
    QCommandLineOption sample{QStringLiteral("sample"),
                              QStringLiteral("Open a bundled sample as a new, unsaved study."), QStringLiteral("NAME")};
    QCommandLineOption server{QStringLiteral("server"),
                              QStringLiteral("Attach to a team server (its token in $PRISM_SERVER_TOKEN): runs start "
                                             "there and History shows the team's runs."),
                              QStringLiteral("URL")};

    Options()
    {
        parser.setApplicationDescription(QStringLiteral("Prism Studio: prompt optimization on your machine."));
        parser.addHelpOption();
        parser.addVersionOption();
        sample.setDescription(QStringLiteral("Open a bundled sample (%1) as a new, unsaved study.")
                                  .arg(StudyDocument::sampleNames().join(QStringLiteral(", "))));
        parser.addOption(sample);
        parser.addOption(server);
        parser.addPositionalArgument(QStringLiteral("STUDY"),
                                     QStringLiteral("A .prism.json study to open (default: the last one)."),
                                     QStringLiteral("[STUDY]"));
    }
};

bool wantsTextOnly(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i)
        for (const char *flag : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
            if (std::strcmp(argv[i], flag) == 0)
                return true;
    return false;
}

void setNames()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Prism"));
    QCoreApplication::setApplicationName(QStringLiteral("Prism Studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PRISM_VERSION));
}

} // namespace

int main(int argc, char **argv)
{
    // --help and --version print and exit without needing a display.
    if (wantsTextOnly(argc, argv)) {
        QCoreApplication app(argc, argv);
        setNames();
        Options options;
        options.parser.process(app);
        return 0;
    }

    QApplication app(argc, argv);
    setNames();
    QApplication::setDesktopFileName(QStringLiteral("prism-studio"));
    Options options;
    options.parser.process(app);
    const QStringList positional = options.parser.positionalArguments();
    if (positional.size() > 1 || (options.parser.isSet(options.sample) && !positional.isEmpty())) {
        std::fputs("prism-studio: give at most one study file, or --sample NAME\n", stderr);
        return 2;
    }

    std::shared_ptr<ServerSession> server;
    if (options.parser.isSet(options.server)) {
        auto connected =
            ServerSession::connect(options.parser.value(options.server), qEnvironmentVariable("PRISM_SERVER_TOKEN"));
        if (!connected) {
            std::fprintf(stderr, "prism-studio: %s\n", connected.error().message.c_str());
            return 3;
        }
        server = connected.value();
    }

    applyStudioStyle(&app);
    // On the heap: File > Connect to Server replaces the window with another.
    auto *window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    registerPages(window, std::move(server));
    window->show();
    if (options.parser.isSet(options.sample))
        window->openSample(options.parser.value(options.sample));
    else if (!positional.isEmpty())
        window->openStudy(positional.front());
    else
        window->openLastOrSample();
    return app.exec();
}
