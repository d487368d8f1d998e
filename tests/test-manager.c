/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* list_helpers, save_all and load_all on real private dbus-daemons.
 *
 * The helpers live on this thread, each on a connection of its own, so
 * the manager is driven through its _async functions while the main
 * context runs; one test drives the blocking functions against helper
 * processes. Vmstate1Helper-based helpers are exported before any "raw"
 * one on a bus: an export checks the Id of every helper already there,
 * blocking, and a raw helper of this thread could not answer it. */
#include <signal.h>
#include <string.h>
#include <vmstate1.h>

#include "harness/test-bus.h"

#define MiB (1024 * 1024)

typedef struct
{
  TestBus *source;
  TestBus *destination;
  GDBusConnection *source_bus;       /* plays QEMU on the source */
  GDBusConnection *destination_bus;  /* and on the destination */
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
 * waiting as it was told: if save_all called helpers one after another
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
 * foreign error, a process that leaves the bus in the middle of Save. */
typedef enum
{
  RAW_ANSWER,
  RAW_FAIL,
  RAW_VANISH,
} RawMode;

typedef struct
{
  GDBusConnection *connection;
  guint object_id;
  char *id;            /* NULL: reading the Id fails */
  RawMode mode;
  GBytes *state;
  guint saves;
  guint loads;
} RawHelper;

static const char raw_xml[] =
  "<node>"
  "  <interface name='org.qemu.VMState1'>"
  "    <property name='Id' type='s' access='read'/>"
  "    <method name='Load'><arg name='data' type='ay' direction='in'/></method>"
  "    <method name='Save'><arg name='data' type='ay' direction='out'/></method>"
  "  </interface>"
  "</node>";

static void
raw_method_call (GDBusConnection       *connection,
                 const char            *sender,
                 const char            *object_path,
                 const char            *interface_name,
                 const char            *method_name,
                 GVariant              *parameters,
                 GDBusMethodInvocation *invocation,
                 gpointer               user_data)
{
  RawHelper *raw = user_data;

  if (g_str_equal (method_name, "Load"))
    {
      g_autoptr(GVariant) array = g_variant_get_child_value (parameters, 0);

      raw->loads++;
      g_clear_pointer (&raw->state, g_bytes_unref);
      raw->state = g_variant_get_data_as_bytes (array);
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }

  raw->saves++;
  switch (raw->mode)
    {
    case RAW_ANSWER:
      {
        GVariant *array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                    raw->state, TRUE);
        g_dbus_method_invocation_return_value (invocation,
                                               g_variant_new_tuple (&array, 1));
      }
      break;
    case RAW_FAIL:
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "com.example.Error.Broken",
                                                  "the disk is gone");
      break;
    case RAW_VANISH:
      /* Gone without an answer, as a crashing process would be. */
      g_dbus_connection_close_sync (connection, NULL, NULL);
      g_object_unref (invocation);
      break;
    default:
      g_assert_not_reached ();
    }
}

static GVariant *
raw_get_property (GDBusConnection  *connection,
                  const char       *sender,
                  const char       *object_path,
                  const char       *interface_name,
                  const char       *property_name,
                  GError          **error,
                  gpointer          user_data)
{
  RawHelper *raw = user_data;

  if (raw->id == NULL)
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                           "no Id today");
      return NULL;
    }
  return g_variant_new_string (raw->id);
}

static const GDBusInterfaceVTable raw_vtable = {
  .method_call = raw_method_call,
  .get_property = raw_get_property,
};

static void
raw_helper_free (gpointer data)
{
  RawHelper *raw = data;

  g_dbus_connection_unregister_object (raw->connection, raw->object_id);
  g_dbus_connection_close_sync (raw->connection, NULL, NULL);
  g_object_unref (raw->connection);
  g_clear_pointer (&raw->state, g_bytes_unref);
  g_free (raw->id);
  g_free (raw);
}

