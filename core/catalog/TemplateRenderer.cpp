// SPDX-License-Identifier: GPL-3.0-or-later
#include "TemplateRenderer.h"

#include "encoding/JsonText.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <memory>
#include <vector>

namespace {

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(TemplateRenderer)
};

struct Segment
{
    qsizetype renderedStart;
    qsizetype templateStart;
    bool placeholder;
};

void lineColumn(const QString &text, qsizetype offset, int *line, int *column)
{
    offset = qBound(qsizetype(0), offset, text.size());
    int l = 1;
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < offset; ++i) {
        if (text.at(i) == u'\n') {
            ++l;
            lineStart = i + 1;
        }
    }
    *line = l;
    *column = int(offset - lineStart) + 1;
}

QString literalFor(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::QString:
        return u'"' + JsonText::escapeString(v.toString()) + u'"';
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
        return v.toString();
    case QMetaType::Double:
    case QMetaType::Float: {
        const double d = v.toDouble();
        if (d == double(qint64(d)))
            return QString::number(qint64(d));
        return QString::number(d, 'g', 17);
    }
    case QMetaType::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        return QStringLiteral("null");
    case QMetaType::QJsonArray:
        return QString::fromUtf8(QJsonDocument(v.toJsonArray()).toJson(QJsonDocument::Compact));
    case QMetaType::QJsonObject:
        return QString::fromUtf8(QJsonDocument(v.toJsonObject()).toJson(QJsonDocument::Compact));
    default:
        return u'"' + JsonText::escapeString(v.toString()) + u'"';
    }
}

QString textFor(const QVariant &v)
{
    if (v.typeId() == QMetaType::QString)
        return JsonText::escapeString(v.toString());
    if (v.isNull())
        return {};
    return JsonText::escapeString(literalFor(v));
}

} // namespace

// The full renderer: every check, and error messages that point into the template.
RenderResult TemplateRenderer::renderInFull(const QString &tpl, const RenderContext &context)
{
    RenderResult result;
    QString out;
    out.reserve(tpl.size() + tpl.size() / 2);
    std::vector<Segment> segments;
    segments.push_back({0, 0, false});

    JsonText::StringState state;
    qsizetype i = 0;
    qsizetype runStart = 0; // literal text not yet copied to `out`
    while (i < tpl.size()) {
        const QChar c = tpl.at(i);
        if (c == u'{' && i + 1 < tpl.size() && tpl.at(i + 1) == u'{') {
            const qsizetype close = tpl.indexOf(QLatin1String("}}"), i + 2);
            const qsizetype newline = tpl.indexOf(u'\n', i + 2);
            if (close < 0 || (newline >= 0 && newline < close)) {
                lineColumn(tpl, i, &result.errorLine, &result.errorColumn);
                result.error = Tr::tr("The placeholder that opens at line %1, column %2 is not "
                                      "closed. Write it as {{name}} on one line.")
                                   .arg(result.errorLine)
                                   .arg(result.errorColumn);
                return result;
            }
            const QString name = tpl.mid(i + 2, close - i - 2).trimmed();
            if (!context.contains(name)) {
                lineColumn(tpl, i, &result.errorLine, &result.errorColumn);
                QStringList known;
                for (const PlaceholderInfo &p : placeholderCatalog())
                    known << p.name;
                result.error = Tr::tr("Unknown placeholder {{%1}} at line %2, column %3. Known "
                                      "placeholders: %4.")
                                   .arg(name, QString::number(result.errorLine),
                                        QString::number(result.errorColumn), known.join(u", "));
                return result;
            }
            const QVariant v = context.value(name);
            out.append(QStringView(tpl).mid(runStart, i - runStart));
            segments.push_back({out.size(), i, true});
            out += state.inString ? textFor(v) : literalFor(v);
            i = close + 2;
            runStart = i;
            segments.push_back({out.size(), i, false});
            continue;
        }
        state.take(c.unicode());
        ++i;
    }
    out.append(QStringView(tpl).mid(runStart));

    const QByteArray utf8 = out.toUtf8();
    // The usual case, checked in one pass; anything unusual goes to Qt's parser, which
    // decides and explains.
    if (JsonText::isCertainlyObject(utf8)) {
        result.json = JsonText::minify(utf8);
        return result;
    }
    // JSON has no raw control characters inside strings (RFC 8259 7); Qt's parser lets some
    // through, a receiver's parser would not.
    JsonText::StringState strings;
    for (qsizetype k = 0; k < tpl.size(); ++k) {
        const QChar c = tpl.at(k);
        const bool wasInString = strings.inString;
        strings.take(c.unicode());
        if (wasInString && strings.inString && c.unicode() < 0x20) {
            lineColumn(tpl, k, &result.errorLine, &result.errorColumn);
            result.error = Tr::tr("The template has a raw control character (U+%1) inside a "
                                  "string at line %2, column %3. Write it as \\u%1 or remove it.")
                               .arg(c.unicode(), 4, 16, QLatin1Char('0'))
                               .arg(result.errorLine)
                               .arg(result.errorColumn);
            return result;
        }
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        // The parser reports a byte offset in UTF-8; map it to a character offset in the
        // rendered text, then back through the segments to the template.
        // Qt reports the offset just past the character it choked on.
        const int badByte = qMax(0, parseError.offset - 1);
        const qsizetype renderedChar = QString::fromUtf8(utf8.left(badByte)).size();
        qsizetype templateOffset = 0;
        for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
            if (it->renderedStart <= renderedChar) {
                templateOffset = it->placeholder
                                     ? it->templateStart
                                     : it->templateStart + (renderedChar - it->renderedStart);
                break;
            }
        }
        lineColumn(tpl, templateOffset, &result.errorLine, &result.errorColumn);
        result.error = Tr::tr("The template is not valid JSON: %1 at line %2, column %3.")
                           .arg(parseError.errorString())
                           .arg(result.errorLine)
                           .arg(result.errorColumn);
        return result;
    }
    if (!doc.isObject()) {
        result.errorLine = 1;
        result.errorColumn = 1;
        result.error = Tr::tr("The template must be a JSON object: start it with { and end it "
                              "with }.");
        return result;
    }
    result.json = JsonText::minify(utf8);
    return result;
}

