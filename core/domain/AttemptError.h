// SPDX-License-Identifier: GPL-3.0-or-later
// What went wrong with an attempt, kept as what happened and its particulars (a host, a
// status, a limit) and worded only when shown: an attempt the English command line made reads
// in Arabic in an Arabic window. Stored as JSON in attempts.error_detail; attempts recorded
// before that column kept their words, which show as they were written.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

class AttemptError
{
public:
    enum class Kind {
        Words,           // already worded: a record from before, or a message from elsewhere
        Timeout,         // host:port
        TimeoutAnswered, // status, timeout ms
        Redirect,        // status, reason, location ("" when none)
        HttpStatus,      // status, reason
        BodyCapped,      // KiB read
        Dns,             // host
        Refused,         // host:port
        NoAnswerInTime,  // host:port
        Tls,             // host:port, details
        Aborted,         //
        Closed,          // host:port
        Failed,          // host:port, details
        HostNotFound,    // host, details
        NotPublic,       // address, host ("" when the URL named the address)
        LinkLocal,       // address, host ("" when the URL named the address)
    };

    AttemptError() = default;
    AttemptError(Kind kind, const QStringList &args = {});
    static AttemptError words(const QString &text);

    // Adds a second sentence ("… The response body was longer than 64 KiB …").
    AttemptError &then(Kind kind, const QStringList &args = {});

    bool isEmpty() const { return m_parts.isEmpty(); }
    // The sentences in the language of the running process.
    QString text() const;

    // For the store: "" when empty; decode() of anything it cannot read keeps it as words.
    QString encode() const;
    static AttemptError decode(const QString &stored);

    bool operator==(const AttemptError &other) const;

private:
    struct Part
    {
        Kind kind;
        QStringList args;
        bool operator==(const Part &o) const { return kind == o.kind && args == o.args; }
    };
    QList<Part> m_parts;
};
