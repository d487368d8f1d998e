/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The demonstration: a helper's state migrated through a real QEMU.
 *
 * Two private buses, as libvirt gives each VM one; a counter helper on
 * each (the destination's started with --dbus-incoming); a source QEMU
 * that migrates to a file and a destination QEMU that loads it. The
 * counter goes on counting on the destination from where it stopped. */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness/test-bus.h"
#include "harness/test-qemu.h"

typedef struct
{
  const char *name;
  GSubprocess *process;
  GDataInputStream *out;
  GCancellable *cancellable;
  guint64 last_value;     /* from "counter=N" lines */
  guint64 loaded_value;
  gboolean loaded;
  gboolean saved;
  guint64 saved_value;
} Helper;

static void read_helper_line (Helper *helper);

static void
on_helper_line (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Helper *helper = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (helper->out, result, NULL,
                                                    NULL);
  if (line == NULL)
    return;
  g_print ("  [%s helper] %s\n", helper->name, line);
  if (g_str_has_prefix (line, "counter="))
    helper->last_value = g_ascii_strtoull (line + 8, NULL, 10);
  else if (g_str_has_prefix (line, "saved counter="))
    {
      helper->saved = TRUE;
      helper->saved_value = g_ascii_strtoull (line + 14, NULL, 10);
    }
  else if (g_str_has_prefix (line, "loaded counter="))
    {
      helper->loaded = TRUE;
      helper->loaded_value = g_ascii_strtoull (line + 15, NULL, 10);
    }
  read_helper_line (helper);
}

static void
read_helper_line (Helper *helper)
{
  g_data_input_stream_read_line_async (helper->out, G_PRIORITY_DEFAULT,
                                       helper->cancellable, on_helper_line,
                                       helper);
}

static gboolean
start_helper (Helper      *helper,
              const char  *binary,
              const char  *name,
              const char  *address,
              gboolean     incoming,
              GError     **error)
{
  g_autofree char *address_arg = g_strdup_printf ("--dbus-address=%s", address);

  helper->name = name;
  helper->cancellable = g_cancellable_new ();
  helper->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, error,
                                      binary, address_arg, "--dbus-id=counter",
                                      "--interval=250",
                                      incoming ? "--dbus-incoming" : NULL,
                                      NULL);
  if (helper->process == NULL)
    return FALSE;
  helper->out = g_data_input_stream_new (
      g_subprocess_get_stdout_pipe (helper->process));
  read_helper_line (helper);
  return TRUE;
}

static void
stop_helper (Helper *helper)
{
  if (helper->process == NULL)
    return;
  g_subprocess_send_signal (helper->process, SIGTERM);
  g_subprocess_wait (helper->process, NULL, NULL);
  g_cancellable_cancel (helper->cancellable);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&helper->out);
  g_clear_object (&helper->process);
  g_clear_object (&helper->cancellable);
}

static void
pause_msec (guint msec)
{
  gboolean never = FALSE;

  test_wait_for (&never, msec);
}

