// Browses the event catalog: each event type with its description, its payload template,
// and a freshly rendered sample (pretty-printed) so an admin sees what a receiver will get.
// Reads only from the core catalog; editing and sending arrive with the admin GUI issue.
#pragma once

#include "catalog/EventCatalog.h"

#include <QWidget>

class QListWidget;
class QLabel;
class QPlainTextEdit;

class EventsPage : public QWidget
{
    Q_OBJECT
public:
    explicit EventsPage(const EventCatalog &catalog, QWidget *parent = nullptr);

    void selectType(const QString &id);
    QString selectedType() const;
    QString samplePayload() const;

private:
    void showType(int row);
    void renderSample();

    EventCatalog m_catalog;
    SampleData m_sampleData;
    QListWidget *m_list = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_description = nullptr;
    QPlainTextEdit *m_template = nullptr;
    QPlainTextEdit *m_sample = nullptr;
    QLabel *m_sampleError = nullptr;
};
