/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --exit-with-parent as libvirt uses it: the helper is daemonized (setsid,
 * double fork) and must not die when the intermediate exits, early or
 * late, nor when libvirtd goes; a helper with a real parent still ends
 * with it, even when that parent is gone before the helper could watch
 * it. The launcher
 * (slirp-launcher.c) plays libvirtd. */
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness/test-bus.h"

#define LINE_TIMEOUT_MSEC 5000
#define EXIT_TIMEOUT_MSEC 5000
/* Past the late intermediate's exit (300 ms after the exec). */
#define SETTLE_MSEC 1000
#define LATE_RUNS 5

typedef struct
{
  GSubprocess *launcher;
  int out_fd;
  GString *out;       /* what launcher and helper printed so far */
  char *dir;
  char *socket_path;
  GPid helper;
} Launch;

static const char *
env_path (const char *name)
{
  const char *path = g_getenv (name);

  if (path == NULL)
    g_error ("$%s is not set: run this test through meson", name);
  return path;
}

/* Reads what the launcher's stdout has until @needle shows up, the
 * pipe's end, or the timeout. */
static gboolean
wait_output (Launch     *launch,
             const char *needle)
{
  gint64 deadline = g_get_monotonic_time ()
                    + LINE_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;

  while (strstr (launch->out->str, needle) == NULL)
    {
      struct pollfd pfd = { launch->out_fd, POLLIN, 0 };
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      char buf[512];
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        return FALSE;
      n = read (launch->out_fd, buf, sizeof buf);
      if (n <= 0)
        return FALSE;
      g_string_append_len (launch->out, buf, n);
    }
  return TRUE;
}

static Launch *
launch_new (const char *mode)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                               | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  Launch *launch = g_new0 (Launch, 1);
  const char *line;

  launch->dir = g_dir_make_tmp ("vmstate1-parent-XXXXXX", &error);
  g_assert_no_error (error);
  launch->socket_path = g_build_filename (launch->dir, "helper.sock", NULL);
  launch->out = g_string_new (NULL);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-warnings", TRUE);
  launch->launcher = g_subprocess_launcher_spawn (
      launcher, &error, env_path ("VMSTATE1_SLIRP_LAUNCHER"), mode,
      env_path ("VMSTATE1_SLIRP_HELPER"), "--exit-with-parent",
      "--socket-path", launch->socket_path, NULL);
  g_assert_no_error (error);
  launch->out_fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (
      g_subprocess_get_stdout_pipe (launch->launcher)));

  g_assert_true (wait_output (launch, "launcher: helper "));
  line = strstr (launch->out->str, "launcher: helper ");
  launch->helper = (GPid) g_ascii_strtoll (line + strlen ("launcher: helper "),
                                           NULL, 10);
  g_assert_cmpint (launch->helper, >, 1);
  return launch;
}

static gboolean
wait_ended (GPid  pid,
            guint timeout_msec)
{
  gint64 deadline = g_get_monotonic_time ()
                    + timeout_msec * G_TIME_SPAN_MILLISECOND;

  while (!test_pid_ended (pid))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (10000);
    }
  return TRUE;
}

