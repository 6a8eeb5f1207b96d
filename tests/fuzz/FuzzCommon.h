// SPDX-License-Identifier: GPL-3.0-or-later
// Shared by the harnesses: Qt's warnings about QString::arg() (user text taken for a %N
// placeholder, a placeholder left unfilled) stop the run like a crash, so that the fuzzer
// reports the input instead of printing a line nobody reads.
#pragma once

#include <cstdlib>

#include <QString>
#include <QtGlobal>

namespace FuzzCommon {

inline void handler(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    if (type != QtDebugMsg && message.contains(QLatin1String("QString::arg")))
        std::abort();
}

inline const bool installed = [] {
    qInstallMessageHandler(handler);
    return true;
}();

} // namespace FuzzCommon
