// SPDX-License-Identifier: GPL-3.0-or-later
#include "EndpointValidation.h"

#include "encoding/JsonText.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QUrl>

namespace {

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(EndpointValidation)
};

bool isTokenChar(QChar c)
{
    const ushort u = c.unicode();
    if (u >= 0x80)
        return false;
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(char(u));
}

QString describeChar(QChar c)
{
    switch (c.unicode()) {
    case ' ':
        return Tr::tr("a space");
    case '\t':
        return Tr::tr("a tab");
    case '\r':
        return Tr::tr("a carriage return (CR)");
    case '\n':
        return Tr::tr("a line feed (LF)");
    case 0:
        return Tr::tr("a NUL byte");
    default:
        break;
    }
    if (c.category() == QChar::Other_Format)
        return Tr::tr("the invisible character U+%1")
            .arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, u'0'));
    if (c.unicode() < 0x20 || c.unicode() == 0x7f || c.isSpace())
        return Tr::tr("the control character U+%1")
            .arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, u'0'));
    return QStringLiteral("“%1”").arg(c);
}

} // namespace

const QStringList &reservedHeaderNames()
{
    static const QStringList names = {
        QStringLiteral("host"),
        QStringLiteral("content-length"),
        QStringLiteral("transfer-encoding"),
        QStringLiteral("connection"),
        QStringLiteral("webhook-id"),
        QStringLiteral("webhook-timestamp"),
        QStringLiteral("webhook-signature"),
    };
    return names;
}

QString quoteForMessage(const QString &value, int maxLength)
{
    QString out;
    out.reserve(qMin(value.size(), maxLength) + 8);
    for (const QChar c : value) {
        if (out.size() >= maxLength) {
            out += QChar(0x2026); // …
            break;
        }
        switch (c.unicode()) {
        case '\r':
            out += QLatin1String("\\r");
            break;
        case '\n':
            out += QLatin1String("\\n");
            break;
        case '\t':
            out += QLatin1String("\\t");
            break;
        case 0:
            out += QLatin1String("\\0");
            break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QChar(u'0'));
            else
                out += c;
        }
    }
    return QStringLiteral("“%1”").arg(out);
}

namespace {
// The authority (user info, host, port) of a URL with "://", as typed: up to the first
// '/', '?' or '#' after it.
QStringView authorityAsTyped(const QString &url)
{
    const qsizetype start = url.indexOf(QLatin1String("://")) + 3;
    qsizetype end = url.size();
    for (const QChar stop : {u'/', u'?', u'#'}) {
        const qsizetype at = url.indexOf(stop, start);
        if (at >= 0)
            end = qMin(end, at);
    }
    return QStringView(url).mid(start, end - start);
}
} // namespace

