/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vmstate1Vm: list_helpers, save and load on real private dbus-daemons.
 *
 * Most helpers live on this thread, each on a connection of its own, so
 * the Vm is driven through its _async functions while the main context
 * runs; the tests with helper processes drive the blocking functions.
 * Vmstate1Helper-based helpers are exported before any "raw" one on a
 * bus: an export checks the Id of every helper already there, and a raw
 * helper of this thread could not answer it while the export blocks.
 *
 * The stale/ and warm/ tests are issue #10: a Vm remembers which unique
 * name has which Id, and must never act on an Id that is no longer
 * true. */
#include <signal.h>
#include <string.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-raw-helper.h"
#include "harness/test-recorder.h"

#define MiB (1024 * 1024)

typedef struct
{
  TestBus *source;
  TestBus *destination;
  GDBusConnection *source_bus;       /* plays QEMU on the source */
  GDBusConnection *destination_bus;  /* and on the destination */
  Vmstate1Vm *source_vm;
  Vmstate1Vm *destination_vm;
  GPtrArray *cleanups;               /* of GDestroyNotify-ed closures */
} Fixture;

typedef struct
{
  GDestroyNotify func;
  gpointer data;
} Cleanup;

static void
run_cleanup (gpointer data)
{
  Cleanup *cleanup = data;

  cleanup->func (cleanup->data);
  g_free (cleanup);
}

/* Cleanups run last first, before the buses go. */
static void
fixture_defer (Fixture        *fixture,
               GDestroyNotify  func,
               gpointer        data)
{
  Cleanup *cleanup = g_new0 (Cleanup, 1);

  cleanup->func = func;
  cleanup->data = data;
  g_ptr_array_add (fixture->cleanups, cleanup);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->source = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->destination = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->source_bus = vmstate1_connect (test_bus_get_address (fixture->source),
                                          NULL, &error);
  g_assert_no_error (error);
  fixture->destination_bus = vmstate1_connect (
      test_bus_get_address (fixture->destination), NULL, &error);
  g_assert_no_error (error);
  fixture->source_vm = vmstate1_vm_new (fixture->source_bus);
  fixture->destination_vm = vmstate1_vm_new (fixture->destination_bus);
  fixture->cleanups = g_ptr_array_new ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  while (fixture->cleanups->len > 0)
    run_cleanup (g_ptr_array_steal_index (fixture->cleanups,
                                           fixture->cleanups->len - 1));
  g_ptr_array_unref (fixture->cleanups);
  g_clear_object (&fixture->source_vm);
  g_clear_object (&fixture->destination_vm);
  /* Let closed connections and late replies settle. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_dbus_connection_close_sync (fixture->source_bus, NULL, NULL);
  g_dbus_connection_close_sync (fixture->destination_bus, NULL, NULL);
  g_clear_object (&fixture->source_bus);
  g_clear_object (&fixture->destination_bus);
  g_clear_pointer (&fixture->source, test_bus_free);
  g_clear_pointer (&fixture->destination, test_bus_free);
}

static void
assert_message_has (const GError *error,
                    const char   *words)
{
  if (strstr (error->message, words) == NULL)
    g_error ("error message '%s' does not say '%s'", error->message, words);
}

static GBytes *
random_bytes (gsize size)
{
  guint8 *data = g_malloc (size ? size : 1);

  for (gsize i = 0; i < size; i++)
    data[i] = g_random_int_range (0, 256);
  return g_bytes_new_take (data, size);
}

/* A Vmstate1Helper with handlers: Load keeps what it got and Save
 * returns it from then on. */
typedef struct
{
  GBytes *state;
  guint saves;
  guint loads;
  GError *fail_with;
} TestState;

static void
test_state_free (gpointer data)
{
  TestState *state = data;

  g_clear_pointer (&state->state, g_bytes_unref);
  g_clear_error (&state->fail_with);
  g_free (state);
}

static GBytes *
test_state_save (gpointer   user_data,
                 GError   **error)
{
  TestState *state = user_data;

  state->saves++;
  if (state->fail_with != NULL)
    {
      g_propagate_error (error, g_error_copy (state->fail_with));
      return NULL;
    }
  return g_bytes_ref (state->state);
}

static gboolean
test_state_load (GBytes    *data,
                 gpointer   user_data,
                 GError   **error)
{
  TestState *state = user_data;

  state->loads++;
  if (state->fail_with != NULL)
    {
      g_propagate_error (error, g_error_copy (state->fail_with));
      return FALSE;
    }
  g_clear_pointer (&state->state, g_bytes_unref);
  state->state = g_bytes_ref (data);
  return TRUE;
}

static void
stop_helper (gpointer data)
{
  Vmstate1Helper *helper = data;
  g_autoptr(GDBusConnection) connection = NULL;

  if (vmstate1_helper_get_connection (helper) != NULL)
    {
      connection = g_object_ref (vmstate1_helper_get_connection (helper));
      vmstate1_helper_unexport (helper);
      g_dbus_connection_close_sync (connection, NULL, NULL);
    }
  g_object_unref (helper);
}

static void
export_helper (Fixture        *fixture,
               TestBus        *bus,
               Vmstate1Helper *helper)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;

  connection = vmstate1_connect (test_bus_get_address (bus), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vmstate1_helper_export (helper, connection, &error));
  g_assert_no_error (error);
  fixture_defer (fixture, stop_helper, helper);
}

/* Owned by the helper, which the fixture stops. */
static TestState *
start_helper (Fixture    *fixture,
              TestBus    *bus,
              const char *id,
              GBytes     *state_bytes)
{
  g_autoptr(GError) error = NULL;
  Vmstate1Helper *helper;
  TestState *state = g_new0 (TestState, 1);

  state->state = state_bytes;
  helper = vmstate1_helper_new (id, &error);
  g_assert_no_error (error);
  vmstate1_helper_set_handlers (helper, test_state_save, test_state_load,
                                state, test_state_free);
  export_helper (fixture, bus, helper);
  return state;
}

static const char *
helper_unique_name (Vmstate1Helper *helper)
{
  return g_dbus_connection_get_unique_name (
      vmstate1_helper_get_connection (helper));
}

/* A helper whose Save answers only once a gate has as many Saves
 * waiting as it was told: if the Vm called helpers one after another
 * the first would never answer. A gate that never opens hangs. */
typedef struct
{
  guint size;
  GPtrArray *tasks;
} Gate;

#define TEST_TYPE_GATED_HELPER (test_gated_helper_get_type ())
G_DECLARE_FINAL_TYPE (TestGatedHelper, test_gated_helper, TEST, GATED_HELPER,
                      Vmstate1Helper)

struct _TestGatedHelper
{
  Vmstate1Helper parent;
  GBytes *state;
  Gate *gate;
};

G_DEFINE_TYPE (TestGatedHelper, test_gated_helper, VMSTATE1_TYPE_HELPER)

static void
gate_open (Gate *gate)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&gate->tasks);

  gate->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);
      TestGatedHelper *self = g_task_get_source_object (task);

      g_task_return_pointer (task, g_bytes_ref (self->state),
                             (GDestroyNotify) g_bytes_unref);
    }
}

static void
test_gated_helper_save_async (Vmstate1Helper      *helper,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TestGatedHelper *self = TEST_GATED_HELPER (helper);

  g_ptr_array_add (self->gate->tasks,
                   g_task_new (self, NULL, callback, user_data));
  if (self->gate->tasks->len == self->gate->size)
    gate_open (self->gate);
}

