/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-access-private.h"
#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"

struct _Vmstate1Access
{
  GArray *uids;          /* guint32 */
  GPtrArray *names;      /* unique or well-known bus names */
  GHashTable *sender_uids;  /* unique name -> uid + 1; never reused */
};

Vmstate1Access *
_vmstate1_access_new (void)
{
  Vmstate1Access *access = g_new0 (Vmstate1Access, 1);

  access->uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  access->names = g_ptr_array_new_with_free_func (g_free);
  access->sender_uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               NULL);
  return access;
}

void
_vmstate1_access_free (Vmstate1Access *access)
{
  g_array_unref (access->uids);
  g_ptr_array_unref (access->names);
  g_hash_table_unref (access->sender_uids);
  g_free (access);
}

void
_vmstate1_access_allow_uid (Vmstate1Access *access,
                            guint32         uid)
{
  g_array_append_val (access->uids, uid);
}

void
_vmstate1_access_allow_bus_name (Vmstate1Access *access,
                                 const char     *name)
{
  g_ptr_array_add (access->names, g_strdup (name));
}

gboolean
_vmstate1_access_is_restricted (Vmstate1Access *access)
{
  return access->uids->len > 0 || access->names->len > 0;
}

static char *
describe_rules (Vmstate1Access *access)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < access->uids->len; i++)
    g_string_append_printf (text, "%suid %u", text->len ? ", " : "",
                            g_array_index (access->uids, guint32, i));
  for (guint i = 0; i < access->names->len; i++)
    g_string_append_printf (text, "%sthe owner of %s", text->len ? ", " : "",
                            (const char *) g_ptr_array_index (access->names, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

typedef struct
{
  Vmstate1Access *access;
  GDBusConnection *connection;
  char *sender;
  char *id;
  char *method;
  gint64 uid;         /* -1 until known */
  guint names_left;   /* GetNameOwner replies still awaited */
  gboolean allowed;
} Check;

static void
check_free (Check *check)
{
  g_object_unref (check->connection);
  g_free (check->sender);
  g_free (check->id);
  g_free (check->method);
  g_free (check);
}

static void
check_return (GTask *task)
{
  Check *check = g_task_get_task_data (task);
  g_autofree char *rules = NULL;
  g_autofree char *uid = NULL;

  if (check->allowed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  rules = describe_rules (check->access);
  uid = check->uid >= 0 ? g_strdup_printf ("uid %" G_GINT64_FORMAT, check->uid)
                        : g_strdup ("uid unknown");
  g_task_return_new_error (task, VMSTATE1_ERROR, VMSTATE1_ERROR_ACCESS_DENIED,
                           "Id '%s': caller %s (%s) may not call %s; this "
                           "helper allows only %s", check->id, check->sender,
                           uid, check->method, rules);
}

static gboolean
uid_allowed (Vmstate1Access *access,
             gint64          uid)
{
  for (guint i = 0; i < access->uids->len; i++)
    if (uid == g_array_index (access->uids, guint32, i))
      return TRUE;
  return FALSE;
}

static void
on_name_owner (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  const char *owner;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         NULL);
  if (reply != NULL)
    {
      g_variant_get (reply, "(&s)", &owner);
      if (g_str_equal (owner, check->sender))
        check->allowed = TRUE;
    }
  if (--check->names_left == 0)
    check_return (task);
}

/* The uid is known: decide on it, else ask who owns the allowed names. */
static void
check_names (GTask *task)
{
  Check *check = g_task_get_task_data (task);
  Vmstate1Access *access = check->access;

  if (check->uid >= 0 && uid_allowed (access, check->uid))
    check->allowed = TRUE;
  for (guint i = 0; !check->allowed && i < access->names->len; i++)
    if (g_str_equal (g_ptr_array_index (access->names, i), check->sender))
      check->allowed = TRUE;
  if (check->allowed)
    {
      check_return (task);
      return;
    }

  for (guint i = 0; i < access->names->len; i++)
    {
      const char *name = g_ptr_array_index (access->names, i);

      if (name[0] == ':')
        continue;  /* a unique name owns only itself */
      check->names_left++;
      g_dbus_connection_call (check->connection, "org.freedesktop.DBus",
                              "/org/freedesktop/DBus", "org.freedesktop.DBus",
                              "GetNameOwner", g_variant_new ("(s)", name),
                              G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE,
                              VMSTATE1_BUS_CALL_TIMEOUT_MSEC, NULL,
                              on_name_owner, g_object_ref (task));
    }
  if (check->names_left == 0)
    check_return (task);
}

static void
on_unix_user (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  guint32 uid;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         NULL);
  if (reply != NULL)
    {
      g_variant_get (reply, "(u)", &uid);
      check->uid = uid;
      g_hash_table_insert (check->access->sender_uids,
                           g_strdup (check->sender), GSIZE_TO_POINTER (uid + 1));
    }
  check_names (task);
}

void
_vmstate1_access_check_async (Vmstate1Access      *access,
                              GDBusConnection     *connection,
                              const char          *sender,
                              const char          *id,
                              const char          *method,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  Check *check = g_new0 (Check, 1);
  gpointer cached;

  check->access = access;
  check->connection = g_object_ref (connection);
  check->sender = g_strdup (sender ? sender : "(unknown)");
  check->id = g_strdup (id);
  check->method = g_strdup (method);
  check->uid = -1;
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);

  if (sender == NULL)
    {
      check_return (task);  /* a peer-to-peer caller has no bus identity */
      return;
    }
  if (access->uids->len == 0)
    {
      check_names (task);
      return;
    }
  cached = g_hash_table_lookup (access->sender_uids, sender);
  if (cached != NULL)
    {
      check->uid = GPOINTER_TO_SIZE (cached) - 1;
      check_names (task);
      return;
    }
  g_dbus_connection_call (connection, "org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionUnixUser",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE,
                          VMSTATE1_BUS_CALL_TIMEOUT_MSEC, NULL, on_unix_user,
                          g_steal_pointer (&task));
}

gboolean
_vmstate1_access_check_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
