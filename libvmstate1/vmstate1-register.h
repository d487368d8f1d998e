/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <gio/gio.h>

#include "vmstate1-helper.h"
#include "vmstate1-version.h"

G_BEGIN_DECLS

VMSTATE1_AVAILABLE_IN_0_1
guint vmstate1_register   (GDBusConnection   *connection,
                           const char        *id,
                           Vmstate1SaveFunc   save,
                           Vmstate1LoadFunc   load,
                           gpointer           user_data,
                           GDestroyNotify     user_data_free,
                           GError           **error);
VMSTATE1_AVAILABLE_IN_0_1
void  vmstate1_unregister (guint              registration_id);

G_END_DECLS