static RawHelper *
start_raw_helper (Fixture    *fixture,
                  TestBus    *bus,
                  const char *id,
                  RawMode     mode,
                  GBytes     *state)
{
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  RawHelper *raw = g_new0 (RawHelper, 1);

  raw->id = g_strdup (id);
  raw->mode = mode;
  raw->state = state != NULL ? state : g_bytes_new (id, id ? strlen (id) : 0);
  raw->connection = vmstate1_connect (test_bus_get_address (bus), NULL,
                                      &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (raw_xml, &error);
  g_assert_no_error (error);
  raw->object_id = g_dbus_connection_register_object (
      raw->connection, VMSTATE1_OBJECT_PATH, node->interfaces[0], &raw_vtable,
      raw, NULL, &error);
  g_assert_no_error (error);
  /* The bus answers this one itself: blocking is fine. */
  reply = g_dbus_connection_call_sync (
      raw->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "RequestName",
      g_variant_new ("(su)", VMSTATE1_BUS_NAME, 0), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  fixture_defer (fixture, raw_helper_free, raw);
  return raw;
}

/* The manager, driven from this thread's main context. */

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

static GHashTable *
list_helpers (GDBusConnection  *bus,
              GError          **error)
{
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;

  vmstate1_list_helpers_async (bus, NULL, on_done, &pending);
  result = pending_wait (&pending);
  return vmstate1_list_helpers_finish (result, error);
}

/* timeout_msec -1 goes through the plain _async function. */
static GBytes *
save_all (GDBusConnection     *bus,
          const char * const  *id_list,
          int                  timeout_msec,
          GCancellable        *cancellable,
          GError             **error)
{
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;

  if (timeout_msec == -1)
    vmstate1_save_all_async (bus, id_list, cancellable, on_done, &pending);
  else
    vmstate1_save_all_full_async (bus, id_list, timeout_msec, cancellable,
                                  on_done, &pending);
  result = pending_wait (&pending);
  return vmstate1_save_all_finish (result, error);
}

static gboolean
load_all (GDBusConnection     *bus,
          GBytes              *blob,
          const char * const  *id_list,
          int                  timeout_msec,
          GError             **error)
{
  Pending pending = { NULL, FALSE };
  g_autoptr(GAsyncResult) result = NULL;

  if (timeout_msec == -1)
    vmstate1_load_all_async (bus, blob, id_list, NULL, on_done, &pending);
  else
    vmstate1_load_all_full_async (bus, blob, id_list, timeout_msec, NULL,
                                  on_done, &pending);
  result = pending_wait (&pending);
  return vmstate1_load_all_finish (result, error);
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

static GHashTable *
decode (GBytes *blob)
{
  g_autoptr(GError) error = NULL;
  GHashTable *states = vmstate1_stream_decode (blob, &error);

  g_assert_no_error (error);
  return states;
}

static GBytes *
encode (const char *first_id,
        ...)
{
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *blob;
  va_list args;

  states = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                  (GDestroyNotify) g_bytes_unref);
  va_start (args, first_id);
  for (const char *id = first_id; id != NULL; id = va_arg (args, const char *))
    {
      const char *text = va_arg (args, const char *);
      g_hash_table_insert (states, (gpointer) id,
                           g_bytes_new (text, strlen (text)));
    }
  va_end (args);
  blob = vmstate1_stream_encode (states, &error);
  g_assert_no_error (error);
  return blob;
}

/* Round trips. */

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  guint n = GPOINTER_TO_UINT (data);
  g_autofree TestState **sources = g_new0 (TestState *, n);
  g_autofree TestState **destinations = g_new0 (TestState *, n);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;

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

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  states = decode (blob);
  g_assert_cmpuint (g_hash_table_size (states), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%02u", i);

      g_assert_cmpuint (sources[i]->saves, ==, 1);
      g_assert_true (g_bytes_equal (g_hash_table_lookup (states, id),
                                    sources[i]->state));
    }

  g_assert_true (load_all (fixture->destination_bus, blob, NULL, -1, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (destinations[i]->loads, ==, 1);
      g_assert_true (g_bytes_equal (destinations[i]->state,
                                    sources[i]->state));
    }

  /* The destination saves byte for byte what the source saved. */
  again = save_all (fixture->destination_bus, NULL, 2000, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, blob));
}

static void
test_concurrent (Fixture       *fixture,
                 gconstpointer  data)
{
  Gate *gate = gate_new (fixture, 8);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < gate->size; i++)
    {
      g_autofree char *id = g_strdup_printf ("gated-%u", i);
      start_gated_helper (fixture, fixture->source, id, gate);
    }
  /* Each Save answers only once all 8 are waiting. */
  blob = save_all (fixture->source_bus, NULL, 10000, NULL, &error);
  g_assert_no_error (error);
  states = decode (blob);
  g_assert_cmpuint (g_hash_table_size (states), ==, 8);
}

