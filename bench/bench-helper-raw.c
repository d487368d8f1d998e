/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor: the least a GDBus helper can do. One object registered by
 * hand, Save answers with a reply built once at startup, Load keeps a
 * reference to the bytes it was sent, and the helper queues for the name
 * itself. No libvmstate1 at all: the baseline the library's helper is
 * measured against.
 *
 *   bench-helper-raw --dbus-address=ADDR --dbus-id=ID --size=BYTES
 *
 * Prints "ready NAME" (its unique name) once it is in the queue. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "bench-qemu-vmstate1.h"

typedef struct
{
  char *id;
  GVariant *reply;   /* (ay), not floating: handed out again and again */
  GVariant *loaded;  /* the last Load's argument */
} RawHelper;

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
  RawHelper *helper = user_data;

  if (method_name[0] == 'S')
    {
      /* GDBus takes its own reference on a variant that is not floating. */
      g_dbus_method_invocation_return_value (invocation, helper->reply);
      return;
    }
  g_clear_pointer (&helper->loaded, g_variant_unref);
  helper->loaded = g_variant_ref (parameters);
  g_dbus_method_invocation_return_value (invocation, NULL);
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
  RawHelper *helper = user_data;

  return g_variant_new_string (helper->id);
}

static const GDBusInterfaceVTable raw_vtable = {
  .method_call = raw_method_call,
  .get_property = raw_get_property,
};

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
  g_autofree char *id = NULL;
  int size = 65536;
  GOptionEntry entries[] = {
    { "dbus-address", 0, 0, G_OPTION_ARG_STRING, &address, "Bus", "ADDR" },
    { "dbus-id", 0, 0, G_OPTION_ARG_STRING, &id, "Id", "ID" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "State size", "BYTES" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GBytes) state = NULL;
  g_autoptr(GVariant) request = NULL;
  RawHelper helper = { NULL, };
  GVariant *array;
  guint8 *data;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)
      || address == NULL || size < 0)
    {
      g_printerr ("bench-helper-raw: %s\n",
                  error ? error->message : "--dbus-address?");
      return 2;
    }
  helper.id = id ? id : "raw";

  /* Made once, referenced by the reply: one copy of the state. */
  data = g_malloc (size);
  for (int i = 0; i < size; i++)
    data[i] = g_random_int_range (0, 256);
  state = g_bytes_new_take (data, size);
  array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, state, TRUE);
  helper.reply = g_variant_ref_sink (g_variant_new_tuple (&array, 1));

  connection = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  if (connection == NULL
      || g_dbus_connection_register_object (connection, "/org/qemu/VMState1",
                                            bench_qemu_vmstate1_interface_info (),
                                            &raw_vtable, &helper, NULL,
                                            &error) == 0)
    {
      g_printerr ("bench-helper-raw: %s\n", error->message);
      return 1;
    }
  /* No flags: every helper of a VM waits in the one queue. */
  request = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                         "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "RequestName",
                                         g_variant_new ("(su)",
                                                        "org.qemu.VMState1", 0),
                                         G_VARIANT_TYPE ("(u)"),
                                         G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                         &error);
  if (request == NULL)
    {
      g_printerr ("bench-helper-raw: %s\n", error->message);
      return 1;
    }

  g_unix_signal_add (SIGTERM, on_terminate, loop);
  printf ("ready %s\n", g_dbus_connection_get_unique_name (connection));
  fflush (stdout);
  g_main_loop_run (loop);

  g_variant_unref (helper.reply);
  g_clear_pointer (&helper.loaded, g_variant_unref);
  return 0;
}
