/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vmstate1Helper and the tiny API on a real private dbus-daemon. */
#include <string.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-log.h"
#include "harness/test-recorder.h"

#define MiB (1024 * 1024)

typedef TestBusFixture Fixture;

static Vmstate1Helper *
start_helper (Fixture      *fixture,
              const char   *id,
              TestRecorder *state)
{
  return test_recorder_start (test_bus_get_address (fixture->bus), id, state);
}

static const char *
helper_name (Vmstate1Helper *helper)
{
  return g_dbus_connection_get_unique_name (
      vmstate1_helper_get_connection (helper));
}

/* Calls Save as QEMU does, and returns the bytes. */
static GBytes *
call_save (Fixture     *fixture,
           const char  *name,
           GError     **error)
{
  return test_call_save (fixture->caller, name, error);
}

static gboolean
call_load (Fixture     *fixture,
           const char  *name,
           GBytes      *data,
           GError     **error)
{
  return test_call_load (fixture->caller, name, data, error);
}

static GStrv
queued_owners (Fixture *fixture)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GStrv names = NULL;

  reply = test_call (fixture->caller, "org.freedesktop.DBus",
                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                     "ListQueuedOwners",
                     g_variant_new ("(s)", VMSTATE1_BUS_NAME),
                     G_VARIANT_TYPE ("(as)"), 5000, &error);
  if (reply == NULL)
    return g_new0 (char *, 1);  /* NameHasNoOwner: nobody queued */
  g_variant_get (reply, "(^as)", &names);
  return names;
}

/* Unexport returns at once; the bus has the ReleaseName before any later
 * message of that connection, and shows it out of the queue promptly:
 * 2 s is ages, even under valgrind. */
static void
assert_leaves_queue (Fixture    *fixture,
                     const char *name)
{
  for (guint i = 0; i < 200; i++)
    {
      g_auto(GStrv) owners = queued_owners (fixture);

      if (!g_strv_contains ((const char * const *) owners, name))
        return;
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
  g_error ("%s is still queued 2 s after it left", name);
}

static void
assert_message_has (const GError *error,
                    const char   *words)
{
  if (strstr (error->message, words) == NULL)
    g_error ("error message '%s' does not say '%s'", error->message, words);
}

static void
test_two_helpers (Fixture       *fixture,
                  gconstpointer  data)
{
  static const guint8 binary[] = { 0, 1, 0, 0xff, 0, 'x', 0 };
  TestRecorder *a = test_recorder_new_text ("state of A");
  TestRecorder *b = g_new0 (TestRecorder, 1);
  g_autoptr(Vmstate1Helper) ha = NULL;
  g_autoptr(Vmstate1Helper) hb = NULL;
  g_autoptr(GBytes) saved_a = NULL;
  g_autoptr(GBytes) saved_b = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) owners = NULL;

  b->state = g_bytes_new_static (binary, sizeof binary);
  ha = start_helper (fixture, "idA", a);
  hb = start_helper (fixture, "idB", b);

  /* Both wait in the one queue: the second is queued, not refused. */
  owners = queued_owners (fixture);
  g_assert_cmpuint (g_strv_length (owners), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) owners,
                                  helper_name (ha)));
  g_assert_true (g_strv_contains ((const char * const *) owners,
                                  helper_name (hb)));

  saved_a = call_save (fixture, helper_name (ha), &error);
  g_assert_no_error (error);
  saved_b = call_save (fixture, helper_name (hb), &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (saved_a, a->state));
  g_assert_true (g_bytes_equal (saved_b, b->state));

  /* Crossed over: each helper gets exactly the bytes sent to it. */
  g_assert_true (call_load (fixture, helper_name (ha), saved_b, &error));
  g_assert_no_error (error);
  g_assert_true (call_load (fixture, helper_name (hb), saved_a, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (a->loaded, saved_b));
  g_assert_true (g_bytes_equal (b->loaded, saved_a));
  g_assert_cmpuint (a->saves, ==, 1);
  g_assert_cmpuint (a->loads, ==, 1);

  test_recorder_stop (g_steal_pointer (&ha));
  test_recorder_stop (g_steal_pointer (&hb));
}