QString validateUrl(const QString &url)
{
    if (url.trimmed().isEmpty())
        return Tr::tr("Enter the URL that should receive the webhooks, for example "
                      "https://crm.example.com/hooks/calls.");
    if (url.size() > kMaxUrlLength)
        return Tr::tr("The URL %1 is %2 characters long; the limit is %3. Use a shorter path or "
                      "move parameters into a header.")
            .arg(quoteForMessage(url, 60), QString::number(url.size()),
                 QString::number(kMaxUrlLength));
    for (int i = 0; i < url.size(); ++i) {
        const QChar c = url.at(i);
        // Invisible format characters (zero-width space, bidi marks) too: IDNA would drop
        // them from a host silently, and the admin would not see what was saved.
        if (c.unicode() < 0x20 || c.unicode() == 0x7f || c.isSpace() ||
            c.category() == QChar::Other_Format)
            return Tr::tr("The URL %1 contains %2 at position %3. Remove it, or percent-encode it "
                          "(a space is %20).")
                .arg(quoteForMessage(url), describeChar(c), QString::number(i + 1));
    }
    // The port as typed, before Qt's parser (whose messages are not for people): a number
    // from 1 to 65535, or none.
    if (const qsizetype scheme = url.indexOf(QLatin1String("://")); scheme > 0) {
        // Host and port only: user info (refused below, without echoing it) may hold colons.
        QStringView authority = authorityAsTyped(url);
        authority = authority.mid(authority.lastIndexOf(u'@') + 1);
        const qsizetype hostEnd = authority.startsWith(u'[') ? authority.indexOf(u']') : 0;
        const qsizetype colon = authority.lastIndexOf(u':');
        if (hostEnd >= 0 && colon > hostEnd && !authority.mid(colon + 1).isEmpty()) {
            const QStringView port = authority.mid(colon + 1);
            bool number = true;
            for (const QChar c : port)
                number = number && c.isDigit() && c.unicode() < 0x80;
            if (!number || port.size() > 5 || port.toInt() > 65535)
                return Tr::tr("%1 names the port %2; a port is a number from 1 to 65535 (or "
                              "none, for the scheme's default).")
                    .arg(quoteForMessage(url), quoteForMessage(port.toString(), 20));
        }
        if (authority.startsWith(u'[') && hostEnd < 0)
            return Tr::tr("The IPv6 address in %1 has no closing bracket. Write it as "
                          "http://[::1]:8080/path.")
                .arg(quoteForMessage(url));
    }
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid())
        return Tr::tr("%1 is not a valid URL: check the host name (letters, digits, dots and "
                      "hyphens, or an address) and write it as https://host[:port]/path.")
            .arg(quoteForMessage(url));
    const QString scheme = parsed.scheme().toLower();
    // "localhost:8080/x" parses as the scheme "localhost": a digit after the colon means a
    // port, so that is a URL without a scheme.
    const bool hostAndPort = !url.contains(QLatin1String("://")) &&
                             url.size() > scheme.size() + 1 && url.at(scheme.size() + 1).isDigit();
    if (!scheme.isEmpty() && !hostAndPort && scheme != QLatin1String("http") &&
        scheme != QLatin1String("https"))
        return Tr::tr("%1 uses the scheme “%2”; webhooks are delivered only over http:// "
                      "and https://.")
            .arg(quoteForMessage(url), scheme);
    if (scheme.isEmpty() || !url.contains(QLatin1String("://")))
        return Tr::tr("%1 has no scheme. Start it with https:// (or http:// for a local test "
                      "server).")
            .arg(quoteForMessage(url));
    if (parsed.host().isEmpty())
        return Tr::tr("%1 has no host name. Write it as %2://host[:port]/path.")
            .arg(quoteForMessage(url), scheme);
    // Any user info, even empty ("https://:@host/"), found in the text as typed.
    if (!parsed.userInfo().isEmpty() || authorityAsTyped(url).contains(u'@'))
        return Tr::tr("%1 holds a user name or password, which would be stored and shown with "
                      "the URL. Remove it and send the credentials in a custom header "
                      "(Authorization: Basic …) instead.")
            .arg(quoteForMessage(parsed.toString(QUrl::RemovePassword)));
    if (parsed.port() == 0)
        return Tr::tr("%1 names port 0, which cannot be connected to. Use a port from 1 to 65535, "
                      "or none for the scheme's default.")
            .arg(quoteForMessage(url));
    if (QHostAddress(parsed.host()).isNull() && QUrl::toAce(parsed.host()).isEmpty())
        return Tr::tr("The host name “%1” in %2 is not a valid internationalized (IDNA) "
                      "name.")
            .arg(parsed.host(), quoteForMessage(url));
    if (parsed.hasFragment())
        return Tr::tr("%1 has a fragment (#%2), which is never sent to the server. Remove it.")
            .arg(quoteForMessage(url), parsed.fragment());
    return {};
}

QString validateHeaderName(const QString &name)
{
    if (name.isEmpty())
        return Tr::tr("A custom header has no name. Give it a name such as X-Api-Key, or remove "
                      "the row.");
    for (int i = 0; i < name.size(); ++i) {
        if (!isTokenChar(name.at(i)))
            return Tr::tr("The header name %1 contains %2, which is not allowed in a header name. "
                          "Use letters, digits and !#$%&'*+-.^_`|~ only.")
                .arg(quoteForMessage(name), describeChar(name.at(i)));
    }
    if (reservedHeaderNames().contains(name.toLower()))
        return Tr::tr("The header %1 is set by Hookline itself and cannot be overridden. Remove "
                      "it.")
            .arg(quoteForMessage(name));
    static const QStringList hopByHop = {
        QStringLiteral("expect"),           QStringLiteral("upgrade"),
        QStringLiteral("keep-alive"),       QStringLiteral("te"),
        QStringLiteral("trailer"),          QStringLiteral("proxy-authorization"),
        QStringLiteral("proxy-connection"), QStringLiteral("proxy-authenticate"),
        QStringLiteral("http2-settings")};
    if (hopByHop.contains(name.toLower()))
        return Tr::tr("The header %1 belongs to one connection or proxy hop, not to the webhook, "
                      "and cannot be sent as a custom header. Remove it.")
            .arg(quoteForMessage(name));
    return {};
}

