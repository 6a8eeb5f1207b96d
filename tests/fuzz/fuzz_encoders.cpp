// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer harness: the wire encoders and the JSON text helpers, on any bytes.
// Invariants: XML output is well-formed (QXmlStreamReader reads it to the end); the quick
// object check never accepts what Qt's parser rejects; minify and pretty agree; the UTF-8
// check agrees with Qt's decoder; memberText finds what Qt's parser finds.
#include "FuzzCommon.h"
#include "encoding/JsonText.h"
#include "encoding/PayloadEncoder.h"

#include <cstdint>
#include <cstdlib>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringDecoder>
#include <QXmlStreamReader>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder(bytes); // decodes on conversion to QString
    Q_UNUSED(decoded);
    if ((JsonText::firstInvalidUtf8(bytes) >= 0) != decoder.hasError())
        std::abort();

    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    const bool valid = error.error == QJsonParseError::NoError;
    if (JsonText::isCertainlyObject(bytes) && !(valid && doc.isObject()))
        std::abort();
    if (valid) {
        const QByteArray compact = JsonText::minify(bytes);
        if (JsonText::minify(JsonText::pretty(compact)) != compact)
            std::abort();
    }

    // memberText finds each member's text as Qt's parser reads the member.
    if (valid && doc.isObject()) {
        const QJsonObject o = doc.object();
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QByteArray text = JsonText::memberText(bytes, it.key());
            const QJsonValue back = QJsonDocument::fromJson('[' + text + ']').array().at(0);
            if (back != it.value())
                std::abort();
        }
    }

    // JSON pointers (ordered delivery): every member of an object is found under its own
    // escaped name, with the value Qt reads; an invalid pointer finds nothing.
    if (valid && doc.isObject()) {
        const QJsonObject o = doc.object();
        for (auto it = o.begin(); it != o.end(); ++it) {
            QString token = it.key();
            token.replace(u'~', QLatin1String("~0"));
            token.replace(u'/', QLatin1String("~1"));
            bool found = false;
            const QString text = JsonText::pointerValue(bytes, u'/' + token, &found);
            if (!found || (it.value().isString() && text != it.value().toString()))
                std::abort();
        }
    }
    {
        const QString pointer = QString::fromUtf8(bytes.left(64));
        bool found = false;
        JsonText::pointerValue(bytes, pointer, &found);
        if (found && !JsonText::isValidPointer(pointer))
            std::abort();
    }

    const EncodedPayload xml = PayloadEncoder::encode(bytes, PayloadFormat::Xml);
    if (xml.ok()) {
        QXmlStreamReader reader(xml.body);
        while (!reader.atEnd())
            reader.readNext();
        if (reader.hasError())
            std::abort();
    }
    const EncodedPayload form = PayloadEncoder::encode(bytes, PayloadFormat::Form);
    if (form.body.contains('&') || form.body.contains(' '))
        std::abort();
    return 0;
}
