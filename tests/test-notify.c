/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Readiness for systemd's Type=notify, checked as systemd checks it: the
 * test listens on a $NOTIFY_SOCKET of its own and reads what the counter
 * helper sends there. READY=1 must come only once the helper is exported
 * and queued, so that whatever starts QEMU after it finds it. */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <vmstate1.h>

#include "harness/test-bus.h"

typedef TestBusFixture Fixture;

typedef struct
{
  char *dir;
  char *path;
  GSocket *socket;
} NotifySocket;

static void
notify_socket_init (NotifySocket *notify)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = NULL;

  notify->dir = g_dir_make_tmp ("vmstate1-notify-XXXXXX", &error);
  g_assert_no_error (error);
  notify->path = g_build_filename (notify->dir, "notify", NULL);
  notify->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (notify->path);
  g_assert_true (g_socket_bind (notify->socket, address, FALSE, &error));
  g_assert_no_error (error);
}

static void
notify_socket_clear (NotifySocket *notify)
{
  g_socket_close (notify->socket, NULL);
  g_clear_object (&notify->socket);
  g_unlink (notify->path);
  g_rmdir (notify->dir);
  g_free (notify->path);
  g_free (notify->dir);
}

/* The next datagram within @timeout_msec, or NULL. */
static char *
notify_socket_receive (NotifySocket *notify,
                       guint         timeout_msec)
{
  char buffer[4096];
  g_autoptr(GError) error = NULL;
  gssize size;

  g_socket_set_timeout (notify->socket, (timeout_msec + 999) / 1000);
  size = g_socket_receive (notify->socket, buffer, sizeof buffer - 1, NULL,
                           &error);
  if (size < 0)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      return NULL;
    }
  return g_strndup (buffer, size);
}

static GSubprocess *
spawn_counter (const char    *address,
               const char    *id,
               NotifySocket  *notify,
               GError       **error)
{
  g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *address_arg = g_strdup_printf ("--dbus-address=%s",
                                                  address);
  g_autofree char *id_arg = g_strdup_printf ("--dbus-id=%s", id);

  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", notify->path, TRUE);
  return g_subprocess_launcher_spawn (launcher, error,
                                      g_getenv ("VMSTATE1_COUNTER_HELPER"),
                                      address_arg, id_arg, NULL);
}

static gboolean
id_is_queued (GDBusConnection *caller,
              const char      *id)
{
  g_autoptr(Vmstate1Vm) vm = vmstate1_vm_new (caller);
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;

  helpers = vmstate1_vm_list_helpers (vm, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < helpers->len; i++)
    if (g_str_equal (vmstate1_helper_info_get_id (g_ptr_array_index (helpers,
                                                                     i)),
                     id))
      return TRUE;
  return FALSE;
}

/* READY=1 arrives, and at that moment the helper is in the queue: a
 * listing made as soon as systemd would consider the unit started finds
 * it. Repeated, since a readiness sent too early would show only
 * sometimes. */
static void
test_ready_once_queued (Fixture       *fixture,
                        gconstpointer  data)
{
  for (guint round = 0; round < 10; round++)
    {
      NotifySocket notify = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) process = NULL;
      g_autofree char *message = NULL;
      g_autofree char *id = g_strdup_printf ("ready-%u", round);

      notify_socket_init (&notify);
      process = spawn_counter (test_bus_get_address (fixture->bus), id,
                               &notify, &error);
      g_assert_no_error (error);

      message = notify_socket_receive (&notify, 10000);
      g_assert_nonnull (message);
      g_assert_nonnull (strstr (message, "READY=1"));
      g_assert_nonnull (strstr (message, id));
      g_assert_true (id_is_queued (fixture->caller, id));

      g_subprocess_send_signal (process, SIGTERM);
      g_assert_true (g_subprocess_wait_check (process, NULL, &error));
      g_assert_no_error (error);
      notify_socket_clear (&notify);
    }
}

/* A helper that cannot queue (the bus's policy forbids the name) never
 * says it is ready: systemd sees it fail instead. */
static void
test_no_ready_when_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestBus) bus = test_bus_new_with_rules (
      "<deny own=\"org.qemu.VMState1\"/>",
      &error);
  NotifySocket notify = { 0 };
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *message = NULL;

  g_assert_no_error (error);
  notify_socket_init (&notify);
  process = spawn_counter (test_bus_get_address (bus), "refused", &notify,
                           &error);
  g_assert_no_error (error);
  g_assert_false (g_subprocess_wait_check (process, NULL, NULL));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  message = notify_socket_receive (&notify, 500);
  g_assert_null (message);
  notify_socket_clear (&notify);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/vmstate1/notify/ready-once-queued", Fixture, NULL,
              test_bus_fixture_setup, test_ready_once_queued,
              test_bus_fixture_teardown);
  g_test_add_func ("/vmstate1/notify/no-ready-when-refused",
                   test_no_ready_when_refused);

  return g_test_run ();
}
