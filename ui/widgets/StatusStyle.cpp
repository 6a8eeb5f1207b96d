// SPDX-License-Identifier: GPL-3.0-or-later
#include "StatusStyle.h"

#include <QCoreApplication>
#include <QHash>

namespace {

bool isDark(const QPalette &p)
{
    return p.color(QPalette::Base).lightness() < 128;
}

QColor pick(const QPalette &p, const char *light, const char *dark)
{
    return QColor(QLatin1String(isDark(p) ? dark : light));
}

// Icons are built once, on the GUI thread, and dropped before the application object goes
// (a QIcon must not outlive the icon engines).
QIcon cachedIcon(const char *name)
{
    static QHash<const char *, QIcon> *cache = nullptr;
    if (!cache) {
        cache = new QHash<const char *, QIcon>;
        qAddPostRoutine([] {
            delete cache;
            cache = nullptr;
        });
    }
    auto it = cache->find(name);
    if (it == cache->end())
        it = cache->insert(name,
                           QIcon(QStringLiteral(":/icons/status/%1.svg").arg(QLatin1String(name))));
    return *it;
}

// Every status is one of these; colour and icon are chosen from it, so the two never
// disagree about what counts as a success or a failure.
enum class Tone { Good, Warning, Bad, Pending, Plain };

Tone outcomeTone(int status, ErrorClass error)
{
    if (status >= 200 && status < 300 && error == ErrorClass::None)
        return Tone::Good;
    if (status >= 300 && status < 500 && error != ErrorClass::Timeout)
        return Tone::Warning;
    if (status == 0 && error == ErrorClass::None)
        return Tone::Pending;
    return Tone::Bad;
}

Tone verdictTone(SignatureVerdict verdict)
{
    switch (verdict) {
    case SignatureVerdict::Valid:
        return Tone::Good;
    case SignatureVerdict::Unchecked:
        return Tone::Plain;
    case SignatureVerdict::Missing:
        return Tone::Warning;
    case SignatureVerdict::Invalid:
    case SignatureVerdict::TimestampOutOfTolerance:
    case SignatureVerdict::Malformed:
        break;
    }
    return Tone::Bad;
}

QColor toneColor(Tone tone, const QPalette &p)
{
    switch (tone) {
    case Tone::Good:
        return pick(p, "#1b7f3b", "#5fd38d");
    case Tone::Warning:
        return pick(p, "#a15c00", "#f0b45a");
    case Tone::Bad:
        return pick(p, "#b3261e", "#ff8a80");
    case Tone::Pending:
        return p.color(QPalette::PlaceholderText);
    case Tone::Plain:
        break;
    }
    return p.color(QPalette::Text);
}

QIcon toneIcon(Tone tone)
{
    switch (tone) {
    case Tone::Good:
        return cachedIcon("succeeded");
    case Tone::Warning:
        return cachedIcon("warning");
    case Tone::Bad:
        return cachedIcon("failed");
    case Tone::Pending:
        return cachedIcon("pending");
    case Tone::Plain:
        break;
    }
    return {};
}

} // namespace

