// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttemptOutcome.h"

#include "RetryPlanner.h"

ErrorClass classifyAttempt(const AttemptResult &r)
{
    if (r.timedOut)
        return ErrorClass::Timeout;
    if (r.status > 0)
        return errorClassForStatus(r.status);
    switch (r.networkError) {
    case QNetworkReply::NoError:
        return ErrorClass::Network; // no status and no error: nothing usable came back
    case QNetworkReply::HostNotFoundError:
        return ErrorClass::Dns;
    case QNetworkReply::ConnectionRefusedError:
        return ErrorClass::Refused;
    case QNetworkReply::TimeoutError:
        return ErrorClass::Timeout;
    case QNetworkReply::SslHandshakeFailedError:
    case QNetworkReply::InsecureRedirectError:
        return ErrorClass::Tls;
    case QNetworkReply::OperationCanceledError:
        // Qt cancels a reply whose certificate errors were not ignored.
        return r.tlsErrors ? ErrorClass::Tls : ErrorClass::Aborted;
    case QNetworkReply::RemoteHostClosedError:
        return ErrorClass::Network;
    default:
        return r.tlsErrors ? ErrorClass::Tls : ErrorClass::Network;
    }
}

OutcomeDecision decideOutcome(ErrorClass errorClass, int status, const RetryPolicy &policy,
                              int attemptNumber, qint64 retryAfterSeconds, double jitterUnit)
{
    OutcomeDecision d;
    if (errorClass == ErrorClass::None) {
        d.state = DeliveryState::Succeeded;
        return d;
    }
    if (status == 410) { // the receiver asked not to be called again
        d.state = DeliveryState::Failed;
        d.disableEndpoint = true;
        return d;
    }
    const RetryDecision retry =
        planRetry(policy, attemptNumber, status, retryAfterSeconds, jitterUnit);
    d.state = retry.retry ? DeliveryState::Retrying : DeliveryState::Failed;
    d.retryDelayMs = retry.retry ? retry.delayMs : 0;
    return d;
}

bool failureRunDisables(int run, int threshold)
{
    return threshold > 0 && run >= threshold;
}