static GBytes *
test_gated_helper_save_finish (Vmstate1Helper  *helper,
                               GAsyncResult    *result,
                               GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_gated_helper_finalize (GObject *object)
{
  TestGatedHelper *self = TEST_GATED_HELPER (object);

  g_clear_pointer (&self->state, g_bytes_unref);
  G_OBJECT_CLASS (test_gated_helper_parent_class)->finalize (object);
}

static void
test_gated_helper_class_init (TestGatedHelperClass *klass)
{
  Vmstate1HelperClass *helper_class = VMSTATE1_HELPER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_gated_helper_finalize;
  helper_class->save_async = test_gated_helper_save_async;
  helper_class->save_finish = test_gated_helper_save_finish;
}

static void
test_gated_helper_init (TestGatedHelper *self)
{
}

/* Saves still waiting at the end are answered, so that nothing leaks. */
static void
gate_free (gpointer data)
{
  Gate *gate = data;

  gate_open (gate);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (gate->tasks);
  g_free (gate);
}

static Gate *
gate_new (Fixture *fixture,
          guint    size)
{
  Gate *gate = g_new0 (Gate, 1);

  gate->size = size;
  gate->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  fixture_defer (fixture, gate_free, gate);
  return gate;
}

static TestGatedHelper *
start_gated_helper (Fixture    *fixture,
                    TestBus    *bus,
                    const char *id,
                    Gate       *gate)
{
  TestGatedHelper *helper = g_object_new (TEST_TYPE_GATED_HELPER, "id", id,
                                          NULL);

  helper->gate = gate;
  helper->state = g_bytes_new (id, strlen (id));
  export_helper (fixture, bus, VMSTATE1_HELPER (helper));
  return helper;
}

/* A helper written by hand, to be what the library would refuse to
 * export: an empty or overlong Id, a duplicate, an empty state, a
 * foreign error, a process that leaves the bus in the middle of Save. It
 * lives on this thread's main context; @id NULL: reading the Id fails;
 * @state (taken; NULL: the Id's bytes) is what Save returns until a Load
 * replaces it. */
static TestRawHelper *
start_raw_helper (Fixture         *fixture,
                  TestBus         *bus,
                  const char      *id,
                  TestRawSaveMode  mode,
                  GBytes          *state)
{
  g_autoptr(GBytes) saved = state != NULL
                                ? state
                                : g_bytes_new (id, id ? strlen (id) : 0);
  const TestRawSpec spec = {
    .id_mode = id != NULL ? TEST_RAW_ID_STRING : TEST_RAW_ID_FAILS,
    .id = id,
    .save_mode = mode,
    .state = saved,
    .error_name = "com.example.Error.Broken",
    .save_error = "the disk is gone",
  };
  TestRawHelper *raw = test_raw_helper_start_here (test_bus_get_address (bus),
                                                   &spec);

  fixture_defer (fixture, (GDestroyNotify) test_raw_helper_stop, raw);
  return raw;
}

/* The Vm, driven from this thread's main context. */

typedef struct
{
  GAsyncResult *result;
  gboolean done;
} Pending;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pending *pending = user_data;

  pending->result = g_object_ref (result);
  pending->done = TRUE;
}

static GAsyncResult *
pending_wait (Pending *pending)
{
  g_assert_true (test_wait_for (&pending->done, 60000));
  return pending->result;
}

/* timeout_msec -1: the default. */
static void
vm_configure (Vmstate1Vm          *vm,
              const char * const  *id_list,
              int                  timeout_msec)
{
  vmstate1_vm_set_id_list (vm, id_list);
  vmstate1_vm_set_timeout_msec (vm, timeout_msec == -1
                                        ? VMSTATE1_DEFAULT_TIMEOUT_MSEC
                                        : timeout_msec);
}

static GPtrArray *
list_helpers (Vmstate1Vm          *vm,
              const char * const  *id_list,
              GError             **error)
{
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;

  vm_configure (vm, id_list, -1);
  vmstate1_vm_list_helpers_async (vm, NULL, on_done, &pending);
  result = pending_wait (&pending);
  return vmstate1_vm_list_helpers_finish (vm, result, error);
}

static Vmstate1States *
save (Vmstate1Vm          *vm,
      const char * const  *id_list,
      int                  timeout_msec,
      GCancellable        *cancellable,
      GError             **error)
{
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;

  vm_configure (vm, id_list, timeout_msec);
  vmstate1_vm_save_async (vm, cancellable, on_done, &pending);
  result = pending_wait (&pending);
  return vmstate1_vm_save_finish (vm, result, error);
}

static gboolean
load (Vmstate1Vm          *vm,
      Vmstate1States      *states,
      const char * const  *id_list,
      int                  timeout_msec,
      GError             **error)
{
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;

  vm_configure (vm, id_list, timeout_msec);
  vmstate1_vm_load_async (vm, states, NULL, on_done, &pending);
  result = pending_wait (&pending);
  return vmstate1_vm_load_finish (vm, result, error);
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* A call abandoned after another helper failed may still reach its
 * helper: wait for it rather than race it. */
static void
wait_for_count (const guint *count,
                guint        expected)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint source = g_timeout_add (50, wake_up, NULL);

  while (*count < expected && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (source);
  g_assert_cmpuint (*count, ==, expected);
}

/* States from Id, text pairs. */
static Vmstate1States *
states_new (const char *first_id,
            ...)
{
  Vmstate1States *states = vmstate1_states_new ();
  va_list args;

  va_start (args, first_id);
  for (const char *id = first_id; id != NULL; id = va_arg (args, const char *))
    {
      const char *text = va_arg (args, const char *);
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
      g_autoptr(GError) error = NULL;

      g_assert_true (vmstate1_states_add (states, id, bytes, &error));
      g_assert_no_error (error);
    }
  va_end (args);
  return states;
}

static void
assert_states_equal (Vmstate1States *a,
                     Vmstate1States *b)
{
  g_autoptr(GBytes) a_blob = vmstate1_states_encode (a);
  g_autoptr(GBytes) b_blob = vmstate1_states_encode (b);

  g_assert_cmpuint (vmstate1_states_get_length (a), ==,
                    vmstate1_states_get_length (b));
  g_assert_true (g_bytes_equal (a_blob, b_blob));
}

static void
assert_state_is (Vmstate1States *states,
                 const char     *id,
                 const char     *text)
{
  GBytes *state = vmstate1_states_lookup (states, id);

  g_assert_nonnull (state);
  g_assert_cmpmem (g_bytes_get_data (state, NULL), g_bytes_get_size (state),
                   text, strlen (text));
}

static Vmstate1HelperInfo *
find_info (GPtrArray  *infos,
           const char *id)
{
  for (guint i = 0; i < infos->len; i++)
    {
      Vmstate1HelperInfo *info = g_ptr_array_index (infos, i);

      if (g_str_equal (vmstate1_helper_info_get_id (info), id))
        return info;
    }
  return NULL;
}

/* The calls the caller's connection sends, counted as they go out:
 * what a save costs on the bus. */
typedef struct
{
  gint id_reads;   /* Properties.Get and GetAll */
  gint listings;   /* ListQueuedOwners */
  gint saves;
  gint loads;
  /* Called (in GDBus's thread) as each Save goes out. */
  void (*on_save_sent) (gpointer user_data);
  gpointer user_data;
} CallCount;

static GDBusMessage *
count_calls (GDBusConnection *connection,
             GDBusMessage    *message,
             gboolean         incoming,
             gpointer         user_data)
{
  CallCount *count = user_data;
  const char *interface, *member;

  if (incoming
      || g_dbus_message_get_message_type (message)
             != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  interface = g_dbus_message_get_interface (message);
  member = g_dbus_message_get_member (message);
  if (g_strcmp0 (interface, "org.freedesktop.DBus.Properties") == 0
      && (g_strcmp0 (member, "Get") == 0 || g_strcmp0 (member, "GetAll") == 0))
    g_atomic_int_inc (&count->id_reads);
  else if (g_strcmp0 (member, "ListQueuedOwners") == 0)
    g_atomic_int_inc (&count->listings);
  else if (g_strcmp0 (interface, VMSTATE1_INTERFACE) == 0
           && g_strcmp0 (member, "Save") == 0)
    {
      void (*on_save_sent) (gpointer) = g_atomic_pointer_get (
          &count->on_save_sent);

      g_atomic_int_inc (&count->saves);
      if (on_save_sent != NULL)
        on_save_sent (count->user_data);
    }
  else if (g_strcmp0 (interface, VMSTATE1_INTERFACE) == 0
           && g_strcmp0 (member, "Load") == 0)
    g_atomic_int_inc (&count->loads);
  return message;
}

/* Heap-allocated and freed by the connection: a filter may still run a
 * moment after it is removed. */
static CallCount *
call_count_add (GDBusConnection *connection,
                guint           *filter_id)
{
  CallCount *count = g_new0 (CallCount, 1);

  *filter_id = g_dbus_connection_add_filter (connection, count_calls, count,
                                             g_free);
  return count;
}

static void
call_count_reset (CallCount *count)
{
  g_atomic_int_set (&count->id_reads, 0);
  g_atomic_int_set (&count->listings, 0);
  g_atomic_int_set (&count->saves, 0);
  g_atomic_int_set (&count->loads, 0);
}

/* Properties. */

static void
test_properties (Fixture       *fixture,
                 gconstpointer  data)
{
  const char * const ids[] = { "a", "b", NULL };
  const char * const none[] = { NULL };
  Vmstate1Vm *vm = fixture->source_vm;
  g_autoptr(GDBusConnection) connection = NULL;
  g_auto(GStrv) id_list = NULL;
  int timeout_msec = 0;

  g_assert_true (vmstate1_vm_get_connection (vm) == fixture->source_bus);
  g_assert_cmpint (VMSTATE1_DEFAULT_TIMEOUT_MSEC, ==, 5000);
  g_assert_cmpint (vmstate1_vm_get_timeout_msec (vm), ==,
                   VMSTATE1_DEFAULT_TIMEOUT_MSEC);
  g_assert_null (vmstate1_vm_get_id_list (vm));

  vmstate1_vm_set_id_list (vm, ids);
  g_assert_true (g_strv_equal (vmstate1_vm_get_id_list (vm), ids));
  /* An empty list is not NULL: it selects no helper. */
  vmstate1_vm_set_id_list (vm, none);
  g_assert_nonnull (vmstate1_vm_get_id_list (vm));
  g_assert_null (vmstate1_vm_get_id_list (vm)[0]);
  vmstate1_vm_set_id_list (vm, NULL);
  g_assert_null (vmstate1_vm_get_id_list (vm));

  vmstate1_vm_set_timeout_msec (vm, 250);
  g_object_set (vm, "id-list", ids, NULL);
  g_object_get (vm, "connection", &connection, "id-list", &id_list,
                "timeout-msec", &timeout_msec, NULL);
  g_assert_true (connection == fixture->source_bus);
  g_assert_true (g_strv_equal ((const char * const *) id_list, ids));
  g_assert_cmpint (timeout_msec, ==, 250);
}

/* Round trips. */

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  guint n = GPOINTER_TO_UINT (data);
  g_autofree TestState **sources = g_new0 (TestState *, n);
  g_autofree TestState **destinations = g_new0 (TestState *, n);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(Vmstate1States) again = NULL;
  g_autoptr(Vmstate1States) decoded = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%02u", i);
      /* Sizes from 1 byte up, one of them the 1 MiB limit. */
      gsize size = i == 3 ? MiB : 1 + g_random_int_range (0, 4096) * (i + 1);

      sources[i] = start_helper (fixture, fixture->source, id,
                                 random_bytes (size));
      destinations[i] = start_helper (fixture, fixture->destination, id,
                                      g_bytes_new_static ("old", 3));
    }

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, n);
  ids = vmstate1_states_dup_ids (states);
  g_assert_cmpuint (g_strv_length (ids), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%02u", i);

      /* Sorted by Id. */
      g_assert_cmpstr (ids[i], ==, id);
      g_assert_cmpuint (sources[i]->saves, ==, 1);
      g_assert_true (g_bytes_equal (vmstate1_states_lookup (states, id),
                                    sources[i]->state));
    }

  /* What crosses the migration stream. */
  blob = vmstate1_states_encode (states);
  decoded = vmstate1_states_decode (blob, &error);
  g_assert_no_error (error);
  assert_states_equal (decoded, states);

  g_assert_true (load (fixture->destination_vm, decoded, NULL, -1, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (destinations[i]->loads, ==, 1);
      g_assert_true (g_bytes_equal (destinations[i]->state,
                                    sources[i]->state));
    }

  /* The destination saves byte for byte what the source saved. */
  again = save (fixture->destination_vm, NULL, 2000, NULL, &error);
  g_assert_no_error (error);
  assert_states_equal (again, states);
}

