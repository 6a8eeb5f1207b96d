// SPDX-License-Identifier: GPL-3.0-or-later
// Turns a payload template (JSON text with {{placeholder}} holes) into the JSON body of an
// event. Placeholders inside a JSON string are spliced in as escaped text; outside a string
// they become a JSON literal (strings quoted, numbers bare, null). Errors name the
// placeholder, or the template's line and column where the rendered JSON breaks.
// The output keeps the template's key order and drops insignificant whitespace.
#pragma once

#include "RenderContext.h"

#include <QByteArray>
#include <QString>

struct RenderResult
{
    QByteArray json;   // compact JSON, empty on error
    QString error;     // a message a person can act on, empty on success
    int errorLine = 0; // 1-based position in the template, 0 when not applicable
    int errorColumn = 0;

    bool ok() const { return error.isEmpty(); }
};

class TemplateRenderer
{
public:
    static RenderResult render(const QString &templateText, const RenderContext &context);
    // The same without the per-thread cache of compiled templates: the reference that
    // render() falls back to for anything unusual and that the tests compare it with.
    static RenderResult renderInFull(const QString &templateText, const RenderContext &context);
    // Renders against a throw-away context: the check the template editor runs on each edit.
    static RenderResult check(const QString &templateText);
};
