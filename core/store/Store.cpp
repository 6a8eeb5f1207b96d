// SPDX-License-Identifier: GPL-3.0-or-later
#include "Store.h"

#include "DatabaseUrl.h"
#include "PgConnection.h"
#include "SecretBox.h"
#include "StoreStatement.h"
#include "domain/EndpointValidation.h"
#include "encoding/JsonText.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>
#include <QVariant>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

namespace {

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(Store)
};

QString newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// QtSql binds a null QString or QByteArray as SQL NULL; the columns are NOT NULL.
QVariant text(const QString &s)
{
    return QVariant(s.isNull() ? QStringLiteral("") : s);
}

QVariant ms(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toMSecsSinceEpoch()) : QVariant();
}

QDateTime fromMs(const QVariant &v)
{
    return v.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(v.toLongLong(), Qt::UTC);
}

// [["name","value"],…] written by hand: this runs twice per recorded attempt, and going
// through QJsonArray/QJsonDocument cost more than the SQL insert itself.
QString headersToJson(const QList<HttpHeader> &headers)
{
    QString out;
    out.reserve(32 * headers.size() + 2);
    out += u'[';
    for (qsizetype i = 0; i < headers.size(); ++i) {
        if (i)
            out += u',';
        out += QLatin1String("[\"") + JsonText::escapeString(headers.at(i).name) +
               QLatin1String("\",\"") + JsonText::escapeString(headers.at(i).value) +
               QLatin1String("\"]");
    }
    out += u']';
    return out;
}

QList<HttpHeader> headersFromJson(const QString &json)
{
    QList<HttpHeader> out;
    const QJsonArray a = QJsonDocument::fromJson(json.toUtf8()).array();
    for (const QJsonValue &v : a) {
        const QJsonArray pair = v.toArray();
        out.append({pair.at(0).toString(), pair.at(1).toString()});
    }
    return out;
}

QString stringsToJson(const QStringList &list)
{
    return QString::fromUtf8(
        QJsonDocument(QJsonArray::fromStringList(list)).toJson(QJsonDocument::Compact));
}

QStringList stringsFromJson(const QString &json)
{
    QStringList out;
    for (const QJsonValue &v : QJsonDocument::fromJson(json.toUtf8()).array())
        out << v.toString();
    return out;
}

QString intsToJson(const QList<int> &list)
{
    QJsonArray a;
    for (int i : list)
        a.append(i);
    return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
}

QList<int> intsFromJson(const QString &json)
{
    QList<int> out;
    for (const QJsonValue &v : QJsonDocument::fromJson(json.toUtf8()).array())
        out << v.toInt();
    return out;
}

const char *const kMigrations[] = {
    // 1: the first schema.
    R"(
CREATE TABLE endpoints (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL,
    disabled_reason TEXT NOT NULL DEFAULT '',
    all_events INTEGER NOT NULL,
    event_types TEXT NOT NULL,
    format TEXT NOT NULL,
    headers TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    previous_secret TEXT NOT NULL DEFAULT '',
    previous_secret_expires INTEGER,
    timeout_ms INTEGER NOT NULL,
    retry_schedule TEXT NOT NULL,
    max_attempts INTEGER NOT NULL,
    disable_after_failures INTEGER NOT NULL,
    verify_tls INTEGER NOT NULL,
    http2_cleartext INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE event_types (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    template TEXT NOT NULL
);
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,
    created INTEGER NOT NULL,
    origin TEXT NOT NULL,
    scenario_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    state TEXT NOT NULL,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    next_attempt INTEGER,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT 'none',
    last_duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_by_state ON deliveries(state, seq);
CREATE INDEX deliveries_by_outcome ON deliveries(last_error, seq);
CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint_id, seq);
CREATE INDEX deliveries_by_type ON deliveries(event_type, seq);
CREATE INDEX deliveries_by_event ON deliveries(event_id);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    started INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    request_url TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body BLOB NOT NULL,
    response_status INTEGER NOT NULL,
    response_reason TEXT NOT NULL DEFAULT '',
    response_headers TEXT NOT NULL,
    response_body BLOB NOT NULL,
    response_body_size INTEGER NOT NULL,
    error_class TEXT NOT NULL,
    error_text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, number);
)",
    // 2: claims. due_at is when anyone may take the delivery (its next attempt, or the end
    // of the lease of the process that holds it); NULL once it is final.
    R"(
ALTER TABLE deliveries ADD COLUMN due_at INTEGER;
ALTER TABLE deliveries ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET due_at = COALESCE(next_attempt, updated)
    WHERE state IN ('pending', 'in-flight', 'retrying');
CREATE INDEX deliveries_due ON deliveries(due_at) WHERE due_at IS NOT NULL;
)",
    // 3: the admin API: its tokens (a hash, never the token) and the first answer to each
    // Idempotency-Key, kept 24 hours.
    R"(
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash BLOB NOT NULL UNIQUE,
    read_only INTEGER NOT NULL,
    created INTEGER NOT NULL,
    last_used INTEGER
);
CREATE TABLE api_idempotency (
    token_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    response BLOB NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created);
)",
    // 4: endpoint secrets and custom header values sealed (SecretBox), and custom header values
    // redacted from recorded requests (done in C++ by sealPlainSecrets()); the settings every
    // process on the store shares (egress policy, payload limit).
    R"(
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
)",
    // 5: a retry that sends the same body as the attempt before it stores none: 1 here means
    // "the body of the latest earlier attempt that has its own".
    R"(
ALTER TABLE attempts ADD COLUMN request_body_same INTEGER NOT NULL DEFAULT 0;
)",
    // 6: per-endpoint concurrency and rate limit, forcing HTTP/1.1; the protocol of each
    // attempt; due work found endpoint by endpoint.
    R"(
ALTER TABLE endpoints ADD COLUMN max_in_flight INTEGER NOT NULL DEFAULT 16;
ALTER TABLE endpoints ADD COLUMN rate_per_second REAL NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN rate_burst INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN http1_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN protocol TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_due_by_endpoint ON deliveries(endpoint_id, due_at)
    WHERE due_at IS NOT NULL;
)",
    // 7: ordered delivery per key: the endpoint's JSON pointer, each delivery's value there,
    // and an index to find the unfinished delivery a later one waits behind. Due work is
    // found endpoint by endpoint (schema 6's index) alone: one due-time index fewer to keep
    // up on every accept, claim and outcome.
    R"(
ALTER TABLE endpoints ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_in_order ON deliveries(endpoint_id, order_key, seq)
    WHERE due_at IS NOT NULL AND order_key != '';
DROP INDEX deliveries_due;
)",
    // 8: per-endpoint, per-minute activity counts (Store::activitySchemaSql(), written out in
    // C++: one column per latency bucket), filled from the attempts of the kept days.
    nullptr,
    // 9: a delivery found by its webhook-id (what a receiver logs) in the History search.
    R"(
CREATE INDEX deliveries_by_webhook_id ON deliveries(webhook_id);
)",
    // 10: an attempt's error as what happened and its particulars (AttemptError, JSON),
    // worded where it is shown; error_text keeps the words of attempts recorded before.
    R"(
ALTER TABLE attempts ADD COLUMN error_detail TEXT NOT NULL DEFAULT '';
)",
    // 11: deliveries counted by endpoint, state and outcome, kept by triggers
    // (Store::countSchemaStatements(), in C++: the triggers hold semicolons).
    nullptr,
    // 12: team mode: each save of an endpoint bumps its version, and a save made from an
    // older version is refused (two admins editing one endpoint); event types keep the order
    // they were first saved in on every backend (SQLite's rowid order, filled in by migrate()).
    R"(
ALTER TABLE endpoints ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE event_types ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
)",
};
static_assert(std::size(kMigrations) == Store::kSchemaVersion, "one migration per version");

QString sealed(const QString &plain)
{
    return SecretBox::forProcess().seal(plain);
}

// When anyone may take a delivery in this state: never once final.
QDateTime dueAt(const Delivery &d)
{
    if (isFinal(d.state))
        return {};
    return d.nextAttempt.isValid() ? d.nextAttempt : d.updated;
}

constexpr const char *kDeliveryColumns =
    "id, event_id, event_type, endpoint_id, webhook_id, state, attempt_count, created, updated, "
    "next_attempt, last_status, last_error, last_duration_ms, seq, order_key";

Delivery deliveryFrom(const QSqlQuery &q)
{
    Delivery d;
    d.id = q.value(0).toString();
    d.eventId = q.value(1).toString();
    d.eventType = q.value(2).toString();
    d.endpointId = q.value(3).toString();
    d.webhookId = q.value(4).toString();
    deliveryStateFromName(q.value(5).toString(), &d.state);
    d.attemptCount = q.value(6).toInt();
    d.created = fromMs(q.value(7));
    d.updated = fromMs(q.value(8));
    d.nextAttempt = fromMs(q.value(9));
    d.lastStatus = q.value(10).toInt();
    errorClassFromName(q.value(11).toString(), &d.lastError);
    d.lastDurationMs = q.value(12).toLongLong();
    d.seq = q.value(13).toLongLong();
    d.orderKey = q.value(14).toString();
    return d;
}

constexpr const char *kEndpointColumns =
    "id, name, url, description, enabled, disabled_reason, all_events, event_types, format, "
    "headers, secret, previous_secret, previous_secret_expires, timeout_ms, retry_schedule, "
    "max_attempts, disable_after_failures, verify_tls, http2_cleartext, created, updated, "
    "max_in_flight, rate_per_second, rate_burst, http1_only, order_key, version";

Endpoint endpointFrom(const QSqlQuery &q)
{
    Endpoint e;
    e.id = q.value(0).toString();
    e.name = q.value(1).toString();
    e.url = q.value(2).toString();
    e.description = q.value(3).toString();
    e.enabled = q.value(4).toBool();
    e.disabledReason = q.value(5).toString();
    e.allEvents = q.value(6).toBool();
    e.eventTypes = stringsFromJson(q.value(7).toString());
    payloadFormatFromName(q.value(8).toString(), &e.format);
    const SecretBox &box = SecretBox::forProcess();
    QString plain;
    QString error;
    if (box.open(q.value(9).toString(), &plain, &error))
        e.headers = headersFromJson(plain);
    else
        e.secretsError =
            Tr::tr("The custom header values of %1 cannot be read: %2").arg(e.name, error);
    if (box.open(q.value(10).toString(), &plain, &error))
        e.secret = plain;
    else
        e.secretsError = Tr::tr("The signing secret of %1 cannot be read: %2").arg(e.name, error);
    if (box.open(q.value(11).toString(), &plain, &error))
        e.previousSecret = plain;
    e.previousSecretExpires = fromMs(q.value(12));
    e.timeoutMs = q.value(13).toInt();
    e.retry.scheduleSeconds = intsFromJson(q.value(14).toString());
    e.retry.maxAttempts = q.value(15).toInt();
    e.retry.disableAfterFailures = q.value(16).toInt();
    e.verifyTls = q.value(17).toBool();
    e.http2Cleartext = q.value(18).toBool();
    e.created = fromMs(q.value(19));
    e.updated = fromMs(q.value(20));
    e.maxInFlight = q.value(21).toInt();
    e.ratePerSecond = q.value(22).toDouble();
    e.rateBurst = q.value(23).toInt();
    e.http1Only = q.value(24).toBool();
    e.orderKey = q.value(25).toString();
    e.version = q.value(26).toLongLong();
    return e;
}

} // namespace

Store::~Store()
{
    m_sqliteStatements.clear(); // finalized before QtSql closes the connection
    m_statements.clear();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connection);
}

QString Store::defaultPath(const QString &dataDir)
{
    const QString dir = dataDir.isEmpty()
                            ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
                            : dataDir;
    return QDir(dir).filePath(QStringLiteral("hookline.sqlite"));
}

bool Store::isDatabaseUrl(const QString &location)
{
    const QString t = location.trimmed();
    return t.startsWith(QLatin1String("sqlite:")) ||
           t.startsWith(QLatin1String("postgresql:"), Qt::CaseInsensitive) ||
           t.startsWith(QLatin1String("postgres:"), Qt::CaseInsensitive);
}

