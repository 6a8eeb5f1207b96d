// SPDX-License-Identifier: GPL-3.0-or-later
// Entry point. Decides between the GUI and headless work before any QGuiApplication exists,
// so that --version, --help and the command-line subcommands run without a display, and so
// that a missing display gives a sentence to act on instead of a platform-plugin abort.
#include "AppIdentity.h"
#include "Cli.h"
#include "MainWindow.h"
#include "engine/Engine.h"
#include "i18n/Language.h"
#include "pages/SettingsPage.h"
#include "settings/AppSettings.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLocale>
#include <QMessageBox>
#include <QProcess>
#include <QTextStream>

#include <cstdio>
#include <cstring>

namespace {

bool hasFlag(int argc, char **argv, std::initializer_list<const char *> names)
{
    for (int i = 1; i < argc; ++i) {
        for (const char *n : names) {
            if (!std::strcmp(argv[i], n))
                return true;
        }
    }
    return false;
}

// On X11/Wayland desktops one of these is set; under ssh, CI or a bare console none is, and
// Qt would abort with a platform-plugin error that does not say what to do.
bool displayMissing()
{
#if defined(Q_OS_LINUX) || defined(Q_OS_FREEBSD)
    return qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
           qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
#else
    return false;
#endif
}

// Starts Hookline again when it goes out of scope, if asked to: declared before the Engine,
// it runs after the engine has shut down (its writer flushed, its deliveries stopped), so the
// new process never works beside the old one. Without --lang, so the new setting applies.
// After Settings → Storage changed the store, without --database and --data-dir as well.
struct RelaunchOnExit
{
    bool wanted = false;
    bool storeChanged = false;
    ~RelaunchOnExit()
    {
        if (!wanted)
            return;
        QStringList args = QCoreApplication::arguments();
        args.removeFirst();
        QStringList dropped{QStringLiteral("--lang")};
        if (storeChanged)
            dropped << QStringLiteral("--database") << QStringLiteral("--data-dir");
        for (qsizetype i = 0; i < args.size();) {
            const QString a = args.at(i);
            const QString name = a.section(u'=', 0, 0);
            if (dropped.contains(a) && i + 1 < args.size())
                args.remove(i, 2);
            else if (a.contains(u'=') && dropped.contains(name))
                args.remove(i);
            else
                ++i;
        }
        if (!QProcess::startDetached(QCoreApplication::applicationFilePath(), args))
            std::fprintf(stderr, "hookline: could not start again; start it by hand.\n");
    }
};

} // namespace

