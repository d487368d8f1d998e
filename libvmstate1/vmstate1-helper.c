/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-access-private.h"
#include "vmstate1-discovery-private.h"
#include "vmstate1-error.h"
#include "vmstate1-helper.h"
#include "vmstate1-id-filter-private.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-sync-private.h"

/**
 * SECTION:vmstate1-helper
 * @title: Vmstate1Helper
 * @short_description: a helper process's migratable state, on the bus
 *
 * A #Vmstate1Helper exports the `org.qemu.VMState1` interface for one Id
 * on one bus connection and queues for the name %VMSTATE1_BUS_NAME, so
 * that QEMU's `dbus-vmstate` object finds it. QEMU calls Save on the
 * migration source while the guest is paused, and Load on the
 * destination with the bytes Save returned.
 *
 * Give it the state in one of three ways: subclass it and override the
 * #Vmstate1HelperClass.save and #Vmstate1HelperClass.load virtual
 * functions (Python: `do_save` and `do_load`); override the asynchronous
 * pair when the state is gathered through I/O; or, from C, set two
 * functions with vmstate1_helper_set_handlers().
 *
 * The library enforces QEMU's limits where a helper author can still act
 * on them: a Save that returns no bytes or more than
 * %VMSTATE1_DATA_MAX_SIZE bytes, and a Load of more than that, fail with
 * an error that names the Id, the size and the limit, and the helper keeps
 * running. Any error a Save or Load function reports reaches the caller
 * (QEMU's log, or vmstate1_save_all()) as a named D-Bus error whose message
 * starts with the helper's Id.
 */

typedef struct
{
  char *id;

  GDBusConnection *connection;
  guint object_id;
  guint id_filter;
  gulong closed_handler;
  GCancellable *cancellable;  /* cancelled on unexport */

  Vmstate1SaveFunc save_func;
  Vmstate1LoadFunc load_func;
  gpointer handler_data;
  GDestroyNotify handler_data_free;

  guint saves_in_flight;
  guint loads_in_flight;

  Vmstate1Access *access;  /* who may call Save and Load */
} Vmstate1HelperPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (Vmstate1Helper, vmstate1_helper, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_CONNECTION,
  PROP_EXPORTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_SAVED,
  SIGNAL_LOADED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Marks the connection a helper is exported on: one Id per connection. */
static GQuark
helper_on_connection_quark (void)
{
  return g_quark_from_static_string ("vmstate1-helper-on-connection");
}

/* The default virtual functions call the handlers. */

static GBytes *
vmstate1_helper_real_save (Vmstate1Helper  *self,
                           GCancellable    *cancellable,
                           GError         **error)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  if (priv->save_func == NULL)
    {
      g_set_error_literal (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED,
                           "This helper has no Save function: override the "
                           "save virtual function or call "
                           "vmstate1_helper_set_handlers()");
      return NULL;
    }
  return priv->save_func (priv->handler_data, error);
}

static gboolean
vmstate1_helper_real_load (Vmstate1Helper  *self,
                           GBytes          *data,
                           GCancellable    *cancellable,
                           GError         **error)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  if (priv->load_func == NULL)
    {
      g_set_error_literal (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED,
                           "This helper has no Load function: override the "
                           "load virtual function or call "
                           "vmstate1_helper_set_handlers()");
      return FALSE;
    }
  return priv->load_func (data, priv->handler_data, error);
}

static void
vmstate1_helper_real_save_async (Vmstate1Helper      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  GBytes *data;

  g_task_set_source_tag (task, vmstate1_helper_real_save_async);
  data = VMSTATE1_HELPER_GET_CLASS (self)->save (self, cancellable, &error);
  if (error != NULL)
    {
      g_clear_pointer (&data, g_bytes_unref);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, data, (GDestroyNotify) g_bytes_unref);
}

