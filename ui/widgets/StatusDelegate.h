// SPDX-License-Identifier: GPL-3.0-or-later
// Paints a status cell in its class colour (and bold), reading the code and error class
// from the model's roles. Models stay free of colours; this is the only place they meet.
#pragma once

#include <QStyledItemDelegate>

class StatusDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    StatusDelegate(int statusCodeRole, int errorClassRole, int pendingRole,
                   QObject *parent = nullptr);

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;

private:
    int m_codeRole;
    int m_errorRole;
    int m_pendingRole; // a role whose string value "pending" means not finished; 0: none
};
