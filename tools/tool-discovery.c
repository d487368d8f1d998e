/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tool-common.h"
#include "tool-discovery.h"

typedef struct
{
  GDBusConnection *bus;
  int timeout_msec;
  GPtrArray *owners;  /* of ToolOwner */
  guint pending;
} Discovery;

static void
tool_owner_free (gpointer data)
{
  ToolOwner *owner = data;

  g_free (owner->name);
  g_free (owner->id);
  g_free (owner->reason);
  g_free (owner);
}

static void
discovery_free (gpointer data)
{
  Discovery *discovery = data;

  g_clear_object (&discovery->bus);
  g_clear_pointer (&discovery->owners, g_ptr_array_unref);
  g_free (discovery);
}

/* What GetAll answered, as QEMU's proxy would take it: its cached "Id",
 * which must be a string. */
static void
take_properties (ToolOwner *owner,
                 GVariant  *reply)
{
  g_autoptr(GVariant) properties = g_variant_get_child_value (reply, 0);
  g_autoptr(GVariant) id = g_variant_lookup_value (properties, "Id", NULL);

  if (id == NULL)
    {
      owner->state = TOOL_OWNER_NO_ID;
      owner->reason = g_strdup ("it has no Id property");
    }
  else if (!g_variant_is_of_type (id, G_VARIANT_TYPE_STRING))
    {
      owner->state = TOOL_OWNER_WRONG_TYPE;
      owner->reason = g_strdup_printf ("its Id is of type '%s', not a "
                                       "string",
                                       g_variant_get_type_string (id));
    }
  else
    {
      gsize len;
      const char *text = g_variant_get_string (id, &len);

      owner->state = TOOL_OWNER_ID;
      owner->id = g_strndup (text, len);
      owner->id_len = len;
    }
}

typedef struct
{
  GTask *task;
  ToolOwner *owner;
} OwnerCall;

static void
finish_one (GTask *task)
{
  Discovery *discovery = g_task_get_task_data (task);

  if (--discovery->pending == 0)
    g_task_return_pointer (task, g_ptr_array_ref (discovery->owners),
                           (GDestroyNotify) g_ptr_array_unref);
}

static void
on_get_all (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  OwnerCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  ToolOwner *owner = call->owner;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_free (call);
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  if (reply != NULL)
    take_properties (owner, reply);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))
    owner->state = TOOL_OWNER_SILENT;
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)
           || g_error_matches (error, G_DBUS_ERROR,
                               G_DBUS_ERROR_SERVICE_UNKNOWN))
    owner->state = TOOL_OWNER_GONE;
  else
    {
      g_dbus_error_strip_remote_error (error);
      owner->state = TOOL_OWNER_NO_ID;
      owner->reason = g_strdup (error->message);
    }
  finish_one (task);
}

static void
on_list (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *discovery = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  if (reply == NULL)
    {
      /* Nobody queued: the name has no owner at all. */
      if (g_error_matches (error, G_DBUS_ERROR,
                           G_DBUS_ERROR_NAME_HAS_NO_OWNER))
        {
          g_task_return_pointer (task, g_ptr_array_ref (discovery->owners),
                                 (GDestroyNotify) g_ptr_array_unref);
          return;
        }
      g_dbus_error_strip_remote_error (error);
      g_prefix_error (&error, "the bus did not list the owners of %s: ",
                      VMSTATE1_BUS_NAME);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_variant_get (reply, "(^a&s)", &names);
  /* One owner listed twice is the bus's bug, not a duplicate Id. */
  discovery->pending = 1;
  for (guint i = 0; names[i] != NULL; i++)
    {
      ToolOwner *owner;
      OwnerCall *call;

      if (tool_owners_find (discovery->owners, names[i]) != NULL)
        continue;
      owner = g_new0 (ToolOwner, 1);
      owner->name = g_strdup (names[i]);
      g_ptr_array_add (discovery->owners, owner);
      call = g_new0 (OwnerCall, 1);
      call->task = g_object_ref (task);
      call->owner = owner;
      discovery->pending++;
      g_dbus_connection_call (discovery->bus, names[i], VMSTATE1_OBJECT_PATH,
                              "org.freedesktop.DBus.Properties", "GetAll",
                              g_variant_new ("(s)", VMSTATE1_INTERFACE),
                              G_VARIANT_TYPE ("(a{sv})"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START,
                              discovery->timeout_msec,
                              g_task_get_cancellable (task), on_get_all, call);
    }
  finish_one (task);
}

void
tool_discover_async (GDBusConnection     *bus,
                     int                  timeout_msec,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = g_task_new (bus, cancellable, callback, user_data);
  Discovery *discovery = g_new0 (Discovery, 1);

  g_task_set_source_tag (task, tool_discover_async);
  discovery->bus = g_object_ref (bus);
  discovery->timeout_msec = timeout_msec;
  discovery->owners = g_ptr_array_new_with_free_func (tool_owner_free);
  g_task_set_task_data (task, discovery, discovery_free);
  g_dbus_connection_call (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "ListQueuedOwners",
                          g_variant_new ("(s)", VMSTATE1_BUS_NAME),
                          G_VARIANT_TYPE ("(as)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_msec,
                          cancellable, on_list, task);
}

GPtrArray *
tool_discover_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
tool_discover (GDBusConnection  *bus,
               int               timeout_msec,
               GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  ToolWait *wait = tool_wait_new ();

  tool_discover_async (bus, timeout_msec, tool_wait_get_cancellable (wait),
                       tool_wait_done, wait);
  /* Two bounded calls in a row; the limit is only a backstop. */
  result = tool_wait_run (wait, tool_operation_limit (), "The bus", error);
  if (result == NULL)
    return NULL;
  return tool_discover_finish (result, error);
}

const ToolOwner *
tool_owners_find (GPtrArray  *owners,
                  const char *name)
{
  for (guint i = 0; i < owners->len; i++)
    {
      const ToolOwner *owner = g_ptr_array_index (owners, i);

      if (g_str_equal (owner->name, name))
        return owner;
    }
  return NULL;
}
