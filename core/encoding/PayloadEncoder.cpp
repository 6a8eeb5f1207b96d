// SPDX-License-Identifier: GPL-3.0-or-later
#include "PayloadEncoder.h"

#include <cstring>

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <QXmlStreamWriter>

#include "JsonText.h"

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

// Writes JSON text as XML straight from the text, not from a QJsonDocument: objects keep the
// payload's key order (QJsonObject sorts keys) and numbers keep their digits exactly (Qt holds
// them as doubles, which turns 12345678901234567890 into 1.2345678901234567e+19). The input
// has already been validated by QJsonDocument, which also bounds its nesting depth.
class JsonToXml
{
public:
    JsonToXml(const QByteArray &json, QXmlStreamWriter &w)
        : m_s(json)
        , m_w(w)
    {
    }

    void value(const QString &key, bool keyIsName)
    {
        space();
        startElement(m_w, key, keyIsName);
        const char c = peek();
        if (c == '{') {
            m_w.writeAttribute(QStringLiteral("type"), QStringLiteral("object"));
            ++m_i;
            space();
            while (peek() != '}' && m_i < m_s.size()) {
                const QString name = string();
                space();
                ++m_i; // ':'
                value(name, true);
                space();
                if (peek() == ',')
                    ++m_i;
                space();
            }
            ++m_i;
        } else if (c == '[') {
            m_w.writeAttribute(QStringLiteral("type"), QStringLiteral("array"));
            ++m_i;
            space();
            while (peek() != ']' && m_i < m_s.size()) {
                value(QStringLiteral("item"), true);
                space();
                if (peek() == ',')
                    ++m_i;
                space();
            }
            ++m_i;
        } else if (c == '"') {
            writeText(m_w, string());
        } else if (c == 't' || c == 'f') {
            m_w.writeAttribute(QStringLiteral("type"), QStringLiteral("boolean"));
            m_w.writeCharacters(c == 't' ? QStringLiteral("true") : QStringLiteral("false"));
            m_i += c == 't' ? 4 : 5;
        } else if (c == 'n') {
            m_w.writeAttribute(QStringLiteral("type"), QStringLiteral("null"));
            m_i += 4;
        } else {
            m_w.writeAttribute(QStringLiteral("type"), QStringLiteral("number"));
            const qsizetype from = m_i;
            while (m_i < m_s.size() && std::strchr("+-0123456789.eE", m_s.at(m_i)) &&
                   m_s.at(m_i) != '\0')
                ++m_i;
            m_w.writeCharacters(QString::fromLatin1(m_s.mid(from, m_i - from)));
        }
        m_w.writeEndElement();
    }

private:
    char peek() const { return m_i < m_s.size() ? m_s.at(m_i) : '\0'; }

    void space()
    {
        while (m_i < m_s.size() && JsonText::isSpace(char16_t(m_s.at(m_i))))
            ++m_i;
    }

    static int hex(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return 0;
    }

    // A string literal at m_i, unescaped; raw runs are decoded from UTF-8 as a whole.
    QString string()
    {
        QString out;
        ++m_i; // opening quote
        qsizetype run = m_i;
        while (m_i < m_s.size() && m_s.at(m_i) != '"') {
            if (m_s.at(m_i) != '\\') {
                ++m_i;
                continue;
            }
            out += QString::fromUtf8(m_s.constData() + run, m_i - run);
            const char e = m_i + 1 < m_s.size() ? m_s.at(m_i + 1) : '\0';
            m_i += 2;
            switch (e) {
            case 'b':
                out += QChar(u'\b');
                break;
            case 'f':
                out += QChar(u'\f');
                break;
            case 'n':
                out += QChar(u'\n');
                break;
            case 'r':
                out += QChar(u'\r');
                break;
            case 't':
                out += QChar(u'\t');
                break;
            case 'u': {
                char16_t u = 0;
                for (int k = 0; k < 4 && m_i < m_s.size(); ++k, ++m_i)
                    u = char16_t(u * 16 + hex(m_s.at(m_i)));
                out += QChar(u);
                break;
            }
            default: // '"', '\\', '/'
                out += QLatin1Char(e);
            }
            run = m_i;
        }
        out += QString::fromUtf8(m_s.constData() + run, m_i - run);
        ++m_i; // closing quote
        return out;
    }

    const QByteArray &m_s;
    QXmlStreamWriter &m_w;
    qsizetype m_i = 0;
};

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

QByteArray PayloadEncoder::toXml(const QByteArray &validJson, const QString &rootName)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    w.writeStartDocument();
    JsonToXml(validJson, w).value(rootName, true);
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
    if (!doc.isObject() && !doc.isArray()) {
        result.error = QCoreApplication::translate(
            "PayloadEncoder", "The payload is not a JSON object or array, so it cannot be "
                              "converted to XML.");
        return result;
    }
    result.body = toXml(json);
    return result;
}
