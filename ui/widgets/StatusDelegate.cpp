// SPDX-License-Identifier: GPL-3.0-or-later
#include "StatusDelegate.h"

#include "StatusStyle.h"

StatusDelegate::StatusDelegate(int statusCodeRole, int errorClassRole, int pendingRole,
                               QObject *parent)
    : QStyledItemDelegate(parent)
    , m_codeRole(statusCodeRole)
    , m_errorRole(errorClassRole)
    , m_pendingRole(pendingRole)
{
}

void StatusDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    if (m_pendingRole && index.data(m_pendingRole).toString() == QLatin1String("pending"))
        return;
    const int code = index.data(m_codeRole).toInt();
    const auto error = ErrorClass(index.data(m_errorRole).toInt());
    const QColor c = StatusStyle::outcomeColor(code, error, option->palette);
    option->palette.setColor(QPalette::Text, c);
    option->palette.setColor(QPalette::HighlightedText,
                             option->palette.color(QPalette::HighlightedText));
    option->font.setBold(true);
}