static void
test_no_helper (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) helpers = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 empty_blob[4] = { 0, 0, 0, 0 };

  helpers = list_helpers (fixture->source_bus, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (helpers), ==, 0);

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob),
                   empty_blob, sizeof empty_blob);
  g_assert_true (load_all (fixture->destination_bus, blob, NULL, -1, &error));
  g_assert_no_error (error);
}

/* Our format carries an empty state, though QEMU could not. */
static void
test_empty_state (Fixture       *fixture,
                  gconstpointer  data)
{
  TestState *loaded = start_helper (fixture, fixture->destination, "empty",
                                    g_bytes_new_static ("old", 3));
  RawHelper *raw = start_raw_helper (fixture, fixture->source, "empty",
                                     RAW_ANSWER, g_bytes_new (NULL, 0));
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (raw->saves, ==, 1);
  states = decode (blob);
  g_assert_cmpuint (g_bytes_get_size (g_hash_table_lookup (states, "empty")),
                    ==, 0);

  g_assert_true (load_all (fixture->destination_bus, blob, NULL, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->loads, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (loaded->state), ==, 0);
}

static void
test_list_helpers (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GHashTable) helpers = NULL;
  g_autoptr(GError) error = NULL;
  TestGatedHelper *gated;
  RawHelper *raw;

  start_helper (fixture, fixture->source, "one", g_bytes_new_static ("1", 1));
  gated = start_gated_helper (fixture, fixture->source, "two",
                              gate_new (fixture, 1));
  raw = start_raw_helper (fixture, fixture->source, "three", RAW_ANSWER, NULL);

  helpers = list_helpers (fixture->source_bus, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (helpers), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (helpers, "two"), ==,
                   helper_unique_name (VMSTATE1_HELPER (gated)));
  g_assert_cmpstr (g_hash_table_lookup (helpers, "three"), ==,
                   g_dbus_connection_get_unique_name (raw->connection));
  g_assert_nonnull (g_hash_table_lookup (helpers, "one"));
  /* Listing calls no Save. */
  g_assert_cmpuint (raw->saves, ==, 0);
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
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) nothing = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, id_list, -1, NULL, &error);
  g_assert_no_error (error);
  states = decode (blob);
  g_assert_cmpuint (g_hash_table_size (states), ==, 2);
  g_assert_true (g_hash_table_contains (states, "a"));
  g_assert_true (g_hash_table_contains (states, "c"));
  g_assert_cmpuint (a->saves, ==, 1);
  g_assert_cmpuint (b->saves, ==, 0);
  g_assert_cmpuint (c->saves, ==, 1);

  /* An empty list selects nobody, as QEMU's id-list="" does. */
  nothing = save_all (fixture->source_bus, none, -1, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&states, g_hash_table_unref);
  states = decode (nothing);
  g_assert_cmpuint (g_hash_table_size (states), ==, 0);
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
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, id_list, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "'zz', 'yy'");
  g_assert_null (strstr (error->message, "'a'"));
  /* Refused before any Save. */
  g_assert_cmpuint (a->saves, ==, 0);
  g_assert_cmpuint (b->saves, ==, 0);
  g_clear_error (&error);

  /* The same rules on load. */
  {
    g_autoptr(GBytes) sent = encode ("a", "A", NULL);

    g_assert_false (load_all (fixture->source_bus, sent, id_list, -1,
                              &error));
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
    assert_message_has (error, "'zz', 'yy'");
    g_assert_cmpuint (a->loads, ==, 0);
  }
}