static void
test_ten_helpers (Fixture       *fixture,
                  gconstpointer  data)
{
  Vmstate1Helper *helpers[10];
  TestRecorder *states[10];
  g_auto(GStrv) owners = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (helpers); i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%u", i);

      states[i] = g_new0 (TestRecorder, 1);
      states[i]->state = test_random_bytes (1000 + i);
      helpers[i] = start_helper (fixture, id, states[i]);
    }
  owners = queued_owners (fixture);
  g_assert_cmpuint (g_strv_length (owners), ==, 10);

  for (guint i = 0; i < G_N_ELEMENTS (helpers); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) saved = call_save (fixture, helper_name (helpers[i]),
                                           &error);
      g_autoptr(GBytes) fresh = test_random_bytes (2000 + i);

      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (saved, states[i]->state));
      g_assert_true (call_load (fixture, helper_name (helpers[i]), fresh,
                                &error));
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (states[i]->loaded, fresh));
    }

  for (guint i = 0; i < G_N_ELEMENTS (helpers); i++)
    test_recorder_stop (helpers[i]);
}

static void
test_save_sizes (Fixture       *fixture,
                 gconstpointer  data)
{
  TestRecorder *state = g_new0 (TestRecorder, 1);
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "sizes", state);
  static const gsize good[] = { 1, 4096, MiB };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) saved = NULL;

      g_clear_pointer (&state->state, g_bytes_unref);
      state->state = test_random_bytes (good[i]);
      saved = call_save (fixture, helper_name (helper), &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (saved, state->state));
    }

  /* Empty: refused at Save time, with what to do instead, in the reply
   * and in the helper's log. */
  {
    g_autoptr(GError) error = NULL;

    g_clear_pointer (&state->state, g_bytes_unref);
    state->state = g_bytes_new (NULL, 0);
    test_log_expect ("Vmstate1", G_LOG_LEVEL_MESSAGE,
                           "Id 'sizes': Save returned an empty state*");
    g_assert_null (call_save (fixture, helper_name (helper), &error));
    test_log_assert_expected ();
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
    assert_message_has (error, "Id 'sizes'");
    assert_message_has (error, "QEMU cannot migrate");
    assert_message_has (error, "at least one byte");
  }

  /* 1 MiB + 1: refused with the Id, the size and the limit. */
  {
    g_autoptr(GError) error = NULL;

    g_clear_pointer (&state->state, g_bytes_unref);
    state->state = test_random_bytes (MiB + 1);
    test_log_expect ("Vmstate1", G_LOG_LEVEL_MESSAGE,
                           "Id 'sizes': Save returned 1048577 bytes*");
    g_assert_null (call_save (fixture, helper_name (helper), &error));
    test_log_assert_expected ();
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE);
    assert_message_has (error, "Id 'sizes'");
    assert_message_has (error, "1048577");
    assert_message_has (error, "1048576");
  }

  /* And the helper keeps working. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) saved = NULL;

    g_clear_pointer (&state->state, g_bytes_unref);
    state->state = test_random_bytes (10);
    saved = call_save (fixture, helper_name (helper), &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (saved, state->state));
    g_assert_true (vmstate1_helper_get_exported (helper));
  }

  test_recorder_stop (g_steal_pointer (&helper));
}

static void
test_load_sizes (Fixture       *fixture,
                 gconstpointer  data)
{
  TestRecorder *state = test_recorder_new_text ("x");
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "sizes", state);
  static const gsize good[] = { 0, 1, MiB };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) sent = test_random_bytes (good[i]);

      g_assert_true (call_load (fixture, helper_name (helper), sent, &error));
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (state->loaded, sent));
    }

  /* Refused before the Load function sees it: the state is unchanged. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) sent = test_random_bytes (MiB + 1);
    g_autoptr(GBytes) before = g_bytes_ref (state->loaded);
    guint loads = state->loads;

    test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO,
                           "Id 'sizes': Load of 1048577 bytes refused*");
    g_assert_false (call_load (fixture, helper_name (helper), sent, &error));
    test_log_assert_expected ();
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE);
    assert_message_has (error, "Id 'sizes'");
    assert_message_has (error, "1048576");
    g_assert_cmpuint (state->loads, ==, loads);
    g_assert_true (state->loaded == before);
  }

  test_recorder_stop (g_steal_pointer (&helper));
}

static void
test_load_wrong_signature (Fixture       *fixture,
                           gconstpointer  data)
{
  TestRecorder *state = test_recorder_new_text ("x");
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "sig", state);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *remote = NULL;

  reply = test_call (fixture->caller, helper_name (helper),
                     VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE, "Load",
                     g_variant_new ("(s)", "not bytes"), NULL, 5000, &error);
  g_assert_null (reply);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.freedesktop.DBus.Error.InvalidArgs");
  g_assert_cmpuint (state->loads, ==, 0);
  g_assert_null (state->loaded);

  test_recorder_stop (g_steal_pointer (&helper));
}

static void
test_duplicate_id (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(Vmstate1Helper) first = start_helper (fixture, "same",
                                                  test_recorder_new_text ("1"));
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(Vmstate1Helper) second = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) owners = NULL;

  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  g_assert_no_error (error);
  second = vmstate1_helper_new ("same", &error);
  g_assert_no_error (error);
  g_assert_false (vmstate1_helper_export (second, connection, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
  assert_message_has (error, "Id 'same'");
  assert_message_has (error, helper_name (first));
  g_assert_false (vmstate1_helper_get_exported (second));

  /* The refused helper is not in the queue, and its connection is free
   * for another Id. */
  owners = queued_owners (fixture);
  g_assert_cmpuint (g_strv_length (owners), ==, 1);
  g_clear_error (&error);
  g_clear_object (&second);
  second = vmstate1_helper_new ("other", &error);
  g_assert_true (vmstate1_helper_export (second, connection, &error));
  g_assert_no_error (error);

  test_recorder_stop (g_steal_pointer (&first));
  test_recorder_stop (g_steal_pointer (&second));
}

