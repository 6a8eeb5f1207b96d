// SPDX-License-Identifier: GPL-3.0-or-later
// hookline scenario call|agent: a call's lifecycle (or an agent's shift) in order.
#include "CliCommon.h"
#include "Commands.h"

#include "ShutdownSignals.h"
#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QTextStream>

namespace Cli {

int scenarioCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("KIND"), msg("call or agent."));
    p.addOption({QStringLiteral("endpoint"), msg("Only this endpoint."), QStringLiteral("ID")});
    p.addOption({QStringLiteral("wait"), msg("Send stage by stage and report each attempt.")});
    QString error;
    if (!parse(p, QStringLiteral("scenario"), args, &error))
        return usageError(error);
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 1 ||
        (pos.first() != QLatin1String("call") && pos.first() != QLatin1String("agent")))
        return usageError(msg("'scenario' takes 'call' (created, ringing, answered, ended) or "
                              "'agent' (login, logout)."));
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    const bool wait = p.isSet(QStringLiteral("wait"));
    engine.setSending(wait);
    QString endpointId;
    if (!endpointOption(engine, p, &endpointId, &error))
        return usageError(error);
    if (!wait) {
        const QStringList ids = engine.queueScenario(pos.first(), endpointId, &error);
        if (ids.isEmpty())
            return failure(error);
        return finishDispatch(engine, ids, false);
    }
    // Stage by stage (the engine starts a stage once the previous one's first attempts are
    // done), so a receiver sees created before ringing before answered...
    bool ok = true;
    QEventLoop loop;
    QObject::connect(&engine, &Engine::attemptFinished, &loop,
                     [&](const Delivery &d, const Attempt &a) {
                         if (a.number != 1)
                             return; // a retry: this command reports first attempts
                         out() << attemptLine(engine.endpointName(d.endpointId), d, a) << "\n";
                         out().flush();
                         ok = ok && a.errorClass == ErrorClass::None;
                     });
    QObject::connect(&engine, &Engine::deliveryFinished, &loop,
                     [&](const Delivery &d, const QString &why) {
                         if (d.attemptCount > 0)
                             return;
                         out() << QStringLiteral("%1  %2  %3  %4\n")
                                      .arg(engine.endpointName(d.endpointId),
                                           deliveryStateName(d.state), d.id, why);
                         out().flush();
                         ok = false;
                     });
    QObject::connect(&engine, &Engine::scenarioFinished, &loop, &QEventLoop::quit);
    ShutdownSignals shutdownSignals;
    QObject::connect(&shutdownSignals, &ShutdownSignals::requested, &loop, [&] {
        ok = false;
        loop.quit();
    });
    if (!engine.runScenario(pos.first(), endpointId, &error))
        return failure(error);
    loop.exec();
    return ok ? 0 : 1;
}

} // namespace Cli