bool Store::isServerLocation(const QString &location)
{
    const QString t = location.trimmed();
    return t.startsWith(QLatin1String("postgresql:"), Qt::CaseInsensitive) ||
           t.startsWith(QLatin1String("postgres:"), Qt::CaseInsensitive);
}

std::unique_ptr<Store> Store::open(const QString &location, QString *error)
{
    static std::atomic<int> counter{0};
    std::unique_ptr<Store> store(new Store);
    store->m_path = location;
    store->m_display = location;
    store->m_connection = QStringLiteral("hookline-store-%1").arg(counter.fetch_add(1));

    if (!SecretBox::forProcess().ok()) {
        if (error)
            *error = SecretBox::forProcess().error();
        return nullptr;
    }
    QString path = location;
    if (isDatabaseUrl(location)) {
        const std::optional<DatabaseUrl> url = DatabaseUrl::parse(location, error);
        if (!url)
            return nullptr;
        if (url->kind == DatabaseUrl::Kind::Postgresql) {
            store->m_display = url->display();
            return openPostgres(std::move(store), error);
        }
        path = url->path;
        store->m_display = path;
    }
    const QFileInfo info(path);
    const bool newDir = !info.absoluteDir().exists();
    if (!QDir().mkpath(info.absolutePath())) {
        if (error)
            *error = Tr::tr("Cannot create the data directory %1. Check its permissions or choose "
                            "another one with --data-dir.")
                         .arg(info.absolutePath());
        return nullptr;
    }
    // Owner-only: a data directory Hookline made, the database, and (created by SQLite with
    // the database's mode) its WAL and shared-memory files. An existing database is tightened
    // too; a directory the user chose is left as it is.
    constexpr auto ownerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    if (newDir)
        QFile::setPermissions(info.absolutePath(), ownerOnly | QFileDevice::ExeOwner);
    {
        QFile db(path);
        if (!db.exists())
            db.open(QIODevice::WriteOnly | QIODevice::NewOnly, ownerOnly); // a lost race is fine
        const QStringList files = {path, path + QLatin1String("-wal"),
                                   path + QLatin1String("-shm")};
        for (const QString &f : files) {
            if (QFile::exists(f) && (QFile::permissions(f) &
                                     ~(ownerOnly | QFileDevice::ReadUser | QFileDevice::WriteUser)))
                QFile::setPermissions(f,
                                      ownerOnly | QFileDevice::ReadUser | QFileDevice::WriteUser);
        }
    }
    store->m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), store->m_connection);
    if (!store->m_db.isValid()) {
        if (error)
            *error =
                Tr::tr("The Qt SQLite driver is missing. Install the package libqt6sql6-sqlite.");
        return nullptr;
    }
    store->m_db.setDatabaseName(path);
    store->m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    if (!store->m_db.open()) {
        if (error)
            *error =
                Tr::tr("Cannot open the database %1: %2").arg(path, store->m_db.lastError().text());
        return nullptr;
    }
    const QVariant handle = store->m_db.driver()->handle();
    if (handle.isValid() && qstrcmp(handle.typeName(), "sqlite3*") == 0)
        store->m_sqlite = *static_cast<sqlite3 *const *>(handle.constData());
    if (!store->m_sqlite) {
        if (error)
            *error = Tr::tr("Qt's SQLite driver did not hand over its connection to %1. "
                            "Reinstall Qt's SQLite plugin (Debian: libqt6sql6-sqlite).")
                         .arg(path);
        return nullptr;
    }
    // SQLite quietly opens a file it may not write read-only; every write would then fail.
    if (sqlite3_db_readonly(store->m_sqlite, "main") == 1) {
        if (error)
            *error = Tr::tr("The database %1 is read-only. %2")
                         .arg(path, advice(QStringLiteral("readonly")));
        return nullptr;
    }
    // WAL lets readers (history, CLI) work while the engine writes. FULL syncs the WAL at
    // every commit, so what a commit accepted survives a power cut too, not only a crash;
    // the writer relaxes it for transactions that only record outcomes.
    if (!store->exec(QStringLiteral("PRAGMA journal_mode=WAL")) ||
        !store->exec(QStringLiteral("PRAGMA synchronous=FULL")) ||
        !store->exec(QStringLiteral("PRAGMA foreign_keys=ON"))) {
        if (error)
            *error = Tr::tr("Cannot use the database %1: %2. %3")
                         .arg(path, store->m_lastError, advice(store->m_lastError));
        return nullptr;
    }
    if (!store->migrate(error))
        return nullptr;
    return store;
}

QString Store::advice(const QString &error)
{
    const QString e = error.toLower();
    if (e.contains(QLatin1String("postgresql")) || e.contains(QLatin1String("server closed")) ||
        e.contains(QLatin1String("connection")))
        return Tr::tr("Check that the PostgreSQL server is running and can be reached from "
                      "here; Hookline connects again by itself.");
    if (e.contains(QLatin1String("full")))
        return Tr::tr("The disk is full: free some space.");
    if (e.contains(QLatin1String("readonly")) || e.contains(QLatin1String("read-only")))
        return Tr::tr("The file, its folder or its file system is read-only: fix the "
                      "permissions or the mount, or choose another --data-dir.");
    if (e.contains(QLatin1String("locked")) || e.contains(QLatin1String("busy")))
        return Tr::tr("Another program holds the database locked: close it, or wait for it, "
                      "and try again.");
    if (e.contains(QLatin1String("i/o")))
        return Tr::tr("The disk reported an I/O error: check the disk and its free space.");
    if (e.contains(QLatin1String("not a database")) || e.contains(QLatin1String("malformed")))
        return Tr::tr("The file is not a Hookline database, or is damaged: choose another "
                      "--data-dir, or restore it from a backup.");
    return Tr::tr("Check free disk space and the data directory's permissions.");
}

std::unique_ptr<Store> Store::openPostgres(std::unique_ptr<Store> store, QString *error)
{
    const std::optional<DatabaseUrl> url = DatabaseUrl::parse(store->m_path, error);
    if (!url)
        return nullptr;
    QString failure;
    if (!PgConnection::open(*url, store->m_connection, &failure)) {
        if (error)
            *error = failure;
        return nullptr;
    }
    store->m_pg = true;
    store->m_db = QSqlDatabase::database(store->m_connection, false);
    // Every commit waits for the server's WAL flush (the server's default, said anyway: a
    // role or database may have turned it off); "C" comparisons, as SQLite compares text.
    if (!store->execDirect("SET synchronous_commit = on") ||
        !store->execDirect("SET client_min_messages = warning")) {
        if (error)
            *error = PgConnection::describeFailure(*url, store->m_lastError);
        return nullptr;
    }
    if (!store->migrate(error))
        return nullptr;
    // Every process on a shared store must seal and open endpoint secrets with one key: the
    // first to open the store names it; a process with another key is refused before it
    // writes a secret the others cannot read (or fails to read theirs).
    const QString keyId = SecretBox::forProcess().keyId();
    const QString storeKey = store->setting(QStringLiteral("secrets.keyId"));
    if (storeKey.isEmpty()) {
        store->setSetting(QStringLiteral("secrets.keyId"), keyId);
    } else if (storeKey != keyId) {
        if (error)
            *error = Tr::tr("The endpoint secrets in %1 are sealed with the key %2, and this "
                            "process has the key %3. Give every Hookline process on this "
                            "database the same key: set HOOKLINE_SECRET_KEY (or copy the key "
                            "file) from a machine that uses it.")
                         .arg(store->m_display, storeKey, keyId);
        return nullptr;
    }
    return store;
}

bool Store::execDirect(const char *sql)
{
    if (!m_pg)
        return statement(sql).exec(&m_lastError);
    QSqlQuery q(m_db);
    if (!q.exec(QString::fromLatin1(sql))) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}

Store::Statement &Store::statement(const char *sql)
{
    auto it = m_sqliteStatements.find(sql);
    if (it == m_sqliteStatements.end()) {
        auto made = m_pg ? std::make_unique<Statement>(m_db, sql)
                         : std::make_unique<Statement>(m_sqlite, sql);
        it = m_sqliteStatements.emplace(sql, std::move(made)).first;
    }
    return *it->second;
}

QSqlQuery &Store::prepared(const char *sql)
{
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        auto q = std::make_unique<QSqlQuery>(m_db);
        q->prepare(QString::fromLatin1(sql));
        it = m_statements.emplace(sql, std::move(q)).first;
    }
    return *it->second;
}

bool Store::exec(const QString &sql) const
{
    QSqlQuery q(m_db);
    if (!q.exec(sql)) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}

namespace {

// A migration's SQLite text as PostgreSQL takes it: 64-bit integers (times are milliseconds),
// an identity column for SQLite's rowid alias, bytea for blobs, byte-wise ("C") text
// comparison as SQLite's BINARY does (id prefixes, ORDER BY), no WITHOUT ROWID.
QString postgresSql(QString sql)
{
    static const QList<std::pair<QRegularExpression, QString>> rules = {
        {QRegularExpression(QStringLiteral("\\bINTEGER PRIMARY KEY\\b")),
         QStringLiteral("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")},
        {QRegularExpression(QStringLiteral("\\bINTEGER\\b")), QStringLiteral("BIGINT")},
        {QRegularExpression(QStringLiteral("\\bBLOB\\b")), QStringLiteral("BYTEA")},
        {QRegularExpression(QStringLiteral("\\bREAL\\b")), QStringLiteral("DOUBLE PRECISION")},
        {QRegularExpression(QStringLiteral("\\bTEXT\\b")), QStringLiteral("TEXT COLLATE \"C\"")},
        {QRegularExpression(QStringLiteral("\\)\\s*WITHOUT ROWID")), QStringLiteral(")")},
    };
    for (const auto &[from, to] : rules)
        sql.replace(from, to);
    return sql;
}

// Serialises two processes creating or upgrading the same PostgreSQL schema (any number).
constexpr qint64 kMigrationLock = 0x486f6f6b6c696e65; // "Hookline"

} // namespace

QStringList Store::migrationStatements(int version) const
{
    QStringList statements;
    if (kMigrations[version])
        statements = QString::fromUtf8(kMigrations[version]).split(u';', Qt::SkipEmptyParts);
    else if (version + 1 == 8)
        statements = {activitySchemaSql()};
    else if (!m_pg)
        statements = countSchemaStatements(); // 11: SQLite's counting triggers
    // (PostgreSQL counts with COUNT(*) and an index; its schema 11 adds nothing.)
    if (m_pg) {
        for (QString &statement : statements)
            statement = postgresSql(statement);
    }
    return statements;
}

