/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "test-bus.h"
#include "test-qemu.h"

#define QMP_TIMEOUT_MSEC 30000

struct _TestQemu
{
  GSubprocess *process;
  GOutputStream *qmp_in;
  GDataInputStream *qmp_out;
  GDataInputStream *err;
  GCancellable *cancellable;
  GQueue replies;        /* JsonNode of {"return"} or {"error"} */
  GString *stderr_text;
  gboolean reading_out;  /* the QMP stream is still open */
  gboolean reading_err;  /* stderr is still open */
  gboolean exited;
  int exit_status;
};

char *
test_qemu_find_binary (void)
{
  const char *env = g_getenv ("VMSTATE1_QEMU");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_find_program_in_path ("qemu-system-x86_64");
}

gboolean
test_qemu_require (void)
{
  g_autofree char *qemu = test_qemu_find_binary ();

  if (qemu != NULL)
    return TRUE;
  /* The test command installs QEMU; in CI a skip is a failure. */
  if (g_getenv ("CI") != NULL)
    g_error ("qemu-system-x86_64 not found (Debian: qemu-system-x86)");
  g_test_skip ("qemu-system-x86_64 not found (Debian: qemu-system-x86)");
  return FALSE;
}

gboolean
test_qemu_take_suite_arg (int   *argc,
                          char **argv)
{
  for (int i = 1; i < *argc; i++)
    if (g_str_equal (argv[i], "--suite=qemu"))
      {
        memmove (argv + i, argv + i + 1, (*argc - i) * sizeof *argv);
        (*argc)--;
        return TRUE;
      }
  return FALSE;
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void read_next_qmp_line (TestQemu *qemu);
static void read_next_err_line (TestQemu *qemu);

static void
on_qmp_line (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  TestQemu *qemu = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                    result, NULL, &error);
  if (line == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        qemu->reading_out = FALSE;
      return;
    }

  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, line, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      object = json_node_get_object (json_parser_get_root (parser));
      if (json_object_has_member (object, "return")
          || json_object_has_member (object, "error"))
        g_queue_push_tail (&qemu->replies,
                           json_node_copy (json_parser_get_root (parser)));
    }
  if (g_test_verbose ())
    g_printerr ("# qmp< %s\n", line);
  read_next_qmp_line (qemu);
}

static void
read_next_qmp_line (TestQemu *qemu)
{
  g_data_input_stream_read_line_async (qemu->qmp_out, G_PRIORITY_DEFAULT,
                                       qemu->cancellable, on_qmp_line, qemu);
}

static void
on_err_line (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  TestQemu *qemu = user_data;
  g_autofree char *line = NULL;

  g_autoptr(GError) error = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                    result, NULL, &error);
  if (line == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        qemu->reading_err = FALSE;
      return;
    }
  g_string_append_printf (qemu->stderr_text, "%s\n", line);
  if (g_test_verbose ())
    g_printerr ("# qemu stderr: %s\n", line);
  read_next_err_line (qemu);
}

static void
read_next_err_line (TestQemu *qemu)
{
  g_data_input_stream_read_line_async (qemu->err, G_PRIORITY_DEFAULT,
                                       qemu->cancellable, on_err_line, qemu);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  TestQemu *qemu = user_data;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL))
    return;  /* cancelled: qemu is being freed */
  qemu->exited = TRUE;
  qemu->exit_status = g_subprocess_get_if_exited (G_SUBPROCESS (source))
                          ? g_subprocess_get_exit_status (G_SUBPROCESS (source))
                          : 128 + g_subprocess_get_term_sig (G_SUBPROCESS (source));
}

/* Iterates until a reply is queued, QEMU exits, or the timeout. */
static JsonNode *
wait_reply (TestQemu  *qemu,
            GError   **error)
{
  gint64 deadline = g_get_monotonic_time () + QMP_TIMEOUT_MSEC * 1000;

  /* After an exit, still read what QEMU wrote before it. */
  while (g_queue_is_empty (&qemu->replies)
         && (!qemu->exited || qemu->reading_out)
         && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  if (!g_queue_is_empty (&qemu->replies))
    return g_queue_pop_head (&qemu->replies);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "QEMU %s; its stderr:\n%s",
               qemu->exited ? "exited" : "did not answer", qemu->stderr_text->str);
  return NULL;
}

