/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-connect.h"
#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"

/**
 * SECTION:vmstate1-connect
 * @title: Connecting to a VM's bus
 * @short_description: a private connection to the bus QEMU listens on
 *
 * libvirt starts one private message bus per VM and passes its address to
 * every helper (`--dbus-address`). A helper holds one place in the
 * %VMSTATE1_BUS_NAME queue per connection, so each Id needs a connection
 * of its own: vmstate1_connect() always opens a new one.
 *
 * Connecting never waits forever: a bus that accepts the socket but never
 * answers (a stopped dbus-daemon, say) fails with
 * %VMSTATE1_ERROR_TIMED_OUT after %VMSTATE1_DEFAULT_TIMEOUT_MSEC. A bus
 * that refuses keeps GIO's error (%G_IO_ERROR_CONNECTION_REFUSED,
 * %G_IO_ERROR_NOT_FOUND for a socket that is not there...), with the
 * address in front of the message.
 */

typedef struct
{
  char *address;
  GCancellable *cancellable;   /* ours: the caller's, or the timeout */
  GSource *cancelled;          /* the caller's cancellable, in our context */
  GSource *timeout;
  gboolean timed_out;
  int timeout_msec;
  GTask *task;                 /* until it has returned */
} Connect;

static void
connect_free (Connect *connect)
{
  g_assert (connect->task == NULL);
  if (connect->cancelled != NULL)
    {
      g_source_destroy (connect->cancelled);
      g_source_unref (connect->cancelled);
    }
  if (connect->timeout != NULL)
    {
      g_source_destroy (connect->timeout);
      g_source_unref (connect->timeout);
    }
  g_clear_object (&connect->cancellable);
  g_free (connect->address);
  g_free (connect);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  Connect *connect = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&connect->task);

  if (task == NULL)
    return G_SOURCE_REMOVE;
  /* Answer now: GDBus may still be stuck in Hello, which nothing but its
   * own 25 s timeout ends; on_connected drops what it brings. */
  connect->timed_out = TRUE;
  g_cancellable_cancel (connect->cancellable);
  g_task_return_new_error (task, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT,
                           "The bus at '%s' did not answer within %d ms (is "
                           "its dbus-daemon stopped?)", connect->address,
                           connect->timeout_msec);
  return G_SOURCE_REMOVE;
}

/* The caller cancelled: answer at once, as for the timeout; GDBus may
 * still be stuck in Hello, and on_connected drops what it brings. Runs
 * in the task's context, like the other two ways it can end. */
static gboolean
on_async_cancelled (GCancellable *caller,
                    gpointer      user_data)
{
  Connect *connect = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&connect->task);

  g_cancellable_cancel (connect->cancellable);
  if (connect->timeout != NULL)
    g_source_destroy (connect->timeout);
  if (task != NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "Connecting to the bus at '%s' was cancelled",
                             connect->address);
  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *caller,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) holder = user_data;  /* keeps the data alive */
  Connect *connect = g_task_get_task_data (holder);
  g_autoptr(GTask) task = g_steal_pointer (&connect->task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;

  connection = g_dbus_connection_new_for_address_finish (result, &error);
  if (task == NULL)
    {
      /* Timed out already: a late connection is closed by its unref. */
      if (connection != NULL)
        g_dbus_connection_close (connection, NULL, NULL, NULL);
      return;
    }
  if (connect->timeout != NULL)
    g_source_destroy (connect->timeout);
  if (connect->cancelled != NULL)
    g_source_destroy (connect->cancelled);
  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        {
          g_prefix_error (&error, "Cannot connect to the bus at '%s': ",
                          connect->address);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      return;
    }

  g_dbus_connection_set_exit_on_close (connection, FALSE);
  g_debug ("connected to %s as %s", connect->address,
           g_dbus_connection_get_unique_name (connection));
  g_task_return_pointer (task, g_steal_pointer (&connection), g_object_unref);
}

/**
 * vmstate1_connect_async:
 * @address: (nullable): a D-Bus address such as `unix:path=/run/vm1.bus`,
 *   or %NULL for the session bus
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected, or when it failed
 * @user_data: (closure callback): data for @callback
 *
 * Starts opening a new message-bus connection to @address, as
 * vmstate1_connect() does, without blocking. Get the result with
 * vmstate1_connect_finish() in @callback, which runs in the thread-default
 * main context of the caller.
 *
 * Since: 0.2
 */
void
vmstate1_connect_async (const char          *address,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Connect *connect;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmstate1_connect_async);

  connect = g_new0 (Connect, 1);
  connect->task = g_object_ref (task);
  connect->timeout_msec = VMSTATE1_DEFAULT_TIMEOUT_MSEC;
  connect->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, connect, (GDestroyNotify) connect_free);

  if (address == NULL)
    {
      /* Reads the environment or X11 properties: nothing that waits on
       * the bus. */
      connect->address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION,
                                                          NULL, &error);
      if (connect->address == NULL)
        {
          g_clear_object (&connect->task);
          g_task_return_new_error (task, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                                   "No bus address given and no session "
                                   "bus: %s", error->message);
          return;
        }
    }
  else
    connect->address = g_strdup (address);

  if (cancellable != NULL)
    {
      connect->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (connect->cancelled,
                             G_SOURCE_FUNC (on_async_cancelled), connect,
                             NULL);
      g_source_set_static_name (connect->cancelled, "[vmstate1] connect cancelled");
      g_source_attach (connect->cancelled, g_task_get_context (task));
    }

  /* GDBus bounds neither the handshake nor (in GLib 2.74) its Hello call
   * by our cancellable: the timeout cancels the handshake, and a stuck
   * Hello ends with GDBus's own 25 s timeout after we have answered. */
  connect->timeout = g_timeout_source_new (connect->timeout_msec);
  g_source_set_callback (connect->timeout, on_connect_timeout, connect, NULL);
  g_source_set_static_name (connect->timeout, "[vmstate1] connect timeout");
  g_source_attach (connect->timeout, g_task_get_context (task));

  g_dbus_connection_new_for_address (
      connect->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, connect->cancellable, on_connected, g_steal_pointer (&task));
}