namespace StatusStyle {

QString outcomeText(int status, ErrorClass error)
{
    if (status > 0 && error != ErrorClass::Timeout)
        return QString::number(status);
    if (error == ErrorClass::None)
        return QStringLiteral("—"); // not attempted yet
    return errorText(error);
}

QString errorText(ErrorClass error)
{
    switch (error) {
    case ErrorClass::None:
        return {};
    case ErrorClass::Dns:
        return QCoreApplication::translate("StatusStyle", "dns", "error class: host not found");
    case ErrorClass::Refused:
        return QCoreApplication::translate("StatusStyle", "refused",
                                           "error class: connection refused");
    case ErrorClass::Timeout:
        return QCoreApplication::translate("StatusStyle", "timeout", "error class");
    case ErrorClass::Tls:
        return QCoreApplication::translate("StatusStyle", "tls", "error class: TLS handshake");
    case ErrorClass::Http3xx:
        return QCoreApplication::translate("StatusStyle", "http-3xx", "error class");
    case ErrorClass::Http4xx:
        return QCoreApplication::translate("StatusStyle", "http-4xx", "error class");
    case ErrorClass::Http5xx:
        return QCoreApplication::translate("StatusStyle", "http-5xx", "error class");
    case ErrorClass::Aborted:
        return QCoreApplication::translate("StatusStyle", "aborted", "error class");
    case ErrorClass::Network:
        return QCoreApplication::translate("StatusStyle", "network", "error class");
    case ErrorClass::Blocked:
        return QCoreApplication::translate("StatusStyle", "blocked",
                                           "error class: refused by the egress policy");
    }
    return errorClassName(error);
}

QString triggerText(AttemptTrigger trigger)
{
    switch (trigger) {
    case AttemptTrigger::Scheduled:
        return QCoreApplication::translate("StatusStyle", "scheduled", "attempt trigger");
    case AttemptTrigger::Manual:
        return QCoreApplication::translate("StatusStyle", "manual", "attempt trigger");
    case AttemptTrigger::Test:
        return QCoreApplication::translate("StatusStyle", "test", "attempt trigger");
    }
    return attemptTriggerName(trigger);
}

QIcon stateIcon(DeliveryState state)
{
    switch (state) {
    case DeliveryState::Pending:
        return cachedIcon("pending");
    case DeliveryState::InFlight:
        return cachedIcon("inflight");
    case DeliveryState::Succeeded:
        return cachedIcon("succeeded");
    case DeliveryState::Retrying:
        return cachedIcon("retrying");
    case DeliveryState::Failed:
        return cachedIcon("failed");
    case DeliveryState::Cancelled:
        return cachedIcon("cancelled");
    }
    return {};
}

QIcon endpointIcon(bool enabled)
{
    return enabled ? QIcon() : cachedIcon("disabled");
}

QString verdictText(SignatureVerdict verdict)
{
    switch (verdict) {
    case SignatureVerdict::Valid:
        return QCoreApplication::translate("StatusStyle", "valid", "signature verdict");
    case SignatureVerdict::Invalid:
        return QCoreApplication::translate("StatusStyle", "invalid", "signature verdict");
    case SignatureVerdict::Missing:
        return QCoreApplication::translate("StatusStyle", "missing", "signature verdict");
    case SignatureVerdict::TimestampOutOfTolerance:
        return QCoreApplication::translate("StatusStyle", "stale timestamp", "signature verdict");
    case SignatureVerdict::Malformed:
        return QCoreApplication::translate("StatusStyle", "malformed", "signature verdict");
    case SignatureVerdict::Unchecked:
        return QCoreApplication::translate("StatusStyle", "not checked", "signature verdict");
    }
    return signatureVerdictName(verdict);
}

QColor outcomeColor(int status, ErrorClass error, const QPalette &palette)
{
    return toneColor(outcomeTone(status, error), palette);
}

QIcon outcomeIcon(int status, ErrorClass error)
{
    return toneIcon(outcomeTone(status, error));
}

QIcon verdictIcon(SignatureVerdict verdict)
{
    return toneIcon(verdictTone(verdict));
}

QColor verdictColor(SignatureVerdict verdict, const QPalette &palette)
{
    return toneColor(verdictTone(verdict), palette);
}

QColor stateColor(DeliveryState state, const QPalette &palette)
{
    switch (state) {
    case DeliveryState::Succeeded:
        return toneColor(Tone::Good, palette);
    case DeliveryState::Retrying:
        return toneColor(Tone::Warning, palette);
    case DeliveryState::Failed:
        return toneColor(Tone::Bad, palette);
    case DeliveryState::Pending:
    case DeliveryState::InFlight:
    case DeliveryState::Cancelled:
        break;
    }
    return toneColor(Tone::Pending, palette);
}

QString stateText(DeliveryState state)
{
    switch (state) {
    case DeliveryState::Pending:
        return QCoreApplication::translate("StatusStyle", "pending");
    case DeliveryState::InFlight:
        return QCoreApplication::translate("StatusStyle", "in flight");
    case DeliveryState::Succeeded:
        return QCoreApplication::translate("StatusStyle", "succeeded");
    case DeliveryState::Retrying:
        return QCoreApplication::translate("StatusStyle", "retrying");
    case DeliveryState::Failed:
        return QCoreApplication::translate("StatusStyle", "failed");
    case DeliveryState::Cancelled:
        return QCoreApplication::translate("StatusStyle", "cancelled");
    }
    return {};
}

} // namespace StatusStyle
