/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-register.h"

/**
 * SECTION:vmstate1-register
 * @title: The tiny API
 * @short_description: register an Id, a Save and a Load function
 *
 * The shortest way for a C helper to have its state migrated:
 *
 * |[<!-- language="C" -->
 * static GBytes *
 * save (gpointer user_data, GError **error)
 * {
 *   Counter *counter = user_data;
 *   guint64 be = GUINT64_TO_BE (counter->value);
 *   return g_bytes_new (&be, sizeof be);
 * }
 *
 * static gboolean
 * load (GBytes *data, gpointer user_data, GError **error)
 * {
 *   Counter *counter = user_data;
 *   if (g_bytes_get_size (data) != sizeof (guint64))
 *     {
 *       g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
 *                    "expected 8 bytes");
 *       return FALSE;
 *     }
 *   counter->value = GUINT64_FROM_BE (*(const guint64 *) g_bytes_get_data (data, NULL));
 *   return TRUE;
 * }
 *
 * connection = vmstate1_connect (address, NULL, &error);
 * id = vmstate1_register (connection, "counter", save, load, counter, NULL, &error);
 * ]|
 *
 * It is a #Vmstate1Helper underneath; language bindings use that class.
 *
 * Thread safety: vmstate1_register() and vmstate1_unregister() may be
 * called from any thread (the table of registrations is locked); the
 * callbacks of a registration run in the thread-default main context of
 * the thread that registered it, and vmstate1_unregister() must be called
 * from that thread, as vmstate1_helper_unexport().
 */

/* registration id -> Vmstate1Helper */
static GMutex registrations_lock;
static GHashTable *registrations;
static guint last_registration;

/**
 * vmstate1_register: (skip)
 * @connection: a message-bus connection, such as one from vmstate1_connect()
 * @id: the helper's Id, unique among the helpers of a VM
 * @save: returns the state on Save
 * @load: restores the state on Load
 * @user_data: data passed to @save and @load
 * @user_data_free: (nullable): frees @user_data when the registration ends
 * @error: return location for a #GError, or %NULL
 *
 * Exports a helper with Id @id on @connection: the same as
 * vmstate1_helper_new(), vmstate1_helper_set_handlers() and
 * vmstate1_helper_export(), with the same checks and errors. When it
 * returns the bus has answered and a migration started at once sees the
 * helper. @save and @load run in the thread-default main context of the
 * caller.
 *
 * @user_data_free is called when the registration ends, and also before
 * this returns 0, so @user_data is never leaked.
 *
 * Language bindings cannot bind two callbacks that share one @user_data:
 * they subclass #Vmstate1Helper instead.
 *
 * Returns: a registration id for vmstate1_unregister(), or 0 with @error
 *   set.
 *
 * Since: 0.1
 */
guint
vmstate1_register (GDBusConnection   *connection,
                   const char        *id,
                   Vmstate1SaveFunc   save,
                   Vmstate1LoadFunc   load,
                   gpointer           user_data,
                   GDestroyNotify     user_data_free,
                   GError           **error)
{
  g_autoptr(Vmstate1Helper) helper = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  guint registration_id;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), 0);
  g_return_val_if_fail (save != NULL, 0);
  g_return_val_if_fail (load != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  helper = vmstate1_helper_new (id, error);
  if (helper == NULL)
    {
      if (user_data_free != NULL)
        user_data_free (user_data);
      return 0;
    }
  vmstate1_helper_set_handlers (helper, save, load, user_data, user_data_free);
  if (!vmstate1_helper_export (helper, connection, error))
    return 0;

  locker = g_mutex_locker_new (&registrations_lock);
  if (registrations == NULL)
    registrations = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  do
    registration_id = ++last_registration;
  while (registration_id == 0
         || g_hash_table_contains (registrations,
                                   GUINT_TO_POINTER (registration_id)));
  g_hash_table_insert (registrations, GUINT_TO_POINTER (registration_id),
                       g_steal_pointer (&helper));
  return registration_id;
}

/**
 * vmstate1_unregister:
 * @registration_id: an id from vmstate1_register()
 *
 * Ends a registration, as vmstate1_helper_unexport() does: the bus is
 * told at once, without waiting for its answer, that the helper leaves
 * the %VMSTATE1_BUS_NAME queue, its object is removed, and from then on
 * no Save or Load reaches @save or @load. The @user_data_free given to
 * vmstate1_register() is called.
 *
 * Since: 0.1
 */
void
vmstate1_unregister (guint registration_id)
{
  g_autoptr(Vmstate1Helper) helper = NULL;

  g_mutex_lock (&registrations_lock);
  if (registrations != NULL)
    g_hash_table_steal_extended (registrations,
                                 GUINT_TO_POINTER (registration_id), NULL,
                                 (gpointer *) &helper);
  g_mutex_unlock (&registrations_lock);

  if (helper == NULL)
    {
      g_critical ("vmstate1_unregister: no registration with id %u",
                  registration_id);
      return;
    }
  vmstate1_helper_unexport (helper);
}
