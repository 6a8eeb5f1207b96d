// SPDX-License-Identifier: GPL-3.0-or-later
// Ids of events and deliveries: UUIDs whose first 48 bits are the creation time in Unix
// milliseconds (UUID version 7, RFC 9562), the rest random. They sort by creation time, so
// the store's indexes on them grow at their right edge: each commit touches a few pages
// instead of one random page per index per row, which is most of the writer's disk work.
// 74 random bits keep ids from the window and the command line apart.
#pragma once

#include <QString>

namespace Ids {

// A new time-ordered id, "018f3c5e-7b2a-7c41-9a3e-5f1d2c3b4a59" (lower-case, no braces).
QString newTimeOrdered();
// The same, for a given time (tests).
QString newTimeOrdered(qint64 unixMillis);

} // namespace Ids