static void
test_id_list_invalid (Fixture       *fixture,
                      gconstpointer  data)
{
  const char * const empty_entry[] = { "a", "", NULL };
  const char * const twice[] = { "a", "b", "a", NULL };
  TestState *a = start_helper (fixture, fixture->source, "a",
                               g_bytes_new_static ("A", 1));
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, empty_entry, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  assert_message_has (error, "Entry 2 of the id-list");
  g_clear_error (&error);

  blob = save_all (fixture->source_bus, twice, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
  assert_message_has (error, "'a' twice");
  g_assert_cmpuint (a->saves, ==, 0);
}

static void
test_duplicate_on_bus (Fixture       *fixture,
                       gconstpointer  data)
{
  const char * const others[] = { "other", NULL };
  RawHelper *first = start_raw_helper (fixture, fixture->source, "dup",
                                       RAW_ANSWER, NULL);
  RawHelper *second = start_raw_helper (fixture, fixture->source, "dup",
                                        RAW_ANSWER, NULL);
  RawHelper *other = start_raw_helper (fixture, fixture->source, "other",
                                       RAW_ANSWER, NULL);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) helpers = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
  assert_message_has (error, "Id 'dup'");
  assert_message_has (error,
                      g_dbus_connection_get_unique_name (first->connection));
  assert_message_has (error,
                      g_dbus_connection_get_unique_name (second->connection));
  g_assert_cmpuint (first->saves + second->saves + other->saves, ==, 0);
  g_clear_error (&error);

  helpers = list_helpers (fixture->source_bus, &error);
  g_assert_null (helpers);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID);
  g_clear_error (&error);

  /* Helpers left out by the id-list do not count. */
  blob = save_all (fixture->source_bus, others, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (other->saves, ==, 1);
  g_assert_cmpuint (first->saves + second->saves, ==, 0);
}

static void
test_invalid_id_on_bus (Fixture       *fixture,
                        gconstpointer  data)
{
  const char * const good[] = { "good", NULL };
  g_autofree char *long_id = g_strnfill (VMSTATE1_ID_MAX_LEN + 1, 'x');
  RawHelper *empty, *overlong, *fine;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  fine = start_raw_helper (fixture, fixture->source, "good", RAW_ANSWER,
                           NULL);
  empty = start_raw_helper (fixture, fixture->source, "", RAW_ANSWER,
                            g_bytes_new_static ("x", 1));
  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  assert_message_has (error,
                      g_dbus_connection_get_unique_name (empty->connection));
  assert_message_has (error, "empty");
  g_clear_error (&error);

  /* Left out by an id-list, it does not matter. */
  blob = save_all (fixture->source_bus, good, -1, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&blob, g_bytes_unref);
  g_assert_cmpuint (fine->saves, ==, 1);

  g_free (empty->id);
  empty->id = g_strdup ("fixed");
  overlong = start_raw_helper (fixture, fixture->source, long_id, RAW_ANSWER,
                               g_bytes_new_static ("x", 1));
  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  assert_message_has (error,
                      g_dbus_connection_get_unique_name (overlong->connection));
  assert_message_has (error, "256 bytes");
  g_assert_cmpuint (overlong->saves, ==, 0);
}

static void
test_unreadable_id (Fixture       *fixture,
                    gconstpointer  data)
{
  const char * const good[] = { "good", NULL };
  const char * const missing[] = { "good", "lost", NULL };
  RawHelper *fine = start_raw_helper (fixture, fixture->source, "good",
                                      RAW_ANSWER, NULL);
  RawHelper *mute = start_raw_helper (fixture, fixture->source, NULL,
                                      RAW_ANSWER, g_bytes_new_static ("x", 1));
  const char *mute_name = g_dbus_connection_get_unique_name (mute->connection);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED);
  assert_message_has (error, mute_name);
  assert_message_has (error, "no Id today");
  g_clear_error (&error);

  /* With an id-list it cannot be one of the listed... */
  blob = save_all (fixture->source_bus, good, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fine->saves, ==, 1);
  g_clear_pointer (&blob, g_bytes_unref);

  /* ...unless a listed Id is missing: then it is named as a suspect. */
  blob = save_all (fixture->source_bus, missing, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "'lost'");
  assert_message_has (error, mute_name);
  g_assert_cmpuint (mute->saves, ==, 0);
}

/* Failures of one helper. */

static void
test_save_fails (Fixture       *fixture,
                 gconstpointer  data)
{
  TestState *good = start_helper (fixture, fixture->source, "good",
                                  g_bytes_new_static ("G", 1));
  TestState *bad = start_helper (fixture, fixture->source, "bad",
                                 g_bytes_new_static ("B", 1));
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  /* Our domain: the helper's code and words survive. */
  bad->fail_with = g_error_new_literal (VMSTATE1_ERROR,
                                        VMSTATE1_ERROR_TOO_LARGE,
                                        "the cache grew to 3 MiB");
  g_test_expect_message ("Vmstate1", G_LOG_LEVEL_WARNING,
                         "Id 'bad': Save failed: the cache grew*");
  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==,
                   "Id 'bad': Save failed: the cache grew to 3 MiB");
  wait_for_count (&good->saves, 1);
  g_clear_error (&error);

  /* Another domain: SaveFailed, with the helper's words. */
  g_clear_error (&bad->fail_with);
  bad->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                                        "disk full");
  g_test_expect_message ("Vmstate1", G_LOG_LEVEL_WARNING,
                         "Id 'bad': Save failed: disk full");
  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  g_assert_cmpstr (error->message, ==, "Id 'bad': Save failed: disk full");
}

