// SPDX-License-Identifier: GPL-3.0-or-later
#include "StoreCopy.h"

#include "Store.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSet>

namespace {
constexpr int kPage = 500;

struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(StoreCopy)
};
} // namespace

StoreCopyResult copyStore(Store &from, Store &to, bool merge,
                          const std::function<void(qint64, qint64)> &progress,
                          StoreCopyCounts *counts, QString *error)
{
    *counts = {};
    if (from.path() == to.path()) {
        *error = Tr::tr("%1 is both the store to copy from and the one to copy to.")
                     .arg(from.displayName());
        return StoreCopyResult::Refused;
    }
    const qint64 live = from.liveClaims(QDateTime::currentDateTimeUtc());
    if (live > 0) {
        *error = Tr::tr("%n delivery(s) in %1 are being sent by a running Hookline (a window, "
                        "'hookline run' or 'hookline serve'). Stop the processes that use %1, "
                        "then copy: otherwise both stores would send them.",
                        nullptr, int(live))
                     .arg(from.displayName());
        return StoreCopyResult::Refused;
    }
    const qint64 there = to.contentCount();
    if (there < 0 || live < 0) {
        *error = there < 0 ? to.lastError() : from.lastError();
        return StoreCopyResult::Failed;
    }
    if (there > 0 && !merge) {
        *error = Tr::tr("%1 is not empty (it holds endpoints, events or deliveries). Copy into "
                        "an empty database, or add --merge to add only what it lacks (that is "
                        "also how an interrupted copy is finished).")
                     .arg(to.displayName());
        return StoreCopyResult::Refused;
    }

    // Event types first: endpoints subscribe to them.
    QSet<QString> savedTypes;
    for (const EventType &t : to.savedEventTypes())
        savedTypes.insert(t.id);
    for (const EventType &t : from.savedEventTypes()) {
        if (savedTypes.contains(t.id)) {
            ++counts->alreadyThere;
            continue;
        }
        if (const QString why = to.saveEventType(t); !why.isEmpty()) {
            *error = Tr::tr("Event type %1: %2").arg(t.id, why);
            return StoreCopyResult::Failed;
        }
        ++counts->eventTypes;
    }
    const QStringList knownTypes = to.catalog().ids();
    for (Endpoint e : from.endpoints()) {
        if (to.endpoint(e.id)) {
            ++counts->alreadyThere;
            continue;
        }
        const QDateTime updated = e.updated;
        if (const QString why = to.saveEndpoint(&e, knownTypes); !why.isEmpty()) {
            *error = Tr::tr("Endpoint %1 (%2): %3").arg(e.name, e.id, why);
            return StoreCopyResult::Failed;
        }
        if (updated.isValid() && !to.setEndpointUpdated(e.id, updated)) {
            *error = to.lastError();
            return StoreCopyResult::Failed;
        }
        ++counts->endpoints;
    }

    const qint64 total = from.deliveryCount();
    qint64 done = 0;
    qint64 seq = 0;
    QSet<QString> eventsCopied;
    for (;;) {
        QList<Delivery> page;
        if (!from.deliveriesAfter(seq, kPage, &page)) {
            *error = from.lastError();
            return StoreCopyResult::Failed;
        }
        if (page.isEmpty())
            break;
        if (!to.begin()) {
            *error = to.lastError();
            return StoreCopyResult::Failed;
        }
        StoreCopyCounts added;
        bool ok = true;
        for (const Delivery &d : page) {
            seq = d.seq;
            if (to.hasDelivery(d.id)) {
                ++added.alreadyThere;
                continue;
            }
            if (!eventsCopied.contains(d.eventId)) {
                if (const std::optional<Event> e = from.event(d.eventId)) {
                    ok = to.insertEvent(*e);
                    eventsCopied.insert(d.eventId);
                }
            }
            ok = ok && to.insertDelivery(d);
            for (Attempt a : from.attempts(d.id)) {
                a.id = 0;
                ok = ok && to.insertAttempt(&a);
                ++added.attempts;
            }
            ++added.deliveries;
            if (!ok)
                break;
        }
        if (!ok || !to.commit()) {
            *error = to.lastError();
            to.rollback();
            return StoreCopyResult::Failed;
        }
        counts->deliveries += added.deliveries;
        counts->attempts += added.attempts;
        counts->alreadyThere += added.alreadyThere;
        done += page.size();
        if (progress)
            progress(done, qMax(total, done));
    }
    if (!to.copyActivityFrom(from)) {
        *error = to.lastError();
        return StoreCopyResult::Failed;
    }
    return StoreCopyResult::Copied;
}