bool Store::readSchemaVersion(int *version, QString *error)
{
    QSqlQuery q(m_db);
    bool ok = false;
    if (!m_pg) {
        ok = q.exec(QStringLiteral("PRAGMA user_version")) && q.next();
    } else {
        // A database without the table is a new one (schema 0).
        ok =
            q.exec(QStringLiteral("SELECT to_regclass('hookline_schema') IS NOT NULL")) && q.next();
        if (ok && q.value(0).toBool()) {
            ok = q.exec(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM hookline_schema")) &&
                 q.next();
        } else if (ok) {
            *version = 0;
            return true;
        }
    }
    if (!ok) {
        if (error)
            *error = Tr::tr("Cannot read the database %1: %2. %3")
                         .arg(m_display, q.lastError().text(), advice(q.lastError().text()));
        return false;
    }
    *version = q.value(0).toInt();
    return true;
}

bool Store::writeSchemaVersion(int version)
{
    if (!m_pg)
        return exec(QStringLiteral("PRAGMA user_version = %1").arg(version));
    return exec(QStringLiteral("CREATE TABLE IF NOT EXISTS hookline_schema (version BIGINT NOT "
                               "NULL)")) &&
           exec(QStringLiteral("DELETE FROM hookline_schema")) &&
           exec(QStringLiteral("INSERT INTO hookline_schema (version) VALUES (%1)").arg(version));
}

bool Store::migrate(QString *error)
{
    int version = 0;
    if (!readSchemaVersion(&version, error))
        return false;
    if (version == kSchemaVersion)
        return true; // the common case takes no lock
    // Under the write lock, so that two processes opening a new store at once do not both
    // create it: the second waits, then finds the schema current. (PostgreSQL: DDL is
    // transactional, and an advisory lock stands for SQLite's write lock.)
    const bool locked =
        m_pg ? exec(QStringLiteral("BEGIN")) &&
                   exec(QStringLiteral("SELECT pg_advisory_xact_lock(%1)").arg(kMigrationLock))
             : exec(QStringLiteral("BEGIN IMMEDIATE"));
    if (!locked) {
        if (error)
            *error = Tr::tr("Cannot use the database %1: %2. %3")
                         .arg(m_display, m_lastError, advice(m_lastError));
        if (m_pg)
            exec(QStringLiteral("ROLLBACK"));
        return false;
    }
    if (!readSchemaVersion(&version, error)) {
        exec(QStringLiteral("ROLLBACK"));
        return false;
    }
    const auto fail = [this, error](const QString &message) {
        exec(QStringLiteral("ROLLBACK"));
        if (error)
            *error = message;
        return false;
    };
    if (version > kSchemaVersion) {
        return fail(Tr::tr("%1 was written by a newer Hookline (schema %2; this version knows "
                           "up to %3). It was left untouched: upgrade Hookline, or use another "
                           "--data-dir.")
                        .arg(m_display, QString::number(version), QString::number(kSchemaVersion)));
    }
    const int from = version;
    for (int v = version; v < kSchemaVersion; ++v) {
        for (const QString &statement : migrationStatements(v)) {
            if (statement.trimmed().isEmpty())
                continue;
            if (!exec(statement))
                return fail(Tr::tr("Upgrading %1 to schema %2 failed: %3")
                                .arg(m_display, QString::number(v + 1), m_lastError));
        }
    }
    // What older schemas stored, brought up to date (a new store has nothing to convert).
    if (from > 0 && from < 4 && !sealPlainSecrets())
        return fail(Tr::tr("Upgrading %1 to schema 4 failed: %2").arg(m_display, m_lastError));
    if (from > 0 && from < 8 && !backfillActivity(QDateTime::currentDateTimeUtc()))
        return fail(Tr::tr("Upgrading %1 to schema 8 failed: %2").arg(m_display, m_lastError));
    if (!m_pg && from > 0 && from < 12 &&
        !exec(QStringLiteral("UPDATE event_types SET position = rowid")))
        return fail(Tr::tr("Upgrading %1 to schema 12 failed: %2").arg(m_display, m_lastError));
    if (from < kSchemaVersion && !writeSchemaVersion(kSchemaVersion))
        return fail(m_lastError);
    if (!exec(QStringLiteral("COMMIT")))
        return fail(
            Tr::tr("Cannot write to %1: %2. %3").arg(m_display, m_lastError, advice(m_lastError)));
    return true;
}

// Schema 4: seals what earlier versions stored in plain text (in the migration's transaction),
// and replaces custom header values in recorded requests with the redaction mark.
bool Store::sealPlainSecrets()
{
    QSqlQuery read(m_db);
    if (!read.exec(QStringLiteral("SELECT id, headers, secret, previous_secret FROM endpoints"))) {
        m_lastError = read.lastError().text();
        return false;
    }
    struct Row
    {
        QString id;
        QString headers;
        QString secret;
        QString previous;
    };
    QList<Row> rows;
    while (read.next())
        rows.append({read.value(0).toString(), read.value(1).toString(), read.value(2).toString(),
                     read.value(3).toString()});
    read.finish();
    const auto sealOnce = [](const QString &v) {
        return SecretBox::isSealed(v) ? v : sealed(v);
    };
    for (const Row &r : std::as_const(rows)) {
        QSqlQuery update(m_db);
        update.prepare(QStringLiteral(
            "UPDATE endpoints SET headers = ?, secret = ?, previous_secret = ? WHERE id = ?"));
        const QList<HttpHeader> headers =
            SecretBox::isSealed(r.headers) ? QList<HttpHeader>() : headersFromJson(r.headers);
        update.addBindValue(text(headers.isEmpty() && !SecretBox::isSealed(r.headers)
                                     ? QString()
                                     : sealOnce(r.headers)));
        update.addBindValue(text(sealOnce(r.secret)));
        update.addBindValue(text(sealOnce(r.previous)));
        update.addBindValue(r.id);
        if (!update.exec()) {
            m_lastError = update.lastError().text();
            return false;
        }
        for (const HttpHeader &h : headers) {
            if (h.value.isEmpty())
                continue;
            const QString name =
                QLatin1String("\"") + JsonText::escapeString(h.name) + QLatin1String("\",\"");
            QSqlQuery redact(m_db);
            redact.prepare(QStringLiteral(
                "UPDATE attempts SET request_headers = replace(request_headers, ?, ?) "
                "WHERE delivery_id IN (SELECT id FROM deliveries WHERE endpoint_id = ?)"));
            redact.addBindValue(
                QString(name + JsonText::escapeString(h.value) + QLatin1String("\"]")));
            redact.addBindValue(QString(name + Endpoint::redactedValue() + QLatin1String("\"]")));
            redact.addBindValue(r.id);
            if (!redact.exec()) {
                m_lastError = redact.lastError().text();
                return false;
            }
        }
    }
    return true;
}

QString Store::setting(const QString &key, const QString &fallback) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT value FROM settings WHERE key = ?"));
    q.addBindValue(key);
    return q.exec() && q.next() ? q.value(0).toString() : fallback;
}

bool Store::setSetting(const QString &key, const QString &value)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    q.addBindValue(key);
    q.addBindValue(text(value));
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}

bool Store::setAutoCheckpointPages(int pages)
{
    if (m_pg)
        return true; // the server checkpoints
    return exec(QStringLiteral("PRAGMA wal_autocheckpoint=%1").arg(pages));
}

// On the raw connection, like the hot writes: QtSql prepared BEGIN and COMMIT afresh each
// time, and its commit() left lastError() empty when a commit failed (a full disk said nothing).
// PostgreSQL: a lazy commit returns before the server's WAL flush; a crash of the server (not
// of Hookline) may lose it, as a power cut may lose SQLite's.
bool Store::setDurableCommits(bool durable)
{
    if (m_pg)
        return durable ? execDirect("SET synchronous_commit = on")
                       : execDirect("SET synchronous_commit = off");
    return durable ? statement("PRAGMA synchronous=FULL").exec(&m_lastError)
                   : statement("PRAGMA synchronous=NORMAL").exec(&m_lastError);
}

bool Store::begin()
{
    m_inTransaction = execDirect(m_pg ? "BEGIN" : "BEGIN IMMEDIATE");
    return m_inTransaction;
}
// A notice is "<changes> <sender>": the sender's token lets a process (its engine's
// connections) skip its own. One per process unless set (two engines in one test process).
static QString processToken()
{
    static const QString token = QUuid::createUuid().toString(QUuid::Id128).left(12);
    return token;
}

void Store::setAnnounceToken(const QString &token)
{
    m_announceToken = token;
}

void Store::announce(int changes)
{
    if (!m_pg)
        return;
    m_announce |= changes;
    if (!m_inTransaction)
        sendAnnouncements(); // autocommit: the change is already committed
}

bool Store::sendAnnouncements()
{
    if (!m_announce)
        return true;
    QSqlQuery &q = prepared("SELECT pg_notify('hookline', ?)");
    q.bindValue(0, QStringLiteral("%1 %2")
                       .arg(m_announce)
                       .arg(m_announceToken.isEmpty() ? processToken() : m_announceToken));
    m_announce = 0;
    const bool ok = q.exec();
    q.finish();
    return ok;
}

bool Store::holdSlots(const QHash<QString, SlotWish> &wishes, QHash<QString, SlotGrant> *granted)
{
    granted->clear();
    const auto ints = [](const QList<int> &list) {
        QStringList parts;
        for (int i : list)
            parts << QString::number(i);
        return QStringLiteral("{%1}").arg(parts.join(u','));
    };
    for (auto it = wishes.cbegin(); it != wishes.cend(); ++it) {
        const int limit = qMax(0, it->limit);
        const int busy = qBound(0, it->busy, limit);
        const int want = qBound(0, it->want, limit);
        if (!m_pg) {
            granted->insert(it.key(), SlotGrant{want, limit, 1});
            continue;
        }
        const bool hasWork = want > 0 || busy > 0;
        if (hasWork != m_wanting.contains(it.key())) {
            QSqlQuery &say =
                prepared(hasWork ? "SELECT pg_advisory_lock_shared(hashtext(?), -1)"
                                 : "SELECT pg_advisory_unlock_shared(hashtext(?), -1)");
            say.bindValue(0, it.key());
            if (!say.exec()) {
                m_lastError = say.lastError().text();
                return false;
            }
            say.finish();
            if (hasWork)
                m_wanting.insert(it.key());
            else
                m_wanting.remove(it.key());
        }
        int share = limit;
        int sharers = 1;
        if (hasWork) {
            // pg_locks shows an advisory lock on (a, b) as classid = a's bits as an oid,
            // objid = b's, objsubid = 2 (two int4 keys).
            QSqlQuery &count = prepared(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND "
                "granted AND objid = 4294967295 AND classid = CAST((CAST(hashtext(?) AS bigint) "
                "+ 4294967296) % 4294967296 AS oid) AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())");
            count.bindValue(0, it.key());
            if (!count.exec() || !count.next()) {
                m_lastError = count.lastError().text();
                return false;
            }
            sharers = qMax(1, count.value(0).toInt());
            count.finish();
            share = (limit + sharers - 1) / sharers;
        }
        const int target = qMax(busy, qMin(want, share));
        QList<int> &mine = m_slots[it.key()];
        if (target > mine.size()) {
            // Free slots below the limit, first come first served (one that another
            // connection holds is skipped, not waited for).
            // (OFFSET 0 keeps the planner from testing a slot's lock before the "not mine"
            // condition: advisory locks are reentrant, a slot locked twice is not freed by one
            // unlock.)
            QSqlQuery &take = prepared(
                "SELECT i FROM (SELECT i FROM generate_series(0, ? - 1) AS i WHERE NOT (i = "
                "ANY(CAST(? AS int[]))) OFFSET 0) AS free WHERE pg_try_advisory_lock(hashtext(?), "
                "i) LIMIT ?");
            take.bindValue(0, limit);
            take.bindValue(1, ints(mine));
            take.bindValue(2, it.key());
            take.bindValue(3, target - int(mine.size()));
            if (!take.exec()) {
                m_lastError = take.lastError().text();
                return false;
            }
            while (take.next())
                mine << take.value(0).toInt();
            take.finish();
        } else if (target < mine.size()) {
            std::sort(mine.begin(), mine.end());
            const QList<int> spare = mine.mid(target);
            QSqlQuery &give = prepared(
                "SELECT pg_advisory_unlock(hashtext(?), i) FROM unnest(CAST(? AS int[])) AS i");
            give.bindValue(0, it.key());
            give.bindValue(1, ints(spare));
            if (!give.exec()) {
                m_lastError = give.lastError().text();
                return false;
            }
            give.finish();
            mine.resize(target);
        }
        granted->insert(it.key(), SlotGrant{int(mine.size()), share, sharers});
        if (mine.isEmpty())
            m_slots.remove(it.key());
    }
    return true;
}

