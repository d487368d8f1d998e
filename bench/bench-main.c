/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmarks of libvmstate1, each against its baseline in the same
 * run. scripts/bench.sh builds and runs this; it is never a test.
 *
 *   bench-vmstate1 [--quick] [--broker] [--only=roundtrip,vm,...]
 *                  [--json=FILE]
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <vmstate1.h>

#include "bench.h"

/* The first line a tool prints about its version, or NULL. */
static char *
version_of (const char *command)
{
  g_autofree char *out = NULL;
  char *newline;

  if (!g_spawn_command_line_sync (command, &out, NULL, NULL, NULL)
      || out == NULL || *out == '\0')
    return NULL;
  newline = strchr (out, '\n');
  if (newline != NULL)
    *newline = '\0';
  return g_strdup (g_strstrip (out));
}

static char *
cpu_model (void)
{
  g_autofree char *cpuinfo = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    return NULL;
  lines = g_strsplit (cpuinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      return g_strdup (g_strstrip (strchr (lines[i], ':') + 1));
  return NULL;
}

static void
add_string (JsonBuilder *json,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (json, name);
  if (value != NULL)
    json_builder_add_string_value (json, value);
  else
    json_builder_add_null_value (json);
}

static void
describe_machine (BenchRun *run)
{
  struct utsname uts;
  g_autofree char *cpu = cpu_model ();
  g_autofree char *daemon = version_of ("dbus-daemon --version");
  g_autofree char *broker = version_of ("dbus-broker --version");
  g_autofree char *qemu = version_of ("qemu-system-x86_64 --version");
  g_autofree char *glib = g_strdup_printf ("%u.%u.%u", glib_major_version,
                                           glib_minor_version,
                                           glib_micro_version);
  g_autofree char *python = version_of ("/usr/bin/python3 --version");
  g_autofree char *library = g_strdup_printf ("%u.%u.%u",
                                              vmstate1_get_major_version (),
                                              vmstate1_get_minor_version (),
                                              vmstate1_get_micro_version ());

  uname (&uts);
  printf ("machine: %u cores, %s, Linux %s\n", g_get_num_processors (),
          cpu ? cpu : "?", uts.release);
  printf ("        %s; %s; %s\n        GLib %s, libvmstate1 %s, %s\n",
          daemon ? daemon : "no dbus-daemon",
          broker ? broker : "no dbus-broker", qemu ? qemu : "no QEMU",
          glib, library, python ? python : "no python");

  json_builder_set_member_name (run->json, "machine");
  json_builder_begin_object (run->json);
  json_builder_set_member_name (run->json, "nproc");
  json_builder_add_int_value (run->json, g_get_num_processors ());
  add_string (run->json, "cpu", cpu);
  add_string (run->json, "kernel", uts.release);
  add_string (run->json, "dbus_daemon", daemon);
  add_string (run->json, "dbus_broker", broker);
  add_string (run->json, "qemu", qemu);
  add_string (run->json, "glib", glib);
  add_string (run->json, "libvmstate1", library);
  add_string (run->json, "python", python);
  json_builder_end_object (run->json);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *json_path = NULL;
  g_autofree char *only = NULL;
  gboolean quick = FALSE;
  gboolean broker = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write the results here", "FILE" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Few rounds: to try, not to publish", NULL },
    { "broker", 0, 0, G_OPTION_ARG_NONE, &broker, "Also run dbus-broker (bench.sh sets it up)", NULL },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Sections: roundtrip (or roundtrip-daemon, -broker), vm, memory, downtime", "LIST" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) sections = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  BenchRun run = { NULL, };
  double started = bench_now_ms ();
  guint missed = 0;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("bench-vmstate1: %s\n", error->message);
      return 2;
    }
  sections = g_strsplit (only ? only : "roundtrip,vm,memory,downtime",
                         ",", -1);
  /* Line by line even into a pipe or a file. */
  setvbuf (stdout, NULL, _IOLBF, 0);

  if (broker && !bench_broker_setup (&error))
    {
      g_printerr ("bench-vmstate1: no dbus-broker: %s\n", error->message);
      g_clear_error (&error);
    }

  run.json = json_builder_new ();
  run.quick = quick;
  run.targets = g_ptr_array_new_with_free_func (g_free);
  run.sections = sections;
  json_builder_begin_object (run.json);
  describe_machine (&run);
  if (quick)
    printf ("QUICK RUN: few rounds, figures not for publishing\n");

  if (bench_wants (&run, "roundtrip"))
    bench_roundtrip (&run);
  if (bench_wants (&run, "vm"))
    bench_vm (&run);
  if (bench_wants (&run, "memory"))
    bench_memory (&run);
  if (bench_wants (&run, "downtime"))
    bench_downtime (&run);

  printf ("\n== Targets ==\n");
  json_builder_set_member_name (run.json, "targets");
  json_builder_begin_array (run.json);
  for (guint i = 0; i < run.targets->len; i++)
    {
      const char *line = g_ptr_array_index (run.targets, i);

      printf ("%s\n", line);
      json_builder_add_string_value (run.json, line);
      if (g_str_has_prefix (line, "MISSED"))
        missed++;
    }
  json_builder_end_array (run.json);
  printf ("%u of %u targets missed; %.0f s\n", missed, run.targets->len,
          (bench_now_ms () - started) / 1000);

  json_builder_set_member_name (run.json, "quick");
  json_builder_add_boolean_value (run.json, quick);
  json_builder_set_member_name (run.json, "seconds");
  json_builder_add_int_value (run.json, (bench_now_ms () - started) / 1000);
  json_builder_end_object (run.json);

  if (json_path != NULL)
    {
      generator = json_generator_new ();
      root = json_builder_get_root (run.json);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      if (!json_generator_to_file (generator, json_path, &error))
        {
          g_printerr ("bench-vmstate1: %s\n", error->message);
          return 1;
        }
    }
  g_object_unref (run.json);
  g_ptr_array_unref (run.targets);
  return 0;
}
