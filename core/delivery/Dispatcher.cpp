// SPDX-License-Identifier: GPL-3.0-or-later
#include "Dispatcher.h"

#include "AttemptOutcome.h"
#include "BufferedDirectProxy.h"
#include "RetryPlanner.h"
#include "domain/Ids.h"
#include "encoding/JsonText.h"
#include "signing/WebhookSigner.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

#include <QCoreApplication>
#include <QFile>
#include <QHostInfo>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSet>
#include <QSslError>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

namespace {

// A process's start time in clock ticks since boot (/proc/PID/stat, field 22): with the pid
// it names one process for good, even after the pid is reused.
QByteArray processStartTime(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray stat = f.readAll();
    const int close = stat.lastIndexOf(')'); // the command name may hold spaces
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    return fields.size() > 19 ? fields.at(19) : QByteArray(); // field 22 counted from 3
}

// Owners of dispatchers alive in this process (a test may run several one after another).
QMutex g_ownersMutex;
QSet<QString> g_liveOwners;

// "host/pid/start/nonce". A claim's owner is dead when it names this machine and its process
// is gone (or is another process under a reused pid), or names this process but no live
// dispatcher. Owners on other machines are never declared dead: their leases run out.
bool ownerIsDead(const QString &owner)
{
    const QStringList parts = owner.split(u'/');
    if (parts.size() != 4 || parts.at(0) != QHostInfo::localHostName())
        return false;
    bool ok = false;
    const qint64 pid = parts.at(1).toLongLong(&ok);
    if (!ok)
        return false;
    if (pid == QCoreApplication::applicationPid()) {
        QMutexLocker lock(&g_ownersMutex);
        return !g_liveOwners.contains(owner);
    }
    const QByteArray start = processStartTime(pid);
    return start.isEmpty() || start != parts.at(2).toLatin1();
}

QString hostPort(const QUrl &url)
{
    const int port = url.port(url.scheme() == QLatin1String("https") ? 443 : 80);
    return QStringLiteral("%1:%2").arg(url.host()).arg(port);
}

} // namespace

Dispatcher::Dispatcher(StoreWriter *writer, QObject *parent)
    : QObject(parent)
    , m_writer(writer)
    , m_rng(QRandomGenerator::system()->generate())
{
    m_clock.start();
    newSlot(); // the first manager, kept for the dispatcher's life
    m_poolTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_poolTimer, &QTimer::timeout, this, &Dispatcher::closeIdlePools);
    m_poolTimer.start(kPoolIdleMs / 2);
    m_orderedTimer.setInterval(kPollMs);
    m_orderedTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_orderedTimer, &QTimer::timeout, this, &Dispatcher::claimWaitingOrdered);
    m_rateTimer.setSingleShot(true);
    m_rateTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_rateTimer, &QTimer::timeout, this, &Dispatcher::pump);
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_retryTimer, &QTimer::timeout, this, &Dispatcher::onRetryTimer);
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &Dispatcher::onDeadline);
    m_sharedLimits = Store::isServerLocation(writer->path());
    m_slotCheck.setSingleShot(true);
    m_slotCheck.setTimerType(Qt::CoarseTimer);
    connect(&m_slotCheck, &QTimer::timeout, this, [this] { syncSlots(true); });

    const qint64 pid = QCoreApplication::applicationPid();
    m_owner = QStringLiteral("%1/%2/%3/%4")
                  .arg(QHostInfo::localHostName())
                  .arg(pid)
                  .arg(QString::fromLatin1(processStartTime(pid)))
                  .arg(m_rng.generate(), 8, 16, QLatin1Char('0'));
    {
        QMutexLocker lock(&g_ownersMutex);
        g_liveOwners.insert(m_owner);
    }
    m_pollTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_pollTimer, &QTimer::timeout, this, &Dispatcher::onPoll);
    m_renewTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_renewTimer, &QTimer::timeout, this, &Dispatcher::renewLeases);
    m_renewTimer.start(kRenewMs);
    m_probeTimer.setSingleShot(true);
    connect(&m_probeTimer, &QTimer::timeout, this, &Dispatcher::probeStore);
}

// First fit: the lowest manager with room for one more attempt on this connection key, so
// that work gathers on few managers (their keep-alive connections stay warm) and the higher
// ones fall idle and are closed.
Dispatcher::NamSlot *Dispatcher::slotFor(const QString &connectionKey, KeyLoad **load)
{
    const int room = m_h2Keys.contains(connectionKey) ? kHttp2Streams : kHttp1Connections;
    KeyLoad &k = m_keyLoad[connectionKey];
    *load = &k;
    for (size_t i = 0; i < m_pool.size(); ++i) {
        if (i >= k.perSlot.size() || k.perSlot[i] < room)
            return m_pool[i].get();
    }
    return newSlot();
}

Dispatcher::NamSlot *Dispatcher::newSlot()
{
    auto slot = std::make_unique<NamSlot>();
    slot->nam = new QNetworkAccessManager(this);
    // Keep-alive connections are what make a burst fast; QNAM's cache and cookies are not
    // wanted for webhooks at all.
    slot->nam->setCookieJar(nullptr);
    slot->nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    // Direct connections read each response in bulk rather than a byte per system call
    // (see BufferedDirectProxy.h); proxies the application is configured with still apply.
    slot->nam->setProxyFactory(new BufferedDirectProxyFactory);
    slot->idleSince = m_clock.elapsed();
    slot->position = int(m_pool.size());
    m_pool.push_back(std::move(slot));
    return m_pool.back().get();
}

// Managers beyond the first that carried nothing for a while are closed, with their
// connections and thread.
void Dispatcher::closeIdlePools()
{
    const qint64 now = m_clock.elapsed();
    for (size_t i = m_pool.size(); i-- > 1;) {
        if (m_pool[i]->inFlight != 0 || now - m_pool[i]->idleSince < kPoolIdleMs)
            continue;
        m_pool[i]->nam->deleteLater();
        m_pool.erase(m_pool.begin() + qsizetype(i));
        for (auto &[key, load] : m_keyLoad) {
            if (i < load.perSlot.size()) // 0 there: the manager carried nothing
                load.perSlot.erase(load.perSlot.begin() + qsizetype(i));
        }
    }
    for (size_t i = 0; i < m_pool.size(); ++i)
        m_pool[i]->position = int(i);
}

int Dispatcher::queuedFor(const QString &endpointId) const
{
    const auto it = m_ready.constFind(endpointId);
    return it == m_ready.constEnd() ? 0 : int(it->size());
}

int Dispatcher::readyWindow(const Endpoint &endpoint) const
{
    int window = qBound(16, 2 * endpoint.maxInFlight, 512) * m_claimAhead;
    if (endpoint.ratePerSecond > 0)
        window =
            qMin(window, int(std::ceil(endpoint.ratePerSecond * 2)) + endpoint.effectiveBurst());
    return window;
}

bool Dispatcher::rateAllows(const Endpoint &endpoint, qint64 *waitMs)
{
    if (endpoint.ratePerSecond <= 0)
        return true;
    // On a server store the rate is shared like the slots: each process with work for the
    // endpoint refills at its part (learnt with the slots, so within kSlotCheckMs of a change).
    const int sharers = m_sharedLimits ? qMax(1, m_slots.value(endpoint.id).sharers) : 1;
    const double rate = endpoint.ratePerSecond / sharers;
    const double burst = qMax(1.0, double(endpoint.effectiveBurst()) / sharers);
    const qint64 now = m_clock.elapsed();
    auto it = m_buckets.find(endpoint.id);
    if (it == m_buckets.end())
        it = m_buckets.insert(endpoint.id, Bucket{0, now});
    it->tokens = qMin(burst, it->tokens + double(now - it->refilled) * rate / 1000);
    it->refilled = now;
    if (it->tokens >= 1)
        return true;
    *waitMs = qMax<qint64>(1, qint64(std::ceil((1 - it->tokens) * 1000 / rate)));
    return false;
}

Claim Dispatcher::lease() const
{
    return {m_owner, QDateTime::currentDateTimeUtc().addMSecs(kLeaseMs)};
}

