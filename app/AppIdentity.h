// SPDX-License-Identifier: GPL-3.0-or-later
// Names that QSettings and QStandardPaths derive paths from; the GUI and the CLI must agree,
// or they would look for the store in different places.
#pragma once

#include "HooklineVersion.h"

#include <QCoreApplication>

inline void setAppIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Hookline"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("hookline.io"));
    QCoreApplication::setApplicationName(QStringLiteral("Hookline"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HOOKLINE_VERSION));
}
