#include "JsonText.h"

namespace JsonText {

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
    bool inString = false;
    bool escaped = false;
    for (const char c : json) {
        if (inString) {
            *o++ = c;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '"')
            inString = true;
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
    bool inString = false;
    bool escaped = false;
    auto newline = [&] {
        out += '\n';
        out.append(QByteArray(level * indent, ' '));
    };
    for (qsizetype i = 0; i < compact.size(); ++i) {
        const char c = compact.at(i);
        if (inString) {
            out += c;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            out += c;
            break;
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

} // namespace JsonText