void Dispatcher::armDeadlineTimer()
{
    if (m_deadlines.empty()) {
        m_deadlineTimer.stop();
        return;
    }
    const qint64 wait = qMax<qint64>(0, m_deadlines.begin()->first - m_clock.elapsed());
    m_deadlineTimer.start(int(qMin<qint64>(wait, std::numeric_limits<int>::max())));
}

void Dispatcher::onDeadline()
{
    // QNAM's transfer timeout only notices idle connections; a server that drips a byte a
    // second would never trip it. This deadline bounds the whole attempt.
    const qint64 now = m_clock.elapsed();
    QList<QNetworkReply *> expired;
    while (!m_deadlines.empty() && m_deadlines.begin()->first <= now) {
        expired << m_deadlines.begin()->second;
        auto active = m_active.find(m_deadlines.begin()->second);
        if (active != m_active.end())
            active->deadline = m_deadlines.end();
        m_deadlines.erase(m_deadlines.begin());
    }
    for (QNetworkReply *reply : std::as_const(expired)) {
        auto it = m_active.find(reply);
        if (it == m_active.end())
            continue;
        it->timedOut = true;
        reply->abort();
    }
    armDeadlineTimer();
}

Dispatcher::~Dispatcher()
{
    {
        QMutexLocker lock(&g_ownersMutex);
        g_liveOwners.remove(m_owner);
    }
    m_stopping = true;
    for (auto it = m_active.begin(); it != m_active.end(); ++it) {
        if (it->reply) {
            it->reply->disconnect(this);
            it->reply->abort();
        }
    }
}

void Dispatcher::setEndpoints(const QList<Endpoint> &endpoints)
{
    m_endpoints.clear();
    m_targets.clear();
    for (const Endpoint &e : endpoints)
        m_endpoints.insert(e.id, e);
}

void Dispatcher::upsertEndpoint(const Endpoint &endpoint)
{
    m_endpoints.insert(endpoint.id, endpoint);
    m_targets.remove(endpoint.id);
}

// Work claimed from the store may be for an endpoint another process added since this one last
// read the endpoints.
void Dispatcher::learnEndpoint(const QString &id)
{
    if (!m_reader)
        return;
    if (const std::optional<Endpoint> added = m_reader->endpoint(id))
        upsertEndpoint(*added);
}

void Dispatcher::removeEndpoint(const QString &id)
{
    m_endpoints.remove(id);
    m_targets.remove(id);
}

const Dispatcher::Target &Dispatcher::target(const Endpoint &endpoint)
{
    auto it = m_targets.find(endpoint.id);
    if (it != m_targets.end())
        return *it;
    Target t;
    t.shared = requestTemplate(endpoint);
    t.request = QNetworkRequest(t.shared.url);
    for (const HttpHeader &h : std::as_const(t.shared.headers))
        t.request.setRawHeader(h.name.toLatin1(), h.value.toUtf8());
    // Redirects stay unfollowed by the manager's policy, HTTP/2 over TLS is Qt 6's default,
    // and the manager has no cache: only cleartext HTTP/2 needs saying per request.
    if (endpoint.http2Cleartext) {
        t.request.setAttribute(QNetworkRequest::Http2DirectAttribute, true);
        // Qt keeps one connection per scheme, host and port, whichever protocol it speaks, so
        // an HTTP/1.1 endpoint on the same server would be sent HTTP/2 too (and the other way
        // round). The peer verify name is part of that key and only matters for TLS, which
        // cleartext HTTP/2 never uses: setting it gives these endpoints their own connections.
        t.request.setPeerVerifyName(QStringLiteral("h2c.") + t.shared.url.host());
    }
    return *m_targets.insert(endpoint.id, t);
}

QStringList Dispatcher::dispatch(const Event &event, const QString &onlyEndpointId,
                                 AttemptTrigger trigger, QString *error, const PublishHooks &hooks)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return QStringList();
    };
    if (m_stopping)
        return fail(tr("Hookline is shutting down; the event was not sent."));
    QList<Endpoint> targets;
    if (!onlyEndpointId.isEmpty()) {
        const auto it = m_endpoints.constFind(onlyEndpointId);
        if (it == m_endpoints.constEnd())
            return fail(tr("There is no endpoint %1.").arg(onlyEndpointId));
        // A test may go to a disabled endpoint: it is how an admin checks that the receiver
        // is back before enabling it again.
        if (!it->enabled && trigger != AttemptTrigger::Test)
            return fail(tr("The endpoint “%1” is disabled%2. Enable it first.")
                            .arg(it->name, it->disabledReason.isEmpty()
                                               ? QString()
                                               : QStringLiteral(" (%1)").arg(it->disabledReason)));
        targets << *it;
    } else {
        for (const Endpoint &e : std::as_const(m_endpoints)) {
            if (e.enabled && e.subscribesTo(event.type))
                targets << e;
        }
        if (targets.isEmpty())
            return fail(tr("No enabled endpoint subscribes to %1. Add one, or subscribe an "
                           "endpoint to this event.")
                            .arg(event.type));
    }

    const QDateTime now = QDateTime::currentDateTimeUtc();
    QList<Delivery> deliveries;
    QStringList ids;
    for (const Endpoint &e : std::as_const(targets)) {
        Delivery d;
        if (!e.orderKey.isEmpty()) {
            bool found = false;
            const QString key = JsonText::pointerValue(event.payload, e.orderKey, &found);
            // A payload without the field is not held behind anything.
            if (found)
                d.orderKey = key.isEmpty() ? QStringLiteral("\"\"") : key;
        }
        d.id = Ids::newTimeOrdered();
        d.eventId = event.id;
        d.eventType = event.type;
        d.endpointId = e.id;
        d.webhookId = WebhookSigner::generateMessageId();
        d.state = DeliveryState::Pending;
        d.created = now;
        d.updated = now;
        d.nextAttempt = now;
        deliveries << d;
        ids << d.id;
        if (m_sending)
            m_jobs.insert(d.id, Job{d, event.payload, trigger});
    }
    // The outbox: the first attempt starts only once the deliveries are committed, synced
    // and claimed by this process (or, when it does not send, due for whichever does).
    const Claim claim = m_sending ? lease() : Claim();
    auto refused = std::make_shared<bool>(false);
    // Ordered deliveries stored behind an earlier unfinished one with their key: id -> the
    // id they wait for. They are stored unclaimed and claimed when their turn comes.
    auto held = std::make_shared<QHash<QString, QString>>();
    m_writer->submit(
        [event, deliveries, claim, ids, admit = hooks.admit, refused, held](Store &store) {
            *refused = false;
            held->clear();
            if (admit) {
                const PublishHooks::Admit a = admit(store, ids);
                if (a == PublishHooks::Admit::StoreFailed)
                    return false;
                if (a == PublishHooks::Admit::No) {
                    *refused = true;
                    return true;
                }
            }
            if (!store.insertEvent(event))
                return false;
            for (const Delivery &d : deliveries) {
                // In the same transaction as the insert: no earlier delivery with the key can
                // finish or appear in between.
                const QString behind = store.heldBehind(d);
                if (!behind.isEmpty())
                    held->insert(d.id, behind);
                if (!store.insertDelivery(d, behind.isEmpty() ? claim : Claim()))
                    return false;
            }
            return true;
        },
        this,
        [this, deliveries, refused, held, claim, done = hooks.done](bool ok) {
            if (ok && *refused) {
                // Published before (the same Idempotency-Key): nothing was stored or sent.
                for (const Delivery &d : deliveries)
                    m_jobs.remove(d.id);
                if (done)
                    done(PublishHooks::Outcome::Refused, {});
                checkIdle();
                return;
            }
            if (!ok)
                stall(m_writer->lastError());
            if (done)
                done(ok ? PublishHooks::Outcome::Stored : PublishHooks::Outcome::Failed,
                     ok ? QString() : m_writer->lastError());
            for (const Delivery &stored : deliveries) {
                if (ok) {
                    const auto behind = held->constFind(stored.id);
                    if (behind != held->constEnd()) {
                        if (m_jobs.remove(stored.id) > 0)
                            addWaiting(stored);
                        emit deliveryHeld(stored, *behind);
                    } else if (!claim.owner.isEmpty()) {
                        // Ours to send (stored claimed by this process). Stored unclaimed, it
                        // is whichever process's claim takes it - this one's too, perhaps
                        // before this answer: not made ready here.
                        makeReady(stored.id);
                    }
                    continue;
                }
                Job job = m_jobs.take(stored.id);
                job.delivery = stored;
                job.delivery.state = DeliveryState::Failed;
                emit deliveryFinished(
                    job.delivery,
                    tr("The delivery could not be recorded, so it was "
                       "not sent: %1. %2")
                        .arg(m_writer->lastError(), Store::advice(m_writer->lastError())));
            }
            pump();
            checkIdle();
        });
    emit deliveriesQueued(ids);
    return ids;
}

