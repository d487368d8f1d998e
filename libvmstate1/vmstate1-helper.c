/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-error.h"
#include "vmstate1-helper-private.h"
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
 * (QEMU's log, or vmstate1_vm_save()) as a named D-Bus error whose message
 * starts with the helper's Id.
 *
 * Refused and failed calls are logged with g_log_structured() and the
 * fields `VMSTATE1_ID`, `VMSTATE1_METHOD`, `VMSTATE1_CALLER`,
 * `VMSTATE1_BYTES` and `VMSTATE1_USEC`, so that under systemd
 * `journalctl VMSTATE1_ID=slirp-...` tells one helper's story. What a peer
 * can cause (a refused caller, a Load over the limit or one the helper's
 * function rejects) is %G_LOG_LEVEL_INFO, never a warning: no peer can
 * end a helper run with `G_DEBUG=fatal-warnings` or flood its log. A Save
 * that the helper's own function got wrong (empty, too large, failed) is
 * %G_LOG_LEVEL_MESSAGE.
 *
 * Thread safety: a helper belongs to the thread whose thread-default main
 * context was current when it was exported. Save, Load, the ::saved and
 * ::loaded signals, the notifications of #Vmstate1Helper:exported and the
 * export's callback all run in that context; call
 * vmstate1_helper_unexport() and the setters from that thread too (unexport
 * checks it: from a thread that runs another loop on that context it is a
 * critical). Only the `Id` property is answered from GDBus's own thread,
 * so QEMU finds a helper whose main loop is busy.
 */

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

Vmstate1HelperPrivate *
_vmstate1_helper_get_private (Vmstate1Helper *self)
{
  return vmstate1_helper_get_instance_private (self);
}

void
_vmstate1_helper_emit_saved (Vmstate1Helper *self)
{
  g_signal_emit (self, signals[SIGNAL_SAVED], 0);
}

void
_vmstate1_helper_emit_loaded (Vmstate1Helper *self)
{
  g_signal_emit (self, signals[SIGNAL_LOADED], 0);
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

void
_vmstate1_helper_real_save_async (Vmstate1Helper      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  GBytes *data;

  g_task_set_source_tag (task, _vmstate1_helper_real_save_async);
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

void
_vmstate1_helper_real_load_async (Vmstate1Helper      *self,
                                 GBytes              *data,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  gboolean ok;

  g_task_set_source_tag (task, _vmstate1_helper_real_load_async);
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

/* Export and unexport. */

void
_vmstate1_helper_export_succeeded (Vmstate1Helper *self,
                                   Vmstate1Export *export)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);

  g_assert (priv->export == export);
  priv->connection = g_object_ref (export->connection);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORTED]);
}

void
_vmstate1_helper_export_ended (Vmstate1Helper *self,
                               Vmstate1Export *export)
{
  Vmstate1HelperPrivate *priv = vmstate1_helper_get_instance_private (self);
  gboolean was_exported = priv->connection != NULL;

  if (priv->export != export)
    return;
  priv->export = NULL;
  g_clear_object (&priv->connection);
  if (was_exported)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORTED]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
    }
}

/**
 * vmstate1_helper_export_async:
 * @self: a #Vmstate1Helper
 * @connection: a message-bus connection, such as one from vmstate1_connect()
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the helper is queued, or when the
 *   export failed
 * @user_data: (closure callback): data for @callback
 *
 * Exports the helper on @connection and queues it for
 * %VMSTATE1_BUS_NAME, without blocking: other helpers of the process keep
 * answering QEMU meanwhile. Save and Load run in the thread-default main
 * context of the caller, as does @callback; get the result with
 * vmstate1_helper_export_finish().
 *
 * The object is exported before the name is requested, since QEMU reads
 * `Id` as soon as it sees the name. Once the bus has queued the helper,
 * the Id of every helper queued before it is read (a #Vmstate1Helper
 * answers for its Id from GDBus's own thread, even while its main loop is
 * busy): if one has the same Id, this export leaves the queue again and
 * fails with %VMSTATE1_ERROR_DUPLICATE_ID. Since the queue's order
 * decides, two helpers exporting one Id at the same moment cannot both
 * succeed. Each bus call waits at most %VMSTATE1_DEFAULT_TIMEOUT_MSEC; a
 * peer that does not answer in time is left out of the check.
 *
 * It also fails with %VMSTATE1_ERROR_INVALID_ID if the Id breaks QEMU's
 * rules, with %VMSTATE1_ERROR_FAILED if the helper is already exported,
 * @connection already carries a helper (one Id per connection) or the bus
 * refuses the name, with %VMSTATE1_ERROR_TIMED_OUT if the bus does not
 * answer, and with %G_IO_ERROR_CANCELLED if @cancellable is cancelled or
 * vmstate1_helper_unexport() is called first.
 *
 * An exported helper holds a reference on itself until
 * vmstate1_helper_unexport() or until @connection closes, which sets
 * #Vmstate1Helper:exported to %FALSE.
 *
 * Since: 0.2
 */
