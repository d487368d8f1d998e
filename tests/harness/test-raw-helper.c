/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <vmstate1.h>

#include "test-bus.h"
#include "test-raw-helper.h"

struct _TestRawHelper
{
  TestRawSpec spec;     /* its strings and state not kept: see below */
  char *address;
  char *id;             /* under lock: set_id may run on another thread */
  char *error_name;
  char *save_error;
  GBytes *state;        /* what Save returns, and Load replaces */
  GMainContext *context;
  GMainLoop *loop;      /* and thread: only for a helper in its own thread */
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean ready;
  guint saves;
  guint loads;
  GDBusConnection *connection;
  guint registration;
  char *unique_name;
  GPtrArray *held;      /* invocations or messages never answered */
  GPtrArray *delayed;   /* of GSource: Saves still to answer */
};

static const char raw_xml[] =
  "<node>"
  "  <interface name='org.qemu.VMState1'>"
  "    <property name='Id' type='s' access='read'/>"
  "    <method name='Load'><arg name='data' type='ay' direction='in'/>"
  "</method>"
  "    <method name='Save'><arg name='data' type='ay' direction='out'/>"
  "</method>"
  "  </interface>"
  "</node>";

static const char raw_xml_int_id[] =
  "<node>"
  "  <interface name='org.qemu.VMState1'>"
  "    <property name='Id' type='i' access='read'/>"
  "    <method name='Load'><arg name='data' type='ay' direction='in'/>"
  "</method>"
  "    <method name='Save'><arg name='data' type='ay' direction='out'/>"
  "</method>"
  "  </interface>"
  "</node>";

static void
reply_save (TestRawHelper         *helper,
            GDBusMethodInvocation *invocation)
{
  GVariant *array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                              helper->state, TRUE);

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new_tuple (&array, 1));
}

typedef struct
{
  TestRawHelper *helper;
  GDBusMethodInvocation *invocation;  /* NULL once answered */
} DelayedSave;

static gboolean
on_delayed_save (gpointer user_data)
{
  DelayedSave *delayed = user_data;

  reply_save (delayed->helper, g_steal_pointer (&delayed->invocation));
  return G_SOURCE_REMOVE;
}

static void
delayed_save_free (gpointer data)
{
  DelayedSave *delayed = data;

  g_clear_object (&delayed->invocation);
  g_free (delayed);
}

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
  TestRawHelper *helper = user_data;

  if (g_str_equal (method_name, "Load"))
    {
      g_autoptr(GVariant) array = g_variant_get_child_value (parameters, 0);

      g_mutex_lock (&helper->lock);
      helper->loads++;
      g_mutex_unlock (&helper->lock);
      g_clear_pointer (&helper->state, g_bytes_unref);
      helper->state = g_variant_get_data_as_bytes (array);
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }

  g_mutex_lock (&helper->lock);
  helper->saves++;
  g_cond_broadcast (&helper->cond);
  g_mutex_unlock (&helper->lock);
  switch (helper->spec.save_mode)
    {
    case TEST_RAW_SAVE_DATA:
      if (helper->spec.save_delay_msec > 0)
        {
          guint delay = helper->spec.save_delay_msec;
          DelayedSave *delayed = g_new0 (DelayedSave, 1);
          GSource *source = g_timeout_source_new (delay);

          delayed->helper = helper;
          delayed->invocation = invocation;
          g_source_set_callback (source, on_delayed_save, delayed,
                                 delayed_save_free);
          g_source_attach (source, helper->context);
          g_mutex_lock (&helper->lock);
          g_ptr_array_add (helper->delayed, source);
          g_mutex_unlock (&helper->lock);
          return;
        }
      reply_save (helper, invocation);
      return;
    case TEST_RAW_SAVE_ERROR:
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  helper->error_name,
                                                  helper->save_error);
      return;
    case TEST_RAW_SAVE_SILENT:
      g_mutex_lock (&helper->lock);
      g_ptr_array_add (helper->held, invocation);
      g_mutex_unlock (&helper->lock);
      return;
    case TEST_RAW_SAVE_VANISH:
      /* Gone without an answer, as a crashing process would be. */
      g_dbus_connection_close_sync (connection, NULL, NULL);
      g_object_unref (invocation);
      return;
    }
  g_assert_not_reached ();
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
  TestRawHelper *helper = user_data;
  GVariant *id;

  if (helper->spec.id_mode == TEST_RAW_ID_WRONG_TYPE)
    return g_variant_new_int32 (7);
  if (helper->spec.id_mode == TEST_RAW_ID_FAILS)
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                           "no Id today");
      return NULL;
    }
  g_mutex_lock (&helper->lock);
  id = g_variant_new_string (helper->id);
  g_mutex_unlock (&helper->lock);
  return id;
}

