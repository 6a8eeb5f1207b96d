// SPDX-License-Identifier: GPL-3.0-or-later
#include "DeliveryExport.h"

#include "DeliveryJson.h"
#include "store/Store.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonDocument>

QByteArray csvField(const QString &value)
{
    QByteArray v = value.toUtf8();
    if (v.contains(',') || v.contains('"') || v.contains('\n') || v.contains('\r')) {
        v.replace('"', "\"\"");
        v = '"' + v + '"';
    }
    return v;
}

ExportResult exportDeliveries(const Store &store, DeliveryQuery query, ExportFormat format,
                              QIODevice *out, const std::atomic<bool> *cancel)
{
    ExportResult result;
    QHash<QString, QString> names;
    for (const Endpoint &e : store.endpoints())
        names.insert(e.id, e.name);
    if (format == ExportFormat::Csv)
        out->write("created,delivery_id,event_type,endpoint,endpoint_id,state,last_status,"
                   "last_error,attempts,last_duration_ms,webhook_id\r\n");
    query.limit = 1000;
    query.offset = 0;
    query.beforeSeq = 0;
    for (;;) {
        if (cancel && cancel->load()) {
            result.cancelled = true;
            return result;
        }
        const QList<Delivery> page = store.deliveries(query);
        for (Delivery d : page) {
            QByteArray line;
            if (format == ExportFormat::Csv) {
                const QStringList fields = {d.created.toString(Qt::ISODateWithMs),
                                            d.id,
                                            d.eventType,
                                            names.value(d.endpointId),
                                            d.endpointId,
                                            deliveryStateName(d.state),
                                            QString::number(d.lastStatus),
                                            errorClassName(d.lastError),
                                            QString::number(d.attemptCount),
                                            QString::number(d.lastDurationMs),
                                            d.webhookId};
                for (qsizetype i = 0; i < fields.size(); ++i) {
                    if (i)
                        line += ',';
                    line += csvField(fields.at(i));
                }
                line += "\r\n";
            } else {
                d.attempts = store.attempts(d.id);
                line = QJsonDocument(deliveryToJson(d)).toJson(QJsonDocument::Compact) + '\n';
            }
            if (out->write(line) != line.size()) {
                result.error =
                    QCoreApplication::translate("DeliveryExport", "Writing the export failed: %1")
                        .arg(out->errorString());
                return result;
            }
            ++result.rows;
        }
        if (page.size() < query.limit)
            return result;
        query.beforeSeq = page.last().seq;
    }
}
