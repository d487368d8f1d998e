/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tool-common.h"

char *tool_opt_address;
int tool_opt_timeout = -1;

const GOptionEntry tool_bus_entries[] = {
  { "address", 'a', 0, G_OPTION_ARG_STRING, &tool_opt_address,
    "D-Bus address of the VM's bus (default: $DBUS_SESSION_BUS_ADDRESS)",
    "ADDR" },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &tool_opt_timeout,
    "Milliseconds to wait at most for the bus and for each helper's "
    "answer, connecting included (default: 5000)",
    "MSEC" },
  { NULL }
};

/* Messages */

static void
print_message (const char *format,
               va_list     args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);
  g_autofree char *shown = tool_escape_lines (message);
  g_autofree char *line = g_strdup_printf ("%s: %s\n", TOOL_PROGRAM, shown);

  /* As is: g_printerr() would convert to the locale's charset. */
  tool_write_all (STDERR_FILENO, line, strlen (line), NULL);
}

/* Everything printed goes through tool_escape(): what the tool writes
 * itself is plain text, so only text from a peer or a file changes. */
int
tool_usage_error (const char *format,
                  ...)
{
  g_autofree char *hint = NULL;
  va_list args;

  va_start (args, format);
  print_message (format, args);
  va_end (args);
  hint = g_strdup_printf ("Try '%s --help'.\n", g_get_prgname ());
  tool_write_all (STDERR_FILENO, hint, strlen (hint), NULL);
  return TOOL_EXIT_USAGE;
}

int
tool_failed (const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  print_message (format, args);
  va_end (args);
  return TOOL_EXIT_FAILED;
}

static char *
escape (const char *text,
        gssize      len,
        gboolean    keep_newlines)
{
  GString *out;
  const char *p, *end;

  if (text == NULL)
    return g_strdup ("(null)");
  if (len < 0)
    len = (gssize) strlen (text);
  out = g_string_sized_new ((gsize) len);
  p = text;
  end = text + len;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }
      /* C0, DEL, C1. */
      if ((c < 0x20 && !(c == '\n' && keep_newlines)) || c == 0x7f
          || (c >= 0x80 && c < 0xa0))
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

char *
tool_escape_len (const char *text,
                 gssize      len)
{
  return escape (text, len, FALSE);
}

char *
tool_escape (const char *text)
{
  return escape (text, -1, FALSE);
}

char *
tool_escape_lines (const char *text)
{
  return escape (text, -1, TRUE);
}

char *
tool_make_valid (const char *text)
{
  return g_utf8_make_valid (text != NULL ? text : "", -1);
}

/* Options */

gboolean
tool_parse_command (const char          *command,
                    const char          *parameters,
                    const char          *summary,
                    const GOptionEntry  *entries,
                    gboolean             on_bus,
                    int                 *argc,
                    char              ***argv,
                    int                 *status)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("%s %s", TOOL_PROGRAM, command);

  /* So that --help reads "Usage: vmstate1-tool save [OPTION...]". */
  g_set_prgname (prgname);
  context = g_option_context_new (parameters);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (on_bus)
    g_option_context_add_main_entries (context, tool_bus_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = tool_usage_error ("%s", error->message);
      return FALSE;
    }
  if (tool_opt_timeout <= 0 && tool_opt_timeout != -1)
    {
      *status = tool_usage_error ("--timeout must be a positive number of "
                                  "milliseconds, not %d", tool_opt_timeout);
      return FALSE;
    }
  return TRUE;
}

/* The Ids of --id-list a,b, checked; *ids stays NULL without the
 * option. An empty string selects no helper, as in QEMU. */
gboolean
tool_parse_id_list (const char  *option,
                    GStrv       *ids,
                    int         *status)
{
  g_auto(GStrv) list = NULL;

  if (option == NULL)
    return TRUE;

  list = *option == '\0' ? g_new0 (char *, 1) : g_strsplit (option, ",", -1);
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!vmstate1_id_validate (list[i], &error))
        {
          *status = tool_usage_error ("--id-list '%s': %s", option,
                                      error->message);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (g_str_equal (list[i], list[j]))
          {
            *status = tool_usage_error ("--id-list '%s' names Id '%s' twice",
                                        option, list[i]);
            return FALSE;
          }
    }
  *ids = g_steal_pointer (&list);
  return TRUE;
}

int
tool_get_timeout (void)
{
  return tool_opt_timeout > 0 ? tool_opt_timeout
                              : VMSTATE1_DEFAULT_TIMEOUT_MSEC;
}