void Dispatcher::makeReady(const QString &deliveryId)
{
    const auto job = m_jobs.find(deliveryId);
    if (job == m_jobs.end() || job->ready || job->sending)
        return; // gone, or on its way already
    job->ready = true;
    const QString endpointId = job->delivery.endpointId;
    m_ready[endpointId].push_back(deliveryId);
    if (!m_endpointRing.contains(endpointId))
        m_endpointRing.append(endpointId);
    ++m_readyCount;
}

void Dispatcher::schedule(const QString &deliveryId, const QDateTime &when)
{
    m_scheduled.emplace(when.toMSecsSinceEpoch(), deliveryId);
    const qint64 next = m_scheduled.begin()->first;
    const qint64 wait = qBound<qint64>(0, next - QDateTime::currentMSecsSinceEpoch(),
                                       qint64(std::numeric_limits<int>::max()));
    if (!m_stopping && (!m_retryTimer.isActive() || m_retryTimer.remainingTime() > wait))
        m_retryTimer.start(int(wait));
}

void Dispatcher::onRetryTimer()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    while (!m_scheduled.empty() && m_scheduled.begin()->first <= now) {
        const QString id = m_scheduled.begin()->second;
        m_scheduled.erase(m_scheduled.begin());
        if (m_jobs.contains(id))
            reclaimForRetry(id);
    }
    if (!m_scheduled.empty() && !m_stopping) {
        const qint64 wait = qBound<qint64>(0, m_scheduled.begin()->first - now,
                                           qint64(std::numeric_limits<int>::max()));
        m_retryTimer.start(int(wait));
    }
    pump();
}

void Dispatcher::pump()
{
    if (m_stopping || m_stalled)
        return;
    for (const QString &id : std::as_const(m_moreDue)) {
        if (roomFor(id) > 0) {
            requestClaim();
            break;
        }
    }
    qint64 rateWait = std::numeric_limits<qint64>::max();
    bool progress = true;
    while (progress && m_readyCount > 0 && m_active.size() < m_options.maxInFlight) {
        progress = false;
        for (int i = 0; i < m_endpointRing.size() && m_active.size() < m_options.maxInFlight;) {
            const QString endpointId = m_endpointRing.at(i);
            auto queue = m_ready.find(endpointId);
            if (queue == m_ready.end() || queue->empty()) {
                m_ready.remove(endpointId);
                m_endpointRing.removeAt(i);
                continue;
            }
            auto ep = m_endpoints.constFind(endpointId);
            if (ep == m_endpoints.constEnd() && m_sharedLimits) {
                // Added by another process: its limit is shared, so it is read before the
                // first attempt rather than by it.
                learnEndpoint(endpointId);
                ep = m_endpoints.constFind(endpointId);
            }
            const int limit = limitFor(endpointId);
            qint64 wait = 0;
            if (m_inFlightPerEndpoint.value(endpointId) >= limit || !addressReady(endpointId) ||
                (ep != m_endpoints.constEnd() && !rateAllows(*ep, &wait))) {
                if (wait > 0)
                    rateWait = qMin(rateWait, wait);
                ++i;
                continue;
            }
            const QString id = queue->front();
            queue->pop_front();
            --m_readyCount;
            auto job = m_jobs.find(id);
            if (job != m_jobs.end()) {
                if (ep != m_endpoints.constEnd() && ep->ratePerSecond > 0)
                    m_buckets[endpointId].tokens -= 1;
                job->ready = false;
                start(*job);
            }
            progress = true; // (an id whose job has gone is dropped, and the next one tried)
            ++i;
        }
    }
    if (rateWait != std::numeric_limits<qint64>::max() &&
        (!m_rateTimer.isActive() || m_rateTimer.remainingTime() > rateWait))
        m_rateTimer.start(int(qMin<qint64>(rateWait, std::numeric_limits<int>::max())));
    syncSlots();
}

// On a server store an endpoint's attempts at once are shared by every process (slots, see
// Store::holdSlots). The wish for an endpoint: a slot for each attempt in flight and each ready
// delivery, up to the limit and to this process's fair share; never fewer than are in use.
int Dispatcher::limitFor(const QString &endpointId) const
{
    const auto ep = m_endpoints.constFind(endpointId);
    // An endpoint that is not known (removed: start() cancels its work) goes one at a time.
    if (ep == m_endpoints.constEnd())
        return 1;
    if (!m_sharedLimits)
        return ep->maxInFlight;
    const SlotGrant grant = m_slots.value(endpointId);
    return qMin(ep->maxInFlight, qMin(grant.held, grant.share));
}

QHash<QString, SlotWish> Dispatcher::slotWishes(bool all) const
{
    QHash<QString, SlotWish> wishes;
    for (auto it = m_endpoints.cbegin(); it != m_endpoints.cend(); ++it) {
        const int busy = m_inFlightPerEndpoint.value(it.key());
        const auto grant = m_slots.constFind(it.key());
        int want = qMin(busy + queuedFor(it.key()), it->maxInFlight);
        if (grant != m_slots.constEnd())
            want = qMin(want, grant->share);
        const int held = grant == m_slots.constEnd() ? 0 : grant->held;
        // Alone with work for the endpoint, slots stay held while any is in hand: giving them
        // back each time the ready queue dips between two claims only to ask again costs a
        // round trip each way. (Another process that wants them is seen at the next check.)
        if (want > 0 && want < held && grant->sharers <= 1)
            want = held;
        if (want != held || (all && held > 0))
            wishes.insert(it.key(), SlotWish{want, it->maxInFlight, busy});
    }
    for (auto it = m_slots.cbegin(); it != m_slots.cend(); ++it) {
        if (!m_endpoints.contains(it.key())) // removed meanwhile: given back
            wishes.insert(it.key(), SlotWish{0, it->held, m_inFlightPerEndpoint.value(it.key())});
    }
    return wishes;
}

// Asks for the slots the work in hand needs and gives back the rest: at the end of each pump
// (when something changed) and every kSlotCheckMs while any are held or wanted (to learn a new
// fair share, or take up slots that others gave back).
void Dispatcher::syncSlots(bool all)
{
    if (!m_sharedLimits || m_slotsPending || m_stalled || m_stopping)
        return;
    const QHash<QString, SlotWish> wishes = slotWishes(all);
    if (wishes.isEmpty())
        return;
    bool givesBack = false;
    for (auto it = wishes.cbegin(); it != wishes.cend(); ++it)
        givesBack = givesBack || it->want < m_slots.value(it.key()).held;
    // A wish for more that was just refused (others hold the slots) waits for the timer, not
    // asked again in a loop; giving back is never held up.
    if (!all && !givesBack && wishes == m_slotsAsked)
        return;
    m_slotsPending = true;
    m_slotsAsked = wishes;
    auto granted = std::make_shared<QHash<QString, SlotGrant>>();
    m_writer->submit(
        [wishes, granted](Store &store) { return store.holdSlots(wishes, granted.get()); }, this,
        [this, granted](bool ok) {
            m_slotsPending = false;
            if (!ok)
                return; // the store is failing: claims and outcomes say so
            for (auto it = granted->cbegin(); it != granted->cend(); ++it) {
                if (it->held > 0)
                    m_slots.insert(it.key(), *it);
                else
                    m_slots.remove(it.key());
            }
            if (!m_slots.isEmpty() || !slotWishes().isEmpty())
                m_slotCheck.start(kSlotCheckMs);
            pump();
        },
        StoreWriter::Commit::Lazy);
}

