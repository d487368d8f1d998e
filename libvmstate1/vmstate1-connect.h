/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <gio/gio.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

VMSTATE1_AVAILABLE_IN_0_1
GDBusConnection *vmstate1_connect (const char    *address,
                                   GCancellable  *cancellable,
                                   GError       **error);
VMSTATE1_AVAILABLE_IN_0_2
void             vmstate1_connect_async  (const char          *address,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
VMSTATE1_AVAILABLE_IN_0_2
GDBusConnection *vmstate1_connect_finish (GAsyncResult        *result,
                                          GError             **error);

G_END_DECLS
