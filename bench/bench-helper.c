/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper built on libvmstate1, as a user writes it: --size random
 * bytes returned on Save (a reference, no copy), any state taken on Load.
 * Everything on the wire (the object, the Id, the name queue) is the
 * library's own code.
 *
 *   bench-helper --dbus-address=ADDR --dbus-id=ID --size=BYTES
 *
 * Prints "ready NAME" (its unique name) once it is in the queue. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <vmstate1.h>

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
  guint8 *data;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)
      || address == NULL || size < 0)
    {
      g_printerr ("bench-helper: %s\n",
                  error ? error->message : "--dbus-address?");
      return 2;
    }

  /* One copy of the state, handed out by reference. */
  data = g_malloc (size);
  for (int i = 0; i < size; i++)
    data[i] = g_random_int_range (0, 256);
  state = g_bytes_new_take (data, size);

  connection = vmstate1_connect (address, NULL, &error);
  if (connection == NULL
      || !vmstate1_register (connection, id ? id : "library", bench_save,
                             bench_load, NULL, NULL, &error))
    {
      g_printerr ("bench-helper: %s\n", error->message);
      return 1;
    }

  g_unix_signal_add (SIGTERM, on_terminate, loop);
  printf ("ready %s\n", g_dbus_connection_get_unique_name (connection));
  fflush (stdout);
  g_main_loop_run (loop);
  g_bytes_unref (state);
  return 0;
}
