// The main window: navigation between the app's pages, menus with keyboard shortcuts, the
// status bar, and remembered geometry and last page. It only arranges pages; what each page
// does lives in pages/, and all data comes from core objects handed in by app/.
#pragma once

#include <QMainWindow>

class AppSettings;
class EventCatalog;
class QListWidget;
class QStackedWidget;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(AppSettings *settings, const EventCatalog &catalog, QWidget *parent = nullptr);

    // Page keys, stable across versions (they are stored in settings).
    static QStringList pageKeys();
    QString currentPage() const;
    void showPage(const QString &key);

public slots:
    void showAbout();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void addPage(const QString &key, const QString &title, QWidget *page);
    QWidget *placeholderPage(const QString &title, const QString &text);

    AppSettings *m_settings;
    QListWidget *m_nav = nullptr;
    QStackedWidget *m_stack = nullptr;
    QStringList m_keys;
};
