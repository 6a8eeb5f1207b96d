// SPDX-License-Identifier: GPL-3.0-or-later
#include "JsonHighlighter.h"

#include <QGuiApplication>
#include <QPalette>

JsonHighlighter::JsonHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{
    const bool dark = QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
    auto format = [](const char *color, bool bold = false) {
        QTextCharFormat f;
        f.setForeground(QColor(QLatin1String(color)));
        if (bold)
            f.setFontWeight(QFont::Bold);
        return f;
    };
    // Later rules win: strings first, then keys over them, then placeholders over both.
    m_rules = {
        {QRegularExpression(QStringLiteral("-?\\b\\d+(\\.\\d+)?([eE][+-]?\\d+)?\\b")),
         format(dark ? "#f0b45a" : "#a15c00")},
        {QRegularExpression(QStringLiteral("\\b(true|false|null)\\b")),
         format(dark ? "#c792ea" : "#7b1fa2", true)},
        {QRegularExpression(QStringLiteral("\"(?:[^\"\\\\]|\\\\.)*\"")),
         format(dark ? "#5fd38d" : "#1b7f3b")},
        {QRegularExpression(QStringLiteral("\"(?:[^\"\\\\]|\\\\.)*\"(?=\\s*:)")),
         format(dark ? "#82aaff" : "#0b57d0")},
        {QRegularExpression(QStringLiteral("\\{\\{[^}]*\\}\\}")),
         format(dark ? "#ff8a80" : "#b3261e", true)},
    };
}

void JsonHighlighter::highlightBlock(const QString &text)
{
    for (const Rule &rule : std::as_const(m_rules)) {
        auto it = rule.pattern.globalMatch(text);
        while (it.hasNext()) {
            const QRegularExpressionMatch m = it.next();
            setFormat(int(m.capturedStart()), int(m.capturedLength()), rule.format);
        }
    }
}
