// A pass-through SQLite VFS that hands each commit's WAL frames to the kernel in one write.
//
// SQLite appends a commit to the WAL as two writes per page - the 24-byte frame header, then
// the page - so a delivery engine commit touching a dozen B-trees cost two dozen pwrite()
// calls, and on a virtual machine every system call is expensive (measured here: 67 us for
// 18 frames written one by one, 11 us for the same bytes in one write). This VFS wraps the
// default one and, for WAL files only, gathers consecutive frame writes in memory and writes
// them out when the commit frame's page arrives - still inside that xWrite call, so a failed
// write (disk full, I/O error) fails the commit exactly as before, before SQLite publishes the
// commit to other connections. Anything else - a read, sync, truncate, size query, file control,
// lock, close, a write that is not the next frame of the run - first writes out what is
// gathered, then goes to the real file unchanged. Durability is unchanged too: by the time a
// COMMIT returns, its frames are in the kernel's hands as before (synchronous=NORMAL).
#pragma once

#include <QString>

#include <atomic>

namespace WalWriteGathering {

// Registers the VFS (once per process) as SQLite's default, so every connection the store
// opens uses it. Returns false with a message if SQLite refused.
bool install(QString *error);

// What it did, for tests and benchmarks: frames gathered, and writes that reached the kernel.
struct Counters
{
    std::atomic<long long> frames{0};
    std::atomic<long long> flushes{0};
};
Counters &counters();

// Test hook: the next write-out fails with SQLITE_IOERR_WRITE (as a full disk would), once.
void failNextFlushForTest();

} // namespace WalWriteGathering
