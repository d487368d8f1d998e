/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration section (after its QEMU_VM_CONFIGURATION byte): read
 * to its end, its RAM settings stored in @ram. */
#pragma once

#include "vmstate1-migration-input-private.h"
#include "vmstate1-migration-ram-private.h"

G_BEGIN_DECLS

gboolean _vmstate1_mig_config_read (Vmstate1MigInput  *in,
                                    Vmstate1MigRam    *ram,
                                    GError           **error);

G_END_DECLS