static void
test_save_fails_foreign (Fixture       *fixture,
                         gconstpointer  data)
{
  RawHelper *raw = start_raw_helper (fixture, fixture->source, "raw",
                                     RAW_FAIL, NULL);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  g_assert_cmpstr (error->message, ==, "Id 'raw': Save failed: the disk is gone");
  g_assert_cmpuint (raw->saves, ==, 1);
}

static void
test_save_too_large (Fixture       *fixture,
                     gconstpointer  data)
{
  RawHelper *raw = start_raw_helper (fixture, fixture->source, "huge",
                                     RAW_ANSWER, random_bytes (MiB + 1));
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE);
  assert_message_has (error, "Id 'huge'");
  assert_message_has (error, "1048577");
  g_assert_cmpuint (raw->saves, ==, 1);
}

static void
test_save_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  TestState *quick = start_helper (fixture, fixture->source, "quick",
                                   g_bytes_new_static ("Q", 1));
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  start_gated_helper (fixture, fixture->source, "stuck",
                      gate_new (fixture, G_MAXUINT));
  start = g_get_monotonic_time ();
  blob = save_all (fixture->source_bus, NULL, 300, NULL, &error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  assert_message_has (error, "Id 'stuck'");
  assert_message_has (error, "within 300 ms");
  wait_for_count (&quick->saves, 1);
}

