// SPDX-License-Identifier: GPL-3.0-or-later
// A connection to PostgreSQL for a DatabaseUrl (issue #19): Qt's driver with libpq's TLS mode
// and connection timeout, so a server that does not answer is an error within seconds, never
// a hang. A failure says which server (host:port), what went wrong in words and what to do -
// never the password.
#pragma once

#include "DatabaseUrl.h"

#include <QString>

namespace PgConnection {

// Adds and opens the connection `name` (QSqlDatabase::database(name) afterwards); on failure
// removes it again and says why in *error.
bool open(const DatabaseUrl &url, const QString &name, QString *error);

// The sentence for a failed connection, from the driver's text.
QString describeFailure(const DatabaseUrl &url, const QString &driverText);

} // namespace PgConnection
