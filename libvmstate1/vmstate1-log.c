/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "vmstate1-interface-private.h"
#include "vmstate1-log-private.h"

/* syslog's priorities, as GLib gives them to the journal. */
static const char *
priority_of (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  return "7";
}

gboolean
_vmstate1_log_would_drop (GLogLevelFlags level)
{
  return g_log_writer_default_would_drop (level, G_LOG_DOMAIN);
}

void
_vmstate1_log (GLogLevelFlags  level,
               const char     *id,
               const char     *method,
               const char     *caller,
               gssize          bytes,
               gint64          usec,
               const char     *format,
               ...)
{
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;
  g_autofree char *shown_id = NULL;
  g_autofree char *bytes_text = NULL;
  g_autofree char *usec_text = NULL;
  GLogField fields[8];
  gsize n = 0;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (id != NULL)
    shown_id = _vmstate1_escape (id);
  /* Errors that already name their Id are not prefixed twice. */
  if (id != NULL && !g_str_has_prefix (text, "Id '"))
    message = g_strdup_printf ("Id '%s': %s", shown_id, text);
  else
    message = g_steal_pointer (&text);

  fields[n++] = (GLogField) { "MESSAGE", message, -1 };
  fields[n++] = (GLogField) { "PRIORITY", priority_of (level), -1 };
  fields[n++] = (GLogField) { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 };
  if (id != NULL)
    fields[n++] = (GLogField) { "VMSTATE1_ID", shown_id, -1 };
  if (method != NULL)
    fields[n++] = (GLogField) { "VMSTATE1_METHOD", method, -1 };
  if (caller != NULL)
    fields[n++] = (GLogField) { "VMSTATE1_CALLER", caller, -1 };
  if (bytes >= 0)
    {
      bytes_text = g_strdup_printf ("%" G_GSSIZE_FORMAT, bytes);
      fields[n++] = (GLogField) { "VMSTATE1_BYTES", bytes_text, -1 };
    }
  if (usec >= 0)
    {
      usec_text = g_strdup_printf ("%" G_GINT64_FORMAT, usec);
      fields[n++] = (GLogField) { "VMSTATE1_USEC", usec_text, -1 };
    }
  g_log_structured_array (level, fields, n);
}
