// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttemptError.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <iterator>

namespace {

struct Wording
{
    AttemptError::Kind kind;
    const char *code; // stored: never change one
    const char *context;
    const char *source;
};

// The sentences, in the contexts their translations have always had (the dispatcher's and
// the egress policy's).
const Wording kWordings[] = {
    {AttemptError::Kind::Words, "words", nullptr, nullptr},
    {AttemptError::Kind::Timeout, "timeout", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "No answer from %1 within the endpoint's timeout; the "
                                     "attempt was cut off.")},
    {AttemptError::Kind::TimeoutAnswered, "timeout-answered", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "The endpoint answered %1 but did not finish the response "
                                     "within the %2 ms timeout; the attempt was cut off.")},
    {AttemptError::Kind::Redirect, "redirect", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "Redirects are not followed: the endpoint answered %1 %2 "
                                     "pointing to %3. Register the final URL instead.")},
    {AttemptError::Kind::HttpStatus, "http-status", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "The endpoint answered %1 %2.")},
    {AttemptError::Kind::BodyCapped, "body-capped", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "The response body was longer than %1 KiB; Hookline read "
                                     "that much and discarded the rest.")},
    {AttemptError::Kind::Dns, "dns", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "The host name %1 could not be resolved (DNS). Check the "
                                     "URL's spelling, or the machine's DNS settings.")},
    {AttemptError::Kind::Refused, "refused", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "Connection refused by %1: nothing is listening there. Is "
                                     "the receiver running, and is the port right?")},
    {AttemptError::Kind::NoAnswerInTime, "no-answer", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "%1 did not answer in time.")},
    {AttemptError::Kind::Tls, "tls", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "The TLS handshake with %1 failed: %2. Fix the server's "
                                     "certificate, or turn off TLS verification for this "
                                     "endpoint (for testing only).")},
    {AttemptError::Kind::Aborted, "aborted", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "The attempt was aborted before an answer arrived.")},
    {AttemptError::Kind::Closed, "closed", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "%1 closed the connection without answering.")},
    {AttemptError::Kind::Failed, "failed", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "The request to %1 failed: %2.")},
    {AttemptError::Kind::HostNotFound, "host-not-found", "Dispatcher",
     QT_TRANSLATE_NOOP("Dispatcher", "Host %1 not found: %2")},
    {AttemptError::Kind::NotPublic, "not-public", "EgressPolicy",
     QT_TRANSLATE_NOOP("EgressPolicy",
                       "The address %1 is not public, and the egress policy is “public-only”. "
                       "Add the host or its range to the policy's allow-list if it should be "
                       "reached.")},
    {AttemptError::Kind::LinkLocal, "link-local", "EgressPolicy",
     QT_TRANSLATE_NOOP("EgressPolicy",
                       "The address %1 is link-local, cloud metadata or otherwise not routable, "
                       "which the egress policy “no-link-local” blocks. Add the host or its "
                       "range to the policy's allow-list if it should be reached.")},
};

const Wording &wording(AttemptError::Kind kind)
{
    for (const Wording &w : kWordings) {
        if (w.kind == kind)
            return w;
    }
    return kWordings[0];
}

QString translated(const char *context, const char *source)
{
    return QCoreApplication::translate(context, source);
}

const char *const kNowhere = QT_TRANSLATE_NOOP("Dispatcher", "nowhere");
const char *const kAddressOfHost = QT_TRANSLATE_NOOP("EgressPolicy", "%1 (%2)");

} // namespace

AttemptError::AttemptError(Kind kind, const QStringList &args)
{
    then(kind, args);
}

AttemptError AttemptError::words(const QString &text)
{
    return text.isEmpty() ? AttemptError() : AttemptError(Kind::Words, {text});
}

AttemptError &AttemptError::then(Kind kind, const QStringList &args)
{
    m_parts.append({kind, args});
    return *this;
}

QString AttemptError::text() const
{
    QStringList sentences;
    for (const Part &p : m_parts) {
        const auto arg = [&p](int i) {
            return i < p.args.size() ? p.args.at(i) : QString();
        };
        const Wording &w = wording(p.kind);
        const char *context = w.context;
        switch (p.kind) {
        case Kind::Words:
            sentences << arg(0);
            break;
        case Kind::Redirect:
            sentences << translated(context, w.source)
                             .arg(arg(0), arg(1),
                                  arg(2).isEmpty() ? translated("Dispatcher", kNowhere) : arg(2));
            break;
        case Kind::NotPublic:
        case Kind::LinkLocal: {
            // The address, and the name the URL gave it when it gave one.
            const QString shown =
                arg(1).isEmpty() ? arg(0)
                                 : translated("EgressPolicy", kAddressOfHost).arg(arg(0), arg(1));
            sentences << translated(context, w.source).arg(shown);
            break;
        }
        case Kind::Aborted:
            sentences << translated(context, w.source);
            break;
        default: {
            QString s = translated(context, w.source);
            // One argument at a time would read a "%2" inside a host name as a place holder.
            switch (p.args.size()) {
            case 0:
                break;
            case 1:
                s = s.arg(arg(0));
                break;
            case 2:
                s = s.arg(arg(0), arg(1));
                break;
            default:
                s = s.arg(arg(0), arg(1), arg(2));
                break;
            }
            sentences << s;
            break;
        }
        }
    }
    return sentences.join(u' ');
}

QString AttemptError::encode() const
{
    if (m_parts.isEmpty())
        return {};
    QJsonArray parts;
    for (const Part &p : m_parts) {
        QJsonArray part{QLatin1String(wording(p.kind).code)};
        for (const QString &a : p.args)
            part.append(a);
        parts.append(part);
    }
    return QString::fromUtf8(QJsonDocument(parts).toJson(QJsonDocument::Compact));
}

AttemptError AttemptError::decode(const QString &stored)
{
    if (stored.isEmpty())
        return {};
    const QJsonDocument doc = QJsonDocument::fromJson(stored.toUtf8());
    AttemptError out;
    if (!doc.isArray())
        return words(stored);
    for (const QJsonValue &v : doc.array()) {
        const QJsonArray part = v.toArray();
        const QString code = part.at(0).toString();
        const auto it =
            std::find_if(std::begin(kWordings), std::end(kWordings),
                         [&code](const Wording &w) { return code == QLatin1String(w.code); });
        QStringList args;
        for (qsizetype i = 1; i < part.size(); ++i)
            args << part.at(i).toString();
        if (it == std::end(kWordings))
            // An unknown kind (a damaged record): its particulars rather than nothing.
            out.then(Kind::Words, {code + QLatin1String(": ") + args.join(QLatin1String(", "))});
        else
            out.then(it->kind, args);
    }
    return out;
}

bool AttemptError::operator==(const AttemptError &other) const
{
    return m_parts == other.m_parts;
}