static GBytes *
vmstate1_helper_real_save_finish (Vmstate1Helper  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
vmstate1_helper_real_load_async (Vmstate1Helper      *self,
                                 GBytes              *data,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  gboolean ok;

  g_task_set_source_tag (task, vmstate1_helper_real_load_async);
  ok = VMSTATE1_HELPER_GET_CLASS (self)->load (self, data, cancellable, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    /* FALSE without a GError is reported as such by the caller. */
    g_task_return_boolean (task, ok);
}

static gboolean
vmstate1_helper_real_load_finish (Vmstate1Helper  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Method calls. */

typedef struct
{
  Vmstate1Helper *self;
  GDBusMethodInvocation *invocation;
  gint64 started;
  gsize size;  /* of the state a Load brings */
} Vmstate1HelperCall;

static Vmstate1HelperCall *
helper_call_new (Vmstate1Helper        *self,
                 GDBusMethodInvocation *invocation)
{
  Vmstate1HelperCall *call = g_new0 (Vmstate1HelperCall, 1);

  call->self = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->started = g_get_monotonic_time ();
  return call;
}

static void
helper_call_free (Vmstate1HelperCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->invocation);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vmstate1HelperCall, helper_call_free)

static double
helper_call_msec (Vmstate1HelperCall *call)
{
  return (g_get_monotonic_time () - call->started) / 1000.0;
}

/* A refused or failed call is a failed migration: the helper's log says
 * so too, not only the caller. Takes @error. */
static void
return_logged_error (GDBusMethodInvocation *invocation,
                     GError                *error)
{
  g_warning ("%s", error->message);
  g_dbus_method_invocation_return_gerror (invocation, error);
  g_error_free (error);
}

/* Replies with an error that names the Id and keeps the domain and code
 * of the helper's own error where it is ours; a function that failed
 * without a GError (an uncaught exception in a binding, say) still fails
 * the call, with a message that says so. */
static void
helper_call_return_error (Vmstate1HelperCall *call,
                          const char         *method,
                          Vmstate1Error       fallback_code,
                          GError             *cause)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (call->self);
  GError *error;

  if (cause == NULL)
    error = g_error_new (VMSTATE1_ERROR, fallback_code,
                         "Id '%s': %s failed without saying why: the %s "
                         "function returned failure but set no GError (in a "
                         "language binding: an uncaught exception, see the "
                         "helper's log)", priv->id, method, method);
  else if (cause->domain == VMSTATE1_ERROR)
    error = g_error_new (VMSTATE1_ERROR, cause->code, "Id '%s': %s failed: %s",
                         priv->id, method, cause->message);
  else
    error = g_error_new (VMSTATE1_ERROR, fallback_code,
                         "Id '%s': %s failed: %s", priv->id, method,
                         cause->message);

  return_logged_error (call->invocation, error);
}

static void
helper_call_finish_save (Vmstate1HelperCall *call,
                         GBytes             *data,
                         GError             *error)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (call->self);
  gsize size;
  GVariant *array;

  priv->saves_in_flight--;

  if (data == NULL || error != NULL)
    {
      helper_call_return_error (call, "Save", VMSTATE1_ERROR_SAVE_FAILED,
                                error);
      return;
    }

  size = g_bytes_get_size (data);
  if (size == 0)
    {
      return_logged_error (call->invocation, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED,
          "Id '%s': Save returned an empty state, which QEMU cannot migrate "
          "(its dbus-vmstate reads an empty byte array as 'not a byte array' "
          "and the destination then fails): return at least one byte, such "
          "as a format version", priv->id));
      return;
    }
  if (size > VMSTATE1_DATA_MAX_SIZE)
    {
      return_logged_error (call->invocation, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
          "Id '%s': Save returned %" G_GSIZE_FORMAT " bytes, over the limit "
          "of %d bytes that QEMU migrates per helper "
          "(VMSTATE1_DATA_MAX_SIZE)", priv->id, size,
          VMSTATE1_DATA_MAX_SIZE));
      return;
    }

  /* The variant references the bytes: the only copy is GDBus writing the
   * message. */
  array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE);
  g_dbus_method_invocation_return_value (call->invocation,
                                         g_variant_new_tuple (&array, 1));
  /* GLib formats a message before it knows nobody prints it. */
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("Id '%s': saved %" G_GSIZE_FORMAT " bytes in %.3f ms",
             priv->id, size, helper_call_msec (call));
  g_signal_emit (call->self, signals[SIGNAL_SAVED], 0);
}