static gboolean
on_poll_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

TestQemu *
test_qemu_new (const TestQemuOptions *options,
               GError               **error)
{
  g_autoptr(TestQemu) qemu = g_new0 (TestQemu, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *binary = test_qemu_find_binary ();
  g_autoptr(GString) object = g_string_new ("dbus-vmstate,id=dv,addr=");
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) local_error = NULL;

  qemu->stderr_text = g_string_new (NULL);
  qemu->cancellable = g_cancellable_new ();
  g_queue_init (&qemu->replies);
  if (binary == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "qemu-system-x86_64 not found (install Debian's "
                           "qemu-system-x86, or set VMSTATE1_QEMU)");
      return NULL;
    }

  /* QEMU's option syntax doubles a comma inside a value. */
  for (const char *p = options->bus_address; *p; p++)
    g_string_append (object, *p == ',' ? ",," : (char[]) { *p, 0 });
  if (options->id_list != NULL)
    {
      g_string_append (object, ",id-list=");
      for (const char *p = options->id_list; *p; p++)
        g_string_append (object, *p == ',' ? ",," : (char[]) { *p, 0 });
    }

  g_ptr_array_add (argv, g_strdup (binary));
  for (const char *const *a = (const char *const[]) {
           "-M", "none", "-nodefaults", "-display", "none", "-qmp", "stdio",
           "-object", NULL }; *a; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  g_ptr_array_add (argv, g_strdup (object->str));
  if (options->incoming != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("-incoming"));
      g_ptr_array_add (argv, g_strdup (options->incoming));
    }
  for (guint i = 0; options->extra_args && options->extra_args[i]; i++)
    g_ptr_array_add (argv, g_strdup (options->extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  for (guint i = 0; options->fds && options->fds[i] >= 0; i++)
    g_subprocess_launcher_take_fd (launcher, options->fds[i],
                                   TEST_QEMU_FD (i));
  qemu->process = g_subprocess_launcher_spawnv (
      launcher, (const char * const *) argv->pdata, error);
  if (qemu->process == NULL)
    return NULL;

  qemu->qmp_in = g_object_ref (g_subprocess_get_stdin_pipe (qemu->process));
  qemu->qmp_out = g_data_input_stream_new (
      g_subprocess_get_stdout_pipe (qemu->process));
  qemu->err = g_data_input_stream_new (
      g_subprocess_get_stderr_pipe (qemu->process));
  qemu->reading_out = TRUE;
  qemu->reading_err = TRUE;
  read_next_qmp_line (qemu);
  read_next_err_line (qemu);
  g_subprocess_wait_async (qemu->process, qemu->cancellable, on_exited, qemu);

  /* The greeting is not a reply: give QEMU the capabilities command and
   * take its reply. */
  reply = test_qemu_execute (qemu, "{\"execute\": \"qmp_capabilities\"}",
                             &local_error);
  /* A failing incoming migration can end QEMU before it answers: that is
   * the outcome test_qemu_wait_incoming() reports. */
  if (reply == NULL && !(qemu->exited && options->incoming != NULL))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&qemu);
}

JsonNode *
test_qemu_execute (TestQemu    *qemu,
                   const char  *command_json,
                   GError     **error)
{
  g_autofree char *line = g_strconcat (command_json, "\n", NULL);
  JsonNode *reply;
  JsonObject *object;

  if (g_test_verbose ())
    g_printerr ("# qmp> %s\n", command_json);
  if (!g_output_stream_write_all (qemu->qmp_in, line, strlen (line), NULL,
                                  NULL, error)
      || !g_output_stream_flush (qemu->qmp_in, NULL, error))
    return NULL;
  reply = wait_reply (qemu, error);
  if (reply == NULL)
    return NULL;
  object = json_node_get_object (reply);
  if (json_object_has_member (object, "error"))
    {
      JsonObject *qmp_error = json_object_get_object_member (object, "error");

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "QMP %s: %s",
                   command_json,
                   json_object_get_string_member_with_default (qmp_error,
                                                               "desc", "?"));
      json_node_unref (reply);
      return NULL;
    }
  return reply;
}

