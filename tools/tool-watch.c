/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tool-common.h"
#include "tool-watch.h"

/* A new connection that is not queued with an Id yet is looked for
 * again after 100, 200, 400... ms, this many times. */
#define NEWCOMER_FIRST_DELAY_MSEC 100
#define NEWCOMER_TRIES 6

struct _ToolWatch
{
  GDBusConnection *bus;
  int timeout_msec;
  ToolWatchFunc func;
  gpointer user_data;
  guint owner_changed_id;
  guint properties_changed_id;
  GCancellable *cancellable;
  gboolean listing;
  gboolean again;          /* something changed while listing */
  GHashTable *newcomers;   /* unique name -> tries so far */
  guint retry_source;
};

static void list_now (ToolWatch *watch);

static gboolean
on_retry (gpointer user_data)
{
  ToolWatch *watch = user_data;

  watch->retry_source = 0;
  list_now (watch);
  return G_SOURCE_REMOVE;
}

/* Newcomers that are queued with an Id are found; the others are looked
 * for again later, each a bounded number of times. */
static void
schedule_newcomers (ToolWatch *watch,
                    GPtrArray *owners)
{
  GHashTableIter iter;
  gpointer key, value;
  guint fewest = G_MAXUINT;

  g_hash_table_iter_init (&iter, watch->newcomers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const ToolOwner *owner = owners != NULL ? tool_owners_find (owners, key)
                                              : NULL;
      guint tries = GPOINTER_TO_UINT (value);

      if ((owner != NULL && owner->state == TOOL_OWNER_ID)
          || tries >= NEWCOMER_TRIES)
        {
          g_hash_table_iter_remove (&iter);
          continue;
        }
      g_hash_table_iter_replace (&iter, GUINT_TO_POINTER (tries + 1));
      fewest = MIN (fewest, tries);
    }
  if (fewest != G_MAXUINT && watch->retry_source == 0)
    watch->retry_source = g_timeout_add (NEWCOMER_FIRST_DELAY_MSEC << fewest,
                                         on_retry, watch);
}

static void
on_discovered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) owners = tool_discover_finish (result, &error);
  ToolWatch *watch = user_data;

  /* Freed meanwhile: the call was cancelled, @watch is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  watch->listing = FALSE;
  schedule_newcomers (watch, owners);
  watch->func (owners, error, watch->user_data);
  /* Signals that came during the listing: once more, now. */
  if (watch->again)
    {
      watch->again = FALSE;
      list_now (watch);
    }
}

static void
list_now (ToolWatch *watch)
{
  if (watch->listing)
    {
      watch->again = TRUE;
      return;
    }
  watch->listing = TRUE;
  tool_discover_async (watch->bus, watch->timeout_msec, watch->cancellable,
                       on_discovered, watch);
}

static void
on_name_owner_changed (GDBusConnection *connection,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  ToolWatch *watch = user_data;
  const char *name, *old_owner, *new_owner;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sss)")))
    return;
  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] == ':')
    {
      if (*old_owner == '\0' && *new_owner != '\0')
        g_hash_table_insert (watch->newcomers, g_strdup (name),
                             GUINT_TO_POINTER (0));
      else if (*new_owner == '\0')
        g_hash_table_remove (watch->newcomers, name);
    }
  else if (!g_str_equal (name, VMSTATE1_BUS_NAME))
    return;
  list_now (watch);
}

static void
on_properties_changed (GDBusConnection *connection,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  /* Subscribed for the org.qemu.VMState1 interface only (arg0). */
  list_now (user_data);
}

ToolWatch *
tool_watch_new (GDBusConnection *bus,
                int              timeout_msec,
                ToolWatchFunc    func,
                gpointer         user_data)
{
  ToolWatch *watch = g_new0 (ToolWatch, 1);

  watch->bus = g_object_ref (bus);
  watch->timeout_msec = timeout_msec;
  watch->func = func;
  watch->user_data = user_data;
  watch->cancellable = g_cancellable_new ();
  watch->newcomers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            NULL);
  /* Subscribed before the first listing, so that nothing falls between. */
  watch->owner_changed_id = g_dbus_connection_signal_subscribe (
      bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
      "/org/freedesktop/DBus", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
      on_name_owner_changed, watch, NULL);
  watch->properties_changed_id = g_dbus_connection_signal_subscribe (
      bus, NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged",
      VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE, G_DBUS_SIGNAL_FLAGS_NONE,
      on_properties_changed, watch, NULL);
  list_now (watch);
  return watch;
}

void
tool_watch_free (ToolWatch *watch)
{
  if (watch == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (watch->bus, watch->owner_changed_id);
  g_dbus_connection_signal_unsubscribe (watch->bus,
                                        watch->properties_changed_id);
  g_cancellable_cancel (watch->cancellable);
  g_clear_handle_id (&watch->retry_source, g_source_remove);
  g_hash_table_unref (watch->newcomers);
  g_object_unref (watch->cancellable);
  g_object_unref (watch->bus);
  g_free (watch);
}
