// SPDX-License-Identifier: GPL-3.0-or-later
#include "JsonText.h"

#include <cstring>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

namespace {

// A recursive-descent recogniser over UTF-8 bytes. Every "return false" means "let the full
// parser decide", so it only has to be right when it says yes.
class Recogniser
{
public:
    Recogniser(const char *begin, const char *end)
        : p(begin)
        , e(end)
    {
    }

    bool object(int depth)
    {
        if (depth > kMaxDepth || !take('{'))
            return false;
        skipSpace();
        if (take('}'))
            return true;
        for (;;) {
            skipSpace();
            if (!string())
                return false;
            skipSpace();
            if (!take(':') || !value(depth))
                return false;
            skipSpace();
            if (take('}'))
                return true;
            if (!take(','))
                return false;
        }
    }

    bool document()
    {
        skipSpace();
        if (!object(0))
            return false;
        skipSpace();
        return p == e;
    }

private:
    static constexpr int kMaxDepth = 64;

    bool take(char c)
    {
        if (p == e || *p != c)
            return false;
        ++p;
        return true;
    }
    void skipSpace()
    {
        while (p != e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            ++p;
    }
    bool literal(const char *word)
    {
        for (; *word; ++word, ++p) {
            if (p == e || *p != *word)
                return false;
        }
        return true;
    }
    static bool isHex(char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    bool string()
    {
        if (!take('"'))
            return false;
        while (p != e) {
            const auto c = static_cast<unsigned char>(*p++);
            if (c == '"')
                return true;
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (p == e)
                    return false;
                const char x = *p++;
                if (x == 'u') {
                    if (e - p < 4 || !isHex(p[0]) || !isHex(p[1]) || !isHex(p[2]) || !isHex(p[3]))
                        return false;
                    if ((p[0] == 'd' || p[0] == 'D') && !(p[1] >= '0' && p[1] <= '7'))
                        return false; // a surrogate half: the full parser's business
                    p += 4;
                } else if (!std::strchr("\"\\/bfnrt", x) || x == 0) {
                    return false;
                }
            } else if (c >= 0x80 && !utf8Tail(c)) {
                return false;
            }
        }
        return false;
    }
    // The continuation bytes of a multi-byte UTF-8 sequence led by `lead` (strict: no
    // overlong forms, no surrogates, nothing past U+10FFFF).
    bool utf8Tail(unsigned char lead)
    {
        int more = 0;
        unsigned char low = 0x80, high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            more = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            more = 2;
            if (lead == 0xE0)
                low = 0xA0;
            else if (lead == 0xED)
                high = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            more = 3;
            if (lead == 0xF0)
                low = 0x90;
            else if (lead == 0xF4)
                high = 0x8F;
        } else {
            return false;
        }
        for (int i = 0; i < more; ++i, low = 0x80, high = 0xBF) {
            if (p == e)
                return false;
            const auto c = static_cast<unsigned char>(*p++);
            if (c < low || c > high)
                return false;
        }
        return true;
    }
    bool digits(int *count)
    {
        const char *start = p;
        while (p != e && *p >= '0' && *p <= '9')
            ++p;
        *count += int(p - start);
        return p != start;
    }
    // Plain integers and decimals of up to 15 digits: exactly representable, so no parser
    // can disagree about them. Exponents and longer numbers are left to the full parser.
    bool number()
    {
        int count = 0;
        take('-');
        if (take('0')) {
            count = 1;
        } else if (!digits(&count)) {
            return false;
        }
        if (take('.') && !digits(&count))
            return false;
        if (p != e && (*p == 'e' || *p == 'E'))
            return false;
        return count <= 15;
    }
    bool value(int depth)
    {
        skipSpace();
        if (p == e)
            return false;
        switch (*p) {
        case '{':
            return object(depth + 1);
        case '[':
            return array(depth + 1);
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }
    bool array(int depth)
    {
        if (depth > kMaxDepth || !take('['))
            return false;
        skipSpace();
        if (take(']'))
            return true;
        for (;;) {
            if (!value(depth))
                return false;
            skipSpace();
            if (take(']'))
                return true;
            if (!take(','))
                return false;
        }
    }

    const char *p;
    const char *e;
};

} // namespace

namespace JsonText {

bool isCertainlyObject(const QByteArray &utf8)
{
    return Recogniser(utf8.constData(), utf8.constData() + utf8.size()).document();
}

QString escapeString(const QString &text)
{
    // Most values need no escaping at all: return them shared, without a copy.
    bool clean = true;
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c == u'"' || c == u'\\') {
            clean = false;
            break;
        }
    }
    if (clean)
        return text;
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        switch (c.unicode()) {
        case '"':
            out += QLatin1String("\\\"");
            break;
        case '\\':
            out += QLatin1String("\\\\");
            break;
        case '\n':
            out += QLatin1String("\\n");
            break;
        case '\r':
            out += QLatin1String("\\r");
            break;
        case '\t':
            out += QLatin1String("\\t");
            break;
        default:
            if (c.unicode() < 0x20)
                out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QChar(u'0'));
            else
                out += c;
        }
    }
    return out;
}

QByteArray minify(const QByteArray &json)
{
    QByteArray out(json.size(), Qt::Uninitialized);
    char *o = out.data();
    StringState state;
    for (const char c : json) {
        if (state.take(char16_t(static_cast<unsigned char>(c))) || !isSpace(char16_t(c)))
            *o++ = c;
    }
    out.truncate(o - out.constData());
    return out;
}

