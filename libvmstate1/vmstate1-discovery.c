/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-call-error-private.h"
#include "vmstate1-discovery-private.h"
#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"

void
_vmstate1_peer_free (Vmstate1Peer *peer)
{
  g_free (peer->unique_name);
  g_free (peer->id);
  g_clear_error (&peer->error);
  g_free (peer);
}

typedef struct {
  GPtrArray *peers;
  guint pending;
  int timeout_msec;
  Vmstate1KnownIdFunc known;
  gpointer known_data;
} DiscoverData;

static void
discover_data_free (DiscoverData *data)
{
  g_ptr_array_unref (data->peers);
  g_free (data);
}

static void
discover_return_if_done (GTask *task)
{
  DiscoverData *data = g_task_get_task_data (task);

  if (data->pending > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, g_ptr_array_ref (data->peers),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
read_id (GTask        *task,
         Vmstate1Peer *peer);

static void
on_owners_listed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GDBusConnection *bus = G_DBUS_CONNECTION (source);
  DiscoverData *data = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree const char **names = NULL;

  reply = g_dbus_connection_call_finish (bus, result, &error);
  if (reply == NULL)
    {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      /* The bus's way of saying that the queue is empty. */
      if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0)
        {
          discover_return_if_done (task);
          return;
        }
      {
        Vmstate1CallContext context = {
          .what = "ListQueuedOwners", .timeout_msec = data->timeout_msec,
          .fallback = VMSTATE1_ERROR_FAILED,
        };

        g_task_return_error (task, _vmstate1_call_error (&context, error));
      }
      return;
    }

  g_variant_get (reply, "(^a&s)", &names);
  for (gsize i = 0; names[i] != NULL; i++)
    {
      Vmstate1Peer *peer = g_new0 (Vmstate1Peer, 1);

      peer->unique_name = g_strdup (names[i]);
      g_ptr_array_add (data->peers, peer);
      if (data->known != NULL)
        peer->id = data->known (peer->unique_name, data->known_data);
      if (peer->id == NULL)
        read_id (task, peer);
    }
  discover_return_if_done (task);
}

typedef struct {
  GTask *task;
  Vmstate1Peer *peer;
} IdRead;

static void
on_id_reply (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  IdRead *read = user_data;
  g_autoptr(GTask) task = read->task;
  Vmstate1Peer *peer = read->peer;
  DiscoverData *data = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  g_free (read);
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  if (reply == NULL)
    {
      Vmstate1CallContext context = {
        .peer = peer->unique_name, .what = "when asked for its Id",
        .timeout_msec = data->timeout_msec, .fallback = VMSTATE1_ERROR_FAILED,
      };

      peer->error = _vmstate1_call_error (&context, error);
    }
  else
    {
      g_variant_get (reply, "(v)", &value);
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        peer->id = g_variant_dup_string (value, NULL);
      else
        peer->error = g_error_new (VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                                   "Helper %s has an Id of type '%s', not "
                                   "a string", peer->unique_name,
                                   g_variant_get_type_string (value));
    }

  data->pending--;
  discover_return_if_done (task);
}

static void
read_id (GTask        *task,
         Vmstate1Peer *peer)
{
  DiscoverData *data = g_task_get_task_data (task);
  GDBusConnection *bus = g_task_get_source_object (task);
  IdRead *read = g_new0 (IdRead, 1);

  read->task = g_object_ref (task);
  read->peer = peer;
  data->pending++;
  g_dbus_connection_call (bus, peer->unique_name, VMSTATE1_OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", VMSTATE1_INTERFACE, "Id"),
                          G_VARIANT_TYPE ("(v)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, data->timeout_msec,
                          g_task_get_cancellable (task), on_id_reply, read);
}

void
_vmstate1_discover_async (GDBusConnection     *bus,
                          int                  timeout_msec,
                          Vmstate1KnownIdFunc  known,
                          gpointer             known_data,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DiscoverData *data;

  task = g_task_new (bus, cancellable, callback, user_data);
  g_task_set_source_tag (task, _vmstate1_discover_async);
  data = g_new0 (DiscoverData, 1);
  data->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) _vmstate1_peer_free);
  data->timeout_msec = timeout_msec;
  data->known = known;
  data->known_data = known_data;
  g_task_set_task_data (task, data, (GDestroyNotify) discover_data_free);

  g_dbus_connection_call (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "ListQueuedOwners",
                          g_variant_new ("(s)", VMSTATE1_BUS_NAME),
                          G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
                          timeout_msec, cancellable, on_owners_listed,
                          g_steal_pointer (&task));
}

GPtrArray *
_vmstate1_discover_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
