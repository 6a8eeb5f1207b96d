// SPDX-License-Identifier: GPL-3.0-or-later
#include "Delivery.h"
#include "Event.h"

#include <array>
#include <utility>

namespace {

template<typename E, std::size_t N>
QString nameOf(const std::array<std::pair<E, const char *>, N> &table, E value)
{
    for (const auto &[v, n] : table) {
        if (v == value)
            return QLatin1String(n);
    }
    return {};
}

template<typename E, std::size_t N>
bool valueOf(const std::array<std::pair<E, const char *>, N> &table, const QString &name, E *out)
{
    for (const auto &[v, n] : table) {
        if (name.compare(QLatin1String(n), Qt::CaseInsensitive) == 0) {
            if (out)
                *out = v;
            return true;
        }
    }
    return false;
}

constexpr std::array<std::pair<DeliveryState, const char *>, 6> kStates{{
    {DeliveryState::Pending, "pending"},
    {DeliveryState::InFlight, "in-flight"},
    {DeliveryState::Succeeded, "succeeded"},
    {DeliveryState::Retrying, "retrying"},
    {DeliveryState::Failed, "failed"},
    {DeliveryState::Cancelled, "cancelled"},
}};

constexpr std::array<std::pair<AttemptTrigger, const char *>, 3> kTriggers{{
    {AttemptTrigger::Scheduled, "scheduled"},
    {AttemptTrigger::Manual, "manual"},
    {AttemptTrigger::Test, "test"},
}};

constexpr std::array<std::pair<ErrorClass, const char *>, 11> kErrors{{
    {ErrorClass::None, "none"},
    {ErrorClass::Dns, "dns"},
    {ErrorClass::Refused, "refused"},
    {ErrorClass::Timeout, "timeout"},
    {ErrorClass::Tls, "tls"},
    {ErrorClass::Http3xx, "http-3xx"},
    {ErrorClass::Http4xx, "http-4xx"},
    {ErrorClass::Http5xx, "http-5xx"},
    {ErrorClass::Aborted, "aborted"},
    {ErrorClass::Network, "network"},
    {ErrorClass::Blocked, "blocked"},
}};

constexpr std::array<std::pair<EventOrigin, const char *>, 4> kOrigins{{
    {EventOrigin::Test, "test"},
    {EventOrigin::Scenario, "scenario"},
    {EventOrigin::Api, "api"},
    {EventOrigin::Replay, "replay"},
}};

} // namespace

QString deliveryStateName(DeliveryState state)
{
    return nameOf(kStates, state);
}
bool deliveryStateFromName(const QString &name, DeliveryState *state)
{
    return valueOf(kStates, name, state);
}
bool isFinal(DeliveryState state)
{
    return state == DeliveryState::Succeeded || state == DeliveryState::Failed ||
           state == DeliveryState::Cancelled;
}
QString attemptTriggerName(AttemptTrigger trigger)
{
    return nameOf(kTriggers, trigger);
}
bool attemptTriggerFromName(const QString &name, AttemptTrigger *trigger)
{
    return valueOf(kTriggers, name, trigger);
}
QString errorClassName(ErrorClass error)
{
    return nameOf(kErrors, error);
}
bool errorClassFromName(const QString &name, ErrorClass *error)
{
    return valueOf(kErrors, name, error);
}
QString eventOriginName(EventOrigin origin)
{
    return nameOf(kOrigins, origin);
}
bool eventOriginFromName(const QString &name, EventOrigin *origin)
{
    return valueOf(kOrigins, name, origin);
}

ErrorClass errorClassForStatus(int status)
{
    if (status >= 200 && status < 300)
        return ErrorClass::None;
    if (status >= 300 && status < 400)
        return ErrorClass::Http3xx;
    if (status >= 400 && status < 500)
        return ErrorClass::Http4xx;
    if (status >= 500 && status < 600)
        return ErrorClass::Http5xx;
    return ErrorClass::Network;
}
