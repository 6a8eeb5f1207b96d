// SPDX-License-Identifier: GPL-3.0-or-later
// Seals endpoint secrets and custom header values before they reach the database, with
// AES-256-GCM (OpenSSL) under a key kept outside it, so that a copied database file does not
// leak them. The key comes from, in order:
//   $HOOKLINE_SECRET_KEY       base64 of 32 bytes (headless deployments, containers);
//   $HOOKLINE_SECRET_KEY_FILE  a file holding that;
//   ~/.config/hookline/secret.key, created on first use with mode 0600 (in a 0700 folder),
//   shared by every Hookline process of the user whatever the store.
// Sealed text reads "hl1:<key id>:<base64 of nonce | ciphertext | tag>"; the key id (the
// first 8 hex digits of the key's SHA-256) tells "sealed with another key" from "damaged".
// Text without the prefix is a value from before sealing and is returned as is.
#pragma once

#include <QByteArray>
#include <QString>

class SecretBox
{
public:
    // The process's key, loaded once. Check ok() and error().
    static const SecretBox &forProcess();
    // Where the key file is (whether or not it exists yet).
    static QString keyFilePath();

    explicit SecretBox(const QByteArray &key); // 32 bytes
    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }
    QString keyId() const { return m_keyId; }

    static bool isSealed(const QString &stored);
    // Empty stays empty (nothing to hide, and "no secret" must stay visible to queries).
    QString seal(const QString &plain) const;
    // False, with a sentence in *error, when the value was sealed with another key or damaged.
    bool open(const QString &stored, QString *plain, QString *error) const;

private:
    SecretBox() = default;
    static SecretBox load();

    QByteArray m_key;
    QString m_keyId;
    QString m_error;
};
