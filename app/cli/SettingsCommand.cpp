// SPDX-License-Identifier: GPL-3.0-or-later
// hookline settings show | set KEY VALUE: the settings every process on the store shares.
//   egress          any | no-link-local | public-only   (which addresses deliveries may reach)
//   egress-allow    "HOST|CIDR ..." that the egress level does not block ("" for none)
//   payload-limit   the largest payload accepted for publishing, in bytes
//   max-in-flight   attempts under way at once over all endpoints, per delivering process
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"

#include <QTextStream>

namespace Cli {

int settingsCommand(const QString &dataDir, QStringList args)
{
    const QString action = args.isEmpty() ? QStringLiteral("show") : args.takeFirst();
    if (action != QLatin1String("show") && action != QLatin1String("set"))
        return usageError(msg("Unknown settings action “%1”: use show or set.").arg(action));
    if (action == QLatin1String("show") && !args.isEmpty())
        return usageError(msg("'settings show' takes no arguments."));
    if (action == QLatin1String("set") && args.size() != 2)
        return usageError(msg("'settings set' takes a key and a value: egress any|no-link-local|"
                              "public-only, egress-allow \"HOST|CIDR ...\", payload-limit "
                              "BYTES, or max-in-flight N."));
    Engine engine;
    QString error;
    if (!engine.open(dataDir, &error))
        return failure(error);
    if (action == QLatin1String("set")) {
        const QString key = args.at(0);
        const QString value = args.at(1);
        EgressPolicy policy = engine.egressPolicy();
        bool ok = true;
        if (key == QLatin1String("egress")) {
            if (!EgressPolicy::levelFromName(value, &policy.level))
                return usageError(msg("“%1” is not an egress level: use any, no-link-local or "
                                      "public-only.")
                                      .arg(value));
            ok = engine.setEgressPolicy(policy, &error);
        } else if (key == QLatin1String("egress-allow")) {
            policy.allowHosts.clear();
            policy.allowed.clear();
            for (const QString &entry : value.split(u' ', Qt::SkipEmptyParts)) {
                if (!policy.addAllowed(entry))
                    return usageError(msg("“%1” is neither a host name nor an address or CIDR "
                                          "range (such as 10.0.0.0/8).")
                                          .arg(entry));
            }
            ok = engine.setEgressPolicy(policy, &error);
        } else if (key == QLatin1String("payload-limit")) {
            qint64 bytes = 0;
            bool number = false;
            bytes = value.toLongLong(&number);
            if (!number || bytes < 1024 || bytes > 64LL * 1024 * 1024)
                return usageError(msg("payload-limit must be a number of bytes from 1024 to "
                                      "67108864 (64 MiB), not “%1”.")
                                      .arg(value));
            ok = engine.setMaxPayloadBytes(bytes, &error);
        } else if (key == QLatin1String("max-in-flight")) {
            int n = 0;
            if (!toInt(value, 1, Engine::kMaxGlobalInFlight, &n))
                return usageError(msg("max-in-flight must be a number from 1 to %1, not “%2”.")
                                      .arg(QString::number(Engine::kMaxGlobalInFlight), value));
            ok = engine.setMaxInFlight(n, &error);
        } else {
            return usageError(msg("Unknown setting “%1”: use egress, egress-allow, payload-limit "
                                  "or max-in-flight.")
                                  .arg(key));
        }
        if (!ok)
            return failure(error);
    }
    const EgressPolicy policy = engine.egressPolicy();
    out() << "egress " << EgressPolicy::levelName(policy.level) << "\n"
          << "egress-allow " << policy.allowEntries().join(u' ') << "\n"
          << "payload-limit " << engine.maxPayloadBytes() << "\n"
          << "max-in-flight " << engine.maxInFlight() << "\n";
    return 0;
}

} // namespace Cli
