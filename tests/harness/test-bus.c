/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <vmstate1.h>

#include "test-bus.h"

struct _TestBus
{
  GSubprocess *daemon;
  char *dir;
  char *config;
  char *address;
};

static const char config_template[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig>\n"
  "  <type>session</type>\n"
  "  <listen>unix:dir=%s</listen>\n"
  "  <auth>EXTERNAL</auth>\n"
  "  <policy context=\"default\">\n"
  "    <allow user=\"*\"/>\n"
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
  "    <allow eavesdrop=\"true\"/>\n"
  "    <deny own=\"*\"/>\n"
  "    <allow own=\"org.qemu.VMState1\"/>\n"
  "    %s\n"
  "  </policy>\n"
  "  <limit name=\"max_message_size\">4194304</limit>\n"
  "</busconfig>\n";

/* A daemon must not outlive a test that crashed or timed out. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocessLauncher *
test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  return launcher;
}

TestBus *
test_bus_new (const char  *extra_own_prefix,
              GError     **error)
{
  g_autofree char *rules = NULL;

  if (extra_own_prefix != NULL)
    rules = g_strdup_printf ("<allow own_prefix=\"%s\"/>", extra_own_prefix);
  return test_bus_new_with_rules (rules, error);
}

TestBus *
test_bus_new_with_rules (const char  *extra_rules,
                         GError     **error)
{
  g_autoptr(TestBus) bus = g_new0 (TestBus, 1);
  g_autofree char *contents = NULL;
  g_autofree char *config_arg = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  gsize len;

  bus->dir = g_dir_make_tmp ("vmstate1-bus-XXXXXX", error);
  if (bus->dir == NULL)
    return NULL;
  /* Callers of other uids (the access tests) must reach the socket; the
   * bus's own authentication still applies. */
  g_chmod (bus->dir, 0755);
  bus->config = g_build_filename (bus->dir, "bus.conf", NULL);
  contents = g_strdup_printf (config_template, bus->dir,
                              extra_rules ? extra_rules : "");
  if (!g_file_set_contents (bus->config, contents, -1, error))
    return NULL;

  config_arg = g_strdup_printf ("--config-file=%s", bus->config);
  /* Its stderr only says that it may not raise its fd limit. */
  launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  bus->daemon = g_subprocess_launcher_spawn (launcher, error, "dbus-daemon",
                                             config_arg, "--nofork",
                                             "--print-address=1", NULL);
  if (bus->daemon == NULL)
    return NULL;

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus->daemon));
  bus->address = g_data_input_stream_read_line (out, &len, NULL, error);
  if (bus->address == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "dbus-daemon printed no address");
      return NULL;
    }
  return g_steal_pointer (&bus);
}

const char *
test_bus_get_address (TestBus *bus)
{
  return bus->address;
}

GPid
test_bus_get_pid (TestBus *bus)
{
  const char *id = g_subprocess_get_identifier (bus->daemon);

  return id ? (GPid) atoi (id) : 0;
}

void
test_bus_kill (TestBus *bus)
{
  if (bus->daemon == NULL)
    return;
  g_subprocess_send_signal (bus->daemon, SIGKILL);
  g_subprocess_wait (bus->daemon, NULL, NULL);
}

void
test_bus_free (TestBus *bus)
{
  if (bus->daemon != NULL)
    {
      g_subprocess_force_exit (bus->daemon);
      g_subprocess_wait (bus->daemon, NULL, NULL);
      g_clear_object (&bus->daemon);
    }
  if (bus->dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (bus->dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (bus->dir, name, NULL);
          g_unlink (path);
        }
      g_rmdir (bus->dir);
    }
  g_free (bus->dir);
  g_free (bus->config);
  g_free (bus->address);
  g_free (bus);
}

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

