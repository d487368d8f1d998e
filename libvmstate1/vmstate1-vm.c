/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-sync-private.h"
#include "vmstate1-vm-knowledge-private.h"
#include "vmstate1-vm-private.h"

/**
 * SECTION:vmstate1-vm
 * @title: Vmstate1Vm
 * @short_description: QEMU's side of the protocol: list, save and load
 *   the helpers of a VM
 *
 * A #Vmstate1Vm does what QEMU's `dbus-vmstate` object does during a
 * migration, for a management tool, a test or a QEMU replacement:
 * vmstate1_vm_save() gathers the state of every helper on a VM's bus
 * (vmstate1_states_encode() then gives the blob QEMU writes in its
 * migration stream, byte for byte), and vmstate1_vm_load() hands each
 * helper on the destination bus its state. vmstate1_vm_list_helpers()
 * shows which helpers QEMU would see.
 *
 * Helpers are found as QEMU finds them: the owners queued for
 * %VMSTATE1_BUS_NAME, each asked for its `Id` property. The
 * #Vmstate1Vm:id-list rules are QEMU's too. With no id-list every helper
 * on the bus takes part. Otherwise a helper whose Id is not listed is
 * skipped, and a listed Id that no helper has fails with
 * %VMSTATE1_ERROR_MISSING_ID; an empty list selects no helper at all.
 * Among the helpers that take part, an Id that QEMU would refuse fails
 * with %VMSTATE1_ERROR_INVALID_ID, two helpers with one Id fail with
 * %VMSTATE1_ERROR_DUPLICATE_ID naming both, and a helper whose Id cannot
 * be read fails, naming its unique bus name (QEMU 7.1 and later skip it
 * with a warning, and its state is silently not migrated). When an id-list
 * is given, a helper whose Id cannot be read is skipped (it cannot be
 * known to be listed) and mentioned if a listed Id is then missing.
 *
 * Unlike QEMU, which calls its helpers one after another with D-Bus's
 * 25-second timeout and carries on after a failure, a #Vmstate1Vm asks
 * every helper at once, waits at most #Vmstate1Vm:timeout-msec for each
 * answer (%VMSTATE1_ERROR_TIMED_OUT after that), and fails as a whole as
 * soon as one helper fails: the error names the Id, keeps the helper's own
 * message (and its %VMSTATE1_ERROR code, if it has one) and nothing
 * partial is returned. A bus that closes under a call is
 * %G_IO_ERROR_CLOSED, not the helper's fault.
 *
 * A #Vmstate1Vm remembers which unique name has which Id, so that a save
 * or load during a migration's downtime costs one listing of the queue and
 * the calls themselves, not a rediscovery of every helper: keep one per
 * VM. It never acts on stale knowledge: it forgets a connection that
 * leaves the bus (`NameOwnerChanged`) and one whose `Id` changes or goes
 * (`PropertiesChanged`, which libvmstate1 helpers emit when they export
 * and unexport, as the D-Bus specification asks of a property that
 * changes), and any helper whose call fails. A helper that leaves, or
 * whose Id changes or goes, while a save or load is in flight fails it
 * (%VMSTATE1_ERROR_SAVE_FAILED or %VMSTATE1_ERROR_LOAD_FAILED, naming the
 * Id): its answer may come from another helper on that connection, and
 * is never taken under the old Id. A helper written without
 * the library that changes its Id on one connection without emitting
 * `PropertiesChanged` is not followed.
 *
 * Thread safety: the asynchronous functions call back in the
 * thread-default main context of their caller; the synchronous ones run
 * them in a private main context, so they must not be called from the
 * thread whose main context dispatches the Save and Load of helpers of the
 * same process on that bus (those helpers could not answer). Set the
 * properties from one thread; an operation uses the values it started
 * with. What the object remembers is safe to share between threads.
 *
 * Set `G_MESSAGES_DEBUG=Vmstate1` to see which helpers were found or
 * skipped, how many bytes each one saved or loaded and how long each
 * call took.
 */

