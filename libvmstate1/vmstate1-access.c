/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-access-private.h"
#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"

struct _Vmstate1Access
{
  GArray *uids;          /* guint32 */
  GPtrArray *names;      /* unique or well-known bus names */
};

/* A unique name means something on one bus only (every dbus-daemon starts
 * again at :1.0), so the cache belongs to one export on one connection,
 * and it is bounded: a flood of callers costs a bus call each, not
 * memory. */
#define UID_CACHE_MAX 64

struct _Vmstate1UidCache
{
  GHashTable *uids;      /* unique name -> uid + 1 */
  GQueue order;          /* of the same names, oldest first */
};

Vmstate1UidCache *
_vmstate1_uid_cache_new (void)
{
  Vmstate1UidCache *cache = g_rc_box_new0 (Vmstate1UidCache);

  cache->uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&cache->order);
  return cache;
}

static void
uid_cache_clear (gpointer data)
{
  Vmstate1UidCache *cache = data;

  g_queue_clear (&cache->order);
  g_hash_table_unref (cache->uids);
}

Vmstate1UidCache *
_vmstate1_uid_cache_ref (Vmstate1UidCache *cache)
{
  return g_rc_box_acquire (cache);
}

void
_vmstate1_uid_cache_unref (Vmstate1UidCache *cache)
{
  g_rc_box_release_full (cache, uid_cache_clear);
}

guint
_vmstate1_uid_cache_get_size (Vmstate1UidCache *cache)
{
  return g_hash_table_size (cache->uids);
}

static void
uid_cache_insert (Vmstate1UidCache *cache,
                  const char       *sender,
                  guint32           uid)
{
  char *key;

  if (g_hash_table_contains (cache->uids, sender))
    return;
  if (g_hash_table_size (cache->uids) >= UID_CACHE_MAX)
    {
      char *oldest = g_queue_pop_head (&cache->order);

      g_hash_table_remove (cache->uids, oldest);  /* frees it */
    }
  key = g_strdup (sender);
  g_hash_table_insert (cache->uids, key, GSIZE_TO_POINTER ((gsize) uid + 1));
  g_queue_push_tail (&cache->order, key);

  /* Once per new caller: cheap, and it shows the bound at work. */
  {
      g_autofree char *message = g_strdup_printf (
          "caller %s is uid %u (%u callers remembered)", sender, uid,
          g_hash_table_size (cache->uids));
      g_autofree char *count = g_strdup_printf (
          "%u", g_hash_table_size (cache->uids));

      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
                        "VMSTATE1_CALLER", sender,
                        "VMSTATE1_CALLERS_REMEMBERED", count,
                        "MESSAGE", "%s", message);
  }
}

Vmstate1Access *
_vmstate1_access_new (void)
{
  Vmstate1Access *access = g_new0 (Vmstate1Access, 1);

  access->uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  access->names = g_ptr_array_new_with_free_func (g_free);
  return access;
}

void
_vmstate1_access_free (Vmstate1Access *access)
{
  g_array_unref (access->uids);
  g_ptr_array_unref (access->names);
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
  Vmstate1Access *access;  /* a copy: the helper may go meanwhile */
  Vmstate1UidCache *cache;
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
  _vmstate1_access_free (check->access);
  _vmstate1_uid_cache_unref (check->cache);
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
  g_autofree char *id = NULL;

  if (check->allowed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  rules = describe_rules (check->access);
  uid = check->uid >= 0 ? g_strdup_printf ("uid %" G_GINT64_FORMAT, check->uid)
                        : g_strdup ("uid unknown");
  id = _vmstate1_escape (check->id);
  g_task_return_new_error (task, VMSTATE1_ERROR, VMSTATE1_ERROR_ACCESS_DENIED,
                           "Id '%s': caller %s (%s) may not call %s; this "
                           "helper allows only %s", id, check->sender,
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
      uid_cache_insert (check->cache, check->sender, uid);
    }
  check_names (task);
}

static Vmstate1Access *
access_copy (Vmstate1Access *access)
{
  Vmstate1Access *copy = _vmstate1_access_new ();

  g_array_append_vals (copy->uids, access->uids->data, access->uids->len);
  for (guint i = 0; i < access->names->len; i++)
    g_ptr_array_add (copy->names, g_strdup (g_ptr_array_index (access->names,
                                                               i)));
  return copy;
}

void
_vmstate1_access_check_async (Vmstate1Access      *access,
                              Vmstate1UidCache    *cache,
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

  check->access = access_copy (access);
  check->cache = _vmstate1_uid_cache_ref (cache);
  access = check->access;
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
  cached = g_hash_table_lookup (check->cache->uids, sender);
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
