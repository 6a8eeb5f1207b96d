// SPDX-License-Identifier: GPL-3.0-or-later
// hookline serve: headless - the API, the delivery engine and the built-in receiver in one
// process. Ready when it prints "listening on URL"; one log line per request; SIGINT/SIGTERM
// stop it cleanly (no new requests, attempts in flight finish or go back to the store).
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QFile>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTextStream>

namespace Cli {

namespace {

constexpr quint16 kDefaultReceiverPort = 8471;

bool loadTls(const QString &certFile, const QString &keyFile, QSslConfiguration *tls,
             QString *error)
{
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certFile, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = msg("--tls-cert %1 holds no PEM certificate.").arg(certFile);
        return false;
    }
    QFile f(keyFile);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = msg("Cannot read --tls-key %1: %2").arg(keyFile, f.errorString());
        return false;
    }
    const QByteArray pem = f.readAll();
    QSslKey key;
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        *error = msg("--tls-key %1 holds no unencrypted PEM private key.").arg(keyFile);
        return false;
    }
    *tls = QSslConfiguration::defaultConfiguration();
    tls->setLocalCertificateChain(chain);
    tls->setPrivateKey(key);
    tls->setPeerVerifyMode(QSslSocket::VerifyNone);
    return true;
}

} // namespace

int serveCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("listen"), msg("Address and port of the API."),
                 QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:8470")});
    p.addOption({QStringLiteral("receiver-port"), msg("Port of the built-in receiver."),
                 QStringLiteral("P"), QString::number(kDefaultReceiverPort)});
    p.addOption({QStringLiteral("no-receiver"), msg("Do not start the built-in receiver.")});
    p.addOption({QStringLiteral("tls-cert"), msg("PEM certificate (chain) for HTTPS."),
                 QStringLiteral("FILE")});
    p.addOption(
        {QStringLiteral("tls-key"), msg("PEM private key for HTTPS."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("insecure-http"),
                 msg("Allow plain HTTP on an address other than loopback.")});
    p.addOption({QStringLiteral("log-json"), msg("Log requests as JSON Lines.")});
    p.addOption({QStringLiteral("rate-limit"), msg("Requests per second per token."),
                 QStringLiteral("N"), QStringLiteral("100")});
    p.addOption({QStringLiteral("burst"), msg("Requests a token may send at once."),
                 QStringLiteral("N"), QStringLiteral("200")});
    QString error;
    if (!parse(p, QStringLiteral("serve"), args, &error))
        return usageError(error);
    if (!p.positionalArguments().isEmpty())
        return usageError(msg("Unexpected argument “%1”.").arg(p.positionalArguments().first()));
    ApiOptions options;
    QHostAddress &address = options.address;
    if (!parseListenAddress(p.value(QStringLiteral("listen")), &address, &options.port))
        return usageError(msg("--listen takes HOST:PORT, e.g. 127.0.0.1:8470 or [::1]:8470; "
                              "“%1” is not one.")
                              .arg(p.value(QStringLiteral("listen"))));
    int receiverPort = 0;
    if (!toInt(p.value(QStringLiteral("receiver-port")), 0, 65535, &receiverPort))
        return usageError(msg("--receiver-port must be a number from 0 to 65535, not “%1”.")
                              .arg(p.value(QStringLiteral("receiver-port"))));
    if (p.isSet(QStringLiteral("receiver-port")) && p.isSet(QStringLiteral("no-receiver")))
        return usageError(msg("Use either --receiver-port or --no-receiver, not both."));
    int rate = 0;
    int burst = 0;
    if (!toInt(p.value(QStringLiteral("rate-limit")), 1, 1000000, &rate) ||
        !toInt(p.value(QStringLiteral("burst")), 1, 1000000, &burst))
        return usageError(msg("--rate-limit and --burst must be numbers from 1 to 1000000."));
    const bool certSet = p.isSet(QStringLiteral("tls-cert"));
    if (certSet != p.isSet(QStringLiteral("tls-key")))
        return usageError(msg("HTTPS needs both --tls-cert FILE and --tls-key FILE."));
    std::optional<QSslConfiguration> &tls = options.tls;
    if (certSet) {
        QSslConfiguration config;
        if (!loadTls(p.value(QStringLiteral("tls-cert")), p.value(QStringLiteral("tls-key")),
                     &config, &error))
            return invalidInput(error);
        tls = config;
    }
    options.ratePerSecond = rate;
    options.burst = burst;
    // Tokens travel in every request: off this machine, only over TLS unless said otherwise.
    if (!address.isLoopback() && !tls) {
        if (!p.isSet(QStringLiteral("insecure-http")))
            return invalidInput(
                msg("%1 is not a loopback address: the API's tokens would cross the network in "
                    "clear text. Serve HTTPS with --tls-cert FILE --tls-key FILE, or pass "
                    "--insecure-http if something else (a TLS proxy) protects the traffic.")
                    .arg(address.toString()));
        err() << msg("hookline serve: WARNING: plain HTTP on %1; anyone on the network path "
                     "can read tokens and payloads.")
                     .arg(address.toString())
              << "\n";
        err().flush();
    }

    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    if (!engine.serveApi(options, &error))
        return failure(error);
    if (!p.isSet(QStringLiteral("no-receiver"))) {
        if (!engine.listenReceiver(quint16(receiverPort), &error))
            return failure(error);
        engine.startReceiver(engine.receiverPort(), &error); // its inboxes, for saved endpoints
    }
    const bool json = p.isSet(QStringLiteral("log-json"));
    QObject::connect(&engine, &Engine::apiRequestLogged, &engine, [json](const ApiLogEntry &e) {
        if (json) {
            out() << QJsonDocument(
                         QJsonObject{{QStringLiteral("time"), e.time.toString(Qt::ISODateWithMs)},
                                     {QStringLiteral("method"), QString::fromLatin1(e.method)},
                                     {QStringLiteral("path"), e.path},
                                     {QStringLiteral("status"), e.status},
                                     {QStringLiteral("ms"), e.ms},
                                     {QStringLiteral("token"), e.tokenName},
                                     {QStringLiteral("remote"), e.remote}})
                         .toJson(QJsonDocument::Compact)
                  << "\n";
        } else {
            out() << QStringLiteral("%1  %2 %3  %4  %5 ms  %6\n")
                         .arg(e.time.toString(Qt::ISODateWithMs), QString::fromLatin1(e.method),
                              e.path)
                         .arg(e.status)
                         .arg(e.ms, 0, 'f', 1)
                         .arg(e.tokenName.isEmpty() ? QStringLiteral("-") : e.tokenName);
        }
        out().flush();
    });
    QObject::connect(&engine, &Engine::storeProblem, &engine, [](const QString &why) {
        err() << msg("hookline serve: the database cannot be written (%1). Publishing answers "
                     "503 and attempts are paused until it can. %2")
                     .arg(why, Engine::storeAdvice(why))
              << "\n";
        err().flush();
    });
    QObject::connect(&engine, &Engine::storeRecovered, &engine, [] {
        err() << msg("hookline serve: the database can be written again.") << "\n";
        err().flush();
    });
    engine.resume();
    engine.setPollInterval(1000); // endpoint changes made by other processes
    if (engine.isReceiverListening())
        err() << msg("hookline serve: built-in receiver on http://127.0.0.1:%1/inbox/<name>")
                     .arg(engine.receiverPort())
              << "\n";
    err().flush();
    out() << msg("listening on %1").arg(engine.apiUrl()) << "\n";
    out().flush();

    runUntilShutdownSignal();
    err() << msg("hookline serve: stopping; finishing attempts in flight.") << "\n";
    err().flush();
    engine.stopApi(); // no new requests
    engine.setPollInterval(0);
    engine.close(); // attempts finish or are recorded; unstarted claims go back to the store
    return 0;
}

} // namespace Cli
