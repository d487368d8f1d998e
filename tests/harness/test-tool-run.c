/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "test-tool-run.h"

void
test_tool_fixture_setup (TestToolFixture *fixture,
                         gconstpointer    data)
{
  g_autoptr(GError) error = NULL;

  fixture->bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->other_bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->dir = g_dir_make_tmp ("vmstate1-tool-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->helpers = g_ptr_array_new_with_free_func (g_object_unref);
}

void
test_process_stop (GSubprocess *process)
{
  g_subprocess_send_signal (process, SIGCONT);
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

void
test_tool_fixture_teardown (TestToolFixture *fixture,
                            gconstpointer    data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  for (guint i = 0; i < fixture->helpers->len; i++)
    test_process_stop (g_ptr_array_index (fixture->helpers, i));
  g_ptr_array_unref (fixture->helpers);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_clear_pointer (&fixture->bus, test_bus_free);
  g_clear_pointer (&fixture->other_bus, test_bus_free);
}

char *
test_tool_start_counter (TestToolFixture   *fixture,
                         TestBus           *bus,
                         const char        *id,
                         gboolean           incoming,
                         GDataInputStream **out_stream,
                         GSubprocess      **out_process)
{
  const char *path = g_getenv ("VMSTATE1_COUNTER_HELPER");
  g_autofree char *address_arg = NULL;
  g_autofree char *id_arg = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  GSubprocess *process;
  const char *name;

  g_assert_nonnull (path);
  address_arg = g_strdup_printf ("--dbus-address=%s",
                                 test_bus_get_address (bus));
  id_arg = g_strdup_printf ("--dbus-id=%s", id);
  launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  process = g_subprocess_launcher_spawn (launcher, &error, path, address_arg,
                                         id_arg, "--interval=100000",
                                         incoming ? "--dbus-incoming" : NULL,
                                         NULL);
  g_assert_no_error (error);
  g_ptr_array_add (fixture->helpers, process);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  /* "ready: Id 'alpha' on :1.4[, waiting for the incoming state]" */
  g_assert_true (g_str_has_prefix (line, "ready:"));
  name = strstr (line, " on :");
  g_assert_nonnull (name);
  if (out_stream != NULL)
    *out_stream = g_steal_pointer (&out);
  if (out_process != NULL)
    *out_process = process;
  return g_strndup (name + 4, strcspn (name + 4, ","));
}

void
test_tool_run_clear (TestToolRun *run)
{
  g_clear_pointer (&run->out_bytes, g_bytes_unref);
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err_bytes, g_bytes_unref);
  g_clear_pointer (&run->err, g_free);
}

GSubprocess *
test_tool_spawnv (GSubprocessLauncher *launcher,
                  const char          *address,
                  const char * const  *args)
{
  const char *tool = g_getenv ("VMSTATE1_TOOL");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  if (address != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--address");
      g_ptr_array_add (argv, (gpointer) address);
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher,
                                          (const char * const *) argv->pdata,
                                          &error);
  g_assert_no_error (error);
  return process;
}

static char *
bytes_to_text (GBytes *bytes)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  return size > 0 ? g_strndup (data, size) : g_strdup ("");
}

typedef struct
{
  TestToolRun *run;
  gboolean done;
} Pending;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result,
                                   &pending->run->out_bytes,
                                   &pending->run->err_bytes, &error);
  g_assert_no_error (error);
  pending->done = TRUE;
}

gboolean
test_tool_finish (TestToolRun *run,
                  GSubprocess *process,
                  GBytes      *input,
                  gint64       started,
                  guint        timeout_msec)
{
  g_autoptr(GBytes) nothing = g_bytes_new (NULL, 0);
  Pending pending = { run, FALSE };
  GOutputStream *stdin_pipe = g_subprocess_get_stdin_pipe (process);

  g_subprocess_communicate_async (process,
                                  stdin_pipe != NULL ? (input ? input
                                                              : nothing)
                                                     : NULL,
                                  NULL, on_communicated, &pending);
  if (timeout_msec > 0 && !test_wait_for (&pending.done, timeout_msec))
    {
      /* The callback still needs @pending: end the process, then wait. */
      g_subprocess_force_exit (process);
      while (!pending.done)
        g_main_context_iteration (NULL, TRUE);
      return FALSE;
    }
  while (!pending.done)
    g_main_context_iteration (NULL, TRUE);
  run->elapsed_msec = (g_get_monotonic_time () - started) / 1000;
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  run->out = bytes_to_text (run->out_bytes);
  run->err = bytes_to_text (run->err_bytes);
  return TRUE;
}

void
test_assert_has (const char *text,
                 const char *words)
{
  if (strstr (text, words) == NULL)
    g_error ("'%s' does not say '%s'", text, words);
}

void
test_assert_lacks (const char *text,
                   const char *words)
{
  if (strstr (text, words) != NULL)
    g_error ("'%s' says '%s'", text, words);
}

JsonNode *
test_parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}
