#include "TemplateRenderer.h"

#include "encoding/JsonText.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

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

QString literalFor(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String:
        return u'"' + JsonText::escapeString(v.toString()) + u'"';
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (d == double(qint64(d)))
            return QString::number(qint64(d));
        return QString::number(d, 'g', 17);
    }
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("null");
    case QJsonValue::Array:
    case QJsonValue::Object:
        break;
    }
    const QJsonDocument doc =
        v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject());
    return QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
}

QString textFor(const QJsonValue &v)
{
    if (v.isString())
        return JsonText::escapeString(v.toString());
    if (v.isNull() || v.isUndefined())
        return {};
    return JsonText::escapeString(literalFor(v));
}

} // namespace

RenderResult TemplateRenderer::render(const QString &tpl, const RenderContext &context)
{
    RenderResult result;
    QString out;
    out.reserve(tpl.size() + tpl.size() / 2);
    std::vector<Segment> segments;
    segments.push_back({0, 0, false});

    bool inString = false;
    bool escaped = false;
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
                                   .arg(name)
                                   .arg(result.errorLine)
                                   .arg(result.errorColumn)
                                   .arg(known.join(u", "));
                return result;
            }
            const QJsonValue v = context.value(name);
            out.append(QStringView(tpl).mid(runStart, i - runStart));
            segments.push_back({out.size(), i, true});
            out += inString ? textFor(v) : literalFor(v);
            i = close + 2;
            runStart = i;
            segments.push_back({out.size(), i, false});
            continue;
        }
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == u'\\')
                escaped = true;
            else if (c == u'"')
                inString = false;
        } else if (c == u'"') {
            inString = true;
        }
        ++i;
    }
    out.append(QStringView(tpl).mid(runStart));

    const QByteArray utf8 = out.toUtf8();
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

RenderResult TemplateRenderer::check(const QString &templateText)
{
    SampleData data(1);
    return render(templateText, data.anyContext(QDateTime::currentDateTimeUtc()));
}
