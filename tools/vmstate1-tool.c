/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool: QEMU's side of org.qemu.VMState1, from a shell.
 *
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] list [--json]
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] save [--id-list a,b] [-o FILE]
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] load [--id-list a,b] [-i FILE]
 *   vmstate1-tool dump [--json] FILE
 *
 * Exit status: 0 on success, 1 when the operation failed, 2 on a usage
 * error. Only the installed API is used. */
#include <errno.h>
#include <locale.h>
#include <string.h>
#include <unistd.h>
#include <vmstate1.h>

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

#define PROGRAM "vmstate1-tool"

/* What is known here of QEMU's migration stream (migration/savevm.c). */
#define QEMU_VM_FILE_MAGIC 0x5145564d  /* "QEVM" */
#define QEMU_VM_FILE_VERSION 3
#define QEMU_VM_SECTION_FULL 0x04
#define QEMU_VM_SECTION_FOOTER 0x7e

/* Options every bus command takes, before or after the command name. */
static char *opt_address;
static int opt_timeout = -1;

static const GOptionEntry bus_entries[] = {
  { "address", 'a', 0, G_OPTION_ARG_STRING, &opt_address,
    "D-Bus address of the VM's bus (default: $DBUS_SESSION_BUS_ADDRESS)",
    "ADDR" },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
    "Milliseconds to wait for each helper's answer in save and load "
    "(default: 5000)",
    "MSEC" },
  { NULL }
};

static const char commands_description[] =
  "Commands:\n"
  "  list [--json]                   List the helpers on the bus, by Id\n"
  "  save [--id-list a,b] [-o FILE]  Save the helpers' states into a blob\n"
  "                                  (default: standard output)\n"
  "  load [--id-list a,b] [-i FILE]  Load a blob into the helpers\n"
  "                                  (default: standard input)\n"
  "  dump [--json] FILE              Show the Ids and sizes a blob holds\n"
  "\n"
  "Run '" PROGRAM " COMMAND --help' for the options of a command.\n"
  "\n"
  "The helpers are found and called as QEMU's dbus-vmstate object does it,\n"
  "but all at once, and any failure fails the whole command with a message\n"
  "that names the Id. The blob is QEMU's dbus-vmstate format. 'load' and\n"
  "'dump' also read an uncompressed QEMU migration stream (QEVM version 3,\n"
  "such as 'migrate exec:cat > FILE' writes) and use its dbus-vmstate\n"
  "section.\n"
  "\n"
  "Exit status: 0 on success, 1 if the operation failed, 2 on a usage "
  "error.";

static int usage_error (const char *format,
                        ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\nTry '%s --help'.\n", PROGRAM, message, g_get_prgname ());
  return EXIT_USAGE;
}

static int failed (const char *format,
                   ...) G_GNUC_PRINTF (1, 2);

static int
failed (const char *format,
        ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\n", PROGRAM, message);
  return EXIT_FAILED;
}

/* Parses a command's options; FALSE with *status set when the command
 * must stop there. */
static gboolean
parse_command (const char          *command,
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
  g_autofree char *prgname = g_strdup_printf ("%s %s", PROGRAM, command);

  /* So that --help reads "Usage: vmstate1-tool save [OPTION...]". */
  g_set_prgname (prgname);
  context = g_option_context_new (parameters);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (on_bus)
    g_option_context_add_main_entries (context, bus_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = usage_error ("%s", error->message);
      return FALSE;
    }
  if (opt_timeout <= 0 && opt_timeout != -1)
    {
      *status = usage_error ("--timeout must be a positive number of "
                             "milliseconds, not %d", opt_timeout);
      return FALSE;
    }
  return TRUE;
}

static GDBusConnection *
connect_bus (int *status)
{
  g_autoptr(GError) error = NULL;
  const char *address = opt_address;
  GDBusConnection *bus;

  if (address == NULL || *address == '\0')
    address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  if (address == NULL || *address == '\0')
    {
      *status = usage_error ("no bus address: give --address ADDR (the VM's "
                             "bus) or set DBUS_SESSION_BUS_ADDRESS");
      return NULL;
    }
  bus = vmstate1_connect (address, NULL, &error);
  if (bus == NULL)
    *status = failed ("%s", error->message);
  return bus;
}

/* The Ids of --id-list a,b, checked; *ids stays NULL without the
 * option. An empty string selects no helper, as in QEMU. */
