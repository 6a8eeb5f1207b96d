// SPDX-License-Identifier: GPL-3.0-or-later
// hookline fire TYPE: test events from the type's template (or a template file), stored for
// whichever process delivers, or sent and reported with --wait.
#include "CliCommon.h"
#include "Commands.h"

#include "catalog/TemplateRenderer.h"
#include "encoding/JsonText.h"
#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>

namespace Cli {

int fireCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("TYPE"), msg("Event type."));
    p.addOption({QStringLiteral("endpoint"), msg("Only this endpoint."), QStringLiteral("ID")});
    p.addOption({QStringLiteral("payload"),
                 msg("JSON (template) file instead of the type's template."),
                 QStringLiteral("FILE")});
    p.addOption({QStringLiteral("count"), msg("How many events."), QStringLiteral("N"),
                 QStringLiteral("1")});
    p.addOption({QStringLiteral("wait"), msg("Wait for the first attempts and report them.")});
    QString error;
    if (!parse(p, QStringLiteral("fire"), args, &error))
        return usageError(error);
    if (p.positionalArguments().size() != 1)
        return usageError(
            msg("'fire' takes exactly one event type, e.g. hookline fire call.ringing."));
    int count = 1;
    if (!toInt(p.value(QStringLiteral("count")), 1, 100000, &count))
        return usageError(msg("--count must be a number from 1 to 100000."));
    const QString type = p.positionalArguments().first();

    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    // Without --wait, 'hookline run' or the window sends them: stored due, claimed by no one.
    engine.setSending(p.isSet(QStringLiteral("wait")));
    const EventCatalog &catalog = engine.catalog();
    if (!catalog.find(type))
        return invalidInput(
            msg("Unknown event type “%1”. Known types: %2.").arg(type, catalog.ids().join(u", ")));
    QString templateText;
    if (p.isSet(QStringLiteral("payload"))) {
        QFile f(p.value(QStringLiteral("payload")));
        // A regular file of bounded size: /dev/zero would be read until memory runs out and a
        // FIFO would wait for a writer forever.
        const QFileInfo info(f.fileName());
        if (info.exists() && !info.isFile())
            return invalidInput(msg("%1 is not a regular file (a device, FIFO or folder). Give "
                                    "--payload a file holding the template.")
                                    .arg(f.fileName()));
        if (info.size() > engine.maxPayloadBytes())
            return invalidInput(msg("%1 is %2 bytes; the payload limit is %3 bytes (hookline "
                                    "settings set payload-limit BYTES).")
                                    .arg(f.fileName(), QString::number(info.size()),
                                         QString::number(engine.maxPayloadBytes())));
        if (!f.open(QIODevice::ReadOnly))
            return usageError(msg("Cannot read %1: %2").arg(f.fileName(), f.errorString()));
        const QByteArray bytes = f.read(engine.maxPayloadBytes() + 1);
        const qsizetype bad = JsonText::firstInvalidUtf8(bytes);
        if (bad >= 0)
            return invalidInput(
                msg("%1 is not UTF-8 text: the byte at offset %2 (0x%3) is not "
                    "valid UTF-8. Save the file as UTF-8.")
                    .arg(f.fileName(), QString::number(bad),
                         QStringLiteral("%1").arg(uchar(bytes.at(bad)), 2, 16, QLatin1Char('0'))));
        templateText = QString::fromUtf8(bytes);
        const RenderResult check = TemplateRenderer::check(templateText);
        if (!check.ok())
            return invalidInput(QStringLiteral("%1: %2").arg(f.fileName(), check.error));
    }
    QString endpointId;
    if (!endpointOption(engine, p, &endpointId, &error))
        return usageError(error);
    QStringList ids;
    for (int i = 0; i < count; ++i) {
        const QStringList more = engine.sendTest(type, endpointId, &error, templateText);
        if (more.isEmpty())
            return failure(error);
        ids << more;
    }
    return finishDispatch(engine, ids, p.isSet(QStringLiteral("wait")));
}

} // namespace Cli