static void
test_save_vanishes (Fixture       *fixture,
                    gconstpointer  data)
{
  RawHelper *raw = start_raw_helper (fixture, fixture->source, "gone",
                                     RAW_VANISH, NULL);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  blob = save_all (fixture->source_bus, NULL, -1, NULL, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED);
  assert_message_has (error, "Id 'gone'");
  assert_message_has (error, "left the bus");
  g_assert_cmpuint (raw->saves, ==, 1);
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
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;

  start_gated_helper (fixture, fixture->source, "stuck",
                      gate_new (fixture, G_MAXUINT));
  g_timeout_add (100, cancel_later, cancellable);
  blob = save_all (fixture->source_bus, NULL, 30000, cancellable, &error);
  g_assert_null (blob);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Cancelled before it starts. */
  blob = save_all (fixture->source_bus, NULL, -1, cancellable, &error);
  g_assert_null (blob);
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
  g_autoptr(GBytes) blob = encode ("a", "A", "b", "B", "zz", "Z", NULL);
  g_autoptr(GBytes) ab = encode ("a", "A", "b", "B", NULL);
  g_autoptr(GBytes) just_a = encode ("a", "A", NULL);
  g_autoptr(GError) error = NULL;

  /* No helper for 'zz': refused before any Load. */
  g_assert_false (load_all (fixture->destination_bus, blob, NULL, -1, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "Id 'zz'");
  assert_message_has (error, "no helper was loaded");
  g_assert_cmpuint (a->loads, ==, 0);
  g_assert_cmpuint (b->loads, ==, 0);
  g_clear_error (&error);

  /* 'b' is on the bus but left out by the id-list: refused too. */
  g_assert_false (load_all (fixture->destination_bus, ab, only_a, -1,
                            &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID);
  assert_message_has (error, "Id 'b', which the id-list leaves out");
  g_assert_cmpuint (a->loads, ==, 0);
  g_assert_cmpuint (b->loads, ==, 0);
  g_clear_error (&error);

  /* A helper with no state in the blob is left alone. */
  g_assert_true (load_all (fixture->destination_bus, just_a, NULL, -1,
                           &error));
  g_assert_no_error (error);
  g_assert_cmpuint (a->loads, ==, 1);
  g_assert_cmpuint (b->loads, ==, 0);
  g_assert_cmpmem (g_bytes_get_data (a->state, NULL),
                   g_bytes_get_size (a->state), "A", 1);
}

static void
test_load_malformed (Fixture       *fixture,
                     gconstpointer  data)
{
  TestState *a = start_helper (fixture, fixture->destination, "a",
                               g_bytes_new_static ("old", 3));
  g_autoptr(GBytes) good = encode ("a", "A", NULL);
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (
      good, 0, g_bytes_get_size (good) - 1);
  g_autoptr(GError) error = NULL;

  g_assert_false (load_all (fixture->destination_bus, truncated, NULL, -1,
                            &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
  g_assert_cmpuint (a->loads, ==, 0);
}

static void
test_load_fails (Fixture       *fixture,
                 gconstpointer  data)
{
  TestState *good = start_helper (fixture, fixture->destination, "good",
                                  g_bytes_new_static ("old", 3));
  TestState *bad = start_helper (fixture, fixture->destination, "bad",
                                 g_bytes_new_static ("old", 3));
  g_autoptr(GBytes) blob = encode ("good", "G", "bad", "B", NULL);
  g_autoptr(GError) error = NULL;

  bad->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                        "version 9 is too new");
  g_test_expect_message ("Vmstate1", G_LOG_LEVEL_WARNING,
                         "Id 'bad': Load failed: version 9 is too new");
  g_assert_false (load_all (fixture->destination_bus, blob, NULL, 2000,
                            &error));
  g_test_assert_expected_messages ();
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

static void
test_sync_processes (Fixture       *fixture,
                     gconstpointer  data)
{
  static const char *const ids[] = { "c1", "c2", "c3" };
  CounterProcess *sources[G_N_ELEMENTS (ids)];
  CounterProcess *destinations[G_N_ELEMENTS (ids)];
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GHashTable) helpers = NULL;
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

  helpers = vmstate1_list_helpers (fixture->source_bus, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (helpers), ==, G_N_ELEMENTS (ids));

  blob = vmstate1_save_all (fixture->source_bus, NULL, NULL, &error);
  g_assert_no_error (error);
  states = decode (blob);
  g_assert_cmpuint (g_hash_table_size (states), ==, G_N_ELEMENTS (ids));

  g_assert_true (vmstate1_load_all (fixture->destination_bus, blob, NULL,
                                    NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *line = counter_read_line (destinations[i]);
      g_autofree char *expected = g_strdup_printf (
          "loaded counter=%" G_GUINT64_FORMAT ", counting from here",
          counter_value (g_hash_table_lookup (states, ids[i])));

      g_assert_cmpstr (line, ==, expected);
    }

  /* A stopped process cannot even tell its Id: the timeout names it. */
  {
    const char * const id_list[] = { "c1", "c2", NULL };
    g_autoptr(GBytes) again = NULL;
    g_autoptr(GHashTable) saved = NULL;
    gint64 start = g_get_monotonic_time ();

    g_subprocess_send_signal (sources[2]->process, SIGSTOP);
    wait_stopped (sources[2]->process);
    again = vmstate1_save_all_full (fixture->source_bus, NULL, 300, NULL,
                                    &error);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
    g_assert_null (again);
    g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED);
    assert_message_has (error, g_hash_table_lookup (helpers, "c3"));
    g_clear_error (&error);

    /* Left out by the id-list, the others are saved. */
    again = vmstate1_save_all_full (fixture->source_bus, id_list, 300, NULL,
                                    &error);
    g_assert_no_error (error);
    saved = decode (again);
    g_assert_cmpuint (g_hash_table_size (saved), ==, 2);
    g_subprocess_send_signal (sources[2]->process, SIGCONT);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func) \
  g_test_add ("/vmstate1/manager/" path, Fixture, data, fixture_setup, func, \
              fixture_teardown)

  ADD ("round-trip/1", GUINT_TO_POINTER (1), test_round_trip);
  ADD ("round-trip/8", GUINT_TO_POINTER (8), test_round_trip);
  ADD ("round-trip/32", GUINT_TO_POINTER (32), test_round_trip);
  ADD ("concurrent", NULL, test_concurrent);
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
  ADD ("save/too-large", NULL, test_save_too_large);
  ADD ("save/timeout", NULL, test_save_timeout);
  ADD ("save/vanishes", NULL, test_save_vanishes);
  ADD ("save/cancel", NULL, test_cancel);
  ADD ("load/missing-helper", NULL, test_load_missing_helper);
  ADD ("load/malformed", NULL, test_load_malformed);
  ADD ("load/fails", NULL, test_load_fails);
  ADD ("sync-processes", NULL, test_sync_processes);

#undef ADD

  return g_test_run ();
}