static char *
query_migrate_status (TestQemu  *qemu,
                      char     **error_desc,
                      GError   **error)
{
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *info;

  reply = test_qemu_execute (qemu, "{\"execute\": \"query-migrate\"}", error);
  if (reply == NULL)
    return NULL;
  info = json_object_get_object_member (json_node_get_object (reply), "return");
  if (error_desc != NULL && json_object_has_member (info, "error-desc"))
    *error_desc = g_strdup (json_object_get_string_member (info, "error-desc"));
  return g_strdup (json_object_get_string_member_with_default (info, "status",
                                                               "none"));
}

static void
sleep_iterating (guint msec)
{
  gboolean done = FALSE;

  test_wait_for (&done, msec);
}

char *
test_qemu_migrate (TestQemu    *qemu,
                   const char  *uri,
                   char       **error_desc,
                   GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) command = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *text = NULL;
  gint64 deadline = g_get_monotonic_time () + QMP_TIMEOUT_MSEC * 1000;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "execute");
  json_builder_add_string_value (builder, "migrate");
  json_builder_set_member_name (builder, "arguments");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "uri");
  json_builder_add_string_value (builder, uri);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  command = json_builder_get_root (builder);
  text = json_to_string (command, FALSE);
  reply = test_qemu_execute (qemu, text, error);
  if (reply == NULL)
    return NULL;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *status = query_migrate_status (qemu, error_desc, error);

      if (status == NULL)
        return NULL;
      if (!g_str_equal (status, "setup") && !g_str_equal (status, "active")
          && !g_str_equal (status, "device")
          && !g_str_equal (status, "pre-switchover"))
        return g_steal_pointer (&status);
      sleep_iterating (20);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "migration did not finish");
  return NULL;
}

gboolean
test_qemu_wait_incoming (TestQemu  *qemu,
                         GError   **error)
{
  gint64 deadline = g_get_monotonic_time () + QMP_TIMEOUT_MSEC * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *status = NULL;
      g_autoptr(GError) local_error = NULL;

      if (qemu->exited)
        break;
      status = query_migrate_status (qemu, NULL, &local_error);
      if (status == NULL)
        {
          /* QEMU may exit between our check and its reply. */
          if (qemu->exited)
            break;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (g_str_equal (status, "completed"))
        return TRUE;
      if (g_str_equal (status, "failed"))
        break;
      sleep_iterating (20);
    }

  test_qemu_wait_exit (qemu, 5000);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "incoming migration failed (exit status %d); QEMU's stderr:\n%s",
               qemu->exit_status, qemu->stderr_text->str);
  return FALSE;
}

int
test_qemu_wait_exit (TestQemu *qemu,
                     guint     timeout_msec)
{
  gint64 deadline = g_get_monotonic_time () + timeout_msec * (gint64) 1000;
  guint tick = g_timeout_add (20, on_poll_tick, NULL);

  /* Let stderr drain too: the message we look for comes just before the
   * exit. */
  while ((!qemu->exited || qemu->reading_out || qemu->reading_err)
         && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return qemu->exited ? qemu->exit_status : -1;
}

const char *
test_qemu_get_stderr (TestQemu *qemu)
{
  return qemu->stderr_text->str;
}

void
test_qemu_free (TestQemu *qemu)
{
  if (qemu->process != NULL && !qemu->exited)
    {
      g_subprocess_force_exit (qemu->process);
      g_subprocess_wait (qemu->process, NULL, NULL);
    }
  g_cancellable_cancel (qemu->cancellable);
  /* Let the cancelled reads finish before their streams go. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_queue_clear_full (&qemu->replies, (GDestroyNotify) json_node_unref);
  g_clear_object (&qemu->qmp_in);
  g_clear_object (&qemu->qmp_out);
  g_clear_object (&qemu->err);
  g_clear_object (&qemu->process);
  g_clear_object (&qemu->cancellable);
  if (qemu->stderr_text != NULL)
    g_string_free (qemu->stderr_text, TRUE);
  g_free (qemu);
}