/**
 * vmstate1_connect_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_connect_async().
 *
 * Returns: (transfer full): a new connection, or %NULL with @error set as
 *   vmstate1_connect() sets it.
 *
 * Since: 0.2
 */
GDBusConnection *
vmstate1_connect_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                            == vmstate1_connect_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * vmstate1_connect:
 * @address: (nullable): a D-Bus address such as `unix:path=/run/vm1.bus`,
 *   or %NULL for the session bus
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Opens a new message-bus connection to @address, blocking until the bus
 * has accepted it, for at most %VMSTATE1_DEFAULT_TIMEOUT_MSEC (a bus that
 * stops between the handshake and its first reply can hold it for up to
 * GDBus's own 25 seconds). The
 * connection is never shared with other code and does not end the
 * process when it closes: watch its #GDBusConnection::closed signal (or
 * #Vmstate1Helper:exported) to learn that the bus went away; its signals
 * are emitted in the thread-default main context of the caller. It does
 * not run that context meanwhile.
 *
 * Returns: (transfer full): a new connection, or %NULL with @error set:
 *   %VMSTATE1_ERROR_TIMED_OUT for a bus that did not answer in time,
 *   %G_IO_ERROR_CANCELLED, or GIO's own error for a bus that cannot be
 *   reached, its message naming the address.
 *
 * Since: 0.1
 */
/* The sync connect's deadline: a thread that cancels the handshake when
 * time is up. The connection itself is made in the caller's thread, so
 * that its signals (#GDBusConnection::closed) are emitted in the caller's
 * thread-default main context, as with g_dbus_connection_new_sync(). */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  gboolean timed_out;
  gint64 deadline;
  GCancellable *cancellable;
} Deadline;

static gpointer
deadline_thread (gpointer user_data)
{
  Deadline *deadline = user_data;

  g_mutex_lock (&deadline->lock);
  while (!deadline->done)
    if (!g_cond_wait_until (&deadline->cond, &deadline->lock,
                            deadline->deadline))
      {
        deadline->timed_out = !deadline->done;
        break;
      }
  g_mutex_unlock (&deadline->lock);
  if (deadline->timed_out)
    g_cancellable_cancel (deadline->cancellable);
  return NULL;
}

GDBusConnection *
vmstate1_connect (const char    *address,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *session_address = NULL;
  g_autoptr(GCancellable) ours = g_cancellable_new ();
  g_autoptr(GError) local_error = NULL;
  GDBusConnection *connection;
  Deadline deadline = { .done = FALSE, };
  GThread *thread;
  gulong handler = 0;

  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (address == NULL)
    {
      session_address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION,
                                                         NULL, &local_error);
      if (session_address == NULL)
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                       "No bus address given and no session bus: %s",
                       local_error->message);
          return NULL;
        }
      address = session_address;
    }

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable,
                                     G_CALLBACK (on_caller_cancelled), ours,
                                     NULL);
  g_mutex_init (&deadline.lock);
  g_cond_init (&deadline.cond);
  deadline.cancellable = ours;
  deadline.deadline = g_get_monotonic_time ()
                      + VMSTATE1_DEFAULT_TIMEOUT_MSEC * G_TIME_SPAN_MILLISECOND;
  thread = g_thread_new ("vmstate1-connect", deadline_thread, &deadline);

  /* GLib 2.74 bounds the handshake by @ours, but not the Hello call that
   * follows it (GDBus's own 25 s): a bus that stops between the two is
   * the one wait longer than the deadline. */
  connection = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, ours, &local_error);

  g_mutex_lock (&deadline.lock);
  deadline.done = TRUE;
  g_cond_signal (&deadline.cond);
  g_mutex_unlock (&deadline.lock);
  g_thread_join (thread);
  g_mutex_clear (&deadline.lock);
  g_cond_clear (&deadline.cond);
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);

  if (connection == NULL)
    {
      if (deadline.timed_out)
        g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TIMED_OUT,
                     "The bus at '%s' did not answer within %d ms (is its "
                     "dbus-daemon stopped?)", address,
                     VMSTATE1_DEFAULT_TIMEOUT_MSEC);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        {
          g_prefix_error (&local_error, "Cannot connect to the bus at '%s': ",
                          address);
          g_propagate_error (error, g_steal_pointer (&local_error));
        }
      return NULL;
    }

  g_dbus_connection_set_exit_on_close (connection, FALSE);
  g_debug ("connected to %s as %s", address,
           g_dbus_connection_get_unique_name (connection));
  return connection;
}