QString validateHeaderValue(const QString &name, const QString &value)
{
    for (int i = 0; i < value.size(); ++i) {
        const QChar c = value.at(i);
        if (c == u'\r' || c == u'\n')
            return Tr::tr("The value of header %1 contains a line break (%2), which would inject "
                          "extra headers into the request. Remove it: %3")
                .arg(quoteForMessage(name), describeChar(c), quoteForMessage(value));
        if (c.unicode() == 0)
            return Tr::tr("The value of header %1 contains a NUL byte. Remove it: %2")
                .arg(quoteForMessage(name), quoteForMessage(value));
        if ((c.unicode() < 0x20 && c != u'\t') || c.unicode() == 0x7f)
            return Tr::tr("The value of header %1 contains %2. Remove it: %3")
                .arg(quoteForMessage(name), describeChar(c), quoteForMessage(value));
    }
    if (value.size() > kMaxHeaderValueLength)
        return Tr::tr("The value of header %1 is %2 characters long; the limit is %3.")
            .arg(quoteForMessage(name), QString::number(value.size()),
                 QString::number(kMaxHeaderValueLength));
    return {};
}

QString validateHeader(const HttpHeader &header)
{
    QString error = validateHeaderName(header.name);
    if (error.isEmpty())
        error = validateHeaderValue(header.name, header.value);
    return error;
}

QString validateHeaders(const QList<HttpHeader> &headers)
{
    QStringList seen;
    for (const HttpHeader &h : headers) {
        const QString error = validateHeader(h);
        if (!error.isEmpty())
            return error;
        const QString lower = h.name.toLower();
        if (seen.contains(lower))
            return Tr::tr("The header %1 is listed twice. Keep one row and put the value there.")
                .arg(quoteForMessage(h.name));
        seen << lower;
    }
    return {};
}

QString validateSecret(const QString &secret)
{
    if (secret.isEmpty())
        return {}; // unsigned deliveries are allowed
    static const QLatin1String prefix("whsec_");
    if (!secret.startsWith(prefix))
        return Tr::tr("The signing secret must start with “whsec_” followed by base64; "
                      "%1 does not. Use Generate to create one.")
            .arg(quoteForMessage(secret, 12));
    const QByteArray b64 = secret.mid(prefix.size()).toLatin1();
    const auto decoded =
        QByteArray::fromBase64Encoding(b64, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || b64.isEmpty())
        return Tr::tr("The part of the signing secret after “whsec_” is not valid "
                      "base64. Use Generate to create a new secret.");
    const qsizetype n = decoded.decoded.size();
    if (n < 24 || n > 64)
        return Tr::tr("The signing secret holds %1 bytes; it must hold 24 to 64 random bytes. "
                      "Use Generate to create one.")
            .arg(n);
    return {};
}

QString validateRetryPolicy(const RetryPolicy &policy)
{
    if (policy.maxAttempts < 1 || policy.maxAttempts > kMaxAttemptsLimit)
        return Tr::tr("Maximum attempts is %1; choose between 1 and %2.")
            .arg(policy.maxAttempts)
            .arg(kMaxAttemptsLimit);
    if (policy.maxAttempts > 1 && policy.scheduleSeconds.isEmpty())
        return Tr::tr("The retry schedule is empty but %1 attempts are allowed. Add at least one "
                      "delay, for example 5, 300, 1800 (seconds).")
            .arg(policy.maxAttempts);
    constexpr int week = 7 * 24 * 3600;
    for (int s : policy.scheduleSeconds) {
        if (s < 0 || s > week)
            return Tr::tr("The retry delay %1 s is out of range; each delay must be between 0 s "
                          "and %2 s (one week).")
                .arg(s)
                .arg(week);
    }
    if (policy.disableAfterFailures < 0)
        return Tr::tr("“Disable after failures” is %1; use 0 (never) or a positive count.")
            .arg(policy.disableAfterFailures);
    return {};
}

