/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool save: every helper's state, as one dbus-vmstate blob. */
#include "tool-common.h"

int
tool_command_save (int    argc,
                   char **argv)
{
  g_autofree char *id_list = NULL;
  g_autofree char *output_path = NULL;
  const GOptionEntry entries[] = {
    { "id-list", 0, 0, G_OPTION_ARG_STRING, &id_list,
      "Save only the helpers with these Ids, comma-separated; each must "
      "be on the bus", "a,b" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output_path,
      "Write the blob to FILE once every helper has saved: a regular file "
      "is replaced atomically (a new one is 0600), a FIFO or character "
      "device written to (default: standard output)", "FILE" },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(Vmstate1Vm) vm = NULL;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ToolOutput) output = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *described = NULL;
  g_autofree char *line = NULL;
  ToolWait *wait;
  guint n;
  int status = TOOL_EXIT_OK;

  if (!tool_parse_command ("save", "",
                           "Calls Save on every helper on the bus (or those "
                           "of --id-list), all at once, and writes their "
                           "states as one dbus-vmstate blob, as QEMU stores "
                           "it in its migration stream.",
                           entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return tool_usage_error ("unexpected argument '%s'", argv[1]);
  if (!tool_parse_id_list (id_list, &ids, &status))
    return status;
  /* Before any Save: a -o that cannot be written fails now. */
  output = tool_output_new (output_path, &status);
  if (output == NULL)
    return status;

  bus = tool_connect (&status);
  if (bus == NULL)
    return status;
  vm = vmstate1_vm_new (bus);
  vmstate1_vm_set_id_list (vm, (const char * const *) ids);
  vmstate1_vm_set_timeout_msec (vm, tool_get_timeout ());
  wait = tool_wait_new ();
  vmstate1_vm_save_async (vm, tool_wait_get_cancellable (wait),
                          tool_wait_done, wait);
  result = tool_wait_run (wait, tool_operation_limit (), "The bus", &error);
  if (result != NULL)
    states = vmstate1_vm_save_finish (vm, result, &error);
  if (states == NULL)
    return tool_failed ("save failed: %s", error->message);

  blob = vmstate1_states_encode (states);
  if (!tool_output_commit (output, blob, &error))
    return tool_failed ("cannot write the blob to %s: %s",
                        tool_output_get_shown (output), error->message);

  /* Only now, with the bytes written. */
  n = vmstate1_states_get_length (states);
  described = tool_describe_states (states);
  line = g_strdup_printf ("Saved %u %s%s%s into %s (%" G_GSIZE_FORMAT
                          " bytes)\n", n, n == 1 ? "helper" : "helpers",
                          *described != '\0' ? ": " : "", described,
                          tool_output_get_shown (output),
                          g_bytes_get_size (blob));
  {
    g_autofree char *shown = tool_escape_lines (line);

    tool_write_all (2, shown, strlen (shown), NULL);
  }
  return TOOL_EXIT_OK;
}