static void
test_concurrent (Fixture       *fixture,
                 gconstpointer  data)
{
  Gate *gate = gate_new (fixture, 8);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < gate->size; i++)
    {
      g_autofree char *id = g_strdup_printf ("gated-%u", i);
      start_gated_helper (fixture, fixture->source, id, gate);
    }
  /* Each Save answers only once all 8 are waiting. */
  states = save (fixture->source_vm, NULL, 10000, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 8);
  assert_state_is (states, "gated-7", "gated-7");
}

/* Several operations of one Vm at once, many times: each gets every
 * helper's own state, whatever the others do. */
static void
test_concurrent_same_vm (Fixture       *fixture,
                         gconstpointer  data)
{
  enum { N_HELPERS = 8, N_AT_ONCE = 4, N_ROUNDS = 25 };
  TestState *helpers[N_HELPERS];
  g_autoptr(Vmstate1States) loaded = states_new ("h0", "loaded", NULL);

  for (guint i = 0; i < N_HELPERS; i++)
    {
      g_autofree char *id = g_strdup_printf ("h%u", i);
      helpers[i] = start_helper (fixture, fixture->source, id,
                                 g_bytes_new (id, strlen (id)));
    }
  /* A Vm that has not saved yet, and one that has. */
  for (guint round = 0; round < N_ROUNDS; round++)
    {
      g_autoptr(Vmstate1Vm) vm = NULL;
      Pending saves[N_AT_ONCE] = { { NULL, FALSE }, };
      Pending loading = { NULL, FALSE };
      Pending listing = { NULL, FALSE };
      g_autoptr(GAsyncResult) load_result = NULL;
      g_autoptr(GAsyncResult) list_result = NULL;
      g_autoptr(GPtrArray) infos = NULL;
      g_autoptr(GError) error = NULL;

      if (round % 2)
        vm = g_object_ref (fixture->source_vm);
      else
        vm = vmstate1_vm_new (fixture->source_bus);
      vm_configure (vm, NULL, -1);
      for (guint i = 0; i < N_AT_ONCE; i++)
        vmstate1_vm_save_async (vm, NULL, on_done, &saves[i]);
      vmstate1_vm_list_helpers_async (vm, NULL, on_done, &listing);
      vmstate1_vm_load_async (vm, loaded, NULL, on_done, &loading);

      for (guint i = 0; i < N_AT_ONCE; i++)
        {
          g_autoptr(GAsyncResult) result = pending_wait (&saves[i]);
          g_autoptr(Vmstate1States) states = NULL;

          states = vmstate1_vm_save_finish (vm, result, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (vmstate1_states_get_length (states), ==,
                            N_HELPERS);
          for (guint j = 1; j < N_HELPERS; j++)
            {
              g_autofree char *id = g_strdup_printf ("h%u", j);
              assert_state_is (states, id, id);
            }
        }
      list_result = pending_wait (&listing);
      infos = vmstate1_vm_list_helpers_finish (vm, list_result, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (infos->len, ==, N_HELPERS);
      load_result = pending_wait (&loading);
      g_assert_true (vmstate1_vm_load_finish (vm, load_result, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (helpers[0]->loads, ==, N_ROUNDS);
  for (guint i = 0; i < N_HELPERS; i++)
    g_assert_cmpuint (helpers[i]->saves, ==, N_ROUNDS * N_AT_ONCE);
}

static void
test_no_helper (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 empty_blob[4] = { 0, 0, 0, 0 };

  helpers = list_helpers (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (helpers->len, ==, 0);

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 0);
  blob = vmstate1_states_encode (states);
  g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob),
                   empty_blob, sizeof empty_blob);
  g_assert_true (load (fixture->destination_vm, states, NULL, -1, &error));
  g_assert_no_error (error);
}

/* Our format carries an empty state, though QEMU could not. */
static void
test_empty_state (Fixture       *fixture,
                  gconstpointer  data)
{
  TestState *loaded = start_helper (fixture, fixture->destination, "empty",
                                    g_bytes_new_static ("old", 3));
  TestRawHelper *raw = start_raw_helper (fixture, fixture->source, "empty",
                                         TEST_RAW_SAVE_DATA,
                                         g_bytes_new (NULL, 0));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (test_raw_helper_get_saves (raw), ==, 1);
  g_assert_nonnull (vmstate1_states_lookup (states, "empty"));
  g_assert_cmpuint (g_bytes_get_size (vmstate1_states_lookup (states, "empty")),
                    ==, 0);

  g_assert_true (load (fixture->destination_vm, states, NULL, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->loads, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (loaded->state), ==, 0);
}

static void
test_list_helpers (Fixture       *fixture,
                   gconstpointer  data)
{
  const char * const two_only[] = { "two", NULL };
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;
  Vmstate1Helper *one = vmstate1_helper_new ("one", &error);
  TestGatedHelper *gated;
  TestRawHelper *raw;

  g_assert_no_error (error);
  export_helper (fixture, fixture->source, one);
  gated = start_gated_helper (fixture, fixture->source, "two",
                              gate_new (fixture, 1));
  raw = start_raw_helper (fixture, fixture->source, "three",
                          TEST_RAW_SAVE_DATA, NULL);

  /* In the order of the queue, which is the order they came in. */
  helpers = list_helpers (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (helpers->len, ==, 3);
  g_assert_cmpstr (vmstate1_helper_info_get_id (helpers->pdata[0]), ==, "one");
  g_assert_cmpstr (vmstate1_helper_info_get_unique_name (helpers->pdata[0]),
                   ==, helper_unique_name (one));
  g_assert_cmpstr (vmstate1_helper_info_get_id (helpers->pdata[1]), ==, "two");
  g_assert_cmpstr (vmstate1_helper_info_get_unique_name (helpers->pdata[1]),
                   ==, helper_unique_name (VMSTATE1_HELPER (gated)));
  g_assert_cmpstr (vmstate1_helper_info_get_id (helpers->pdata[2]), ==,
                   "three");
  g_assert_cmpstr (vmstate1_helper_info_get_unique_name (helpers->pdata[2]),
                   ==, test_raw_helper_get_unique_name (raw));
  /* Listing calls no Save. */
  g_assert_cmpuint (test_raw_helper_get_saves (raw), ==, 0);
  g_clear_pointer (&helpers, g_ptr_array_unref);

  /* With an id-list, the helpers that would take part. */
  helpers = list_helpers (fixture->source_vm, two_only, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (helpers->len, ==, 1);
  g_assert_nonnull (find_info (helpers, "two"));
}

/* id-list. */

static void
test_id_list_subset (Fixture       *fixture,
                     gconstpointer  data)
{
  const char * const id_list[] = { "a", "c", NULL };
  const char * const none[] = { NULL };
  TestState *a = start_helper (fixture, fixture->source, "a",
                               g_bytes_new_static ("A", 1));
  TestState *b = start_helper (fixture, fixture->source, "b",
                               g_bytes_new_static ("B", 1));
  TestState *c = start_helper (fixture, fixture->source, "c",
                               g_bytes_new_static ("C", 1));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(Vmstate1States) nothing = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, id_list, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 2);
  assert_state_is (states, "a", "A");
  assert_state_is (states, "c", "C");
  g_assert_cmpuint (a->saves, ==, 1);
  g_assert_cmpuint (b->saves, ==, 0);
  g_assert_cmpuint (c->saves, ==, 1);

  /* An empty list selects nobody, as QEMU's id-list="" does. */
  nothing = save (fixture->source_vm, none, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (nothing), ==, 0);
  g_assert_cmpuint (a->saves, ==, 1);
}

static void
test_id_list_missing (Fixture       *fixture,
                      gconstpointer  data)
{
  const char * const id_list[] = { "a", "zz", "yy", NULL };
  TestState *a = start_helper (fixture, fixture->source, "a",
                               g_bytes_new_static ("A", 1));
  TestState *b = start_helper (fixture, fixture->source, "b",
                               g_bytes_new_static ("B", 1));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(Vmstate1States) sent = states_new ("a", "A", NULL);
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, id_list, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "'zz', 'yy'");
  g_assert_null (strstr (error->message, "'a'"));
  /* Refused before any Save. */
  g_assert_cmpuint (a->saves, ==, 0);
  g_assert_cmpuint (b->saves, ==, 0);
  g_clear_error (&error);

  /* The same rules on load. */
  g_assert_false (load (fixture->source_vm, sent, id_list, -1, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "'zz', 'yy'");
  g_assert_cmpuint (a->loads, ==, 0);
}

static void
test_id_list_invalid (Fixture       *fixture,
                      gconstpointer  data)
{
  const char * const empty_entry[] = { "a", "", NULL };
  const char * const twice[] = { "a", "b", "a", NULL };
  TestState *a = start_helper (fixture, fixture->source, "a",
                               g_bytes_new_static ("A", 1));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, empty_entry, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  assert_message_has (error, "Entry 2 of the id-list");
  g_clear_error (&error);

  states = save (fixture->source_vm, twice, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
  assert_message_has (error, "'a' twice");
  g_assert_cmpuint (a->saves, ==, 0);
  g_clear_error (&error);

  helpers = list_helpers (fixture->source_vm, twice, &error);
  g_assert_null (helpers);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
}

static void
test_duplicate_on_bus (Fixture       *fixture,
                       gconstpointer  data)
{
  const char * const others[] = { "other", NULL };
  TestRawHelper *first = start_raw_helper (fixture, fixture->source, "dup",
                                           TEST_RAW_SAVE_DATA, NULL);
  TestRawHelper *second = start_raw_helper (fixture, fixture->source, "dup",
                                            TEST_RAW_SAVE_DATA, NULL);
  TestRawHelper *other = start_raw_helper (fixture, fixture->source, "other",
                                           TEST_RAW_SAVE_DATA, NULL);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
  assert_message_has (error, "Id 'dup'");
  assert_message_has (error, test_raw_helper_get_unique_name (first));
  assert_message_has (error, test_raw_helper_get_unique_name (second));
  g_assert_cmpuint (test_raw_helper_get_saves (first)
                    + test_raw_helper_get_saves (second)
                    + test_raw_helper_get_saves (other), ==, 0);
  g_clear_error (&error);

  /* Known now, still refused. */
  helpers = list_helpers (fixture->source_vm, NULL, &error);
  g_assert_null (helpers);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
  g_clear_error (&error);

  /* Helpers left out by the id-list do not count. */
  states = save (fixture->source_vm, others, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (test_raw_helper_get_saves (other), ==, 1);
  g_assert_cmpuint (test_raw_helper_get_saves (first)
                    + test_raw_helper_get_saves (second), ==, 0);
  g_clear_pointer (&states, vmstate1_states_unref);

  /* One of them takes another Id, and says so: no duplicate any more. */
  test_raw_helper_set_id (second, "dup2");
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 3);
  assert_state_is (states, "dup2", "dup");
}

static void
test_invalid_id_on_bus (Fixture       *fixture,
                        gconstpointer  data)
{
  const char * const good[] = { "good", NULL };
  g_autofree char *long_id = g_strnfill (VMSTATE1_ID_MAX_LEN + 1, 'x');
  TestRawHelper *empty, *overlong, *fine;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  fine = start_raw_helper (fixture, fixture->source, "good",
                           TEST_RAW_SAVE_DATA, NULL);
  empty = start_raw_helper (fixture, fixture->source, "", TEST_RAW_SAVE_DATA,
                            g_bytes_new_static ("x", 1));
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  assert_message_has (error,
                      test_raw_helper_get_unique_name (empty));
  assert_message_has (error, "empty");
  g_clear_error (&error);

  /* Left out by an id-list, it does not matter. */
  states = save (fixture->source_vm, good, -1, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&states, vmstate1_states_unref);
  g_assert_cmpuint (test_raw_helper_get_saves (fine), ==, 1);

  test_raw_helper_set_id (empty, "fixed");
  overlong = start_raw_helper (fixture, fixture->source, long_id,
                               TEST_RAW_SAVE_DATA,
                               g_bytes_new_static ("x", 1));
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  assert_message_has (error,
                      test_raw_helper_get_unique_name (overlong));
  assert_message_has (error, "256 bytes");
  g_assert_cmpuint (test_raw_helper_get_saves (overlong), ==, 0);
  g_assert_cmpuint (test_raw_helper_get_saves (empty), ==, 0);
}

static void
test_unreadable_id (Fixture       *fixture,
                    gconstpointer  data)
{
  const char * const good[] = { "good", NULL };
  const char * const missing[] = { "good", "lost", NULL };
  TestRawHelper *fine = start_raw_helper (fixture, fixture->source, "good",
                                          TEST_RAW_SAVE_DATA, NULL);
  TestRawHelper *mute = start_raw_helper (fixture, fixture->source, NULL,
                                          TEST_RAW_SAVE_DATA,
                                          g_bytes_new_static ("x", 1));
  const char *mute_name = test_raw_helper_get_unique_name (mute);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED);
  assert_message_has (error, mute_name);
  assert_message_has (error, "no Id today");
  g_assert_cmpuint (test_raw_helper_get_saves (fine), ==, 0);
  g_clear_error (&error);

  /* With an id-list it cannot be one of the listed... */
  states = save (fixture->source_vm, good, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (test_raw_helper_get_saves (fine), ==, 1);
  g_clear_pointer (&states, vmstate1_states_unref);

  /* ...unless a listed Id is missing: then it is named as a suspect. */
  states = save (fixture->source_vm, missing, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "'lost'");
  assert_message_has (error, mute_name);
  g_assert_cmpuint (test_raw_helper_get_saves (mute), ==, 0);
}

/* Failures of one helper: the whole save fails, naming it; nothing
 * partial comes back. */

static void
test_save_fails (Fixture       *fixture,
                 gconstpointer  data)
{
  TestState *good = start_helper (fixture, fixture->source, "good",
                                  g_bytes_new_static ("G", 1));
  TestState *bad = start_helper (fixture, fixture->source, "bad",
                                 g_bytes_new_static ("B", 1));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  /* Our domain: the helper's code and words survive. */
  bad->fail_with = g_error_new_literal (VMSTATE1_ERROR,
                                        VMSTATE1_ERROR_TOO_LARGE,
                                        "the cache grew to 3 MiB");
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==,
                   "Id 'bad': Save failed: the cache grew to 3 MiB");
  wait_for_count (&good->saves, 1);
  g_clear_error (&error);

  /* Another domain: SaveFailed, with the helper's words. */
  g_clear_error (&bad->fail_with);
  bad->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                                        "disk full");
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  g_assert_cmpstr (error->message, ==, "Id 'bad': Save failed: disk full");
  wait_for_count (&good->saves, 2);
  g_clear_error (&error);

  /* Fixed, the next save has both. */
  g_clear_error (&bad->fail_with);
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 2);
}

static void
test_save_fails_foreign (Fixture       *fixture,
                         gconstpointer  data)
{
  TestRawHelper *raw = start_raw_helper (fixture, fixture->source, "raw",
                                         TEST_RAW_SAVE_ERROR, NULL);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  expected = g_strdup_printf (
      "Id 'raw': helper %s: Save failed: the disk is gone",
      test_raw_helper_get_unique_name (raw));
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpuint (test_raw_helper_get_saves (raw), ==, 1);
}

/* A peer's words reach the caller with their control characters
 * escaped. */
static void
test_save_fails_escaped (Fixture       *fixture,
                         gconstpointer  data)
{
  TestState *bad = start_helper (fixture, fixture->source, "bad",
                                 g_bytes_new_static ("B", 1));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  bad->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                        "line one\nline two\033[31m");
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  assert_message_has (error, "Id 'bad'");
  assert_message_has (error, "line one");
  g_assert_null (strchr (error->message, '\n'));
  g_assert_null (strchr (error->message, '\033'));
}

static void
test_save_too_large (Fixture       *fixture,
                     gconstpointer  data)
{
  TestRawHelper *raw = start_raw_helper (fixture, fixture->source, "huge",
                                         TEST_RAW_SAVE_DATA,
                                         random_bytes (MiB + 1));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE);
  assert_message_has (error, "'huge'");
  assert_message_has (error, "1048577");
  g_assert_cmpuint (test_raw_helper_get_saves (raw), ==, 1);
}

static void
test_save_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  TestState *quick = start_helper (fixture, fixture->source, "quick",
                                   g_bytes_new_static ("Q", 1));
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  start_gated_helper (fixture, fixture->source, "stuck",
                      gate_new (fixture, G_MAXUINT));
  start = g_get_monotonic_time ();
  states = save (fixture->source_vm, NULL, 300, NULL, &error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT);
  assert_message_has (error, "Id 'stuck'");
  assert_message_has (error, "within 300 ms");
  wait_for_count (&quick->saves, 1);
}

