// SPDX-License-Identifier: GPL-3.0-or-later
#include "AboutDialog.h"

#include "HooklineVersion.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QSysInfo>
#include <QVBoxLayout>

AboutDialog::AboutDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("About Hookline"));
    auto *layout = new QVBoxLayout(this);

    auto *icon = new QLabel(this);
    icon->setPixmap(windowIcon().pixmap(64, 64));
    icon->setAlignment(Qt::AlignCenter);
    layout->addWidget(icon);

    auto *title = new QLabel(
        QStringLiteral("<h2>Hookline %1</h2>").arg(QLatin1String(HOOKLINE_VERSION)), this);
    title->setAlignment(Qt::AlignCenter);
    layout->addWidget(title);

    auto *blurb = new QLabel(tr("A desktop console for contact-center webhook integrations: "
                                "register endpoints, fire test events, and see every request "
                                "and response."),
                             this);
    blurb->setWordWrap(true);
    blurb->setAlignment(Qt::AlignCenter);
    layout->addWidget(blurb);

    m_versions = new QLabel(versionText(), this);
    m_versions->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_versions->setAlignment(Qt::AlignCenter);
    layout->addWidget(m_versions);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *copy = buttons->addButton(tr("Copy version info"), QDialogButtonBox::ActionRole);
    connect(copy, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(versionText()); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString AboutDialog::versionText() const
{
    return tr("Hookline %1\nQt %2 (built with %3)\n%4")
        .arg(QLatin1String(HOOKLINE_VERSION), QLatin1String(qVersion()),
             QLatin1String(QT_VERSION_STR), QSysInfo::prettyProductName());
}
