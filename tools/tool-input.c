/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What load -i and dump read: a raw blob, or a QEMU migration stream or
 * libvirt save image through the library's reader; never mmapped. */
#include <string.h>
#include <unistd.h>
#include <gio/gunixinputstream.h>

#include "tool-common.h"

/* Reading a blob or a migration stream */

GInputStream *
tool_open_input (const char  *path,
                 char       **shown,
                 int         *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;

  if (path == NULL || g_str_equal (path, "-"))
    {
      if (isatty (STDIN_FILENO))
        {
          *status = tool_usage_error ("will not read a binary blob from a "
                                      "terminal: give a FILE or redirect the "
                                      "input");
          return NULL;
        }
      *shown = g_strdup ("standard input");
      return g_unix_input_stream_new (STDIN_FILENO, FALSE);
    }

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, &error);
  if (stream == NULL)
    {
      *status = tool_failed ("cannot read %s: %s", path, error->message);
      return NULL;
    }
  *shown = g_strdup (path);
  return G_INPUT_STREAM (g_steal_pointer (&stream));
}

static gboolean
has_prefix (const guint8 *data,
            gsize         size,
            const char   *magic)
{
  gsize len = strlen (magic);

  return size >= len && memcmp (data, magic, len) == 0;
}

/* A regular file bigger than any blob we read, known without reading. */
static gboolean
file_too_large (GInputStream *input)
{
  g_autoptr(GFileInfo) info = NULL;

  if (G_IS_FILTER_INPUT_STREAM (input))
    input = g_filter_input_stream_get_base_stream (
        G_FILTER_INPUT_STREAM (input));
  if (!G_IS_FILE_INPUT_STREAM (input))
    return FALSE;
  info = g_file_input_stream_query_info (G_FILE_INPUT_STREAM (input),
                                         G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                         NULL, NULL);
  return info != NULL
         && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE)
         && (guint64) g_file_info_get_size (info) > TOOL_BLOB_MAX_SIZE;
}

/* A raw blob, read whole but bounded. */
static GBytes *
read_blob (GInputStream  *input,
           GError       **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  gsize chunk = 65536;

  if (file_too_large (input))
    goto too_large;

  for (;;)
    {
      gsize old_len = buffer->len;
      gsize got = 0;

      g_byte_array_set_size (buffer, old_len + chunk);
      if (!g_input_stream_read_all (input, buffer->data + old_len, chunk,
                                    &got, NULL, error))
        return NULL;
      g_byte_array_set_size (buffer, old_len + got);
      if (buffer->len > TOOL_BLOB_MAX_SIZE)
        goto too_large;
      if (got < chunk)
        break;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buffer));

too_large:
  g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
               "over %u MiB, and not a QEMU migration stream or a libvirt save "
               "image (it does not start as one): too large for a "
               "dbus-vmstate blob", TOOL_BLOB_MAX_SIZE / (1024 * 1024));
  return NULL;
}

Vmstate1States *
tool_read_states (GInputStream  *input,
                  const char    *shown,
                  char         **origin,
                  gsize         *blob_size,
                  int           *status)
{
  g_autoptr(GBufferedInputStream) buffered = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  guint8 head[16];
  gsize have;
  const char *kind = NULL;
  Vmstate1States *states;

  if (origin != NULL)
    *origin = NULL;
  if (blob_size != NULL)
    *blob_size = 0;

  /* Peek at the first bytes without consuming them: the reader wants the
   * stream from its start. */
  buffered = G_BUFFERED_INPUT_STREAM (
      g_buffered_input_stream_new_sized (input, 65536));
  while ((have = g_buffered_input_stream_get_available (buffered))
         < sizeof head)
    {
      gssize got = g_buffered_input_stream_fill (buffered,
                                                 sizeof head - have, NULL,
                                                 &error);

      if (got < 0)
        {
          *status = tool_failed ("cannot read %s: %s", shown, error->message);
          return NULL;
        }
      if (got == 0)
        break;
    }
  have = g_buffered_input_stream_peek (buffered, head, 0, sizeof head);

  if (has_prefix (head, have, "QEVM"))
    kind = "a QEMU migration stream";
  else if (has_prefix (head, have, "LibvirtQemudSave")
           || has_prefix (head, have, "LibvirtQemudPart"))
    kind = "a libvirt save image";

  if (kind != NULL)
    {
      states = vmstate1_states_read_migration (G_INPUT_STREAM (buffered),
                                               NULL, &error);
      if (states == NULL)
        {
          /* The reader's three answers, told apart: the library says
           * which (no section; there but corrupt, with the offset; cannot
           * tell, and why). */
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
              || g_error_matches (error, G_IO_ERROR,
                                  G_IO_ERROR_NOT_SUPPORTED))
            *status = tool_failed ("%s (%s): %s", shown, kind,
                                   error->message);
          else if (g_error_matches (error, VMSTATE1_ERROR,
                                    VMSTATE1_ERROR_MALFORMED))
            *status = tool_failed ("%s (%s): corrupt: %s", shown, kind,
                                   error->message);
          else
            *status = tool_failed ("cannot read %s: %s", shown,
                                   error->message);
          return NULL;
        }
      if (origin != NULL)
        *origin = g_strdup (kind);
      return states;
    }

  blob = read_blob (G_INPUT_STREAM (buffered), &error);
  if (blob == NULL)
    {
      if (error->domain == VMSTATE1_ERROR)
        *status = tool_failed ("%s: %s", shown, error->message);
      else
        *status = tool_failed ("cannot read %s: %s", shown, error->message);
      return NULL;
    }
  states = vmstate1_states_decode (blob, &error);
  if (states == NULL)
    {
      *status = tool_failed ("%s: neither a QEMU migration stream nor a "
                             "libvirt save image (by its first bytes), nor a "
                             "dbus-vmstate blob: %s", shown, error->message);
      return NULL;
    }
  if (blob_size != NULL)
    *blob_size = g_bytes_get_size (blob);
  return states;
}

char *
tool_describe_states (Vmstate1States *states)
{
  g_auto(GStrv) ids = vmstate1_states_dup_ids (states);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *shown = tool_escape (ids[i]);

      g_string_append_printf (out, "%s'%s' (%" G_GSIZE_FORMAT " bytes)",
                              i > 0 ? ", " : "", shown,
                              g_bytes_get_size (vmstate1_states_lookup (
                                  states, ids[i])));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