QString validateLimits(const Endpoint &e)
{
    if (e.maxInFlight < kMinInFlight || e.maxInFlight > kMaxInFlight)
        return Tr::tr("The concurrency is %1 attempts at once; choose from %2 to %3.")
            .arg(e.maxInFlight)
            .arg(kMinInFlight)
            .arg(kMaxInFlight);
    // NaN fails both comparisons, so it is refused by the negated form.
    if (!(e.ratePerSecond >= 0 && e.ratePerSecond <= kMaxRatePerSecond))
        return Tr::tr("The rate limit is %1 deliveries per second; use 0 (no limit) or up to %2.")
            .arg(QString::number(e.ratePerSecond))
            .arg(kMaxRatePerSecond);
    if (e.ratePerSecond > 0 && e.ratePerSecond < 0.01)
        return Tr::tr("The rate limit %1 per second is below one delivery in 100 s; use at least "
                      "0.01, or 0 for no limit.")
            .arg(QString::number(e.ratePerSecond));
    if (e.rateBurst < 0 || e.rateBurst > kMaxRateBurst)
        return Tr::tr("The burst is %1; use 0 (the rate, rounded up) or up to %2.")
            .arg(e.rateBurst)
            .arg(kMaxRateBurst);
    return {};
}

QList<ValidationError> validateEndpoint(const Endpoint &e, const QStringList &knownEventTypes)
{
    QList<ValidationError> errors;
    auto add = [&errors](const char *field, const QString &message) {
        if (!message.isEmpty())
            errors.append({QLatin1String(field), message});
    };
    if (e.name.trimmed().isEmpty())
        add("name", Tr::tr("Give the endpoint a name, such as “CRM call log”."));
    else if (e.name.size() > 200)
        add("name",
            Tr::tr("The name is %1 characters long; keep it under 200.").arg(e.name.size()));
    add("url", validateUrl(e.url));
    add("headers", validateHeaders(e.headers));
    add("secret", validateSecret(e.secret));
    if (!e.previousSecret.isEmpty())
        add("secret", validateSecret(e.previousSecret));
    if (e.timeoutMs < kMinTimeoutMs || e.timeoutMs > kMaxTimeoutMs)
        add("timeoutMs", Tr::tr("The timeout is %1 ms; choose between %2 ms and %3 ms.")
                             .arg(e.timeoutMs)
                             .arg(kMinTimeoutMs)
                             .arg(kMaxTimeoutMs));
    add("retry", validateRetryPolicy(e.retry));
    add("limits", validateLimits(e));
    if (!e.orderKey.isEmpty() && (!JsonText::isValidPointer(e.orderKey) || e.orderKey.size() > 200))
        add("orderKey", Tr::tr("The ordering field %1 is not a JSON pointer. Write it as a path "
                               "from the payload's top, such as /callID or /agent/id.")
                            .arg(quoteForMessage(e.orderKey)));
    if (!e.allEvents) {
        if (e.eventTypes.isEmpty())
            add("eventTypes", Tr::tr("Pick at least one event, or choose All events."));
        for (const QString &t : e.eventTypes) {
            if (!knownEventTypes.isEmpty() && !knownEventTypes.contains(t)) {
                add("eventTypes", Tr::tr("Unknown event type %1. Known types: %2.")
                                      .arg(quoteForMessage(t), knownEventTypes.join(u", ")));
                break;
            }
        }
    }
    if (e.http2Cleartext && QUrl(e.url).scheme().toLower() == QLatin1String("https"))
        add("url", Tr::tr("Cleartext HTTP/2 applies only to http:// URLs; over https:// HTTP/2 is "
                          "negotiated automatically. Turn the option off or use http://."));
    if (e.http2Cleartext && e.http1Only)
        add("url", Tr::tr("An endpoint cannot both force HTTP/1.1 and use cleartext HTTP/2. Turn "
                          "one of the two off."));
    return errors;
}

QString parseHeaderLine(const QString &line, HttpHeader *header)
{
    const int colon = line.indexOf(u':');
    if (colon <= 0)
        return Tr::tr("%1 is not a header. Write it as “Name: value”, for example "
                      "“X-Api-Key: 123”.")
            .arg(quoteForMessage(line));
    HttpHeader h{line.left(colon).trimmed(), line.mid(colon + 1).trimmed()};
    const QString error = validateHeader(h);
    if (error.isEmpty() && header)
        *header = h;
    return error;
}
