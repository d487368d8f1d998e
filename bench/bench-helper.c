/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper built on libvmstate1, as a user writes it: --size random
 * bytes returned on Save (a reference, no copy), any state taken on Load.
 *
 *   bench-helper --dbus-address=ADDR --dbus-id=ID --size=BYTES
 *   bench-helper --p2p=ADDR --size=BYTES
 *   bench-helper ... --id-in-filter   (a proposed change, tried here)
 *
 * vmstate1_helper_export() refuses a connection without a bus (QEMU
 * finds helpers through the bus's name queue), so --p2p takes the
 * library-style path: a Vmstate1Helper whose Save and Load virtual
 * functions run through the library (its default vfuncs calling the
 * handlers set here), with the reply built and checked as the library
 * builds it, on an object registered by hand.
 *
 * Prints "ready NAME" (the unique name; "-" on a p2p connection) once a
 * caller can reach it. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <vmstate1.h>

#include "bench-qemu-vmstate1.h"

static GBytes *state;

static GBytes *
bench_save (gpointer   user_data,
            GError   **error)
{
  return g_bytes_ref (state);
}

static gboolean
bench_load (GBytes    *data,
            gpointer   user_data,
            GError   **error)
{
  g_bytes_unref (state);
  state = g_bytes_ref (data);
  return TRUE;
}

/* The library-style path for a p2p connection. */

static void
p2p_method_call (GDBusConnection       *connection,
                 const char            *sender,
                 const char            *object_path,
                 const char            *interface_name,
                 const char            *method_name,
                 GVariant              *parameters,
                 GDBusMethodInvocation *invocation,
                 gpointer               user_data)
{
  Vmstate1Helper *helper = user_data;
  Vmstate1HelperClass *klass = VMSTATE1_HELPER_GET_CLASS (helper);
  g_autoptr(GError) error = NULL;

  if (method_name[0] == 'S')
    {
      g_autoptr(GBytes) data = klass->save (helper, NULL, &error);
      gsize size = data ? g_bytes_get_size (data) : 0;
      GVariant *array;

      if (data == NULL || size == 0 || size > VMSTATE1_DATA_MAX_SIZE)
        {
          g_dbus_method_invocation_return_error (invocation, VMSTATE1_ERROR,
                                                 VMSTATE1_ERROR_SAVE_FAILED,
                                                 "Save refused");
          return;
        }
      array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new_tuple (&array, 1));
      g_signal_emit_by_name (helper, "saved");
    }
  else
    {
      g_autoptr(GVariant) array = g_variant_get_child_value (parameters, 0);
      g_autoptr(GBytes) data = NULL;

      if (g_variant_get_size (array) > VMSTATE1_DATA_MAX_SIZE)
        {
          g_dbus_method_invocation_return_error (invocation, VMSTATE1_ERROR,
                                                 VMSTATE1_ERROR_TOO_LARGE,
                                                 "Load refused");
          return;
        }
      data = g_variant_get_data_as_bytes (array);
      if (!klass->load (helper, data, NULL, &error))
        {
          g_dbus_method_invocation_return_error (invocation, VMSTATE1_ERROR,
                                                 VMSTATE1_ERROR_LOAD_FAILED,
                                                 "Load failed");
          return;
        }
      g_dbus_method_invocation_return_value (invocation, NULL);
      g_signal_emit_by_name (helper, "loaded");
    }
}

static GVariant *
p2p_get_property (GDBusConnection  *connection,
                  const char       *sender,
                  const char       *object_path,
                  const char       *interface_name,
                  const char       *property_name,
                  GError          **error,
                  gpointer          user_data)
{
  return g_variant_new_string (vmstate1_helper_get_id (user_data));
}

static const GDBusInterfaceVTable p2p_vtable = {
  .method_call = p2p_method_call,
  .get_property = p2p_get_property,
};

/* --id-in-filter: the proposal in RESULTS.md, tried from outside the
 * library. The Id never changes while a helper is exported, so a GDBus
 * filter can answer Properties.Get(Id) in GDBus's own thread, without a
 * hop to the main context and back. Everything else passes through. */
