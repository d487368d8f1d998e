/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>

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

/* The output of save */

typedef enum
{
  OUTPUT_STDOUT,
  OUTPUT_REPLACE,   /* a regular file or a new path: temp file, rename */
  OUTPUT_THROUGH,   /* a FIFO or a character device: opened, written */
} OutputKind;

struct _ToolOutput
{
  OutputKind kind;
  char *path;     /* as given */
  char *target;   /* what is written: @path, or where its symlink leads */
  char *shown;
};

/* What -o names, symlinks followed. */
static gboolean
classify_output (const char  *path,
                 OutputKind  *kind,
                 char       **target,
                 GError     **error)
{
  struct stat st;
  g_autofree char *resolved = NULL;
  g_autofree char *dir = NULL;
  int saved;

  if (lstat (path, &st) != 0)
    {
      saved = errno;
      if (saved != ENOENT)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s", g_strerror (saved));
          return FALSE;
        }
      /* A new file, in a directory that must be there. */
      dir = g_path_get_dirname (path);
      if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "there is no directory '%s' to create it in", dir);
          return FALSE;
        }
      *kind = OUTPUT_REPLACE;
      *target = g_strdup (path);
      return TRUE;
    }

  if (S_ISLNK (st.st_mode))
    {
      /* Followed to what it finally names, which is then treated as if
       * it had been given: a symlink to a regular file replaces that file
       * (not the link). */
      resolved = realpath (path, NULL);
      if (resolved == NULL)
        {
          saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "it is a symbolic link that leads nowhere (%s): give "
                       "the file itself", g_strerror (saved));
          return FALSE;
        }
      if (stat (resolved, &st) != 0)
        {
          saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s: %s", resolved, g_strerror (saved));
          return FALSE;
        }
    }

  if (S_ISREG (st.st_mode))
    *kind = OUTPUT_REPLACE;
  else if (S_ISFIFO (st.st_mode) || S_ISCHR (st.st_mode))
    *kind = OUTPUT_THROUGH;
  else
    {
      const char *what = S_ISDIR (st.st_mode) ? "a directory"
                         : S_ISSOCK (st.st_mode) ? "a socket"
                         : S_ISBLK (st.st_mode) ? "a block device"
                         : "neither a file, a FIFO nor a character device";

      g_set_error (error, G_IO_ERROR,
                   S_ISDIR (st.st_mode) ? G_IO_ERROR_IS_DIRECTORY
                                        : G_IO_ERROR_NOT_REGULAR_FILE,
                   "it is %s: give a file name, a FIFO or a character device",
                   what);
      return FALSE;
    }
  *target = resolved != NULL ? g_steal_pointer (&resolved) : g_strdup (path);
  return TRUE;
}

ToolOutput *
tool_output_new (const char *path,
                 int        *status)
{
  g_autoptr(ToolOutput) output = g_new0 (ToolOutput, 1);
  g_autoptr(GError) error = NULL;

  if (path == NULL || g_str_equal (path, "-"))
    {
      if (isatty (STDOUT_FILENO))
        {
          *status = tool_usage_error ("will not write a binary blob to a "
                                      "terminal: give -o FILE or redirect the "
                                      "output");
          return NULL;
        }
      output->kind = OUTPUT_STDOUT;
      output->shown = g_strdup ("standard output");
      return g_steal_pointer (&output);
    }

  output->path = g_strdup (path);
  output->shown = g_strdup (path);
  if (!classify_output (path, &output->kind, &output->target, &error))
    {
      *status = tool_failed ("cannot write to %s: %s", path, error->message);
      return NULL;
    }
  if (output->kind == OUTPUT_REPLACE)
    {
      g_autofree char *dir = g_path_get_dirname (output->target);

      if (access (dir, W_OK | X_OK) != 0)
        {
          int saved = errno;

          *status = tool_failed ("cannot write to %s: the file is replaced "
                                 "by a new one, and its directory '%s' is "
                                 "not writable: %s", path, dir,
                                 g_strerror (saved));
          return NULL;
        }
    }
  return g_steal_pointer (&output);
}

const char *
tool_output_get_shown (ToolOutput *output)
{
  return output->shown;
}

static gboolean
set_errno_error (GError     **error,
                 int          saved,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "%s %s: %s", what, path, g_strerror (saved));
  return FALSE;
}

