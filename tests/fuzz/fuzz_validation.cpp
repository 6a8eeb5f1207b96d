// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer harness: what admins and API clients type — endpoint URLs, custom headers, signing
// secrets, egress allow-list entries — through the same validation the form, the CLI and the
// API use. Invariants: a URL accepted as valid parses as http(s) with a host, no user info and
// a non-zero port; an accepted header value holds no CR, LF or NUL.
#include "FuzzCommon.h"
#include "domain/EgressPolicy.h"
#include "domain/EndpointValidation.h"

#include <cstdint>
#include <cstdlib>

#include <QUrl>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    if (validateUrl(text).isEmpty()) {
        const QUrl url(text, QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        if (!url.isValid() || url.host().isEmpty() || !url.userInfo().isEmpty() ||
            url.port() == 0 ||
            (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
            std::abort();
    }
    const qsizetype colon = text.indexOf(u':');
    const QString name = colon < 0 ? text : text.left(colon);
    const QString value = colon < 0 ? QString() : text.mid(colon + 1);
    validateHeaderName(name);
    if (validateHeaderValue(name, value).isEmpty() &&
        (value.contains(u'\r') || value.contains(u'\n') || value.contains(QChar(0))))
        std::abort();
    validateSecret(text);
    EgressPolicy policy;
    policy.addAllowed(text);
    policy.refusal(QHostAddress(text), text, 443);
    return 0;
}
