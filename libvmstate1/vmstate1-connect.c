/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-connect.h"
#include "vmstate1-error.h"

/**
 * SECTION:vmstate1-connect
 * @title: Connecting to a VM's bus
 * @short_description: a private connection to the bus QEMU listens on
 *
 * libvirt starts one private message bus per VM and passes its address to
 * every helper (`--dbus-address`). A helper holds one place in the
 * %VMSTATE1_BUS_NAME queue per connection, so each Id needs a connection
 * of its own: vmstate1_connect() always opens a new one.
 */

/**
 * vmstate1_connect:
 * @address: (nullable): a D-Bus address such as `unix:path=/run/vm1.bus`,
 *   or %NULL for the session bus
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Opens a new message-bus connection to @address, blocking until the bus
 * has accepted it. The connection is never shared with other code and
 * does not end the process when it closes: watch its
 * #GDBusConnection::closed signal (or #Vmstate1Helper:exported) to learn
 * that the bus went away.
 *
 * Returns: (transfer full): a new connection, or %NULL with @error set,
 *   naming the address that failed.
 *
 * Since: 0.1
 */
GDBusConnection *
vmstate1_connect (const char    *address,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *session_address = NULL;
  g_autoptr(GError) local_error = NULL;
  GDBusConnection *connection;

  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (address == NULL)
    {
      session_address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION,
                                                         cancellable,
                                                         &local_error);
      if (session_address == NULL)
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                       "No bus address given and no session bus: %s",
                       local_error->message);
          return NULL;
        }
      address = session_address;
    }

  connection = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, cancellable, &local_error);
  if (connection == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                     "Cannot connect to the bus at '%s': %s", address,
                     local_error->message);
      return NULL;
    }

  g_dbus_connection_set_exit_on_close (connection, FALSE);
  g_debug ("connected to %s as %s", address,
           g_dbus_connection_get_unique_name (connection));
  return connection;
}