static const GDBusInterfaceVTable raw_vtable = {
  .method_call = raw_method_call,
  .get_property = raw_get_property,
};

/* Drops every method call, so that none is ever answered. */
static GDBusMessage *
drop_calls (GDBusConnection *connection,
            GDBusMessage    *message,
            gboolean         incoming,
            gpointer         user_data)
{
  if (incoming && g_dbus_message_get_message_type (message)
                      == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    {
      TestRawHelper *helper = user_data;

      g_mutex_lock (&helper->lock);
      g_ptr_array_add (helper->held, message);
      g_mutex_unlock (&helper->lock);
      return NULL;
    }
  return message;
}

/* Connects, exports and queues, on the thread-default main context. */
static void
raw_connect (TestRawHelper *helper)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GVariant) reply = NULL;
  TestRawIdMode mode = helper->spec.id_mode;

  node = g_dbus_node_info_new_for_xml (mode == TEST_RAW_ID_WRONG_TYPE
                                           ? raw_xml_int_id : raw_xml,
                                       &error);
  g_assert_no_error (error);
  helper->connection = g_dbus_connection_new_for_address_sync (
      helper->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (helper->connection, FALSE);
  if (mode != TEST_RAW_ID_NO_OBJECT && mode != TEST_RAW_ID_SILENT)
    {
      helper->registration = g_dbus_connection_register_object (
          helper->connection, VMSTATE1_OBJECT_PATH, node->interfaces[0],
          &raw_vtable, helper, NULL, &error);
      g_assert_no_error (error);
    }
  /* In the queue, as QEMU's helpers are: no flags. The bus answers this
   * one itself: blocking is fine. */
  reply = g_dbus_connection_call_sync (helper->connection,
                                       "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)",
                                                      VMSTATE1_BUS_NAME, 0),
                                       G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
                                       &error);
  g_assert_no_error (error);
  /* Only now: the RequestName reply had to come in. */
  if (mode == TEST_RAW_ID_SILENT)
    g_dbus_connection_add_filter (helper->connection, drop_calls, helper,
                                  NULL);
  helper->unique_name = g_strdup (g_dbus_connection_get_unique_name (
      helper->connection));
}

static void
raw_disconnect (TestRawHelper *helper)
{
  if (helper->registration != 0)
    g_dbus_connection_unregister_object (helper->connection,
                                         helper->registration);
  g_dbus_connection_close_sync (helper->connection, NULL, NULL);
  g_clear_object (&helper->connection);
}

static gpointer
raw_thread (gpointer data)
{
  TestRawHelper *helper = data;

  g_main_context_push_thread_default (helper->context);
  raw_connect (helper);
  g_mutex_lock (&helper->lock);
  helper->ready = TRUE;
  g_cond_broadcast (&helper->cond);
  g_mutex_unlock (&helper->lock);

  g_main_loop_run (helper->loop);

  raw_disconnect (helper);
  g_main_context_pop_thread_default (helper->context);
  return NULL;
}

static TestRawHelper *
raw_new (const char        *address,
         const TestRawSpec *spec,
         GMainContext      *context)
{
  TestRawHelper *helper = g_new0 (TestRawHelper, 1);

  helper->spec = *spec;
  helper->address = g_strdup (address);
  helper->id = g_strdup (spec->id != NULL ? spec->id : "");
  helper->error_name = g_strdup (spec->error_name != NULL
                                     ? spec->error_name
                                     : "org.example.Raw.Error");
  helper->save_error = g_strdup (spec->save_error != NULL ? spec->save_error
                                                          : "it failed");
  if (spec->state != NULL)
    helper->state = g_bytes_ref (spec->state);
  else
    {
      guint8 *data = g_malloc (MAX (spec->save_size, 1));

      memset (data, 0x5a, spec->save_size);
      helper->state = g_bytes_new_take (data, spec->save_size);
    }
  helper->spec.id = helper->spec.error_name = helper->spec.save_error = NULL;
  helper->spec.state = NULL;
  helper->context = context;
  helper->held = g_ptr_array_new_with_free_func (g_object_unref);
  helper->delayed = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_source_unref);
  g_mutex_init (&helper->lock);
  g_cond_init (&helper->cond);
  return helper;
}