static gboolean
parse_id_list (const char  *option,
               GStrv       *ids,
               int         *status)
{
  g_auto(GStrv) list = NULL;

  if (option == NULL)
    return TRUE;

  list = g_strsplit (option, ",", -1);
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!vmstate1_id_validate (list[i], &error))
        {
          *status = usage_error ("--id-list '%s': %s", option, error->message);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (g_str_equal (list[i], list[j]))
          {
            *status = usage_error ("--id-list '%s' names Id '%s' twice",
                                   option, list[i]);
            return FALSE;
          }
    }
  *ids = g_steal_pointer (&list);
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static const char **
sorted_keys (GHashTable *table,
             guint      *n_keys)
{
  const char **keys = (const char **) g_hash_table_get_keys_as_array (table,
                                                                     n_keys);

  qsort (keys, *n_keys, sizeof *keys, compare_strings);
  return keys;
}

/* A JSON string, quotes included. */
static void
append_json_string (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = *p;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

/* An Id for a terminal: control characters and backslashes escaped,
 * UTF-8 kept. */
static char *
id_for_display (const char *id)
{
  GString *out = g_string_new (NULL);

  for (const char *p = id; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c == '\\')
        g_string_append (out, "\\\\");
      else
        g_string_append_c (out, c);
    }
  return g_string_free (out, FALSE);
}

static gboolean
write_all (int            fd,
           const guint8  *data,
           gsize          size,
           GError       **error)
{
  while (size > 0)
    {
      gssize written = write (fd, data, size);

      if (written < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s", g_strerror (saved));
          return FALSE;
        }
      data += written;
      size -= written;
    }
  return TRUE;
}

/* Standard output as is: g_print() would convert to the locale's
 * charset, which breaks UTF-8 JSON under LC_ALL=C. */
static int
print_out (GString *text)
{
  g_autoptr(GError) error = NULL;

  if (!write_all (STDOUT_FILENO, (const guint8 *) text->str, text->len,
                  &error))
    return failed ("cannot write to standard output: %s", error->message);
  return EXIT_OK;
}

static GBytes *
read_all (int      fd,
          GError **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  guint8 chunk[65536];

  for (;;)
    {
      gssize got = read (fd, chunk, sizeof chunk);

      if (got < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s", g_strerror (saved));
          return NULL;
        }
      if (got == 0)
        break;
      g_byte_array_append (buffer, chunk, got);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
}

/* A file, or standard input for NULL or "-"; mapped, since a migration
 * stream carries the guest's RAM. */
static GBytes *
read_input (const char  *path,
            GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;

  if (path == NULL || g_str_equal (path, "-"))
    return read_all (STDIN_FILENO, error);
  mapped = g_mapped_file_new (path, FALSE, error);
  if (mapped == NULL)
    return NULL;
  return g_mapped_file_get_bytes (mapped);
}

static guint32
get_u32 (const guint8 *p)
{
  guint32 be;

  memcpy (&be, p, sizeof be);
  return GUINT32_FROM_BE (be);
}

/* The dbus-vmstate section of a QEMU migration stream. The stream's
 * other sections (RAM, devices) cannot be skipped without knowing every
 * device's layout, so the section is found by its name, preceded by the
 * type QEMU_VM_SECTION_FULL and a section id, followed by the instance
 * and version ids and the size-prefixed blob; a candidate counts only if
 * its blob decodes. QEMU names the section "dbus-vmstate/dbus-vmstate"
 * (its object's Id, then the vmstate name). */
static GBytes *
find_dbus_vmstate_section (GBytes  *stream,
                           gsize   *section_offset,
                           GError **error)
{
  static const char *const names[] = {
    "dbus-vmstate/dbus-vmstate",
    "dbus-vmstate",
  };
  gsize size;
  const guint8 *data = g_bytes_get_data (stream, &size);
  guint32 version;

  version = get_u32 (data + 4);
  if (version != QEMU_VM_FILE_VERSION)
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                   "QEMU migration stream of version %u: only version %d "
                   "is supported", version, QEMU_VM_FILE_VERSION);
      return NULL;
    }

  for (gsize n = 0; n < G_N_ELEMENTS (names); n++)
    {
      gsize name_len = strlen (names[n]);
      g_autofree guint8 *pattern = g_malloc (name_len + 1);
      gsize from = 8;

      pattern[0] = (guint8) name_len;
      memcpy (pattern + 1, names[n], name_len);

      while (from < size)
        {
          const guint8 *hit = memmem (data + from, size - from, pattern,
                                      name_len + 1);
          gsize at, fields, blob_size;
          g_autoptr(GBytes) blob = NULL;
          g_autoptr(GHashTable) states = NULL;

          if (hit == NULL)
            break;
          at = hit - data;
          from = at + 1;

          /* type (1) and section id (4) before the name. */
          if (at < 8 + 5 || data[at - 5] != QEMU_VM_SECTION_FULL)
            continue;
          /* instance id, version id, blob size. */
          fields = at + 1 + name_len;
          if (size - fields < 12)
            continue;
          blob_size = get_u32 (data + fields + 8);
          if (blob_size > size - fields - 12)
            continue;
          blob = g_bytes_new_from_bytes (stream, fields + 12, blob_size);
          states = vmstate1_stream_decode (blob, NULL);
          if (states == NULL)
            continue;

          *section_offset = at - 5;
          return g_steal_pointer (&blob);
        }
    }

  g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
               "this QEMU migration stream has no dbus-vmstate section that "
               "decodes (was the VM started with -object dbus-vmstate? a "
               "compressed stream is not supported)");
  return NULL;
}

