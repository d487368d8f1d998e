/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every part of the migration-stream reader shares: QEMU's framing
 * constants, the byte-order getters, and the two shapes of its error
 * messages (malformed, or beyond what a sure answer needs), with the
 * escaping of stream bytes that both use. Defined in
 * vmstate1-migration.c, once for all the reader's files. */
#pragma once

#include <stdarg.h>

#include <gio/gio.h>

G_BEGIN_DECLS

#define QEMU_VM_FILE_MAGIC      0x5145564du  /* "QEVM" */
#define QEMU_VM_FILE_VERSION    3

enum {
  QEMU_VM_EOF            = 0x00,
  QEMU_VM_SECTION_START  = 0x01,
  QEMU_VM_SECTION_PART   = 0x02,
  QEMU_VM_SECTION_END    = 0x03,
  QEMU_VM_SECTION_FULL   = 0x04,
  QEMU_VM_SUBSECTION     = 0x05,
  QEMU_VM_VMDESCRIPTION  = 0x06,
  QEMU_VM_CONFIGURATION  = 0x07,
  QEMU_VM_COMMAND        = 0x08,
  QEMU_VM_SECTION_FOOTER = 0x7e,
};

/* QEMU_VM_COMMAND sub-commands that matter here. */
#define MIG_CMD_POSTCOPY_ADVISE 3
#define MIG_CMD_PACKAGED        7
#define MIG_CMD_LAST_KNOWN      11  /* SWITCHOVER_START, in later QEMU */

#define DBUS_VMSTATE_VMSD "dbus-vmstate"

static inline guint32
_vmstate1_mig_get_le32 (const guint8 *b)
{
  return (guint32) b[3] << 24 | (guint32) b[2] << 16 | (guint32) b[1] << 8
         | b[0];
}

static inline guint32
_vmstate1_mig_get_be32 (const guint8 *b)
{
  return (guint32) b[0] << 24 | (guint32) b[1] << 16 | (guint32) b[2] << 8
         | b[3];
}

static inline guint64
_vmstate1_mig_get_be64 (const guint8 *b)
{
  return (guint64) _vmstate1_mig_get_be32 (b) << 32
         | _vmstate1_mig_get_be32 (b + 4);
}

/* Bytes from the stream, printable: anything but printable ASCII (and
 * the quote and backslash) becomes \xNN. */
char     *_vmstate1_mig_escape      (const void   *data,
                                     gsize         len);

typedef enum
{
  VMSTATE1_MIG_MALFORMED,    /* truncated or structurally broken */
  VMSTATE1_MIG_UNSUPPORTED,  /* lacks what a sure answer needs */
} Vmstate1MigFailure;

/* Sets @error and returns FALSE. VMSTATE1_MIG_MALFORMED:
 * VMSTATE1_ERROR_MALFORMED, "QEMU migration stream malformed at offset
 * @offset: ..."; VMSTATE1_MIG_UNSUPPORTED: G_IO_ERROR_NOT_SUPPORTED,
 * "cannot tell whether this QEMU migration stream has a dbus-vmstate
 * section: ... (offset @offset)". */
gboolean  _vmstate1_mig_fail        (GError             **error,
                                     Vmstate1MigFailure   failure,
                                     guint64              offset,
                                     const char          *format,
                                     ...) G_GNUC_PRINTF (4, 5);

/* The same with a va_list, and @prefix (nullable) before the text. */
gboolean  _vmstate1_mig_failv       (GError             **error,
                                     Vmstate1MigFailure   failure,
                                     guint64              offset,
                                     const char          *prefix,
                                     const char          *format,
                                     va_list              args)
                                    G_GNUC_PRINTF (5, 0);

#define _vmstate1_mig_malformed(error, offset, ...) \
  _vmstate1_mig_fail ((error), VMSTATE1_MIG_MALFORMED, (offset), __VA_ARGS__)
#define _vmstate1_mig_unsupported(error, offset, ...) \
  _vmstate1_mig_fail ((error), VMSTATE1_MIG_UNSUPPORTED, (offset), \
                      __VA_ARGS__)

/* The commands the reader refuses, wherever they stand: a postcopy
 * package, and a command it does not know. @at: the command's type
 * byte. */
gboolean  _vmstate1_mig_check_command (guint16     command,
                                       guint64     at,
                                       GError    **error);

G_END_DECLS
