// SPDX-License-Identifier: GPL-3.0-or-later
#include "ActivityChart.h"

#include <QEvent>
#include <QHelpEvent>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <cmath>

namespace {
// Colours that read on both light and dark backgrounds, each also told apart by position
// (stacked order) and by the legend's words.
QColor succeededColor(const QPalette &p)
{
    return p.color(QPalette::Window).lightness() < 128 ? QColor(0x4c, 0xc2, 0x6a)
                                                       : QColor(0x1e, 0x7b, 0x34);
}
QColor retryingColor(const QPalette &p)
{
    return p.color(QPalette::Window).lightness() < 128 ? QColor(0xf0, 0xb4, 0x29)
                                                       : QColor(0xb0, 0x6d, 0x00);
}
QColor failedColor(const QPalette &p)
{
    return p.color(QPalette::Window).lightness() < 128 ? QColor(0xff, 0x6b, 0x6b)
                                                       : QColor(0xc0, 0x1c, 0x28);
}

// 1, 2, 5 × 10^n at or above `v`.
double niceCeiling(double v)
{
    if (v <= 0)
        return 1;
    const double power = std::pow(10.0, std::floor(std::log10(v)));
    for (const double step : {1.0, 2.0, 5.0, 10.0}) {
        if (v <= step * power)
            return step * power;
    }
    return 10 * power;
}

} // namespace

QString ActivityChart::latencyText(double ms)
{
    if (ms < 0)
        return QStringLiteral("–");
    const QLocale locale;
    if (ms >= 1000)
        return tr("%1 s").arg(locale.toString(ms / 1000.0, 'f', ms >= 10000 ? 0 : 1));
    return tr("%1 ms").arg(locale.toString(ms, 'f', ms < 10 ? 1 : 0));
}

ActivityChart::ActivityChart(Kind kind, QWidget *parent)
    : QWidget(parent)
    , m_kind(kind)
{
    setAttribute(Qt::WA_Hover);
    setMouseTracking(true);
    setFocusPolicy(Qt::TabFocus); // so a screen reader reaches the description
    setAccessibleName(kind == Kind::Outcomes ? tr("Attempts by outcome") : tr("Latency"));
    updateDescription();
}

void ActivityChart::setActivity(const EndpointActivity &activity)
{
    m_activity = activity;
    updateDescription();
    update();
}

QSize ActivityChart::sizeHint() const
{
    return {420, 170};
}

QSize ActivityChart::minimumSizeHint() const
{
    return {220, 120};
}

QRect ActivityChart::plotRect() const
{
    const QFontMetrics fm = fontMetrics();
    int axis = 0;
    for (int i = 0; i <= 2; ++i)
        axis = qMax(axis, fm.horizontalAdvance(axisLabel(i)));
    axis += 8;
    const int top = fm.height() + 8;    // the legend
    const int bottom = fm.height() + 6; // the time labels
    QRect r = rect().adjusted(0, top, 0, -bottom);
    // The value axis on the reading side's start.
    if (layoutDirection() == Qt::RightToLeft)
        r.setRight(r.right() - axis);
    else
        r.setLeft(r.left() + axis);
    return r.adjusted(2, 0, -2, 0);
}

std::pair<double, double> ActivityChart::binSpan(int bin, const QRect &plot) const
{
    const qsizetype n = qMax<qsizetype>(1, m_activity.bins.size());
    const double w = double(plot.width()) / double(n);
    double x0 = plot.left() + w * bin;
    if (layoutDirection() == Qt::RightToLeft)
        x0 = plot.right() + 1 - w * (bin + 1); // time runs right to left
    return {x0, x0 + w};
}

int ActivityChart::binAt(const QPoint &pos) const
{
    const QRect plot = plotRect();
    if (!plot.contains(pos) || m_activity.bins.isEmpty())
        return -1;
    for (int i = 0; i < m_activity.bins.size(); ++i) {
        const auto [a, b] = binSpan(i, plot);
        if (pos.x() >= a && pos.x() < b)
            return i;
    }
    return -1;
}

QString ActivityChart::axisLabel(int step) const
{
    const double v = maxValue() * step / 2.0;
    if (m_kind == Kind::Outcomes)
        return QLocale().toString(qint64(std::lround(v)));
    return step == 0 ? QLocale().toString(0) : ActivityChart::latencyText(v);
}

