/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool list: the helpers QEMU would find on the bus. */
#include <string.h>

#include "tool-common.h"

static void
pad (GString    *out,
     const char *text,
     guint       width)
{
  glong len = g_utf8_strlen (text, -1);

  g_string_append (out, text);
  for (glong i = len; i < (glong) width; i++)
    g_string_append_c (out, ' ');
}

int
tool_command_list (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print a JSON array of {\"id\", \"name\"} objects", NULL },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(Vmstate1Vm) vm = NULL;
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  ToolWait *wait;
  int status = TOOL_EXIT_OK;

  if (!tool_parse_command ("list", "",
                           "Lists the helpers QEMU would migrate, in the "
                           "order of the org.qemu.VMState1 queue: each Id "
                           "and the unique bus name of its helper.",
                           entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return tool_usage_error ("unexpected argument '%s'", argv[1]);
  bus = tool_connect (&status);
  if (bus == NULL)
    return status;

  vm = vmstate1_vm_new (bus);
  vmstate1_vm_set_timeout_msec (vm, tool_get_timeout ());
  wait = tool_wait_new ();
  vmstate1_vm_list_helpers_async (vm, tool_wait_get_cancellable (wait),
                                  tool_wait_done, wait);
  result = tool_wait_run (wait, tool_operation_limit (), "The bus", &error);
  if (result != NULL)
    helpers = vmstate1_vm_list_helpers_finish (vm, result, &error);
  if (helpers == NULL)
    return tool_failed ("list failed: %s", error->message);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < helpers->len; i++)
        {
          Vmstate1HelperInfo *info = g_ptr_array_index (helpers, i);
          g_autofree char *id = tool_make_valid (
              vmstate1_helper_info_get_id (info));
          g_autofree char *name = tool_make_valid (
              vmstate1_helper_info_get_unique_name (info));

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, id);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, name);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      return tool_print_json (root);
    }
  else
    {
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      guint width = 0;

      for (guint i = 0; i < helpers->len; i++)
        {
          Vmstate1HelperInfo *info = g_ptr_array_index (helpers, i);
          char *shown = tool_escape (vmstate1_helper_info_get_id (info));

          g_ptr_array_add (ids, shown);
          width = MAX (width, (guint) MIN (g_utf8_strlen (shown, -1), 40));
        }
      for (guint i = 0; i < helpers->len; i++)
        {
          Vmstate1HelperInfo *info = g_ptr_array_index (helpers, i);
          g_autofree char *name = tool_escape (
              vmstate1_helper_info_get_unique_name (info));

          pad (out, g_ptr_array_index (ids, i), width);
          g_string_append_printf (out, "  %s\n", name);
        }
      if (helpers->len == 0)
        {
          g_autofree char *line = g_strdup_printf (
              "%s: no helper is queued for %s on this bus\n", TOOL_PROGRAM,
              VMSTATE1_BUS_NAME);

          tool_write_all (2, line, strlen (line), NULL);
        }
    }
  return tool_print_out (out);
}
