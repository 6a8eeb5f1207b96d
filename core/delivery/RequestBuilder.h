// SPDX-License-Identifier: GPL-3.0-or-later
// Builds the exact bytes of one delivery attempt: URL, headers (Content-Type, User-Agent,
// the endpoint's custom headers and the Standard Webhooks signature headers) and the body in
// the endpoint's format. Pure: the same inputs give the same request, which is what the
// history shows and what a redelivery repeats (with a fresh timestamp and signature).
#pragma once

#include "domain/Delivery.h"
#include "domain/Endpoint.h"

#include <QByteArray>
#include <QDateTime>
#include <QUrl>

struct OutgoingRequest
{
    QUrl url;
    QList<HttpHeader> headers;
    QByteArray body;
    QString error; // the payload could not be encoded (never sent then)
    bool ok() const { return error.isEmpty(); }
};

QByteArray hooklineUserAgent();

// What every attempt to an endpoint shares: the parsed URL and the headers before the
// signature headers (Content-Type, User-Agent, Accept-Encoding, the custom ones). The
// dispatcher keeps one per endpoint instead of rebuilding it for each attempt.
struct RequestTemplate
{
    QUrl url;
    QList<HttpHeader> headers;
};
RequestTemplate requestTemplate(const Endpoint &endpoint);

OutgoingRequest buildRequest(const Endpoint &endpoint, const Delivery &delivery,
                             const QByteArray &payloadJson, const QDateTime &now);
// The same from a template made by requestTemplate(endpoint): the signature headers are
// appended after the template's.
OutgoingRequest buildRequest(const RequestTemplate &shared, const Endpoint &endpoint,
                             const Delivery &delivery, const QByteArray &payloadJson,
                             const QDateTime &now);