bool Store::checkConnection(QString *why)
{
    if (!m_pg)
        return true;
    {
        QSqlQuery q(m_db);
        if (m_db.isOpen() && q.exec(QStringLiteral("SELECT 1")))
            return true;
    }
    m_sqliteStatements.clear(); // prepared on the connection that is gone
    m_statements.clear();
    m_slots.clear(); // its locks went with it
    m_wanting.clear();
    m_inTransaction = false;
    m_announce = 0;
    m_db.close();
    const std::optional<DatabaseUrl> url = DatabaseUrl::parse(m_path, why);
    if (!url)
        return false;
    if (!m_db.open() || !execDirect("SET synchronous_commit = on") ||
        !execDirect("SET client_min_messages = warning")) {
        *why = PgConnection::describeFailure(
            *url, m_db.lastError().isValid() ? m_db.lastError().text() : m_lastError);
        return false;
    }
    if (m_listening)
        m_db.driver()->subscribeToNotification(QStringLiteral("hookline"));
    return true;
}

bool Store::listen(QObject *context, std::function<void(int changes)> onChange)
{
    QSqlDriver *driver = m_pg ? m_db.driver() : nullptr;
    if (!driver || !driver->subscribeToNotification(QStringLiteral("hookline")))
        return false;
    m_listening = true;
    const QString own = m_announceToken.isEmpty() ? processToken() : m_announceToken;
    QObject::connect(driver, &QSqlDriver::notification, context,
                     [own, onChange = std::move(onChange)](const QString &name,
                                                           QSqlDriver::NotificationSource,
                                                           const QVariant &payload) {
                         if (name != QLatin1String("hookline"))
                             return;
                         const QStringList parts = payload.toString().split(u' ');
                         if (parts.size() == 2 && parts.at(1) != own)
                             onChange(parts.at(0).toInt());
                     });
    return true;
}

bool Store::commit()
{
    // Queued with the transaction: PostgreSQL delivers the notice only if it commits.
    if (m_pg && m_inTransaction && m_announce && !sendAnnouncements())
        return false;
    const bool ok = execDirect("COMMIT");
    m_inTransaction = m_inTransaction && !ok;
    return ok;
}
void Store::rollback()
{
    const QString keep = m_lastError; // "no transaction is active" after a failed commit
    execDirect("ROLLBACK");
    m_lastError = keep;
    m_inTransaction = false;
    m_announce = 0; // nothing changed after all
}
bool Store::savepoint()
{
    return execDirect("SAVEPOINT op");
}
bool Store::releaseSavepoint()
{
    return execDirect("RELEASE op");
}
bool Store::rollbackToSavepoint()
{
    const QString keep = m_lastError;
    const bool ok = execDirect("ROLLBACK TO op") && execDirect("RELEASE op");
    m_lastError = keep;
    return ok;
}

QList<Endpoint> Store::endpoints() const
{
    QList<Endpoint> out;
    QSqlQuery q(m_db);
    q.exec(QStringLiteral("SELECT %1 FROM endpoints ORDER BY created, id")
               .arg(QLatin1String(kEndpointColumns)));
    while (q.next())
        out.append(endpointFrom(q));
    return out;
}

std::optional<Endpoint> Store::endpoint(const QString &id) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT %1 FROM endpoints WHERE id = ?")
                  .arg(QLatin1String(kEndpointColumns)));
    q.addBindValue(id);
    if (q.exec() && q.next())
        return endpointFrom(q);
    return std::nullopt;
}

std::optional<Endpoint> Store::findEndpoint(const QString &idOrPrefix, QString *error) const
{
    QList<Endpoint> matches;
    for (const Endpoint &e : endpoints()) {
        if (e.id == idOrPrefix)
            return e;
        if (!idOrPrefix.isEmpty() && e.id.startsWith(idOrPrefix))
            matches << e;
    }
    if (matches.isEmpty()) {
        // Or its name, as the list shows it (case aside), when no id starts so.
        for (const Endpoint &e : endpoints()) {
            if (!idOrPrefix.isEmpty() && e.name.compare(idOrPrefix, Qt::CaseInsensitive) == 0)
                matches << e;
        }
        if (matches.size() > 1) {
            if (error)
                *error = Tr::tr("%1 names %2 endpoints; give the id instead.")
                             .arg(idOrPrefix, QString::number(matches.size()));
            return std::nullopt;
        }
    }
    if (matches.size() == 1)
        return matches.first();
    if (error)
        *error = matches.isEmpty()
                     ? Tr::tr("There is no endpoint %1. 'hookline endpoints list' shows them.")
                           .arg(idOrPrefix)
                     : Tr::tr("%1 matches %2 endpoints; type more of the id.")
                           .arg(idOrPrefix, QString::number(matches.size()));
    return std::nullopt;
}

QString Store::saveEndpoint(Endpoint *e, const QStringList &knownEventTypes)
{
    const QList<ValidationError> errors = validateEndpoint(*e, knownEventTypes);
    if (!errors.isEmpty()) {
        QStringList messages;
        for (const ValidationError &v : errors)
            messages << v.message;
        return messages.join(u'\n');
    }
    // Sealed before anything is written: a value that cannot be sealed is not stored at all
    // (never in plain text, never silently as nothing).
    const QString headersText = e->headers.isEmpty() ? QString() : headersToJson(e->headers);
    const QString sealedHeaders = sealed(headersText);
    const QString sealedSecret = sealed(e->secret);
    const QString sealedPrevious = sealed(e->previousSecret);
    if (sealedHeaders.isEmpty() != headersText.isEmpty() ||
        sealedSecret.isEmpty() != e->secret.isEmpty() ||
        sealedPrevious.isEmpty() != e->previousSecret.isEmpty())
        return Tr::tr("The endpoint's secrets could not be encrypted (the system's random "
                      "number generator failed); nothing was saved. Try again.");
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const std::optional<Endpoint> stored = e->id.isEmpty() ? std::nullopt : endpoint(e->id);
    const bool insert = !stored;
    if (e->id.isEmpty())
        e->id = newId();
    if (insert && !e->created.isValid())
        e->created = now;
    e->updated = now;
    QSqlQuery q(m_db);
    q.prepare(
        QStringLiteral("INSERT INTO endpoints (%1) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                       "ON CONFLICT(id) DO UPDATE SET name=excluded.name, url=excluded.url, "
                       "description=excluded.description, enabled=excluded.enabled, "
                       "disabled_reason=excluded.disabled_reason, all_events=excluded.all_events, "
                       "event_types=excluded.event_types, format=excluded.format, "
                       "headers=excluded.headers, secret=excluded.secret, "
                       "previous_secret=excluded.previous_secret, "
                       "previous_secret_expires=excluded.previous_secret_expires, "
                       "timeout_ms=excluded.timeout_ms, retry_schedule=excluded.retry_schedule, "
                       "max_attempts=excluded.max_attempts, "
                       "disable_after_failures=excluded.disable_after_failures, "
                       "verify_tls=excluded.verify_tls, http2_cleartext=excluded.http2_cleartext, "
                       "updated=excluded.updated, max_in_flight=excluded.max_in_flight, "
                       "rate_per_second=excluded.rate_per_second, rate_burst=excluded.rate_burst, "
                       "http1_only=excluded.http1_only, order_key=excluded.order_key, "
                       "version=endpoints.version + 1 WHERE endpoints.version = excluded.version")
            .arg(QLatin1String(kEndpointColumns)));
    for (const QVariant &v :
         {QVariant(e->id), text(e->name), text(e->url), text(e->description),
          QVariant(int(e->enabled)), text(e->disabledReason), QVariant(int(e->allEvents)),
          QVariant(stringsToJson(e->eventTypes)), QVariant(payloadFormatName(e->format)),
          text(sealedHeaders), text(sealedSecret), text(sealedPrevious),
          ms(e->previousSecretExpires), QVariant(e->timeoutMs),
          QVariant(intsToJson(e->retry.scheduleSeconds)), QVariant(e->retry.maxAttempts),
          QVariant(e->retry.disableAfterFailures), QVariant(int(e->verifyTls)),
          QVariant(int(e->http2Cleartext)), ms(e->created), ms(e->updated),
          QVariant(e->maxInFlight), QVariant(e->ratePerSecond), QVariant(e->rateBurst),
          QVariant(int(e->http1Only)), text(e->orderKey),
          // a new endpoint's first version; else the one the edit began from
          QVariant(insert ? qint64(1) : e->version)})
        q.addBindValue(v);
    if (!q.exec())
        return Tr::tr("Saving the endpoint failed: %1").arg(q.lastError().text());
    if (q.numRowsAffected() == 0) {
        // Someone else saved it after this edit began (a version column, not a silent
        // overwrite of their change).
        const std::optional<Endpoint> now = endpoint(e->id);
        const QDateTime when = now ? now->updated : QDateTime();
        return Tr::tr("%1 was changed by someone else at %2 - reload it to see their change, "
                      "then make yours again.")
            .arg(e->name, when.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    }
    e->version = insert ? 1 : e->version + 1;
    announce(EndpointsChanged);
    return {};
}

bool Store::removeEndpoint(const QString &id)
{
    // Its unfinished work first: nothing would ever claim it (claims go endpoint by
    // endpoint). Should the process stop between the two, the endpoint stays and can be
    // removed again.
    if (!statement("UPDATE deliveries SET state = 'cancelled', due_at = NULL, claim_owner = '', "
                   "next_attempt = NULL WHERE endpoint_id = ? AND due_at IS NOT NULL")
             .text(id)
             .exec(&m_lastError))
        return false;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM endpoint_activity WHERE endpoint_id = ?"));
    q.addBindValue(id);
    if (!q.exec())
        return false;
    q.prepare(QStringLiteral("DELETE FROM endpoints WHERE id = ?"));
    q.addBindValue(id);
    const bool removed = q.exec() && q.numRowsAffected() > 0;
    if (removed)
        announce(EndpointsChanged | DeliveriesChanged);
    return removed;
}

bool Store::setEndpointEnabled(const QString &id, bool enabled, const QString &reason)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral(
        "UPDATE endpoints SET enabled = ?, disabled_reason = ?, updated = ?, "
        "consecutive_failures = CASE WHEN ? = 1 THEN 0 ELSE consecutive_failures END "
        "WHERE id = ?"));
    q.addBindValue(int(enabled));
    q.addBindValue(text(enabled ? QString() : reason));
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    q.addBindValue(int(enabled));
    q.addBindValue(id);
    const bool changed = q.exec() && q.numRowsAffected() > 0;
    if (changed)
        announce(EndpointsChanged);
    return changed;
}

int Store::recordEndpointOutcome(const QString &id, bool succeeded)
{
    if (succeeded) {
        // Usually already 0: the WHERE clause keeps that case free of any page write.
        statement("UPDATE endpoints SET consecutive_failures = 0 "
                  "WHERE id = ? AND consecutive_failures <> 0")
            .text(id)
            .exec(&m_lastError);
        return 0;
    }
    QSqlQuery &bump = prepared("UPDATE endpoints SET consecutive_failures = "
                               "consecutive_failures + 1 WHERE id = ?");
    bump.bindValue(0, id);
    bump.exec();
    QSqlQuery &read = prepared("SELECT consecutive_failures FROM endpoints WHERE id = ?");
    read.bindValue(0, id);
    const int run = read.exec() && read.next() ? read.value(0).toInt() : 0;
    read.finish();
    return run;
}

EventCatalog Store::catalog() const
{
    EventCatalog catalog;
    for (const EventType &t : savedEventTypes())
        catalog.upsert(t); // keeps built-in flags for edited built-ins
    return catalog;
}

QString Store::saveEventType(const EventType &type)
{
    EventCatalog check = catalog();
    const QString error = check.upsert(type);
    if (!error.isEmpty())
        return error;
    QSqlQuery q(m_db);
    q.prepare(
        QStringLiteral("INSERT INTO event_types (id, display_name, description, template, "
                       "position) VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 "
                       "FROM event_types)) ON CONFLICT(id) DO UPDATE SET "
                       "display_name=excluded.display_name, description=excluded.description, "
                       "template=excluded.template"));
    q.addBindValue(type.id);
    q.addBindValue(text(type.displayName));
    q.addBindValue(text(type.description));
    q.addBindValue(text(type.payloadTemplate));
    return q.exec() ? QString() : q.lastError().text();
}

