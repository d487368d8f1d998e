/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Answers Properties.Get/GetAll of the helper's Id on @connection from
 * GDBus's own thread: the Id cannot change while exported, and QEMU (or
 * a Vmstate1Vm) then finds a helper at once even while its main
 * loop is busy. Remove with g_dbus_connection_remove_filter(). */
guint _vmstate1_id_filter_add (GDBusConnection *connection,
                               const char      *id);

G_END_DECLS
