// SPDX-License-Identifier: GPL-3.0-or-later
#include "HistoryScroller.h"

#include "models/HistoryModel.h"

#include <QEvent>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QScrollBar>
#include <QTableView>

#include <climits>

HistoryScroller::HistoryScroller(QTableView *view, HistoryModel *model, QScrollBar *bar)
    : QObject(view)
    , m_view(view)
    , m_model(model)
    , m_bar(bar)
{
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerItem);
    m_view->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_view->installEventFilter(this);
    QScrollBar *inner = m_view->verticalScrollBar();
    connect(inner, &QScrollBar::valueChanged, this, &HistoryScroller::innerMoved);
    connect(inner, &QScrollBar::rangeChanged, this, &HistoryScroller::syncBar);
    connect(m_bar, &QScrollBar::valueChanged, this, &HistoryScroller::barMoved);
    connect(m_model, &QAbstractItemModel::modelReset, this, &HistoryScroller::syncBar);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &HistoryScroller::syncBar);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &HistoryScroller::syncBar);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &HistoryScroller::syncBar);
    syncBar();
}

int HistoryScroller::margin() const
{
    // Room left above or below the rows in view before the window moves: an eighth of it,
    // and always more than a page, so a Page Down never reaches its edge.
    return qMax(m_model->windowRows() / 8, m_view->verticalScrollBar()->pageStep() * 2);
}

qint64 HistoryScroller::topPosition() const
{
    return m_model->windowStart() + m_view->verticalScrollBar()->value();
}

void HistoryScroller::syncBar()
{
    const QScrollBar *inner = m_view->verticalScrollBar();
    const int page = qMax(1, inner->pageStep());
    const qint64 total = m_model->totalCount();
    m_syncing = true;
    // A scroll bar counts in int: beyond two billion rows it would need scaling.
    m_bar->setRange(0, int(qBound<qint64>(0, total - page, qint64(INT_MAX))));
    m_bar->setPageStep(page);
    m_bar->setSingleStep(1);
    m_bar->setValue(int(qMin<qint64>(topPosition(), INT_MAX)));
    m_syncing = false;
    m_bar->setEnabled(total > page);
}

void HistoryScroller::innerMoved(int value)
{
    if (m_syncing)
        return;
    const QScrollBar *inner = m_view->verticalScrollBar();
    const bool nearTop = value < margin() && m_model->windowStart() > 0;
    const bool nearBottom = value > inner->maximum() - margin() &&
                            m_model->windowStart() + m_model->rowCount() < m_model->totalCount();
    if (nearTop || nearBottom)
        moveWindow(m_model->windowStart() + value);
    syncBar();
}

void HistoryScroller::barMoved(int value)
{
    if (m_syncing)
        return;
    scrollTo(value);
}

void HistoryScroller::scrollTo(qint64 position)
{
    const QScrollBar *inner = m_view->verticalScrollBar();
    const qint64 base = m_model->windowStart();
    const bool inside = position >= base && position - base <= inner->maximum();
    const bool roomy = position - base >= margin() || base == 0;
    const bool roomyBelow = position - base <= inner->maximum() - margin() ||
                            base + m_model->rowCount() >= m_model->totalCount();
    if (!(inside && roomy && roomyBelow))
        moveWindow(position);
    m_syncing = true;
    m_view->verticalScrollBar()->setValue(int(position - m_model->windowStart()));
    m_syncing = false;
    syncBar();
}

void HistoryScroller::setCurrentPosition(qint64 position)
{
    if (m_model->totalCount() == 0)
        return;
    position = qBound<qint64>(0, position, m_model->totalCount() - 1);
    const int page = qMax(1, m_view->verticalScrollBar()->pageStep());
    if (position < topPosition() || position >= topPosition() + page)
        scrollTo(position < topPosition() ? position : position - page + 1);
    const QModelIndex index = m_model->index(int(position - m_model->windowStart()),
                                             qMax(0, m_view->currentIndex().column()));
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                         QItemSelectionModel::Rows);
}

void HistoryScroller::moveWindow(qint64 top)
{
    // The row in view and the current row stay where they are in the history.
    const QModelIndex current = m_view->currentIndex();
    const qint64 currentPosition = current.isValid() ? m_model->windowStart() + current.row() : -1;
    const int column = current.isValid() ? current.column() : 0;
    m_syncing = true;
    m_model->moveWindowTo(top);
    m_view->doItemsLayout(); // the new window's scroll range now, not at the next paint
    const qint64 base = m_model->windowStart();
    if (currentPosition >= base && currentPosition < base + m_model->rowCount()) {
        const QModelIndex again = m_model->index(int(currentPosition - base), column);
        m_view->selectionModel()->setCurrentIndex(again, QItemSelectionModel::ClearAndSelect |
                                                             QItemSelectionModel::Rows);
    }
    m_view->verticalScrollBar()->setValue(int(top - base));
    m_syncing = false;
}

bool HistoryScroller::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->modifiers() & Qt::ControlModifier) {
            if (key->key() == Qt::Key_Home) {
                setCurrentPosition(0);
                return true;
            }
            if (key->key() == Qt::Key_End) {
                setCurrentPosition(m_model->totalCount() - 1);
                return true;
            }
        }
    }
    return QObject::eventFilter(watched, event);
}