static GDBusMessage *
answer_id (GDBusConnection *connection,
           GDBusMessage    *message,
           gboolean         incoming,
           gpointer         user_data)
{
  const char *id = user_data;
  GDBusMessage *reply;
  GVariant *body;
  const char *interface = NULL, *property = NULL;

  if (!incoming
      || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL
      || g_strcmp0 (g_dbus_message_get_member (message), "Get") != 0
      || g_strcmp0 (g_dbus_message_get_path (message), VMSTATE1_OBJECT_PATH) != 0
      || g_strcmp0 (g_dbus_message_get_interface (message),
                    "org.freedesktop.DBus.Properties") != 0)
    return message;
  body = g_dbus_message_get_body (message);
  if (body == NULL || !g_variant_is_of_type (body, G_VARIANT_TYPE ("(ss)")))
    return message;
  g_variant_get (body, "(&s&s)", &interface, &property);
  if (!g_str_equal (interface, VMSTATE1_INTERFACE)
      || !g_str_equal (property, "Id"))
    return message;

  reply = g_dbus_message_new_method_reply (message);
  g_dbus_message_set_body (reply, g_variant_new ("(v)",
                                                 g_variant_new_string (id)));
  g_dbus_connection_send_message (connection, reply,
                                  G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
  g_object_unref (reply);
  g_object_unref (message);
  return NULL;
}

static gboolean
on_terminate (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *address = NULL;
  g_autofree char *p2p = NULL;
  g_autofree char *id = NULL;
  int size = 65536;
  gboolean id_in_filter = FALSE;
  GOptionEntry entries[] = {
    { "dbus-address", 0, 0, G_OPTION_ARG_STRING, &address, "Bus", "ADDR" },
    { "p2p", 0, 0, G_OPTION_ARG_STRING, &p2p, "Peer, no bus", "ADDR" },
    { "id-in-filter", 0, 0, G_OPTION_ARG_NONE, &id_in_filter,
      "Answer Get(Id) in a GDBus filter (a proposal)", NULL },
    { "dbus-id", 0, 0, G_OPTION_ARG_STRING, &id, "Id", "ID" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "State size", "BYTES" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(Vmstate1Helper) p2p_helper = NULL;
  guint8 *data;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)
      || (address == NULL) == (p2p == NULL) || size < 0)
    {
      g_printerr ("bench-helper: %s\n",
                  error ? error->message : "--dbus-address or --p2p?");
      return 2;
    }
  if (id == NULL)
    id = g_strdup ("library");

  /* One copy of the state, handed out by reference. */
  data = g_malloc (size);
  for (int i = 0; i < size; i++)
    data[i] = g_random_int_range (0, 256);
  state = g_bytes_new_take (data, size);

  if (address != NULL)
    {
      connection = vmstate1_connect (address, NULL, &error);
      if (connection != NULL && id_in_filter)
        g_dbus_connection_add_filter (connection, answer_id, id, NULL);
      if (connection == NULL
          || !vmstate1_register (connection, id, bench_save, bench_load, NULL,
                                 NULL, &error))
        {
          g_printerr ("bench-helper: %s\n", error->message);
          return 1;
        }
    }
  else
    {
      connection = g_dbus_connection_new_for_address_sync (
          p2p, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL,
          &error);
      p2p_helper = connection ? vmstate1_helper_new (id, &error) : NULL;
      if (p2p_helper == NULL)
        {
          g_printerr ("bench-helper: %s\n", error->message);
          return 1;
        }
      vmstate1_helper_set_handlers (p2p_helper, bench_save, bench_load, NULL,
                                    NULL);
      if (g_dbus_connection_register_object (connection, VMSTATE1_OBJECT_PATH,
                                             bench_qemu_vmstate1_interface_info (),
                                             &p2p_vtable, p2p_helper, NULL,
                                             &error) == 0)
        {
          g_printerr ("bench-helper: %s\n", error->message);
          return 1;
        }
    }

  g_unix_signal_add (SIGTERM, on_terminate, loop);
  printf ("ready %s\n", address ? g_dbus_connection_get_unique_name (connection)
                                : "-");
  fflush (stdout);
  g_main_loop_run (loop);
  g_bytes_unref (state);
  return 0;
}