// With an egress policy, an endpoint named by host name waits until this dispatcher has
// resolved the name itself (answers are refreshed after 30 s), so that start() can check and
// pin the address.
bool Dispatcher::addressReady(const QString &endpointId)
{
    if (m_egress.checksNothing())
        return true;
    const auto ep = m_endpoints.constFind(endpointId);
    if (ep == m_endpoints.constEnd())
        return true;
    const QString host = QUrl(ep->url).host();
    if (host.isEmpty() || !QHostAddress(host).isNull())
        return true;
    Resolution &r = m_resolved[host];
    const bool answered = r.expires > 0; // a checked answer, perhaps an old one
    if (r.expires > m_clock.elapsed() || r.pending)
        return answered;
    // Stale: ask again, and meanwhile keep using the old answer. That is safe: start() checks
    // and pins whichever address it uses, so only a name never resolved has to wait.
    r.pending = true;
    if (!m_resolver) {
        m_resolver = [](const QString &name, QObject *context,
                        std::function<void(const QList<QHostAddress> &, const QString &)> done) {
            QHostInfo::lookupHost(name, context, [done](const QHostInfo &info) {
                done(info.addresses(),
                     info.error() == QHostInfo::NoError ? QString() : info.errorString());
            });
        };
    }
    m_resolver(
        host, this, [this, host](const QList<QHostAddress> &addresses, const QString &error) {
            Resolution &done = m_resolved[host];
            done.pending = false;
            done.addresses = addresses;
            done.error = addresses.isEmpty() && error.isEmpty() ? tr("No address found.") : error;
            if (!addresses.isEmpty())
                done.error.clear();
            done.expires = m_clock.elapsed() + 30000;
            QTimer::singleShot(0, this, &Dispatcher::pump);
        });
    return answered;
}

void Dispatcher::start(Job &job)
{
    auto ep = m_endpoints.constFind(job.delivery.endpointId);
    if (ep == m_endpoints.constEnd()) {
        learnEndpoint(job.delivery.endpointId);
        ep = m_endpoints.constFind(job.delivery.endpointId);
    }
    if (ep == m_endpoints.constEnd()) {
        cancel(job, tr("The endpoint was removed."));
        return;
    }
    // Sent by hand (a redelivery, a test): whether or not the endpoint is enabled. A retry of a
    // test is scheduled work again, and cancelled while the endpoint stays disabled.
    if (!ep->enabled && job.trigger == AttemptTrigger::Scheduled) {
        cancel(job, tr("The endpoint is disabled%1.")
                        .arg(ep->disabledReason.isEmpty()
                                 ? QString()
                                 : QStringLiteral(": %1").arg(ep->disabledReason)));
        return;
    }
    const Endpoint &endpoint = *ep;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Target &shared = target(endpoint);
    const OutgoingRequest out =
        buildRequest(shared.shared, endpoint, job.delivery, job.payload, now);

    Attempt attempt;
    attempt.deliveryId = job.delivery.id;
    attempt.number = job.delivery.attemptCount + 1;
    attempt.trigger = job.trigger;
    attempt.started = now;
    attempt.requestUrl = endpoint.url;
    attempt.requestHeaders = out.headers;
    attempt.requestBody = out.body;
    // Custom header values are credentials as often as not (x-api-key): the record of what was
    // sent names them but does not keep their values.
    for (const HttpHeader &custom : endpoint.headers) {
        for (HttpHeader &h : attempt.requestHeaders) {
            if (h.name.compare(custom.name, Qt::CaseInsensitive) == 0 && !h.value.isEmpty())
                h.value = Endpoint::redactedValue();
        }
    }

    // The egress policy, on the address the connection will use.
    QHostAddress pinned;
    ErrorClass refusedClass = ErrorClass::Aborted;
    AttemptError refused = AttemptError::words(out.error);
    if (out.ok() && !m_egress.checksNothing()) {
        const QString host = out.url.host();
        const quint16 port =
            quint16(out.url.port(out.url.scheme() == QLatin1String("https") ? 443 : 80));
        const QHostAddress literal(host);
        if (!literal.isNull()) {
            refused = m_egress.refusal(literal, host, port);
        } else {
            const Resolution r = m_resolved.value(host);
            for (const QHostAddress &a : r.addresses) {
                const AttemptError why = m_egress.refusal(a, host, port);
                if (why.isEmpty()) {
                    pinned = a;
                    break;
                }
                if (refused.isEmpty())
                    refused = why;
            }
            if (pinned.isNull() && refused.isEmpty()) {
                refusedClass = ErrorClass::Dns;
                refused = AttemptError(AttemptError::Kind::HostNotFound, {host, r.error});
            } else if (!pinned.isNull()) {
                refused = {};
            }
        }
        if (!refused.isEmpty() && refusedClass == ErrorClass::Aborted)
            refusedClass = ErrorClass::Blocked;
    }

    job.delivery.state = DeliveryState::InFlight;
    job.delivery.updated = now;
    if (!refused.isEmpty()) {
        attempt.errorClass = refusedClass;
        attempt.error = refused;
        Active none;
        none.deadline = m_deadlines.end();
        none.deliveryId = job.delivery.id;
        none.endpointId = endpoint.id;
        none.attempt = attempt;
        ++m_inFlightPerEndpoint[endpoint.id];
        finishAttempt(none, job);
        return;
    }

    QNetworkRequest request = shared.request;
    for (qsizetype i = shared.shared.headers.size(); i < out.headers.size(); ++i)
        request.setRawHeader(out.headers.at(i).name.toLatin1(), out.headers.at(i).value.toUtf8());
    const bool tls = out.url.scheme() == QLatin1String("https");
    if (endpoint.http1Only)
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    // Pinning: connect to the address that was checked, not to whatever the name resolves to
    // by the time Qt looks it up; the server still sees the name (Host, and TLS's SNI and
    // certificate check through the peer verify name). Qt 6.4's HTTP/2 takes :authority from
    // the URL, so a pinned request cannot use HTTP/2. A TLS connection whose certificate is
    // verified needs no pin: were the name to answer another address by the time Qt connects
    // (DNS rebinding), that host would have to show a trusted certificate for the name, so
    // the handshake fails before any byte of the request is sent. Those keep HTTP/2.
    if (!pinned.isNull() && !(tls && endpoint.verifyTls && !endpoint.http1Only)) {
        QUrl url = out.url;
        url.setHost(pinned.toString());
        request.setUrl(url);
        request.setRawHeader("Host",
                             out.url.authority(QUrl::FullyEncoded | QUrl::RemoveUserInfo).toUtf8());
        if (request.peerVerifyName().isEmpty())
            request.setPeerVerifyName(out.url.host());
        if (tls)
            request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    }

    // Qt keys its connections by scheme, host, port and peer verify name.
    const QUrl &connectTo = request.url();
    const QString key = connectTo.scheme() + u' ' + connectTo.host() + u' ' +
                        QString::number(connectTo.port(tls ? 443 : 80)) + u' ' +
                        request.peerVerifyName();
    KeyLoad *load = nullptr;
    NamSlot *slot = slotFor(key, &load);
    QNetworkReply *reply = slot->nam->post(request, out.body);
    ++slot->inFlight;
    if (load->perSlot.size() <= size_t(slot->position))
        load->perSlot.resize(size_t(slot->position) + 1);
    ++load->perSlot[size_t(slot->position)];
    ++load->total;
    reply->setReadBufferSize(m_options.responseReadCap);
    Active active;
    active.deliveryId = job.delivery.id;
    active.endpointId = endpoint.id;
    active.slot = slot;
    active.load = load;
    active.connectionKey = key;
    active.timeoutMs = endpoint.timeoutMs;
    active.reply = reply;
    active.clock.start();
    active.attempt = attempt;
    active.deadline = m_deadlines.emplace(m_clock.elapsed() + endpoint.timeoutMs, reply);
    if (active.deadline == m_deadlines.begin() || !m_deadlineTimer.isActive())
        armDeadlineTimer();
    const bool verifyTls = endpoint.verifyTls;
    if (tls)
        connect(reply, &QNetworkReply::sslErrors, this,
                [this, reply, verifyTls](const QList<QSslError> &errors) {
                    if (!verifyTls) {
                        reply->ignoreSslErrors();
                        return;
                    }
                    auto it = m_active.find(reply);
                    if (it == m_active.end())
                        return;
                    for (const QSslError &e : errors)
                        it->tlsErrors << e.errorString();
                });
    connect(reply, &QNetworkReply::readyRead, this, [this, reply] { onReadyRead(reply); });
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onFinished(reply); });
    m_active.insert(reply, active);
    job.sending = true;
    ++m_inFlightPerEndpoint[endpoint.id];
    ++m_counters.started;

    // The in-flight state is not written: after a crash "pending" and "in flight" are
    // resumed alike, and skipping the write saves a third of the engine's database work.
    emit attemptStarted(job.delivery, attempt);
}

