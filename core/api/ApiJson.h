// SPDX-License-Identifier: GPL-3.0-or-later
// The API's request bodies into the core's value types, and the receiver's values out as JSON.
// Shapes match the command line's --json output (export/DeliveryJson.h). Reading a body only
// checks shapes (unknown fields, wrong JSON types); what a value may be is decided by the same
// validation the window and the command line use (domain/EndpointValidation.h, Inbox.h).
#pragma once

#include "domain/Endpoint.h"
#include "domain/EndpointValidation.h"
#include "domain/Inbox.h"

#include <QJsonObject>
#include <QString>

namespace ApiJson {

struct InputError
{
    int status = 0; // 400 (unknown field), 422 (a field of the wrong kind)
    QString field;
    QString detail;
    bool ok() const { return status == 0; }
};

// Applies the fields present in `body` to *endpoint (create: all of them; PATCH: some).
// `secretGiven` says whether the body set "secret" (a create without one gets a new secret).
InputError applyEndpoint(const QJsonObject &body, Endpoint *endpoint, bool *secretGiven);

InputError applyInbox(const QJsonObject &body, InboxConfig *config);
QJsonObject inboxToJson(const InboxConfig &config);
QJsonObject capturedToJson(const CapturedRequest &request);

// "line 3, column 7" for a parse error at byte `offset` of `text`.
QString position(const QByteArray &body, int offset);

} // namespace ApiJson