/* The other helper is a separate process here, so its Id is read over
 * the bus. */
static void
test_duplicate_id_other_process (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char *counter = g_getenv ("VMSTATE1_COUNTER_HELPER");
  g_autofree char *address_arg = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(Vmstate1Helper) helper = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (counter);
  address_arg = g_strdup_printf ("--dbus-address=%s",
                                 test_bus_get_address (fixture->bus));
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, counter,
                              address_arg, "--dbus-id=taken", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "ready:"));

  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  helper = vmstate1_helper_new ("taken", &error);
  g_assert_false (vmstate1_helper_export (helper, connection, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);

  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

static void
test_one_id_per_connection (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(Vmstate1Helper) first = start_helper (fixture, "first",
                                                  test_recorder_new_text ("1"));
  g_autoptr(Vmstate1Helper) second = vmstate1_helper_new ("second", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (vmstate1_helper_export (
      second, vmstate1_helper_get_connection (first), &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED);
  assert_message_has (error, "already exports Id 'first'");
  assert_message_has (error, "connection of its own");
  g_clear_error (&error);

  /* Exporting the same helper twice is refused as well. */
  g_assert_false (vmstate1_helper_export (
      first, vmstate1_helper_get_connection (first), &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED);
  assert_message_has (error, "already exported");

  /* The first helper is untouched. */
  {
    g_autoptr(GBytes) saved = call_save (fixture, helper_name (first), NULL);
    g_assert_nonnull (saved);
  }
  test_recorder_stop (g_steal_pointer (&first));
}

static void
test_invalid_id_on_export (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(Vmstate1Helper) helper = NULL;
  g_autoptr(GError) error = NULL;

  /* g_object_new() cannot fail: export checks again. */
  helper = g_object_new (VMSTATE1_TYPE_HELPER, "id", "a,b", NULL);
  g_assert_false (vmstate1_helper_export (helper, fixture->caller, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  g_clear_error (&error);
  g_clear_object (&helper);

  helper = g_object_new (VMSTATE1_TYPE_HELPER, NULL);
  g_assert_false (vmstate1_helper_export (helper, fixture->caller, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
}

static void
test_callback_errors (Fixture       *fixture,
                      gconstpointer  data)
{
  TestRecorder *state = test_recorder_new_text ("x");
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "fails", state);
  g_autoptr(GBytes) sent = g_bytes_new_static ("abc", 3);

  /* Another domain: named LoadFailed, the helper's words kept. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *remote = NULL;

    state->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                            "bad magic 0xdead");
    test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO,
                           "Id 'fails': Load failed: bad magic 0xdead");
    g_assert_false (call_load (fixture, helper_name (helper), sent, &error));
    test_log_assert_expected ();
    remote = g_dbus_error_get_remote_error (error);
    g_assert_cmpstr (remote, ==, "org.libvmstate1.Error.LoadFailed");
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED);
    assert_message_has (error, "Id 'fails': Load failed: bad magic 0xdead");
    g_assert_null (state->loaded);
  }

  /* Our domain: the code survives the bus. */
  {
    g_autoptr(GError) error = NULL;

    g_clear_error (&state->fail_with);
    state->fail_with = g_error_new_literal (VMSTATE1_ERROR,
                                            VMSTATE1_ERROR_MALFORMED,
                                            "version 9 is newer than 2");
    test_log_expect ("Vmstate1", G_LOG_LEVEL_MESSAGE,
                           "Id 'fails': Save failed: version 9*");
    g_assert_null (call_save (fixture, helper_name (helper), &error));
    test_log_assert_expected ();
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
    assert_message_has (error, "version 9 is newer than 2");
  }

  /* Failure without a GError (an uncaught exception in a binding). */
  {
    g_autoptr(GError) error = NULL;

    g_clear_error (&state->fail_with);
    state->fail_silently = TRUE;
    test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO,
                           "Id 'fails': Load failed without saying why*");
    g_assert_false (call_load (fixture, helper_name (helper), sent, &error));
    test_log_assert_expected ();
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED);
    assert_message_has (error, "uncaught exception");
    g_clear_error (&error);

    test_log_expect ("Vmstate1", G_LOG_LEVEL_MESSAGE,
                           "Id 'fails': Save failed without saying why*");
    g_assert_null (call_save (fixture, helper_name (helper), &error));
    test_log_assert_expected ();
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  }

  /* Still alive and well. */
  state->fail_silently = FALSE;
  g_assert_true (call_load (fixture, helper_name (helper), sent, NULL));
  g_assert_true (g_bytes_equal (state->loaded, sent));

  test_recorder_stop (g_steal_pointer (&helper));
}

/* A helper that gathers and restores its state asynchronously, as one
 * waiting on I/O would. */
#define TEST_TYPE_ASYNC_HELPER (test_async_helper_get_type ())
G_DECLARE_FINAL_TYPE (TestAsyncHelper, test_async_helper, TEST, ASYNC_HELPER,
                      Vmstate1Helper)

struct _TestAsyncHelper
{
  Vmstate1Helper parent;
  GBytes *state;
  gboolean pending;
};

G_DEFINE_TYPE (TestAsyncHelper, test_async_helper, VMSTATE1_TYPE_HELPER)

static gboolean
on_async_save_ready (gpointer user_data)
{
  GTask *task = user_data;
  TestAsyncHelper *self = g_task_get_source_object (task);

  self->pending = FALSE;
  g_task_return_pointer (task, g_bytes_ref (self->state),
                         (GDestroyNotify) g_bytes_unref);
  return G_SOURCE_REMOVE;
}

static void
test_async_helper_save_async (Vmstate1Helper      *helper,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TestAsyncHelper *self = TEST_ASYNC_HELPER (helper);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  self->pending = TRUE;
  g_timeout_add_full (G_PRIORITY_DEFAULT, 200, on_async_save_ready, task,
                      g_object_unref);
}

static GBytes *
test_async_helper_save_finish (Vmstate1Helper  *helper,
                               GAsyncResult    *result,
                               GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
on_async_load_ready (gpointer user_data)
{
  GTask *task = user_data;
  TestAsyncHelper *self = g_task_get_source_object (task);
  GBytes *data = g_task_get_task_data (task);

  self->pending = FALSE;
  if (g_bytes_get_size (data) == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "nothing to restore");
      return G_SOURCE_REMOVE;
    }
  g_clear_pointer (&self->state, g_bytes_unref);
  self->state = g_bytes_ref (data);
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
test_async_helper_load_async (Vmstate1Helper      *helper,
                              GBytes              *data,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TestAsyncHelper *self = TEST_ASYNC_HELPER (helper);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_task_data (task, g_bytes_ref (data),
                        (GDestroyNotify) g_bytes_unref);
  self->pending = TRUE;
  g_timeout_add_full (G_PRIORITY_DEFAULT, 200, on_async_load_ready, task,
                      g_object_unref);
}

static gboolean
test_async_helper_load_finish (Vmstate1Helper  *helper,
                               GAsyncResult    *result,
                               GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_async_helper_finalize (GObject *object)
{
  TestAsyncHelper *self = TEST_ASYNC_HELPER (object);

  g_clear_pointer (&self->state, g_bytes_unref);
  G_OBJECT_CLASS (test_async_helper_parent_class)->finalize (object);
}

static void
test_async_helper_class_init (TestAsyncHelperClass *klass)
{
  Vmstate1HelperClass *helper_class = VMSTATE1_HELPER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_async_helper_finalize;
  helper_class->save_async = test_async_helper_save_async;
  helper_class->save_finish = test_async_helper_save_finish;
  helper_class->load_async = test_async_helper_load_async;
  helper_class->load_finish = test_async_helper_load_finish;
}

static void
test_async_helper_init (TestAsyncHelper *self)
{
  self->state = g_bytes_new_static ("async state", 11);
}

typedef struct
{
  Fixture *fixture;
  GBytes *bytes;
  GError *error;
  gboolean done;
} PendingSave;

static void
on_pending_save (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PendingSave *pending = user_data;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &pending->error);
  if (reply != NULL)
    {
      g_autoptr(GVariant) array = g_variant_get_child_value (reply, 0);
      pending->bytes = g_variant_get_data_as_bytes (array);
    }
  pending->done = TRUE;
}

static void
test_async_vfuncs (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(TestAsyncHelper) slow = NULL;
  g_autoptr(Vmstate1Helper) quick = start_helper (fixture, "quick",
                                                  test_recorder_new_text ("quick"));
  g_autoptr(GBytes) quick_saved = NULL;
  g_autoptr(GBytes) fresh = g_bytes_new_static ("restored", 8);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;
  PendingSave pending = { fixture, NULL, NULL, FALSE };

  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  slow = g_object_new (TEST_TYPE_ASYNC_HELPER, "id", "slow", NULL);
  g_assert_true (vmstate1_helper_export (VMSTATE1_HELPER (slow), connection,
                                         &error));
  g_assert_no_error (error);

  g_dbus_connection_call (fixture->caller,
                          g_dbus_connection_get_unique_name (connection),
                          VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE, "Save",
                          NULL, G_VARIANT_TYPE ("(ay)"),
                          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, on_pending_save,
                          &pending);
  /* While the slow Save waits, the main loop still serves others. */
  while (!slow->pending)
    g_main_context_iteration (NULL, TRUE);
  quick_saved = call_save (fixture, helper_name (quick), &error);
  g_assert_no_error (error);
  g_assert_true (slow->pending);
  g_assert_true (test_wait_for (&pending.done, 5000));
  g_assert_no_error (pending.error);
  g_assert_cmpmem (g_bytes_get_data (pending.bytes, NULL),
                   g_bytes_get_size (pending.bytes), "async state", 11);
  g_bytes_unref (pending.bytes);

  g_assert_true (call_load (fixture,
                            g_dbus_connection_get_unique_name (connection),
                            fresh, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (slow->state, fresh));

  /* An async failure carries its message. */
  test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO,
                         "Id 'slow': Load failed: nothing to restore");
  g_assert_false (call_load (fixture,
                             g_dbus_connection_get_unique_name (connection),
                             empty, &error));
  test_log_assert_expected ();
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED);
  g_assert_true (g_bytes_equal (slow->state, fresh));

  vmstate1_helper_unexport (VMSTATE1_HELPER (slow));
  test_recorder_stop (g_steal_pointer (&quick));
}

static void
on_pending_load (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PendingSave *pending = user_data;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &pending->error);
  pending->done = TRUE;
}

/* While an asynchronous Load runs, another Load or a Save is refused
 * rather than run on a half-restored state. */
static void
test_busy_refusals (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(TestAsyncHelper) slow = NULL;
  g_autoptr(GBytes) fresh = g_bytes_new_static ("restored", 8);
  g_autoptr(GBytes) other = g_bytes_new_static ("other", 5);
  g_autoptr(GError) error = NULL;
  PendingSave pending = { fixture, NULL, NULL, FALSE };
  GVariant *array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                              fresh, TRUE);
  const char *name;

  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  slow = g_object_new (TEST_TYPE_ASYNC_HELPER, "id", "busy", NULL);
  g_assert_true (vmstate1_helper_export (VMSTATE1_HELPER (slow), connection,
                                         &error));
  g_assert_no_error (error);
  name = g_dbus_connection_get_unique_name (connection);

  g_dbus_connection_call (fixture->caller, name, VMSTATE1_OBJECT_PATH,
                          VMSTATE1_INTERFACE, "Load",
                          g_variant_new_tuple (&array, 1), NULL,
                          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, on_pending_load,
                          &pending);
  while (!slow->pending)
    g_main_context_iteration (NULL, TRUE);

  g_assert_null (call_save (fixture, name, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  assert_message_has (error, "Id 'busy': Save refused while a Load is in "
                             "progress");
  g_clear_error (&error);
  g_assert_false (call_load (fixture, name, other, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED);
  assert_message_has (error, "the state is unchanged");

  /* The first Load completes as if nothing happened. */
  g_assert_true (test_wait_for (&pending.done, 5000));
  g_assert_no_error (pending.error);
  g_assert_true (g_bytes_equal (slow->state, fresh));
  vmstate1_helper_unexport (VMSTATE1_HELPER (slow));
}

static void
test_unexport_releases_name (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "leaving",
                                                   test_recorder_new_text ("x"));
  g_autoptr(GDBusConnection) connection = NULL;
  g_autofree char *name = g_strdup (helper_name (helper));
  g_auto(GStrv) before = queued_owners (fixture);
  g_autoptr(GError) error = NULL;

  connection = g_object_ref (vmstate1_helper_get_connection (helper));
  g_assert_true (g_strv_contains ((const char * const *) before, name));
  vmstate1_helper_unexport (helper);
  g_assert_false (vmstate1_helper_get_exported (helper));
  g_assert_null (vmstate1_helper_get_connection (helper));

  assert_leaves_queue (fixture, name);
  /* And the object is gone: QEMU could not call it by its unique name. */
  g_assert_null (call_save (fixture, name, &error));
  g_assert_nonnull (error);

  /* The connection may export again, under another Id. */
  {
    g_autoptr(Vmstate1Helper) again = vmstate1_helper_new ("back", NULL);
    g_clear_error (&error);
    g_assert_true (vmstate1_helper_export (again, connection, &error));
    g_assert_no_error (error);
    vmstate1_helper_unexport (again);
  }
}

static void
on_exported_changed (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  gboolean *lost = user_data;

  if (!vmstate1_helper_get_exported (VMSTATE1_HELPER (object)))
    *lost = TRUE;
}

static void
test_bus_death (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "orphan",
                                                   test_recorder_new_text ("x"));
  gboolean lost = FALSE;

  g_signal_connect (helper, "notify::exported",
                    G_CALLBACK (on_exported_changed), &lost);
  test_log_expect ("Vmstate1", G_LOG_LEVEL_MESSAGE,
                         "Id 'orphan': the bus connection closed*");
  test_bus_kill (fixture->bus);
  g_assert_true (test_wait_for (&lost, 5000));
  test_log_assert_expected ();
  g_assert_false (vmstate1_helper_get_exported (helper));
  g_assert_null (vmstate1_helper_get_connection (helper));
  /* Unexport after the fact is harmless. */
  vmstate1_helper_unexport (helper);
}

static void
test_introspection (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "seen",
                                                   test_recorder_new_text ("x"));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  const char *xml;
  GDBusInterfaceInfo *iface;
  const char *id = NULL;

  reply = test_call (fixture->caller, helper_name (helper),
                     VMSTATE1_OBJECT_PATH,
                     "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                     G_VARIANT_TYPE ("(s)"), 5000, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  iface = g_dbus_node_info_lookup_interface (node, VMSTATE1_INTERFACE);
  g_assert_nonnull (iface);
  g_assert_nonnull (g_dbus_interface_info_lookup_method (iface, "Save"));
  g_assert_nonnull (g_dbus_interface_info_lookup_method (iface, "Load"));
  g_assert_cmpstr (g_dbus_interface_info_lookup_property (iface, "Id")->signature,
                   ==, "s");

  /* QEMU's proxy reads the Id with GetAll. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = test_call (fixture->caller, helper_name (helper),
                     VMSTATE1_OBJECT_PATH, "org.freedesktop.DBus.Properties",
                     "GetAll", g_variant_new ("(s)", VMSTATE1_INTERFACE),
                     G_VARIANT_TYPE ("(a{sv})"), 5000, &error);
  g_assert_no_error (error);
  props = g_variant_get_child_value (reply, 0);
  g_assert_true (g_variant_lookup (props, "Id", "&s", &id));
  g_assert_cmpstr (id, ==, "seen");

  test_recorder_stop (g_steal_pointer (&helper));
}

static void
on_signal_count (Vmstate1Helper *helper,
                 gpointer        user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_signals (Fixture       *fixture,
              gconstpointer  data)
{
  TestRecorder *state = test_recorder_new_text ("x");
  g_autoptr(Vmstate1Helper) helper = start_helper (fixture, "signals", state);
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  guint saved_count = 0, loaded_count = 0;

  g_signal_connect (helper, "saved", G_CALLBACK (on_signal_count),
                    &saved_count);
  g_signal_connect (helper, "loaded", G_CALLBACK (on_signal_count),
                    &loaded_count);
  saved = call_save (fixture, helper_name (helper), NULL);
  g_assert_cmpuint (saved_count, ==, 1);
  g_assert_true (call_load (fixture, helper_name (helper), saved, NULL));
  g_assert_cmpuint (loaded_count, ==, 1);

  /* A failure emits nothing. */
  state->fail_silently = TRUE;
  test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO, "*without saying*");
  g_assert_false (call_load (fixture, helper_name (helper), empty, NULL));
  test_log_assert_expected ();
  g_assert_cmpuint (loaded_count, ==, 1);

  test_recorder_stop (g_steal_pointer (&helper));
}

static void
test_register (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  gboolean freed = FALSE;
  TestRecorder *state = test_recorder_new_text ("registered");
  g_autoptr(GBytes) saved = NULL;
  g_auto(GStrv) owners = NULL;
  guint registration;

  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  g_assert_no_error (error);
  state->freed = &freed;
  registration = vmstate1_register (connection, "tiny", test_recorder_save,
                                    test_recorder_load, state, test_recorder_free,
                                    &error);
  g_assert_no_error (error);
  g_assert_cmpuint (registration, !=, 0);

  /* Registered means queued: visible at once. */
  owners = queued_owners (fixture);
  g_assert_true (g_strv_contains ((const char * const *) owners,
                                  g_dbus_connection_get_unique_name (connection)));
  saved = call_save (fixture, g_dbus_connection_get_unique_name (connection),
                     &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (saved, state->state));

  vmstate1_unregister (registration);
  g_assert_true (freed);
  assert_leaves_queue (fixture, g_dbus_connection_get_unique_name (connection));

  /* A refused registration frees the user data too. */
  freed = FALSE;
  state = test_recorder_new_text ("x");
  state->freed = &freed;
  registration = vmstate1_register (connection, "", test_recorder_save,
                                    test_recorder_load, state, test_recorder_free,
                                    &error);
  g_assert_cmpuint (registration, ==, 0);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  g_assert_true (freed);
}

/* A bus that is not there: the error names the address. */
static void
test_connect_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;

  connection = vmstate1_connect ("unix:path=/nonexistent/vm.bus", NULL,
                                 &error);
  g_assert_null (connection);
  /* A local failure keeps GIO's domain and code, with the address. */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_message_has (error, "unix:path=/nonexistent/vm.bus");
}

/* A bus whose policy forbids the name: export fails, saying what the
 * policy must allow, and leaves nothing exported. */
static void
test_name_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestBus) bus = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(Vmstate1Helper) helper = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  guint registration;

  bus = test_bus_new_with_rules ("<deny own=\"org.qemu.VMState1\"/>", &error);
  g_assert_no_error (error);
  connection = vmstate1_connect (test_bus_get_address (bus), NULL, &error);
  g_assert_no_error (error);
  helper = vmstate1_helper_new ("unwelcome", NULL);
  g_assert_false (vmstate1_helper_export (helper, connection, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED);
  assert_message_has (error, "Id 'unwelcome'");
  assert_message_has (error, "bus policy must allow owning");
  g_assert_false (vmstate1_helper_get_exported (helper));
  g_clear_error (&error);

  /* The object went away with the refusal: the path is free again. */
  node = g_dbus_node_info_new_for_xml ("<node><interface name='"
                                       VMSTATE1_INTERFACE "'/></node>",
                                       &error);
  g_assert_no_error (error);
  registration = g_dbus_connection_register_object (
      connection, VMSTATE1_OBJECT_PATH, node->interfaces[0], NULL, NULL, NULL,
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (registration, !=, 0);
  g_dbus_connection_unregister_object (connection, registration);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} Exported;

static void
on_export_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Exported *exported = user_data;

  exported->ok = vmstate1_helper_export_finish (VMSTATE1_HELPER (source),
                                                result, &exported->error);
  exported->done = TRUE;
}

/* An export that the caller cancels, or that unexport ends before the
 * bus has answered, fails saying so and leaves nothing in the queue. */
static void
test_export_interrupted (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(Vmstate1Helper) helper = vmstate1_helper_new ("interrupted",
                                                          NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Exported cancelled = { 0 }, unexported = { 0 };

  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  g_assert_no_error (error);

  /* Cancelled before the bus could answer. */
  g_cancellable_cancel (cancellable);
  vmstate1_helper_export_async (helper, connection, cancellable,
                                on_export_done, &cancelled);
  g_assert_true (test_wait_for (&cancelled.done, 10000));
  g_assert_false (cancelled.ok);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_message_has (cancelled.error, "Id 'interrupted': export cancelled");
  g_assert_false (vmstate1_helper_get_exported (helper));
  assert_leaves_queue (fixture, g_dbus_connection_get_unique_name (connection));
  g_clear_error (&cancelled.error);

  /* Cancelled while the bus is asked. */
  {
    g_autoptr(GCancellable) later = g_cancellable_new ();
    Exported midway = { 0 };

    vmstate1_helper_export_async (helper, connection, later, on_export_done,
                                  &midway);
    g_cancellable_cancel (later);
    g_assert_true (test_wait_for (&midway.done, 10000));
    g_assert_false (midway.ok);
    g_assert_error (midway.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    assert_message_has (midway.error, "Id 'interrupted': export cancelled");
    g_assert_false (vmstate1_helper_get_exported (helper));
    assert_leaves_queue (fixture,
                         g_dbus_connection_get_unique_name (connection));
    g_clear_error (&midway.error);
  }

  /* Unexported while the bus is asked. */
  vmstate1_helper_export_async (helper, connection, NULL, on_export_done,
                                &unexported);
  vmstate1_helper_unexport (helper);
  g_assert_true (test_wait_for (&unexported.done, 10000));
  g_assert_false (unexported.ok);
  g_assert_error (unexported.error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED);
  assert_message_has (unexported.error, "before the export finished");
  g_assert_false (vmstate1_helper_get_exported (helper));
  assert_leaves_queue (fixture, g_dbus_connection_get_unique_name (connection));
  g_clear_error (&unexported.error);

  /* And the helper exports fine afterwards. */
  g_assert_true (vmstate1_helper_export (helper, connection, &error));
  g_assert_no_error (error);
  vmstate1_helper_unexport (helper);
}

/* Export on a connection that is already closed. */
static void
test_export_closed (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(Vmstate1Helper) helper = vmstate1_helper_new ("late", NULL);

  connection = vmstate1_connect (test_bus_get_address (fixture->bus), NULL,
                                 &error);
  g_assert_no_error (error);
  g_assert_true (g_dbus_connection_close_sync (connection, NULL, &error));
  g_assert_false (vmstate1_helper_export (helper, connection, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  assert_message_has (error, "closed");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_log_init ();

#define ADD(path, func) \
  g_test_add ("/vmstate1/helper/" path, Fixture, NULL,                      \
              test_bus_fixture_setup, func, test_bus_fixture_teardown)

  ADD ("two-helpers", test_two_helpers);
  ADD ("ten-helpers", test_ten_helpers);
  ADD ("save-sizes", test_save_sizes);
  ADD ("load-sizes", test_load_sizes);
  ADD ("load-wrong-signature", test_load_wrong_signature);
  ADD ("duplicate-id", test_duplicate_id);
  ADD ("duplicate-id-other-process", test_duplicate_id_other_process);
  ADD ("one-id-per-connection", test_one_id_per_connection);
  ADD ("invalid-id-on-export", test_invalid_id_on_export);
  ADD ("callback-errors", test_callback_errors);
  ADD ("async-vfuncs", test_async_vfuncs);
  ADD ("busy-refusals", test_busy_refusals);
  ADD ("unexport-releases-name", test_unexport_releases_name);
  ADD ("bus-death", test_bus_death);
  ADD ("introspection", test_introspection);
  ADD ("signals", test_signals);
  ADD ("register", test_register);
  ADD ("export-closed", test_export_closed);
  ADD ("export-interrupted", test_export_interrupted);
  g_test_add_func ("/vmstate1/helper/connect-fails", test_connect_fails);
  g_test_add_func ("/vmstate1/helper/name-refused", test_name_refused);

#undef ADD

  return g_test_run ();
}