static void
helper_call_finish_load (Vmstate1HelperCall *call,
                         gboolean            ok,
                         GError             *error)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (call->self);

  priv->loads_in_flight--;

  if (!ok || error != NULL)
    {
      helper_call_return_error (call, "Load", VMSTATE1_ERROR_LOAD_FAILED,
                                error);
      return;
    }

  g_dbus_method_invocation_return_value (call->invocation, NULL);
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("Id '%s': loaded %" G_GSIZE_FORMAT " bytes in %.3f ms",
             priv->id, call->size, helper_call_msec (call));
  g_signal_emit (call->self, signals[SIGNAL_LOADED], 0);
}

static void
on_save_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Vmstate1HelperCall) call = user_data;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;

  data = VMSTATE1_HELPER_GET_CLASS (call->self)->save_finish (call->self,
                                                              result, &error);
  helper_call_finish_save (call, data, error);
}

static void
on_load_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Vmstate1HelperCall) call = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = VMSTATE1_HELPER_GET_CLASS (call->self)->load_finish (call->self, result,
                                                            &error);
  helper_call_finish_load (call, ok, error);
}

static void
helper_handle_save (Vmstate1Helper        *self,
                    GDBusMethodInvocation *invocation)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);
  Vmstate1HelperClass *klass = VMSTATE1_HELPER_GET_CLASS (self);
  g_autoptr(Vmstate1HelperCall) call = NULL;

  if (priv->loads_in_flight > 0)
    {
      g_dbus_method_invocation_return_error (
          invocation, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED,
          "Id '%s': Save refused while a Load is in progress", priv->id);
      return;
    }

  call = helper_call_new (self, invocation);
  priv->saves_in_flight++;

  /* A helper with the synchronous pair answers in this dispatch, without
   * a GTask and a main-loop round trip: Save runs while the guest is
   * paused. */
  if (klass->save_async == vmstate1_helper_real_save_async)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) data = klass->save (self, priv->cancellable, &error);

      helper_call_finish_save (call, data, error);
      return;
    }

  klass->save_async (self, priv->cancellable, on_save_done,
                     g_steal_pointer (&call));
}

static void
helper_handle_load (Vmstate1Helper        *self,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);
  Vmstate1HelperClass *klass = VMSTATE1_HELPER_GET_CLASS (self);
  g_autoptr(Vmstate1HelperCall) call = NULL;
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GBytes) data = NULL;
  gsize size;

  if (priv->loads_in_flight > 0 || priv->saves_in_flight > 0)
    {
      g_dbus_method_invocation_return_error (
          invocation, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED,
          "Id '%s': Load refused while another Save or Load is in progress; "
          "the state is unchanged", priv->id);
      return;
    }

  array = g_variant_get_child_value (parameters, 0);
  size = g_variant_get_size (array);
  if (size > VMSTATE1_DATA_MAX_SIZE)
    {
      return_logged_error (invocation, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
          "Id '%s': Load of %" G_GSIZE_FORMAT " bytes refused, over the limit "
          "of %d bytes per helper; the state is unchanged", priv->id, size,
          VMSTATE1_DATA_MAX_SIZE));
      return;
    }

  /* A view of the message's own buffer, not a copy. */
  data = g_variant_get_data_as_bytes (array);
  call = helper_call_new (self, invocation);
  call->size = size;
  priv->loads_in_flight++;

  if (klass->load_async == vmstate1_helper_real_load_async)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = klass->load (self, data, priv->cancellable, &error);

      helper_call_finish_load (call, ok, error);
      return;
    }

  klass->load_async (self, data, priv->cancellable, on_load_done,
                     g_steal_pointer (&call));
}

static void
helper_dispatch (Vmstate1Helper        *self,
                 GDBusMethodInvocation *invocation)
{
  /* GDBus has checked the method name and the argument signature
   * against the interface description. */
  if (g_str_equal (g_dbus_method_invocation_get_method_name (invocation),
                   "Save"))
    helper_handle_save (self, invocation);
  else
    helper_handle_load (self,
                        g_dbus_method_invocation_get_parameters (invocation),
                        invocation);
}

