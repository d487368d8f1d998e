/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A helper written the way QEMU's own dbus-vmstate test writes one: a
 * gdbus-codegen skeleton (generated here into the BenchQemu namespace from
 * the library's interface XML), the handle-save and handle-load signals,
 * and Save building its reply from the helper's buffer on each call.
 *
 *   bench-helper-codegen --dbus-address=ADDR --dbus-id=ID --size=BYTES
 *
 * Prints "ready NAME" once queued for org.qemu.VMState1. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "bench-qemu-vmstate1.h"

typedef struct
{
  guint8 *data;
  gsize size;
  GVariant *loaded;  /* the last Load's bytes */
} CodegenHelper;

static gboolean
on_handle_save (BenchQemuVMState1     *skeleton,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  CodegenHelper *helper = user_data;
  GVariant *array;

  /* complete_save() takes a NUL-terminated bytestring: build the reply
   * by hand, as QEMU's test does. */
  array = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, helper->data,
                                     helper->size, 1);
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new_tuple (&array, 1));
  return TRUE;
}

static gboolean
on_handle_load (BenchQemuVMState1     *skeleton,
                GDBusMethodInvocation *invocation,
                const char            *arg_data,
                gpointer               user_data)
{
  CodegenHelper *helper = user_data;
  GVariant *parameters = g_dbus_method_invocation_get_parameters (invocation);

  /* arg_data stops at the first NUL: the bytes are in the parameters. */
  g_clear_pointer (&helper->loaded, g_variant_unref);
  helper->loaded = g_variant_get_child_value (parameters, 0);
  bench_qemu_vmstate1_complete_load (skeleton, invocation);
  return TRUE;
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
  g_autoptr(BenchQemuVMState1) skeleton = NULL;
  g_autoptr(GVariant) reply = NULL;
  CodegenHelper helper = { NULL, };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)
      || address == NULL || size < 0)
    {
      g_printerr ("bench-helper-codegen: %s\n",
                  error ? error->message : "--dbus-address?");
      return 2;
    }

  helper.size = size;
  helper.data = g_malloc (MAX (size, 1));
  for (int i = 0; i < size; i++)
    helper.data[i] = g_random_int_range (0, 256);

  skeleton = bench_qemu_vmstate1_skeleton_new ();
  bench_qemu_vmstate1_set_id (skeleton, id ? id : "codegen");
  g_signal_connect (skeleton, "handle-save", G_CALLBACK (on_handle_save),
                    &helper);
  g_signal_connect (skeleton, "handle-load", G_CALLBACK (on_handle_load),
                    &helper);

  connection = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  if (connection == NULL
      || !g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (skeleton),
                                            connection, "/org/qemu/VMState1",
                                            &error))
    {
      g_printerr ("bench-helper-codegen: %s\n", error->message);
      return 1;
    }
  /* Synchronously, unlike g_bus_own_name(): "ready" means queued. */
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)",
                                                      "org.qemu.VMState1", 0),
                                       G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  if (reply == NULL)
    {
      g_printerr ("bench-helper-codegen: %s\n", error->message);
      return 1;
    }

  g_unix_signal_add (SIGTERM, on_terminate, loop);
  printf ("ready %s\n", g_dbus_connection_get_unique_name (connection));
  fflush (stdout);
  g_main_loop_run (loop);

  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (skeleton));
  g_clear_pointer (&helper.loaded, g_variant_unref);
  g_free (helper.data);
  return 0;
}
