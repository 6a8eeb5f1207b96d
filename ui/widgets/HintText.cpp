// SPDX-License-Identifier: GPL-3.0-or-later
#include "HintText.h"

#include <QApplication>
#include <QEvent>
#include <QWidget>

#include <cmath>

namespace HintText {

namespace {

double luminance(const QColor &c)
{
    const auto channel = [](double v) {
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

QColor mix(const QColor &from, const QColor &to, double t)
{
    return QColor::fromRgbF(float(from.redF() + (to.redF() - from.redF()) * t),
                            float(from.greenF() + (to.greenF() - from.greenF()) * t),
                            float(from.blueF() + (to.blueF() - from.blueF()) * t));
}

// Recolours its widget's text from its parent's palette whenever either changes.
class Follower : public QObject
{
public:
    Follower(QWidget *w, QPalette::ColorRole background)
        : QObject(w)
        , m_widget(w)
        , m_background(background)
    {
        w->installEventFilter(this);
        apply();
    }

protected:
    bool eventFilter(QObject *, QEvent *event) override
    {
        if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ParentChange)
            apply();
        return false;
    }

private:
    void apply()
    {
        const QPalette source = m_widget->parentWidget() ? m_widget->parentWidget()->palette()
                                                         : QApplication::palette(m_widget);
        QPalette p = m_widget->palette();
        bool changed = false;
        for (QPalette::ColorGroup g : {QPalette::Active, QPalette::Inactive, QPalette::Disabled}) {
            const QColor want =
                muted(source.color(g, QPalette::WindowText), source.color(g, m_background));
            if (p.color(g, QPalette::WindowText) != want) {
                p.setColor(g, QPalette::WindowText, want);
                p.setColor(g, QPalette::Text, want);
                changed = true;
            }
        }
        if (changed)
            m_widget->setPalette(p); // sends PaletteChange: nothing left to change then
    }

    QWidget *m_widget;
    QPalette::ColorRole m_background;
};

class PlaceholderKeeper : public QObject
{
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == qApp && event->type() == QEvent::ApplicationPaletteChange) {
            const QPalette now = QApplication::palette();
            const QPalette want = withReadablePlaceholders(now);
            if (want != now)
                QApplication::setPalette(want);
        }
        return false;
    }
};

} // namespace

double contrast(const QColor &a, const QColor &b)
{
    const double la = luminance(a), lb = luminance(b);
    return (qMax(la, lb) + 0.05) / (qMin(la, lb) + 0.05);
}

QColor muted(const QColor &text, const QColor &background)
{
    // The furthest step toward the background that keeps the contrast (a little above the
    // minimum, for rounding in the 8-bit colour the screen gets).
    QColor best = text;
    for (int step = 1; step <= 20; ++step) {
        const QColor c = mix(text, background, step / 20.0);
        if (contrast(c, background) < kMinimumContrast + 0.2)
            break;
        best = c;
    }
    return best.toRgb();
}

void makeHint(QWidget *label, QPalette::ColorRole background)
{
    new Follower(label, background);
}

QPalette withReadablePlaceholders(QPalette palette)
{
    for (QPalette::ColorGroup g : {QPalette::Active, QPalette::Inactive}) {
        const QColor base = palette.color(g, QPalette::Base);
        const QColor current = palette.color(g, QPalette::PlaceholderText);
        // Placeholders may be translucent: judge them as painted on the field.
        const QColor painted =
            mix(base, QColor(current.red(), current.green(), current.blue()), current.alphaF());
        if (contrast(painted, base) < kMinimumContrast)
            palette.setColor(g, QPalette::PlaceholderText,
                             muted(palette.color(g, QPalette::Text), base));
    }
    return palette;
}

void keepPlaceholdersReadable()
{
    static PlaceholderKeeper *keeper = nullptr;
    if (!keeper) {
        keeper = new PlaceholderKeeper(qApp);
        qApp->installEventFilter(keeper);
    }
    const QPalette now = QApplication::palette();
    const QPalette want = withReadablePlaceholders(now);
    if (want != now)
        QApplication::setPalette(want);
}

} // namespace HintText