QByteArray pretty(const QByteArray &json, int indent)
{
    const QByteArray compact = minify(json);
    QByteArray out;
    out.reserve(compact.size() * 2);
    int level = 0;
    StringState state;
    auto newline = [&] {
        out += '\n';
        out.append(QByteArray(level * indent, ' '));
    };
    for (qsizetype i = 0; i < compact.size(); ++i) {
        const char c = compact.at(i);
        if (state.take(char16_t(static_cast<unsigned char>(c)))) {
            out += c; // a string literal, quotes included, goes out as it is
            continue;
        }
        switch (c) {
        case '{':
        case '[': {
            out += c;
            const char closing = c == '{' ? '}' : ']';
            if (i + 1 < compact.size() && compact.at(i + 1) == closing) {
                out += closing; // keep {} and [] on one line
                ++i;
                break;
            }
            ++level;
            newline();
            break;
        }
        case '}':
        case ']':
            --level;
            newline();
            out += c;
            break;
        case ',':
            out += c;
            newline();
            break;
        case ':':
            out += ": ";
            break;
        default:
            out += c;
        }
    }
    return out;
}

qsizetype firstInvalidUtf8(const QByteArray &bytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData());
    const qsizetype n = bytes.size();
    qsizetype i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int more = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return i;
        }
        for (int k = 1; k <= more; ++k) {
            if (i + k >= n || (p[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += more + 1;
    }
    return -1;
}

namespace {

// The end of the string literal that starts (with its quote) at `i`.
qsizetype skipString(const QByteArray &s, qsizetype i)
{
    for (++i; i < s.size(); ++i) {
        if (s.at(i) == '\\')
            ++i;
        else if (s.at(i) == '"')
            return i + 1;
    }
    return s.size();
}

// The end of the JSON value that starts at `i` (valid JSON assumed).
qsizetype skipValue(const QByteArray &s, qsizetype i)
{
    if (i >= s.size())
        return i;
    const char c = s.at(i);
    if (c == '"')
        return skipString(s, i);
    if (c == '{' || c == '[') {
        int depth = 0;
        while (i < s.size()) {
            const char d = s.at(i);
            if (d == '"') {
                i = skipString(s, i);
                continue;
            }
            if (d == '{' || d == '[')
                ++depth;
            else if ((d == '}' || d == ']') && --depth == 0)
                return i + 1;
            ++i;
        }
        return i;
    }
    while (i < s.size() && !std::strchr(",}] \t\r\n", s.at(i)))
        ++i;
    return i;
}

qsizetype skipSpace(const QByteArray &s, qsizetype i)
{
    while (i < s.size() && isSpace(char16_t(s.at(i))))
        ++i;
    return i;
}

} // namespace

QByteArray memberText(const QByteArray &validJson, const QString &key)
{
    const QByteArray &s = validJson;
    qsizetype i = skipSpace(s, 0);
    if (i >= s.size() || s.at(i) != '{')
        return {};
    i = skipSpace(s, i + 1);
    QByteArray found;
    while (i < s.size() && s.at(i) == '"') {
        const qsizetype keyEnd = skipString(s, i);
        const QByteArray rawKey = s.mid(i, keyEnd - i);
        const QString name =
            rawKey.contains('\\')
                ? QJsonDocument::fromJson('[' + rawKey + ']').array().at(0).toString()
                : QString::fromUtf8(rawKey.mid(1, rawKey.size() - 2));
        i = skipSpace(s, keyEnd);
        i = skipSpace(s, i + 1); // ':'
        const qsizetype valueEnd = skipValue(s, i);
        if (name == key)
            found = s.mid(i, valueEnd - i);
        i = skipSpace(s, valueEnd);
        if (i < s.size() && s.at(i) == ',')
            i = skipSpace(s, i + 1);
    }
    return found;
}

bool isValidPointer(const QString &pointer)
{
    if (pointer.isEmpty())
        return true;
    if (!pointer.startsWith(u'/'))
        return false;
    for (qsizetype i = 0; i < pointer.size(); ++i) {
        if (pointer.at(i) == u'~' &&
            (i + 1 >= pointer.size() || (pointer.at(i + 1) != u'0' && pointer.at(i + 1) != u'1')))
            return false;
    }
    return true;
}

QString pointerValue(const QByteArray &json, const QString &pointer, bool *found)
{
    *found = false;
    if (!isValidPointer(pointer))
        return {};
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return {};
    QJsonValue v = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
    if (!pointer.isEmpty()) {
        for (QString token : pointer.mid(1).split(u'/')) {
            token.replace(QLatin1String("~1"), QLatin1String("/"));
            token.replace(QLatin1String("~0"), QLatin1String("~"));
            if (v.isObject()) {
                const QJsonObject o = v.toObject();
                if (!o.contains(token))
                    return {};
                v = o.value(token);
            } else if (v.isArray()) {
                bool number = false;
                const qsizetype index = token.toLongLong(&number);
                const QJsonArray a = v.toArray();
                if (!number || index < 0 || index >= a.size() ||
                    (token.size() > 1 && token.startsWith(u'0')))
                    return {};
                v = a.at(index);
            } else {
                return {};
            }
        }
    }
    *found = true;
    switch (v.type()) {
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Double:
        return QString::number(v.toDouble(), 'g', 17);
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Undefined:
        break;
    }
    *found = false;
    return {};
}

} // namespace JsonText