void Dispatcher::onReadyRead(QNetworkReply *reply)
{
    auto it = m_active.find(reply);
    if (it == m_active.end() || it->capped)
        return;
    const QByteArray chunk = reply->readAll();
    it->bytesRead += chunk.size();
    QByteArray &body = it->attempt.responseBody;
    const qsizetype room = m_options.storedBodyCap - body.size();
    if (room > 0)
        body.append(chunk.left(room));
    if (it->bytesRead >= m_options.responseReadCap) {
        // Enough to show what the receiver said; the rest is never buffered. The read
        // buffer limit stops QNAM from pulling more off the socket until the abort lands.
        it->capped = true;
        QTimer::singleShot(0, reply, [reply] { reply->abort(); });
    }
}

void Dispatcher::onFinished(QNetworkReply *reply)
{
    auto it = m_active.find(reply);
    if (it == m_active.end())
        return;
    Active active = std::move(*it);
    m_active.erase(it);
    reply->deleteLater();
    // The timer is left as it is: at worst it fires for a deadline that is gone, finds
    // nothing due and re-arms for the next one. Re-arming it here cost a timer restart on
    // nearly every attempt, since attempts mostly finish in the order they started.
    if (active.deadline != m_deadlines.end())
        m_deadlines.erase(active.deadline);
    if (NamSlot *slot = active.slot) {
        --active.load->perSlot[size_t(slot->position)];
        if (--active.load->total == 0)
            m_keyLoad.erase(active.connectionKey);
        if (--slot->inFlight == 0)
            slot->idleSince = m_clock.elapsed();
    }

    Attempt &a = active.attempt;
    a.durationMs = active.clock.elapsed();
    a.responseStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.responseReason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    if (a.responseStatus > 0) {
        const bool h2 = reply->attribute(QNetworkRequest::Http2WasUsedAttribute).toBool();
        a.protocol = !h2                                               ? QStringLiteral("http/1.1")
                     : reply->url().scheme() == QLatin1String("https") ? QStringLiteral("h2")
                                                                       : QStringLiteral("h2c");
        // One HTTP/2 connection carries many attempts: later ones to this server share it
        // rather than open a manager each.
        if (h2)
            m_h2Keys.insert(active.connectionKey);
    }
    for (const auto &h : reply->rawHeaderPairs())
        a.responseHeaders.append({QString::fromLatin1(h.first), QString::fromUtf8(h.second)});
    // Most answers (a 204, or a body already taken by onReadyRead) leave nothing to read;
    // readAll() on an empty reply still costs an allocation and a read round.
    if (!active.capped && !active.timedOut && reply->bytesAvailable() > 0) {
        const QByteArray rest = reply->readAll();
        active.bytesRead += rest.size();
        const qsizetype room = m_options.storedBodyCap - a.responseBody.size();
        if (room > 0)
            a.responseBody.append(rest.left(room));
    }
    const qint64 declared = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
    a.responseBodySize = qMax(active.bytesRead, active.capped ? declared : 0);

    const QUrl url = reply->url();
    const int status = a.responseStatus;
    a.errorClass =
        classifyAttempt({status, reply->error(), active.timedOut, !active.tlsErrors.isEmpty()});
    using Kind = AttemptError::Kind;
    if (active.timedOut) {
        a.error = status > 0
                      ? AttemptError(Kind::TimeoutAnswered,
                                     {QString::number(status), QString::number(active.timeoutMs)})
                      : AttemptError(Kind::Timeout, {hostPort(url)});
    } else if (status > 0) {
        if (a.errorClass == ErrorClass::Http3xx)
            a.error =
                AttemptError(Kind::Redirect, {QString::number(status), a.responseReason,
                                              QString::fromUtf8(reply->rawHeader("Location"))});
        else if (a.errorClass != ErrorClass::None)
            a.error = AttemptError(Kind::HttpStatus, {QString::number(status), a.responseReason});
        if (active.capped)
            a.error.then(Kind::BodyCapped, {QString::number(m_options.responseReadCap / 1024)});
    } else {
        switch (reply->error()) {
        case QNetworkReply::HostNotFoundError:
            a.error = AttemptError(Kind::Dns, {url.host()});
            break;
        case QNetworkReply::ConnectionRefusedError:
            a.error = AttemptError(Kind::Refused, {hostPort(url)});
            break;
        case QNetworkReply::TimeoutError:
            a.error = AttemptError(Kind::NoAnswerInTime, {hostPort(url)});
            break;
        case QNetworkReply::SslHandshakeFailedError:
        case QNetworkReply::InsecureRedirectError:
            a.error = AttemptError(
                Kind::Tls, {hostPort(url), active.tlsErrors.isEmpty()
                                               ? reply->errorString()
                                               : active.tlsErrors.join(QLatin1String("; "))});
            break;
        case QNetworkReply::OperationCanceledError:
            a.error = active.tlsErrors.isEmpty()
                          ? AttemptError(Kind::Aborted)
                          : AttemptError(Kind::Tls, {hostPort(url),
                                                     active.tlsErrors.join(QLatin1String("; "))});
            break;
        case QNetworkReply::RemoteHostClosedError:
            a.error = AttemptError(Kind::Closed, {hostPort(url)});
            break;
        default:
            a.error = AttemptError(Kind::Failed, {hostPort(url), reply->errorString()});
            break;
        }
    }

    auto job = m_jobs.find(active.deliveryId);
    if (job == m_jobs.end()) {
        if (--m_inFlightPerEndpoint[active.endpointId] <= 0)
            m_inFlightPerEndpoint.remove(active.endpointId);
        return;
    }
    job->sending = false;
    finishAttempt(active, *job);
}

namespace {
QByteArray retryAfterHeader(const Attempt &a)
{
    for (const HttpHeader &h : a.responseHeaders) {
        if (h.name.compare(QLatin1String("retry-after"), Qt::CaseInsensitive) == 0)
            return h.value.toLatin1();
    }
    return {};
}
} // namespace

void Dispatcher::finishAttempt(Active &active, Job &job)
{
    Attempt &a = active.attempt;
    Delivery &d = job.delivery;
    const QString endpointId = d.endpointId;
    if (--m_inFlightPerEndpoint[endpointId] <= 0)
        m_inFlightPerEndpoint.remove(endpointId);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const ErrorClass storedError = d.lastError; // what the delivery's row holds now
    d.attemptCount = a.number;
    d.lastStatus = a.responseStatus;
    d.lastError = a.errorClass;
    d.lastDurationMs = a.durationMs;
    d.updated = now;

    const bool succeeded = a.errorClass == ErrorClass::None;
    if (succeeded)
        ++m_counters.succeeded;
    else
        ++m_counters.failed;
    const qint64 retryAfter = succeeded ? -1 : parseRetryAfterSeconds(retryAfterHeader(a), now);
    const OutcomeDecision decision =
        decideOutcome(a.errorClass, a.responseStatus, m_endpoints.value(endpointId).retry, a.number,
                      retryAfter, succeeded ? 0.0 : m_rng.generateDouble() * 2.0 - 1.0);
    // Also while shutting down: a retrying delivery stays so in the store for the next start.
    d.state = decision.state;
    d.nextAttempt = decision.state == DeliveryState::Retrying ? now.addMSecs(decision.retryDelayMs)
                                                              : QDateTime();
    const bool finalOutcome = decision.state != DeliveryState::Retrying;
    const QString disableReason = decision.disableEndpoint
                                      ? tr("answered 410 Gone at %1").arg(now.toString(Qt::ISODate))
                                      : QString();

    if (!disableReason.isEmpty()) {
        auto ep = m_endpoints.find(endpointId);
        const bool wasEnabled = ep != m_endpoints.end() && ep->enabled;
        if (ep != m_endpoints.end()) {
            ep->enabled = false;
            ep->disabledReason = disableReason;
        }
        if (wasEnabled)
            emit endpointDisabled(endpointId, disableReason);
    }
    persistOutcome(job, a, storedError, finalOutcome, succeeded, disableReason);

    const Delivery delivery = d;
    const Attempt attempt = a;
    if (finalOutcome)
        m_jobs.remove(delivery.id);
    else if (m_reader && decision.retryDelayMs > kHoldRetryMs)
        m_jobs.remove(delivery.id); // the store has it due then; a claim brings it back
    else if (!m_stopping)
        schedule(delivery.id, delivery.nextAttempt);
    emit attemptFinished(delivery, attempt);
    if (finalOutcome)
        emit deliveryFinished(delivery, attempt.error.text());
    pump();
    checkIdle();
}

