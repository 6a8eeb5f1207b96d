#include "WalWriteGathering.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace WalWriteGathering {
namespace {

constexpr int kFrameHeaderBytes = 24; // SQLite's WAL frame header
// The unix VFS takes fewer than 128 KiB per write call (it masks the length with 0x1ffff), so
// what is gathered goes out in pieces of at most this much; a commit of up to 29 pages is one.
constexpr int kMaxPiece = 120 * 1024;
constexpr std::size_t kMaxGathered = 4 << 20; // a huge transaction goes out every 4 MiB
constexpr const char *kName = "hookline-wal-gather";

std::atomic<bool> g_failNextFlush{false};

struct Gathered
{
    std::vector<char> bytes;
    sqlite3_int64 start = 0;  // file offset of bytes[0]
    bool expectPage = false;  // the last piece was a frame header; its page comes next
    bool commitFrame = false; // ... and that frame ends a transaction
};

// Our sqlite3_file: SQLite allocates vfs.szOsFile bytes, which hold this and the real file.
struct File
{
    sqlite3_file base; // first: SQLite sees a sqlite3_file
    sqlite3_file *real;
    Gathered *gathered; // WAL files only; null otherwise
    alignas(Gathered) unsigned char storage[sizeof(Gathered)];
};
constexpr int kRealOffset = int((sizeof(File) + 7) & ~std::size_t(7));

sqlite3_vfs g_vfs{};
sqlite3_io_methods g_methods{};

File *self(sqlite3_file *f)
{
    return reinterpret_cast<File *>(f);
}
sqlite3_file *real(sqlite3_file *f)
{
    return self(f)->real;
}
sqlite3_vfs *realVfs()
{
    return static_cast<sqlite3_vfs *>(g_vfs.pAppData);
}

int flush(File *f)
{
    Gathered *g = f->gathered;
    if (!g || g->bytes.empty())
        return SQLITE_OK;
    int rc = SQLITE_OK;
    if (g_failNextFlush.exchange(false))
        rc = SQLITE_IOERR_WRITE;
    for (std::size_t done = 0; rc == SQLITE_OK && done < g->bytes.size(); done += kMaxPiece) {
        const int n = int(std::min<std::size_t>(kMaxPiece, g->bytes.size() - done));
        rc = f->real->pMethods->xWrite(f->real, g->bytes.data() + done, n,
                                       g->start + sqlite3_int64(done));
        counters().flushes.fetch_add(1, std::memory_order_relaxed);
    }
    g->bytes.clear();
    g->expectPage = false;
    g->commitFrame = false;
    return rc;
}

void append(Gathered *g, const void *data, int n, sqlite3_int64 offset)
{
    if (g->bytes.empty())
        g->start = offset;
    const char *p = static_cast<const char *>(data);
    g->bytes.insert(g->bytes.end(), p, p + n);
}

int xWrite(sqlite3_file *file, const void *data, int n, sqlite3_int64 offset)
{
    File *f = self(file);
    Gathered *g = f->gathered;
    if (g) {
        const bool next = g->bytes.empty() || offset == g->start + sqlite3_int64(g->bytes.size());
        if (next && !g->expectPage && n == kFrameHeaderBytes) {
            // Bytes 4-7 of a frame header: the database size after a commit, 0 otherwise.
            const auto *h = static_cast<const unsigned char *>(data);
            append(g, data, n, offset);
            g->expectPage = true;
            g->commitFrame = (h[4] | h[5] | h[6] | h[7]) != 0;
            return SQLITE_OK;
        }
        if (next && g->expectPage && !g->bytes.empty()) {
            append(g, data, n, offset);
            g->expectPage = false;
            counters().frames.fetch_add(1, std::memory_order_relaxed);
            if (g->commitFrame || g->bytes.size() >= kMaxGathered)
                return flush(f); // inside the commit's own write: its error fails the commit
            return SQLITE_OK;
        }
        // Anything else (the WAL header after a restart, a rewrite, an unexpected shape):
        // what is gathered goes first, then this write as it came.
        if (const int rc = flush(f); rc != SQLITE_OK)
            return rc;
    }
    return f->real->pMethods->xWrite(f->real, data, n, offset);
}

int xClose(sqlite3_file *file)
{
    File *f = self(file);
    const int flushed = flush(f);
    const int rc = f->real->pMethods->xClose(f->real);
    if (f->gathered)
        f->gathered->~Gathered();
    f->gathered = nullptr;
    return flushed != SQLITE_OK ? flushed : rc;
}

// Every other file method writes out what is gathered first (where that can matter), then
// asks the real file.
template<typename Method, typename... Args>
int flushThen(sqlite3_file *file, Method sqlite3_io_methods::*method, Args... args)
{
    if (const int rc = flush(self(file)); rc != SQLITE_OK)
        return rc;
    return (real(file)->pMethods->*method)(real(file), args...);
}
int xRead(sqlite3_file *file, void *data, int n, sqlite3_int64 offset)
{
    return flushThen(file, &sqlite3_io_methods::xRead, data, n, offset);
}
int xTruncate(sqlite3_file *file, sqlite3_int64 size)
{
    return flushThen(file, &sqlite3_io_methods::xTruncate, size);
}
int xSync(sqlite3_file *file, int flags)
{
    return flushThen(file, &sqlite3_io_methods::xSync, flags);
}
int xFileSize(sqlite3_file *file, sqlite3_int64 *size)
{
    return flushThen(file, &sqlite3_io_methods::xFileSize, size);
}
int xLock(sqlite3_file *file, int level)
{
    return flushThen(file, &sqlite3_io_methods::xLock, level);
}
int xUnlock(sqlite3_file *file, int level)
{
    return flushThen(file, &sqlite3_io_methods::xUnlock, level);
}
int xCheckReservedLock(sqlite3_file *file, int *out)
{
    return real(file)->pMethods->xCheckReservedLock(real(file), out);
}
int xFileControl(sqlite3_file *file, int op, void *arg)
{
    return flushThen(file, &sqlite3_io_methods::xFileControl, op, arg);
}
int xSectorSize(sqlite3_file *file)
{
    return real(file)->pMethods->xSectorSize(real(file));
}
int xDeviceCharacteristics(sqlite3_file *file)
{
    return real(file)->pMethods->xDeviceCharacteristics(real(file));
}
// Shared memory (the WAL index) and memory mapping belong to the database file, which is
// never gathered: straight through. install() refuses a real VFS older than version 3.
int xShmMap(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
    return real(file)->pMethods->xShmMap(real(file), page, size, extend, out);
}
int xShmLock(sqlite3_file *file, int offset, int n, int flags)
{
    return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}
void xShmBarrier(sqlite3_file *file)
{
    real(file)->pMethods->xShmBarrier(real(file));
}
int xShmUnmap(sqlite3_file *file, int deleteFlag)
{
    return real(file)->pMethods->xShmUnmap(real(file), deleteFlag);
}
int xFetch(sqlite3_file *file, sqlite3_int64 offset, int n, void **out)
{
    return flushThen(file, &sqlite3_io_methods::xFetch, offset, n, out);
}
int xUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *p)
{
    return real(file)->pMethods->xUnfetch(real(file), offset, p);
}