TestRawHelper *
test_raw_helper_start (const char        *address,
                       const TestRawSpec *spec)
{
  TestRawHelper *helper = raw_new (address, spec, g_main_context_new ());

  helper->loop = g_main_loop_new (helper->context, FALSE);
  helper->thread = g_thread_new ("raw-helper", raw_thread, helper);
  g_mutex_lock (&helper->lock);
  while (!helper->ready)
    g_cond_wait (&helper->cond, &helper->lock);
  g_mutex_unlock (&helper->lock);
  return helper;
}

TestRawHelper *
test_raw_helper_start_here (const char        *address,
                            const TestRawSpec *spec)
{
  TestRawHelper *helper = raw_new (address, spec,
                                   g_main_context_ref_thread_default ());

  raw_connect (helper);
  helper->ready = TRUE;
  return helper;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
test_raw_helper_stop (TestRawHelper *helper)
{
  if (helper->thread != NULL)
    {
      g_main_context_invoke (helper->context, quit_loop, helper->loop);
      g_thread_join (helper->thread);
      g_main_loop_unref (helper->loop);
    }
  else
    raw_disconnect (helper);
  /* No delayed answer may come once the helper is gone. */
  for (guint i = 0; i < helper->delayed->len; i++)
    g_source_destroy (g_ptr_array_index (helper->delayed, i));
  g_ptr_array_unref (helper->delayed);
  g_ptr_array_unref (helper->held);
  g_main_context_unref (helper->context);
  g_mutex_clear (&helper->lock);
  g_cond_clear (&helper->cond);
  g_bytes_unref (helper->state);
  g_free (helper->unique_name);
  g_free (helper->address);
  g_free (helper->id);
  g_free (helper->error_name);
  g_free (helper->save_error);
  g_free (helper);
}

const char *
test_raw_helper_get_unique_name (TestRawHelper *helper)
{
  return helper->unique_name;
}

GDBusConnection *
test_raw_helper_get_connection (TestRawHelper *helper)
{
  return helper->connection;
}

guint
test_raw_helper_get_saves (TestRawHelper *helper)
{
  guint saves;

  g_mutex_lock (&helper->lock);
  saves = helper->saves;
  g_mutex_unlock (&helper->lock);
  return saves;
}

guint
test_raw_helper_get_loads (TestRawHelper *helper)
{
  guint loads;

  g_mutex_lock (&helper->lock);
  loads = helper->loads;
  g_mutex_unlock (&helper->lock);
  return loads;
}

gboolean
test_raw_helper_wait_save (TestRawHelper *helper,
                           guint          timeout_msec)
{
  gint64 deadline = g_get_monotonic_time ()
                    + timeout_msec * G_TIME_SPAN_MILLISECOND;
  gboolean called;

  g_mutex_lock (&helper->lock);
  while (helper->saves == 0
         && g_cond_wait_until (&helper->cond, &helper->lock, deadline))
    ;
  called = helper->saves > 0;
  g_mutex_unlock (&helper->lock);
  return called;
}

void
test_raw_helper_set_id (TestRawHelper *helper,
                        const char    *id)
{
  g_autoptr(GError) error = NULL;
  GVariantBuilder changed;

  g_mutex_lock (&helper->lock);
  g_free (helper->id);
  helper->id = g_strdup (id);
  g_mutex_unlock (&helper->lock);
  g_variant_builder_init (&changed, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&changed, "{sv}", "Id", g_variant_new_string (id));
  g_dbus_connection_emit_signal (
      helper->connection, NULL, VMSTATE1_OBJECT_PATH,
      "org.freedesktop.DBus.Properties", "PropertiesChanged",
      g_variant_new ("(sa{sv}as)", VMSTATE1_INTERFACE, &changed, NULL),
      &error);
  g_assert_no_error (error);
  test_bus_round_trip (helper->connection);
}