struct _Vmstate1Vm
{
  GObject parent_instance;

  GDBusConnection *connection;
  GStrv id_list;
  int timeout_msec;

  guint owner_changed_id;
  guint properties_changed_id;
  guint filter_id;

  Vmstate1VmKnowledge *knowledge;
};

G_DEFINE_FINAL_TYPE (Vmstate1Vm, vmstate1_vm, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CONNECTION,
  PROP_ID_LIST,
  PROP_TIMEOUT_MSEC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

Vmstate1VmKnowledge *
_vmstate1_vm_get_knowledge (Vmstate1Vm *self)
{
  return self->knowledge;
}

static void
on_signal_ignored (GDBusConnection *connection,
                   const char      *sender_name,
                   const char      *object_path,
                   const char      *interface_name,
                   const char      *signal_name,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  /* The subscriptions only add the match rules; the filter does the
   * work, in message order. */
}

static void
vmstate1_vm_constructed (GObject *object)
{
  Vmstate1Vm *self = VMSTATE1_VM (object);

  G_OBJECT_CLASS (vmstate1_vm_parent_class)->constructed (object);

  g_return_if_fail (G_IS_DBUS_CONNECTION (self->connection));

  self->filter_id = _vmstate1_vm_knowledge_add_filter (self->knowledge,
                                                       self->connection);
  self->owner_changed_id = g_dbus_connection_signal_subscribe (
      self->connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
      "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_signal_ignored, NULL, NULL);
  self->properties_changed_id = g_dbus_connection_signal_subscribe (
      self->connection, NULL, "org.freedesktop.DBus.Properties",
      "PropertiesChanged", VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE,
      G_DBUS_SIGNAL_FLAGS_NONE, on_signal_ignored, NULL, NULL);
}

static void
vmstate1_vm_dispose (GObject *object)
{
  Vmstate1Vm *self = VMSTATE1_VM (object);

  if (self->connection != NULL)
    {
      if (self->filter_id != 0)
        g_dbus_connection_remove_filter (self->connection, self->filter_id);
      if (self->owner_changed_id != 0)
        g_dbus_connection_signal_unsubscribe (self->connection,
                                              self->owner_changed_id);
      if (self->properties_changed_id != 0)
        g_dbus_connection_signal_unsubscribe (self->connection,
                                              self->properties_changed_id);
      self->filter_id = self->owner_changed_id = 0;
      self->properties_changed_id = 0;
    }
  G_OBJECT_CLASS (vmstate1_vm_parent_class)->dispose (object);
}

static void
vmstate1_vm_finalize (GObject *object)
{
  Vmstate1Vm *self = VMSTATE1_VM (object);

  g_clear_object (&self->connection);
  g_strfreev (self->id_list);
  _vmstate1_vm_knowledge_unref (self->knowledge);

  G_OBJECT_CLASS (vmstate1_vm_parent_class)->finalize (object);
}

static void
vmstate1_vm_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  Vmstate1Vm *self = VMSTATE1_VM (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_ID_LIST:
      g_value_set_boxed (value, self->id_list);
      break;
    case PROP_TIMEOUT_MSEC:
      g_value_set_int (value, self->timeout_msec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vmstate1_vm_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  Vmstate1Vm *self = VMSTATE1_VM (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    case PROP_ID_LIST:
      vmstate1_vm_set_id_list (self, g_value_get_boxed (value));
      break;
    case PROP_TIMEOUT_MSEC:
      vmstate1_vm_set_timeout_msec (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vmstate1_vm_class_init (Vmstate1VmClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  /* Errors from peers map to VMSTATE1_ERROR from the first reply on. */
  (void) vmstate1_error_quark ();
  object_class->constructed = vmstate1_vm_constructed;
  object_class->dispose = vmstate1_vm_dispose;
  object_class->finalize = vmstate1_vm_finalize;
  object_class->get_property = vmstate1_vm_get_property;
  object_class->set_property = vmstate1_vm_set_property;

  /**
   * Vmstate1Vm:connection:
   *
   * The message-bus connection to the VM's bus.
   *
   * Since: 0.2
   */
  properties[PROP_CONNECTION] =
      g_param_spec_object ("connection", "Connection",
                           "The message-bus connection to the VM's bus",
                           G_TYPE_DBUS_CONNECTION,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                               | G_PARAM_STATIC_STRINGS);

  /**
   * Vmstate1Vm:id-list:
   *
   * The Ids that take part, as QEMU's `id-list`; %NULL for every helper
   * on the bus.
   *
   * Since: 0.2
   */
  properties[PROP_ID_LIST] =
      g_param_spec_boxed ("id-list", "Id list",
                          "The Ids that take part, or NULL for all",
                          G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                              | G_PARAM_STATIC_STRINGS);

  /**
   * Vmstate1Vm:timeout-msec:
   *
   * How long to wait for each answer of the bus or of one helper, in
   * milliseconds; %G_MAXINT for no limit.
   *
   * Since: 0.2
   */
  properties[PROP_TIMEOUT_MSEC] =
      g_param_spec_int ("timeout-msec", "Timeout",
                        "Milliseconds to wait for each answer",
                        1, G_MAXINT, VMSTATE1_DEFAULT_TIMEOUT_MSEC,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                            | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vmstate1_vm_init (Vmstate1Vm *self)
{
  self->timeout_msec = VMSTATE1_DEFAULT_TIMEOUT_MSEC;
  self->knowledge = _vmstate1_vm_knowledge_new ();
}

/**
 * vmstate1_vm_new:
 * @connection: a message-bus connection to the VM's bus, such as one from
 *   vmstate1_connect()
 *
 * Creates the QEMU side of a VM's bus. It starts watching the bus at
 * once, so that what it learns stays true.
 *
 * Returns: (transfer full): a new #Vmstate1Vm.
 *
 * Since: 0.2
 */
Vmstate1Vm *
vmstate1_vm_new (GDBusConnection *connection)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  return g_object_new (VMSTATE1_TYPE_VM, "connection", connection, NULL);
}

/**
 * vmstate1_vm_get_connection:
 * @self: a #Vmstate1Vm
 *
 * Gets #Vmstate1Vm:connection.
 *
 * Returns: (transfer none): the connection.
 *
 * Since: 0.2
 */
GDBusConnection *
vmstate1_vm_get_connection (Vmstate1Vm *self)
{
  g_return_val_if_fail (VMSTATE1_IS_VM (self), NULL);

  return self->connection;
}

/**
 * vmstate1_vm_set_id_list:
 * @self: a #Vmstate1Vm
 * @id_list: (nullable) (array zero-terminated=1): the Ids that take part,
 *   or %NULL for every helper on the bus
 *
 * Sets #Vmstate1Vm:id-list, as QEMU's `id-list` (which QEMU splits on
 * commas; here each Id is an entry of its own). The list itself is
 * checked when an operation starts: an entry that no helper could have,
 * or an Id listed twice, fails it.
 *
 * Since: 0.2
 */
void
vmstate1_vm_set_id_list (Vmstate1Vm          *self,
                         const char * const  *id_list)
{
  g_return_if_fail (VMSTATE1_IS_VM (self));

  if (self->id_list == NULL && id_list == NULL)
    return;
  if (self->id_list != NULL && id_list != NULL
      && g_strv_equal ((const char * const *) self->id_list, id_list))
    return;
  g_strfreev (self->id_list);
  self->id_list = g_strdupv ((char **) id_list);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID_LIST]);
}

/**
 * vmstate1_vm_get_id_list:
 * @self: a #Vmstate1Vm
 *
 * Gets #Vmstate1Vm:id-list. %NULL (every helper) and an empty list (no
 * helper) differ; some bindings (PyGObject 3.42) read both as an empty
 * list: there, remember what was set.
 *
 * Returns: (nullable) (transfer none) (array zero-terminated=1): the Ids
 *   that take part, or %NULL for every helper.
 *
 * Since: 0.2
 */
const char * const *
vmstate1_vm_get_id_list (Vmstate1Vm *self)
{
  g_return_val_if_fail (VMSTATE1_IS_VM (self), NULL);

  return (const char * const *) self->id_list;
}

/**
 * vmstate1_vm_set_timeout_msec:
 * @self: a #Vmstate1Vm
 * @timeout_msec: milliseconds, at least 1; %G_MAXINT for no limit
 *
 * Sets #Vmstate1Vm:timeout-msec.
 *
 * Since: 0.2
 */
void
vmstate1_vm_set_timeout_msec (Vmstate1Vm *self,
                              int         timeout_msec)
{
  g_return_if_fail (VMSTATE1_IS_VM (self));
  g_return_if_fail (timeout_msec > 0);

  if (self->timeout_msec == timeout_msec)
    return;
  self->timeout_msec = timeout_msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT_MSEC]);
}

/**
 * vmstate1_vm_get_timeout_msec:
 * @self: a #Vmstate1Vm
 *
 * Gets #Vmstate1Vm:timeout-msec.
 *
 * Returns: the timeout in milliseconds.
 *
 * Since: 0.2
 */
int
vmstate1_vm_get_timeout_msec (Vmstate1Vm *self)
{
  g_return_val_if_fail (VMSTATE1_IS_VM (self), 0);

  return self->timeout_msec;
}

/* The synchronous functions: the async ones in a private context. */
static GAsyncResult *
run_sync (Vmstate1Vm       *self,
          Vmstate1VmOpKind  kind,
          Vmstate1States   *states,
          GCancellable     *cancellable,
          Vmstate1SyncCall *sync,
          gpointer          source_tag)
{
  _vmstate1_sync_call_begin (sync);
  _vmstate1_vm_op_start (self, kind, states, cancellable,
                         _vmstate1_sync_call_done, sync, source_tag);
  return _vmstate1_sync_call_wait (sync);
}

/**
 * vmstate1_vm_list_helpers_async:
 * @self: a #Vmstate1Vm
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the helpers are listed
 * @user_data: (closure callback): data for @callback
 *
 * Starts listing the helpers that take part; see
 * vmstate1_vm_list_helpers().
 *
 * Since: 0.2
 */
void
vmstate1_vm_list_helpers_async (Vmstate1Vm          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (VMSTATE1_IS_VM (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  _vmstate1_vm_op_start (self, VMSTATE1_VM_OP_LIST, NULL, cancellable,
                         callback, user_data, vmstate1_vm_list_helpers_async);
}

/**
 * vmstate1_vm_list_helpers_finish:
 * @self: a #Vmstate1Vm
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_vm_list_helpers_async().
 *
 * Returns: (transfer container) (element-type Vmstate1HelperInfo): the
 *   helpers, or %NULL with @error set.
 *
 * Since: 0.2
 */
GPtrArray *
vmstate1_vm_list_helpers_finish (Vmstate1Vm    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (VMSTATE1_IS_VM (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * vmstate1_vm_list_helpers:
 * @self: a #Vmstate1Vm
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Lists the helpers that would take part in a save or load, as QEMU
 * would see them, in the order of the %VMSTATE1_BUS_NAME queue, with the
 * same checks as vmstate1_vm_save() (an id-list names an Id no helper
 * has, two helpers share an Id, one does not answer...).
 *
 * Returns: (transfer container) (element-type Vmstate1HelperInfo): the
 *   helpers, or %NULL with @error set.
 *
 * Since: 0.2
 */
GPtrArray *
vmstate1_vm_list_helpers (Vmstate1Vm    *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_auto(Vmstate1SyncCall) sync = { NULL, };

  g_return_val_if_fail (VMSTATE1_IS_VM (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return vmstate1_vm_list_helpers_finish (
      self, run_sync (self, VMSTATE1_VM_OP_LIST, NULL, cancellable, &sync,
                      vmstate1_vm_list_helpers_async), error);
}

/**
 * vmstate1_vm_save_async:
 * @self: a #Vmstate1Vm
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every helper has answered, or
 *   when one failed
 * @user_data: (closure callback): data for @callback
 *
 * Starts a save of every helper that takes part; see vmstate1_vm_save().
 *
 * Since: 0.2
 */
void
vmstate1_vm_save_async (Vmstate1Vm          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (VMSTATE1_IS_VM (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  _vmstate1_vm_op_start (self, VMSTATE1_VM_OP_SAVE, NULL, cancellable,
                         callback, user_data, vmstate1_vm_save_async);
}

/**
 * vmstate1_vm_save_finish:
 * @self: a #Vmstate1Vm
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_vm_save_async().
 *
 * Returns: (transfer full): the states, or %NULL with @error set.
 *
 * Since: 0.2
 */
Vmstate1States *
vmstate1_vm_save_finish (Vmstate1Vm    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (VMSTATE1_IS_VM (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * vmstate1_vm_save:
 * @self: a #Vmstate1Vm
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Calls Save on every helper that takes part, all at once, as QEMU does
 * on the migration source. vmstate1_states_encode() of the result is the
 * blob QEMU would write. An empty state is taken as it is (QEMU could not
 * migrate it; vmstate1-tool check says so).
 *
 * Returns: (transfer full): the states, or %NULL with @error set, naming
 *   the Id that failed.
 *
 * Since: 0.2
 */
Vmstate1States *
vmstate1_vm_save (Vmstate1Vm    *self,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_auto(Vmstate1SyncCall) sync = { NULL, };

  g_return_val_if_fail (VMSTATE1_IS_VM (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return vmstate1_vm_save_finish (
      self, run_sync (self, VMSTATE1_VM_OP_SAVE, NULL, cancellable, &sync,
                      vmstate1_vm_save_async), error);
}

/**
 * vmstate1_vm_load_async:
 * @self: a #Vmstate1Vm
 * @states: the states to load, by Id
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every helper has answered, or
 *   when one failed
 * @user_data: (closure callback): data for @callback
 *
 * Starts a load; see vmstate1_vm_load().
 *
 * Since: 0.2
 */
void
vmstate1_vm_load_async (Vmstate1Vm          *self,
                        Vmstate1States      *states,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (VMSTATE1_IS_VM (self));
  g_return_if_fail (states != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  _vmstate1_vm_op_start (self, VMSTATE1_VM_OP_LOAD, states, cancellable,
                         callback, user_data, vmstate1_vm_load_async);
}

/**
 * vmstate1_vm_load_finish:
 * @self: a #Vmstate1Vm
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_vm_load_async().
 *
 * Returns: %TRUE when every helper loaded its state, or %FALSE with
 *   @error set.
 *
 * Since: 0.2
 */
gboolean
vmstate1_vm_load_finish (Vmstate1Vm    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (VMSTATE1_IS_VM (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * vmstate1_vm_load:
 * @self: a #Vmstate1Vm
 * @states: the states to load, by Id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Calls Load on every helper that takes part and has a state in
 * @states, all at once, as QEMU does on the migration destination. A
 * state whose Id no helper taking part has fails the whole load before
 * any helper is called (%VMSTATE1_ERROR_MISSING_ID): QEMU would fail
 * half-way. A helper with no state in @states is left alone, as QEMU
 * leaves it.
 *
 * Returns: %TRUE when every helper loaded its state, or %FALSE with
 *   @error set, naming the Id that failed.
 *
 * Since: 0.2
 */
gboolean
vmstate1_vm_load (Vmstate1Vm      *self,
                  Vmstate1States  *states,
                  GCancellable    *cancellable,
                  GError         **error)
{
  g_auto(Vmstate1SyncCall) sync = { NULL, };

  g_return_val_if_fail (VMSTATE1_IS_VM (self), FALSE);
  g_return_val_if_fail (states != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return vmstate1_vm_load_finish (
      self, run_sync (self, VMSTATE1_VM_OP_LOAD, states, cancellable, &sync,
                      vmstate1_vm_load_async), error);
}
