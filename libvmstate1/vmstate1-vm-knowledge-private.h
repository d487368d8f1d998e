/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What a Vmstate1Vm knows of its bus; reference-counted, since GDBus's
 * worker thread may still run the filter after it is removed. The
 * _vmstate1_vm_* functions of vmstate1-vm-private.h read and change it. */
typedef struct _Vmstate1VmKnowledge Vmstate1VmKnowledge;

Vmstate1VmKnowledge *_vmstate1_vm_knowledge_new        (void);
void                 _vmstate1_vm_knowledge_unref      (gpointer             knowledge);
/* Follows the bus's signals on @connection; remove the filter with
 * g_dbus_connection_remove_filter(). */
guint                _vmstate1_vm_knowledge_add_filter (Vmstate1VmKnowledge *knowledge,
                                                        GDBusConnection     *connection);

G_END_DECLS