static void
on_access_checked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Vmstate1HelperCall) call = user_data;
  GError *error = NULL;

  if (!_vmstate1_access_check_finish (result, &error))
    {
      /* Refused before any state is touched. */
      return_logged_error (call->invocation, error);
      return;
    }
  helper_dispatch (call->self, call->invocation);
}

static void
helper_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  Vmstate1Helper *self = user_data;
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  if (_vmstate1_access_is_restricted (priv->access))
    {
      _vmstate1_access_check_async (priv->access, connection, sender, priv->id,
                                    method_name, on_access_checked,
                                    helper_call_new (self, invocation));
      return;
    }
  helper_dispatch (self, invocation);
}

static GVariant *
helper_get_property (GDBusConnection  *connection,
                     const char       *sender,
                     const char       *object_path,
                     const char       *interface_name,
                     const char       *property_name,
                     GError          **error,
                     gpointer          user_data)
{
  Vmstate1Helper *self = user_data;
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  return g_variant_new_string (priv->id);
}

static const GDBusInterfaceVTable helper_vtable = {
  .method_call = helper_method_call,
  .get_property = helper_get_property,
};

/* Export and unexport. */

static void
helper_forget_connection (Vmstate1Helper *self,
                          gboolean        release_name)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);
  g_autoptr(GDBusConnection) connection = g_steal_pointer (&priv->connection);
  g_autoptr(GError) error = NULL;

  if (connection == NULL)
    return;

  if (release_name && !g_dbus_connection_is_closed (connection))
    {
      g_autoptr(GVariant) reply = NULL;

      /* Synchronous, so that once unexport returns QEMU no longer sees
       * this helper in the queue. */
      reply = g_dbus_connection_call_sync (
          connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
          "org.freedesktop.DBus", "ReleaseName",
          g_variant_new ("(s)", VMSTATE1_BUS_NAME), G_VARIANT_TYPE ("(u)"),
          G_DBUS_CALL_FLAGS_NONE, VMSTATE1_BUS_CALL_TIMEOUT_MSEC, NULL,
          &error);
      if (reply == NULL)
        g_debug ("Id '%s': releasing %s failed: %s", priv->id,
                 VMSTATE1_BUS_NAME, error->message);
    }

  g_dbus_connection_remove_filter (connection, priv->id_filter);
  priv->id_filter = 0;
  g_dbus_connection_unregister_object (connection, priv->object_id);
  priv->object_id = 0;
  g_clear_signal_handler (&priv->closed_handler, connection);
  g_object_set_qdata (G_OBJECT (connection), helper_on_connection_quark (),
                      NULL);

  g_cancellable_cancel (priv->cancellable);
  g_clear_object (&priv->cancellable);
  priv->cancellable = g_cancellable_new ();

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORTED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      gpointer         user_data)
{
  g_autoptr(Vmstate1Helper) self = g_object_ref (user_data);
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  g_message ("Id '%s': the bus connection closed (%s): QEMU can no longer "
             "reach this helper", priv->id,
             error ? error->message : "closed locally");
  helper_forget_connection (self, FALSE);
  /* The reference export took. */
  g_object_unref (self);
}

