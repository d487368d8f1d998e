/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a hostile peer, a restarted bus or an unlucky scheduler could do
 * to a helper in 0.1, on real private dbus-daemons: each test failed on
 * 0.1 and shows the hole closed. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-log.h"
#include "harness/test-recorder.h"

typedef TestBusFixture Fixture;

static GDBusConnection *
connect_to (TestBus *bus)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection = vmstate1_connect (test_bus_get_address (bus),
                                                  NULL, &error);

  g_assert_no_error (error);
  return connection;
}

/* Issue 9.1: "unique name -> uid" was remembered for the helper's life,
 * across buses. Here the helper is exported on bus A, where root's
 * caller gets a unique name; then on a new bus B, where a caller running
 * as nobody gets the very same unique name: nobody must be refused. */
static void
test_access_per_bus (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestBus) bus_a = NULL;
  g_autoptr(TestBus) bus_b = NULL;
  g_autoptr(GDBusConnection) helper_a = NULL;
  g_autoptr(GDBusConnection) helper_b = NULL;
  g_autoptr(GDBusConnection) root_caller = NULL;
  g_autoptr(Vmstate1Helper) helper = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autofree char *root_name = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  TestRecorder *recorder = test_recorder_new_text ("secret");

  if (!test_require_root ())
    return;

  bus_a = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  /* The helper connects first on both buses, the caller second. */
  helper_a = connect_to (bus_a);
  root_caller = connect_to (bus_a);
  root_name = g_strdup (g_dbus_connection_get_unique_name (root_caller));

  helper = vmstate1_helper_new ("guarded", &error);
  g_assert_no_error (error);
  vmstate1_helper_set_handlers (helper, test_recorder_save,
                                test_recorder_load, recorder,
                                test_recorder_free);
  vmstate1_helper_allow_uid (helper, 0);
  g_assert_true (vmstate1_helper_export (helper, helper_a, &error));
  g_assert_no_error (error);
  saved = test_call_save (root_caller,
                          g_dbus_connection_get_unique_name (helper_a),
                          &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recorder->saves, ==, 1);
  vmstate1_helper_unexport (helper);

  /* The VM's bus restarted: a new daemon, unique names from :1.0 again. */
  bus_b = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  helper_b = connect_to (bus_b);
  g_assert_true (vmstate1_helper_export (helper, helper_b, &error));
  g_assert_no_error (error);

  test_log_clear ();
  g_assert_false (test_save_as_nobody (
      bus_b, g_dbus_connection_get_unique_name (helper_b), &out, &err));
  g_assert_nonnull (strstr (err, "org.libvmstate1.Error.AccessDenied"));
  /* It really had root's old name, else this proves nothing. */
  g_assert_cmpstr (test_log_find_field ("*may not call Save*",
                                        "VMSTATE1_CALLER"), ==, root_name);
  g_assert_cmpuint (recorder->saves, ==, 1);
  vmstate1_helper_unexport (helper);
}

/* Issue 9.1 too: the uid cache is bounded, however many callers come. */
static void
test_access_cache_bounded (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = connect_to (fixture->bus);
  g_autoptr(Vmstate1Helper) helper = vmstate1_helper_new ("popular", NULL);
  TestRecorder *recorder = test_recorder_new_text ("x");
  guint max_remembered = 0;

  vmstate1_helper_set_handlers (helper, test_recorder_save,
                                test_recorder_load, recorder,
                                test_recorder_free);
  vmstate1_helper_allow_uid (helper, getuid ());
  g_assert_true (vmstate1_helper_export (helper, connection, &error));
  g_assert_no_error (error);

  test_log_clear ();
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GDBusConnection) caller = connect_to (fixture->bus);
      g_autoptr(GBytes) saved = NULL;
      const char *remembered;

      saved = test_call_save (
          caller, g_dbus_connection_get_unique_name (connection), &error);
      g_assert_no_error (error);
      remembered = test_log_find_field ("*callers remembered*",
                                        "VMSTATE1_CALLERS_REMEMBERED");
      g_assert_nonnull (remembered);
      max_remembered = MAX (max_remembered, (guint) atoi (remembered));
      g_dbus_connection_close_sync (caller, NULL, NULL);
    }
  g_assert_cmpuint (recorder->saves, ==, 100);
  g_test_message ("at most %u callers remembered after 100", max_remembered);
  g_assert_cmpuint (max_remembered, <=, 64);
  g_assert_cmpuint (max_remembered, >=, 32);
  vmstate1_helper_unexport (helper);
}

