// SPDX-License-Identifier: GPL-3.0-or-later
// Shows one attempt the way an admin debugs it: the request (method, URL, headers,
// pretty-printed body) beside the response (status line, headers, pretty-printed body, or
// a hex dump when it is binary), with timing and the error sentence. "Copy as cURL"
// reproduces the request from a terminal. Used by the Live and History pages.
#pragma once

#include "domain/Delivery.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

class DeliveryDetailsView : public QWidget
{
    Q_OBJECT
public:
    explicit DeliveryDetailsView(QWidget *parent = nullptr);

    void showAttempt(const Delivery &delivery, const Attempt &attempt);
    // A delivery with no recorded attempt (queued, or its attempts removed by retention).
    // `heldBehind`: the delivery an ordered one waits for, if any.
    void showWithoutAttempts(const Delivery &delivery, const QString &heldBehind = {});
    void clear();

    QString summaryText() const; // rich text: what, where, when, and the error worded
    QString requestText() const;
    QString responseText() const;
    QString curlCommand() const { return m_curl; }

    // Pretty JSON when the body parses, text when it is printable UTF-8, else a hex dump.
    static QString formatBody(const QByteArray &body);
    static QString curlFor(const Attempt &attempt);

private:
    QLabel *m_summary = nullptr;
    QPlainTextEdit *m_request = nullptr;
    QPlainTextEdit *m_response = nullptr;
    QPushButton *m_copyCurl = nullptr;
    QString m_curl;
};
