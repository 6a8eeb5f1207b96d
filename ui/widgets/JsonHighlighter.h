// SPDX-License-Identifier: GPL-3.0-or-later
// Colours JSON templates: keys, strings, numbers, true/false/null and {{placeholders}}.
#pragma once

#include <QRegularExpression>
#include <QSyntaxHighlighter>

class JsonHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    explicit JsonHighlighter(QTextDocument *document);

protected:
    void highlightBlock(const QString &text) override;

private:
    struct Rule
    {
        QRegularExpression pattern;
        QTextCharFormat format;
    };
    QList<Rule> m_rules;
};
