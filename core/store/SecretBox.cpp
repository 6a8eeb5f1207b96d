// SPDX-License-Identifier: GPL-3.0-or-later
#include "SecretBox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace {

constexpr int kKeyBytes = 32;
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;
const QLatin1String kPrefix("hl1:");

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(SecretBox)
};

// Reads a key file (base64 of 32 bytes, surrounding whitespace allowed).
QByteArray readKey(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = Tr::tr("Cannot read the key file %1 (%2). Check its permissions, or set "
                        "HOOKLINE_SECRET_KEY.")
                     .arg(path, f.errorString());
        return {};
    }
    const QByteArray key = QByteArray::fromBase64(f.read(1024).trimmed());
    if (key.size() != kKeyBytes)
        *error =
            Tr::tr("The key file %1 does not hold a key (base64 of 32 bytes). Restore it from "
                   "a backup; if it is lost, move it away and re-enter the endpoints' secrets.")
                .arg(path);
    return key;
}

// Creates the key file with a fresh key, mode 0600, atomically: the key is written to a
// temporary file and linked into place, so two processes starting at once both end up with
// the one key that won, never with a half-written file.
QByteArray createKey(const QString &path, QString *error)
{
    const QFileInfo info(path);
    QDir dir(info.absolutePath());
    if (!dir.exists()) {
        if (!QDir().mkpath(dir.absolutePath())) {
            *error = Tr::tr("Cannot create the folder %1 for the key file. Check its permissions, "
                            "or set HOOKLINE_SECRET_KEY.")
                         .arg(dir.absolutePath());
            return {};
        }
        QFile::setPermissions(dir.absolutePath(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                      QFileDevice::ExeOwner);
    }
    unsigned char raw[kKeyBytes];
    if (RAND_bytes(raw, kKeyBytes) != 1) {
        *error = Tr::tr("The system's random number generator failed; no key was created.");
        return {};
    }
    const QByteArray key(reinterpret_cast<const char *>(raw), kKeyBytes);
    const QByteArray tmp =
        QFile::encodeName(path + QStringLiteral(".%1.tmp").arg(QCoreApplication::applicationPid()));
    const int fd = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = Tr::tr("Cannot create the key file %1. Check the folder's permissions, or set "
                        "HOOKLINE_SECRET_KEY.")
                     .arg(path);
        return {};
    }
    const QByteArray text = key.toBase64() + '\n';
    const bool written =
        ::write(fd, text.constData(), size_t(text.size())) == text.size() && ::fsync(fd) == 0;
    ::close(fd);
    const bool linked =
        written && ::link(tmp.constData(), QFile::encodeName(path).constData()) == 0;
    const int linkErrno = errno;
    ::unlink(tmp.constData());
    if (linked)
        return key;
    if (written && linkErrno == EEXIST) // another process was first: use its key
        return readKey(path, error);
    *error = Tr::tr("Cannot write the key file %1. Check free space and the folder's permissions, "
                    "or set HOOKLINE_SECRET_KEY.")
                 .arg(path);
    return {};
}

} // namespace

QString SecretBox::keyFilePath()
{
    const QString fromEnv = qEnvironmentVariable("HOOKLINE_SECRET_KEY_FILE");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(QStringLiteral("hookline/secret.key"));
}

SecretBox SecretBox::load()
{
    SecretBox box;
    QByteArray key;
    QString error;
    if (qEnvironmentVariableIsSet("HOOKLINE_SECRET_KEY")) {
        key = QByteArray::fromBase64(qgetenv("HOOKLINE_SECRET_KEY").trimmed());
        if (key.size() != kKeyBytes)
            error = Tr::tr("HOOKLINE_SECRET_KEY must be base64 of 32 bytes (for example the output "
                           "of 'openssl rand -base64 32').");
    } else {
        const QString path = keyFilePath();
        key = QFileInfo::exists(path) ? readKey(path, &error) : createKey(path, &error);
    }
    if (error.isEmpty())
        box = SecretBox(key);
    box.m_error = error;
    return box;
}

const SecretBox &SecretBox::forProcess()
{
    static const SecretBox box = load();
    return box;
}

SecretBox::SecretBox(const QByteArray &key)
    : m_key(key)
{
    if (key.size() != kKeyBytes) {
        m_error = Tr::tr("The secret key must be 32 bytes.");
        return;
    }
    m_keyId = QString::fromLatin1(
        QCryptographicHash::hash(key, QCryptographicHash::Sha256).left(4).toHex());
}

bool SecretBox::isSealed(const QString &stored)
{
    return stored.startsWith(kPrefix);
}

QString SecretBox::seal(const QString &plain) const
{
    if (plain.isEmpty() || !ok())
        return plain.isEmpty() ? plain : QString();
    const QByteArray in = plain.toUtf8();
    QByteArray out(kNonceBytes + in.size() + kTagBytes, Qt::Uninitialized);
    auto *nonce = reinterpret_cast<unsigned char *>(out.data());
    auto *cipher = nonce + kNonceBytes;
    if (RAND_bytes(nonce, kNonceBytes) != 1)
        return {};
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int total = 0;
    bool good = ctx &&
                EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                                   reinterpret_cast<const unsigned char *>(m_key.constData()),
                                   nonce) == 1 &&
                EVP_EncryptUpdate(ctx, cipher, &len,
                                  reinterpret_cast<const unsigned char *>(in.constData()),
                                  int(in.size())) == 1;
    total = len;
    good = good && EVP_EncryptFinal_ex(ctx, cipher + total, &len) == 1;
    total += len;
    good = good && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, cipher + total) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!good || total != in.size())
        return {};
    return kPrefix + m_keyId + QLatin1Char(':') + QString::fromLatin1(out.toBase64());
}

bool SecretBox::open(const QString &stored, QString *plain, QString *error) const
{
    if (!isSealed(stored)) {
        *plain = stored;
        return true;
    }
    const QStringView rest = QStringView(stored).mid(kPrefix.size());
    const qsizetype colon = rest.indexOf(u':');
    const QStringView keyId = rest.left(colon);
    if (!ok() || keyId != m_keyId) {
        *error =
            Tr::tr("It was sealed with another key (%1; this machine's is %2). Restore the key "
                   "file %3 (or HOOKLINE_SECRET_KEY) it was sealed with, or enter the secret "
                   "again.")
                .arg(keyId.toString(), m_keyId.isEmpty() ? Tr::tr("none") : m_keyId, keyFilePath());
        return false;
    }
    const QByteArray raw = QByteArray::fromBase64(rest.mid(colon + 1).toLatin1());
    const qsizetype n = raw.size() - kNonceBytes - kTagBytes;
    QByteArray out(qMax<qsizetype>(n, 0), Qt::Uninitialized);
    bool good = n >= 0;
    if (good) {
        const auto *nonce = reinterpret_cast<const unsigned char *>(raw.constData());
        const auto *cipher = nonce + kNonceBytes;
        QByteArray tag = raw.right(kTagBytes);
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int len = 0;
        good = ctx &&
               EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                                  reinterpret_cast<const unsigned char *>(m_key.constData()),
                                  nonce) == 1 &&
               EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char *>(out.data()), &len, cipher,
                                 int(n)) == 1 &&
               EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
               EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char *>(out.data()) + len,
                                   &len) == 1;
        EVP_CIPHER_CTX_free(ctx);
    }
    if (!good) {
        *error = Tr::tr("The sealed value is damaged. Enter the secret again.");
        return false;
    }
    *plain = QString::fromUtf8(out);
    return true;
}
