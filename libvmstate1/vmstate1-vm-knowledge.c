/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a Vmstate1Vm knows of its bus (which unique name has which Id),
 * and what changed on it while each operation was in flight. Kept true by
 * a message filter that sees the bus's signals in the order they arrive. */
#include "vmstate1-interface-private.h"
#include "vmstate1-vm-knowledge-private.h"
#include "vmstate1-vm-private.h"

/* What the Vm knows of the bus. Shared with the filter, which runs in
 * GDBus's worker thread and may still run after it is removed. */
struct _Vmstate1VmKnowledge
{
  GMutex lock;
  GHashTable *known;   /* unique name -> Id */
  GPtrArray *watches;  /* of Vmstate1VmWatch: the operations in flight */
};

/* What changed on the bus while one operation was in flight. */
struct _Vmstate1VmWatch
{
  gpointer knowledge;  /* a reference */
  /* unique name -> the Id it said it has now, or NULL when it left, its
   * Id went, or it said different things */
  GHashTable *changed;
  gboolean overflow;   /* more than could be listed: all of them */
};

static void
knowledge_clear (gpointer data)
{
  Vmstate1VmKnowledge *knowledge = data;

  g_assert (knowledge->watches->len == 0);
  g_ptr_array_unref (knowledge->watches);
  g_hash_table_unref (knowledge->known);
  g_mutex_clear (&knowledge->lock);
}

Vmstate1VmKnowledge *
_vmstate1_vm_knowledge_new (void)
{
  Vmstate1VmKnowledge *knowledge = g_atomic_rc_box_new0 (Vmstate1VmKnowledge);

  g_mutex_init (&knowledge->lock);
  knowledge->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            g_free);
  knowledge->watches = g_ptr_array_new ();
  return knowledge;
}

void
_vmstate1_vm_knowledge_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, knowledge_clear);
}
/* What the Vm knows. */

/* Known Ids are bounded by the queue's length in practice; this cap only
 * stops a peer that churns connections from growing the table. */
#define KNOWN_MAX 4096

char *
_vmstate1_vm_known_id (const char *unique_name,
                       gpointer    vm)
{
  Vmstate1VmKnowledge *knowledge = _vmstate1_vm_get_knowledge (VMSTATE1_VM (vm));
  char *id;

  g_mutex_lock (&knowledge->lock);
  id = g_strdup (g_hash_table_lookup (knowledge->known, unique_name));
  g_mutex_unlock (&knowledge->lock);
  return id;
}

Vmstate1VmWatch *
_vmstate1_vm_watch (Vmstate1Vm *self)
{
  Vmstate1VmKnowledge *knowledge = _vmstate1_vm_get_knowledge (self);
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker =
      g_mutex_locker_new (&knowledge->lock);
  Vmstate1VmWatch *watch = g_new0 (Vmstate1VmWatch, 1);

  watch->knowledge = g_atomic_rc_box_acquire (knowledge);
  watch->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          g_free);
  g_ptr_array_add (knowledge->watches, watch);
  return watch;
}

/* Whether the Id of @unique_name may no longer be @id. A connection
 * that only said it has @id (the end of an export of that Id: its object
 * answered with that Id from before) has not changed. */
static gboolean
watch_changed_locked (Vmstate1VmWatch *watch,
                      const char      *unique_name,
                      const char      *id)
{
  gpointer now;

  if (watch->overflow)
    return TRUE;
  if (!g_hash_table_lookup_extended (watch->changed, unique_name, NULL, &now))
    return FALSE;
  return now == NULL || g_strcmp0 (now, id) != 0;
}

gboolean
_vmstate1_vm_watch_changed (Vmstate1VmWatch *watch,
                            const char      *unique_name,
                            const char      *id)
{
  Vmstate1VmKnowledge *knowledge = watch->knowledge;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker =
      g_mutex_locker_new (&knowledge->lock);

  return watch_changed_locked (watch, unique_name, id);
}

static void
watch_note_locked (Vmstate1VmWatch *watch,
                   const char      *unique_name,
                   const char      *id)
{
  gpointer before;

  if (watch->overflow)
    return;
  if (g_hash_table_lookup_extended (watch->changed, unique_name, NULL,
                                    &before))
    {
      if (before != NULL && g_strcmp0 (before, id) != 0)
        g_hash_table_insert (watch->changed, g_strdup (unique_name), NULL);
      return;
    }
  if (g_hash_table_size (watch->changed) >= KNOWN_MAX)
    {
      watch->overflow = TRUE;
      g_hash_table_remove_all (watch->changed);
      return;
    }
  g_hash_table_insert (watch->changed, g_strdup (unique_name),
                       g_strdup (id));
}