/* Whether another helper on the bus already has our Id. */
static gboolean
helper_check_id_unique (Vmstate1Helper   *self,
                        GDBusConnection  *connection,
                        GError          **error)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);
  g_auto(Vmstate1SyncCall) sync = { NULL, };
  g_autoptr(GPtrArray) peers = NULL;

  _vmstate1_sync_call_begin (&sync);
  _vmstate1_discover_async (connection, VMSTATE1_BUS_CALL_TIMEOUT_MSEC, NULL,
                            _vmstate1_sync_call_done, &sync);
  peers = _vmstate1_discover_finish (_vmstate1_sync_call_wait (&sync), error);
  if (peers == NULL)
    return FALSE;

  for (guint i = 0; i < peers->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (peers, i);

      /* A peer that does not answer is its own problem, and QEMU's. */
      if (peer->id == NULL)
        {
          g_debug ("Id '%s': ignoring %s in the duplicate check: %s", priv->id,
                   peer->unique_name, peer->error->message);
          continue;
        }
      if (g_str_equal (peer->id, priv->id))
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID,
                       "Id '%s' is already used by helper %s on this bus: "
                       "QEMU would fail the migration with 'Duplicated "
                       "VMState Id'; give each helper of a VM its own Id",
                       priv->id, peer->unique_name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
helper_request_name (Vmstate1Helper   *self,
                     GDBusConnection  *connection,
                     GError          **error)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  guint32 result;

  /* No flags: every helper of the VM waits in the same queue, and being
   * queued (not the primary owner) is the normal case. */
  reply = g_dbus_connection_call_sync (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "RequestName",
      g_variant_new ("(su)", VMSTATE1_BUS_NAME, 0), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, VMSTATE1_BUS_CALL_TIMEOUT_MSEC, NULL,
      &local_error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (local_error);
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                   "Id '%s': the bus refused to queue this helper for %s: "
                   "%s (the bus policy must allow owning that name)",
                   priv->id, VMSTATE1_BUS_NAME, local_error->message);
      return FALSE;
    }

  g_variant_get (reply, "(u)", &result);
  switch (result)
    {
    case 1: /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */
    case 2: /* DBUS_REQUEST_NAME_REPLY_IN_QUEUE */
      g_debug ("Id '%s': %s for %s", priv->id,
               result == 1 ? "primary owner" : "queued", VMSTATE1_BUS_NAME);
      return TRUE;
    default:
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                   "Id '%s': this connection already holds %s (reply %u): "
                   "a connection holds one place in the queue, so each Id "
                   "needs a connection of its own (vmstate1_connect())",
                   priv->id, VMSTATE1_BUS_NAME, result);
      return FALSE;
    }
}

/**
 * vmstate1_helper_export:
 * @self: a #Vmstate1Helper
 * @connection: a message-bus connection, such as one from vmstate1_connect()
 * @error: return location for a #GError, or %NULL
 *
 * Exports the helper on @connection and queues it for
 * %VMSTATE1_BUS_NAME. When this returns %TRUE the bus has answered and a
 * migration started at once sees the helper. The object is exported
 * before the name is requested, since QEMU reads `Id` as soon as it sees
 * the name. Save and Load run in the thread-default main context of the
 * caller.
 *
 * It fails with %VMSTATE1_ERROR_INVALID_ID if the Id breaks QEMU's rules,
 * with %VMSTATE1_ERROR_DUPLICATE_ID if another helper on the bus has the
 * same Id, and with %VMSTATE1_ERROR_FAILED if the helper is already
 * exported, @connection already carries a helper (one Id per connection)
 * or the bus refuses the name.
 *
 * To find duplicates it reads the Id of every helper already queued, all
 * at once, waiting at most 5 seconds for an answer; a peer that does not
 * answer in time is left out of the check. It blocks meanwhile without
 * running the caller's main context. A #Vmstate1Helper answers for its Id
 * from GDBus's own thread, even while its main loop is busy (so QEMU
 * finds it at once too); an object of another kind served by the calling
 * thread cannot answer and costs the full wait.
 *
 * An exported helper holds a reference on itself until
 * vmstate1_helper_unexport() or until @connection closes, which sets
 * #Vmstate1Helper:exported to %FALSE.
 *
 * Returns: %TRUE on success, or %FALSE with @error set.
 *
 * Since: 0.1
 */