static void
test_save_vanishes (Fixture       *fixture,
                    gconstpointer  data)
{
  TestRawHelper *raw = start_raw_helper (fixture, fixture->source, "gone",
                                         TEST_RAW_SAVE_VANISH, NULL);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  assert_message_has (error, "Id 'gone'");
  assert_message_has (error, "left the bus");
  g_assert_cmpuint (test_raw_helper_get_saves (raw), ==, 1);

  /* It is gone from the Vm's knowledge too. */
  g_clear_error (&error);
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 0);
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(Vmstate1States) sent = states_new ("stuck", "S", NULL);
  g_autoptr(GError) error = NULL;
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;

  start_gated_helper (fixture, fixture->source, "stuck",
                      gate_new (fixture, G_MAXUINT));
  g_timeout_add (100, cancel_later, cancellable);
  states = save (fixture->source_vm, NULL, 30000, cancellable, &error);
  g_assert_null (states);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Cancelled before it starts. */
  states = save (fixture->source_vm, NULL, -1, cancellable, &error);
  g_assert_null (states);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  vmstate1_vm_list_helpers_async (fixture->source_vm, cancellable, on_done,
                                  &pending);
  result = pending_wait (&pending);
  g_assert_null (vmstate1_vm_list_helpers_finish (fixture->source_vm, result,
                                                  &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  pending.done = FALSE;
  vm_configure (fixture->source_vm, NULL, -1);
  vmstate1_vm_load_async (fixture->source_vm, sent, cancellable, on_done,
                          &pending);
  result = pending_wait (&pending);
  g_assert_false (vmstate1_vm_load_finish (fixture->source_vm, result,
                                           &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Load. */

static void
test_load_missing_helper (Fixture       *fixture,
                          gconstpointer  data)
{
  const char * const only_a[] = { "a", NULL };
  TestState *a = start_helper (fixture, fixture->destination, "a",
                               g_bytes_new_static ("old", 3));
  TestState *b = start_helper (fixture, fixture->destination, "b",
                               g_bytes_new_static ("old", 3));
  g_autoptr(Vmstate1States) three = states_new ("a", "A", "b", "B", "zz", "Z",
                                                NULL);
  g_autoptr(Vmstate1States) ab = states_new ("a", "A", "b", "B", NULL);
  g_autoptr(Vmstate1States) just_a = states_new ("a", "A", NULL);
  g_autoptr(GError) error = NULL;

  /* No helper for 'zz': refused before any Load. */
  g_assert_false (load (fixture->destination_vm, three, NULL, -1, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "Id 'zz'");
  assert_message_has (error, "no helper was loaded");
  g_assert_cmpuint (a->loads, ==, 0);
  g_assert_cmpuint (b->loads, ==, 0);
  g_clear_error (&error);

  /* 'b' is on the bus but left out by the id-list: refused too. */
  g_assert_false (load (fixture->destination_vm, ab, only_a, -1, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "Id 'b', which the id-list leaves out");
  g_assert_cmpuint (a->loads, ==, 0);
  g_assert_cmpuint (b->loads, ==, 0);
  g_clear_error (&error);

  /* A helper with no state in the set is left alone. */
  g_assert_true (load (fixture->destination_vm, just_a, NULL, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (a->loads, ==, 1);
  g_assert_cmpuint (b->loads, ==, 0);
  g_assert_cmpmem (g_bytes_get_data (a->state, NULL),
                   g_bytes_get_size (a->state), "A", 1);
}

/* A blob that does not decode never reaches a helper. */
static void
test_load_malformed (Fixture       *fixture,
                     gconstpointer  data)
{
  TestState *a = start_helper (fixture, fixture->destination, "a",
                               g_bytes_new_static ("old", 3));
  g_autoptr(Vmstate1States) good = states_new ("a", "A", NULL);
  g_autoptr(GBytes) blob = vmstate1_states_encode (good);
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (
      blob, 0, g_bytes_get_size (blob) - 1);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;

  states = vmstate1_states_decode (truncated, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
  g_clear_error (&error);

  states = vmstate1_states_decode (blob, &error);
  g_assert_no_error (error);
  g_assert_true (load (fixture->destination_vm, states, NULL, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (a->loads, ==, 1);
}

static void
test_load_fails (Fixture       *fixture,
                 gconstpointer  data)
{
  TestState *good = start_helper (fixture, fixture->destination, "good",
                                  g_bytes_new_static ("old", 3));
  TestState *bad = start_helper (fixture, fixture->destination, "bad",
                                 g_bytes_new_static ("old", 3));
  g_autoptr(Vmstate1States) states = states_new ("good", "G", "bad", "B",
                                                 NULL);
  g_autoptr(GError) error = NULL;

  bad->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                        "version 9 is too new");
  g_assert_false (load (fixture->destination_vm, states, NULL, 2000,
                        &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Id 'bad': Load failed: version 9 is too new");
  g_assert_cmpuint (bad->loads, ==, 1);
  wait_for_count (&good->loads, 1);
}
/* The blocking functions, against helper processes. */

typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;
} CounterProcess;

static void
counter_process_free (gpointer data)
{
  CounterProcess *counter = data;

  g_subprocess_send_signal (counter->process, SIGCONT);
  g_subprocess_send_signal (counter->process, SIGTERM);
  g_subprocess_wait (counter->process, NULL, NULL);
  g_object_unref (counter->out);
  g_object_unref (counter->process);
  g_free (counter);
}

static char *
counter_read_line (CounterProcess *counter)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (counter->out, NULL, NULL,
                                              &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

static CounterProcess *
start_counter (Fixture    *fixture,
               TestBus    *bus,
               const char *id,
               gboolean    incoming)
{
  const char *path = g_getenv ("VMSTATE1_COUNTER_HELPER");
  g_autofree char *address_arg = NULL;
  g_autofree char *id_arg = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  CounterProcess *counter = g_new0 (CounterProcess, 1);

  g_assert_nonnull (path);
  address_arg = g_strdup_printf ("--dbus-address=%s",
                                 test_bus_get_address (bus));
  id_arg = g_strdup_printf ("--dbus-id=%s", id);
  /* Children die with the test: a stopped one must not outlive a
   * failure and hold the test's stderr open. */
  launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-warnings", TRUE);
  counter->process = g_subprocess_launcher_spawn (
      launcher, &error, path, address_arg, id_arg, "--interval=20",
      incoming ? "--dbus-incoming" : NULL, NULL);
  g_assert_no_error (error);
  counter->out = g_data_input_stream_new (
      g_subprocess_get_stdout_pipe (counter->process));
  fixture_defer (fixture, counter_process_free, counter);
  line = counter_read_line (counter);
  g_assert_true (g_str_has_prefix (line, "ready:"));
  return counter;
}

static guint64
counter_value (GBytes *state)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (state, &size);
  guint64 be;

  g_assert_cmpuint (size, ==, 9);
  memcpy (&be, data + 1, sizeof be);
  return GUINT64_FROM_BE (be);
}

/* Whether every thread of @process is stopped: its Id is answered from
 * GDBus's thread, which a SIGSTOP halts a moment after the main one. */
static gboolean
all_threads_stopped (GSubprocess *process)
{
  g_autofree char *tasks = g_strdup_printf ("/proc/%s/task",
                                            g_subprocess_get_identifier (process));
  g_autoptr(GDir) dir = g_dir_open (tasks, 0, NULL);
  const char *tid;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tasks, tid, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *state;

      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;  /* a thread that just ended */
      state = strrchr (stat, ')');
      if (state == NULL || state[1] != ' ' || state[2] != 'T')
        return FALSE;
    }
  return TRUE;
}

static void
wait_stopped (GSubprocess *process)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!all_threads_stopped (process))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("process %s did not stop",
                 g_subprocess_get_identifier (process));
      g_usleep (1000);
    }
}

/* Stops a counter as a user would, and checks that it exited cleanly. */
static void
counter_process_stop (CounterProcess *counter)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (counter->process, SIGTERM);
  g_assert_true (g_subprocess_wait_check (counter->process, NULL, &error));
  g_assert_no_error (error);
}

/* Reads lines until one starts with @prefix; returns the number after it. */
static guint64
counter_read_number (CounterProcess *counter,
                     const char     *prefix)
{
  for (;;)
    {
      g_autofree char *line = counter_read_line (counter);

      if (g_str_has_prefix (line, prefix))
        return g_ascii_strtoull (line + strlen (prefix), NULL, 10);
    }
}

static void
test_sync_processes (Fixture       *fixture,
                     gconstpointer  data)
{
  static const char *const ids[] = { "c1", "c2", "c3" };
  CounterProcess *sources[G_N_ELEMENTS (ids)];
  CounterProcess *destinations[G_N_ELEMENTS (ids)];
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(Vmstate1States) decoded = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *line = NULL;

      sources[i] = start_counter (fixture, fixture->source, ids[i], FALSE);
      destinations[i] = start_counter (fixture, fixture->destination, ids[i],
                                       TRUE);
      /* Counting, so that each state is its own. */
      line = counter_read_line (sources[i]);
      g_assert_true (g_str_has_prefix (line, "counter="));
    }

  helpers = vmstate1_vm_list_helpers (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (helpers->len, ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_nonnull (find_info (helpers, ids[i]));

  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==,
                    G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_cmpuint (counter_read_number (sources[i], "saved counter="), ==,
                      counter_value (vmstate1_states_lookup (states, ids[i])));

  /* Through the blob, as a migration carries it. */
  blob = vmstate1_states_encode (states);
  decoded = vmstate1_states_decode (blob, &error);
  g_assert_no_error (error);
  g_assert_true (vmstate1_vm_load (fixture->destination_vm, decoded, NULL,
                                   &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *line = counter_read_line (destinations[i]);
      g_autofree char *expected = g_strdup_printf (
          "loaded counter=%" G_GUINT64_FORMAT ", counting from here",
          counter_value (vmstate1_states_lookup (states, ids[i])));

      g_assert_cmpstr (line, ==, expected);
    }
}

/* Issue #10 (a): a warm Vm, then a helper process exits and another
 * starts with the same Id: the next save reaches the new one. */
static void
test_stale_process_restarted (Fixture       *fixture,
                              gconstpointer  data)
{
  CounterProcess *first, *second, *other;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_name = NULL;
  const char *second_name;
  guint64 saved;

  other = start_counter (fixture, fixture->source, "other", FALSE);
  first = start_counter (fixture, fixture->source, "restarted", FALSE);
  helpers = vmstate1_vm_list_helpers (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  first_name = g_strdup (vmstate1_helper_info_get_unique_name (
      find_info (helpers, "restarted")));
  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 2);
  counter_read_number (first, "saved counter=");
  counter_read_number (other, "saved counter=");
  g_clear_pointer (&states, vmstate1_states_unref);
  g_clear_pointer (&helpers, g_ptr_array_unref);

  counter_process_stop (first);
  second = start_counter (fixture, fixture->source, "restarted", FALSE);

  helpers = vmstate1_vm_list_helpers (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (helpers->len, ==, 2);
  second_name = vmstate1_helper_info_get_unique_name (
      find_info (helpers, "restarted"));
  g_assert_cmpstr (second_name, !=, first_name);

  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 2);
  /* The new process saved, and its state is the one under the Id. */
  saved = counter_read_number (second, "saved counter=");
  g_assert_cmpuint (counter_value (vmstate1_states_lookup (states,
                                                           "restarted")),
                    ==, saved);
  counter_read_number (other, "saved counter=");
}

/* A helper whose state is its own Id: a state under another key is a
 * stale Id. */
static GBytes *
save_own_id (gpointer   user_data,
             GError   **error)
{
  return g_bytes_new (user_data, strlen (user_data));
}

static gboolean
load_nothing (GBytes    *data,
              gpointer   user_data,
              GError   **error)
{
  return TRUE;
}

static Vmstate1Helper *
own_id_helper_new (const char *id)
{
  g_autoptr(GError) error = NULL;
  Vmstate1Helper *helper = vmstate1_helper_new (id, &error);

  g_assert_no_error (error);
  vmstate1_helper_set_handlers (helper, save_own_id, load_nothing,
                                g_strdup (id), g_free);
  return helper;
}

static void
assert_only_state (Vmstate1States *states,
                   const char     *id)
{
  g_auto(GStrv) ids = vmstate1_states_dup_ids (states);

  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, id);
  assert_state_is (states, id, id);
}

/* One connection and the helpers that take turns on it. */
typedef struct
{
  GDBusConnection *connection;
  Vmstate1Helper *helpers[2];
  guint current;
  gboolean exported;
  guint flips;
} Flipper;

static void
flipper_free (gpointer data)
{
  Flipper *flipper = data;

  for (guint i = 0; i < 2; i++)
    {
      vmstate1_helper_unexport (flipper->helpers[i]);
      g_object_unref (flipper->helpers[i]);
    }
  g_dbus_connection_close_sync (flipper->connection, NULL, NULL);
  g_object_unref (flipper->connection);
  g_free (flipper);
}

static Flipper *
flipper_new (Fixture    *fixture,
             const char *id_a,
             const char *id_b)
{
  g_autoptr(GError) error = NULL;
  Flipper *flipper = g_new0 (Flipper, 1);

  flipper->connection = vmstate1_connect (
      test_bus_get_address (fixture->source), NULL, &error);
  g_assert_no_error (error);
  flipper->helpers[0] = own_id_helper_new (id_a);
  flipper->helpers[1] = own_id_helper_new (id_b);
  g_assert_true (vmstate1_helper_export (flipper->helpers[0],
                                         flipper->connection, &error));
  g_assert_no_error (error);
  flipper->exported = TRUE;
  fixture_defer (fixture, flipper_free, flipper);
  return flipper;
}

static const char *
flipper_id (Flipper *flipper)
{
  return vmstate1_helper_get_id (flipper->helpers[flipper->current]);
}

static void
on_flipped (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Flipper *flipper = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmstate1_helper_export_finish (VMSTATE1_HELPER (source),
                                                result, &error));
  g_assert_no_error (error);
  flipper->exported = TRUE;
}

/* Unexport the helper on the connection, export the other one on it. */
static void
flipper_flip (Flipper *flipper)
{
  g_assert_true (flipper->exported);
  flipper->exported = FALSE;
  flipper->flips++;
  vmstate1_helper_unexport (flipper->helpers[flipper->current]);
  flipper->current ^= 1;
  vmstate1_helper_export_async (flipper->helpers[flipper->current],
                                flipper->connection, NULL, on_flipped,
                                flipper);
}

static gboolean
flip_in_idle (gpointer user_data)
{
  flipper_flip (user_data);
  return G_SOURCE_REMOVE;
}

/* Until @flips re-exports are done. */
static void
flipper_wait (Flipper *flipper,
              guint    flips)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint source = g_timeout_add (50, wake_up, NULL);

  while ((flipper->flips < flips || !flipper->exported)
         && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (source);
  g_assert_cmpuint (flipper->flips, ==, flips);
  g_assert_true (flipper->exported);
  /* Its PropertiesChanged has been routed to the Vm. */
  test_bus_round_trip (flipper->connection);
}

/* Issue #10 (b): the same connection re-exports under another Id: the
 * next save names the new Id, never the old. */
static void
test_stale_reexport (Fixture       *fixture,
                     gconstpointer  data)
{
  Flipper *flipper = flipper_new (fixture, "before", "after");
  const char *name = g_dbus_connection_get_unique_name (flipper->connection);
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(Vmstate1States) to_before = states_new ("before", "x", NULL);
  g_autoptr(Vmstate1States) to_after = states_new ("after", "x", NULL);
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;

  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  assert_only_state (states, "before");
  g_clear_pointer (&states, vmstate1_states_unref);

  for (guint i = 0; i < 4; i++)
    {
      const char *now = i % 2 ? "before" : "after";

      /* The blocking export: its queue check iterates no main context
       * of ours, and the Vm does not need one to learn of the change. */
      vmstate1_helper_unexport (flipper->helpers[flipper->current]);
      flipper->current ^= 1;
      g_assert_true (vmstate1_helper_export (flipper->helpers[flipper->current],
                                             flipper->connection, &error));
      g_assert_no_error (error);

      helpers = list_helpers (fixture->source_vm, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (helpers->len, ==, 1);
      g_assert_cmpstr (vmstate1_helper_info_get_id (helpers->pdata[0]), ==,
                       now);
      g_assert_cmpstr (vmstate1_helper_info_get_unique_name (helpers->pdata[0]),
                       ==, name);
      g_clear_pointer (&helpers, g_ptr_array_unref);

      states = save (fixture->source_vm, NULL, -1, NULL, &error);
      g_assert_no_error (error);
      assert_only_state (states, now);
      g_clear_pointer (&states, vmstate1_states_unref);

      /* Load goes by the Id it is now, too. */
      g_assert_false (load (fixture->source_vm,
                            i % 2 ? to_after : to_before, NULL, -1, &error));
      g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
      g_clear_error (&error);
      g_assert_true (load (fixture->source_vm,
                           i % 2 ? to_before : to_after, NULL, -1, &error));
      g_assert_no_error (error);
    }

  /* Gone from the queue altogether, still on the bus. */
  vmstate1_helper_unexport (flipper->helpers[flipper->current]);
  test_bus_round_trip (flipper->connection);
  states = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 0);
}

/* When to re-export, relative to the Vm's save: at once, before or
 * after starting it, or as its Save call goes out. */
typedef enum
{
  FLIP_AFTER_START,
  FLIP_BEFORE_START,
  FLIP_IN_IDLE,
  FLIP_AS_SAVE_GOES,
  N_FLIP_WHEN,
} FlipWhen;

static void
flip_as_save_goes (gpointer user_data)
{
  /* In GDBus's thread: to ours. */
  g_main_context_invoke (NULL, flip_in_idle, user_data);
}

/* Issue #10 (c): many times, the connection re-exports under the other
 * Id while the Vm saves, both started at once: a state is only ever
 * under the Id of the helper that answered, or the save fails cleanly. */
static void
test_stale_reexport_race (Fixture       *fixture,
                          gconstpointer  data)
{
  enum { N_ROUNDS = 200 };
  Flipper *flipper = flipper_new (fixture, "flip-a", "flip-b");
  CallCount *count;
  guint filter_id;
  guint with_state = 0, empty = 0, failed = 0;

  count = call_count_add (fixture->source_bus, &filter_id);
  for (guint round = 0; round < N_ROUNDS; round++)
    {
      FlipWhen when = round % N_FLIP_WHEN;
      Pending pending = { NULL, FALSE };
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(Vmstate1States) states = NULL;
      g_autoptr(GError) error = NULL;

      /* Warm: the Vm knows the Id the helper has now. */
      states = save (fixture->source_vm, NULL, -1, NULL, &error);
      g_assert_no_error (error);
      assert_only_state (states, flipper_id (flipper));
      g_clear_pointer (&states, vmstate1_states_unref);
      call_count_reset (count);

      if (when == FLIP_AS_SAVE_GOES)
        {
          count->user_data = flipper;
          g_atomic_pointer_set (&count->on_save_sent, flip_as_save_goes);
        }
      if (when == FLIP_BEFORE_START)
        flipper_flip (flipper);
      vmstate1_vm_save_async (fixture->source_vm, NULL, on_done, &pending);
      if (when == FLIP_AFTER_START)
        flipper_flip (flipper);
      else if (when == FLIP_IN_IDLE)
        g_idle_add (flip_in_idle, flipper);

      result = pending_wait (&pending);
      g_atomic_pointer_set (&count->on_save_sent, NULL);
      states = vmstate1_vm_save_finish (fixture->source_vm, result, &error);
      if (states == NULL)
        {
          /* Cleanly: an error of ours that names what happened. */
          g_assert_nonnull (error);
          g_assert_true (error->domain == VMSTATE1_ERROR);
          g_assert_cmpint (error->code, !=, VMSTATE1_ERROR_DUPLICATE_ID);
          g_test_message ("round %u: %s", round, error->message);
          failed++;
        }
      else
        {
          g_auto(GStrv) ids = vmstate1_states_dup_ids (states);

          g_assert_no_error (error);
          g_assert_cmpuint (g_strv_length (ids), <=, 1);
          if (ids[0] == NULL)
            empty++;
          else
            {
              /* Never a state under the wrong Id. */
              GBytes *state = vmstate1_states_lookup (states, ids[0]);

              if (g_bytes_get_size (state) != strlen (ids[0])
                  || memcmp (g_bytes_get_data (state, NULL), ids[0],
                             strlen (ids[0])) != 0)
                g_test_message ("round %u (flip %u): a stale Id", round,
                                when);
              assert_state_is (states, ids[0], ids[0]);
              with_state++;
            }
        }
      /* A save that failed before its Save went out did not flip. */
      if (when == FLIP_AS_SAVE_GOES && g_atomic_int_get (&count->saves) == 0)
        flipper_flip (flipper);
      flipper_wait (flipper, round + 1);
      call_count_reset (count);
    }
  g_dbus_connection_remove_filter (fixture->source_bus, filter_id);
  g_test_message ("%u rounds: %u saved a state, %u saved none, %u failed",
                  N_ROUNDS, with_state, empty, failed);
  g_assert_cmpuint (with_state + empty + failed, ==, N_ROUNDS);
}

/* Issue #10 (d): a warm save costs one listing and the Saves, no read of
 * any Id; the Vm reads again only what changed. */
static void
test_warm_no_id_reads (Fixture       *fixture,
                       gconstpointer  data)
{
  enum { N = 32 };
  TestState *states[N];
  Vmstate1Helper *last = NULL;
  CallCount *count;
  g_autoptr(Vmstate1States) first = NULL;
  g_autoptr(Vmstate1States) second = NULL;
  g_autoptr(Vmstate1States) saved = NULL;
  g_autoptr(Vmstate1States) to_load = states_new ("h00", "L", NULL);
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GDBusConnection) last_connection = NULL;
  g_autoptr(GError) error = NULL;
  guint filter_id;

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *id = g_strdup_printf ("h%02u", i);

      states[i] = start_helper (fixture, fixture->source, id,
                                g_bytes_new (id, strlen (id)));
    }
  count = call_count_add (fixture->source_bus, &filter_id);

  first = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (first), ==, N);
  g_assert_cmpint (count->id_reads, ==, N);
  g_assert_cmpint (count->listings, ==, 1);
  g_assert_cmpint (count->saves, ==, N);
  call_count_reset (count);

  second = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  assert_states_equal (second, first);
  g_assert_cmpint (count->id_reads, ==, 0);
  g_assert_cmpint (count->listings, ==, 1);
  g_assert_cmpint (count->saves, ==, N);
  call_count_reset (count);

  /* Listing and loading are warm too. */
  helpers = list_helpers (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (helpers->len, ==, N);
  g_assert_true (load (fixture->source_vm, to_load, NULL, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count->id_reads, ==, 0);
  g_assert_cmpint (count->listings, ==, 2);
  g_assert_cmpint (count->loads, ==, 1);
  call_count_reset (count);

  /* A helper whose call failed is asked again, and only it. */
  states[5]->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                              "not now");
  saved = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_null (saved);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  assert_message_has (error, "Id 'h05'");
  g_clear_error (&error);
  g_clear_error (&states[5]->fail_with);
  /* The calls abandoned with the failure still get their answers. */
  for (guint i = 0; i < N; i++)
    wait_for_count (&states[i]->saves, 3);
  call_count_reset (count);
  saved = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count->id_reads, ==, 1);
  g_clear_pointer (&saved, vmstate1_states_unref);
  call_count_reset (count);

  /* A helper that comes is asked its Id; one that goes is forgotten. */
  last = own_id_helper_new ("newcomer");
  export_helper (fixture, fixture->source, last);
  last_connection = g_object_ref (vmstate1_helper_get_connection (last));
  saved = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (saved), ==, N + 1);
  g_assert_cmpint (count->id_reads, ==, 1);
  g_clear_pointer (&saved, vmstate1_states_unref);
  call_count_reset (count);

  vmstate1_helper_unexport (last);
  test_bus_round_trip (last_connection);
  saved = save (fixture->source_vm, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (saved), ==, N);
  g_assert_cmpint (count->id_reads, ==, 0);
  g_assert_cmpint (count->saves, ==, N);

  g_dbus_connection_remove_filter (fixture->source_bus, filter_id);
}

/* Issue #10 (e): a stopped helper process fails the save with
 * TIMED_OUT, naming its Id, within about the Vm's timeout. */
static void
test_timeout_stopped_process (Fixture       *fixture,
                              gconstpointer  data)
{
  const char * const running_only[] = { "running", NULL };
  CounterProcess *running, *stopped;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GPtrArray) helpers = NULL;
  g_autoptr(GError) error = NULL;
  const char *stopped_name;
  gint64 start, took;

  running = start_counter (fixture, fixture->source, "running", FALSE);
  stopped = start_counter (fixture, fixture->source, "stopped", FALSE);
  vmstate1_vm_set_timeout_msec (fixture->source_vm, 500);
  helpers = vmstate1_vm_list_helpers (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  stopped_name = vmstate1_helper_info_get_unique_name (
      find_info (helpers, "stopped"));
  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 2);
  g_clear_pointer (&states, vmstate1_states_unref);
  counter_read_number (running, "saved counter=");

  g_subprocess_send_signal (stopped->process, SIGSTOP);
  wait_stopped (stopped->process);

  /* Its Id is known: its Save times out, and the error names the Id. */
  start = g_get_monotonic_time ();
  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  took = g_get_monotonic_time () - start;
  g_test_message ("save with a stopped helper failed after %" G_GINT64_FORMAT
                  " ms: %s", took / 1000, error ? error->message : "-");
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT);
  assert_message_has (error, "Id 'stopped'");
  assert_message_has (error, "within 500 ms");
  g_assert_cmpint (took, >=, 450 * 1000);
  g_assert_cmpint (took, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* Forgotten with the failure: now it cannot even tell its Id. */
  start = g_get_monotonic_time ();
  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  took = g_get_monotonic_time () - start;
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT);
  assert_message_has (error, stopped_name);
  g_assert_cmpint (took, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* Left out by the id-list, the other one is saved. */
  vmstate1_vm_set_id_list (fixture->source_vm, running_only);
  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 1);
  g_assert_nonnull (vmstate1_states_lookup (states, "running"));
  g_clear_pointer (&states, vmstate1_states_unref);
  vmstate1_vm_set_id_list (fixture->source_vm, NULL);

  /* Woken up, it answers again. */
  g_subprocess_send_signal (stopped->process, SIGCONT);
  states = vmstate1_vm_save (fixture->source_vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 2);
}

