// SPDX-License-Identifier: GPL-3.0-or-later
#include "DeliverySearch.h"

#include "DatabaseUrl.h"
#include "PgConnection.h"
#include "Store.h"

#include <QCoreApplication>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QVariant>

#include <algorithm>

namespace {

QString likePattern(const QString &text)
{
    QString escaped = text;
    escaped.replace(u'\\', QLatin1String("\\\\"));
    escaped.replace(u'%', QLatin1String("\\%"));
    escaped.replace(u'_', QLatin1String("\\_"));
    return u'%' + escaped + u'%';
}

} // namespace

DeliverySearch::DeliverySearch(const QString &databasePath, QObject *parent)
    : QObject(parent)
    , m_path(databasePath)
{
}

DeliverySearch::~DeliverySearch()
{
    cancel();
    for (QThread *t : std::as_const(m_threads)) {
        t->wait();
        delete t;
    }
}

void DeliverySearch::cancel()
{
    if (m_cancel)
        m_cancel->store(true);
}

int DeliverySearch::start(const QString &text, int limit)
{
    cancel();
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    const int id = ++m_lastId;
    auto cancelled = m_cancel;
    const QString path = m_path;
    QThread *thread = QThread::create([this, id, text, limit, cancelled, path] {
        bool truncated = false;
        QString error;
        const QList<qint64> seqs = run(path, text, limit, *cancelled, &truncated, &error);
        if (cancelled->load())
            return;
        QMetaObject::invokeMethod(
            this, [this, id, seqs, truncated, error] { emit finished(id, seqs, truncated, error); },
            Qt::QueuedConnection);
    });
    connect(thread, &QThread::finished, this, [this, thread] {
        m_threads.removeOne(thread);
        thread->deleteLater();
    });
    m_threads.append(thread);
    thread->start(QThread::LowPriority);
    return id;
}

QList<qint64> DeliverySearch::run(const QString &databasePath, const QString &text, int limit,
                                  const std::atomic<bool> &cancelled, bool *truncated,
                                  QString *error)
{
    QList<qint64> out;
    // A read-only connection of its own, so the scan streams rows on this thread and can
    // stop between them.
    const QString name =
        QStringLiteral("hookline-search-%1").arg(quintptr(QThread::currentThreadId()));
    QSet<qint64> seqs;
    const bool server = Store::isServerLocation(databasePath);
    {
        QSqlDatabase db;
        QString failure;
        bool open = false;
        if (server) {
            const std::optional<DatabaseUrl> url = DatabaseUrl::parse(databasePath, &failure);
            open = url && PgConnection::open(*url, name, &failure);
            if (open)
                db = QSqlDatabase::database(name, false);
        } else {
            db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(databasePath);
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
            open = db.open();
            if (!open)
                failure = db.lastError().text();
        }
        if (!open) {
            if (error)
                *error = failure;
        } else {
            const QString pattern = likePattern(text);
            // A body is bytes. SQLite's LIKE reads them as text (ASCII letters in either
            // case); PostgreSQL's the same on their escaped form, or the exact UTF-8 bytes
            // of the text (so words in any script are found too).
            const QString bodyMatches =
                server ? QStringLiteral("(encode(%1, 'escape') ILIKE ? ESCAPE '\\' OR "
                                        "position(convert_to(?, 'UTF8') IN %1) > 0)")
                       : QStringLiteral("CAST(%1 AS TEXT) LIKE ? ESCAPE '\\'");
            auto scan = [&](const QString &sql) {
                QSqlQuery q(db);
                q.setForwardOnly(true);
                q.prepare(sql);
                q.addBindValue(pattern);
                if (server)
                    q.addBindValue(text);
                if (!q.exec()) {
                    if (error)
                        *error = q.lastError().text();
                    return;
                }
                int n = 0;
                while (q.next()) {
                    if ((++n & 1023) == 0 && cancelled.load())
                        return;
                    seqs.insert(q.value(0).toLongLong());
                }
            };
            // A delivery by any of its ids, as pasted from a receiver's log or the command
            // line (whole, or the start of one), and the deliveries of endpoints whose name
            // has the text: all through indexes.
            const QString word = text.trimmed();
            if (!word.isEmpty() && !word.contains(u' ')) {
                const auto lookup = [&](const QString &sql, int binds) {
                    QSqlQuery q(db);
                    q.setForwardOnly(true);
                    q.prepare(sql);
                    for (int i = 0; i < binds; ++i)
                        q.addBindValue(i % 2 == 0 ? word : word + QChar(0xFFFF));
                    if (q.exec()) {
                        while (q.next())
                            seqs.insert(q.value(0).toLongLong());
                    }
                };
                lookup(QStringLiteral("SELECT seq FROM deliveries WHERE webhook_id = ?"), 1);
                lookup(QStringLiteral("SELECT seq FROM deliveries WHERE event_id = ?"), 1);
                // A prefix of a delivery id (at least 8 characters, as the CLI prints them).
                if (word.size() >= 8)
                    lookup(QStringLiteral("SELECT seq FROM deliveries WHERE id >= ? AND id < ? "
                                          "LIMIT 1000"),
                           2);
            }
            if (!word.isEmpty()) {
                QSqlQuery q(db);
                q.setForwardOnly(true);
                // (SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE does.)
                q.prepare(QStringLiteral("SELECT seq FROM deliveries WHERE endpoint_id IN (SELECT "
                                         "id FROM endpoints WHERE name %1 ? ESCAPE '\\') "
                                         "ORDER BY seq DESC LIMIT ?")
                              .arg(server ? QLatin1String("ILIKE") : QLatin1String("LIKE")));
                q.addBindValue(likePattern(word));
                q.addBindValue(limit + 1);
                if (q.exec()) {
                    while (q.next())
                        seqs.insert(q.value(0).toLongLong());
                }
            }
            // Payloads are shared by an event's deliveries: find the events, then their rows.
            // IN (subquery), not a join: SQLite then scans the small side once and finds the
            // deliveries through their index, instead of testing LIKE once per delivery.
            scan(QStringLiteral("SELECT seq FROM deliveries WHERE event_id IN (SELECT id FROM "
                                "events WHERE %1)")
                     .arg(bodyMatches.arg(QLatin1String("payload"))));
            if (!cancelled.load())
                scan(QStringLiteral("SELECT seq FROM deliveries WHERE id IN (SELECT delivery_id "
                                    "FROM attempts WHERE %1)")
                         .arg(bodyMatches.arg(QLatin1String("response_body"))));
        }
    }
    QSqlDatabase::removeDatabase(name);
    out = QList<qint64>(seqs.begin(), seqs.end());
    std::sort(out.begin(), out.end(), std::greater<qint64>());
    if (truncated)
        *truncated = out.size() > limit;
    if (out.size() > limit)
        out.resize(limit);
    return out;
}
