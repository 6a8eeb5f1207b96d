// SPDX-License-Identifier: GPL-3.0-or-later
// Encodes a rendered JSON payload into the endpoint's wire format: JSON as is, XML through a
// deterministic mapping of any JSON value (in the payload's key order, numbers digit for
// digit), or application/x-www-form-urlencoded with the
// JSON in one "payload" field. The XML mapping is lossless:
//   object -> <key type="object">…</key>      string -> <key>text</key>
//   array  -> <key type="array"><item …/>…    number -> <key type="number">12</key>
//   bool   -> <key type="boolean">true</key>  null   -> <key type="null"/>
// A key that is not a plain XML name (non-ASCII, spaces, leading digit, "xml…") becomes
// <entry key="original key"> (so does a key named "entry"); text that XML 1.0 cannot carry
// (control characters, CR, lone surrogates) is sent as base64 of its UTF-8 with encoding="base64".
#pragma once

#include "domain/Endpoint.h"

#include <QByteArray>
#include <QJsonValue>
#include <QString>

struct EncodedPayload
{
    QByteArray body;
    QByteArray contentType;
    QString error; // set when the input was not valid JSON
    bool ok() const { return error.isEmpty(); }
};

class PayloadEncoder
{
public:
    static EncodedPayload encode(const QByteArray &json, PayloadFormat format);
    static QByteArray contentType(PayloadFormat format);
    // `validJson` must be JSON that QJsonDocument accepts (encode() checks it first).
    static QByteArray toXml(const QByteArray &validJson,
                            const QString &rootName = QStringLiteral("webhook"));
    static bool isPlainXmlName(const QString &name);
};
