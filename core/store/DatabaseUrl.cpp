// SPDX-License-Identifier: GPL-3.0-or-later
#include "DatabaseUrl.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QRegularExpression>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

namespace {

struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(DatabaseUrl)
};

// The text as typed with any password masked: an error message may end up in a log.
QString masked(const QString &text)
{
    static const QRegularExpression password(QStringLiteral("(://[^:/@]*:)[^@/]*@"));
    QString out = text;
    return out.replace(password, QStringLiteral("\\1***@"));
}

const QStringList &sslModes()
{
    static const QStringList modes = {QStringLiteral("disable"),   QStringLiteral("allow"),
                                      QStringLiteral("prefer"),    QStringLiteral("require"),
                                      QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes;
}

} // namespace

std::optional<DatabaseUrl> DatabaseUrl::parse(const QString &input, QString *error)
{
    const QString text = input.trimmed();
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return std::nullopt;
    };
    DatabaseUrl out;
    if (text.startsWith(QLatin1String("sqlite:"))) {
        out.kind = Kind::Sqlite;
        out.path = text.mid(7);
        if (out.path.startsWith(QLatin1String("//")))
            out.path = out.path.mid(2); // sqlite:///var/lib/hookline/hookline.sqlite
        if (out.path.isEmpty())
            return fail(Tr::tr("“%1” names no file. Write sqlite:PATH, for example "
                               "sqlite:/var/lib/hookline/hookline.sqlite.")
                            .arg(text));
        return out;
    }
    const int colon = int(text.indexOf(u':'));
    const QString scheme = colon > 0 ? text.left(colon).toLower() : QString();
    if (scheme != QLatin1String("postgresql") && scheme != QLatin1String("postgres"))
        return fail(Tr::tr("“%1” is not a database URL Hookline knows. Write sqlite:PATH for "
                           "a file, or postgresql://USER@HOST:PORT/DBNAME for a PostgreSQL "
                           "database.")
                        .arg(masked(text)));
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || !text.mid(colon).startsWith(QLatin1String("://")))
        return fail(Tr::tr("“%1” is not a valid PostgreSQL URL. Write it as "
                           "postgresql://USER@HOST:PORT/DBNAME (a password may follow the "
                           "user after a colon, percent-encoded).")
                        .arg(masked(text)));
    out.kind = Kind::Postgresql;
    out.host = url.host();
    if (out.host.isEmpty())
        return fail(Tr::tr("The PostgreSQL URL names no server. Write the host after "
                           "“postgresql://”, for example postgresql://hookline@db.example.com/"
                           "hookline."));
    if (url.port() == 0)
        return fail(Tr::tr("The port in the PostgreSQL URL must be 1–65535."));
    // QUrl reads a port it cannot parse as none at all: check what was written.
    const QString authority = url.authority(QUrl::FullyEncoded);
    const int at = int(authority.lastIndexOf(u'@'));
    const QString hostPart = authority.mid(at + 1);
    const int portColon = hostPart.startsWith(u'[') ? int(hostPart.indexOf(QLatin1String("]:")))
                                                    : int(hostPart.lastIndexOf(u':'));
    if (portColon >= 0) {
        const QString written = hostPart.mid(portColon + (hostPart.startsWith(u'[') ? 2 : 1));
        bool ok = false;
        const int port = written.toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return fail(Tr::tr("The port “%1” in the PostgreSQL URL must be a number from 1 to "
                               "65535 (PostgreSQL's own is 5432).")
                            .arg(written));
        out.port = quint16(port);
    }
    out.user = url.userName(QUrl::FullyDecoded);
    out.password = url.password(QUrl::FullyDecoded);
    out.database = url.path(QUrl::FullyDecoded).mid(1);
    if (out.database.isEmpty() || out.database.contains(u'/'))
        return fail(Tr::tr("The PostgreSQL URL %1 names no database, or more than one. End it "
                           "with /DBNAME, for example …:5432/hookline.")
                        .arg(out.display()));
    const QUrlQuery query(url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (key == QLatin1String("sslmode")) {
            if (!sslModes().contains(value))
                return fail(Tr::tr("sslmode “%1” is not one PostgreSQL knows: use %2.")
                                .arg(value, sslModes().join(QLatin1String(", "))));
            out.sslMode = value;
        } else if (key == QLatin1String("connect_timeout")) {
            bool ok = false;
            const int seconds = value.toInt(&ok);
            if (!ok || seconds < 1 || seconds > 600)
                return fail(Tr::tr("connect_timeout “%1” must be a number of seconds from 1 to "
                                   "600.")
                                .arg(value));
            out.connectTimeoutSeconds = seconds;
        } else {
            return fail(Tr::tr("The PostgreSQL URL has an option Hookline does not use: “%1”. "
                               "It takes sslmode and connect_timeout.")
                            .arg(key));
        }
    }
    return out;
}

QString DatabaseUrl::hostPort() const
{
    const bool v6 = QHostAddress(host).protocol() == QAbstractSocket::IPv6Protocol;
    return (v6 ? u'[' + host + u']' : host) + u':' + QString::number(port);
}

QString DatabaseUrl::display() const
{
    if (kind == Kind::Sqlite)
        return QStringLiteral("sqlite:") + path;
    QString who = QString::fromUtf8(QUrl::toPercentEncoding(user));
    if (!password.isEmpty())
        who += QStringLiteral(":***");
    if (!who.isEmpty())
        who += u'@';
    QString out = QStringLiteral("postgresql://") + who + hostPort() + u'/' +
                  QString::fromUtf8(QUrl::toPercentEncoding(database));
    if (sslMode != QLatin1String("prefer"))
        out += QStringLiteral("?sslmode=") + sslMode;
    return out;
}

QString DatabaseUrl::connectOptions() const
{
    return QStringLiteral("sslmode=%1;connect_timeout=%2").arg(sslMode).arg(connectTimeoutSeconds);
}
