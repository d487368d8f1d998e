/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "test-recorder.h"

GBytes *
test_recorder_save (gpointer   user_data,
               GError   **error)
{
  TestRecorder *recorder = user_data;

  recorder->saves++;
  if (recorder->fail_with != NULL)
    {
      g_propagate_error (error, g_error_copy (recorder->fail_with));
      return NULL;
    }
  if (recorder->fail_silently)
    return NULL;
  return g_bytes_ref (recorder->state);
}

gboolean
test_recorder_load (GBytes    *data,
               gpointer   user_data,
               GError   **error)
{
  TestRecorder *recorder = user_data;

  recorder->loads++;
  if (recorder->fail_with != NULL)
    {
      g_propagate_error (error, g_error_copy (recorder->fail_with));
      return FALSE;
    }
  if (recorder->fail_silently)
    return FALSE;
  g_clear_pointer (&recorder->loaded, g_bytes_unref);
  recorder->loaded = g_bytes_ref (data);
  return TRUE;
}

TestRecorder *
test_recorder_new (GBytes *state)
{
  TestRecorder *recorder = g_new0 (TestRecorder, 1);

  recorder->state = state ? g_bytes_ref (state) : NULL;
  return recorder;
}

TestRecorder *
test_recorder_new_text (const char *text)
{
  g_autoptr(GBytes) state = g_bytes_new (text, strlen (text));

  return test_recorder_new (state);
}

void
test_recorder_free (gpointer data)
{
  TestRecorder *recorder = data;

  if (recorder->freed != NULL)
    *recorder->freed = TRUE;
  g_clear_pointer (&recorder->state, g_bytes_unref);
  g_clear_pointer (&recorder->loaded, g_bytes_unref);
  g_clear_error (&recorder->fail_with);
  g_free (recorder);
}

Vmstate1Helper *
test_recorder_start (const char   *address,
                     const char   *id,
                     TestRecorder *recorder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(Vmstate1Helper) helper = NULL;

  connection = vmstate1_connect (address, NULL, &error);
  g_assert_no_error (error);
  helper = vmstate1_helper_new (id, &error);
  g_assert_no_error (error);
  vmstate1_helper_set_handlers (helper, test_recorder_save, test_recorder_load,
                                recorder, test_recorder_free);
  g_assert_true (vmstate1_helper_export (helper, connection, &error));
  g_assert_no_error (error);
  g_assert_true (vmstate1_helper_get_exported (helper));
  g_assert_true (vmstate1_helper_get_connection (helper) == connection);
  return g_steal_pointer (&helper);
}

void
test_recorder_stop (Vmstate1Helper *helper)
{
  g_autoptr(GDBusConnection) connection = NULL;

  connection = g_object_ref (vmstate1_helper_get_connection (helper));
  vmstate1_helper_unexport (helper);
  g_object_unref (helper);
  g_dbus_connection_close_sync (connection, NULL, NULL);
}

GBytes *
test_random_bytes (gsize size)
{
  guint8 *data = g_malloc (size ? size : 1);

  for (gsize i = 0; i < size; i++)
    data[i] = g_random_int_range (0, 256);
  return g_bytes_new_take (data, size);
}
