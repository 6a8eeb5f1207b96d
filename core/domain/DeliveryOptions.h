// How the delivery engine may run (concurrency, read caps) and what it reports of its work.
// Plain values: the settings fill the first, the status bar shows the second.
#pragma once

#include "domain/Delivery.h"

struct DispatcherOptions
{
    int maxInFlight = 64;
    int perEndpointLimit = 6; // QNAM's own connection count per host for HTTP/1.1
    int responseReadCap = 64 * 1024;
    int storedBodyCap = kStoredResponseBodyCap;
};

struct DispatcherCounters
{
    qint64 started = 0;
    qint64 succeeded = 0; // attempts
    qint64 failed = 0;    // attempts
    qint64 retrying = 0;  // deliveries waiting for a retry now
    int inFlight = 0;
    int queued = 0;
};
