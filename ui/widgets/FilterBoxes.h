// SPDX-License-Identifier: GPL-3.0-or-later
// The endpoint and event filter boxes that Live and History share: "All …" plus one entry
// per endpoint or event type, refilled when either list changes, keeping the choice.
#pragma once

#include <QHash>
#include <QString>

class Engine;
class QComboBox;

namespace FilterBoxes {

// Returns endpoint names by id, for the models' Endpoint column.
QHash<QString, QString> refill(const Engine &engine, QComboBox *endpoints, QComboBox *events);

} // namespace FilterBoxes