void Dispatcher::persistOutcome(const Job &job, const Attempt &attempt, ErrorClass storedError,
                                bool finalOutcome, bool succeeded, const QString &disableReason)
{
    const auto ep = m_endpoints.constFind(job.delivery.endpointId);
    const int threshold = ep == m_endpoints.constEnd() ? 0 : ep->retry.disableAfterFailures;
    const Outcome outcome{job.delivery, attempt,       storedError, finalOutcome,
                          succeeded,    disableReason, threshold};
    if (m_stalled) {
        // Queued behind the outcomes already waiting, in order.
        m_unrecorded.append(outcome);
        return;
    }
    writeOutcomes({outcome});
}

bool Dispatcher::recordOutcomes(Store &store, const QList<Outcome> &outcomes,
                                QList<std::pair<QString, QString>> *disabled)
{
    QList<Store::RecordedAttempt> records;
    records.reserve(outcomes.size());
    for (const Outcome &o : outcomes) {
        const ActivityOutcome counted = o.succeeded      ? ActivityOutcome::Succeeded
                                        : o.finalOutcome ? ActivityOutcome::Failed
                                                         : ActivityOutcome::Retrying;
        records.append({o.attempt, o.delivery, o.storedError, counted});
    }
    // The runs of failures, in order: successes end their endpoints' runs. Those before the
    // batch's first failure go with the attempts (one statement on a server); the rest are
    // applied between the failures, in their order.
    QStringList endingFirst;
    qsizetype next = 0;
    for (; next < outcomes.size(); ++next) {
        const Outcome &o = outcomes.at(next);
        if (o.finalOutcome && !o.succeeded)
            break;
        if (o.finalOutcome)
            endingFirst << o.delivery.endpointId;
    }
    if (!store.recordAttempts(records, endingFirst))
        return false;
    QStringList succeeded;
    for (; next < outcomes.size(); ++next) {
        const Outcome &o = outcomes.at(next);
        if (!o.finalOutcome)
            continue;
        if (o.succeeded) {
            succeeded << o.delivery.endpointId;
            continue;
        }
        if (!store.endFailureRuns(std::exchange(succeeded, {})))
            return false;
        const int run = store.recordEndpointOutcome(o.delivery.endpointId, false);
        // Only a final failure can disable the endpoint.
        if (!o.disableReason.isEmpty()) {
            store.setEndpointEnabled(o.delivery.endpointId, false, o.disableReason);
        } else if (failureRunDisables(run, o.threshold) &&
                   store.endpoint(o.delivery.endpointId).value_or(Endpoint()).enabled) {
            // (A test sent to an endpoint already disabled does not disable it again.)
            const QString why = tr("%n deliveries in a row failed", nullptr, run);
            store.setEndpointEnabled(o.delivery.endpointId, false, why);
            disabled->append({o.delivery.endpointId, why});
        }
    }
    return store.endFailureRuns(succeeded);
}

// Outcome records are Lazy commits: a power cut that loses one only means the attempt is made
// again (with the same webhook-id), while a sync per attempt would halve the throughput.
// Outcomes that arrive while the writer is busy wait in m_outcomes and go into its next batch
// as one operation: one statement for all of them on a server (Store::recordAttempts).
void Dispatcher::writeOutcomes(const QList<Outcome> &outcomes)
{
    {
        QMutexLocker lock(&m_outcomes->mutex);
        const bool submitted = !m_outcomes->waiting.isEmpty(); // and not yet taken
        m_outcomes->waiting += outcomes;
        if (submitted)
            return;
    }
    // What the operation took, kept for a second run (see StoreWriter) and for the callback.
    auto taken = std::make_shared<std::optional<QList<Outcome>>>();
    auto disabled = std::make_shared<QList<std::pair<QString, QString>>>();
    m_writer->submit(
        [queue = m_outcomes, taken, disabled](Store &store) {
            if (!*taken) {
                QMutexLocker lock(&queue->mutex);
                *taken = std::exchange(queue->waiting, {});
            }
            disabled->clear(); // the writer may run this again after another write failed
            return recordOutcomes(store, **taken, disabled.get());
        },
        this,
        [this, taken, disabled](bool ok) {
            const QList<Outcome> outcomes = taken->value_or(QList<Outcome>());
            if (!ok) {
                // Not recorded: kept, in order, and written once the store works again. The
                // deliveries stay claimed meanwhile, so nobody sends them again.
                m_unrecorded = outcomes + m_unrecorded;
                stall(m_writer->lastError());
                return;
            }
            bool orderedDone = false;
            for (const Outcome &o : outcomes)
                orderedDone = orderedDone || (o.finalOutcome && !o.delivery.orderKey.isEmpty());
            if (orderedDone) {
                // The next delivery with its key may go now, ours or another process's.
                claimWaitingOrdered();
                requestClaim();
            }
            for (const auto &[endpointId, why] : std::as_const(*disabled)) {
                auto ep = m_endpoints.find(endpointId);
                if (ep != m_endpoints.end()) {
                    ep->enabled = false;
                    ep->disabledReason = why;
                }
                emit endpointDisabled(endpointId, why);
            }
        },
        StoreWriter::Commit::Lazy);
}

void Dispatcher::stall(const QString &error)
{
    if (!m_stalled) {
        m_stalled = true;
        emit storeFailing(error.isEmpty() ? tr("The database cannot be written.") : error);
    }
    if (!m_probeTimer.isActive() && !m_probePending && !m_stopping)
        m_probeTimer.start(kProbeMs);
}

// While stalled, one write a second tells whether the store works again: the outcomes that
// are waiting if there are any, otherwise a claim (which writes only if work is due).
void Dispatcher::probeStore()
{
    if (!m_stalled || m_probePending)
        return;
    m_probePending = true;
    if (!m_unrecorded.isEmpty()) {
        const QList<Outcome> waiting = m_unrecorded;
        m_unrecorded.clear();
        writeOutcomes(waiting);
        m_writer->submit([](Store &) { return true; }, this,
                         [this](bool) {
                             m_probePending = false;
                             if (m_unrecorded.isEmpty())
                                 recovered();
                             else
                                 m_probeTimer.start(kProbeMs);
                         });
        return;
    }
    const Claim claim = lease();
    const bool taking = m_reader != nullptr;
    auto got = std::make_shared<std::pair<QList<ClaimedDelivery>, QStringList>>();
    const ClaimRequest request = claimRooms();
    m_writer->submit(
        [claim, got, taking, rooms = request.rooms](Store &store) {
            return !taking ||
                   store.claimDueByEndpoint(claim, QDateTime::currentDateTimeUtc(), rooms,
                                            kUnknownEndpointWindow, &got->first, &got->second);
        },
        this,
        [this, got, request](bool ok) {
            m_probePending = false;
            if (!ok) {
                m_probeTimer.start(kProbeMs);
                return;
            }
            recovered();
            claimed(request, got->first, got->second);
        },
        StoreWriter::Commit::Lazy);
}

void Dispatcher::recovered()
{
    if (!m_stalled)
        return;
    m_stalled = false;
    m_probeTimer.stop();
    emit storeRecovered();
    // Slots held on a connection that went away went with it: what is held is asked anew.
    if (m_sharedLimits && !m_slots.isEmpty())
        m_slotCheck.start(0);
    pump();
    checkIdle();
}