typedef struct
{
  guint replies;
  guint successes;
} Burst;

static void
on_burst_reply (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Burst *burst = user_data;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         NULL);
  burst->replies++;
  if (reply != NULL)
    burst->successes++;
}

typedef struct
{
  gboolean freed;
  guint saves;
} Owner;

static GBytes *
save_checking (gpointer   user_data,
               GError   **error)
{
  Owner *owner = user_data;

  /* Called after its owner freed it: 0.1 did this (ASan saw it). */
  g_assert_false (owner->freed);
  owner->saves++;
  return g_bytes_new_static ("state", 5);
}

static gboolean
load_never (GBytes    *data,
            gpointer   user_data,
            GError   **error)
{
  g_assert_not_reached ();
  return FALSE;
}

/* Issue 9.2: with an access rule, calls whose check was in flight at
 * unexport ran the helper's function afterwards and were told they
 * succeeded. Bursts of Saves, unexport while checks are in flight, many
 * times: nothing runs after unexport, and only calls that ran succeed. */
static void
test_no_call_after_unexport (void)
{
  g_autoptr(GError) error = NULL;
  /* A rule on a well-known name the caller owns: each call asks the bus
   * who owns it, so every check of a burst is in flight for a while. */
  g_autoptr(TestBus) bus = test_bus_new ("org.example.Qemu", &error);
  g_autoptr(GDBusConnection) caller = NULL;
  g_autoptr(GVariant) owned = NULL;

  g_assert_no_error (error);
  caller = connect_to (bus);
  owned = test_call (caller, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                     "org.freedesktop.DBus", "RequestName",
                     g_variant_new ("(su)", "org.example.Qemu", 0),
                     G_VARIANT_TYPE ("(u)"), 5000, &error);
  g_assert_no_error (error);

  guint refused = 0;

  for (guint round = 0; round < 20; round++)
    {
      g_autoptr(GDBusConnection) connection = connect_to (bus);
      g_autoptr(Vmstate1Helper) helper = vmstate1_helper_new ("leaving", NULL);
      Owner *owner = g_new0 (Owner, 1);
      Burst burst = { 0 };
      guint saves_at_unexport;
      const char *name;

      vmstate1_helper_set_handlers (helper, save_checking, load_never, owner,
                                    NULL);
      vmstate1_helper_allow_bus_name (helper, "org.example.Qemu");
      g_assert_true (vmstate1_helper_export (helper, connection, &error));
      g_assert_no_error (error);
      name = g_dbus_connection_get_unique_name (connection);

      for (guint i = 0; i < 40; i++)
        g_dbus_connection_call (caller, name, VMSTATE1_OBJECT_PATH,
                                VMSTATE1_INTERFACE, "Save", NULL,
                                G_VARIANT_TYPE ("(ay)"), G_DBUS_CALL_FLAGS_NONE,
                                10000, NULL, on_burst_reply, &burst);
      /* Until a few Saves got through their check: the others' checks
       * are in flight now. A different point of the burst each round. */
      while (owner->saves < 1 + round % 8)
        g_main_context_iteration (NULL, TRUE);

      vmstate1_helper_unexport (helper);
      /* The owner frees its state at once, as it may. */
      owner->freed = TRUE;
      saves_at_unexport = owner->saves;

      while (burst.replies < 40)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (burst.replies, ==, 40);
      /* Nothing ran after unexport, and only what ran succeeded. */
      g_assert_cmpuint (owner->saves, ==, saves_at_unexport);
      g_assert_cmpuint (burst.successes, ==, saves_at_unexport);
      refused += 40 - burst.successes;
      g_test_message ("round %u: %u of 40 saved before unexport, %u refused",
                      round, burst.successes, 40 - burst.successes);
      g_free (owner);
    }
  /* The race was really run: calls were caught in their check. */
  g_assert_cmpuint (refused, >, 0);
  /* GDBus frees a removed filter's data from an idle: let it run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Issue 9.3: the duplicate check and RequestName were separate steps,
 * so processes exporting one Id at once all succeeded. Six at once,
 * twenty times: exactly one wins each time, the others fail with
 * DUPLICATE_ID. */
static void
test_duplicate_race (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *helper = g_getenv ("VMSTATE1_COUNTER_HELPER");
  g_autofree char *address_arg = g_strdup_printf (
      "--dbus-address=%s", test_bus_get_address (fixture->bus));
  guint lost_total = 0;

  for (guint trial = 0; trial < 20; trial++)
    {
      g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (
          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
      GSubprocess *processes[6];
      guint winners = 0, losers = 0;

      for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
        {
          g_autoptr(GError) error = NULL;

          processes[i] = g_subprocess_launcher_spawn (
              launcher, &error, helper, address_arg, "--dbus-id=twin", NULL);
          g_assert_no_error (error);
        }
      for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
        {
          g_autoptr(GDataInputStream) out = g_data_input_stream_new (
              g_subprocess_get_stdout_pipe (processes[i]));
          g_autofree char *line = g_data_input_stream_read_line (out, NULL,
                                                                 NULL, NULL);

          if (line != NULL && g_str_has_prefix (line, "ready:"))
            winners++;
          else
            {
              g_autofree char *err = NULL;

              g_subprocess_communicate_utf8 (processes[i], NULL, NULL, NULL,
                                             &err, NULL);
              g_assert_false (g_subprocess_get_successful (processes[i]));
              g_assert_nonnull (strstr (err, "is already used by helper"));
              losers++;
            }
        }
      g_assert_cmpuint (winners, ==, 1);
      g_assert_cmpuint (losers, ==, 5);
      lost_total += losers;
      for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
        {
          g_subprocess_force_exit (processes[i]);
          g_subprocess_wait (processes[i], NULL, NULL);
          g_object_unref (processes[i]);
        }
    }
  g_test_message ("20 trials of 6: 20 winners, %u refused", lost_total);
}

typedef struct
{
  gboolean done;
  GError *error;
  GDBusConnection *connection;
} Connected;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connected *connected = user_data;

  connected->connection = vmstate1_connect_finish (result, &connected->error);
  connected->done = TRUE;
}

/* Issue 9.6: connecting waited forever on a bus that accepts and never
 * answers. Both ways now fail with TIMED_OUT after the default 5 s. */
static void
test_connect_stopped_bus (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  Connected connected = { 0 };
  gint64 started;
  double elapsed;

  g_assert_cmpint (kill (test_bus_get_pid (fixture->bus), SIGSTOP), ==, 0);

  started = g_get_monotonic_time ();
  vmstate1_connect_async (test_bus_get_address (fixture->bus), NULL,
                          on_connected, &connected);
  g_assert_true (test_wait_for (&connected.done, 15000));
  elapsed = (g_get_monotonic_time () - started) / 1e6;
  g_assert_null (connected.connection);
  g_assert_error (connected.error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT);
  g_assert_cmpfloat (elapsed, <, 10.0);
  g_test_message ("async connect failed after %.1f s: %s", elapsed,
                  connected.error->message);
  g_clear_error (&connected.error);

  started = g_get_monotonic_time ();
  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  elapsed = (g_get_monotonic_time () - started) / 1e6;
  g_assert_null (connection);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT);
  g_assert_cmpfloat (elapsed, <, 10.0);
  g_test_message ("sync connect failed after %.1f s: %s", elapsed,
                  error->message);

  /* The caller's cancel is answered at once too, whatever GDBus waits
   * for underneath. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    Connected cancelled = { 0 };

    started = g_get_monotonic_time ();
    vmstate1_connect_async (test_bus_get_address (fixture->bus), cancellable,
                            on_connected, &cancelled);
    g_timeout_add_once (200, (GSourceOnceFunc) g_cancellable_cancel,
                        cancellable);
    g_assert_true (test_wait_for (&cancelled.done, 15000));
    elapsed = (g_get_monotonic_time () - started) / 1e6;
    g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpfloat (elapsed, <, 2.0);
    g_clear_error (&cancelled.error);
  }

  g_assert_cmpint (kill (test_bus_get_pid (fixture->bus), SIGCONT), ==, 0);
}

static gboolean
load_rejecting (GBytes    *data,
                gpointer   user_data,
                GError   **error)
{
  g_set_error_literal (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                       "not my format");
  return FALSE;
}

static GBytes *
save_plain (gpointer   user_data,
            GError   **error)
{
  return g_bytes_new_static ("s", 1);
}

static gboolean
call_load (GDBusConnection *caller,
           const char      *name,
           gsize            size)
{
  g_autoptr(GBytes) zeros = g_bytes_new_take (g_malloc0 (size), size);

  return test_call_load (caller, name, zeros, NULL);
}

/* Issue 9.7: every refused or failed call was a g_warning(), so any peer
 * could kill a helper run with G_DEBUG=fatal-warnings (this test runs
 * so) or flood its log. Now they are INFO, with the call's fields. */
static void
test_no_warnings_from_peers (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = connect_to (fixture->bus);
  g_autoptr(Vmstate1Helper) helper = vmstate1_helper_new ("robust", NULL);
  g_autoptr(GBytes) saved = NULL;
  const char *name;

  /* g_test_init() makes warnings fatal: a warning would end the test. */
  g_assert_true (g_test_initialized ());
  vmstate1_helper_set_handlers (helper, save_plain, load_rejecting, NULL,
                                NULL);
  g_assert_true (vmstate1_helper_export (helper, connection, &error));
  g_assert_no_error (error);
  name = g_dbus_connection_get_unique_name (connection);

  test_log_clear ();
  /* A Load over 1 MiB, and one its own function rejects. */
  g_assert_false (call_load (fixture->caller, name, VMSTATE1_DATA_MAX_SIZE + 1));
  g_assert_false (call_load (fixture->caller, name, 16));
  g_assert_cmpstr (test_log_find_field ("*Load of 1048577 bytes refused*",
                                        "PRIORITY"), ==, "6");
  g_assert_cmpstr (test_log_find_field ("*Load of 1048577 bytes refused*",
                                        "VMSTATE1_BYTES"), ==, "1048577");
  g_assert_cmpstr (test_log_find_field ("*not my format*", "VMSTATE1_ID"), ==,
                   "robust");
  g_assert_cmpstr (test_log_find_field ("*not my format*", "VMSTATE1_METHOD"),
                   ==, "Load");
  g_assert_cmpstr (test_log_find_field ("*not my format*", "VMSTATE1_CALLER"),
                   ==, g_dbus_connection_get_unique_name (fixture->caller));

  /* 2000 denied callers. */
  vmstate1_helper_allow_bus_name (helper, ":1.99999");
  for (guint i = 0; i < 2000; i++)
    g_dbus_connection_call (fixture->caller, name, VMSTATE1_OBJECT_PATH,
                            VMSTATE1_INTERFACE, "Save", NULL, NULL,
                            G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL, NULL);
  saved = test_call_save (fixture->caller, name, &error);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_ACCESS_DENIED);
  g_assert_cmpuint (test_log_count ("*may not call Save*"), ==, 2001);
  /* None of it was a warning: the process is alive to count. */
  g_assert_null (test_log_find_field ("*", "VMSTATE1_NEVER_SET"));
  g_assert_cmpuint (test_log_count ("*"), >=, 2003);
  vmstate1_helper_unexport (helper);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_log_init ();

#define ADD(path, func) \
  g_test_add ("/vmstate1/trust/" path, Fixture, NULL,                       \
              test_bus_fixture_setup, func, test_bus_fixture_teardown)

  g_test_add_func ("/vmstate1/trust/access-per-bus", test_access_per_bus);
  ADD ("access-cache-bounded", test_access_cache_bounded);
  g_test_add_func ("/vmstate1/trust/no-call-after-unexport",
                   test_no_call_after_unexport);
  ADD ("duplicate-race", test_duplicate_race);
  ADD ("connect-stopped-bus", test_connect_stopped_bus);
  ADD ("no-warnings-from-peers", test_no_warnings_from_peers);

#undef ADD

  return g_test_run ();
}
