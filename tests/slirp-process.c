/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "slirp-process.h"

#define START_TIMEOUT_MSEC 10000
#define CALL_TIMEOUT_MSEC 10000
/* The fd number the helper gets its socket as. */
#define HELPER_FD 3

const char *
test_slirp_helper_path (void)
{
  const char *path = g_getenv ("VMSTATE1_SLIRP_HELPER");

  if (path == NULL || *path == '\0')
    g_error ("VMSTATE1_SLIRP_HELPER is not set: run the tests with meson");
  return path;
}

char *
test_slirp_find_rust_helper (void)
{
  const char *env = g_getenv ("VMSTATE1_RUST_SLIRP_HELPER");
  char *path;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  path = g_find_program_in_path ("libslirp-helper");
  if (path == NULL && g_file_test ("/usr/libexec/slirp-helper",
                                   G_FILE_TEST_IS_EXECUTABLE))
    path = g_strdup ("/usr/libexec/slirp-helper");
  return path;
}

/* A helper must not outlive a test that crashed or timed out. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Waits until a helper holds a place in org.qemu.VMState1's queue. */
static gboolean
wait_for_queue (GDBusConnection  *bus,
                GError          **error)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MSEC * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GVariant) reply = NULL;
      gboolean has_owner = FALSE;

      reply = g_dbus_connection_call_sync (
          bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
          "org.freedesktop.DBus", "NameHasOwner",
          g_variant_new ("(s)", VMSTATE1_BUS_NAME), G_VARIANT_TYPE ("(b)"),
          G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, error);
      if (reply == NULL)
        return FALSE;
      g_variant_get (reply, "(b)", &has_owner);
      if (has_owner)
        return TRUE;
      g_usleep (20 * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "no helper joined %s's queue", VMSTATE1_BUS_NAME);
  return FALSE;
}

TestSlirp *
test_slirp_start (const char          *binary,
                  const char          *bus_address,
                  const char          *id,
                  const char * const  *args,
                  GError             **error)
{
  g_autoptr(TestSlirp) slirp = g_new0 (TestSlirp, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  gboolean ours = binary == NULL;
  int fds[2];

  slirp->peer_fd = -1;
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "socketpair: %s",
                   g_strerror (errno));
      return NULL;
    }
  slirp->peer_fd = fds[0];

  g_ptr_array_add (argv, g_strdup (ours ? test_slirp_helper_path () : binary));
  g_ptr_array_add (argv, g_strdup_printf ("--fd=%d", HELPER_FD));
  if (bus_address != NULL)
    {
      g_ptr_array_add (argv, g_strdup_printf ("--dbus-address=%s",
                                              bus_address));
      g_ptr_array_add (argv, g_strdup_printf ("--dbus-id=%s", id));
    }
  if (ours)
    g_ptr_array_add (argv, g_strdup ("--exit-with-parent"));
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  /* Ours says "ready:" on stdout; the Rust helper's stdout is not TAP. */
  launcher = g_subprocess_launcher_new (ours
                                        ? G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        : G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  g_subprocess_launcher_take_fd (launcher, fds[1], HELPER_FD);
  slirp->process = g_subprocess_launcher_spawnv (
      launcher, (const char * const *) argv->pdata, error);
  if (slirp->process == NULL)
    return NULL;

  if (ours)
    {
      g_autofree char *line = NULL;

      slirp->out = g_data_input_stream_new (
          g_subprocess_get_stdout_pipe (slirp->process));
      /* With G_MESSAGES_DEBUG, debug lines come first. */
      do
        {
          g_free (line);
          line = g_data_input_stream_read_line_utf8 (slirp->out, NULL, NULL,
                                                     error);
        }
      while (line != NULL && !g_str_has_prefix (line, "ready:"));
      if (line == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 "the slirp helper exited before it was "
                                 "ready");
          return NULL;
        }
      if (g_test_verbose ())
        g_printerr ("# %s\n", line);
    }

  if (bus_address != NULL)
    {
      slirp->bus = vmstate1_connect (bus_address, NULL, error);
      if (slirp->bus == NULL || !wait_for_queue (slirp->bus, error))
        return NULL;
    }
  return g_steal_pointer (&slirp);
}

int
test_slirp_steal_peer_fd (TestSlirp *slirp)
{
  int fd = slirp->peer_fd;

  slirp->peer_fd = -1;
  return fd;
}

GBytes *
test_slirp_save (TestSlirp  *slirp,
                 GError    **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) array = NULL;

  reply = g_dbus_connection_call_sync (
      slirp->bus, VMSTATE1_BUS_NAME, VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE,
      "Save", NULL, G_VARIANT_TYPE ("(ay)"), G_DBUS_CALL_FLAGS_NONE,
      CALL_TIMEOUT_MSEC, NULL, error);
  if (reply == NULL)
    return NULL;
  array = g_variant_get_child_value (reply, 0);
  return g_variant_get_data_as_bytes (array);
}

gboolean
test_slirp_load (TestSlirp  *slirp,
                 GBytes     *state,
                 GError    **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *array;

  array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, state, TRUE);
  reply = g_dbus_connection_call_sync (
      slirp->bus, VMSTATE1_BUS_NAME, VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE,
      "Load", g_variant_new_tuple (&array, 1), G_VARIANT_TYPE_UNIT,
      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, error);
  return reply != NULL;
}

gboolean
test_slirp_is_running (TestSlirp *slirp)
{
  /* Reaps it if it exited: GLib's worker notices within the call. */
  return g_subprocess_get_identifier (slirp->process) != NULL;
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

int
test_slirp_wait_exit (TestSlirp *slirp,
                      guint      timeout_msec)
{
  gboolean exited = FALSE;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  g_subprocess_wait_async (slirp->process, cancellable, on_exited, &exited);
  if (!test_wait_for (&exited, timeout_msec))
    {
      g_cancellable_cancel (cancellable);
      while (!exited)
        g_main_context_iteration (NULL, TRUE);
      return -1;
    }
  if (g_subprocess_get_if_exited (slirp->process))
    return g_subprocess_get_exit_status (slirp->process);
  return 128 + g_subprocess_get_term_sig (slirp->process);
}

int
test_slirp_terminate (TestSlirp *slirp)
{
  g_subprocess_send_signal (slirp->process, SIGTERM);
  return test_slirp_wait_exit (slirp, START_TIMEOUT_MSEC);
}

void
test_slirp_free (TestSlirp *slirp)
{
  if (slirp->process != NULL)
    {
      g_subprocess_force_exit (slirp->process);
      g_subprocess_wait (slirp->process, NULL, NULL);
    }
  if (slirp->bus != NULL)
    g_dbus_connection_close_sync (slirp->bus, NULL, NULL);
  g_clear_object (&slirp->bus);
  g_clear_object (&slirp->out);
  g_clear_object (&slirp->process);
  if (slirp->peer_fd >= 0)
    close (slirp->peer_fd);
  g_free (slirp);
}