void Dispatcher::cancel(Job &job, const QString &why)
{
    Delivery d = job.delivery;
    d.state = DeliveryState::Cancelled;
    d.updated = QDateTime::currentDateTimeUtc();
    d.nextAttempt = QDateTime();
    m_jobs.remove(d.id);
    // Lazy: if it is lost, the delivery comes due again and is cancelled again.
    const bool ordered = !d.orderKey.isEmpty();
    m_writer->submit([d](Store &store) { return store.updateDelivery(d); }, this,
                     [this, ordered](bool ok) {
                         if (ok && ordered) {
                             claimWaitingOrdered();
                             requestClaim();
                         }
                     },
                     StoreWriter::Commit::Lazy);
    emit deliveryFinished(d, why);
}

int Dispatcher::resume(const Store &reader)
{
    m_reader = &reader;
    m_claimAhead = reader.isPostgres() ? kServerClaimAhead : 1;
    auto got = std::make_shared<std::pair<QList<ClaimedDelivery>, QStringList>>();
    const Claim claim = lease();
    const qint64 failedBefore = m_writer->failedOperations();
    const ClaimRequest request = claimRooms();
    m_writer->submit(
        [claim, got, rooms = request.rooms](Store &store) {
            const QDateTime now = QDateTime::currentDateTimeUtc();
            store.releaseDeadOwners(ownerIsDead, now);
            return store.claimDueByEndpoint(claim, now, rooms, kUnknownEndpointWindow, &got->first,
                                            &got->second);
        },
        nullptr, {}, StoreWriter::Commit::Lazy);
    // The result is read after the commit; the callback route would only return later.
    m_writer->flush();
    if (m_writer->failedOperations() != failedBefore) {
        got->first.clear();
        got->second.clear();
        stall(m_writer->lastError());
    }
    const int n = int(got->first.size());
    claimed(request, got->first, got->second);
    m_pollMs = reader.pollIntervalMs();
    m_pollTimer.start(m_pollMs);
    return n;
}

void Dispatcher::wake()
{
    if (m_reader && !m_stalled && !m_stopping)
        requestClaim();
}

void Dispatcher::addWaiting(const Delivery &delivery)
{
    const QString group = delivery.endpointId + u'\n' + delivery.orderKey;
    m_waitingOrdered[group].push_back(delivery.id);
    m_waitingGroup.insert(delivery.id, group);
    if (!m_orderedTimer.isActive())
        m_orderedTimer.start();
}

bool Dispatcher::removeWaiting(const QString &deliveryId)
{
    const auto g = m_waitingGroup.constFind(deliveryId);
    if (g == m_waitingGroup.constEnd())
        return false;
    auto group = m_waitingOrdered.find(*g);
    if (group != m_waitingOrdered.end()) {
        std::deque<QString> &ids = *group;
        const auto it = std::find(ids.begin(), ids.end(), deliveryId); // the front, mostly
        if (it != ids.end())
            ids.erase(it);
        if (ids.empty())
            m_waitingOrdered.erase(group);
    }
    m_waitingGroup.erase(g);
    return true;
}

// Held ordered deliveries of ours whose turn may have come: the store claims those that wait
// for nothing any more.
void Dispatcher::claimWaitingOrdered()
{
    if (m_waitingOrdered.isEmpty()) {
        m_orderedTimer.stop();
        return;
    }
    if (m_orderedClaimPending || m_stalled || m_stopping)
        return;
    m_orderedClaimPending = true;
    QStringList ids;
    for (const std::deque<QString> &group : std::as_const(m_waitingOrdered))
        ids << group.front();
    auto got = std::make_shared<std::pair<QList<ClaimedDelivery>, QStringList>>();
    m_writer->submit(
        [ids, got, claim = lease()](Store &store) {
            return store.claimIfFirst(ids, claim, QDateTime::currentDateTimeUtc(), &got->first,
                                      &got->second);
        },
        this,
        [this, got](bool ok) {
            m_orderedClaimPending = false;
            if (!ok) {
                stall(m_writer->lastError());
                return;
            }
            for (const QString &id : std::as_const(got->second)) {
                if (removeWaiting(id))
                    emit deliveryTakenElsewhere(id);
            }
            takeClaimed(got->first, AttemptTrigger::Scheduled);
            if (m_waitingOrdered.isEmpty())
                m_orderedTimer.stop();
        },
        StoreWriter::Commit::Lazy);
}

// Claims the next batch of due work, if this dispatcher takes due work and has room for it.
void Dispatcher::requestClaim()
{
    if (!m_reader || m_claimPending || m_stalled || m_stopping)
        return;
    // Asked also when every known endpoint's queue is full: endpoints another process added
    // get their share (kUnknownEndpointWindow).
    const ClaimRequest request = claimRooms();
    m_claimPending = true;
    auto got = std::make_shared<std::pair<QList<ClaimedDelivery>, QStringList>>();
    const Claim claim = lease();
    m_writer->submit(
        [claim, got, rooms = request.rooms](Store &store) {
            return store.claimDueByEndpoint(claim, QDateTime::currentDateTimeUtc(), rooms,
                                            kUnknownEndpointWindow, &got->first, &got->second);
        },
        this,
        [this, got, request](bool ok) {
            m_claimPending = false;
            if (!ok) {
                stall(m_writer->lastError());
                return;
            }
            claimed(request, got->first, got->second);
        },
        StoreWriter::Commit::Lazy);
}

int Dispatcher::roomFor(const QString &endpointId) const
{
    const auto ep = m_endpoints.constFind(endpointId);
    const int window =
        ep == m_endpoints.constEnd() ? kUnknownEndpointWindow * m_claimAhead : readyWindow(*ep);
    const int have = queuedFor(endpointId);
    // Claimed in batches: only once the queue is down to half its window.
    return have <= window / 2 ? window - have : 0;
}

Dispatcher::ClaimRequest Dispatcher::claimRooms() const
{
    ClaimRequest r;
    for (auto it = m_endpoints.cbegin(); it != m_endpoints.cend(); ++it) {
        const int room = roomFor(it.key());
        r.rooms.insert(it.key(), room);
        if (room > 0)
            r.asked << it.key();
    }
    // Endpoints not read yet (added by another process) that are waiting for more.
    for (const QString &id : m_moreDue) {
        if (!r.rooms.contains(id)) {
            const int room = roomFor(id);
            r.rooms.insert(id, room);
            if (room > 0)
                r.asked << id;
        }
    }
    return r;
}

void Dispatcher::claimed(const ClaimRequest &request, const QList<ClaimedDelivery> &claimed,
                         const QStringList &full)
{
    for (const QString &id : request.asked)
        m_moreDue.remove(id);
    for (const QString &id : full)
        m_moreDue.insert(id);
    takeClaimed(claimed, AttemptTrigger::Scheduled);
}

void Dispatcher::takeClaimed(const QList<ClaimedDelivery> &claimed, AttemptTrigger trigger)
{
    for (const ClaimedDelivery &c : claimed) {
        auto existing = m_jobs.find(c.delivery.id);
        if (existing != m_jobs.end()) {
            // Ours already (a retry that came due while we still held it): not twice. But a
            // retry of ours waiting for a later time that the store hands out now (queued for
            // redelivery, or recovered, meanwhile) goes now, as stored.
            for (auto it = m_scheduled.begin(); it != m_scheduled.end(); ++it) {
                if (it->second == c.delivery.id) {
                    m_scheduled.erase(it);
                    existing->delivery = c.delivery;
                    existing->trigger = trigger;
                    makeReady(c.delivery.id);
                    break;
                }
            }
            continue;
        }
        removeWaiting(c.delivery.id);
        m_jobs.insert(c.delivery.id, Job{c.delivery, c.payload, trigger});
        makeReady(c.delivery.id);
    }
    pump();
    checkIdle();
}