GVariant *
test_call (GDBusConnection    *connection,
           const char         *destination,
           const char         *object_path,
           const char         *interface_name,
           const char         *method,
           GVariant           *parameters,
           const GVariantType *reply_type,
           int                 timeout_msec,
           GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_dbus_connection_call (connection, destination, object_path,
                          interface_name, method, parameters, reply_type,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_msec, NULL,
                          on_call_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_dbus_connection_call_finish (connection, result, error);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
test_wait_for (const gboolean *flag,
               guint           timeout_msec)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_msec, on_wait_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  return *flag;
}

void
test_bus_fixture_setup (TestBusFixture *fixture,
                        gconstpointer   data)
{
  g_autoptr(GError) error = NULL;

  fixture->bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->caller = vmstate1_connect (test_bus_get_address (fixture->bus),
                                      NULL, &error);
  g_assert_no_error (error);
}

void
test_bus_fixture_teardown (TestBusFixture *fixture,
                           gconstpointer   data)
{
  g_dbus_connection_close_sync (fixture->caller, NULL, NULL);
  g_clear_object (&fixture->caller);
  g_clear_pointer (&fixture->bus, test_bus_free);
}

void
test_bus_round_trip (GDBusConnection *connection)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "GetId", NULL, G_VARIANT_TYPE ("(s)"),
      G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

GBytes *
test_call_save (GDBusConnection  *caller,
                const char       *name,
                GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) array = NULL;

  reply = test_call (caller, name, VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE,
                     "Save", NULL, G_VARIANT_TYPE ("(ay)"), 10000, error);
  if (reply == NULL)
    return NULL;
  array = g_variant_get_child_value (reply, 0);
  return g_variant_get_data_as_bytes (array);
}

gboolean
test_call_load (GDBusConnection  *caller,
                const char       *name,
                GBytes           *data,
                GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data,
                                              TRUE);

  reply = test_call (caller, name, VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE,
                     "Load", g_variant_new_tuple (&array, 1),
                     G_VARIANT_TYPE_UNIT, 10000, error);
  return reply != NULL;
}

gboolean
test_require_root (void)
{
  if (getuid () == 0)
    return TRUE;
  /* CI runs as root: there this must run. */
  if (g_getenv ("CI") != NULL)
    g_error ("this test needs root (setpriv to nobody)");
  g_test_skip ("needs root to run a caller as nobody");
  return FALSE;
}

typedef struct
{
  gboolean done;
  char *out;
  char *err;
} Finished;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Finished *finished = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                        &finished->out, &finished->err, NULL);
  finished->done = TRUE;
}

gboolean
test_save_as_nobody (TestBus     *bus,
                     const char  *dest,
                     char       **out,
                     char       **err)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *bus_arg = g_strdup_printf ("--bus=%s",
                                              test_bus_get_address (bus));
  g_autofree char *dest_arg = g_strdup_printf ("--dest=%s", dest);
  Finished finished = { 0 };

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                  | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, "setpriv", "--reuid=65534",
                              "--regid=65534", "--clear-groups", "dbus-send",
                              bus_arg, "--print-reply", dest_arg,
                              VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE ".Save",
                              NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated,
                                       &finished);
  g_assert_true (test_wait_for (&finished.done, 10000));
  *out = finished.out;
  *err = finished.err;
  return g_subprocess_get_successful (process);
}

typedef struct
{
  gboolean done;
  char *line;
  GError *error;
} LineRead;

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish (
      G_DATA_INPUT_STREAM (source), result, NULL, &read->error);
  read->done = TRUE;
}

char *
test_read_line_iterating (GDataInputStream  *stream,
                          guint              timeout_msec,
                          GError           **error)
{
  LineRead read = { FALSE, NULL, NULL };

  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL,
                                       on_line, &read);
  /* The read still points at @read: no returning without its end. */
  if (!test_wait_for (&read.done, timeout_msec))
    g_error ("no line within %u ms", timeout_msec);
  if (read.error != NULL)
    g_propagate_error (error, read.error);
  return read.line;
}

gboolean
test_pid_ended (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  /* The state follows the command name, which may hold ')' itself. */
  state = strrchr (stat, ')');
  return state != NULL && state[1] == ' ' && state[2] == 'Z';
}