static gboolean
sync_fd (int          fd,
         const char  *path,
         GError     **error)
{
  /* Pipes, ttys and some devices cannot be synced: nothing to wait for. */
  if (fsync (fd) != 0 && errno != EINVAL && errno != EROFS
      && errno != ENOTSUP)
    return set_errno_error (error, errno, "cannot sync", path);
  return TRUE;
}

/* Replaced atomically: a temporary file next to it, synced, renamed over
 * it. An existing file keeps its mode (and its owner and group if we may
 * set them); a new one is 0600 (the states may be private), less what
 * the umask takes. */
static gboolean
replace_file (const char  *target,
              GBytes      *bytes,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (target);
  g_autofree char *base = g_path_get_basename (target);
  g_autofree char *temp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  struct stat st;
  gboolean existed;
  int fd, dir_fd;

  existed = stat (target, &st) == 0;
  if (existed && !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "%s is no longer a regular file", target);
      return FALSE;
    }

  fd = g_mkstemp_full (temp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_errno_error (error, errno, "cannot create a temporary file",
                            temp);

  if (existed)
    {
      /* Owner first: fchown may clear the set-id bits fchmod sets. */
      if (fchown (fd, st.st_uid, st.st_gid) != 0)
        g_debug ("cannot keep the owner of %s: %s", target,
                 g_strerror (errno));
      if (fchmod (fd, st.st_mode & 07777) != 0)
        {
          int saved = errno;

          close (fd);
          g_unlink (temp);
          return set_errno_error (error, saved, "cannot set the mode of",
                                  temp);
        }
    }

  if (!tool_write_all (fd, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes), error)
      || !sync_fd (fd, temp, error))
    {
      close (fd);
      g_unlink (temp);
      return FALSE;
    }
  if (close (fd) != 0)
    {
      int saved = errno;

      g_unlink (temp);
      return set_errno_error (error, saved, "cannot write", temp);
    }
  if (rename (temp, target) != 0)
    {
      int saved = errno;

      g_unlink (temp);
      return set_errno_error (error, saved, "cannot rename the new file to",
                              target);
    }

  /* The rename itself, on disk. */
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

/* A FIFO or a character device: opened as it is, neither created nor
 * truncated nor replaced. */
static gboolean
write_through (const char  *target,
               GBytes      *bytes,
               GError     **error)
{
  struct stat st;
  int fd = open (target, O_WRONLY | O_NOCTTY | O_CLOEXEC);

  if (fd < 0)
    return set_errno_error (error, errno, "cannot open", target);
  if (fstat (fd, &st) != 0 || !(S_ISFIFO (st.st_mode) || S_ISCHR (st.st_mode)))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "%s is no longer a FIFO or a character device", target);
      return FALSE;
    }
  if (isatty (fd))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s is a terminal: the blob holds the helpers' bytes, "
                   "which a terminal would interpret", target);
      return FALSE;
    }
  if (!tool_write_all (fd, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes), error)
      || !sync_fd (fd, target, error))
    {
      close (fd);
      return FALSE;
    }
  if (close (fd) != 0)
    return set_errno_error (error, errno, "cannot write", target);
  return TRUE;
}

gboolean
tool_output_commit (ToolOutput  *output,
                    GBytes      *bytes,
                    GError     **error)
{
  OutputKind kind;
  g_autofree char *target = NULL;

  switch (output->kind)
    {
    case OUTPUT_STDOUT:
      return tool_write_all (STDOUT_FILENO, g_bytes_get_data (bytes, NULL),
                             g_bytes_get_size (bytes), error)
             && sync_fd (STDOUT_FILENO, "standard output", error);

    case OUTPUT_REPLACE:
    case OUTPUT_THROUGH:
      /* Again: the path may have changed while the helpers saved. */
      if (!classify_output (output->path, &kind, &target, error))
        return FALSE;
      if (kind == OUTPUT_REPLACE)
        return replace_file (target, bytes, error);
      return write_through (target, bytes, error);
    }
  g_assert_not_reached ();
}

void
tool_output_free (ToolOutput *output)
{
  g_free (output->path);
  g_free (output->target);
  g_free (output->shown);
  g_free (output);
}
