// SPDX-License-Identifier: GPL-3.0-or-later
// Test helper: a complete engine (store, writer, dispatcher) on a new store, and
// the built-in receiver on 127.0.0.1 to deliver to. Endpoints made here point at inboxes.
#pragma once

#include "TestBackend.h"
#include "catalog/EventCatalog.h"
#include "delivery/Dispatcher.h"
#include "receiver/ReceiverServer.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <functional>
#include <memory>

class DeliveryFixture
{
public:
    DeliveryFixture()
    {
        path = TestBackend::newStore(dir.path()); // SQLite, or PostgreSQL (TestBackend.h)
        QString error;
        store = Store::open(path, &error);
        writer = std::make_unique<StoreWriter>(path);
        writerOk = store && writer->start(&error);
        if (!writerOk)
            qWarning("fixture: %s", qPrintable(error));
        dispatcher = std::make_unique<Dispatcher>(writer.get());
        receiverOk = receiver.listen(0, &error);
    }
    ~DeliveryFixture()
    {
        dispatcher.reset();
        writer.reset();
    }
    bool ok() const { return writerOk && receiverOk; }

    // An endpoint pointed at inbox `inbox` (created with `config`), quick retries by
    // default, saved and known to the dispatcher.
    Endpoint addEndpoint(const QString &inbox, InboxConfig config = {},
                         const std::function<void(Endpoint &)> &tweak = {})
    {
        Endpoint e;
        e.name = inbox;
        e.retry.scheduleSeconds = {0};
        e.retry.maxAttempts = 3;
        e.timeoutMs = 5000;
        config.name = inbox;
        receiver.setInbox(config);
        receiver.attachEndpoint(&e, inbox);
        if (tweak)
            tweak(e);
        const QString error = store->saveEndpoint(&e);
        if (!error.isEmpty())
            qWarning("fixture endpoint: %s", qPrintable(error));
        dispatcher->upsertEndpoint(e);
        return e;
    }

    Event event(const QString &type = QStringLiteral("call.ringing"))
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const RenderResult r = catalog.render(type, sample, now);
        return Event{QUuid::createUuid().toString(QUuid::WithoutBraces),
                     type,
                     r.json,
                     now,
                     EventOrigin::Test,
                     {}};
    }

    // Dispatches and waits until the delivery is final; returns it as stored.
    Delivery deliverAndWait(const Event &e, const QString &endpointId, int timeoutMs = 15000)
    {
        QSignalSpy finished(dispatcher.get(), &Dispatcher::deliveryFinished);
        QString error;
        const QStringList ids = dispatcher->dispatch(e, endpointId, AttemptTrigger::Test, &error);
        if (ids.size() != 1) {
            qWarning("dispatch: %s", qPrintable(error));
            return {};
        }
        return waitFinal(ids.first(), finished, timeoutMs);
    }

    Delivery waitFinal(const QString &id, QSignalSpy &finished, int timeoutMs = 15000)
    {
        auto done = [&] {
            for (const auto &args : finished) {
                if (args.at(0).value<Delivery>().id == id)
                    return true;
            }
            return false;
        };
        if (!QTest::qWaitFor(done, timeoutMs))
            qWarning("delivery %s did not finish", qPrintable(id));
        writer->flush();
        return store->delivery(id).value_or(Delivery());
    }

    QTemporaryDir dir;
    QString path;
    std::unique_ptr<Store> store;
    std::unique_ptr<StoreWriter> writer;
    std::unique_ptr<Dispatcher> dispatcher;
    ReceiverServer receiver;
    EventCatalog catalog;
    SampleData sample;
    bool writerOk = false;
    bool receiverOk = false;
};
