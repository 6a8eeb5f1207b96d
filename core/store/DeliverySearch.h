// SPDX-License-Identifier: GPL-3.0-or-later
// Search for the History page: which deliveries have the text in their event's payload or in
// any attempt's response body, have it as their webhook-id, event id or delivery id (or the
// start of one), or go to an endpoint whose name has it. It runs on a worker thread with its own
// connection (a scan of a million rows must not freeze the window), newest matches first,
// at most `limit` of them, and a newer search or cancel() abandons the running one at the
// next row. Results come back on the owner's thread with the search's number, so a stale
// answer can always be told apart.
#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

class QThread;

class DeliverySearch : public QObject
{
    Q_OBJECT
public:
    explicit DeliverySearch(const QString &databasePath, QObject *parent = nullptr);
    ~DeliverySearch() override;

    // Starts a search (cancelling any running one) and returns its number.
    int start(const QString &text, int limit = 5000);
    void cancel();
    bool isRunning() const { return !m_threads.isEmpty(); }

    // The search itself, synchronous, on the caller's connection-owning thread.
    static QList<qint64> run(const QString &databasePath, const QString &text, int limit,
                             const std::atomic<bool> &cancelled, bool *truncated, QString *error);

signals:
    void finished(int searchId, const QList<qint64> &seqs, bool truncated, const QString &error);

private:
    QString m_path;
    int m_lastId = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QList<QThread *> m_threads;
};
