// SPDX-License-Identifier: GPL-3.0-or-later
// The About box: what Hookline is, its version and the Qt it runs on (compile-time and
// run-time versions can differ on a distribution upgrade, which matters in bug reports).
#pragma once

#include <QDialog>

class QLabel;

class AboutDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AboutDialog(QWidget *parent = nullptr);

    // The version lines as shown, for tests and for "copy to clipboard".
    QString versionText() const;

private:
    QLabel *m_versions = nullptr;
};