/* Issue #10 (f): the bus dies under a save: G_IO_ERROR_CLOSED, and the
 * message blames the bus, not a helper. */
static void
test_bus_dies (Fixture       *fixture,
               gconstpointer  data)
{
  Gate *gate = gate_new (fixture, G_MAXUINT);
  TestGatedHelper *stuck;
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stuck_name = NULL;

  start_helper (fixture, fixture->source, "fine", g_bytes_new_static ("F", 1));
  stuck = start_gated_helper (fixture, fixture->source, "stuck", gate);
  stuck_name = g_strdup (helper_unique_name (VMSTATE1_HELPER (stuck)));

  vm_configure (fixture->source_vm, NULL, 30000);
  vmstate1_vm_save_async (fixture->source_vm, NULL, on_done, &pending);
  /* Until the Save is with the helper, then the bus goes. */
  while (gate->tasks->len == 0)
    g_main_context_iteration (NULL, TRUE);
  test_bus_kill (fixture->source);

  result = pending_wait (&pending);
  states = vmstate1_vm_save_finish (fixture->source_vm, result, &error);
  g_test_message ("save when the bus died: %s", error ? error->message : "-");
  g_assert_null (states);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  assert_message_has (error, "bus");
  g_assert_null (strstr (error->message, stuck_name));
  g_assert_null (strstr (error->message, "did not answer"));
  g_assert_null (strstr (error->message, "crash"));
  g_assert_null (strstr (error->message, "left the bus"));
  g_clear_error (&error);
  g_clear_object (&result);

  /* And the next one says the connection is closed. */
  pending.done = FALSE;
  vmstate1_vm_save_async (fixture->source_vm, NULL, on_done, &pending);
  result = pending_wait (&pending);
  states = vmstate1_vm_save_finish (fixture->source_vm, result, &error);
  g_assert_null (states);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

typedef struct
{
  guint exported;
} Exports;

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Exports *exports = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmstate1_helper_export_finish (VMSTATE1_HELPER (source),
                                                result, &error));
  g_assert_no_error (error);
  exports->exported++;
}

