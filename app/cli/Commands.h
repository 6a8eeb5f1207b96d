// SPDX-License-Identifier: GPL-3.0-or-later
// One function per command of the command line, each in its own file (app/cli/<Name>Command.cpp).
// `dataDir` is where the store is: a database URL (--database, HOOKLINE_DATABASE) or the
// --data-dir (empty: the user's data directory); `args` follow the command's name.
#pragma once

#include <QString>
#include <QStringList>

namespace Cli {

int endpointsCommand(const QString &dataDir, QStringList args);
int fireCommand(const QString &dataDir, const QStringList &args);
int scenarioCommand(const QString &dataDir, const QStringList &args);
int historyCommand(const QString &dataDir, const QStringList &args);
int redeliverCommand(const QString &dataDir, const QStringList &args);
int recoverCommand(const QString &dataDir, const QStringList &args);
int statsCommand(const QString &dataDir, const QStringList &args);
int runCommand(const QString &dataDir, const QStringList &args);
int receiveCommand(const QStringList &args);
int serveCommand(const QString &dataDir, const QStringList &args);
int tokensCommand(const QString &dataDir, QStringList args);
int settingsCommand(const QString &dataDir, QStringList args);
int storeCommand(const QString &dataDir, QStringList args);

} // namespace Cli