static int
fail (const char   *what,
      const GError *error)
{
  g_printerr ("\nDEMO FAILED: %s%s%s\n", what, error ? ": " : "",
              error ? error->message : "");
  return 1;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestBus) src_bus = NULL;
  g_autoptr(TestBus) dst_bus = NULL;
  g_autoptr(TestQemu) src_qemu = NULL;
  g_autoptr(TestQemu) dst_qemu = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  g_autofree char *save_uri = NULL;
  g_autofree char *load_uri = NULL;
  g_autofree char *status = NULL;
  g_autofree char *error_desc = NULL;
  g_autofree char *qemu_binary = test_qemu_find_binary ();
  const char *counter = argc > 1 ? argv[1] : NULL;
  Helper source = { 0 }, destination = { 0 };
  int result = 0;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (counter == NULL)
    {
      g_printerr ("usage: %s PATH-TO-counter-helper\n", argv[0]);
      return 2;
    }
  if (qemu_binary == NULL)
    return fail ("qemu-system-x86_64 not found (Debian: qemu-system-x86)",
                 NULL);

  g_print ("== libvmstate1 demo: a helper's state migrated by a real QEMU\n");
  g_print ("   (%s, -M none: no guest, the dbus-vmstate section only)\n\n",
           qemu_binary);

  g_print ("1. Two private D-Bus buses, one per side, as libvirt starts "
           "one per VM\n");
  src_bus = test_bus_new (NULL, &error);
  if (src_bus == NULL)
    return fail ("cannot start dbus-daemon", error);
  dst_bus = test_bus_new (NULL, &error);
  if (dst_bus == NULL)
    return fail ("cannot start dbus-daemon", error);
  g_print ("   source bus:      %s\n   destination bus: %s\n\n",
           test_bus_get_address (src_bus), test_bus_get_address (dst_bus));

  dir = g_dir_make_tmp ("vmstate1-demo-XXXXXX", &error);
  if (dir == NULL)
    return fail ("cannot make a temporary directory", error);
  file = g_build_filename (dir, "migration.bin", NULL);
  save_uri = g_strdup_printf ("exec:cat > %s", file);
  load_uri = g_strdup_printf ("exec:cat %s", file);

  g_print ("2. The counter helper on the source bus counts\n");
  if (!start_helper (&source, counter, "source", test_bus_get_address (src_bus),
                     FALSE, &error))
    return fail ("cannot start the counter helper", error);
  pause_msec (1400);

  g_print ("\n3. Source QEMU (-object dbus-vmstate,addr=<source bus>) "
           "migrates to %s\n", file);
  {
    TestQemuOptions options = { .bus_address = test_bus_get_address (src_bus) };

    src_qemu = test_qemu_new (&options, &error);
    if (src_qemu == NULL)
      return fail ("cannot start the source QEMU", error);
    status = test_qemu_migrate (src_qemu, save_uri, &error_desc, &error);
    if (status == NULL)
      return fail ("migration did not run", error);
  }
  pause_msec (100);
  g_print ("   source QEMU: migration %s%s%s\n", status,
           error_desc ? ": " : "", error_desc ? error_desc : "");
  if (!g_str_equal (status, "completed") || !source.saved)
    {
      result = fail ("the source migration did not complete", NULL);
      goto out;
    }
  /* As libvirt does once the migration completed. */
  g_print ("   the source helper is stopped: its VM lives on the destination "
           "now\n");
  stop_helper (&source);

  g_print ("\n4. The destination counter helper starts with --dbus-incoming:"
           " it waits for its state\n");
  if (!start_helper (&destination, counter, "destination",
                     test_bus_get_address (dst_bus), TRUE, &error))
    {
      result = fail ("cannot start the destination helper", error);
      goto out;
    }
  pause_msec (600);

  g_print ("\n5. Destination QEMU (-incoming \"%s\") loads it into the "
           "helper\n", load_uri);
  {
    TestQemuOptions options = {
      .bus_address = test_bus_get_address (dst_bus),
      .incoming = load_uri,
    };

    dst_qemu = test_qemu_new (&options, &error);
    if (dst_qemu == NULL
        || !test_qemu_wait_incoming (dst_qemu, &error))
      {
        result = fail ("the destination migration failed", error);
        goto out;
      }
  }
  g_print ("   destination QEMU: incoming migration completed\n");
  pause_msec (1100);

  g_print ("\n");
  if (!destination.loaded || destination.loaded_value != source.saved_value
      || destination.last_value <= destination.loaded_value)
    {
      result = fail ("the counter did not continue on the destination", NULL);
      goto out;
    }
  g_print ("OK: the source saved counter=%" G_GUINT64_FORMAT ", the "
           "destination loaded it and went on to %" G_GUINT64_FORMAT ".\n",
           source.saved_value, destination.last_value);

out:
  stop_helper (&source);
  stop_helper (&destination);
  g_unlink (file);
  g_rmdir (dir);
  return result;
}
