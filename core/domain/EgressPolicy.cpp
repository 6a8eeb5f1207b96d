// SPDX-License-Identifier: GPL-3.0-or-later
#include "EgressPolicy.h"

namespace {

bool inRange(const QHostAddress &a, const char *cidr)
{
    return a.isInSubnet(QHostAddress::parseSubnet(QString::fromLatin1(cidr)));
}

// The address as IPv4 when it is an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
QHostAddress plain(const QHostAddress &a)
{
    bool ok = false;
    const quint32 v4 = a.toIPv4Address(&ok);
    return ok ? QHostAddress(v4) : a;
}

bool linkLocalOrMetadata(const QHostAddress &a)
{
    return inRange(a, "169.254.0.0/16") || inRange(a, "fe80::/10") ||
           a == QHostAddress(QStringLiteral("fd00:ec2::254")) || inRange(a, "0.0.0.0/8") ||
           inRange(a, "224.0.0.0/4") || inRange(a, "ff00::/8") || inRange(a, "240.0.0.0/4") ||
           a == QHostAddress(QHostAddress::Broadcast) || a == QHostAddress(QHostAddress::AnyIPv6);
}

bool notPublic(const QHostAddress &a)
{
    static const char *const ranges[] = {
        "127.0.0.0/8",   "10.0.0.0/8",   "172.16.0.0/12", "192.168.0.0/16",  "100.64.0.0/10",
        "192.0.0.0/24",  "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "::1/128",       "fc00::/7",     "64:ff9b::/96",  "64:ff9b:1::/48",  "100::/64",
        "2001:db8::/32", "2002::/16",    "2001::/32",     "fec0::/10"};
    for (const char *r : ranges) {
        if (inRange(a, r))
            return true;
    }
    return false;
}

} // namespace

QString EgressPolicy::levelName(Level level)
{
    switch (level) {
    case Level::Any:
        return QStringLiteral("any");
    case Level::NoLinkLocal:
        return QStringLiteral("no-link-local");
    case Level::PublicOnly:
        return QStringLiteral("public-only");
    }
    return {};
}

bool EgressPolicy::levelFromName(const QString &name, Level *level)
{
    for (Level l : {Level::Any, Level::NoLinkLocal, Level::PublicOnly}) {
        if (levelName(l) == name) {
            *level = l;
            return true;
        }
    }
    return false;
}

bool EgressPolicy::addAllowed(const QString &entry)
{
    const QString e = entry.trimmed().toLower();
    if (e.isEmpty())
        return false;
    if (e.contains(u'/')) {
        const QPair<QHostAddress, int> subnet = QHostAddress::parseSubnet(e);
        if (subnet.first.isNull())
            return false;
        allowed.append(subnet);
        return true;
    }
    const QHostAddress literal(e);
    if (!literal.isNull()) {
        allowed.append({literal, literal.protocol() == QAbstractSocket::IPv4Protocol ? 32 : 128});
        return true;
    }
    for (const QChar c : e) {
        if (!(c.isLetterOrNumber() || c == u'-' || c == u'.'))
            return false;
    }
    allowHosts.append(e);
    return true;
}

QStringList EgressPolicy::allowEntries() const
{
    QStringList out = allowHosts;
    for (const auto &s : allowed) {
        const bool whole =
            s.second == (s.first.protocol() == QAbstractSocket::IPv4Protocol ? 32 : 128);
        out << (whole ? s.first.toString()
                      : s.first.toString() + QLatin1Char('/') + QString::number(s.second));
    }
    return out;
}

AttemptError EgressPolicy::refusal(const QHostAddress &address, const QString &host,
                                   quint16 port) const
{
    if (level == Level::Any)
        return {};
    const QHostAddress a = plain(address);
    if (allowHosts.contains(host.toLower()))
        return {};
    for (const auto &s : allowed) {
        if (a.isInSubnet(s))
            return {};
    }
    if (receiverPort && port == receiverPort && a.isLoopback())
        return {};
    const bool blocked = linkLocalOrMetadata(a) || (level == Level::PublicOnly && notPublic(a));
    if (!blocked)
        return {};
    const bool named = !(host.compare(a.toString(), Qt::CaseInsensitive) == 0 ||
                         host == QLatin1Char('[') + a.toString() + QLatin1Char(']'));
    return AttemptError(level == Level::PublicOnly ? AttemptError::Kind::NotPublic
                                                   : AttemptError::Kind::LinkLocal,
                        {a.toString(), named ? host : QString()});
}
