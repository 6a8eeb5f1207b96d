// SPDX-License-Identifier: GPL-3.0-or-later
// The proxy factory the dispatcher's QNetworkAccessManager uses. It answers what the
// application's proxy settings answer, with one change that keeps direct connections
// direct but makes them read responses in bulk.
//
// Qt 6.4's HTTP/1 client opens its socket *unbuffered* when a connection goes straight to
// the server (no proxy of any kind) and then reads the status line and every header one
// byte per read() call: about 110 system calls for a bare "204 No Content" from nginx, two
// thirds of the network thread's time per delivery. When QNAM's proxy answer is
// QNetworkProxy::DefaultProxy it takes that as a transparent proxy and opens a *buffered*
// socket instead (one read() per arrival), and the socket resolves DefaultProxy through
// the application's settings again, which say "direct". So where the application's answer
// is "no proxy" for the URL *and* for a plain TCP connection to its host, this factory
// answers DefaultProxy; anything else (a configured HTTP or SOCKS proxy) passes unchanged.
#pragma once

#include <QNetworkProxyFactory>

class BufferedDirectProxyFactory : public QNetworkProxyFactory
{
public:
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override;
};
