// SPDX-License-Identifier: GPL-3.0-or-later
// Turns SIGINT and SIGTERM into a Qt signal on the main thread (self-pipe trick), so the
// long-running commands (run, receive) can shut down cleanly: finish or record what is in
// flight and commit the store before exiting.
#pragma once

#include <QObject>

class ShutdownSignals : public QObject
{
    Q_OBJECT
public:
    explicit ShutdownSignals(QObject *parent = nullptr);
    ~ShutdownSignals() override;

signals:
    void requested(int signalNumber);
};