double ActivityChart::maxValue() const
{
    double top = 0;
    for (const ActivityBin &b : m_activity.bins) {
        if (m_kind == Kind::Outcomes)
            top = qMax(top, double(b.counts.attempts));
        else
            top = qMax(top, b.counts.percentileMs(0.99));
    }
    return niceCeiling(top);
}

QString ActivityChart::binText(int bin) const
{
    if (bin < 0 || bin >= m_activity.bins.size())
        return {};
    const ActivityBin &b = m_activity.bins.at(bin);
    const QLocale locale;
    const QDateTime start = b.start.toLocalTime();
    const QDateTime end = start.addSecs(qint64(m_activity.binMinutes) * 60);
    const QString when = tr("%1 – %2").arg(locale.toString(start, QLocale::ShortFormat),
                                           locale.toString(end.time(), QLocale::ShortFormat));
    const ActivityCounts &c = b.counts;
    if (m_kind == Kind::Outcomes)
        return tr("%1\n%2 attempts: %3 succeeded, %4 failed and retried, %5 failed")
            .arg(when, locale.toString(c.attempts), locale.toString(c.succeeded),
                 locale.toString(c.retrying), locale.toString(c.failed));
    if (c.attempts == 0)
        return tr("%1\nno attempts").arg(when);
    return tr("%1\np50 %2 · p95 %3 · p99 %4")
        .arg(when, ActivityChart::latencyText(c.percentileMs(0.5)),
             ActivityChart::latencyText(c.percentileMs(0.95)),
             ActivityChart::latencyText(c.percentileMs(0.99)));
}

void ActivityChart::updateDescription()
{
    const ActivityCounts &c = m_activity.total;
    const QLocale locale;
    if (m_kind == Kind::Outcomes)
        setAccessibleDescription(tr("%1 attempts: %2 succeeded, %3 failed and retried, %4 failed.")
                                     .arg(locale.toString(c.attempts), locale.toString(c.succeeded),
                                          locale.toString(c.retrying), locale.toString(c.failed)));
    else
        setAccessibleDescription(c.attempts == 0
                                     ? tr("No attempts.")
                                     : tr("Latency p50 %1, p95 %2, p99 %3.")
                                           .arg(ActivityChart::latencyText(c.percentileMs(0.5)),
                                                ActivityChart::latencyText(c.percentileMs(0.95)),
                                                ActivityChart::latencyText(c.percentileMs(0.99))));
}

bool ActivityChart::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(e);
        const int bin = binAt(help->pos());
        if (bin < 0)
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), binText(bin), this);
        return true;
    }
    if (e->type() == QEvent::LayoutDirectionChange || e->type() == QEvent::PaletteChange)
        update();
    return QWidget::event(e);
}

void ActivityChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    const QFontMetrics fm = fontMetrics();
    const bool rtl = layoutDirection() == Qt::RightToLeft;
    const QRect plot = plotRect();
    const QLocale locale;

    // Legend, on the reading side's start.
    struct Key
    {
        QString text;
        QColor color;
        Qt::PenStyle style;
    };
    QList<Key> keys;
    if (m_kind == Kind::Outcomes)
        keys = {{tr("Succeeded"), succeededColor(pal), Qt::SolidLine},
                {tr("Failed, retried"), retryingColor(pal), Qt::SolidLine},
                {tr("Failed"), failedColor(pal), Qt::SolidLine}};
    else
        keys = {{tr("p50"), succeededColor(pal), Qt::SolidLine},
                {tr("p95"), retryingColor(pal), Qt::DashLine},
                {tr("p99"), failedColor(pal), Qt::DotLine}};
    int x = rtl ? width() - 2 : 2;
    const int swatch = fm.height() - 4;
    for (const Key &k : std::as_const(keys)) {
        const int textWidth = fm.horizontalAdvance(k.text);
        const int itemWidth = swatch + 4 + textWidth + 12;
        const QRect box(rtl ? x - swatch : x, 4 + 2, swatch, swatch);
        if (m_kind == Kind::Outcomes) {
            p.fillRect(box, k.color);
        } else {
            p.setPen(QPen(k.color, 2, k.style));
            p.drawLine(box.left(), box.center().y(), box.right(), box.center().y());
        }
        p.setPen(pal.color(QPalette::WindowText));
        const QRect textBox(rtl ? x - swatch - 4 - textWidth : x + swatch + 4, 4, textWidth,
                            fm.height());
        p.drawText(textBox, Qt::AlignVCenter, k.text);
        x += rtl ? -itemWidth : itemWidth;
    }

    // Grid and value axis: 0, half and the top.
    const double top = maxValue();
    QColor grid = pal.color(QPalette::WindowText);
    grid.setAlpha(40);
    const QColor axisText = pal.color(QPalette::WindowText);
    for (int i = 0; i <= 2; ++i) {
        const int y = plot.bottom() - int(std::lround(plot.height() * i / 2.0));
        p.setPen(grid);
        p.drawLine(plot.left(), y, plot.right(), y);
        p.setPen(axisText);
        const QString label = axisLabel(i);
        const int w = fm.horizontalAdvance(label);
        const int lx = rtl ? plot.right() + 6 : plot.left() - 6 - w;
        p.drawText(QRect(lx, y - fm.height() / 2, w, fm.height()), Qt::AlignVCenter, label);
    }

    // Time labels: the span's start, middle and end (its end is now).
    if (!m_activity.bins.isEmpty()) {
        const qsizetype n = m_activity.bins.size();
        const bool days = qint64(n) * m_activity.binMinutes > 24 * 60;
        const auto label = [&](const QDateTime &t) {
            const QDateTime local = t.toLocalTime();
            return days ? locale.toString(local, QStringLiteral("ddd HH:mm"))
                        : locale.toString(local.time(), QLocale::ShortFormat);
        };
        const QDateTime end =
            m_activity.bins.last().start.addSecs(qint64(m_activity.binMinutes) * 60);
        const QList<std::pair<double, QDateTime>> ticks{{0.0, m_activity.bins.first().start},
                                                        {0.5, m_activity.bins.at(n / 2).start},
                                                        {1.0, end}};
        p.setPen(axisText);
        for (const auto &[at, when] : ticks) {
            const QString text = label(when);
            const int w = fm.horizontalAdvance(text);
            const double fraction = rtl ? 1.0 - at : at;
            int cx = plot.left() + int(plot.width() * fraction) - w / 2;
            cx = qBound(0, cx, width() - w);
            p.drawText(QRect(cx, plot.bottom() + 4, w, fm.height()), Qt::AlignCenter, text);
        }
    }

    if (m_activity.bins.isEmpty() || m_activity.total.attempts == 0) {
        QColor muted = pal.color(QPalette::WindowText);
        p.setPen(muted);
        p.drawText(plot, Qt::AlignCenter, tr("No attempts in this period"));
        return;
    }

    const auto yOf = [&](double v) {
        return plot.bottom() - plot.height() * (v / top);
    };
    if (m_kind == Kind::Outcomes) {
        p.setPen(Qt::NoPen);
        for (int i = 0; i < m_activity.bins.size(); ++i) {
            const ActivityCounts &c = m_activity.bins.at(i).counts;
            if (c.attempts == 0)
                continue;
            auto [a, b] = binSpan(i, plot);
            const double gap = (b - a) > 4 ? 1.0 : 0.0;
            double base = 0;
            for (const auto &[value, color] : {std::pair{c.succeeded, succeededColor(pal)},
                                               std::pair{c.retrying, retryingColor(pal)},
                                               std::pair{c.failed, failedColor(pal)}}) {
                if (value == 0)
                    continue;
                const double y0 = yOf(base);
                const double y1 = yOf(base + double(value));
                // At least a pixel, so one failure among thousands still shows.
                p.fillRect(QRectF(a + gap / 2, qMin(y1, y0 - 1), b - a - gap, qMax(1.0, y0 - y1)),
                           color);
                base += double(value);
            }
        }
        return;
    }
    const QList<std::tuple<double, QColor, Qt::PenStyle>> lines{
        {0.5, succeededColor(pal), Qt::SolidLine},
        {0.95, retryingColor(pal), Qt::DashLine},
        {0.99, failedColor(pal), Qt::DotLine}};
    for (const auto &[share, color, style] : lines) {
        QPainterPath path;
        bool drawing = false;
        for (int i = 0; i < m_activity.bins.size(); ++i) {
            const ActivityCounts &c = m_activity.bins.at(i).counts;
            if (c.attempts == 0) {
                drawing = false; // a gap where nothing was sent
                continue;
            }
            const auto [a, b] = binSpan(i, plot);
            const QPointF point((a + b) / 2, yOf(c.percentileMs(share)));
            if (drawing) {
                path.lineTo(point);
            } else {
                path.moveTo(point);
                path.addEllipse(point, 1.5, 1.5); // a lone bin still shows
                path.moveTo(point);
            }
            drawing = true;
        }
        p.setPen(QPen(color, 2, style));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
}
