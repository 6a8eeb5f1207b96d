// SPDX-License-Identifier: GPL-3.0-or-later
// The add/edit form for one endpoint: every field of the core's Endpoint, validated as the
// admin types with the core's own rules; each message appears under its field and Save
// stays disabled while anything is invalid. The secret can be generated, copied, revealed
// and rotated (the old one keeps working for 24 hours).
#pragma once

#include "catalog/EventCatalog.h"
#include "domain/Endpoint.h"
#include "domain/EndpointValidation.h"

#include <QDialog>
#include <QHash>

#include <functional>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QDoubleSpinBox;
class QSpinBox;
class QTableWidget;

class EndpointDialog : public QDialog
{
    Q_OBJECT
public:
    EndpointDialog(const EventCatalog &catalog, const Endpoint &endpoint,
                   QWidget *parent = nullptr);

    // Offers "Use a local test inbox", which fills the URL and secret through this callback.
    void setLocalInboxProvider(std::function<void(Endpoint *)> provider);

    Endpoint endpoint() const;
    QList<ValidationError> errors() const { return m_errors; }
    bool canSave() const;

    // For tests: the widgets by their field name ("name", "url", ...).
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *secretEdit() const { return m_secret; }
    QTableWidget *headersTable() const { return m_headers; }
    QComboBox *formatBox() const { return m_format; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

public:
    QString fieldError(const QString &field) const;

private:
    void validate();
    void addHeaderRow(const QString &name = {}, const QString &value = {});
    QLabel *errorLabel(const QString &field);

    EventCatalog m_catalog;
    Endpoint m_base;
    std::function<void(Endpoint *)> m_localInbox;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_url = nullptr;
    QLineEdit *m_description = nullptr;
    QCheckBox *m_enabled = nullptr;
    QCheckBox *m_allEvents = nullptr;
    QHash<QString, QCheckBox *> m_eventBoxes;
    QComboBox *m_format = nullptr;
    QTableWidget *m_headers = nullptr;
    QLineEdit *m_secret = nullptr;
    QLineEdit *m_schedule = nullptr;
    QSpinBox *m_timeout = nullptr;
    QSpinBox *m_attempts = nullptr;
    QSpinBox *m_disableAfter = nullptr;
    QCheckBox *m_verifyTls = nullptr;
    QCheckBox *m_h2c = nullptr;
    QCheckBox *m_http1Only = nullptr;
    QSpinBox *m_maxInFlight = nullptr;
    QDoubleSpinBox *m_rate = nullptr;
    QSpinBox *m_burst = nullptr;
    QLineEdit *m_orderKey = nullptr;
    QPushButton *m_localButton = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QHash<QString, QLabel *> m_errorLabels;
    QList<ValidationError> m_errors;
    QString m_scheduleError;
};
