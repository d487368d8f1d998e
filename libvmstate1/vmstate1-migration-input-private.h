/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reader's input: a GInputStream read sequentially through one
 * buffer, with a bounded lookahead (a peek of at most one buffer), the
 * offset of every byte for messages, and an error naming what was being
 * read where the input ends too soon. Nothing is kept once consumed. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GInputStream *stream;
  GCancellable *cancellable;
  guint8 *buf;
  gsize start, end;  /* the unread bytes: buf[start..end) */
  guint64 offset;    /* offset in the input of buf[start] */
  gboolean eof;
} Vmstate1MigInput;

void     _vmstate1_mig_input_init  (Vmstate1MigInput  *in,
                                    GInputStream      *stream,
                                    GCancellable      *cancellable);
void     _vmstate1_mig_input_clear (Vmstate1MigInput  *in);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Vmstate1MigInput, _vmstate1_mig_input_clear)

/* *data: @n bytes ahead (@n at most 64 KiB), not consumed; NULL where the
 * input ends before. */
gboolean _vmstate1_mig_peek        (Vmstate1MigInput  *in,
                                    gsize              n,
                                    const guint8     **data,
                                    GError           **error);

/* Consumes @n bytes into @dest, or skips them for a NULL @dest: RAM pages
 * go by without being kept. @what names what is read, for the message
 * when the input ends first. */
gboolean _vmstate1_mig_read        (Vmstate1MigInput  *in,
                                    void              *dest,
                                    guint64            n,
                                    const char        *what,
                                    GError           **error);

gboolean _vmstate1_mig_read_u8     (Vmstate1MigInput  *in,
                                    guint8            *value,
                                    const char        *what,
                                    GError           **error);

/* _vmstate1_mig_read_be16(), _be32() and _be64(): a big-endian integer
 * of that many bits into *value. */
#define VMSTATE1_MIG_READ_BE(bits) \
  gboolean _vmstate1_mig_read_be##bits (Vmstate1MigInput  *in, \
                                        guint##bits       *value, \
                                        const char        *what, \
                                        GError           **error)
VMSTATE1_MIG_READ_BE (16);
VMSTATE1_MIG_READ_BE (32);
VMSTATE1_MIG_READ_BE (64);

/* A u8 length, then that many bytes (QEMU's idstr and block names). */
gboolean _vmstate1_mig_read_name   (Vmstate1MigInput  *in,
                                    guint8             name[256],
                                    guint8            *len,
                                    const char        *what,
                                    GError           **error);

/* Consumes what the buffer holds (reading more when it is empty): *data
 * and *len, valid until the next call on @in; *len is 0 at the end of
 * the input. */
gboolean _vmstate1_mig_read_chunk  (Vmstate1MigInput  *in,
                                    const guint8     **data,
                                    gsize             *len,
                                    GError           **error);

G_END_DECLS