gboolean
vmstate1_helper_export (Vmstate1Helper   *self,
                        GDBusConnection  *connection,
                        GError          **error)
{
  Vmstate1HelperPrivate *priv;
  Vmstate1Helper *other;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VMSTATE1_IS_HELPER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = vmstate1_helper_get_instance_private (self);

  if (!vmstate1_id_validate (priv->id, error))
    return FALSE;
  if (priv->connection != NULL)
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                   "Id '%s' is already exported; unexport it first",
                   priv->id);
      return FALSE;
    }
  if (g_dbus_connection_is_closed (connection))
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                   "Id '%s': the connection is closed", priv->id);
      return FALSE;
    }
  if (g_dbus_connection_get_unique_name (connection) == NULL)
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                   "Id '%s': not a message-bus connection; QEMU finds "
                   "helpers through the bus's %s queue (use "
                   "vmstate1_connect())", priv->id, VMSTATE1_BUS_NAME);
      return FALSE;
    }
  other = g_object_get_qdata (G_OBJECT (connection),
                              helper_on_connection_quark ());
  if (other != NULL)
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                   "Id '%s': this connection already exports Id '%s'; a "
                   "connection holds one place in the %s queue, so each Id "
                   "needs a connection of its own (vmstate1_connect())",
                   priv->id, vmstate1_helper_get_id (other),
                   VMSTATE1_BUS_NAME);
      return FALSE;
    }

  /* Before any bus call, so that no other export on this connection can
   * slip in while this one waits for the bus. */
  g_object_set_qdata (G_OBJECT (connection), helper_on_connection_quark (),
                      self);

  priv->object_id = g_dbus_connection_register_object (
      connection, VMSTATE1_OBJECT_PATH, _vmstate1_interface_info (),
      &helper_vtable, self, NULL, &local_error);
  if (priv->object_id == 0)
    {
      g_object_set_qdata (G_OBJECT (connection), helper_on_connection_quark (),
                          NULL);
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                   "Id '%s': cannot export %s on this connection: %s",
                   priv->id, VMSTATE1_OBJECT_PATH, local_error->message);
      return FALSE;
    }

  if (!helper_check_id_unique (self, connection, error)
      || !helper_request_name (self, connection, error))
    {
      g_dbus_connection_unregister_object (connection, priv->object_id);
      priv->object_id = 0;
      g_object_set_qdata (G_OBJECT (connection), helper_on_connection_quark (),
                          NULL);
      return FALSE;
    }

  priv->connection = g_object_ref (connection);
  /* QEMU reads the Id first: answer it even while the main loop is busy. */
  priv->id_filter = _vmstate1_id_filter_add (connection, priv->id);
  priv->closed_handler = g_signal_connect (connection, "closed",
                                           G_CALLBACK (on_connection_closed),
                                           self);
  g_object_ref (self);

  g_debug ("Id '%s': exported on %s", priv->id,
           g_dbus_connection_get_unique_name (connection));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORTED]);
  return TRUE;
}

/**
 * vmstate1_helper_unexport:
 * @self: a #Vmstate1Helper
 *
 * Leaves the %VMSTATE1_BUS_NAME queue, waiting for the bus to answer, and
 * removes the object, so that QEMU no longer sees the helper. A Save or
 * Load in progress has its cancellable cancelled. Does nothing if the
 * helper is not exported.
 *
 * Since: 0.1
 */
void
vmstate1_helper_unexport (Vmstate1Helper *self)
{
  Vmstate1HelperPrivate *priv;

  g_return_if_fail (VMSTATE1_IS_HELPER (self));

  priv = vmstate1_helper_get_instance_private (self);
  if (priv->connection == NULL)
    return;

  g_object_ref (self);
  helper_forget_connection (self, TRUE);
  /* Once for the reference export took, once for ours. */
  g_object_unref (self);
  g_object_unref (self);
}

/**
 * vmstate1_helper_new:
 * @id: the helper's Id, unique among the helpers of a VM
 * @error: return location for a #GError, or %NULL
 *
 * Creates a helper that is not yet exported. Set its Save and Load
 * functions with vmstate1_helper_set_handlers(), then call
 * vmstate1_helper_export().
 *
 * Returns: (transfer full): a new helper, or %NULL with @error set to
 *   %VMSTATE1_ERROR_INVALID_ID if @id breaks QEMU's rules (see
 *   vmstate1_id_validate()).
 *
 * Since: 0.1
 */
Vmstate1Helper *
vmstate1_helper_new (const char  *id,
                     GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!vmstate1_id_validate (id, error))
    return NULL;
  return g_object_new (VMSTATE1_TYPE_HELPER, "id", id, NULL);
}

/**
 * vmstate1_helper_get_id:
 * @self: a #Vmstate1Helper
 *
 * Gets the #Vmstate1Helper:id the helper was created with.
 *
 * Returns: (nullable): the helper's Id.
 *
 * Since: 0.1
 */