// A retry of ours has come due: the store says whether it is still ours to send (another
// process may have taken it meanwhile, or an admin sent it by hand).
void Dispatcher::reclaimForRetry(const QString &deliveryId)
{
    auto claimed = std::make_shared<std::optional<ClaimedDelivery>>();
    const Claim claim = lease();
    m_writer->submit(
        [deliveryId, claim, claimed](Store &store) {
            // Refused when someone else holds it or has already finished it: nothing to do.
            QString refusal;
            return store.claimOne(deliveryId, claim, QDateTime::currentDateTimeUtc(), claimed.get(),
                                  &refusal, Store::ClaimState::Unfinished);
        },
        this,
        [this, deliveryId, claimed](bool ok) {
            auto job = m_jobs.find(deliveryId);
            if (job == m_jobs.end())
                return;
            if (!ok) {
                // Could not ask: try again with the store.
                schedule(deliveryId, QDateTime::currentDateTimeUtc().addMSecs(kProbeMs));
                stall(m_writer->lastError());
                return;
            }
            if (!*claimed) {
                m_jobs.erase(job); // someone else's now, or already final
                checkIdle();
                return;
            }
            job->delivery = (*claimed)->delivery;
            job->trigger = AttemptTrigger::Scheduled;
            makeReady(deliveryId);
            pump();
        },
        StoreWriter::Commit::Lazy);
}

// Once a second: is anything due that nobody holds (work queued by another process, a retry
// another process left, a lease that ran out)? One look at the due-time index's first entry.
void Dispatcher::onPoll()
{
    if (!m_reader || m_stalled || m_stopping)
        return;
    // Now and then, free what processes on this machine that died left claimed, rather than
    // wait for their leases (a start does this too).
    if (++m_polls % qMax(1, kLeaseMs / m_pollMs / 2) == 0) {
        m_writer->submit(
            [](Store &store) {
                store.releaseDeadOwners(ownerIsDead, QDateTime::currentDateTimeUtc());
                return true;
            },
            nullptr, {}, StoreWriter::Commit::Lazy);
    }
    if (!m_moreDue.isEmpty()) {
        requestClaim();
        return;
    }
    const QDateTime next = m_reader->nextDue();
    if (next.isValid() && next <= QDateTime::currentDateTimeUtc())
        requestClaim();
}

void Dispatcher::renewLeases()
{
    if (m_stopping)
        return;
    QSet<QString> waiting; // retries waiting in memory hold no lease
    for (const auto &[due, id] : m_scheduled)
        waiting.insert(id);
    QStringList held;
    for (auto it = m_jobs.cbegin(); it != m_jobs.cend(); ++it) {
        if (!waiting.contains(it.key()))
            held << it.key();
    }
    if (held.isEmpty())
        return;
    m_writer->submit(
        [held, claim = lease()](Store &store) { return store.renewClaims(held, claim); }, this,
        [this](bool ok) {
            if (!ok)
                stall(m_writer->lastError());
        },
        StoreWriter::Commit::Lazy);
}

bool Dispatcher::redeliver(const Store &store, const QString &deliveryId, QString *error)
{
    for (const Active &a : std::as_const(m_active)) {
        if (a.deliveryId == deliveryId) {
            if (error)
                *error = tr("Delivery %1 is being attempted right now.").arg(deliveryId);
            return false;
        }
    }
    QString notSendable;
    const std::optional<ClaimedDelivery> found = store.sendable(deliveryId, &notSendable);
    if (!found) {
        if (error)
            *error = notSendable;
        return false;
    }
    if (!m_endpoints.contains(found->delivery.endpointId)) {
        if (error)
            *error = tr("The endpoint of delivery %1 was removed.").arg(deliveryId);
        return false;
    }
    // Whether it is waiting for a retry here or anywhere else, it is claimed first: the
    // store refuses while another process's lease on it runs.
    auto claimed = std::make_shared<std::optional<ClaimedDelivery>>();
    auto why = std::make_shared<QString>();
    const Claim claim = lease();
    m_writer->submit(
        [deliveryId, claim, claimed, why](Store &store) {
            why->clear();
            // A refusal is an answer, not a failed write.
            return store.claimOne(deliveryId, claim, QDateTime::currentDateTimeUtc(), claimed.get(),
                                  why.get());
        },
        this,
        [this, deliveryId, claimed, why](bool ok) {
            if (!ok || !*claimed) {
                if (!ok)
                    stall(m_writer->lastError());
                emit redeliveryRefused(deliveryId, ok ? *why : m_writer->lastError());
                return;
            }
            for (auto it = m_scheduled.begin(); it != m_scheduled.end(); ++it) {
                if (it->second == deliveryId) {
                    m_scheduled.erase(it);
                    break;
                }
            }
            const auto inHand = m_jobs.constFind(deliveryId);
            if (inHand != m_jobs.constEnd() && (inHand->ready || inHand->sending))
                return; // on its way already (claimed here meanwhile): not twice
            m_jobs.insert(deliveryId,
                          Job{(*claimed)->delivery, (*claimed)->payload, AttemptTrigger::Manual});
            makeReady(deliveryId);
            pump();
        },
        StoreWriter::Commit::Lazy);
    return true;
}

void Dispatcher::sendDue(const QList<Delivery> &deliveries)
{
    if (!m_sending || deliveries.isEmpty())
        return;
    if (m_reader) {
        requestClaim();
        return;
    }
    QStringList unordered;
    for (const Delivery &d : deliveries) {
        if (m_jobs.contains(d.id) || m_waitingGroup.contains(d.id))
            continue;
        if (d.orderKey.isEmpty())
            unordered << d.id;
        else
            addWaiting(d); // claimed in publishing order, as held deliveries are
    }
    claimWaitingOrdered();
    if (unordered.isEmpty())
        return;
    auto got = std::make_shared<std::pair<QList<ClaimedDelivery>, QStringList>>();
    m_writer->submit(
        [unordered, got, claim = lease()](Store &store) {
            return store.claimIfFirst(unordered, claim, QDateTime::currentDateTimeUtc(),
                                      &got->first, &got->second);
        },
        this,
        [this, got](bool ok) {
            if (!ok) {
                stall(m_writer->lastError());
                return;
            }
            for (const QString &id : std::as_const(got->second))
                emit deliveryTakenElsewhere(id);
            takeClaimed(got->first, AttemptTrigger::Manual);
        },
        StoreWriter::Commit::Lazy);
}

int Dispatcher::retryFailedSince(const Store &store, const QString &endpointId,
                                 const QDateTime &since)
{
    int n = 0;
    for (const Delivery &d : store.failedDeliveries(endpointId, since)) {
        if (redeliver(store, d.id))
            ++n;
    }
    return n;
}

void Dispatcher::shutdown(int graceMs)
{
    m_stopping = true;
    m_retryTimer.stop();
    m_pollTimer.stop();
    m_renewTimer.stop();
    m_probeTimer.stop();
    QElapsedTimer clock;
    clock.start();
    while (!m_active.isEmpty() && clock.elapsed() < graceMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    const QList<QNetworkReply *> replies = m_active.keys();
    for (QNetworkReply *r : replies)
        r->abort(); // recorded as aborted; the delivery stays retrying for the next start
    // Outcomes the store refused get one last try; whatever still fails stays claimed until
    // the lease runs out and is then sent again by whoever takes it.
    if (!m_unrecorded.isEmpty()) {
        const QList<Outcome> waiting = std::exchange(m_unrecorded, {});
        writeOutcomes(waiting);
    }
    // What was claimed but not started goes back to the store, due now for anyone.
    QStringList unstarted;
    for (auto it = m_ready.cbegin(); it != m_ready.cend(); ++it) {
        for (const QString &id : it.value())
            unstarted << id;
    }
    if (!unstarted.isEmpty())
        m_writer->submit(
            [unstarted, owner = m_owner](Store &store) {
                return store.releaseClaims(unstarted, owner, QDateTime::currentDateTimeUtc());
            },
            nullptr, {}, StoreWriter::Commit::Lazy);
    m_writer->flush();
}

DispatcherCounters Dispatcher::counters() const
{
    DispatcherCounters c = m_counters;
    c.inFlight = int(m_active.size());
    c.queued = m_readyCount;
    c.retrying = qint64(m_scheduled.size());
    return c;
}

void Dispatcher::checkIdle()
{
    if (isIdle())
        emit idle();
}
