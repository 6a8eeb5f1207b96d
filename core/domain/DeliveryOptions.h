// SPDX-License-Identifier: GPL-3.0-or-later
// How the delivery engine may run (concurrency, read caps) and what it reports of its work.
// Plain values: the settings fill the first, the status bar shows the second.
#pragma once

#include "domain/Delivery.h"

#include <QStringList>

#include <functional>

struct DispatcherOptions
{
    int maxInFlight = 1024; // over all endpoints; each has its own limit too
    int responseReadCap = 64 * 1024;
    int storedBodyCap = kStoredResponseBodyCap;
};

// What a publisher may add to the transaction that stores an event (the API's Idempotency-Key
// record) and how it learns the outcome. Plain callables; the store type stays opaque here.
class Store;
struct PublishHooks
{
    enum class Admit { Yes, No, StoreFailed };
    // Runs first in the storing transaction, with the new delivery ids. No: store nothing
    // (the event was published before - not an error); StoreFailed: the transaction fails.
    std::function<Admit(Store &store, const QStringList &deliveryIds)> admit;
    enum class Outcome { Stored, Refused, Failed };
    // After the commit (or its failure), on the publisher's thread.
    std::function<void(Outcome outcome, const QString &error)> done;
};

struct DispatcherCounters
{
    qint64 started = 0;
    qint64 succeeded = 0; // attempts
    qint64 failed = 0;    // attempts
    qint64 retrying = 0;  // deliveries waiting for a retry now
    int inFlight = 0;
    int queued = 0;
};