QString Store::removeEventType(const QString &id)
{
    // Removing a saved built-in resets it to the shipped template.
    EventCatalog current = catalog();
    const EventType *t = current.find(id);
    if (!t)
        return Tr::tr("There is no event type %1.").arg(id);
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM event_types WHERE id = ?"));
    q.addBindValue(id);
    return q.exec() ? QString() : q.lastError().text();
}

bool Store::insertEvent(const Event &e)
{
    // Events are immutable: sending the same event again (to another endpoint) reuses it.
    return statement("INSERT INTO events (id, type, payload, created, origin, scenario_id) "
                     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING")
        .text(e.id)
        .text(e.type)
        .blob(e.payload)
        .time(e.created)
        .text(eventOriginName(e.origin))
        .text(e.scenarioId)
        .exec(&m_lastError);
}

std::optional<Event> Store::event(const QString &id) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral(
        "SELECT id, type, payload, created, origin, scenario_id FROM events WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return std::nullopt;
    Event e;
    e.id = q.value(0).toString();
    e.type = q.value(1).toString();
    e.payload = q.value(2).toByteArray();
    e.created = fromMs(q.value(3));
    eventOriginFromName(q.value(4).toString(), &e.origin);
    e.scenarioId = q.value(5).toString();
    return e;
}

bool Store::insertDelivery(const Delivery &d, const Claim &claim)
{
    const bool claimed = !claim.owner.isEmpty() && !isFinal(d.state);
    announce(claimed ? DeliveriesChanged : WorkQueued | DeliveriesChanged);
    return statement("INSERT INTO deliveries (id, event_id, event_type, endpoint_id, "
                     "webhook_id, state, attempt_count, created, updated, next_attempt, "
                     "last_status, last_error, last_duration_ms, due_at, claim_owner, order_key) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        .text(d.id)
        .text(d.eventId)
        .text(d.eventType)
        .text(d.endpointId)
        .text(d.webhookId)
        .text(deliveryStateName(d.state))
        .integer(d.attemptCount)
        .time(d.created)
        .time(d.updated)
        .time(d.nextAttempt)
        .integer(d.lastStatus)
        .text(errorClassName(d.lastError))
        .integer(d.lastDurationMs)
        .time(claimed ? claim.until : dueAt(d))
        .text(claimed ? claim.owner : QString())
        .text(d.orderKey)
        .exec(&m_lastError);
}

QString Store::heldBehind(const Delivery &d) const
{
    if (d.orderKey.isEmpty() || isFinal(d.state))
        return {};
    QSqlQuery &q = const_cast<Store *>(this)->prepared(
        "SELECT id FROM deliveries WHERE endpoint_id = ? AND order_key = ? AND seq < ? AND "
        "due_at IS NOT NULL AND order_key != '' ORDER BY seq LIMIT 1");
    q.bindValue(0, d.endpointId);
    q.bindValue(1, d.orderKey);
    q.bindValue(2, d.seq > 0 ? d.seq : std::numeric_limits<qint64>::max());
    QString id;
    if (q.exec() && q.next())
        id = q.value(0).toString();
    q.finish();
    return id;
}

bool Store::claimIfFirst(const QStringList &deliveryIds, const Claim &claim, const QDateTime &now,
                         QList<ClaimedDelivery> *claimed, QStringList *gone)
{
    claimed->clear();
    gone->clear();
    QList<Delivery> first;
    for (const QString &id : deliveryIds) {
        const std::optional<Delivery> d = delivery(id, false);
        // Final, or held under another owner's running lease: no longer this caller's to send.
        if (!d || isFinal(d->state)) {
            gone->append(id);
            continue;
        }
        // Locked on a server until the claim commits: nobody else claims it in between.
        QSqlQuery &owner =
            prepared(m_pg ? "SELECT claim_owner, due_at FROM deliveries WHERE id = ? FOR UPDATE"
                          : "SELECT claim_owner, due_at FROM deliveries WHERE id = ?");
        owner.bindValue(0, id);
        QString holder;
        qint64 due = 0;
        if (owner.exec() && owner.next()) {
            holder = owner.value(0).toString();
            due = owner.value(1).toLongLong();
        }
        owner.finish();
        if (!holder.isEmpty() && holder != claim.owner && due > now.toMSecsSinceEpoch()) {
            gone->append(id);
            continue;
        }
        if (heldBehind(*d).isEmpty())
            first.append(*d);
    }
    return claimRows(first, claim, claimed);
}

bool Store::updateDelivery(const Delivery &d, std::optional<ErrorClass> storedError)
{
    announce(DeliveriesChanged);
    if (storedError == d.lastError) {
        // Guarded, so that a caller that is wrong about the row (an earlier write of its
        // outcome failed) changes nothing here and falls through to the full update.
        Statement &guarded =
            statement("UPDATE deliveries SET state = ?, attempt_count = ?, updated = ?, "
                      "next_attempt = ?, last_status = ?, last_duration_ms = ?, due_at = ?, "
                      "claim_owner = '' WHERE id = ? AND last_error = ?");
        if (!guarded.text(deliveryStateName(d.state))
                 .integer(d.attemptCount)
                 .time(d.updated)
                 .time(d.nextAttempt)
                 .integer(d.lastStatus)
                 .integer(d.lastDurationMs)
                 .time(dueAt(d))
                 .text(d.id)
                 .text(errorClassName(d.lastError))
                 .exec(&m_lastError))
            return false;
        if (guarded.changes() > 0)
            return true;
    }
    return statement("UPDATE deliveries SET state = ?, attempt_count = ?, updated = ?, "
                     "next_attempt = ?, last_status = ?, last_error = ?, "
                     "last_duration_ms = ?, due_at = ?, claim_owner = '' WHERE id = ?")
        .text(deliveryStateName(d.state))
        .integer(d.attemptCount)
        .time(d.updated)
        .time(d.nextAttempt)
        .integer(d.lastStatus)
        .text(errorClassName(d.lastError))
        .integer(d.lastDurationMs)
        .time(dueAt(d))
        .text(d.id)
        .exec(&m_lastError);
}

bool Store::sameBodyAsBefore(const Attempt &a)
{
    if (a.number <= 1 || a.requestBody.isEmpty())
        return false;
    QSqlQuery &previous = prepared(
        "SELECT request_body FROM attempts WHERE delivery_id = ? AND request_body_same = 0 "
        "ORDER BY id DESC LIMIT 1");
    previous.bindValue(0, a.deliveryId);
    const bool same =
        previous.exec() && previous.next() && previous.value(0).toByteArray() == a.requestBody;
    previous.finish();
    return same;
}

bool Store::insertAttempt(Attempt *a)
{
    // A retry usually sends exactly what the attempt before it sent (same event, same format):
    // keep the body once per delivery, not once per attempt.
    const bool same = sameBodyAsBefore(*a);
#define HOOKLINE_INSERT_ATTEMPT                                                                    \
    "INSERT INTO attempts (delivery_id, number, trigger, started, duration_ms, request_url, "      \
    "request_headers, request_body, response_status, response_reason, response_headers, "          \
    "response_body, response_body_size, error_class, error_detail, request_body_same, "            \
    "protocol) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    Statement &insert =
        statement(m_pg ? HOOKLINE_INSERT_ATTEMPT " RETURNING id" : HOOKLINE_INSERT_ATTEMPT);
#undef HOOKLINE_INSERT_ATTEMPT
    const bool ok = insert.text(a->deliveryId)
                        .integer(a->number)
                        .text(attemptTriggerName(a->trigger))
                        .time(a->started)
                        .integer(a->durationMs)
                        .text(a->requestUrl)
                        .text(headersToJson(a->requestHeaders))
                        .blob(same ? QByteArray() : a->requestBody)
                        .integer(a->responseStatus)
                        .text(a->responseReason)
                        .text(headersToJson(a->responseHeaders))
                        .blob(a->responseBody)
                        .integer(a->responseBodySize)
                        .text(errorClassName(a->errorClass))
                        .text(a->error.encode())
                        .integer(same ? 1 : 0)
                        .text(a->protocol)
                        .exec(&m_lastError);
    if (ok)
        a->id = insert.insertedId();
    return ok;
}

bool Store::recordAttempts(const QList<RecordedAttempt> &records, const QStringList &endingRuns)
{
    if (m_pg)
        return recordAttemptsOnServer(records, endingRuns);
    for (const RecordedAttempt &r : records) {
        Attempt attempt = r.attempt;
        if (!insertAttempt(&attempt) || !updateDelivery(r.delivery, r.storedError) ||
            !recordActivity(r.delivery.endpointId, attempt, r.outcome))
            return false;
    }
    return endFailureRuns(endingRuns);
}

namespace {
// Ids as a JSON array, sorted and once each: every process locks their rows in one order.
QString idsJson(QStringList ids)
{
    ids.sort();
    ids.removeDuplicates();
    QString json = QStringLiteral("[");
    for (const QString &id : std::as_const(ids))
        json += (json.size() > 1 ? QLatin1String(",\"") : QLatin1String("\"")) +
                JsonText::escapeString(id) + u'"';
    return json + u']';
}

constexpr const char *kEndFailureRuns =
    "UPDATE endpoints SET consecutive_failures = 0 WHERE id = ANY(ARRAY(SELECT value "
    "COLLATE \"C\" FROM json_array_elements_text(CAST(? AS json)))) AND consecutive_failures <> 0";

// Attempts, their deliveries, the failure runs that end and the activity counts, each from
// one JSON parameter, in one statement (the data-modifying WITH parts touch other tables than
// each other, so they need not see each other's rows). Rows are found through `= ANY(ARRAY(…))`
// index conditions: a join alone lets a generic plan read the whole table.
const char *recordAttemptsSql(const QString &activityUpsert)
{
    static const QByteArray sql =
        QStringLiteral(
            "WITH a AS (INSERT INTO attempts (delivery_id, number, trigger, started, duration_ms, "
            "request_url, request_headers, request_body, response_status, response_reason, "
            "response_headers, response_body, response_body_size, error_class, error_detail, "
            "request_body_same, protocol) "
            "SELECT delivery_id, number, trigger, started, duration_ms, request_url, "
            "request_headers, decode(request_body, 'base64'), response_status, response_reason, "
            "response_headers, decode(response_body, 'base64'), response_body_size, error_class, "
            "error_detail, request_body_same, protocol "
            "FROM json_to_recordset(CAST(? AS json)) AS r(o bigint, delivery_id text, "
            "number bigint, trigger text, started bigint, duration_ms bigint, request_url text, "
            "request_headers text, request_body text, response_status bigint, "
            "response_reason text, response_headers text, response_body text, "
            "response_body_size bigint, error_class text, error_detail text, "
            "request_body_same bigint, protocol text) ORDER BY o), "
            "r AS (SELECT * FROM json_to_recordset(CAST(? AS json)) AS r(id text, state text, "
            "attempt_count bigint, updated bigint, next_attempt bigint, last_status bigint, "
            "last_error text, last_duration_ms bigint, due_at bigint)), "
            "d AS (UPDATE deliveries AS d SET state = r.state, attempt_count = r.attempt_count, "
            "updated = r.updated, next_attempt = r.next_attempt, last_status = r.last_status, "
            "last_error = r.last_error, last_duration_ms = r.last_duration_ms, "
            "due_at = r.due_at, claim_owner = '' FROM r "
            "WHERE d.id = r.id COLLATE \"C\" AND d.id = ANY(ARRAY(SELECT id COLLATE \"C\" FROM "
            "r))), "
            "e AS (%1) %2")
            .arg(QString::fromLatin1(kEndFailureRuns), activityUpsert)
            .toUtf8();
    return sql.constData();
}
} // namespace

bool Store::recordAttemptsOnServer(const QList<RecordedAttempt> &records,
                                   const QStringList &endingRuns)
{
    if (records.isEmpty())
        return endFailureRuns(endingRuns);
    // In the order given, so that attempt ids follow it as they do on SQLite.
    JsonRows attempts;
    for (qsizetype i = 0; i < records.size(); ++i) {
        const Attempt &a = records.at(i).attempt;
        const bool same = sameBodyAsBefore(a);
        attempts.row();
        attempts.integer("o", i)
            .text("delivery_id", a.deliveryId)
            .integer("number", a.number)
            .text("trigger", attemptTriggerName(a.trigger))
            .time("started", a.started)
            .integer("duration_ms", a.durationMs)
            .text("request_url", a.requestUrl)
            .text("request_headers", headersToJson(a.requestHeaders))
            .bytes("request_body", same ? QByteArray() : a.requestBody)
            .integer("response_status", a.responseStatus)
            .text("response_reason", a.responseReason)
            .text("response_headers", headersToJson(a.responseHeaders))
            .bytes("response_body", a.responseBody)
            .integer("response_body_size", a.responseBodySize)
            .text("error_class", errorClassName(a.errorClass))
            .text("error_detail", a.error.encode())
            .integer("request_body_same", same ? 1 : 0)
            .text("protocol", a.protocol);
    }
    // A delivery attempted twice in the batch takes its last state (an UPDATE … FROM with
    // two source rows for one target row would apply either).
    QHash<QString, qsizetype> last;
    for (qsizetype i = 0; i < records.size(); ++i)
        last.insert(records.at(i).delivery.id, i);
    JsonRows deliveries;
    for (qsizetype i = 0; i < records.size(); ++i) {
        const Delivery &d = records.at(i).delivery;
        if (last.value(d.id) != i)
            continue;
        deliveries.row();
        deliveries.text("id", d.id)
            .text("state", deliveryStateName(d.state))
            .integer("attempt_count", d.attemptCount)
            .time("updated", d.updated)
            .time("next_attempt", d.nextAttempt)
            .integer("last_status", d.lastStatus)
            .text("last_error", errorClassName(d.lastError))
            .integer("last_duration_ms", d.lastDurationMs)
            .time("due_at", dueAt(d));
    }
    announce(DeliveriesChanged);
    return statement(recordAttemptsSql(activityUpsertSql()))
        .text(attempts.json())
        .text(deliveries.json())
        .text(idsJson(endingRuns))
        .text(activityRowsJson(records))
        .exec(&m_lastError);
}

bool Store::endFailureRuns(const QStringList &endpointIds)
{
    if (endpointIds.isEmpty())
        return true;
    if (!m_pg) {
        for (const QString &id : endpointIds)
            recordEndpointOutcome(id, true);
        return true;
    }
    return statement(kEndFailureRuns).text(idsJson(endpointIds)).exec(&m_lastError);
}

namespace {
// An attempt's columns that every reader wants, first in its SELECT (kAttemptSummaryColumns
// of them, in this order); what follows is the reader's own.
#define HOOKLINE_ATTEMPT_SUMMARY                                                                   \
    "a.id, a.delivery_id, a.number, a.trigger, a.started, a.duration_ms, a.request_url, "          \
    "a.response_status, a.response_reason, a.error_class, a.error_text, a.protocol, "              \
    "a.error_detail"
constexpr int kAttemptSummaryColumns = 13;

Attempt attemptSummaryFrom(const QSqlQuery &q)
{
    Attempt a;
    a.id = q.value(0).toLongLong();
    a.deliveryId = q.value(1).toString();
    a.number = q.value(2).toInt();
    attemptTriggerFromName(q.value(3).toString(), &a.trigger);
    a.started = fromMs(q.value(4));
    a.durationMs = q.value(5).toLongLong();
    a.requestUrl = q.value(6).toString();
    a.responseStatus = q.value(7).toInt();
    a.responseReason = q.value(8).toString();
    errorClassFromName(q.value(9).toString(), &a.errorClass);
    const QString detail = q.value(12).toString();
    a.error = detail.isEmpty() ? AttemptError::words(q.value(10).toString())
                               : AttemptError::decode(detail);
    a.protocol = q.value(11).toString();
    return a;
}
} // namespace

QList<Attempt> Store::attempts(const QString &deliveryId) const
{
    QList<Attempt> out;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT " HOOKLINE_ATTEMPT_SUMMARY ", a.request_headers, "
                             "a.request_body, a.response_headers, a.response_body, "
                             "a.response_body_size, a.request_body_same FROM attempts AS a "
                             "WHERE a.delivery_id = ? ORDER BY a.id"));
    q.addBindValue(deliveryId);
    q.exec();
    QByteArray lastOwnBody;
    constexpr int own = kAttemptSummaryColumns;
    while (q.next()) {
        Attempt a = attemptSummaryFrom(q);
        a.requestHeaders = headersFromJson(q.value(own).toString());
        a.requestBody = q.value(own + 1).toByteArray();
        if (q.value(own + 5).toInt() == 1)
            a.requestBody = lastOwnBody;
        else
            lastOwnBody = a.requestBody;
        a.responseHeaders = headersFromJson(q.value(own + 2).toString());
        a.responseBody = q.value(own + 3).toByteArray();
        a.responseBodySize = q.value(own + 4).toLongLong();
        out.append(a);
    }
    return out;
}

