/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool: QEMU's side of org.qemu.VMState1, from a shell.
 *
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] list [--json]
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] save [--id-list a,b] [-o FILE]
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] load [--id-list a,b] [-i FILE]
 *   vmstate1-tool dump [--json] FILE|-
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] check [--id-list a,b] [--save [--budget MSEC]] [--json]
 *   vmstate1-tool [--address ADDR] [--timeout MSEC] wait --id ID [--id ID]...
 *   vmstate1-tool [--address ADDR] monitor [--json]
 *
 * One file per command (tool-list.c, tool-save.c...), what they share in
 * tool-common.c. Exit status: 0 on success, 1 when the operation failed,
 * 2 on a usage error. Only the installed API is used. */
#include <locale.h>
#include <string.h>

#include "tool-common.h"

typedef struct
{
  const char *name;
  const char *synopsis;
  const char *summary;
  int (*run) (int argc, char **argv);
} ToolCommand;

static const ToolCommand commands[] = {
  { "list", "list [--json]",
    "List the helpers on the bus: Id, unique name", tool_command_list },
  { "save", "save [--id-list a,b] [-o FILE]",
    "Save the helpers' states into a blob (default: standard output)",
    tool_command_save },
  { "load", "load [--id-list a,b] [-i FILE]",
    "Load a blob into the helpers (default: standard input)",
    tool_command_load },
  { "dump", "dump [--json] FILE|-",
    "Show the Ids and sizes a blob holds", tool_command_dump },
  { "check", "check [--id-list a,b] [--save [--budget MSEC]] [--json]",
    "Report every problem QEMU would hit migrating the helpers",
    tool_command_check },
  { "wait", "wait --id ID [--id ID]...",
    "Wait until helpers with these Ids are on the bus", tool_command_wait },
  { "monitor", "monitor [--json]",
    "Show helpers joining and leaving, live", tool_command_monitor },
};

static char *
describe_commands (void)
{
  GString *out = g_string_new ("Commands:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      /* A long synopsis gets its summary on the next line. */
      if (strlen (commands[i].synopsis) > 32)
        g_string_append_printf (out, "  %s\n  %-32s %s\n",
                                commands[i].synopsis, "",
                                commands[i].summary);
      else
        g_string_append_printf (out, "  %-32s %s\n", commands[i].synopsis,
                                commands[i].summary);
    }
  g_string_append (out,
    "\n"
    "Run '" TOOL_PROGRAM " COMMAND --help' for the options of a command.\n"
    "\n"
    "The helpers are found and called as QEMU's dbus-vmstate object does it,\n"
    "but all at once, and any failure fails the whole command with a message\n"
    "that names the Id ('check' goes on and reports every problem). The blob\n"
    "is QEMU's dbus-vmstate format. 'load' and 'dump' also read a whole QEMU\n"
    "migration stream (such as 'migrate exec:cat > FILE' writes) or a libvirt\n"
    "save image, and use its dbus-vmstate section. Text from the helpers or a\n"
    "file is printed with control characters escaped (\\xNN).\n"
    "\n"
    "Exit status: 0 on success, 1 if the operation failed (or 'check' found\n"
    "a problem, or 'wait' timed out), 2 on a usage error.");
  return g_string_free (out, FALSE);
}

static char *
command_names (void)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (out, "%s%s",
                            i == 0 ? "" : i + 1 < G_N_ELEMENTS (commands)
                                              ? ", " : " or ",
                            commands[i].name);
  return g_string_free (out, FALSE);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = describe_commands ();
  g_autofree char *names = command_names ();
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname (TOOL_PROGRAM);

  context = g_option_context_new ("COMMAND [ARG...]");
  g_option_context_set_summary (context,
                                "Lists, saves and loads the org.qemu.VMState1 "
                                "helpers of a VM, as QEMU does in a "
                                "migration; checks what QEMU would hit, "
                                "waits for them and watches them.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, tool_bus_entries, NULL);
  /* Stop at the command: what follows is its own. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return tool_usage_error ("%s", error->message);
  if (argc < 2)
    return tool_usage_error ("no command given (%s)", names);

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        status = commands[i].run (argc - 1, argv + 1);
        g_clear_pointer (&tool_opt_address, g_free);
        return status;
      }

  return tool_usage_error ("unknown command '%s' (%s)", argv[1], names);
}
