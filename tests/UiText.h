// SPDX-License-Identifier: GPL-3.0-or-later
// Every piece of text a person can see or hear in a widget tree, in a stable order: labels,
// buttons, group and tab titles, combo items, placeholders, tooltips, accessible names,
// menus, list items and view headers. Two trees built the same way in two languages give
// lists that line up item by item.
#pragma once

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAction>
#include <QComboBox>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTextDocumentFragment>

struct UiText
{
    QString where; // class and object name, for messages
    QString text;
};

inline QString plainText(const QString &s)
{
    QString t = Qt::mightBeRichText(s) ? QTextDocumentFragment::fromHtml(s).toPlainText() : s;
    return t.remove(QLatin1Char('&')).trimmed();
}

inline void collectUiText(QWidget *root, QList<UiText> *out)
{
    const auto add = [out](QObject *o, const QString &s) {
        // Empty texts are kept too, so that two trees' lists line up item by item.
        const QString t = plainText(s);
        out->append(
            {QLatin1String(o->metaObject()->className()) + QLatin1Char('/') + o->objectName(), t});
    };
    QList<QWidget *> widgets{root};
    widgets += root->findChildren<QWidget *>();
    for (QWidget *w : std::as_const(widgets)) {
        // Scroll bars come and go with the length of the text; they carry none.
        bool scrollBar = false;
        for (QWidget *p = w; p && p != root; p = p->parentWidget())
            scrollBar = scrollBar || p->objectName().startsWith(QLatin1String("qt_scrollarea_"));
        if (scrollBar)
            continue;
        add(w, w->windowTitle());
        add(w, w->toolTip());
        add(w, w->accessibleName());
        if (auto *l = qobject_cast<QLabel *>(w))
            add(l, l->text());
        if (auto *b = qobject_cast<QAbstractButton *>(w))
            add(b, b->text());
        if (auto *g = qobject_cast<QGroupBox *>(w))
            add(g, g->title());
        if (auto *e = qobject_cast<QLineEdit *>(w))
            add(e, e->placeholderText());
        if (auto *c = qobject_cast<QComboBox *>(w)) {
            for (int i = 0; i < c->count(); ++i)
                add(c, c->itemText(i));
        }
        if (auto *t = qobject_cast<QTabWidget *>(w)) {
            for (int i = 0; i < t->count(); ++i)
                add(t, t->tabText(i));
        }
        if (auto *lw = qobject_cast<QListWidget *>(w)) {
            for (int i = 0; i < lw->count(); ++i)
                add(lw, lw->item(i)->text());
        }
        if (auto *h = qobject_cast<QHeaderView *>(w); h && h->model()) {
            for (int i = 0; i < h->count(); ++i)
                add(h, h->model()->headerData(i, h->orientation()).toString());
        }
        for (QAction *a : w->actions()) {
            add(a, a->text());
            add(a, a->toolTip());
        }
        if (auto *m = qobject_cast<QMenuBar *>(w)) {
            for (QAction *a : m->actions()) {
                if (a->menu()) {
                    for (QAction *sub : a->menu()->actions())
                        add(sub, sub->text());
                }
            }
        }
    }
}
