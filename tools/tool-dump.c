/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool dump: what a blob, a QEMU migration stream or a libvirt
 * save image holds for the helpers. No bus. */
#include "tool-common.h"

int
tool_command_dump (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print a JSON array of {\"id\", \"size\"} objects", NULL },
    { NULL }
  };
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) ids = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *origin = NULL;
  gsize blob_size = 0;
  guint n;
  int status = TOOL_EXIT_OK;

  if (!tool_parse_command ("dump", "FILE",
                           "Shows the Ids a dbus-vmstate blob holds, with the "
                           "size and first bytes of each state. FILE may also "
                           "be a QEMU migration stream or a libvirt save "
                           "image: its dbus-vmstate section is found by the "
                           "stream's structure. '-' reads standard input.",
                           entries, FALSE, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return tool_usage_error ("dump needs a FILE (or '-' for standard input)");
  if (argc > 2)
    return tool_usage_error ("unexpected argument '%s'", argv[2]);

  input = tool_open_input (argv[1], &shown, &status);
  if (input == NULL)
    return status;
  states = tool_read_states (input, shown, &origin, &blob_size, &status);
  if (states == NULL)
    return status;

  ids = vmstate1_states_dup_ids (states);
  n = vmstate1_states_get_length (states);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_autofree char *id = tool_make_valid (ids[i]);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, id);
          json_builder_set_member_name (builder, "size");
          json_builder_add_int_value (builder,
              (gint64) g_bytes_get_size (vmstate1_states_lookup (states,
                                                                 ids[i])));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      return tool_print_json (root);
    }

  if (origin != NULL)
    g_string_append_printf (out, "%s: %s, whose dbus-vmstate section holds "
                            "%u %s\n", shown, origin, n,
                            n == 1 ? "entry" : "entries");
  else
    {
      g_autoptr(GBytes) encoded = vmstate1_states_encode (states);
      gsize used = g_bytes_get_size (encoded);

      g_string_append_printf (out, "%s: dbus-vmstate blob of %" G_GSIZE_FORMAT
                              " bytes, %u %s", shown, blob_size, n,
                              n == 1 ? "entry" : "entries");
      if (blob_size > used)
        g_string_append_printf (out, " (%" G_GSIZE_FORMAT " bytes of zero "
                                "padding after them, as QEMU writes)",
                                blob_size - used);
      g_string_append_c (out, '\n');
    }

  for (guint i = 0; ids[i] != NULL; i++)
    {
      GBytes *state = vmstate1_states_lookup (states, ids[i]);
      gsize size;
      const guint8 *data = g_bytes_get_data (state, &size);
      g_autofree char *id = tool_escape (ids[i]);

      g_string_append_printf (out, "Id '%s': %" G_GSIZE_FORMAT " bytes%s",
                              id, size, size > 0 ? ":" : "");
      for (gsize j = 0; j < MIN (size, 16); j++)
        g_string_append_printf (out, " %02x", data[j]);
      g_string_append (out, size > 16 ? " ...\n" : "\n");
    }
  {
    /* The path given too may hold anything. */
    g_autofree char *escaped = tool_escape_lines (out->str);

    g_string_assign (out, escaped);
  }
  return tool_print_out (out);
}
