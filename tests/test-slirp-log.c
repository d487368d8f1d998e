/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's messages outlive libvirt's pipe: its stdout and stderr are
 * pipes whose reader has closed them, as libvirt leaves them once the
 * start has returned. The helper must not die of it (SIGPIPE), and what
 * it says must reach the system log: here a syslog datagram socket the
 * test binds and names in $VMSTATE1_SLIRP_HELPER_LOG_SOCKET. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vmstate1.h>

#include "harness/test-bus.h"

#define LOG_TIMEOUT_MSEC 5000
#define CALL_TIMEOUT_MSEC 5000
/* libslirp 4.7's state with no guestfwd: version, end of the socket list,
 * ip_id, 16 leases of (allocated, MAC). */
#define STATE_SIZE (4 + 1 + 2 + 16 * 8)
/* syslog priorities, facility daemon (3 << 3) */
#define PRI_ERR "<27>"
#define PRI_NOTICE "<29>"

typedef struct
{
  char *dir;
  char *log_path;
  int log_fd;
  GSubprocess *helper;
  TestBus *bus;
  GDBusConnection *caller;
} LogFixture;

static void
fixture_setup (LogFixture   *fx,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  fx->dir = g_dir_make_tmp ("vmstate1-log-XXXXXX", &error);
  g_assert_no_error (error);
  fx->log_path = g_build_filename (fx->dir, "log", NULL);
  g_assert_cmpuint (strlen (fx->log_path), <, sizeof addr.sun_path);
  strcpy (addr.sun_path, fx->log_path);
  fx->log_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fx->log_fd, >=, 0);
  g_assert_cmpint (bind (fx->log_fd, (struct sockaddr *) &addr, sizeof addr),
                   ==, 0);
  fx->bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fx->caller = vmstate1_connect (test_bus_get_address (fx->bus), NULL,
                                 &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (LogFixture   *fx,
                  gconstpointer data)
{
  if (fx->helper != NULL)
    {
      g_subprocess_force_exit (fx->helper);
      g_subprocess_wait (fx->helper, NULL, NULL);
      g_object_unref (fx->helper);
    }
  g_dbus_connection_close_sync (fx->caller, NULL, NULL);
  g_object_unref (fx->caller);
  test_bus_free (fx->bus);
  close (fx->log_fd);
  g_unlink (fx->log_path);
  g_rmdir (fx->dir);
  g_free (fx->log_path);
  g_free (fx->dir);
}

/* Starts the helper (--socket-path, on the fixture's bus with @extra),
 * then closes our ends of its stdout and stderr at once. */
static void
start_helper (LogFixture *fx,
              const char *g_debug,
              const char *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                       | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *socket_path = g_build_filename (fx->dir, "helper.sock",
                                                   NULL);
  g_autofree char *address = g_strdup_printf (
      "--dbus-address=%s", test_bus_get_address (fx->bus));

  g_subprocess_launcher_setenv (launcher, "VMSTATE1_SLIRP_HELPER_LOG_SOCKET",
                                fx->log_path, TRUE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", g_debug, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  fx->helper = g_subprocess_launcher_spawn (
      launcher, &error, g_getenv ("VMSTATE1_SLIRP_HELPER"),
      "--socket-path", socket_path, address, "--dbus-id=slirp-log", extra,
      NULL);
  g_assert_no_error (error);
  g_assert_true (g_input_stream_close (
      g_subprocess_get_stdout_pipe (fx->helper), NULL, &error));
  g_assert_true (g_input_stream_close (
      g_subprocess_get_stderr_pipe (fx->helper), NULL, &error));
  g_assert_no_error (error);
}

/* Reads log lines until one holds @priority and @needle; the line. */
static char *
wait_log (LogFixture *fx,
          const char *priority,
          const char *needle)
{
  gint64 deadline = g_get_monotonic_time ()
                    + LOG_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      struct pollfd pfd = { fx->log_fd, POLLIN, 0 };
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      char buf[2048];
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        g_error ("no log line with %s '%s' in %d ms", priority, needle,
                 LOG_TIMEOUT_MSEC);
      n = recv (fx->log_fd, buf, sizeof buf - 1, 0);
      g_assert_cmpint (n, >, 0);
      buf[n] = '\0';
      if (g_test_verbose ())
        g_printerr ("# log: %s\n", buf);
      if (g_str_has_prefix (buf, priority) && strstr (buf, needle) != NULL)
        {
          /* "<PRI>Mmm dd hh:mm:ss TAG[PID]: message" */
          g_assert_nonnull (strstr (buf, " vmstate1-slirp-helper["));
          return g_strdup (buf);
        }
    }
}

