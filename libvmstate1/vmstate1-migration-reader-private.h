/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Bounds on what the reader keeps in memory: the device sections after
 * RAM together with the VM description (vmdesc) that ends the stream, and
 * the vmdesc on its own. Guest RAM is never kept. */
#define VMSTATE1_MIGRATION_TAIL_MAX   (64u * 1024 * 1024)
#define VMSTATE1_MIGRATION_VMDESC_MAX (8u * 1024 * 1024)

/* The dbus-vmstate blob of a QEMU migration stream (version 3) or of a
 * libvirt save image (its header and XML, then QEMU's stream), read from
 * @stream to its end, found by the stream's structure: RAM is walked page
 * record by page record and skipped, the device sections after it are
 * walked with the VM description QEMU writes at the end.
 *
 * Returns the bytes of QEMU's blob (after its be32 size, QEMU's zero
 * padding included). Errors:
 * - G_IO_ERROR_NOT_FOUND: a well-formed stream with no dbus-vmstate section;
 * - G_IO_ERROR_NOT_SUPPORTED: the stream lacks what a sure answer needs (no
 *   VM description, compressed RAM, an unknown section type...);
 * - VMSTATE1_ERROR_MALFORMED: truncated or structurally broken, with the
 *   byte offset in the input;
 * - any error of @stream (G_IO_ERROR_CANCELLED...).
 * Text taken from the stream is escaped in messages. */
GBytes  *_vmstate1_migration_read_section      (GInputStream  *stream,
                                                GCancellable  *cancellable,
                                                GError       **error);
/* The same; @blob_offset (nullable) gets the offset of the blob's first
 * byte in the input, for messages about a blob that does not decode. */
GBytes  *_vmstate1_migration_read_section_full (GInputStream  *stream,
                                                guint64       *blob_offset,
                                                GCancellable  *cancellable,
                                                GError       **error);

/* The same in a worker thread. @stream must not be used until @callback
 * runs. */
void     _vmstate1_migration_read_section_async  (GInputStream        *stream,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GBytes  *_vmstate1_migration_read_section_finish (GAsyncResult        *result,
                                                  guint64             *blob_offset,
                                                  GError             **error);

G_END_DECLS