void
_vmstate1_vm_unwatch (Vmstate1VmWatch *watch)
{
  Vmstate1VmKnowledge *knowledge = watch->knowledge;

  g_mutex_lock (&knowledge->lock);
  g_ptr_array_remove_fast (knowledge->watches, watch);
  g_mutex_unlock (&knowledge->lock);
  g_hash_table_unref (watch->changed);
  _vmstate1_vm_knowledge_unref (knowledge);
  g_free (watch);
}

void
_vmstate1_vm_remember (Vmstate1Vm      *self,
                       Vmstate1VmWatch *watch,
                       const char      *unique_name,
                       const char      *id)
{
  Vmstate1VmKnowledge *knowledge = _vmstate1_vm_get_knowledge (self);
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker =
      g_mutex_locker_new (&knowledge->lock);

  g_return_if_fail (watch->knowledge == knowledge);

  if (watch_changed_locked (watch, unique_name, id))
    return;  /* its Id changed or went since the operation began */
  if (g_hash_table_size (knowledge->known) >= KNOWN_MAX)
    g_hash_table_remove_all (knowledge->known);
  g_hash_table_insert (knowledge->known, g_strdup (unique_name),
                       g_strdup (id));
}

/* @id: the Id @unique_name says it has now; NULL when it left, its Id
 * went, or it is not known. */
static void
knowledge_forget (Vmstate1VmKnowledge *knowledge,
                  const char          *unique_name,
                  const char          *id)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker =
      g_mutex_locker_new (&knowledge->lock);

  g_hash_table_remove (knowledge->known, unique_name);
  /* Every operation in flight learns of it: an answer it gets from that
   * name may come from whatever the connection exports now. */
  for (guint i = 0; i < knowledge->watches->len; i++)
    watch_note_locked (g_ptr_array_index (knowledge->watches, i),
                       unique_name, id);
}

void
_vmstate1_vm_forget (Vmstate1Vm *self,
                     const char *unique_name)
{
  knowledge_forget (_vmstate1_vm_get_knowledge (self), unique_name, NULL);
}

/* Runs in GDBus's worker thread, for every message, in the order they
 * arrive: a change a helper signals before it leaves or re-enters the
 * queue is applied before any later listing of the queue is read. */
static GDBusMessage *
knowledge_filter (GDBusConnection *connection,
                  GDBusMessage    *message,
                  gboolean         incoming,
                  gpointer         user_data)
{
  Vmstate1VmKnowledge *knowledge = user_data;
  const char *member;
  GVariant *body;

  if (!incoming
      || g_dbus_message_get_message_type (message)
             != G_DBUS_MESSAGE_TYPE_SIGNAL)
    return message;
  member = g_dbus_message_get_member (message);
  body = g_dbus_message_get_body (message);
  if (member == NULL || body == NULL)
    return message;

  if (g_str_equal (member, "NameOwnerChanged")
      && g_strcmp0 (g_dbus_message_get_sender (message),
                    "org.freedesktop.DBus") == 0
      && g_variant_is_of_type (body, G_VARIANT_TYPE ("(sss)")))
    {
      const char *name, *old_owner, *new_owner;

      g_variant_get (body, "(&s&s&s)", &name, &old_owner, &new_owner);
      /* A unique name that goes never comes back. */
      if (name[0] == ':' && new_owner[0] == '\0')
        knowledge_forget (knowledge, name, NULL);
    }
  else if (g_str_equal (member, "PropertiesChanged")
           && g_strcmp0 (g_dbus_message_get_path (message),
                         VMSTATE1_OBJECT_PATH) == 0
           && g_strcmp0 (g_dbus_message_get_interface (message),
                         "org.freedesktop.DBus.Properties") == 0
           && g_variant_is_of_type (body, G_VARIANT_TYPE ("(sa{sv}as)"))
           && g_dbus_message_get_sender (message) != NULL)
    {
      const char *interface_name;

      g_variant_get_child (body, 0, "&s", &interface_name);
      if (g_str_equal (interface_name, VMSTATE1_INTERFACE))
        {
          g_autoptr(GVariant) changed = g_variant_get_child_value (body, 1);
          g_autoptr(GVariant) invalidated = g_variant_get_child_value (body,
                                                                      2);
          g_autoptr(GVariant) id = NULL;
          g_autofree const char **gone = g_variant_get_strv (invalidated,
                                                             NULL);

          if (!g_strv_contains (gone, "Id"))
            id = g_variant_lookup_value (changed, "Id", G_VARIANT_TYPE_STRING);
          /* Whatever it says, ask again next time: cheap, and safe. */
          knowledge_forget (knowledge, g_dbus_message_get_sender (message),
                            id != NULL ? g_variant_get_string (id, NULL)
                                       : NULL);
        }
    }
  return message;
}

guint
_vmstate1_vm_knowledge_add_filter (Vmstate1VmKnowledge *knowledge,
                                   GDBusConnection     *connection)
{
  return g_dbus_connection_add_filter (connection, knowledge_filter,
                                       g_atomic_rc_box_acquire (knowledge),
                                       _vmstate1_vm_knowledge_unref);
}
