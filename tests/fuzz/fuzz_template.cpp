// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer harness: the payload template renderer (placeholders spliced into JSON), on any
// text. Invariants: a template that renders gives one JSON object Qt's parser accepts; one
// that does not gives an error with a line and column inside the template.
#include "FuzzCommon.h"
#include "catalog/RenderContext.h"
#include "catalog/TemplateRenderer.h"

#include <cstdint>
#include <cstdlib>

#include <QJsonDocument>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static SampleData sample(7);
    static const RenderContext context =
        sample.anyContext(QDateTime::fromSecsSinceEpoch(1700000000));
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const RenderResult r = TemplateRenderer::render(text, context);
    if (r.ok()) {
        QJsonParseError e{};
        if (!QJsonDocument::fromJson(r.json, &e).isObject())
            std::abort();
    } else if (r.errorLine < 1 || r.errorColumn < 1 || r.error.isEmpty()) {
        std::abort();
    }
    return 0;
}