/* A migration started the moment helpers are exported sees them all:
 * their own PropertiesChanged, which may reach the Vm while it saves, is
 * not taken for a change of Id. A warm Vm and a fresh one, many times. */
static void
test_save_right_after_export (Fixture       *fixture,
                              gconstpointer  data)
{
  for (guint round = 0; round < 20; round++)
    {
      g_autoptr(GPtrArray) helpers = g_ptr_array_new_with_free_func (
          (GDestroyNotify) test_recorder_stop);
      g_autoptr(Vmstate1Vm) fresh = vmstate1_vm_new (fixture->source_bus);
      Vmstate1Vm *vm = round % 2 ? fixture->source_vm : fresh;
      g_autoptr(Vmstate1States) states = NULL;
      g_autoptr(GError) error = NULL;
      Exports exports = { 0 };

      for (guint i = 0; i < 8; i++)
        {
          g_autoptr(GDBusConnection) connection = vmstate1_connect (
              test_bus_get_address (fixture->source), NULL, &error);
          char *id = g_strdup_printf ("early-%u-%u", round, i);
          Vmstate1Helper *helper = vmstate1_helper_new (id, &error);

          g_assert_no_error (error);
          vmstate1_helper_set_handlers (helper, save_own_id, NULL, id, g_free);
          vmstate1_helper_export_async (helper, connection, NULL, on_exported,
                                        &exports);
          g_ptr_array_add (helpers, helper);
        }
      while (exports.exported < 8)
        g_main_context_iteration (NULL, TRUE);

      states = save (vm, NULL, -1, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (vmstate1_states_get_length (states), ==, 8);
      for (guint i = 0; i < 8; i++)
        {
          g_autofree char *id = g_strdup_printf ("early-%u-%u", round, i);
          GBytes *state = vmstate1_states_lookup (states, id);

          g_assert_nonnull (state);
          g_assert_cmpmem (g_bytes_get_data (state, NULL),
                           g_bytes_get_size (state), id, strlen (id));
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func) \
  g_test_add ("/vmstate1/vm/" path, Fixture, data, fixture_setup, func, \
              fixture_teardown)

  ADD ("properties", NULL, test_properties);
  ADD ("round-trip/1", GUINT_TO_POINTER (1), test_round_trip);
  ADD ("round-trip/8", GUINT_TO_POINTER (8), test_round_trip);
  ADD ("round-trip/32", GUINT_TO_POINTER (32), test_round_trip);
  ADD ("concurrent", NULL, test_concurrent);
  ADD ("concurrent/same-vm", NULL, test_concurrent_same_vm);
  ADD ("no-helper", NULL, test_no_helper);
  ADD ("empty-state", NULL, test_empty_state);
  ADD ("list-helpers", NULL, test_list_helpers);
  ADD ("id-list/subset", NULL, test_id_list_subset);
  ADD ("id-list/missing", NULL, test_id_list_missing);
  ADD ("id-list/invalid", NULL, test_id_list_invalid);
  ADD ("duplicate-on-bus", NULL, test_duplicate_on_bus);
  ADD ("invalid-id-on-bus", NULL, test_invalid_id_on_bus);
  ADD ("unreadable-id", NULL, test_unreadable_id);
  ADD ("save/fails", NULL, test_save_fails);
  ADD ("save/fails-foreign", NULL, test_save_fails_foreign);
  ADD ("save/fails-escaped", NULL, test_save_fails_escaped);
  ADD ("save/too-large", NULL, test_save_too_large);
  ADD ("save/timeout", NULL, test_save_timeout);
  ADD ("save/vanishes", NULL, test_save_vanishes);
  ADD ("save/cancel", NULL, test_cancel);
  ADD ("load/missing-helper", NULL, test_load_missing_helper);
  ADD ("load/malformed", NULL, test_load_malformed);
  ADD ("load/fails", NULL, test_load_fails);
  ADD ("sync-processes", NULL, test_sync_processes);
  ADD ("stale/process-restarted", NULL, test_stale_process_restarted);
  ADD ("stale/re-export", NULL, test_stale_reexport);
  ADD ("stale/re-export-race", NULL, test_stale_reexport_race);
  ADD ("warm/no-id-reads", NULL, test_warm_no_id_reads);
  ADD ("timeout/stopped-process", NULL, test_timeout_stopped_process);
  ADD ("bus-dies", NULL, test_bus_dies);
  ADD ("save-right-after-export", NULL, test_save_right_after_export);

#undef ADD

  return g_test_run ();
}
