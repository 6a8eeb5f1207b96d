// SPDX-License-Identifier: GPL-3.0-or-later
// Whitespace-level JSON formatting that keeps the key order of the original text
// (QJsonDocument sorts object keys, which would reorder the vendor's payloads).
// Input is assumed to be valid JSON; invalid input is passed through unchanged in structure.
#pragma once

#include <QByteArray>
#include <QString>

namespace JsonText {

// Follows a left-to-right scan through JSON text, one character at a time, to tell string
// contents (where every character counts) from the structure around them.
struct StringState
{
    bool inString = false;
    bool escaped = false;

    // Takes the next character; returns true if it belongs to a string literal, quotes
    // included.
    bool take(char16_t c)
    {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == u'\\')
                escaped = true;
            else if (c == u'"')
                inString = false;
            return true;
        }
        inString = c == u'"';
        return inString;
    }
};

inline bool isSpace(char16_t c)
{
    return c == u' ' || c == u'\n' || c == u'\r' || c == u'\t';
}

// Drops insignificant whitespace.
QByteArray minify(const QByteArray &json);
// Indents by `indent` spaces per level, one member per line, "key": value.
QByteArray pretty(const QByteArray &json, int indent = 2);
// True if `utf8` is certainly one well-formed JSON object (RFC 8259), checked in one pass
// without building a document. False means "not sure": invalid, or something the quick check
// leaves to a full parser (exponents, long numbers, deep nesting, \u surrogates). It never
// says true for text QJsonDocument would reject.
bool isCertainlyObject(const QByteArray &utf8);
// The text of member `key` of the top-level object in `validJson` (JSON that QJsonDocument
// accepts), exactly as written - key order and number digits intact - or a null QByteArray
// when there is none. With repeated keys, the last one (as QJsonDocument takes it).
QByteArray memberText(const QByteArray &validJson, const QString &key);
// The byte offset of the first byte that is not well-formed UTF-8 (overlong forms, surrogates
// and code points above U+10FFFF included), or -1 if all of it is.
qsizetype firstInvalidUtf8(const QByteArray &bytes);
// Escapes text for use inside a JSON string literal (without the quotes).
QString escapeString(const QString &text);

// RFC 6901: "" (the whole document) or "/" followed by reference tokens, with "~" written only
// as "~0" or "~1".
bool isValidPointer(const QString &pointer);
// The value a JSON pointer leads to in a JSON document, as text: a string's contents, or the
// compact JSON of any other value. *found is false when the document is not JSON or the
// pointer leads nowhere. Numbers beyond 2^53 lose precision (two such values may compare
// equal).
QString pointerValue(const QByteArray &json, const QString &pointer, bool *found);

} // namespace JsonText
