/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <string.h>

#include "slirp-helper/state.h"

static ssize_t
append (const void *buf,
        size_t      len,
        void       *opaque)
{
  g_byte_array_append (opaque, buf, len);
  return len;
}

GBytes *
slirp_helper_state_save (Slirp *slirp)
{
  GByteArray *out = g_byte_array_new ();
  guint32 version = GUINT32_TO_BE ((guint32) slirp_state_version ());

  g_byte_array_append (out, (const guint8 *) &version, sizeof version);
  slirp_state_save (slirp, append, out);
  return g_byte_array_free_to_bytes (out);
}

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize offset;
  gsize wanted;      /* bytes asked for past the end */
} StateReader;

/* libslirp's stream readers turn a short read into zeros and go on:
 * counting here is the only way to see a truncated state. */
static ssize_t
take (void   *buf,
      size_t  len,
      void   *opaque)
{
  StateReader *reader = opaque;

  if (len > reader->size - reader->offset)
    {
      reader->wanted += len;
      return 0;
    }
  memcpy (buf, reader->data + reader->offset, len);
  reader->offset += len;
  return len;
}

static const char *
bytes_word (gsize n)
{
  return n == 1 ? "byte" : "bytes";
}

gboolean
slirp_helper_state_load (Slirp   *slirp,
                         GBytes  *data,
                         GError **error)
{
  gsize size;
  const guint8 *bytes = g_bytes_get_data (data, &size);
  guint32 version;
  StateReader reader = { 0 };
  int ret;

  if (size < SLIRP_HELPER_STATE_HEADER_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the slirp state is truncated: %" G_GSIZE_FORMAT " %s, "
                   "less than its %d-byte version header", size,
                   bytes_word (size), SLIRP_HELPER_STATE_HEADER_SIZE);
      return FALSE;
    }
  memcpy (&version, bytes, sizeof version);
  version = GUINT32_FROM_BE (version);
  if (version > (guint32) slirp_state_version ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "slirp state version %u is newer than this helper reads: "
                   "libslirp %s reads up to version %d", version,
                   slirp_version_string (), slirp_state_version ());
      return FALSE;
    }
  if (version == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "slirp state version 0 does not exist: this is "
                           "not a slirp state");
      return FALSE;
    }

  reader.data = bytes + SLIRP_HELPER_STATE_HEADER_SIZE;
  reader.size = size - SLIRP_HELPER_STATE_HEADER_SIZE;
  /* The state starts with its guestfwd connections, ended by a zero.
   * This helper sets up no guestfwd, so libslirp would refuse any, and
   * on the way it reads whatever socket addresses they hold: refuse
   * them here, before libslirp sees them. */
  if (reader.size > 0 && reader.data[0] != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "the slirp state holds guestfwd connections (it starts "
                   "with 0x%02x, not 0), which this helper does not set up",
                   reader.data[0]);
      return FALSE;
    }

  ret = slirp_state_load (slirp, (int) version, take, &reader);
  if (reader.wanted > 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the version %u slirp state is truncated: libslirp read "
                   "past its end (%" G_GSIZE_FORMAT " %s after the header)",
                   version, reader.size, bytes_word (reader.size));
      return FALSE;
    }
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "libslirp refused the version %u state: %s", version,
                   g_strerror (-ret));
      return FALSE;
    }
  if (reader.offset != reader.size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the version %u slirp state has %" G_GSIZE_FORMAT
                   " trailing %s after the %" G_GSIZE_FORMAT " that "
                   "libslirp read", version, reader.size - reader.offset,
                   bytes_word (reader.size - reader.offset), reader.offset);
      return FALSE;
    }
  return TRUE;
}
