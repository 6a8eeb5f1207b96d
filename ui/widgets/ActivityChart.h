// SPDX-License-Identifier: GPL-3.0-or-later
// A small chart of an endpoint's activity over time, drawn with QPainter: attempts per bin
// stacked by outcome (succeeded, failed and retried, failed for good), or latency per bin as
// p50, p95 and p99 lines. Drawn by hand rather than with Qt Charts: two small charts need
// little - bars, three lines, a time axis that follows the interface's direction, the
// palette's colours (light and dark), a tooltip per bin, and an accessible description that
// states the figures - while Qt Charts is one more library to install and ship, and, being
// GPL-3.0-only, would narrow the combined program's "or later".
#pragma once

#include "domain/EndpointActivity.h"

#include <QWidget>

class ActivityChart : public QWidget
{
    Q_OBJECT
public:
    enum class Kind { Outcomes, Latency };
    explicit ActivityChart(Kind kind, QWidget *parent = nullptr);

    void setActivity(const EndpointActivity &activity);
    const EndpointActivity &activity() const { return m_activity; }
    Kind kind() const { return m_kind; }

    // The bin under a point of the widget (-1: none), and the text its tooltip shows.
    int binAt(const QPoint &pos) const;
    QString binText(int bin) const;

    // "12 ms", "1.5 s" ("–" for a negative value: no attempts), in the interface's language.
    static QString latencyText(double ms);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    QRect plotRect() const;
    // The x range of bin i inside the plot (mirrored right to left).
    std::pair<double, double> binSpan(int bin, const QRect &plot) const;
    double maxValue() const;
    // The value axis's label at 0, half and the top (step 0, 1, 2).
    QString axisLabel(int step) const;
    void updateDescription();

    Kind m_kind;
    EndpointActivity m_activity;
};
