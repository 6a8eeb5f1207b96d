// SPDX-License-Identifier: GPL-3.0-or-later
// Writes the deliveries a query selects to CSV (one row per delivery) or JSON Lines (one
// delivery with all its attempts per line), page by page, so exporting a million rows
// holds one page in memory. Runs on whatever thread owns the Store it is given (the GUI
// uses a worker thread with its own connection) and stops early when *cancel turns true.
#pragma once

#include "domain/DeliveryQuery.h"

#include <QIODevice>

#include <atomic>

class Store;

enum class ExportFormat { Csv, JsonLines };

struct ExportResult
{
    qint64 rows = 0;
    QString error;
    bool cancelled = false;
};

ExportResult exportDeliveries(const Store &store, DeliveryQuery query, ExportFormat format,
                              QIODevice *out, const std::atomic<bool> *cancel = nullptr);

// RFC 4180 quoting: fields with commas, quotes or line breaks are quoted, quotes doubled.
QByteArray csvField(const QString &value);