static GBytes *
empty_state (void)
{
  guint8 state[STATE_SIZE] = { 0, 0, 0, 4 };

  return g_bytes_new (state, sizeof state);
}

static gboolean
load (LogFixture *fx,
      GBytes     *state,
      GError    **error)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      fx->caller, VMSTATE1_BUS_NAME, VMSTATE1_OBJECT_PATH,
      VMSTATE1_INTERFACE, "Load",
      g_variant_new ("(@ay)", g_variant_new_from_bytes (
          G_VARIANT_TYPE_BYTESTRING, state, TRUE)),
      NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, error);

  return reply != NULL;
}

/* Started, then an incoming state loaded: both logged, and the helper
 * lives on after writing to its dead pipes; it stops cleanly. */
static void
test_started_and_loaded (LogFixture   *fx,
                         gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) state = empty_state ();
  g_autofree char *started = NULL;
  g_autofree char *loaded = NULL;
  g_autofree char *stopped = NULL;

  start_helper (fx, "fatal-warnings", "--dbus-incoming");
  started = wait_log (fx, PRI_NOTICE, "started: libslirp ");
  g_assert_nonnull (strstr (started, "Id slirp-log, waiting for the "
                                     "incoming state"));
  g_assert_true (load (fx, state, &error));
  g_assert_no_error (error);
  loaded = wait_log (fx, PRI_NOTICE, "incoming state loaded");

  g_subprocess_send_signal (fx->helper, SIGTERM);
  stopped = wait_log (fx, PRI_NOTICE, "asked to stop");
  g_assert_true (g_subprocess_wait (fx->helper, NULL, &error));
  /* Not killed by SIGPIPE on the way: a clean exit. */
  g_assert_true (g_subprocess_get_if_exited (fx->helper));
  g_assert_cmpint (g_subprocess_get_exit_status (fx->helper), ==, 0);
}

/* A refused Load is logged with its reason, by the helper itself
 * whatever level libvmstate1 gives refusals (a warning here, which is why
 * this helper runs without fatal-warnings; info, dropped by default, in
 * its 0.2 API). */
static void
test_refused_load (LogFixture   *fx,
                   gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) truncated = g_bytes_new ((guint8[]) { 0, 0, 0, 4, 0 }, 5);
  g_autofree char *started = NULL;
  g_autofree char *refused = NULL;

  start_helper (fx, "fatal-criticals", "--dbus-incoming");
  started = wait_log (fx, PRI_NOTICE, "started: libslirp ");
  g_assert_false (load (fx, truncated, &error));
  g_assert_nonnull (error);
  refused = wait_log (fx, PRI_NOTICE, "refused an incoming state of 5 "
                                     "bytes: the version 4 slirp state is "
                                     "truncated");
  /* Still running, still waiting for a good state. */
  g_assert_nonnull (g_subprocess_get_identifier (fx->helper));
}

/* A failure that ends the helper: the bus goes away while it still waits
 * for its state. */
static void
test_failure (LogFixture   *fx,
              gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *started = NULL;
  g_autofree char *failed = NULL;

  start_helper (fx, "fatal-warnings", "--dbus-incoming");
  started = wait_log (fx, PRI_NOTICE, "started: libslirp ");
  test_bus_kill (fx->bus);
  failed = wait_log (fx, PRI_ERR, "the D-Bus connection closed before the "
                                  "incoming state arrived");
  g_assert_true (g_subprocess_wait (fx->helper, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (fx->helper));
  g_assert_cmpint (g_subprocess_get_exit_status (fx->helper), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpuint (VMSTATE1_ERROR, !=, 0);

  g_test_add ("/vmstate1/slirp-helper/log/started-and-loaded", LogFixture,
              NULL, fixture_setup, test_started_and_loaded, fixture_teardown);
  g_test_add ("/vmstate1/slirp-helper/log/refused-load", LogFixture, NULL,
              fixture_setup, test_refused_load, fixture_teardown);
  g_test_add ("/vmstate1/slirp-helper/log/failure", LogFixture, NULL,
              fixture_setup, test_failure, fixture_teardown);

  return g_test_run ();
}
