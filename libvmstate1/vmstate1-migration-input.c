/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reader's input: one buffer over a GInputStream, filled as the walk
 * asks for bytes, so that a stream of any size (a pipe will do) is read
 * in one pass and in constant memory. See the private header. */
#include <string.h>

#include "vmstate1-migration-input-private.h"
#include "vmstate1-migration-private.h"

#define READ_CHUNK (64 * 1024)

void
_vmstate1_mig_input_init (Vmstate1MigInput *in,
                          GInputStream     *stream,
                          GCancellable     *cancellable)
{
  *in = (Vmstate1MigInput) {
    .stream = stream,
    .cancellable = cancellable,
    .buf = g_malloc (READ_CHUNK),
  };
}

void
_vmstate1_mig_input_clear (Vmstate1MigInput *in)
{
  g_clear_pointer (&in->buf, g_free);
}

/* Makes @want (at most READ_CHUNK) bytes available if the input has
 * them; fewer at its end. */
static gboolean
fill (Vmstate1MigInput  *in,
      gsize              want,
      GError           **error)
{
  if (in->end - in->start >= want)
    return TRUE;
  if (in->start > 0)
    {
      memmove (in->buf, in->buf + in->start, in->end - in->start);
      in->end -= in->start;
      in->start = 0;
    }
  while (in->end < want && !in->eof)
    {
      gssize got;

      /* Not every stream checks: a long read stops here too. */
      if (g_cancellable_set_error_if_cancelled (in->cancellable, error))
        return FALSE;
      got = g_input_stream_read (in->stream, in->buf + in->end,
                                 READ_CHUNK - in->end, in->cancellable, error);
      if (got < 0)
        return FALSE;
      if (got == 0)
        in->eof = TRUE;
      in->end += got;
    }
  return TRUE;
}

gboolean
_vmstate1_mig_peek (Vmstate1MigInput  *in,
                    gsize              n,
                    const guint8     **data,
                    GError           **error)
{
  if (!fill (in, n, error))
    return FALSE;
  *data = in->end - in->start >= n ? in->buf + in->start : NULL;
  return TRUE;
}

gboolean
_vmstate1_mig_read (Vmstate1MigInput  *in,
                    void              *dest,
                    guint64            n,
                    const char        *what,
                    GError           **error)
{
  guint8 *out = dest;
  guint64 from = in->offset;

  while (n > 0)
    {
      gsize avail;

      if (in->start == in->end)
        {
          if (!fill (in, 1, error))
            return FALSE;
          if (in->start == in->end)
            return _vmstate1_mig_malformed (error, in->offset,
                                            "the stream ends inside %s "
                                            "(from offset %" G_GUINT64_FORMAT
                                            ")", what, from);
        }
      avail = (gsize) MIN ((guint64) (in->end - in->start), n);
      if (out != NULL)
        {
          memcpy (out, in->buf + in->start, avail);
          out += avail;
        }
      in->start += avail;
      in->offset += avail;
      n -= avail;
    }
  return TRUE;
}

gboolean
_vmstate1_mig_read_u8 (Vmstate1MigInput  *in,
                       guint8            *value,
                       const char        *what,
                       GError           **error)
{
  return _vmstate1_mig_read (in, value, 1, what, error);
}

/* QEMU's integers are big-endian. */
#define DEFINE_READ_BE(bits)                                   \
  VMSTATE1_MIG_READ_BE (bits)                                  \
  {                                                            \
    guint8 b[bits / 8];                                        \
                                                               \
    if (!_vmstate1_mig_read (in, b, sizeof b, what, error))    \
      return FALSE;                                            \
    *value = 0;                                                \
    for (gsize i = 0; i < sizeof b; i++)                       \
      *value = (guint##bits) (*value << 8 | b[i]);             \
    return TRUE;                                               \
  }

DEFINE_READ_BE (16)
DEFINE_READ_BE (32)
DEFINE_READ_BE (64)

gboolean
_vmstate1_mig_read_name (Vmstate1MigInput  *in,
                         guint8             name[256],
                         guint8            *len,
                         const char        *what,
                         GError           **error)
{
  return _vmstate1_mig_read_u8 (in, len, what, error)
         && _vmstate1_mig_read (in, name, *len, what, error);
}

gboolean
_vmstate1_mig_read_chunk (Vmstate1MigInput  *in,
                          const guint8     **data,
                          gsize             *len,
                          GError           **error)
{
  if (in->start == in->end && !fill (in, 1, error))
    return FALSE;
  *data = in->buf + in->start;
  *len = in->end - in->start;
  in->start += *len;
  in->offset += *len;
  return TRUE;
}