const char *
vmstate1_helper_get_id (Vmstate1Helper *self)
{
  Vmstate1HelperPrivate *priv;

  g_return_val_if_fail (VMSTATE1_IS_HELPER (self), NULL);

  priv = vmstate1_helper_get_instance_private (self);
  return priv->id;
}

/**
 * vmstate1_helper_get_connection:
 * @self: a #Vmstate1Helper
 *
 * Gets the connection given to vmstate1_helper_export(), while the
 * helper is exported.
 *
 * Returns: (transfer none) (nullable): the connection the helper is
 *   exported on, or %NULL when it is not exported.
 *
 * Since: 0.1
 */
GDBusConnection *
vmstate1_helper_get_connection (Vmstate1Helper *self)
{
  Vmstate1HelperPrivate *priv;

  g_return_val_if_fail (VMSTATE1_IS_HELPER (self), NULL);

  priv = vmstate1_helper_get_instance_private (self);
  return priv->connection;
}

/**
 * vmstate1_helper_get_exported:
 * @self: a #Vmstate1Helper
 *
 * Gets the #Vmstate1Helper:exported property.
 *
 * Returns: whether the helper is exported and queued on a connection that
 *   is still open.
 *
 * Since: 0.1
 */
gboolean
vmstate1_helper_get_exported (Vmstate1Helper *self)
{
  Vmstate1HelperPrivate *priv;

  g_return_val_if_fail (VMSTATE1_IS_HELPER (self), FALSE);

  priv = vmstate1_helper_get_instance_private (self);
  return priv->connection != NULL;
}

/**
 * vmstate1_helper_allow_uid:
 * @self: a #Vmstate1Helper
 * @uid: a Unix user id
 *
 * Lets callers running as @uid call Save and Load. Until this or
 * vmstate1_helper_allow_bus_name() is called, any peer on the bus may;
 * after, a caller that matches no rule gets %VMSTATE1_ERROR_ACCESS_DENIED
 * and nothing changes. The uid is the one the bus daemon learnt when the
 * caller connected, not anything the caller says. A VM's QEMU runs as the
 * user libvirt gives it (often `libvirt-qemu` or `qemu`): allow that uid.
 *
 * Pair it with a bus policy that lets only the same users connect; see
 * <link linkend="overview-security">Security</link> in the overview.
 *
 * Since: 0.1
 */
void
vmstate1_helper_allow_uid (Vmstate1Helper *self,
                           guint32         uid)
{
  Vmstate1HelperPrivate *priv;

  g_return_if_fail (VMSTATE1_IS_HELPER (self));

  priv = vmstate1_helper_get_instance_private (self);
  _vmstate1_access_allow_uid (priv->access, uid);
}

/**
 * vmstate1_helper_allow_bus_name:
 * @self: a #Vmstate1Helper
 * @name: a unique bus name (`:1.4`) or a well-known name
 *
 * Lets the peer with unique name @name, or the current owner of the
 * well-known name @name, call Save and Load. Like
 * vmstate1_helper_allow_uid(), the first rule restricts the helper to
 * callers that match a rule.
 *
 * Since: 0.1
 */
void
vmstate1_helper_allow_bus_name (Vmstate1Helper *self,
                                const char     *name)
{
  Vmstate1HelperPrivate *priv;

  g_return_if_fail (VMSTATE1_IS_HELPER (self));
  g_return_if_fail (name != NULL && g_dbus_is_name (name));

  priv = vmstate1_helper_get_instance_private (self);
  _vmstate1_access_allow_bus_name (priv->access, name);
}

/**
 * vmstate1_helper_set_handlers: (skip)
 * @self: a #Vmstate1Helper
 * @save: (nullable): returns the state on Save
 * @load: (nullable): restores the state on Load
 * @user_data: data passed to @save and @load
 * @user_data_free: (nullable): frees @user_data when the handlers are
 *   replaced or the helper is finalized
 *
 * Sets the functions the default Save and Load virtual functions call. A
 * subclass that overrides the virtual functions needs none. Language
 * bindings subclass #Vmstate1Helper instead: two callbacks sharing one
 * @user_data do not bind.
 *
 * Since: 0.1
 */
