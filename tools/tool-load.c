/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool load: hands each helper its state from a blob, a QEMU
 * migration stream or a libvirt save image. */
#include "tool-common.h"

int
tool_command_load (int    argc,
                   char **argv)
{
  g_autofree char *id_list = NULL;
  g_autofree char *input_path = NULL;
  const GOptionEntry entries[] = {
    { "id-list", 0, 0, G_OPTION_ARG_STRING, &id_list,
      "Load only the helpers with these Ids, comma-separated; each must "
      "be on the bus, and the blob may hold no other Id", "a,b" },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input_path,
      "Read the blob, a QEMU migration stream or a libvirt save image from "
      "FILE (default: standard input)", "FILE" },
    { NULL }
  };
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(Vmstate1Vm) vm = NULL;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *described = NULL;
  ToolWait *wait;
  guint n;
  int status = TOOL_EXIT_OK;

  if (!tool_parse_command ("load", "",
                           "Hands each helper on the bus (or each of "
                           "--id-list) its state from a dbus-vmstate blob, "
                           "calling every Load at once. Nothing is loaded if "
                           "the blob holds an Id that no selected helper "
                           "has.",
                           entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return tool_usage_error ("unexpected argument '%s'", argv[1]);
  if (!tool_parse_id_list (id_list, &ids, &status))
    return status;

  /* The input first: a bad file fails before the bus is touched. */
  input = tool_open_input (input_path, &shown, &status);
  if (input == NULL)
    return status;
  states = tool_read_states (input, shown, &origin, NULL, &status);
  if (states == NULL)
    return status;

  bus = tool_connect (&status);
  if (bus == NULL)
    return status;
  vm = vmstate1_vm_new (bus);
  vmstate1_vm_set_id_list (vm, (const char * const *) ids);
  vmstate1_vm_set_timeout_msec (vm, tool_get_timeout ());
  wait = tool_wait_new ();
  vmstate1_vm_load_async (vm, states, tool_wait_get_cancellable (wait),
                          tool_wait_done, wait);
  result = tool_wait_run (wait, tool_operation_limit (), "The bus", &error);
  if (result == NULL || !vmstate1_vm_load_finish (vm, result, &error))
    return tool_failed ("load failed: %s", error->message);

  n = vmstate1_states_get_length (states);
  described = tool_describe_states (states);
  out = g_string_new (NULL);
  g_string_append_printf (out, "Loaded %u %s from %s%s%s%s%s\n", n,
                          n == 1 ? "helper" : "helpers", shown,
                          origin != NULL ? " (the dbus-vmstate section of " : "",
                          origin != NULL ? origin : "",
                          origin != NULL ? ")" : "",
                          *described != '\0' ? ":" : "");
  if (*described != '\0')
    g_string_append_printf (out, "  %s\n", described);
  {
    g_autofree char *escaped = tool_escape_lines (out->str);

    g_string_assign (out, escaped);
  }
  return tool_print_out (out);
}