QList<Store::AttemptKey> Store::attemptKeysAfter(qint64 afterId, int limit) const
{
    QList<AttemptKey> keys;
    QSqlQuery q(m_db);
    q.prepare(
        QStringLiteral("SELECT id, delivery_id, number FROM attempts WHERE id > ? ORDER BY id "
                       "DESC LIMIT ?"));
    q.addBindValue(afterId);
    q.addBindValue(limit);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return keys;
    }
    while (q.next())
        keys.prepend({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toInt()});
    return keys;
}

qint64 Store::lastAttemptId() const
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT MAX(id) FROM attempts")) || !q.next())
        return 0;
    return q.value(0).toLongLong();
}

QList<std::pair<Delivery, Attempt>> Store::recordedAttempts(const QList<qint64> &ids) const
{
    QList<std::pair<Delivery, Attempt>> out;
    if (ids.isEmpty())
        return out;
    QStringList list;
    for (qint64 id : ids)
        list << QString::number(id);
    // (The ids are numbers this process read: written into the statement, one per look.)
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT " HOOKLINE_ATTEMPT_SUMMARY
                               ", d.event_id, d.event_type, d.endpoint_id, d.webhook_id, "
                               "d.state, d.attempt_count, d.order_key FROM attempts AS a JOIN "
                               "deliveries AS d ON d.id = a.delivery_id WHERE a.id IN (%1) "
                               "ORDER BY a.id")
                    .arg(list.join(u',')))) {
        m_lastError = q.lastError().text();
        return out;
    }
    constexpr int own = kAttemptSummaryColumns;
    while (q.next()) {
        const Attempt a = attemptSummaryFrom(q);
        Delivery d;
        d.id = a.deliveryId;
        d.eventId = q.value(own).toString();
        d.eventType = q.value(own + 1).toString();
        d.endpointId = q.value(own + 2).toString();
        d.webhookId = q.value(own + 3).toString();
        deliveryStateFromName(q.value(own + 4).toString(), &d.state);
        d.attemptCount = q.value(own + 5).toInt();
        d.orderKey = q.value(own + 6).toString();
        out.append({d, a});
    }
    return out;
}
#undef HOOKLINE_ATTEMPT_SUMMARY

qint64 Store::contentCount() const
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT (SELECT COUNT(*) FROM endpoints) + (SELECT COUNT(*) FROM "
                               "events) + (SELECT COUNT(*) FROM deliveries)")) ||
        !q.next()) {
        m_lastError = q.lastError().text();
        return -1;
    }
    return q.value(0).toLongLong();
}

qint64 Store::liveClaims(const QDateTime &now) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM deliveries WHERE claim_owner != '' AND "
                             "due_at IS NOT NULL AND due_at > ?"));
    q.addBindValue(now.toMSecsSinceEpoch());
    if (!q.exec() || !q.next()) {
        m_lastError = q.lastError().text();
        return -1;
    }
    return q.value(0).toLongLong();
}

bool Store::deliveriesAfter(qint64 seq, int limit, QList<Delivery> *out) const
{
    out->clear();
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?")
                  .arg(QLatin1String(kDeliveryColumns)));
    q.addBindValue(seq);
    q.addBindValue(limit);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    while (q.next())
        out->append(deliveryFrom(q));
    return true;
}

bool Store::hasDelivery(const QString &id) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT 1 FROM deliveries WHERE id = ?"));
    q.addBindValue(id);
    return q.exec() && q.next();
}

bool Store::setEndpointUpdated(const QString &id, const QDateTime &updated)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("UPDATE endpoints SET updated = ? WHERE id = ?"));
    q.addBindValue(updated.toMSecsSinceEpoch());
    q.addBindValue(id);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}

QList<EventType> Store::savedEventTypes() const
{
    QList<EventType> out;
    QSqlQuery q(m_db);
    q.exec(QStringLiteral(
        "SELECT id, display_name, description, template FROM event_types ORDER BY position, id"));
    while (q.next())
        out.append({q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                    q.value(3).toString(), false});
    return out;
}

std::optional<Delivery> Store::delivery(const QString &id, bool withAttempts) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT %1 FROM deliveries WHERE id = ?")
                  .arg(QLatin1String(kDeliveryColumns)));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return std::nullopt;
    Delivery d = deliveryFrom(q);
    if (withAttempts)
        d.attempts = attempts(d.id);
    return d;
}

std::optional<Delivery> Store::findDelivery(const QString &idOrPrefix, QString *error) const
{
    if (auto exact = delivery(idOrPrefix))
        return exact;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT id FROM deliveries WHERE id >= ? AND id < ? LIMIT 2"));
    q.addBindValue(idOrPrefix);
    q.addBindValue(QString(idOrPrefix + QChar(0xFFFF)));
    q.exec();
    QStringList ids;
    while (q.next())
        ids << q.value(0).toString();
    if (ids.size() == 1 && !idOrPrefix.isEmpty())
        return delivery(ids.first());
    if (error)
        *error =
            ids.isEmpty()
                ? Tr::tr("There is no delivery %1. 'hookline history' lists them.").arg(idOrPrefix)
                : Tr::tr("%1 matches several deliveries; type more of the id.").arg(idOrPrefix);
    return std::nullopt;
}

namespace {

QString whereClause(const DeliveryQuery &query, QVariantList *binds, bool withKeyset)
{
    QStringList where;
    if (!query.endpointId.isEmpty()) {
        where << QStringLiteral("endpoint_id = ?");
        *binds << query.endpointId;
    }
    if (!query.eventType.isEmpty()) {
        where << QStringLiteral("event_type = ?");
        *binds << query.eventType;
    }
    if (query.state) {
        where << QStringLiteral("state = ?");
        *binds << deliveryStateName(*query.state);
    }
    if (query.codeClass == QLatin1String("2xx"))
        where << QStringLiteral("last_status BETWEEN 200 AND 299 AND last_error = 'none'");
    else if (query.codeClass == QLatin1String("3xx"))
        where << QStringLiteral("last_error = 'http-3xx'");
    else if (query.codeClass == QLatin1String("4xx"))
        where << QStringLiteral("last_error = 'http-4xx'");
    else if (query.codeClass == QLatin1String("5xx"))
        where << QStringLiteral("last_error = 'http-5xx'");
    else if (query.codeClass == QLatin1String("error"))
        where << QStringLiteral("last_error IN ") + Store::noAnswerErrorsSql();
    if (query.from.isValid()) {
        where << QStringLiteral("created >= ?");
        *binds << query.from.toMSecsSinceEpoch();
    }
    if (query.to.isValid()) {
        where << QStringLiteral("created < ?");
        *binds << query.to.toMSecsSinceEpoch();
    }
    if (query.onlySeqs) {
        // Integers from our own search, so they can be written into the SQL directly.
        QStringList list;
        list.reserve(query.onlySeqs->size());
        for (qint64 seq : *query.onlySeqs)
            list << QString::number(seq);
        where << (list.isEmpty() ? QStringLiteral("0")
                                 : QStringLiteral("seq IN (%1)").arg(list.join(u',')));
    }
    if (withKeyset && query.beforeSeq > 0) {
        where << QStringLiteral("seq < ?");
        *binds << query.beforeSeq;
    }
    return where.isEmpty() ? QString()
                           : QLatin1String(" WHERE ") + where.join(QLatin1String(" AND "));
}

} // namespace