void
vmstate1_helper_set_handlers (Vmstate1Helper   *self,
                              Vmstate1SaveFunc  save,
                              Vmstate1LoadFunc  load,
                              gpointer          user_data,
                              GDestroyNotify    user_data_free)
{
  Vmstate1HelperPrivate *priv;
  gpointer old_data;
  GDestroyNotify old_free;

  g_return_if_fail (VMSTATE1_IS_HELPER (self));

  priv = vmstate1_helper_get_instance_private (self);
  old_data = priv->handler_data;
  old_free = priv->handler_data_free;

  priv->save_func = save;
  priv->load_func = load;
  priv->handler_data = user_data;
  priv->handler_data_free = user_data_free;

  if (old_free != NULL)
    old_free (old_data);
}

static void
vmstate1_helper_finalize (GObject *object)
{
  Vmstate1Helper *self = VMSTATE1_HELPER (object);
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  vmstate1_helper_set_handlers (self, NULL, NULL, NULL, NULL);
  g_clear_object (&priv->cancellable);
  g_clear_pointer (&priv->access, _vmstate1_access_free);
  g_free (priv->id);

  G_OBJECT_CLASS (vmstate1_helper_parent_class)->finalize (object);
}

static void
vmstate1_helper_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  Vmstate1Helper *self = VMSTATE1_HELPER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, vmstate1_helper_get_id (self));
      break;
    case PROP_CONNECTION:
      g_value_set_object (value, vmstate1_helper_get_connection (self));
      break;
    case PROP_EXPORTED:
      g_value_set_boolean (value, vmstate1_helper_get_exported (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vmstate1_helper_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  Vmstate1Helper *self = VMSTATE1_HELPER (object);
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      priv->id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vmstate1_helper_class_init (Vmstate1HelperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vmstate1_helper_finalize;
  object_class->get_property = vmstate1_helper_get_property;
  object_class->set_property = vmstate1_helper_set_property;

  klass->save = vmstate1_helper_real_save;
  klass->load = vmstate1_helper_real_load;
  klass->save_async = vmstate1_helper_real_save_async;
  klass->save_finish = vmstate1_helper_real_save_finish;
  klass->load_async = vmstate1_helper_real_load_async;
  klass->load_finish = vmstate1_helper_real_load_finish;

  /**
   * Vmstate1Helper:id:
   *
   * The helper's Id, unique among the helpers of a VM. It is checked by
   * vmstate1_helper_export() (and by vmstate1_helper_new()).
   *
   * Since: 0.1
   */
  properties[PROP_ID] =
      g_param_spec_string ("id", "Id",
                           "The helper's Id, unique among a VM's helpers",
                           NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                               | G_PARAM_STATIC_STRINGS);

  /**
   * Vmstate1Helper:connection:
   *
   * The connection the helper is exported on, or %NULL.
   *
   * Since: 0.1
   */
  properties[PROP_CONNECTION] =
      g_param_spec_object ("connection", "Connection",
                           "The bus connection the helper is exported on",
                           G_TYPE_DBUS_CONNECTION,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * Vmstate1Helper:exported:
   *
   * Whether the helper is exported and queued. It turns %FALSE on
   * vmstate1_helper_unexport() and when the bus connection closes: watch
   * it to learn that the bus went away.
   *
   * Since: 0.1
   */
  properties[PROP_EXPORTED] =
      g_param_spec_boolean ("exported", "Exported",
                            "Whether the helper is exported and queued",
                            FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * Vmstate1Helper::saved:
   * @self: the helper
   *
   * Emitted after a Save succeeded and its reply was sent.
   *
   * Since: 0.1
   */
  signals[SIGNAL_SAVED] =
      g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                    NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * Vmstate1Helper::loaded:
   * @self: the helper
   *
   * Emitted after a Load succeeded and its reply was sent: a helper
   * started waiting for an incoming migration resumes here.
   *
   * Since: 0.1
   */
  signals[SIGNAL_LOADED] =
      g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                    NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
vmstate1_helper_init (Vmstate1Helper *self)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  priv->cancellable = g_cancellable_new ();
  priv->access = _vmstate1_access_new ();
}