int xOpen(sqlite3_vfs *, const char *name, sqlite3_file *file, int flags, int *outFlags)
{
    File *f = self(file);
    f->base.pMethods = nullptr;
    f->real = reinterpret_cast<sqlite3_file *>(reinterpret_cast<char *>(f) + kRealOffset);
    f->gathered = (flags & SQLITE_OPEN_WAL) ? new (f->storage) Gathered : nullptr;
    const int rc = realVfs()->xOpen(realVfs(), name, f->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        // A real file that set its methods wants closing even though it failed to open.
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        if (f->gathered)
            f->gathered->~Gathered();
        f->gathered = nullptr;
        return rc;
    }
    f->base.pMethods = &g_methods;
    return SQLITE_OK;
}

} // namespace

Counters &counters()
{
    static Counters c;
    return c;
}

void failNextFlushForTest()
{
    g_failNextFlush = true;
}

bool install(QString *error)
{
    static std::once_flag once;
    static int result = SQLITE_OK;
    static QString problem;
    std::call_once(once, [] {
        sqlite3_vfs *base = sqlite3_vfs_find(nullptr);
        if (!base || base->iVersion < 3) {
            problem = QStringLiteral("SQLite's default VFS is missing or older than version 3");
            result = SQLITE_ERROR;
            return;
        }
        g_methods.iVersion = 3;
        g_methods.xClose = xClose;
        g_methods.xRead = xRead;
        g_methods.xWrite = xWrite;
        g_methods.xTruncate = xTruncate;
        g_methods.xSync = xSync;
        g_methods.xFileSize = xFileSize;
        g_methods.xLock = xLock;
        g_methods.xUnlock = xUnlock;
        g_methods.xCheckReservedLock = xCheckReservedLock;
        g_methods.xFileControl = xFileControl;
        g_methods.xSectorSize = xSectorSize;
        g_methods.xDeviceCharacteristics = xDeviceCharacteristics;
        g_methods.xShmMap = xShmMap;
        g_methods.xShmLock = xShmLock;
        g_methods.xShmBarrier = xShmBarrier;
        g_methods.xShmUnmap = xShmUnmap;
        g_methods.xFetch = xFetch;
        g_methods.xUnfetch = xUnfetch;

        // Everything but opening files is the real VFS's own business.
        g_vfs = *base;
        g_vfs.pNext = nullptr;
        g_vfs.zName = kName;
        g_vfs.pAppData = base;
        g_vfs.szOsFile = kRealOffset + base->szOsFile;
        g_vfs.xOpen = xOpen;
        g_vfs.xDelete = [](sqlite3_vfs *, const char *name, int syncDir) {
            return realVfs()->xDelete(realVfs(), name, syncDir);
        };
        g_vfs.xAccess = [](sqlite3_vfs *, const char *name, int flags, int *out) {
            return realVfs()->xAccess(realVfs(), name, flags, out);
        };
        g_vfs.xFullPathname = [](sqlite3_vfs *, const char *name, int n, char *out) {
            return realVfs()->xFullPathname(realVfs(), name, n, out);
        };
        g_vfs.xDlOpen = [](sqlite3_vfs *, const char *name) {
            return realVfs()->xDlOpen(realVfs(), name);
        };
        g_vfs.xDlError = [](sqlite3_vfs *, int n, char *out) {
            realVfs()->xDlError(realVfs(), n, out);
        };
        g_vfs.xDlSym = [](sqlite3_vfs *, void *handle, const char *symbol) {
            return realVfs()->xDlSym(realVfs(), handle, symbol);
        };
        g_vfs.xDlClose = [](sqlite3_vfs *, void *handle) {
            realVfs()->xDlClose(realVfs(), handle);
        };
        g_vfs.xRandomness = [](sqlite3_vfs *, int n, char *out) {
            return realVfs()->xRandomness(realVfs(), n, out);
        };
        g_vfs.xSleep = [](sqlite3_vfs *, int us) {
            return realVfs()->xSleep(realVfs(), us);
        };
        g_vfs.xCurrentTime = [](sqlite3_vfs *, double *out) {
            return realVfs()->xCurrentTime(realVfs(), out);
        };
        g_vfs.xGetLastError = [](sqlite3_vfs *, int n, char *out) {
            return realVfs()->xGetLastError(realVfs(), n, out);
        };
        g_vfs.xCurrentTimeInt64 = [](sqlite3_vfs *, sqlite3_int64 *out) {
            return realVfs()->xCurrentTimeInt64(realVfs(), out);
        };
        g_vfs.xSetSystemCall = [](sqlite3_vfs *, const char *name, sqlite3_syscall_ptr p) {
            return realVfs()->xSetSystemCall(realVfs(), name, p);
        };
        g_vfs.xGetSystemCall = [](sqlite3_vfs *, const char *name) {
            return realVfs()->xGetSystemCall(realVfs(), name);
        };
        g_vfs.xNextSystemCall = [](sqlite3_vfs *, const char *name) {
            return realVfs()->xNextSystemCall(realVfs(), name);
        };
        result = sqlite3_vfs_register(&g_vfs, 1);
        if (result != SQLITE_OK)
            problem = QString::fromUtf8(sqlite3_errstr(result));
    });
    if (result != SQLITE_OK && error)
        *error = problem;
    return result == SQLITE_OK;
}

} // namespace WalWriteGathering
