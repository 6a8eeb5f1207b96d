// SPDX-License-Identifier: GPL-3.0-or-later
#include "BufferedDirectProxy.h"

namespace {

bool isDirect(const QList<QNetworkProxy> &proxies)
{
    return !proxies.isEmpty() && proxies.constFirst().type() == QNetworkProxy::NoProxy;
}

} // namespace

QList<QNetworkProxy> BufferedDirectProxyFactory::queryProxy(const QNetworkProxyQuery &query)
{
    // What QNAM would have asked without a factory of its own.
    QList<QNetworkProxy> proxies = QNetworkProxyFactory::proxyForQuery(query);
    if (!isDirect(proxies))
        return proxies;
    // What the socket will ask when it resolves DefaultProxy: a TCP connection to the host.
    const QNetworkProxyQuery socketQuery(query.peerHostName(), query.peerPort(), QString(),
                                         QNetworkProxyQuery::TcpSocket);
    if (!isDirect(QNetworkProxyFactory::proxyForQuery(socketQuery)))
        return proxies;
    return {QNetworkProxy(QNetworkProxy::DefaultProxy)};
}
