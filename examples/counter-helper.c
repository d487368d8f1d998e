/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The smallest useful helper: a counter that survives migration.
 *
 *   counter-helper --dbus-address=unix:path=/run/vm.bus --dbus-id=counter
 *
 * On a migration destination start it with --dbus-incoming: it waits for
 * QEMU's Load before it starts counting, as libvirt's helpers do.
 *
 * Run by systemd as a Type=notify service (counter-helper.service), it
 * says READY=1 only once it is exported and queued, so a unit ordered
 * after it never starts QEMU before the helper is on the bus. */
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <vmstate1.h>
#ifdef COUNTER_HELPER_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* Saved as a format version byte then the value, big-endian: a version
 * lets a later helper read an older state, and makes the state non-empty
 * even at zero. */
#define COUNTER_STATE_VERSION 1
#define COUNTER_STATE_SIZE 9

typedef struct
{
  guint64 value;
  gboolean counting;
  GMainLoop *loop;
  int exit_status;
} Counter;

static GBytes *
counter_save (gpointer   user_data,
              GError   **error)
{
  Counter *counter = user_data;
  guint8 state[COUNTER_STATE_SIZE] = { COUNTER_STATE_VERSION };
  guint64 be = GUINT64_TO_BE (counter->value);

  memcpy (state + 1, &be, sizeof be);
  g_print ("saved counter=%" G_GUINT64_FORMAT "\n", counter->value);
  return g_bytes_new (state, sizeof state);
}

static gboolean
counter_load (GBytes    *data,
              gpointer   user_data,
              GError   **error)
{
  Counter *counter = user_data;
  gsize size;
  const guint8 *state = g_bytes_get_data (data, &size);
  guint64 be;

  if (size != COUNTER_STATE_SIZE || state[0] != COUNTER_STATE_VERSION)
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                   "expected a version %d counter state of %d bytes, got %"
                   G_GSIZE_FORMAT " bytes (version %d)", COUNTER_STATE_VERSION,
                   COUNTER_STATE_SIZE, size, size > 0 ? state[0] : -1);
      return FALSE;
    }
  memcpy (&be, state + 1, sizeof be);
  counter->value = GUINT64_FROM_BE (be);
  g_print ("loaded counter=%" G_GUINT64_FORMAT "%s\n", counter->value,
           counter->counting ? "" : ", counting from here");
  counter->counting = TRUE;
  return TRUE;
}

static gboolean
on_tick (gpointer user_data)
{
  Counter *counter = user_data;

  if (counter->counting)
    g_print ("counter=%" G_GUINT64_FORMAT "\n", ++counter->value);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_terminate (gpointer user_data)
{
  Counter *counter = user_data;

  g_main_loop_quit (counter->loop);
  return G_SOURCE_REMOVE;
}

static void
on_bus_closed (GDBusConnection *connection,
               gboolean         remote_peer_vanished,
               GError          *error,
               gpointer         user_data)
{
  Counter *counter = user_data;

  g_printerr ("counter-helper: the bus connection closed: %s\n",
              error ? error->message : "closed");
  counter->exit_status = 1;
  g_main_loop_quit (counter->loop);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *address = NULL;
  g_autofree char *id = NULL;
  gboolean incoming = FALSE;
  int interval = 1000;
  GOptionEntry entries[] = {
    { "dbus-address", 0, 0, G_OPTION_ARG_STRING, &address,
      "D-Bus address of the VM's bus (default: the session bus)", "ADDRESS" },
    { "dbus-id", 0, 0, G_OPTION_ARG_STRING, &id,
      "Id of this helper on the bus (default: counter)", "ID" },
    { "dbus-incoming", 0, 0, G_OPTION_ARG_NONE, &incoming,
      "Wait for an incoming migration's state before counting", NULL },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval,
      "Milliseconds between two counts (default: 1000)", "MSEC" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  Counter counter = { 0 };
  guint registration;

  setvbuf (stdout, NULL, _IOLBF, 0);
  options = g_option_context_new ("- a counter that survives migration");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("counter-helper: %s\n", error->message);
      return 2;
    }
  if (interval <= 0)
    {
      g_printerr ("counter-helper: --interval must be positive\n");
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  counter.loop = loop;
  counter.counting = !incoming;

  connection = vmstate1_connect (address, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("counter-helper: %s\n", error->message);
      return 1;
    }
  registration = vmstate1_register (connection, id ? id : "counter",
                                    counter_save, counter_load, &counter,
                                    NULL, &error);
  if (registration == 0)
    {
      g_printerr ("counter-helper: %s\n", error->message);
      return 1;
    }
  g_signal_connect (connection, "closed", G_CALLBACK (on_bus_closed),
                    &counter);
  g_unix_signal_add (SIGTERM, on_terminate, &counter);
  g_unix_signal_add (SIGINT, on_terminate, &counter);
  g_timeout_add (interval, on_tick, &counter);

  g_print ("ready: Id '%s' on %s%s\n", id ? id : "counter",
           g_dbus_connection_get_unique_name (connection),
           incoming ? ", waiting for the incoming state" : "");
#ifdef COUNTER_HELPER_HAVE_SYSTEMD
  /* vmstate1_register() returned: the bus has queued us. Does nothing
   * outside a Type=notify service (no $NOTIFY_SOCKET). */
  sd_notifyf (0, "READY=1\nSTATUS=Id '%s' queued on the VM's bus as %s",
              id ? id : "counter",
              g_dbus_connection_get_unique_name (connection));
#endif
  g_main_loop_run (loop);

  vmstate1_unregister (registration);
  return counter.exit_status;
}