/* A save or load waits, each bounded by the timeout, for the queue of
 * owners, then the Ids, then the helpers' answers: the library times each
 * out and names who did not answer. This bound is only a backstop for a
 * bus that the library would wait on longer. */
int
tool_operation_limit (void)
{
  gint64 limit = 3 * (gint64) tool_get_timeout () + 1000;

  return (int) MIN (limit, (gint64) G_MAXINT);
}

/* Waiting */

struct _ToolWait
{
  GAsyncResult *result;
  GCancellable *cancellable;
  gboolean abandoned;
  gboolean timed_out;
};

ToolWait *
tool_wait_new (void)
{
  ToolWait *wait = g_new0 (ToolWait, 1);

  wait->cancellable = g_cancellable_new ();
  return wait;
}

static void
tool_wait_free (ToolWait *wait)
{
  g_clear_object (&wait->result);
  g_clear_object (&wait->cancellable);
  g_free (wait);
}

void
tool_wait_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ToolWait *wait = user_data;

  if (wait->abandoned)
    {
      tool_wait_free (wait);
      return;
    }
  wait->result = g_object_ref (result);
}

GCancellable *
tool_wait_get_cancellable (ToolWait *wait)
{
  return wait->cancellable;
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  ToolWait *wait = user_data;

  wait->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

GAsyncResult *
tool_wait_run (ToolWait    *wait,
               int          limit_msec,
               const char  *what,
               GError     **error)
{
  GSource *timer = g_timeout_source_new ((guint) limit_msec);
  GAsyncResult *result;

  g_source_set_callback (timer, on_wait_timeout, wait, NULL);
  g_source_attach (timer, NULL);
  while (wait->result == NULL && !wait->timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);

  if (wait->result == NULL)
    {
      /* The call may still answer; its callback frees @wait then. */
      wait->abandoned = TRUE;
      g_cancellable_cancel (wait->cancellable);
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT,
                   "%s did not answer within %d ms (is its dbus-daemon "
                   "stopped? a longer --timeout can be given)", what,
                   limit_msec);
      return NULL;
    }
  result = g_steal_pointer (&wait->result);
  tool_wait_free (wait);
  return result;
}

/* Connecting */

GDBusConnection *
tool_connect (int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *what = NULL;
  const char *address = tool_opt_address;
  GDBusConnection *bus;
  ToolWait *wait;

  if (address == NULL || *address == '\0')
    address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  if (address == NULL || *address == '\0')
    {
      *status = tool_usage_error ("no bus address: give --address ADDR (the "
                                  "VM's bus) or set DBUS_SESSION_BUS_ADDRESS");
      return NULL;
    }

  /* The library bounds connecting by VMSTATE1_DEFAULT_TIMEOUT_MSEC; a
   * shorter --timeout is applied here. */
  wait = tool_wait_new ();
  vmstate1_connect_async (address, tool_wait_get_cancellable (wait),
                          tool_wait_done, wait);
  what = g_strdup_printf ("The bus at '%s'", address);
  result = tool_wait_run (wait, tool_get_timeout (), what, &error);
  if (result == NULL)
    {
      *status = tool_failed ("%s", error->message);
      return NULL;
    }
  bus = vmstate1_connect_finish (result, &error);
  if (bus == NULL)
    *status = tool_failed ("%s", error->message);
  return bus;
}

/* Writing */

gboolean
tool_write_all (int            fd,
                const void    *data,
                gsize          size,
                GError       **error)
{
  const guint8 *p = data;

  while (size > 0)
    {
      gssize written = write (fd, p, size);

      if (written < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s", g_strerror (saved));
          return FALSE;
        }
      p += written;
      size -= written;
    }
  return TRUE;
}

/* Standard output as is: g_print() would convert to the locale's
 * charset, which breaks UTF-8 JSON under LC_ALL=C. */
int
tool_print_out (const GString *text)
{
  g_autoptr(GError) error = NULL;

  if (!tool_write_all (STDOUT_FILENO, text->str, text->len, &error))
    return tool_failed ("cannot write to standard output: %s",
                        error->message);
  return TOOL_EXIT_OK;
}

int
tool_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GString) text = NULL;
  g_autofree char *data = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  data = json_generator_to_data (generator, NULL);
  text = g_string_new (data);
  g_string_append_c (text, '\n');
  return tool_print_out (text);
}
