// SPDX-License-Identifier: GPL-3.0-or-later
#include "FilterBoxes.h"

#include "engine/Engine.h"

#include <QComboBox>
#include <QCoreApplication>

namespace FilterBoxes {

QHash<QString, QString> refill(const Engine &engine, QComboBox *endpoints, QComboBox *events)
{
    const QString endpoint = endpoints->currentData().toString();
    const QString event = events->currentData().toString();
    const QSignalBlocker b1(endpoints), b2(events);
    endpoints->clear();
    endpoints->addItem(QCoreApplication::translate("FilterBoxes", "All endpoints"), QString());
    QHash<QString, QString> names;
    for (const Endpoint &e : engine.endpoints()) {
        endpoints->addItem(e.name, e.id);
        names.insert(e.id, e.name);
    }
    events->clear();
    events->addItem(QCoreApplication::translate("FilterBoxes", "All events"), QString());
    for (const EventType &t : engine.catalog().types())
        events->addItem(t.displayName, t.id);
    endpoints->setCurrentIndex(qMax(0, endpoints->findData(endpoint)));
    events->setCurrentIndex(qMax(0, events->findData(event)));
    return names;
}

} // namespace FilterBoxes
