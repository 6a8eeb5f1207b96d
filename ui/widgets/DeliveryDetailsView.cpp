// SPDX-License-Identifier: GPL-3.0-or-later
#include "DeliveryDetailsView.h"

#include "StatusStyle.h"
#include "encoding/JsonText.h"
#include "i18n/Language.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStringDecoder>
#include <QVBoxLayout>

namespace {

QString hexDump(const QByteArray &data)
{
    QString out;
    const qsizetype n = qMin<qsizetype>(data.size(), 4096);
    for (qsizetype off = 0; off < n; off += 16) {
        out += QStringLiteral("%1  ").arg(off, 8, 16, QChar(u'0'));
        QString ascii;
        for (qsizetype i = off; i < off + 16; ++i) {
            if (i < n) {
                const auto b = static_cast<unsigned char>(data.at(i));
                out += QStringLiteral("%1 ").arg(b, 2, 16, QChar(u'0'));
                ascii += (b >= 0x20 && b < 0x7f) ? QChar(char16_t(b)) : QChar(u'.');
            } else {
                out += QLatin1String("   ");
            }
        }
        out += u' ' + ascii + u'\n';
    }
    if (data.size() > n)
        out += QCoreApplication::translate("DeliveryDetailsView", "… %1 more bytes")
                   .arg(data.size() - n);
    return out;
}

QString shellQuote(const QString &s)
{
    QString q = s;
    q.replace(u'\'', QLatin1String("'\\''"));
    return u'\'' + q + u'\'';
}

} // namespace

DeliveryDetailsView::DeliveryDetailsView(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *top = new QHBoxLayout;
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(m_summary, 1);
    m_copyCurl = new QPushButton(tr("Cop&y as cURL"), this);
    m_copyCurl->setToolTip(tr("Copy a curl command that repeats this request"));
    m_copyCurl->setEnabled(false);
    connect(m_copyCurl, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_curl); });
    top->addWidget(m_copyCurl, 0, Qt::AlignTop);
    layout->addLayout(top);

    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    auto *split = new QSplitter(Qt::Horizontal, this);
    m_request = new QPlainTextEdit(split);
    m_request->setReadOnly(true);
    m_request->setFont(mono);
    m_request->setAccessibleName(tr("Request"));
    // HTTP and JSON read left to right in every language (in a right-to-left window a code
    // view otherwise opens scrolled to its right edge).
    m_request->setLayoutDirection(Qt::LeftToRight);
    m_request->setPlaceholderText(tr("Select a delivery to see its request."));
    m_response = new QPlainTextEdit(split);
    m_response->setReadOnly(true);
    m_response->setFont(mono);
    m_response->setAccessibleName(tr("Response"));
    m_response->setLayoutDirection(Qt::LeftToRight);
    m_response->setPlaceholderText(tr("…and what came back."));
    layout->addWidget(split, 1);
}

QString DeliveryDetailsView::formatBody(const QByteArray &body)
{
    if (body.isEmpty())
        return tr("(empty body)");
    QJsonParseError e{};
    QJsonDocument::fromJson(body, &e);
    if (e.error == QJsonParseError::NoError)
        return QString::fromUtf8(JsonText::pretty(body));
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(body);
    bool printable = !decoder.hasError();
    for (const QChar c : text) {
        if (c.unicode() < 0x20 && c != u'\n' && c != u'\r' && c != u'\t') {
            printable = false;
            break;
        }
    }
    return printable ? text : hexDump(body);
}

QString DeliveryDetailsView::curlFor(const Attempt &a)
{
    QString cmd = QStringLiteral("curl -sS -X POST %1").arg(shellQuote(a.requestUrl));
    for (const HttpHeader &h : a.requestHeaders)
        cmd +=
            QStringLiteral(" \\\n  -H %1").arg(shellQuote(h.name + QLatin1String(": ") + h.value));
    cmd +=
        QStringLiteral(" \\\n  --data-binary %1").arg(shellQuote(QString::fromUtf8(a.requestBody)));
    return cmd;
}

