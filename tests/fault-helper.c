/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A helper process for the fault tests: its Save answers after
 * --save-delay milliseconds, without blocking its main loop (or, with
 * --block, blocking it all that time), and says "saving" when a Save
 * starts, so a test can kill it mid-Save. */
#include <glib-unix.h>
#include <stdio.h>
#include <vmstate1.h>

#define FAULT_TYPE_HELPER (fault_helper_get_type ())
G_DECLARE_FINAL_TYPE (FaultHelper, fault_helper, FAULT, HELPER, Vmstate1Helper)

struct _FaultHelper
{
  Vmstate1Helper parent;
  GBytes *state;
  guint delay;
  gboolean block;
};

G_DEFINE_TYPE (FaultHelper, fault_helper, VMSTATE1_TYPE_HELPER)

static gboolean
on_delay_done (gpointer user_data)
{
  GTask *task = user_data;
  FaultHelper *self = g_task_get_source_object (task);

  g_task_return_pointer (task, g_bytes_ref (self->state),
                         (GDestroyNotify) g_bytes_unref);
  return G_SOURCE_REMOVE;
}

static void
fault_helper_save_async (Vmstate1Helper      *helper,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  FaultHelper *self = FAULT_HELPER (helper);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  printf ("saving\n");
  fflush (stdout);
  if (self->block)
    {
      g_usleep (self->delay * (gulong) 1000);
      on_delay_done (task);
      g_object_unref (task);
      return;
    }
  g_timeout_add_full (G_PRIORITY_DEFAULT, self->delay, on_delay_done, task,
                      g_object_unref);
}

static GBytes *
fault_helper_save_finish (Vmstate1Helper  *helper,
                          GAsyncResult    *result,
                          GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fault_helper_finalize (GObject *object)
{
  g_bytes_unref (FAULT_HELPER (object)->state);
  G_OBJECT_CLASS (fault_helper_parent_class)->finalize (object);
}

static void
fault_helper_class_init (FaultHelperClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fault_helper_finalize;
  VMSTATE1_HELPER_CLASS (klass)->save_async = fault_helper_save_async;
  VMSTATE1_HELPER_CLASS (klass)->save_finish = fault_helper_save_finish;
}

static void
fault_helper_init (FaultHelper *self)
{
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
  int delay = 0, size = 65536;
  gboolean block = FALSE;
  GOptionEntry entries[] = {
    { "dbus-address", 0, 0, G_OPTION_ARG_STRING, &address, "Bus", "ADDR" },
    { "dbus-id", 0, 0, G_OPTION_ARG_STRING, &id, "Id", "ID" },
    { "save-delay", 0, 0, G_OPTION_ARG_INT, &delay, "Save delay", "MSEC" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "State size", "BYTES" },
    { "block", 0, 0, G_OPTION_ARG_NONE, &block, "Block the main loop "
      "during the Save delay", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(FaultHelper) helper = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || id == NULL)
    return 2;

  helper = g_object_new (FAULT_TYPE_HELPER, "id", id, NULL);
  helper->delay = delay;
  helper->block = block;
  helper->state = g_bytes_new_take (g_malloc0 (size), size);
  bus = vmstate1_connect (address, NULL, &error);
  if (bus == NULL
      || !vmstate1_helper_export (VMSTATE1_HELPER (helper), bus, &error))
    {
      g_printerr ("fault-helper: %s\n", error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, on_terminate, loop);
  printf ("ready\n");
  fflush (stdout);
  g_main_loop_run (loop);
  vmstate1_helper_unexport (VMSTATE1_HELPER (helper));
  return 0;
}
