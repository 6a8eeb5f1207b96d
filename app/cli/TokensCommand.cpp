// SPDX-License-Identifier: GPL-3.0-or-later
// hookline tokens create|list|revoke: who may call the API. A token is printed once, at
// creation; the database keeps only its hash.
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace Cli {

namespace {
QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QStringLiteral("never");
}
} // namespace

int tokensCommand(const QString &dataDir, QStringList args)
{
    if (args.isEmpty())
        return usageError(msg("'tokens' needs an action: create, list or revoke."));
    const QString action = args.takeFirst();
    QCommandLineParser p;
    QString error;
    if (action == QLatin1String("create")) {
        p.addOption(
            {QStringLiteral("name"), msg("Who or what uses the token."), QStringLiteral("NAME")});
        p.addOption({QStringLiteral("read-only"), msg("May read, not change or publish.")});
        if (!parse(p, QStringLiteral("tokens create"), args, &error))
            return usageError(error);
        if (!p.positionalArguments().isEmpty())
            return usageError(
                msg("Unexpected argument “%1”.").arg(p.positionalArguments().first()));
        if (!p.isSet(QStringLiteral("name")))
            return usageError(msg("'tokens create' needs --name NAME (who or what uses it)."));
    } else if (action == QLatin1String("list")) {
        p.addOption({QStringLiteral("json"), msg("Print JSON.")});
        if (!parse(p, QStringLiteral("tokens list"), args, &error))
            return usageError(error);
    } else if (action == QLatin1String("revoke")) {
        if (!parse(p, QStringLiteral("tokens revoke"), args, &error))
            return usageError(error);
        if (p.positionalArguments().size() != 1)
            return usageError(msg("'tokens revoke' takes exactly one token id (see 'hookline "
                                  "tokens list')."));
    } else {
        return usageError(msg("Unknown tokens action “%1”.").arg(action));
    }

    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    if (action == QLatin1String("create")) {
        ApiToken t;
        const QString token = engine.createToken(p.value(QStringLiteral("name")),
                                                 p.isSet(QStringLiteral("read-only")), &t, &error);
        if (token.isEmpty())
            return error.contains(QLatin1String("name")) ? invalidInput(error) : failure(error);
        out() << token << "\n";
        out().flush();
        err() << msg("Created %1 token “%2” (id %3). It is shown only now: keep it in a secret "
                     "store. Send it as: Authorization: Bearer <token>")
                     .arg(t.readOnly ? msg("read-only") : msg("read-write"), t.name, t.id)
              << "\n";
        return 0;
    }
    if (action == QLatin1String("list")) {
        const QList<ApiToken> all = engine.tokens();
        if (p.isSet(QStringLiteral("json"))) {
            QJsonArray a;
            for (const ApiToken &t : all)
                a.append(QJsonObject{
                    {QStringLiteral("id"), t.id},
                    {QStringLiteral("name"), t.name},
                    {QStringLiteral("scope"),
                     t.readOnly ? QStringLiteral("read-only") : QStringLiteral("read-write")},
                    {QStringLiteral("created"), t.created.toUTC().toString(Qt::ISODate)},
                    {QStringLiteral("lastUsed"),
                     t.lastUsed.isValid() ? QJsonValue(t.lastUsed.toUTC().toString(Qt::ISODate))
                                          : QJsonValue()}});
            out() << QJsonDocument(a).toJson(QJsonDocument::Indented);
            return 0;
        }
        if (all.isEmpty()) {
            err() << msg("No API tokens yet. Create one with: hookline tokens create --name NAME")
                  << "\n";
            return 0;
        }
        out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                     .arg(QStringLiteral("ID").leftJustified(12),
                          QStringLiteral("SCOPE").leftJustified(10),
                          QStringLiteral("CREATED").leftJustified(20),
                          QStringLiteral("LAST USED").leftJustified(20), QStringLiteral("NAME"));
        for (const ApiToken &t : all)
            out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                         .arg(t.id.leftJustified(12),
                              (t.readOnly ? QStringLiteral("read-only")
                                          : QStringLiteral("read-write"))
                                  .leftJustified(10),
                              timeText(t.created).leftJustified(20),
                              timeText(t.lastUsed).leftJustified(20), t.name);
        return 0;
    }
    const auto t = engine.findToken(p.positionalArguments().first(), &error);
    if (!t)
        return failure(error);
    if (!engine.revokeToken(t->id, &error))
        return failure(error);
    err() << msg("Revoked token “%1” (%2): requests with it now get 401.").arg(t->name, t->id)
          << "\n";
    return 0;
}

} // namespace Cli