namespace {

// A template taken apart once: the literal text between placeholders, already compact and
// in UTF-8, and each placeholder's name and whether it sits inside a JSON string. Rendering
// is then a concatenation. Templates with anything odd about their placeholders are not
// compiled and always take the full renderer.
struct Compiled
{
    struct Piece
    {
        QByteArray before; // literal text preceding the placeholder
        QString name;
        bool inString = false;
    };
    std::vector<Piece> pieces;
    QByteArray tail;
    qsizetype size = 0; // bytes of literal text, to reserve the output
};

std::shared_ptr<const Compiled> compile(const QString &tpl)
{
    auto c = std::make_shared<Compiled>();
    QString literal;
    JsonText::StringState state;
    auto flush = [&] {
        QByteArray utf8 = literal.toUtf8();
        c->size += utf8.size();
        literal.clear();
        return utf8;
    };
    for (qsizetype i = 0; i < tpl.size();) {
        const QChar ch = tpl.at(i);
        if (ch == u'{' && i + 1 < tpl.size() && tpl.at(i + 1) == u'{') {
            const qsizetype close = tpl.indexOf(QLatin1String("}}"), i + 2);
            const qsizetype newline = tpl.indexOf(u'\n', i + 2);
            if (close < 0 || (newline >= 0 && newline < close) || state.escaped)
                return nullptr;
            Compiled::Piece piece;
            piece.before = flush();
            piece.name = tpl.mid(i + 2, close - i - 2).trimmed();
            piece.inString = state.inString;
            c->pieces.push_back(std::move(piece));
            i = close + 2;
            continue;
        }
        // Insignificant white space is left out: the output is compact.
        if (state.take(ch.unicode()) || !JsonText::isSpace(ch.unicode()))
            literal += ch;
        ++i;
    }
    c->tail = flush();
    return c;
}

// Compiled templates of this thread, by text (the catalog's handful, plus what an editor
// tries); forgotten wholesale if it ever grows past a few dozen.
std::shared_ptr<const Compiled> compiled(const QString &tpl)
{
    thread_local QHash<QString, std::shared_ptr<const Compiled>> cache;
    const auto it = cache.constFind(tpl);
    if (it != cache.constEnd())
        return *it;
    if (cache.size() >= 64)
        cache.clear();
    std::shared_ptr<const Compiled> c = compile(tpl);
    cache.insert(tpl, c);
    return c;
}

} // namespace

RenderResult TemplateRenderer::render(const QString &tpl, const RenderContext &context)
{
    const std::shared_ptr<const Compiled> c = compiled(tpl);
    if (!c)
        return renderInFull(tpl, context);
    RenderResult result;
    QByteArray &out = result.json;
    out.reserve(c->size + 48 * qsizetype(c->pieces.size()));
    for (const Compiled::Piece &p : c->pieces) {
        if (!context.contains(p.name))
            return renderInFull(tpl, context); // which names the unknown placeholder
        out += p.before;
        const QVariant v = context.value(p.name);
        out += (p.inString ? textFor(v) : literalFor(v)).toUtf8();
    }
    out += c->tail;
    // The usual case, checked in one pass; anything unusual goes to the full renderer and
    // Qt's parser, which decide and explain.
    if (!JsonText::isCertainlyObject(out))
        return renderInFull(tpl, context);
    return result;
}

RenderResult TemplateRenderer::check(const QString &templateText)
{
    SampleData data(1);
    return render(templateText, data.anyContext(QDateTime::currentDateTimeUtc()));
}
