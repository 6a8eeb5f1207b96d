#include "EventsPage.h"

#include "encoding/JsonText.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

EventsPage::EventsPage(const EventCatalog &catalog, QWidget *parent)
    : QWidget(parent)
    , m_catalog(catalog)
{
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("eventsSplitter"));

    m_list = new QListWidget(splitter);
    m_list->setAccessibleName(tr("Event types"));
    for (const EventType &t : m_catalog.types()) {
        auto *item = new QListWidgetItem(t.displayName, m_list);
        item->setData(Qt::UserRole, t.id);
        item->setToolTip(t.id);
    }
    m_list->setMinimumWidth(180);

    auto *detail = new QWidget(splitter);
    auto *layout = new QVBoxLayout(detail);
    m_title = new QLabel(detail);
    m_title->setTextFormat(Qt::RichText);
    m_description = new QLabel(detail);
    m_description->setWordWrap(true);
    layout->addWidget(m_title);
    layout->addWidget(m_description);

    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    auto *panes = new QSplitter(Qt::Horizontal, detail);
    auto *tplBox = new QWidget(panes);
    auto *tplLayout = new QVBoxLayout(tplBox);
    tplLayout->setContentsMargins(0, 0, 0, 0);
    tplLayout->addWidget(new QLabel(tr("Template"), tplBox));
    m_template = new QPlainTextEdit(tplBox);
    m_template->setReadOnly(true);
    m_template->setFont(mono);
    m_template->setAccessibleName(tr("Payload template"));
    tplLayout->addWidget(m_template);

    auto *sampleBox = new QWidget(panes);
    auto *sampleLayout = new QVBoxLayout(sampleBox);
    sampleLayout->setContentsMargins(0, 0, 0, 0);
    auto *sampleHeader = new QHBoxLayout;
    sampleHeader->addWidget(new QLabel(tr("Sample payload"), sampleBox));
    sampleHeader->addStretch();
    auto *again = new QPushButton(tr("&Render again"), sampleBox);
    again->setToolTip(tr("Render the template with fresh sample values (Ctrl+R)"));
    again->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    sampleHeader->addWidget(again);
    sampleLayout->addLayout(sampleHeader);
    m_sample = new QPlainTextEdit(sampleBox);
    m_sample->setReadOnly(true);
    m_sample->setFont(mono);
    m_sample->setAccessibleName(tr("Sample payload"));
    sampleLayout->addWidget(m_sample);
    m_sampleError = new QLabel(sampleBox);
    m_sampleError->setWordWrap(true);
    m_sampleError->setStyleSheet(
        QStringLiteral("color: palette(bright-text); background: #b3261e; padding: 4px;"));
    m_sampleError->hide();
    sampleLayout->addWidget(m_sampleError);
    layout->addWidget(panes, 1);

    splitter->setStretchFactor(1, 1);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(splitter);

    connect(m_list, &QListWidget::currentRowChanged, this, &EventsPage::showType);
    connect(again, &QPushButton::clicked, this, &EventsPage::renderSample);
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
}

void EventsPage::selectType(const QString &id)
{
    for (int i = 0; i < m_list->count(); ++i) {
        if (m_list->item(i)->data(Qt::UserRole).toString() == id)
            m_list->setCurrentRow(i);
    }
}

QString EventsPage::selectedType() const
{
    const QListWidgetItem *item = m_list->currentItem();
    return item ? item->data(Qt::UserRole).toString() : QString();
}

QString EventsPage::samplePayload() const
{
    return m_sample->toPlainText();
}

void EventsPage::showType(int row)
{
    if (row < 0 || row >= m_catalog.types().size())
        return;
    const EventType &t = m_catalog.types().at(row);
    m_title->setText(QStringLiteral("<h3>%1 <small><code>%2</code></small></h3>")
                         .arg(t.displayName.toHtmlEscaped(), t.id.toHtmlEscaped()));
    m_description->setText(t.description);
    m_template->setPlainText(t.payloadTemplate);
    renderSample();
}

void EventsPage::renderSample()
{
    const QString id = selectedType();
    if (id.isEmpty())
        return;
    const RenderResult r = m_catalog.render(id, m_sampleData, QDateTime::currentDateTimeUtc());
    if (r.ok()) {
        m_sample->setPlainText(QString::fromUtf8(JsonText::pretty(r.json)));
        m_sampleError->hide();
    } else {
        m_sample->clear();
        m_sampleError->setText(r.error);
        m_sampleError->show();
    }
}
