/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The messages of the migration-stream reader, shared by all its files:
 * every error it sets is one of these two shapes, and every byte it
 * quotes from the stream goes through the one escaping below. It is
 * stricter than the library's _vmstate1_escape_len(), which keeps valid
 * UTF-8 and quotes: these messages stay printable ASCII whatever the
 * stream holds (the fuzz target checks it), and the reader's files do
 * not pull in vmstate1-interface.c and its resources. */
#include <stdarg.h>

#include "vmstate1-error.h"
#include "vmstate1-migration-private.h"

char *
_vmstate1_mig_escape (const void *data,
                      gsize       len)
{
  const guint8 *p = data;
  GString *out = g_string_sized_new (len + 8);

  for (gsize i = 0; i < len; i++)
    {
      if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'')
        g_string_append_c (out, (char) p[i]);
      else
        g_string_append_printf (out, "\\x%02x", p[i]);
    }
  return g_string_free (out, FALSE);
}

gboolean
_vmstate1_mig_failv (GError             **error,
                     Vmstate1MigFailure   failure,
                     guint64              offset,
                     const char          *prefix,
                     const char          *format,
                     va_list              args)
{
  g_autofree char *detail = g_strdup_vprintf (format, args);
  g_autofree char *message = g_strconcat (prefix != NULL ? prefix : "",
                                          detail, NULL);

  if (failure == VMSTATE1_MIG_MALFORMED)
    g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                 "QEMU migration stream malformed at offset %"
                 G_GUINT64_FORMAT ": %s", offset, message);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "cannot tell whether this QEMU migration stream has a "
                 "dbus-vmstate section: %s (offset %" G_GUINT64_FORMAT ")",
                 message, offset);
  return FALSE;
}

gboolean
_vmstate1_mig_fail (GError             **error,
                    Vmstate1MigFailure   failure,
                    guint64              offset,
                    const char          *format,
                    ...)
{
  va_list args;

  va_start (args, format);
  _vmstate1_mig_failv (error, failure, offset, NULL, format, args);
  va_end (args);
  return FALSE;
}

gboolean
_vmstate1_mig_check_command (guint16   command,
                             guint64   at,
                             GError  **error)
{
  if (command == MIG_CMD_PACKAGED)
    return _vmstate1_mig_unsupported (error, at,
                                      "a postcopy package (a stream inside "
                                      "the stream)");
  if (command == 0 || command > MIG_CMD_LAST_KNOWN)
    return _vmstate1_mig_unsupported (error, at, "unknown command %u",
                                      command);
  return TRUE;
}
