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

QIcon outcomeIcon(int status, ErrorClass error)
{
    if (status >= 200 && status < 300 && error == ErrorClass::None)
        return cachedIcon("succeeded");
    if (status >= 300 && status < 500 && error != ErrorClass::Timeout)
        return cachedIcon("warning");
    if (status == 0 && error == ErrorClass::None)
        return cachedIcon("pending");
    return cachedIcon("failed");
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

QIcon verdictIcon(SignatureVerdict verdict)
{
    switch (verdict) {
    case SignatureVerdict::Valid:
        return cachedIcon("succeeded");
    case SignatureVerdict::Unchecked:
        return {};
    case SignatureVerdict::Missing:
        return cachedIcon("warning");
    case SignatureVerdict::Invalid:
    case SignatureVerdict::TimestampOutOfTolerance:
    case SignatureVerdict::Malformed:
        break;
    }
    return cachedIcon("failed");
}

QColor verdictColor(SignatureVerdict verdict, const QPalette &palette)
{
    switch (verdict) {
    case SignatureVerdict::Valid:
        return outcomeColor(200, ErrorClass::None, palette);
    case SignatureVerdict::Unchecked:
        return palette.color(QPalette::Text);
    case SignatureVerdict::Missing:
        return outcomeColor(400, ErrorClass::None, palette);
    case SignatureVerdict::Invalid:
    case SignatureVerdict::TimestampOutOfTolerance:
    case SignatureVerdict::Malformed:
        break;
    }
    return outcomeColor(0, ErrorClass::Network, palette);
}

QColor outcomeColor(int status, ErrorClass error, const QPalette &palette)
{
    if (status >= 200 && status < 300 && error == ErrorClass::None)
        return pick(palette, "#1b7f3b", "#5fd38d");
    if (status >= 300 && status < 500 && error != ErrorClass::Timeout)
        return pick(palette, "#a15c00", "#f0b45a");
    if (status == 0 && error == ErrorClass::None)
        return palette.color(QPalette::PlaceholderText);
    return pick(palette, "#b3261e", "#ff8a80");
}

QColor stateColor(DeliveryState state, const QPalette &palette)
{
    switch (state) {
    case DeliveryState::Succeeded:
        return pick(palette, "#1b7f3b", "#5fd38d");
    case DeliveryState::Retrying:
        return pick(palette, "#a15c00", "#f0b45a");
    case DeliveryState::Failed:
        return pick(palette, "#b3261e", "#ff8a80");
    case DeliveryState::Pending:
    case DeliveryState::InFlight:
    case DeliveryState::Cancelled:
        break;
    }
    return palette.color(QPalette::PlaceholderText);
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
