#include "PayloadEncoder.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <QXmlStreamWriter>

namespace {

bool isXmlChar(char32_t u)
{
    return u == 0x9 || u == 0xA || u == 0xD || (u >= 0x20 && u <= 0xD7FF) ||
           (u >= 0xE000 && u <= 0xFFFD) || (u >= 0x10000 && u <= 0x10FFFF);
}

bool isXmlSafe(const QString &text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isHighSurrogate()) {
            if (i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
                ++i;
                continue;
            }
            return false;
        }
        // A raw CR would be normalised away by every XML parser, so it cannot travel as text.
        if (c.isLowSurrogate() || c == u'\r' || !isXmlChar(c.unicode()))
            return false;
    }
    return true;
}

void writeText(QXmlStreamWriter &w, const QString &text)
{
    if (isXmlSafe(text)) {
        w.writeCharacters(text);
    } else {
        w.writeAttribute(QStringLiteral("encoding"), QStringLiteral("base64"));
        w.writeCharacters(QString::fromLatin1(text.toUtf8().toBase64()));
    }
}

void writeValue(QXmlStreamWriter &w, const QString &key, bool keyIsName, const QJsonValue &v);

void startElement(QXmlStreamWriter &w, const QString &key, bool keyIsName)
{
    if (keyIsName && PayloadEncoder::isPlainXmlName(key)) {
        w.writeStartElement(key);
        return;
    }
    w.writeStartElement(QStringLiteral("entry"));
    if (isXmlSafe(key))
        w.writeAttribute(QStringLiteral("key"), key);
    else
        w.writeAttribute(QStringLiteral("key-base64"),
                         QString::fromLatin1(key.toUtf8().toBase64()));
}

void writeValue(QXmlStreamWriter &w, const QString &key, bool keyIsName, const QJsonValue &v)
{
    startElement(w, key, keyIsName);
    switch (v.type()) {
    case QJsonValue::Object: {
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("object"));
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            writeValue(w, it.key(), true, it.value());
        break;
    }
    case QJsonValue::Array: {
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("array"));
        const QJsonArray a = v.toArray();
        for (const QJsonValue &item : a)
            writeValue(w, QStringLiteral("item"), true, item);
        break;
    }
    case QJsonValue::String:
        writeText(w, v.toString());
        break;
    case QJsonValue::Double: {
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("number"));
        const double d = v.toDouble();
        w.writeCharacters(d == double(qint64(d)) ? QString::number(qint64(d))
                                                 : QString::number(d, 'g', 17));
        break;
    }
    case QJsonValue::Bool:
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("boolean"));
        w.writeCharacters(v.toBool() ? QStringLiteral("true") : QStringLiteral("false"));
        break;
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("null"));
        break;
    }
    w.writeEndElement();
}

} // namespace

bool PayloadEncoder::isPlainXmlName(const QString &name)
{
    // "entry" is the element that carries keys which are not names; a real key "entry" goes
    // through it too, so that <entry> always means "look at the key attribute".
    if (name.isEmpty() || name.startsWith(QLatin1String("xml"), Qt::CaseInsensitive) ||
        name == QLatin1String("entry"))
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const ushort c = name.at(i).unicode();
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool other = (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!(letter || (i > 0 && other)))
            return false;
    }
    return true;
}

QByteArray PayloadEncoder::contentType(PayloadFormat format)
{
    switch (format) {
    case PayloadFormat::Json:
        return QByteArrayLiteral("application/json");
    case PayloadFormat::Xml:
        return QByteArrayLiteral("application/xml; charset=utf-8");
    case PayloadFormat::Form:
        return QByteArrayLiteral("application/x-www-form-urlencoded");
    }
    return QByteArrayLiteral("application/json");
}

QByteArray PayloadEncoder::toXml(const QJsonValue &value, const QString &rootName)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    w.writeStartDocument();
    writeValue(w, rootName, true, value);
    w.writeEndDocument();
    return out;
}

EncodedPayload PayloadEncoder::encode(const QByteArray &json, PayloadFormat format)
{
    EncodedPayload result;
    result.contentType = contentType(format);
    switch (format) {
    case PayloadFormat::Json:
        result.body = json;
        return result;
    case PayloadFormat::Form:
        result.body =
            QByteArrayLiteral("payload=") + QUrl::toPercentEncoding(QString::fromUtf8(json));
        return result;
    case PayloadFormat::Xml:
        break;
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        result.error = QCoreApplication::translate("PayloadEncoder",
                                                   "The payload is not valid JSON (%1 at byte %2), "
                                                   "so it cannot be converted to XML.")
                           .arg(error.errorString())
                           .arg(error.offset);
        return result;
    }
    const QJsonValue root = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
    result.body = toXml(root);
    return result;
}