void
vmstate1_helper_export_async (Vmstate1Helper      *self,
                              GDBusConnection     *connection,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_if_fail (VMSTATE1_IS_HELPER (self));
  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  context = g_main_context_ref_thread_default ();
  _vmstate1_export_start (self, connection, context, cancellable, callback,
                          user_data);
}

/**
 * vmstate1_helper_export_finish:
 * @self: a #Vmstate1Helper
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_helper_export_async().
 *
 * Returns: %TRUE when the helper is exported and queued, or %FALSE with
 *   @error set.
 *
 * Since: 0.2
 */
gboolean
vmstate1_helper_export_finish (Vmstate1Helper  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (VMSTATE1_IS_HELPER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return _vmstate1_export_finish (result, error);
}

/**
 * vmstate1_helper_export:
 * @self: a #Vmstate1Helper
 * @connection: a message-bus connection, such as one from vmstate1_connect()
 * @error: return location for a #GError, or %NULL
 *
 * vmstate1_helper_export_async(), waiting for its result: when this
 * returns %TRUE the bus has queued the helper and a migration started at
 * once sees it. It blocks without running the caller's main context
 * (Save and Load still run there, once it returns), for at most a few
 * times %VMSTATE1_DEFAULT_TIMEOUT_MSEC; in a process whose main loop
 * serves other helpers, use vmstate1_helper_export_async().
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
  g_autoptr(GMainContext) context = NULL;
  g_auto(Vmstate1SyncCall) sync = { NULL, };

  g_return_val_if_fail (VMSTATE1_IS_HELPER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Calls are dispatched where the caller is, not in the private context
   * the wait runs in. */
  context = g_main_context_ref_thread_default ();
  _vmstate1_sync_call_begin (&sync);
  _vmstate1_export_start (self, connection, context, NULL,
                          _vmstate1_sync_call_done, &sync);
  return _vmstate1_export_finish (_vmstate1_sync_call_wait (&sync), error);
}

/**
 * vmstate1_helper_unexport:
 * @self: a #Vmstate1Helper
 *
 * Removes the object and leaves the %VMSTATE1_BUS_NAME queue, so that
 * QEMU no longer sees the helper. It returns at once: the bus is told,
 * without waiting for its answer, and before any later call on the same
 * connection (a new export included) reaches it. From the moment it
 * returns, no Save or Load reaches the helper's functions, whatever was
 * in flight (a caller check, say): such calls fail as calls to an object
 * that is not there. A Save or Load already running has its cancellable
 * cancelled. An export still in progress fails with
 * %VMSTATE1_ERROR_FAILED. Does nothing if the helper is not exported.
 *
 * Call it from the thread that runs the main context the helper was
 * exported from.
 *
 * Since: 0.1
 */
void
vmstate1_helper_unexport (Vmstate1Helper *self)
{
  Vmstate1HelperPrivate *priv;

  g_return_if_fail (VMSTATE1_IS_HELPER (self));

  priv = vmstate1_helper_get_instance_private (self);
  if (priv->export == NULL)
    return;
  g_return_if_fail (_vmstate1_context_is_ours (priv->export->context));
  _vmstate1_export_stop (priv->export);
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

  /* Errors from peers map to VMSTATE1_ERROR from the first reply on. */
  (void) vmstate1_error_quark ();
  object_class->finalize = vmstate1_helper_finalize;
  object_class->get_property = vmstate1_helper_get_property;
  object_class->set_property = vmstate1_helper_set_property;

  klass->save = vmstate1_helper_real_save;
  klass->load = vmstate1_helper_real_load;
  klass->save_async = _vmstate1_helper_real_save_async;
  klass->save_finish = vmstate1_helper_real_save_finish;
  klass->load_async = _vmstate1_helper_real_load_async;
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

  priv->access = _vmstate1_access_new ();
}
