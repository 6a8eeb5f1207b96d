// SPDX-License-Identifier: GPL-3.0-or-later
// Which addresses deliveries may connect to (server-side request forgery). Three levels:
//   any                 everything;
//   no-link-local       (the default) not link-local or cloud metadata (169.254.0.0/16,
//                       fe80::/10, fd00:ec2::254), not 0.0.0.0/8, multicast or broadcast;
//   public-only         also not loopback, private (RFC 1918, fc00::/7), CGNAT (100.64.0.0/10)
//                       or other special-purpose ranges: for `serve` when others hold tokens.
// An allow-list of host names and CIDR ranges overrides the level, and the built-in receiver's
// own address is always allowed. The dispatcher checks the address it is about to connect to
// (after resolving the name itself and pinning the connection to that address), so a name
// that resolves differently at delivery time than when it was saved cannot get past it.
#pragma once

#include "AttemptError.h"

#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

struct EgressPolicy
{
    enum class Level { Any, NoLinkLocal, PublicOnly };

    Level level = Level::NoLinkLocal;
    QStringList allowHosts;                  // lower-case host names, exact
    QList<QPair<QHostAddress, int>> allowed; // CIDR ranges
    quint16 receiverPort = 0;                // the built-in receiver, on loopback

    static QString levelName(Level level);
    static bool levelFromName(const QString &name, Level *level);
    // Parses "host", "1.2.3.4", "10.0.0.0/8" or "fd00::/8"; false for anything else.
    bool addAllowed(const QString &entry);
    QStringList allowEntries() const;

    // Nothing to check at all (level any, nothing else to say).
    bool checksNothing() const { return level == Level::Any; }
    // Empty when `address` (for `host`, as named in the URL, and `port`) may be contacted;
    // otherwise why not, naming the address and the policy.
    AttemptError refusal(const QHostAddress &address, const QString &host, quint16 port) const;
};