int main(int argc, char *argv[])
{
    if (hasFlag(argc, argv, {"--version", "-v"})) {
        std::printf("Hookline %s\n", HOOKLINE_VERSION);
        return 0;
    }
    if (Cli::isCommand(argc, argv))
        return Cli::run(argc, argv);
    if (hasFlag(argc, argv, {"--help", "-h", "--help-all"})) {
        QCoreApplication app(argc, argv);
        QTextStream(stdout) << Cli::usage();
        return 0;
    }

    if (displayMissing()) {
        std::fprintf(stderr,
                     "hookline: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
                     "  To open the window on a machine without a screen, run it under a virtual "
                     "display:\n"
                     "      xvfb-run -a hookline\n"
                     "  or render off screen (nothing visible, useful for checks):\n"
                     "      QT_QPA_PLATFORM=offscreen hookline\n"
                     "  The command line works without a display: 'hookline --help' lists it.\n");
        return 1;
    }

    QApplication app(argc, argv);
    setAppIdentity();
    QApplication::setDesktopFileName(QStringLiteral(HOOKLINE_APP_ID));
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("data-dir"), QStringLiteral("Where the database lives."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("database"),
                      QStringLiteral("The store: sqlite:PATH or postgresql://USER@HOST:PORT/DB."),
                      QStringLiteral("URL")});
    parser.addOption({QStringLiteral("lang"), QStringLiteral("Interface language (en, fr, ar)."),
                      QStringLiteral("CODE")});
    parser.addOption(
        {QStringLiteral("page"), QStringLiteral("Open on this page."), QStringLiteral("PAGE")});
    if (!parser.parse(QApplication::arguments())) {
        std::fprintf(stderr, "hookline: %s\n\n%s", qPrintable(parser.errorText()),
                     qPrintable(Cli::usage()));
        return 2;
    }

    AppSettings settings;
    // The language first: the event catalog and every window take their words from it.
    const QString lang = parser.value(QStringLiteral("lang"));
    if (!lang.isEmpty() && !Language::isAvailable(lang)) {
        std::fprintf(stderr, "hookline: no translation for language '%s' (available: %s)\n",
                     qPrintable(lang), qPrintable(Language::available().join(u", ")));
        return 2;
    }
    Language::install(Language::resolve(lang.isEmpty() ? settings.language() : lang,
                                        QLocale::system().uiLanguages()));

    // The store: --database, --data-dir, HOOKLINE_DATABASE, Settings → Storage, else the
    // SQLite file in the user's data directory.
    QString store = parser.value(QStringLiteral("data-dir"));
    QString storeSource = QStringLiteral("--database");
    if (parser.isSet(QStringLiteral("database"))) {
        if (!store.isEmpty()) {
            std::fprintf(stderr, "hookline: give --database or --data-dir, not both\n");
            return 2;
        }
        store = parser.value(QStringLiteral("database"));
    } else if (store.isEmpty() && qEnvironmentVariableIsSet("HOOKLINE_DATABASE")) {
        store = qEnvironmentVariable("HOOKLINE_DATABASE");
        storeSource = QStringLiteral("HOOKLINE_DATABASE");
    } else if (store.isEmpty() && !settings.databaseUrl().isEmpty()) {
        store = settings.databaseUrl();
        storeSource = QStringLiteral("Settings → Storage");
    } else {
        storeSource.clear();
    }
    if (!storeSource.isEmpty()) {
        if (const QString problem = Engine::databaseUrlProblem(store); !problem.isEmpty()) {
            std::fprintf(stderr, "hookline: %s: %s\n", qPrintable(storeSource),
                         qPrintable(problem));
            return 2;
        }
    }
    const QString databaseAtStart = settings.databaseUrl();

    RelaunchOnExit relaunch;
    Engine engine;
    QString error;
    if (!engine.open(store, &error)) {
        std::fprintf(stderr, "hookline: %s\n", qPrintable(error));
        QMessageBox::critical(nullptr, QObject::tr("Hookline cannot start"), error);
        return 1;
    }
    // Retention scans the history: on the writer thread, so the window opens at once.
    RetentionPolicy retention;
    retention.maxAgeDays = settings.retentionDays();
    retention.maxDeliveries = settings.retentionMaxDeliveries();
    engine.applyRetention(retention);
    // The API, when the admin turned it on (Settings → API); the window opens either way.
    QString apiError;
    if (!SettingsPage::applyApi(&engine, settings, &apiError))
        std::fprintf(stderr, "hookline: the API is off: %s\n", qPrintable(apiError));
    engine.resume();              // due work: left unfinished, queued by 'hookline fire', retries
    engine.setPollInterval(2000); // endpoint changes made by other processes
    // The built-in receiver, on the port it had last time so local test endpoints still
    // reach it (loopback only).
    if (settings.receiverAutoStart()) {
        const quint16 port = engine.startReceiver(settings.receiverPort(), &error);
        if (port)
            settings.setReceiverPort(port);
    }
    MainWindow window(&settings, &engine);
    if (parser.isSet(QStringLiteral("page")))
        window.showPage(parser.value(QStringLiteral("page")));
    window.show();
    QObject::connect(&window, &MainWindow::restartRequested, &app, [&] {
        relaunch.wanted = true;
        relaunch.storeChanged = settings.databaseUrl() != databaseAtStart;
        window.close();
    });
    return app.exec();
}
