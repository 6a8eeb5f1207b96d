// Entry point. Decides between the GUI and headless work before any QGuiApplication exists,
// so that --version, --help and (later) the command-line subcommands run without a display,
// and so that a missing display gives a sentence to act on instead of a platform-plugin abort.
#include "HooklineVersion.h"
#include "MainWindow.h"
#include "catalog/EventCatalog.h"
#include "settings/AppSettings.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <cstring>

namespace {

void setIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Hookline"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("hookline.io"));
    QCoreApplication::setApplicationName(QStringLiteral("Hookline"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HOOKLINE_VERSION));
}

void addGuiOptions(QCommandLineParser &parser)
{
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Hookline: a desktop console for contact-center webhook integrations."));
    parser.addHelpOption();
    parser.addVersionOption();
}

bool wantsHeadless(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!std::strcmp(a, "--version") || !std::strcmp(a, "-v") || !std::strcmp(a, "--help") ||
            !std::strcmp(a, "-h") || !std::strcmp(a, "--help-all"))
            return true;
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

} // namespace

int main(int argc, char *argv[])
{
    if (wantsHeadless(argc, argv)) {
        QCoreApplication app(argc, argv);
        setIdentity();
        QCommandLineParser parser;
        addGuiOptions(parser);
        parser.process(app); // prints --version / --help and exits
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
                     "  'hookline --help' lists the options.\n");
        return 1;
    }

    QApplication app(argc, argv);
    setIdentity();
    QApplication::setDesktopFileName(QStringLiteral(HOOKLINE_APP_ID));
    QCommandLineParser parser;
    addGuiOptions(parser);
    parser.process(app);

    AppSettings settings;
    EventCatalog catalog;
    MainWindow window(&settings, catalog);
    window.show();
    return app.exec();
}