/* Lets the launcher go, and makes sure nothing is left running. */
static void
launch_free (Launch *launch)
{
  g_autoptr(GError) error = NULL;

  if (!test_pid_ended (launch->helper))
    {
      kill (launch->helper, SIGTERM);
      if (!wait_ended (launch->helper, EXIT_TIMEOUT_MSEC))
        kill (launch->helper, SIGKILL);
    }
  g_output_stream_close (g_subprocess_get_stdin_pipe (launch->launcher),
                         NULL, NULL);
  g_assert_true (g_subprocess_wait_check (launch->launcher, NULL, &error));
  g_assert_no_error (error);
  g_object_unref (launch->launcher);
  g_unlink (launch->socket_path);
  g_rmdir (launch->dir);
  g_free (launch->socket_path);
  g_free (launch->dir);
  g_string_free (launch->out, TRUE);
  g_free (launch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Launch, launch_free)

/* A daemonized helper is alive and serving once its intermediate has
 * exited, and ends on SIGTERM as libvirt stops it. */
static void
assert_daemonized_survives (const char *mode)
{
  g_autoptr(Launch) launch = launch_new (mode);

  g_assert_true (wait_output (launch, "ready:"));
  g_usleep (SETTLE_MSEC * 1000);
  g_assert_false (test_pid_ended (launch->helper));
  g_assert_true (g_file_test (launch->socket_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (kill (launch->helper, SIGTERM), ==, 0);
  g_assert_true (wait_ended (launch->helper, EXIT_TIMEOUT_MSEC));
  /* A clean exit: the socket is removed. */
  g_assert_false (g_file_test (launch->socket_path, G_FILE_TEST_EXISTS));
}

static void
test_daemon_early (void)
{
  assert_daemonized_survives ("daemon-early");
}

/* The intermediate exits after the helper's exec: with PR_SET_PDEATHSIG
 * armed on it, this killed the helper every time. */
static void
test_daemon_late (void)
{
  for (int i = 0; i < LATE_RUNS; i++)
    assert_daemonized_survives ("daemon-late");
}

/* Daemonized, the helper watches nothing: when the process that forked
 * the intermediate (libvirtd) ends too, the helper stays; libvirt stops
 * it with SIGTERM, and keeps running guests across its own restarts. */
static void
test_daemon_starter_exits (void)
{
  g_autoptr(Launch) launch = launch_new ("daemon-late");
  g_autoptr(GError) error = NULL;

  g_assert_true (wait_output (launch, "ready:"));
  g_assert_true (g_output_stream_close (
      g_subprocess_get_stdin_pipe (launch->launcher), NULL, &error));
  g_assert_true (g_subprocess_wait_check (launch->launcher, NULL, &error));
  g_usleep (SETTLE_MSEC * 1000);
  g_assert_false (test_pid_ended (launch->helper));
}

/* A real parent: the helper ends with it, cleanly. */
static void
test_parent_exits (void)
{
  g_autoptr(Launch) launch = launch_new ("parent");
  g_autoptr(GError) error = NULL;

  g_assert_true (wait_output (launch, "ready:"));
  g_assert_false (test_pid_ended (launch->helper));
  g_assert_true (g_output_stream_close (
      g_subprocess_get_stdin_pipe (launch->launcher), NULL, &error));
  g_assert_true (g_subprocess_wait_check (launch->launcher, NULL, &error));
  g_assert_true (wait_ended (launch->helper, EXIT_TIMEOUT_MSEC));
  g_assert_false (g_file_test (launch->socket_path, G_FILE_TEST_EXISTS));
}

/* The parent exits before the helper's exec, so before any prctl could
 * have been armed: the helper notices and does not start serving. */
static void
test_parent_gone_before (void)
{
  g_autoptr(Launch) launch = launch_new ("parent-gone");

  g_assert_true (wait_ended (launch->helper, EXIT_TIMEOUT_MSEC));
  g_assert_null (strstr (launch->out->str, "ready:"));
  g_assert_false (g_file_test (launch->socket_path, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmstate1/slirp-helper/exit-with-parent/daemon-early",
                   test_daemon_early);
  g_test_add_func ("/vmstate1/slirp-helper/exit-with-parent/daemon-late",
                   test_daemon_late);
  g_test_add_func ("/vmstate1/slirp-helper/exit-with-parent/daemon-starter-exits",
                   test_daemon_starter_exits);
  g_test_add_func ("/vmstate1/slirp-helper/exit-with-parent/parent-exits",
                   test_parent_exits);
  g_test_add_func ("/vmstate1/slirp-helper/exit-with-parent/parent-gone",
                   test_parent_gone_before);

  return g_test_run ();
}
