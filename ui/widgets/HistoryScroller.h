// SPDX-License-Identifier: GPL-3.0-or-later
// Scrolls a table over a history longer than its model's window (HistoryModel): a scroll bar
// of its own spans every delivery, the view's own (hidden) one scrolls within the window, and
// the window moves, keeping the row in view and the current row, when the view nears its
// edge or the admin drags the bar beyond it. Ctrl+Home and Ctrl+End reach the whole
// history's ends.
#pragma once

#include <QObject>

class HistoryModel;
class QScrollBar;
class QTableView;

class HistoryScroller : public QObject
{
    Q_OBJECT
public:
    HistoryScroller(QTableView *view, HistoryModel *model, QScrollBar *bar);

    // The position in the whole history (0: newest) of the top row in view.
    qint64 topPosition() const;
    // Brings `position` to the top of the view (as far as the end allows).
    void scrollTo(qint64 position);
    // Makes `position` the current row, in view.
    void setCurrentPosition(qint64 position);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void syncBar();
    void innerMoved(int value);
    void barMoved(int value);
    void moveWindow(qint64 top);
    int margin() const;

    QTableView *m_view;
    HistoryModel *m_model;
    QScrollBar *m_bar;
    bool m_syncing = false;
};
