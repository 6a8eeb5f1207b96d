// SPDX-License-Identifier: GPL-3.0-or-later
// hookline redeliver ID: one more attempt of a delivery, now (--wait) or by whoever delivers.
#include "CliCommon.h"
#include "Commands.h"

#include "ShutdownSignals.h"
#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QSet>
#include <QTextStream>

namespace Cli {

int redeliverCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("DELIVERY_ID"),
                            msg("Delivery id (or a unique prefix)."));
    p.addOption({QStringLiteral("wait"), msg("Wait for the attempt and report it.")});
    QString error;
    if (!parse(p, QStringLiteral("redeliver"), args, &error))
        return usageError(error);
    if (p.positionalArguments().size() != 1)
        return usageError(msg("'redeliver' takes exactly one delivery id."));
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    const auto d = engine.findDelivery(p.positionalArguments().first(), &error);
    if (!d)
        return failure(error);
    if (!p.isSet(QStringLiteral("wait"))) {
        // Without --wait the attempt still has to happen somewhere: mark it due now, so
        // 'hookline run' or the window sends it - unless a process is sending it right now.
        if (!engine.queueRedelivery(d->id, &error))
            return failure(error);
        out() << d->id << "\n";
        err() << msg("Queued for redelivery. It is sent by 'hookline run' or the Hookline "
                     "window; add --wait to send it now.")
              << "\n";
        return 0;
    }
    QSet<QString> ids{d->id};
    int result = 1;
    QEventLoop loop;
    QObject::connect(
        &engine, &Engine::attemptFinished, &loop, [&](const Delivery &delivery, const Attempt &a) {
            if (!ids.contains(delivery.id))
                return;
            out() << attemptLine(engine.endpointName(delivery.endpointId), delivery, a) << "\n";
            result = a.errorClass == ErrorClass::None ? 0 : 1;
            loop.quit();
        });
    QObject::connect(&engine, &Engine::redeliveryRefused, &loop,
                     [&](const QString &id, const QString &why) {
                         if (!ids.contains(id))
                             return;
                         err() << "hookline: " << why << "\n";
                         result = 1;
                         loop.quit();
                     });
    ShutdownSignals shutdownSignals;
    QObject::connect(&shutdownSignals, &ShutdownSignals::requested, &loop, [&] { loop.quit(); });
    if (!engine.redeliver(d->id, &error))
        return failure(error);
    loop.exec();
    return result;
}

} // namespace Cli
