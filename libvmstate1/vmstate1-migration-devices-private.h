/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device sections of a migration stream, from the first one after
 * RAM to the end of the input: their layout is only known from the VM
 * description (vmdesc) that ends the stream, so they are kept in memory
 * (at most VMSTATE1_MIGRATION_TAIL_MAX bytes) until it is read, then
 * walked with it, field by field, to the dbus-vmstate section. */
#pragma once

#include "vmstate1-migration-input-private.h"

G_BEGIN_DECLS

/* Reads @in to its end; @first is the type byte of the first device
 * section (or QEMU_VM_EOF), already consumed. @page_size: RAM's, which
 * the vmdesc must agree with. On success *blob is the dbus-vmstate
 * section's blob (after its be32 size), or NULL when the stream, well
 * formed, has none; *blob_offset (nullable) its offset in the input. */
gboolean _vmstate1_mig_devices_read (Vmstate1MigInput  *in,
                                     guint8             first,
                                     guint64            page_size,
                                     GBytes           **blob,
                                     guint64           *blob_offset,
                                     GError           **error);

G_END_DECLS