QList<Delivery> Store::deliveries(const DeliveryQuery &query) const
{
    QVariantList binds;
    QString sql = QStringLiteral("SELECT %1 FROM deliveries").arg(QLatin1String(kDeliveryColumns)) +
                  whereClause(query, &binds, true) +
                  QStringLiteral(" ORDER BY seq DESC LIMIT %1").arg(qMax(1, query.limit));
    if (query.offset > 0)
        sql += QStringLiteral(" OFFSET %1").arg(query.offset);
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(sql);
    for (const QVariant &v : binds)
        q.addBindValue(v);
    q.exec();
    QList<Delivery> out;
    while (q.next())
        out.append(deliveryFrom(q));
    return out;
}

qint64 Store::countDeliveries(const DeliveryQuery &query) const
{
    if (const auto kept = countFromTotals(query))
        return *kept;
    QVariantList binds;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (query.countCap > 0)
        q.prepare(QStringLiteral("SELECT COUNT(*) FROM (SELECT 1 FROM deliveries") +
                  whereClause(query, &binds, false) + QStringLiteral(" LIMIT ?) AS capped"));
    else
        q.prepare(QStringLiteral("SELECT COUNT(*) FROM deliveries") +
                  whereClause(query, &binds, false));
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (query.countCap > 0)
        q.addBindValue(query.countCap);
    return q.exec() && q.next() ? q.value(0).toLongLong() : 0;
}

std::pair<qint64, qint64> Store::seqRange() const
{
    // Two queries on purpose: SQLite answers a lone MIN() or MAX() from the b-tree's edge,
    // but scans the whole table for both in one SELECT.
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    const qint64 low = q.exec(QStringLiteral("SELECT MIN(seq) FROM deliveries")) && q.next()
                           ? q.value(0).toLongLong()
                           : 0;
    q.finish();
    const qint64 high = q.exec(QStringLiteral("SELECT MAX(seq) FROM deliveries")) && q.next()
                            ? q.value(0).toLongLong()
                            : 0;
    return {low, high};
}

EndpointStats Store::endpointStats(const QString &endpointId, int recent) const
{
    EndpointStats stats;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT state, last_status, last_error FROM deliveries WHERE "
                             "endpoint_id = ? ORDER BY seq DESC LIMIT %1")
                  .arg(recent));
    q.addBindValue(endpointId);
    q.exec();
    while (q.next()) {
        DeliveryState state = DeliveryState::Pending;
        deliveryStateFromName(q.value(0).toString(), &state);
        if (!stats.any) {
            stats.any = true;
            stats.lastState = state;
            stats.lastStatus = q.value(1).toInt();
            errorClassFromName(q.value(2).toString(), &stats.lastError);
        }
        if (isFinal(state)) {
            ++stats.recentFinal;
            if (state == DeliveryState::Succeeded)
                ++stats.recentSucceeded;
        }
    }
    q.finish();
    // The (endpoint_id, due_at) index, read no further than the cap: a million queued
    // deliveries cost what a hundred thousand do.
    QSqlQuery c(m_db);
    c.setForwardOnly(true);
    c.prepare(QStringLiteral("SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE endpoint_id = ? "
                             "AND due_at IS NOT NULL LIMIT %1) AS capped")
                  .arg(EndpointStats::kCountCap));
    c.addBindValue(endpointId);
    if (c.exec() && c.next())
        stats.queued = c.value(0).toLongLong();
    return stats;
}

QList<Delivery> Store::retryingDeliveries(const QString &endpointId, int limit) const
{
    // Through the due-work index: only unfinished rows, however long the endpoint's history.
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM deliveries WHERE endpoint_id = ? AND due_at IS NOT "
                             "NULL AND state = 'retrying' ORDER BY due_at LIMIT ?")
                  .arg(QLatin1String(kDeliveryColumns)));
    q.addBindValue(endpointId);
    q.addBindValue(limit);
    QList<Delivery> out;
    if (q.exec()) {
        while (q.next())
            out.append(deliveryFrom(q));
    }
    return out;
}

QList<Delivery> Store::unfinishedDeliveries() const
{
    QSqlQuery q(m_db);
    q.exec(QStringLiteral("SELECT %1 FROM deliveries WHERE state IN ('pending', 'in-flight', "
                          "'retrying') ORDER BY seq")
               .arg(QLatin1String(kDeliveryColumns)));
    QList<Delivery> out;
    while (q.next())
        out.append(deliveryFrom(q));
    return out;
}

bool Store::claimDue(const Claim &claim, const QDateTime &now, int limit,
                     QList<ClaimedDelivery> *claimed)
{
    QList<ClaimedDelivery> &out = *claimed;
    out.clear();
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM deliveries AS d WHERE due_at IS NOT NULL AND "
                             "due_at <= ? AND (order_key = '' OR NOT EXISTS (SELECT 1 FROM "
                             "deliveries AS p WHERE p.endpoint_id = d.endpoint_id AND "
                             "p.order_key = d.order_key AND p.seq < d.seq AND p.due_at IS NOT "
                             "NULL AND p.order_key != '')) ORDER BY due_at, seq LIMIT ?%2")
                  .arg(QLatin1String(kDeliveryColumns),
                       m_pg ? QLatin1String(" FOR UPDATE SKIP LOCKED") : QLatin1String()));
    q.addBindValue(now.toMSecsSinceEpoch());
    q.addBindValue(qMax(1, limit));
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    QList<Delivery> due;
    while (q.next())
        due.append(deliveryFrom(q));
    q.finish();
    return claimRows(due, claim, &out);
}

bool Store::claimDueByEndpoint(const Claim &claim, const QDateTime &now,
                               const QHash<QString, int> &rooms, int otherRoom,
                               QList<ClaimedDelivery> *claimed, QStringList *full)
{
    claimed->clear();
    full->clear();
    if (m_pg)
        return claimDueOnServer(claim, now, rooms, otherRoom, claimed, full);
    QStringList ids;
    {
        QSqlQuery &q = prepared("SELECT id FROM endpoints");
        if (!q.exec()) {
            m_lastError = q.lastError().text();
            return false;
        }
        while (q.next())
            ids << q.value(0).toString();
        q.finish();
    }
    QList<Delivery> due;
    for (const QString &id : std::as_const(ids)) {
        const int room = rooms.value(id, otherRoom);
        if (room <= 0)
            continue;
            // The (endpoint_id, due_at) index: one endpoint's million queued rows are not read to
            // find another's.
            // An ordered delivery is claimed only when no earlier one with its key is unfinished
            // (the deliveries_in_order index answers that per row).
            // On a server, rows another process is claiming this moment are skipped, not waited
            // for (and not taken twice): FOR UPDATE SKIP LOCKED.
#define HOOKLINE_DUE_OF_ENDPOINT                                                                   \
    "SELECT id, event_id, event_type, endpoint_id, webhook_id, state, attempt_count, created, "    \
    "updated, next_attempt, last_status, last_error, last_duration_ms, seq, order_key FROM "       \
    "deliveries AS d WHERE endpoint_id = ? AND due_at IS NOT NULL AND due_at <= ? AND "            \
    "(order_key = '' OR NOT EXISTS (SELECT 1 FROM deliveries AS p WHERE p.endpoint_id = "          \
    "d.endpoint_id AND p.order_key = d.order_key AND p.seq < d.seq AND p.due_at IS NOT NULL AND "  \
    "p.order_key != '')) ORDER BY due_at, seq LIMIT ?"
        QSqlQuery &q = prepared(m_pg ? HOOKLINE_DUE_OF_ENDPOINT " FOR UPDATE SKIP LOCKED"
                                     : HOOKLINE_DUE_OF_ENDPOINT);
#undef HOOKLINE_DUE_OF_ENDPOINT
        q.bindValue(0, id);
        q.bindValue(1, now.toMSecsSinceEpoch());
        q.bindValue(2, room);
        if (!q.exec()) {
            m_lastError = q.lastError().text();
            return false;
        }
        int n = 0;
        while (q.next()) {
            due.append(deliveryFrom(q));
            ++n;
        }
        q.finish();
        if (n >= room)
            full->append(id);
    }
    return claimRows(due, claim, claimed);
}

// claimDueByEndpoint on a server, in one round trip: each endpoint's share of due rows
// (the same conditions and order), locked FOR UPDATE SKIP LOCKED, claimed, and returned with
// their payloads.
bool Store::claimDueOnServer(const Claim &claim, const QDateTime &now,
                             const QHash<QString, int> &rooms, int otherRoom,
                             QList<ClaimedDelivery> *claimed, QStringList *full)
{
    JsonRows asked;
    for (auto it = rooms.cbegin(); it != rooms.cend(); ++it) {
        asked.row();
        asked.text("id", it.key()).integer("room", it.value());
    }
    QSqlQuery &q = prepared(
        "WITH rooms AS (SELECT e.id, GREATEST(COALESCE(r.room, ?), 0) AS room FROM endpoints AS e "
        "LEFT JOIN json_to_recordset(CAST(? AS json)) AS r(id text, room bigint) "
        "ON r.id COLLATE \"C\" = e.id) "
        "UPDATE deliveries AS u SET due_at = ?, claim_owner = ? WHERE u.id = ANY(ARRAY("
        "SELECT x.id FROM rooms CROSS JOIN LATERAL "
        "(SELECT d.id FROM deliveries AS d WHERE d.endpoint_id = rooms.id AND "
        "d.due_at IS NOT NULL AND d.due_at <= ? AND (d.order_key = '' OR NOT EXISTS (SELECT 1 "
        "FROM deliveries AS p WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key "
        "AND p.seq < d.seq AND p.due_at IS NOT NULL AND p.order_key != '')) "
        "ORDER BY d.due_at, d.seq LIMIT rooms.room FOR UPDATE SKIP LOCKED) AS x)) "
        "RETURNING u.id, u.event_id, u.event_type, u.endpoint_id, u.webhook_id, u.state, "
        "u.attempt_count, u.created, u.updated, u.next_attempt, u.last_status, u.last_error, "
        "u.last_duration_ms, u.seq, u.order_key, "
        "(SELECT payload FROM events WHERE events.id = u.event_id)");
    q.bindValue(0, otherRoom);
    q.bindValue(1, asked.json());
    q.bindValue(2, claim.until.toMSecsSinceEpoch());
    q.bindValue(3, claim.owner);
    q.bindValue(4, now.toMSecsSinceEpoch());
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    struct Row
    {
        ClaimedDelivery claimed;
        bool eventless = false;
        qint64 due = 0;
    };
    std::vector<Row> rows;
    QHash<QString, int> counts;
    while (q.next()) {
        const Delivery d = deliveryFrom(q);
        Row row{{d, q.value(15).toByteArray()}, q.isNull(15), dueAt(d).toMSecsSinceEpoch()};
        ++counts[row.claimed.delivery.endpointId];
        rows.push_back(std::move(row));
    }
    q.finish();
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        if (it.value() >= rooms.value(it.key(), otherRoom))
            full->append(it.key());
    }
    // Oldest due first, as they were found (an UPDATE returns its rows in no set order).
    std::sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
        return a.due != b.due ? a.due < b.due : a.claimed.delivery.seq < b.claimed.delivery.seq;
    });
    for (Row &row : rows) {
        if (row.eventless) {
            if (!cancelEventless(row.claimed.delivery.id)) {
                claimed->clear();
                return false;
            }
            continue;
        }
        claimed->append(std::move(row.claimed));
    }
    return true;
}

