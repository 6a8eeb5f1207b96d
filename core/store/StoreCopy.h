// SPDX-License-Identifier: GPL-3.0-or-later
// Moving a store to another backend (hookline store copy): endpoints, saved event types,
// events, deliveries with their attempts, and the activity counts, from one store into
// another - SQLite to PostgreSQL or back.
// Idempotent: what the target already has (by id) is left as it is, so a copy that was
// interrupted (even by kill -9) is finished by running it again with `merge`. Deliveries go
// in pages, each delivery with all its attempts in one transaction of the target: a
// delivery is there whole or not at all. Unfinished deliveries arrive due, claimed by
// nobody, for the target's workers; a source that a process is delivering from right now is
// refused (both stores would send the same work).
#pragma once

#include <QString>

#include <functional>

class Store;

struct StoreCopyCounts
{
    qint64 endpoints = 0;
    qint64 eventTypes = 0;
    qint64 deliveries = 0;
    qint64 attempts = 0;
    qint64 alreadyThere = 0; // rows the target had (by id), left as they were
};

enum class StoreCopyResult {
    Copied,
    Refused, // *error says why and what to do; nothing was written
    Failed,  // a store failed part-way; what was copied stays, a rerun with merge finishes
};

// `progress(done, total)` after every page of deliveries.
StoreCopyResult copyStore(Store &from, Store &to, bool merge,
                          const std::function<void(qint64 done, qint64 total)> &progress,
                          StoreCopyCounts *counts, QString *error);