/* A blob, or the blob inside a QEMU migration stream. */
static GBytes *
extract_blob (GBytes   *input,
              char    **origin,
              GError  **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (input, &size);
  gsize offset;
  GBytes *blob;

  if (size < 8 || get_u32 (data) != QEMU_VM_FILE_MAGIC)
    {
      *origin = NULL;
      return g_bytes_ref (input);
    }
  blob = find_dbus_vmstate_section (input, &offset, error);
  if (blob != NULL)
    *origin = g_strdup_printf ("the dbus-vmstate section at offset %"
                               G_GSIZE_FORMAT " of a QEMU migration stream",
                               offset);
  return blob;
}

/* list */

static int
command_list (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print a JSON array of {\"id\", \"name\"} objects", NULL },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GHashTable) helpers = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree const char **ids = NULL;
  guint n_ids;
  int width = 0;
  int status = EXIT_OK;

  if (!parse_command ("list", "",
                      "Lists the helpers QEMU would migrate: each Id and the "
                      "unique bus name of its helper, sorted by Id.",
                      entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return usage_error ("unexpected argument '%s'", argv[1]);
  bus = connect_bus (&status);
  if (bus == NULL)
    return status;

  helpers = vmstate1_list_helpers (bus, NULL, &error);
  if (helpers == NULL)
    return failed ("list failed: %s", error->message);

  ids = sorted_keys (helpers, &n_ids);
  if (json)
    {
      g_string_append (out, n_ids > 0 ? "[\n" : "[");
      for (guint i = 0; i < n_ids; i++)
        {
          g_string_append (out, "  {\"id\": ");
          append_json_string (out, ids[i]);
          g_string_append (out, ", \"name\": ");
          append_json_string (out, g_hash_table_lookup (helpers, ids[i]));
          g_string_append (out, i + 1 < n_ids ? "},\n" : "}\n");
        }
      g_string_append (out, "]\n");
    }
  else
    {
      g_autoptr(GPtrArray) shown_ids = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < n_ids; i++)
        {
          char *shown = id_for_display (ids[i]);

          g_ptr_array_add (shown_ids, shown);
          width = MAX (width, (int) MIN (strlen (shown), 40));
        }
      for (guint i = 0; i < n_ids; i++)
        {
          const char *shown = g_ptr_array_index (shown_ids, i);

          g_string_append_printf (out, "%-*s  %s\n", width, shown,
                                  (const char *) g_hash_table_lookup (helpers,
                                                                      ids[i]));
        }
      if (n_ids == 0)
        g_printerr ("%s: no helper is queued for %s on this bus\n", PROGRAM,
                    VMSTATE1_BUS_NAME);
    }
  return print_out (out);
}

