// SPDX-License-Identifier: GPL-3.0-or-later
// Muted text that still reads: hints (an event's description in the endpoint form, the Live
// panel's "deliveries appear here") and placeholder text, at a contrast of at least 4.5:1
// against their background (WCAG 2 AA) in light and dark palettes alike. Hints were shown
// as disabled labels once: 1.6:1 in the light palette.
#pragma once

#include <QColor>
#include <QPalette>

class QWidget;

namespace HintText {

constexpr double kMinimumContrast = 4.5;

// WCAG 2 contrast ratio of two opaque colours (1 to 21).
double contrast(const QColor &a, const QColor &b);

// `text` moved toward `background` as far as the contrast allows: muted, still readable.
QColor muted(const QColor &text, const QColor &background);

// Shows `label` as a hint (muted text against `background`), following palette changes
// (a switch to a dark desktop theme).
void makeHint(QWidget *label, QPalette::ColorRole background = QPalette::Window);

// The application's placeholder text made readable, now and after each palette change.
void keepPlaceholdersReadable();
QPalette withReadablePlaceholders(QPalette palette);

} // namespace HintText