// A due delivery whose event is gone (nothing removes the event of unfinished work, but a
// database edited by hand could): nothing to send, so it must not come due again.
bool Store::cancelEventless(const QString &deliveryId)
{
    return statement("UPDATE deliveries SET state = 'cancelled', due_at = NULL, "
                     "claim_owner = '' WHERE id = ?")
        .text(deliveryId)
        .exec(&m_lastError);
}

bool Store::claimRows(const QList<Delivery> &due, const Claim &claim,
                      QList<ClaimedDelivery> *claimed)
{
    QList<ClaimedDelivery> &out = *claimed;
    QHash<QString, std::optional<QByteArray>> payloads;
    if (m_pg)
        return claimRowsOnServer(due, claim, claimed);
    for (const Delivery &d : std::as_const(due)) {
        auto payload = payloads.find(d.eventId);
        if (payload == payloads.end()) {
            const std::optional<Event> e = event(d.eventId);
            payload = payloads.insert(d.eventId, e ? std::optional(e->payload) : std::nullopt);
        }
        if (!*payload) {
            if (!cancelEventless(d.id))
                return false;
            continue;
        }
        if (!statement("UPDATE deliveries SET due_at = ?, claim_owner = ? WHERE id = ?")
                 .time(claim.until)
                 .text(claim.owner)
                 .text(d.id)
                 .exec(&m_lastError))
            return false;
        out.append({d, **payload});
    }
    return true;
}

// The same on a server, where every statement is a round trip: the payloads in one query
// and the claims in one statement per few hundred rows, not two round trips per delivery.
// The rows are locked (FOR UPDATE) by the query that found them.
bool Store::claimRowsOnServer(const QList<Delivery> &due, const Claim &claim,
                              QList<ClaimedDelivery> *claimed)
{
    if (due.isEmpty())
        return true;
    QHash<QString, QByteArray> payloads;
    {
        QStringList events;
        for (const Delivery &d : due)
            events << d.eventId;
        QSqlQuery &q =
            prepared("SELECT id, payload FROM events WHERE id = ANY(ARRAY(SELECT "
                     "value COLLATE \"C\" FROM json_array_elements_text(CAST(? AS json))))");
        q.bindValue(0, idsJson(events));
        if (!q.exec()) {
            m_lastError = q.lastError().text();
            return false;
        }
        while (q.next())
            payloads.insert(q.value(0).toString(), q.value(1).toByteArray());
        q.finish();
    }
    QStringList ids;
    for (const Delivery &d : due) {
        const auto payload = payloads.constFind(d.eventId);
        if (payload == payloads.constEnd()) {
            if (!cancelEventless(d.id))
                return false;
            continue;
        }
        ids << d.id;
        claimed->append({d, *payload});
    }
    if (!statement("UPDATE deliveries SET due_at = ?, claim_owner = ? WHERE id = ANY(ARRAY("
                   "SELECT value COLLATE \"C\" FROM json_array_elements_text(CAST(? AS json))))")
             .time(claim.until)
             .text(claim.owner)
             .text(idsJson(ids))
             .exec(&m_lastError)) {
        claimed->clear();
        return false;
    }
    return true;
}

std::optional<ClaimedDelivery> Store::sendable(const QString &deliveryId, QString *why) const
{
    const std::optional<Delivery> d = delivery(deliveryId, false);
    if (!d) {
        *why = Tr::tr("There is no delivery %1.").arg(deliveryId);
        return std::nullopt;
    }
    const std::optional<Event> e = event(d->eventId);
    if (!e) {
        *why = Tr::tr("The event of delivery %1 is no longer stored (retention removed it), so "
                      "it cannot be sent again.")
                   .arg(deliveryId);
        return std::nullopt;
    }
    return ClaimedDelivery{*d, e->payload};
}

bool Store::claimOne(const QString &deliveryId, const Claim &claim, const QDateTime &now,
                     std::optional<ClaimedDelivery> *claimed, QString *refusal, ClaimState state)
{
    claimed->reset();
    std::optional<ClaimedDelivery> found = sendable(deliveryId, refusal);
    if (!found)
        return true;
    if (state == ClaimState::Unfinished && isFinal(found->delivery.state)) {
        *refusal = Tr::tr("Delivery %1 is already %2.")
                       .arg(deliveryId, deliveryStateName(found->delivery.state));
        return true;
    }
    QSqlQuery q(m_db);
    q.prepare(m_pg ? QStringLiteral("SELECT claim_owner, due_at FROM deliveries WHERE id = ? "
                                    "FOR UPDATE")
                   : QStringLiteral("SELECT claim_owner, due_at FROM deliveries WHERE id = ?"));
    q.addBindValue(deliveryId);
    if (!q.exec() || !q.next()) {
        m_lastError = q.lastError().text();
        return false;
    }
    const QString owner = q.value(0).toString();
    const QDateTime due = fromMs(q.value(1));
    q.finish();
    if (!owner.isEmpty() && owner != claim.owner && due.isValid() && due > now) {
        *refusal = Tr::tr("Delivery %1 is being sent by another Hookline process (%2) right "
                          "now. Try again after %3, or look at its history.")
                       .arg(deliveryId, owner, due.toLocalTime().toString(Qt::ISODate));
        return true;
    }
    if (!statement("UPDATE deliveries SET due_at = ?, claim_owner = ? WHERE id = ?")
             .time(claim.until)
             .text(claim.owner)
             .text(deliveryId)
             .exec(&m_lastError))
        return false;
    *claimed = std::move(found);
    return true;
}

bool Store::renewClaims(const QStringList &deliveryIds, const Claim &claim)
{
    for (const QString &id : deliveryIds) {
        if (!statement("UPDATE deliveries SET due_at = ? WHERE id = ? AND claim_owner = ? "
                       "AND due_at IS NOT NULL")
                 .time(claim.until)
                 .text(id)
                 .text(claim.owner)
                 .exec(&m_lastError))
            return false;
    }
    return true;
}

bool Store::releaseClaims(const QStringList &deliveryIds, const QString &owner,
                          const QDateTime &now)
{
    if (!deliveryIds.isEmpty())
        announce(WorkQueued);
    for (const QString &id : deliveryIds) {
        if (!statement("UPDATE deliveries SET due_at = ?, claim_owner = '' WHERE id = ? AND "
                       "claim_owner = ? AND due_at IS NOT NULL")
                 .time(now)
                 .text(id)
                 .text(owner)
                 .exec(&m_lastError))
            return false;
    }
    return true;
}

int Store::releaseDeadOwners(const std::function<bool(const QString &)> &isDead,
                             const QDateTime &now)
{
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    QStringList owners;
    if (q.exec(QStringLiteral("SELECT DISTINCT claim_owner FROM deliveries WHERE due_at IS NOT "
                              "NULL AND claim_owner <> ''"))) {
        while (q.next())
            owners << q.value(0).toString();
    }
    q.finish();
    int released = 0;
    for (const QString &owner : std::as_const(owners)) {
        if (!isDead(owner))
            continue;
        Statement &release = statement("UPDATE deliveries SET due_at = ?, claim_owner = '' "
                                       "WHERE due_at IS NOT NULL AND claim_owner = ?");
        if (release.time(now).text(owner).exec(&m_lastError))
            released += int(release.changes());
        if (release.changes() > 0)
            announce(WorkQueued);
    }
    return released;
}

QDateTime Store::nextDue() const
{
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    // One seek per endpoint into the (endpoint_id, due_at) index.
    if (q.exec(QStringLiteral("SELECT MIN((SELECT due_at FROM deliveries AS d WHERE "
                              "d.endpoint_id = e.id AND d.due_at IS NOT NULL ORDER BY d.due_at "
                              "LIMIT 1)) FROM endpoints AS e")) &&
        q.next())
        return fromMs(q.value(0));
    return {};
}

QList<Delivery> Store::failedDeliveries(const QString &endpointId, const QDateTime &since) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT %1 FROM deliveries WHERE endpoint_id = ? AND state = "
                             "'failed' AND updated >= ? ORDER BY seq")
                  .arg(QLatin1String(kDeliveryColumns)));
    q.addBindValue(endpointId);
    q.addBindValue(since.toMSecsSinceEpoch());
    q.exec();
    QList<Delivery> out;
    while (q.next())
        out.append(deliveryFrom(q));
    return out;
}

qint64 Store::countRecoverable(const QString &endpointId, const QDateTime &since) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ? AND state IN "
                             "('failed', 'cancelled') AND updated >= ?"));
    q.addBindValue(endpointId);
    q.addBindValue(since.toMSecsSinceEpoch());
    if (!q.exec() || !q.next()) {
        m_lastError = q.lastError().text();
        return -1;
    }
    return q.value(0).toLongLong();
}

bool Store::requeueRecoverable(const QString &endpointId, const QDateTime &since,
                               const QDateTime &now, QList<Delivery> *requeued)
{
    requeued->clear();
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("UPDATE deliveries SET state = 'pending', next_attempt = ?, "
                             "due_at = ?, claim_owner = '', updated = ? WHERE endpoint_id = ? AND "
                             "state IN ('failed', 'cancelled') AND updated >= ? RETURNING %1")
                  .arg(QLatin1String(kDeliveryColumns)));
    q.addBindValue(now.toMSecsSinceEpoch());
    q.addBindValue(now.toMSecsSinceEpoch());
    q.addBindValue(now.toMSecsSinceEpoch());
    q.addBindValue(endpointId);
    q.addBindValue(since.toMSecsSinceEpoch());
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    while (q.next())
        requeued->append(deliveryFrom(q));
    if (q.lastError().isValid()) {
        m_lastError = q.lastError().text();
        return false;
    }
    if (!requeued->isEmpty())
        announce(WorkQueued | DeliveriesChanged);
    std::sort(requeued->begin(), requeued->end(),
              [](const Delivery &a, const Delivery &b) { return a.seq < b.seq; });
    return true;
}

qint64 Store::deliveryCount() const
{
    QSqlQuery q(m_db);
    return q.exec(QStringLiteral("SELECT COUNT(*) FROM deliveries")) && q.next()
               ? q.value(0).toLongLong()
               : 0;
}

qint64 Store::applyRetention(const RetentionPolicy &policy, const QDateTime &now)
{
    static const QString finalStates = QStringLiteral("('succeeded', 'failed', 'cancelled')");
    qint64 removed = 0;
    // A savepoint, not BEGIN: this also runs inside the writer thread's batch transaction.
    // (Outside one, SQLite's SAVEPOINT begins a transaction; PostgreSQL's needs one.)
    const bool own = m_pg && !m_inTransaction;
    if (own && !begin())
        return 0;
    if (!exec(QStringLiteral("SAVEPOINT retention"))) {
        if (own)
            rollback();
        return 0;
    }
    QSqlQuery q(m_db);
    auto removeWhere = [&](const QString &condition, const QVariantList &binds) {
        q.prepare(QStringLiteral("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM "
                                 "deliveries WHERE state IN %1 AND %2)")
                      .arg(finalStates, condition));
        for (const QVariant &v : binds)
            q.addBindValue(v);
        q.exec();
        q.prepare(QStringLiteral("DELETE FROM deliveries WHERE state IN %1 AND %2")
                      .arg(finalStates, condition));
        for (const QVariant &v : binds)
            q.addBindValue(v);
        if (q.exec())
            removed += q.numRowsAffected();
    };
    if (policy.maxAgeDays > 0)
        removeWhere(QStringLiteral("created < ?"),
                    {now.addDays(-policy.maxAgeDays).toMSecsSinceEpoch()});
    if (policy.maxDeliveries > 0) {
        // Keep the newest maxDeliveries rows overall; only final ones are ever removed.
        removeWhere(QStringLiteral("seq <= (SELECT seq FROM deliveries ORDER BY seq DESC "
                                   "LIMIT 1 OFFSET ?)"),
                    {policy.maxDeliveries});
    }
    q.exec(QStringLiteral("DELETE FROM events WHERE id NOT IN (SELECT event_id FROM deliveries)"));
    pruneActivity(now);
    exec(QStringLiteral("RELEASE retention"));
    if (own && !commit()) {
        rollback();
        return 0;
    }
    return removed;
}