/* "'a' (9 bytes), 'b' (3 bytes)" */
static char *
describe_states (GHashTable *states)
{
  g_autofree const char **ids = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  guint n_ids;

  ids = sorted_keys (states, &n_ids);
  for (guint i = 0; i < n_ids; i++)
    {
      g_autofree char *shown = id_for_display (ids[i]);

      g_string_append_printf (out, "%s'%s' (%" G_GSIZE_FORMAT " bytes)",
                              i > 0 ? ", " : "", shown,
                              g_bytes_get_size (g_hash_table_lookup (states,
                                                                     ids[i])));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* save */

static int
command_save (int    argc,
              char **argv)
{
  g_autofree char *id_list = NULL;
  g_autofree char *output = NULL;
  const GOptionEntry entries[] = {
    { "id-list", 0, 0, G_OPTION_ARG_STRING, &id_list,
      "Save only the helpers with these Ids, comma-separated; each must "
      "be on the bus", "a,b" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Write the blob to FILE, replaced only once every helper has saved "
      "(mode 0600; default: standard output)", "FILE" },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *described = NULL;
  gboolean to_stdout;
  int status = EXIT_OK;

  if (!parse_command ("save", "",
                      "Calls Save on every helper on the bus (or those of "
                      "--id-list), all at once, and writes their states as "
                      "one dbus-vmstate blob, as QEMU stores it in its "
                      "migration stream.",
                      entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return usage_error ("unexpected argument '%s'", argv[1]);
  if (!parse_id_list (id_list, &ids, &status))
    return status;
  to_stdout = output == NULL || g_str_equal (output, "-");
  if (to_stdout && isatty (STDOUT_FILENO))
    return usage_error ("will not write a binary blob to a terminal: give "
                        "-o FILE or redirect the output");

  bus = connect_bus (&status);
  if (bus == NULL)
    return status;
  blob = vmstate1_save_all_full (bus, (const char * const *) ids,
                                 opt_timeout, NULL, &error);
  if (blob == NULL)
    return failed ("save failed: %s", error->message);

  if (to_stdout)
    {
      if (!write_all (STDOUT_FILENO, g_bytes_get_data (blob, NULL),
                      g_bytes_get_size (blob), &error))
        return failed ("cannot write the blob to standard output: %s",
                       error->message);
    }
  else if (!g_file_set_contents_full (output, g_bytes_get_data (blob, NULL),
                                      g_bytes_get_size (blob),
                                      G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                      &error))
    return failed ("cannot write the blob: %s", error->message);

  states = vmstate1_stream_decode (blob, &error);
  g_assert_no_error (error);
  described = describe_states (states);
  g_printerr ("Saved %u %s%s%s into %s (%" G_GSIZE_FORMAT " bytes)\n",
              g_hash_table_size (states),
              g_hash_table_size (states) == 1 ? "helper" : "helpers",
              *described != '\0' ? ": " : "", described,
              to_stdout ? "standard output" : output,
              g_bytes_get_size (blob));
  return EXIT_OK;
}

/* load */

static int
command_load (int    argc,
              char **argv)
{
  g_autofree char *id_list = NULL;
  g_autofree char *input_path = NULL;
  const GOptionEntry entries[] = {
    { "id-list", 0, 0, G_OPTION_ARG_STRING, &id_list,
      "Load only the helpers with these Ids, comma-separated; each must "
      "be on the bus, and the blob may hold no other Id", "a,b" },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input_path,
      "Read the blob, or a QEMU migration stream, from FILE (default: "
      "standard input)", "FILE" },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *described = NULL;
  g_autoptr(GString) out = NULL;
  gboolean from_stdin;
  const char *shown_path;
  int status = EXIT_OK;

  if (!parse_command ("load", "",
                      "Hands each helper on the bus (or each of --id-list) "
                      "its state from a dbus-vmstate blob, calling every "
                      "Load at once. Nothing is loaded if the blob holds an "
                      "Id that no selected helper has.",
                      entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return usage_error ("unexpected argument '%s'", argv[1]);
  if (!parse_id_list (id_list, &ids, &status))
    return status;
  from_stdin = input_path == NULL || g_str_equal (input_path, "-");
  shown_path = from_stdin ? "standard input" : input_path;
  if (from_stdin && isatty (STDIN_FILENO))
    return usage_error ("will not read a binary blob from a terminal: give "
                        "-i FILE or redirect the input");

  input = read_input (input_path, &error);
  if (input == NULL)
    return failed ("cannot read %s: %s", shown_path, error->message);
  blob = extract_blob (input, &origin, &error);
  if (blob == NULL)
    return failed ("%s: %s", shown_path, error->message);

  bus = connect_bus (&status);
  if (bus == NULL)
    return status;
  if (!vmstate1_load_all_full (bus, blob, (const char * const *) ids,
                               opt_timeout, NULL, &error))
    return failed ("load failed: %s", error->message);

  states = vmstate1_stream_decode (blob, &error);
  g_assert_no_error (error);
  described = describe_states (states);
  out = g_string_new (NULL);
  g_string_append_printf (out, "Loaded %u %s from %s%s%s%s%s\n",
                          g_hash_table_size (states),
                          g_hash_table_size (states) == 1 ? "helper"
                                                          : "helpers",
                          shown_path, origin != NULL ? " (" : "",
                          origin != NULL ? origin : "",
                          origin != NULL ? ")" : "",
                          *described != '\0' ? ":" : "");
  if (*described != '\0')
    g_string_append_printf (out, "  %s\n", described);
  return print_out (out);
}

/* dump */

static int
command_dump (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print a JSON array of {\"id\", \"size\"} objects", NULL },
    { NULL }
  };
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree const char **ids = NULL;
  g_autofree char *origin = NULL;
  const char *path;
  guint n_ids;
  gsize used = 4;
  int status = EXIT_OK;

  if (!parse_command ("dump", "FILE",
                      "Shows the Ids a dbus-vmstate blob holds, with the "
                      "size and first bytes of each state. FILE may also be "
                      "an uncompressed QEMU migration stream (QEVM version "
                      "3): its dbus-vmstate section is found by name and "
                      "checked by decoding it. '-' reads standard input.",
                      entries, FALSE, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return usage_error ("dump needs a FILE");
  if (argc > 2)
    return usage_error ("unexpected argument '%s'", argv[2]);
  path = argv[1];
  if (g_str_equal (path, "-") && isatty (STDIN_FILENO))
    return usage_error ("will not read a binary blob from a terminal: "
                        "redirect the input");

  input = read_input (path, &error);
  if (input == NULL)
    return failed ("cannot read %s: %s", path, error->message);
  blob = extract_blob (input, &origin, &error);
  if (blob == NULL)
    return failed ("%s: %s", path, error->message);
  states = vmstate1_stream_decode (blob, &error);
  if (states == NULL)
    return failed ("%s: %s", path, error->message);

  ids = sorted_keys (states, &n_ids);
  if (json)
    {
      g_string_append (out, n_ids > 0 ? "[\n" : "[");
      for (guint i = 0; i < n_ids; i++)
        {
          g_string_append (out, "  {\"id\": ");
          append_json_string (out, ids[i]);
          GBytes *state = g_hash_table_lookup (states, ids[i]);

          g_string_append_printf (out, ", \"size\": %" G_GSIZE_FORMAT "%s\n",
                                  g_bytes_get_size (state),
                                  i + 1 < n_ids ? "}," : "}");
        }
      g_string_append (out, "]\n");
      return print_out (out);
    }

  for (guint i = 0; i < n_ids; i++)
    used += 8 + strlen (ids[i])
            + g_bytes_get_size (g_hash_table_lookup (states, ids[i]));
  g_string_append_printf (out, "%s: dbus-vmstate blob of %" G_GSIZE_FORMAT
                          " bytes, %u %s", path, g_bytes_get_size (blob),
                          n_ids, n_ids == 1 ? "entry" : "entries");
  if (g_bytes_get_size (blob) > used)
    g_string_append_printf (out, " (%" G_GSIZE_FORMAT " bytes of padding "
                            "after them, as QEMU writes)",
                            g_bytes_get_size (blob) - used);
  g_string_append_c (out, '\n');
  if (origin != NULL)
    g_string_append_printf (out, "  from %s\n", origin);

  for (guint i = 0; i < n_ids; i++)
    {
      GBytes *state = g_hash_table_lookup (states, ids[i]);
      gsize size;
      const guint8 *data = g_bytes_get_data (state, &size);
      g_autofree char *shown = id_for_display (ids[i]);

      g_string_append_printf (out, "Id '%s': %" G_GSIZE_FORMAT " bytes%s",
                              shown, size, size > 0 ? ":" : "");
      for (gsize j = 0; j < MIN (size, 16); j++)
        g_string_append_printf (out, " %02x", data[j]);
      g_string_append (out, size > 16 ? " ...\n" : "\n");
    }
  return print_out (out);
}

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
} commands[] = {
  { "list", command_list },
  { "save", command_save },
  { "load", command_load },
  { "dump", command_dump },
};

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname (PROGRAM);

  context = g_option_context_new ("COMMAND [ARG...]");
  g_option_context_set_summary (context,
                                "Lists, saves and loads the org.qemu.VMState1 "
                                "helpers of a VM, as QEMU does in a "
                                "migration.");
  g_option_context_set_description (context, commands_description);
  g_option_context_add_main_entries (context, bus_entries, NULL);
  /* Stop at the command: what follows is its own. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error ("%s", error->message);
  if (argc < 2)
    return usage_error ("no command given (list, save, load or dump)");

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        status = commands[i].run (argc - 1, argv + 1);
        g_clear_pointer (&opt_address, g_free);
        return status;
      }

  return usage_error ("unknown command '%s' (list, save, load or dump)",
                      argv[1]);
}
