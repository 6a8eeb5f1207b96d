// SPDX-License-Identifier: GPL-3.0-or-later
// Deliveries and attempts as JSON: one object per delivery with its attempts, the format of
// `hookline history --json` (JSON Lines) and of the GUI's JSON Lines export. Bodies that
// are valid UTF-8 are strings; anything else goes as base64 under "...Base64" keys, so an
// export never corrupts binary data.
#pragma once

#include "domain/Delivery.h"
#include "domain/Endpoint.h"
#include "domain/EndpointActivity.h"

#include <QJsonObject>

QJsonObject attemptToJson(const Attempt &attempt);
QJsonObject deliveryToJson(const Delivery &delivery);
QJsonObject endpointToJson(const Endpoint &endpoint, bool includeSecrets = false);
// An endpoint's activity counts (`hookline stats --json`): totals, success rate, latency
// percentiles (null without attempts) and, when it has them, its bins.
QJsonObject activityToJson(const EndpointActivity &activity, const QString &endpointName);
