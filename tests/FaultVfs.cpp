// SPDX-License-Identifier: GPL-3.0-or-later
#include "FaultVfs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace {

struct State
{
    std::mutex mutex;
    std::map<std::string, std::string> synced; // path -> contents at its last sync
    std::map<std::string, long long> syncs;    // suffix -> count (counted by name)
    std::string fullDir;                       // writes below it fail while non-empty
};

State &state()
{
    static State s;
    return s;
}

sqlite3_vfs *g_real = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

struct File
{
    sqlite3_file base;
    sqlite3_file *real;
    std::string path;
};

sqlite3_file *real(sqlite3_file *f)
{
    return reinterpret_cast<File *>(f)->real;
}

bool diskFull(sqlite3_file *f)
{
    const std::string &path = reinterpret_cast<File *>(f)->path;
    std::lock_guard<std::mutex> lock(state().mutex);
    return !state().fullDir.empty() && path.rfind(state().fullDir, 0) == 0;
}

int xClose(sqlite3_file *f)
{
    File *file = reinterpret_cast<File *>(f);
    const int rc = file->real->pMethods ? file->real->pMethods->xClose(file->real) : SQLITE_OK;
    sqlite3_free(file->real);
    file->path.~basic_string();
    return rc;
}
int xRead(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int xWrite(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    if (diskFull(f))
        return SQLITE_FULL;
    return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int xTruncate(sqlite3_file *f, sqlite3_int64 size)
{
    if (diskFull(f))
        return SQLITE_FULL;
    return real(f)->pMethods->xTruncate(real(f), size);
}
int xSync(sqlite3_file *f, int flags)
{
    const int rc = real(f)->pMethods->xSync(real(f), flags);
    if (rc != SQLITE_OK)
        return rc;
    File *file = reinterpret_cast<File *>(f);
    sqlite3_int64 size = 0;
    if (file->real->pMethods->xFileSize(file->real, &size) != SQLITE_OK)
        return rc;
    std::string image(static_cast<size_t>(size), '\0');
    if (size > 0 &&
        file->real->pMethods->xRead(file->real, image.data(), int(size), 0) != SQLITE_OK)
        return rc;
    std::lock_guard<std::mutex> lock(state().mutex);
    state().synced[file->path] = std::move(image);
    for (const char *suffix : {"-wal", "-journal", ".sqlite"}) {
        const size_t n = std::strlen(suffix);
        if (file->path.size() >= n && file->path.compare(file->path.size() - n, n, suffix) == 0)
            ++state().syncs[suffix];
    }
    return rc;
}
int xFileSize(sqlite3_file *f, sqlite3_int64 *size)
{
    return real(f)->pMethods->xFileSize(real(f), size);
}
int xLock(sqlite3_file *f, int l)
{
    return real(f)->pMethods->xLock(real(f), l);
}
int xUnlock(sqlite3_file *f, int l)
{
    return real(f)->pMethods->xUnlock(real(f), l);
}
int xCheckReservedLock(sqlite3_file *f, int *out)
{
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int xFileControl(sqlite3_file *f, int op, void *arg)
{
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int xSectorSize(sqlite3_file *f)
{
    return real(f)->pMethods->xSectorSize(real(f));
}
int xDeviceCharacteristics(sqlite3_file *f)
{
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int xShmMap(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int xShmLock(sqlite3_file *f, int offset, int n, int flags)
{
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void xShmBarrier(sqlite3_file *f)
{
    real(f)->pMethods->xShmBarrier(real(f));
}
int xShmUnmap(sqlite3_file *f, int deleteFlag)
{
    return real(f)->pMethods->xShmUnmap(real(f), deleteFlag);
}
int xFetch(sqlite3_file *f, sqlite3_int64 off, int amount, void **out)
{
    return real(f)->pMethods->xFetch(real(f), off, amount, out);
}
int xUnfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real(f)->pMethods->xUnfetch(real(f), off, p);
}

int xOpen(sqlite3_vfs *, const char *name, sqlite3_file *f, int flags, int *outFlags)
{
    File *file = reinterpret_cast<File *>(f);
    file->base.pMethods = nullptr;
    file->real = static_cast<sqlite3_file *>(sqlite3_malloc(g_real->szOsFile));
    if (!file->real)
        return SQLITE_NOMEM;
    std::memset(file->real, 0, size_t(g_real->szOsFile));
    const int rc = g_real->xOpen(g_real, name, file->real, flags, outFlags);
    if (rc != SQLITE_OK || !file->real->pMethods) {
        if (file->real->pMethods)
            file->real->pMethods->xClose(file->real);
        sqlite3_free(file->real);
        file->real = nullptr;
        return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
    }
    new (&file->path) std::string(name ? name : "");
    file->base.pMethods = &g_methods;
    return SQLITE_OK;
}

int xDelete(sqlite3_vfs *, const char *name, int syncDir)
{
    {
        std::lock_guard<std::mutex> lock(state().mutex);
        state().synced.erase(name);
    }
    return g_real->xDelete(g_real, name, syncDir);
}

} // namespace

namespace FaultVfs {

void install()
{
    static std::once_flag once;
    std::call_once(once, [] {
        g_real = sqlite3_vfs_find(nullptr);
        g_vfs = *g_real;
        g_vfs.zName = "hookline-fault-test";
        g_vfs.szOsFile = int(sizeof(File));
        g_vfs.xOpen = xOpen;
        g_vfs.xDelete = xDelete;
        g_vfs.pNext = nullptr;
        g_methods = sqlite3_io_methods{3,
                                       xClose,
                                       xRead,
                                       xWrite,
                                       xTruncate,
                                       xSync,
                                       xFileSize,
                                       xLock,
                                       xUnlock,
                                       xCheckReservedLock,
                                       xFileControl,
                                       xSectorSize,
                                       xDeviceCharacteristics,
                                       xShmMap,
                                       xShmLock,
                                       xShmBarrier,
                                       xShmUnmap,
                                       xFetch,
                                       xUnfetch};
        sqlite3_vfs_register(&g_vfs, 1);
    });
}

void reset()
{
    std::lock_guard<std::mutex> lock(state().mutex);
    state().synced.clear();
    state().syncs.clear();
    state().fullDir.clear();
}

int writePowerCutImage(const QString &sourceDir, const QString &targetDir)
{
    const std::string prefix = QDir(sourceDir).absolutePath().toStdString() + '/';
    std::map<std::string, std::string> images;
    {
        std::lock_guard<std::mutex> lock(state().mutex);
        for (const auto &[path, contents] : state().synced) {
            if (path.rfind(prefix, 0) == 0)
                images[path.substr(prefix.size())] = contents;
        }
    }
    QDir().mkpath(targetDir);
    int written = 0;
    for (const auto &[name, contents] : images) {
        QFile out(QDir(targetDir).filePath(QString::fromStdString(name)));
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
            continue;
        out.write(contents.data(), qint64(contents.size()));
        ++written;
    }
    return written;
}

void setDiskFull(const QString &dir, bool full)
{
    std::lock_guard<std::mutex> lock(state().mutex);
    state().fullDir = full ? QDir(dir).absolutePath().toStdString() + '/' : std::string();
}

long long syncCount(const QString &suffix)
{
    std::lock_guard<std::mutex> lock(state().mutex);
    const auto it = state().syncs.find(suffix.toStdString());
    return it == state().syncs.end() ? 0 : it->second;
}

} // namespace FaultVfs