void DeliveryDetailsView::showAttempt(const Delivery &d, const Attempt &a)
{
    QString summary = tr("<b>%1</b> to <b>%2</b> · attempt %3 (%4) · %5 ms · %6")
                          .arg(Language::ltr(d.eventType.toHtmlEscaped()),
                               Language::ltr(a.requestUrl.toHtmlEscaped()))
                          .arg(a.number)
                          .arg(StatusStyle::triggerText(a.trigger))
                          .arg(a.durationMs)
                          .arg(Language::ltr(a.started.toLocalTime().toString(
                              QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))));
    summary += QLatin1String("<br>") + tr("webhook-id <code>%1</code> · delivery <code>%2</code>")
                                           .arg(Language::ltr(d.webhookId.toHtmlEscaped()),
                                                Language::ltr(d.id.toHtmlEscaped()));
    if (a.errorClass != ErrorClass::None)
        summary +=
            QStringLiteral("<br><span style='color:%1'>%2: %3</span>")
                .arg(StatusStyle::outcomeColor(a.responseStatus, a.errorClass, palette()).name(),
                     StatusStyle::errorText(a.errorClass), a.error.text().toHtmlEscaped());
    m_summary->setText(summary);

    QString request = QStringLiteral("POST %1\n").arg(a.requestUrl);
    for (const HttpHeader &h : a.requestHeaders)
        request += h.name + QLatin1String(": ") + h.value + u'\n';
    request += u'\n' + formatBody(a.requestBody);
    m_request->setPlainText(request);

    QString response;
    if (a.responseStatus > 0) {
        response = QStringLiteral("HTTP %1 %2\n").arg(a.responseStatus).arg(a.responseReason);
        for (const HttpHeader &h : a.responseHeaders)
            response += h.name + QLatin1String(": ") + h.value + u'\n';
        response += u'\n' + formatBody(a.responseBody);
        if (a.responseBodySize > a.responseBody.size())
            response +=
                u'\n' +
                tr("(%1 of %2 bytes kept)").arg(a.responseBody.size()).arg(a.responseBodySize);
    } else if (a.errorClass != ErrorClass::None) {
        response = tr("No response: %1").arg(a.error.text());
    } else {
        response = tr("Waiting for the response…");
    }
    m_response->setPlainText(response);
    m_curl = curlFor(a);
    m_copyCurl->setEnabled(true);
}

void DeliveryDetailsView::showWithoutAttempts(const Delivery &d, const QString &heldBehind)
{
    clear();
    if (!heldBehind.isEmpty()) {
        m_summary->setText(
            tr("<b>%1</b> · delivery <code>%2</code> · held behind <code>%3</code> (order key "
               "%4): sent once that delivery succeeds or gives up.")
                .arg(Language::ltr(d.eventType.toHtmlEscaped()),
                     Language::ltr(d.id.toHtmlEscaped()), Language::ltr(heldBehind),
                     Language::ltr(d.orderKey.toHtmlEscaped())));
        return;
    }
    m_summary->setText(
        tr("<b>%1</b> · delivery <code>%2</code> · %3: no attempt is recorded for it.")
            .arg(Language::ltr(d.eventType.toHtmlEscaped()), Language::ltr(d.id.toHtmlEscaped()),
                 StatusStyle::stateText(d.state)));
}

void DeliveryDetailsView::clear()
{
    m_summary->clear();
    m_request->clear();
    m_response->clear();
    m_curl.clear();
    m_copyCurl->setEnabled(false);
}

QString DeliveryDetailsView::summaryText() const
{
    return m_summary->text();
}

QString DeliveryDetailsView::requestText() const
{
    return m_request->toPlainText();
}
QString DeliveryDetailsView::responseText() const
{
    return m_response->toPlainText();
}
