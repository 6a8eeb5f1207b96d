// SPDX-License-Identifier: GPL-3.0-or-later
// A SQLite VFS for tests only: it forwards everything to the platform's default VFS, and
// - remembers, for every file, its contents as of the last successful sync, so that a test
//   can write out "what the disk holds after a power cut now" (nothing that was not synced);
// - can make writes fail as a full disk does (SQLITE_FULL), and recover.
// Registered as the process's default VFS, so the Store's connections (opened through QtSql)
// use it without knowing. It is never linked into the product.
#pragma once

#include <QString>

namespace FaultVfs {

// Installs the VFS as the default one (idempotent).
void install();
// Forgets the synced images (call before opening a fresh database).
void reset();
// Writes the synced image of every file below `sourceDir` into `targetDir` under the same
// names: the database as it would be found after a power cut at this moment. Files never
// synced do not appear. Returns how many files it wrote.
int writePowerCutImage(const QString &sourceDir, const QString &targetDir);
// While on, every write and truncate to a file below `dir` fails with SQLITE_FULL.
void setDiskFull(const QString &dir, bool full);
// How many syncs of files whose name ends in `suffix` (e.g. "-wal") have completed.
long long syncCount(const QString &suffix);

} // namespace FaultVfs
