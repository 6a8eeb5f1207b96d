// SPDX-License-Identifier: GPL-3.0-or-later
// "Since when", as an admin types it: a span back from now ("90s", "30m", "2h", "7d", "1w",
// combined as "1h30m") or an ISO 8601 date or time ("2026-11-30", "2026-11-30T08:00",
// "2026-11-30T08:00:00Z"; without an offset, local time). Used by `hookline stats` and
// `hookline recover`. Nothing (nullopt) for anything else, and for a time after `now`.
#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

std::optional<QDateTime> parseSince(const QString &text, const QDateTime &now);
