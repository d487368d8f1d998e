/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-call-error-private.h"
#include "vmstate1-discovery-private.h"
#include "vmstate1-error.h"
#include "vmstate1-helper-info-private.h"
#include "vmstate1-id-policy-private.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-log-private.h"
#include "vmstate1-vm-private.h"

/* What QEMU's dbus-vmstate does on save and load, for a Vmstate1Vm: list
 * the queue, learn the Ids it does not know yet, choose the helpers by
 * QEMU's rules, then call every one of them at once. The first failure
 * fails the whole operation and abandons the calls still in flight;
 * nothing partial is returned. */

typedef struct
{
  Vmstate1VmOpKind kind;
  GDBusConnection *connection;
  GStrv id_list;          /* NULL: every helper takes part */
  int timeout_msec;
  Vmstate1States *states; /* to load; or saved so far */

  /* Cancelled by the caller's cancellable and when the operation fails,
   * so that calls still in flight are abandoned. */
  GCancellable *cancellable;
  GCancellable *caller_cancellable;
  gulong caller_handler;

  GPtrArray *peers;       /* of Vmstate1Peer, from discovery */
  GPtrArray *selected;    /* the ones taking part (borrowed from peers) */

  guint pending;
  gboolean done;
  gsize bytes;
  gint64 started;
  gint64 discovered;
  Vmstate1VmWatch *watch; /* what changed on the bus since listing began */
} Op;

static void
op_free (Op *op)
{
  if (op->caller_handler != 0)
    g_cancellable_disconnect (op->caller_cancellable, op->caller_handler);
  g_clear_object (&op->caller_cancellable);
  g_clear_object (&op->cancellable);
  g_clear_object (&op->connection);
  g_strfreev (op->id_list);
  g_clear_pointer (&op->states, vmstate1_states_unref);
  g_clear_pointer (&op->selected, g_ptr_array_unref);
  g_clear_pointer (&op->peers, g_ptr_array_unref);
  g_clear_pointer (&op->watch, _vmstate1_vm_unwatch);
  g_free (op);
}

static const char *
op_method (Op *op)
{
  return op->kind == VMSTATE1_VM_OP_LOAD ? "Load" : "Save";
}

static gint64
usec_since (gint64 start)
{
  return g_get_monotonic_time () - start;
}

static void
on_caller_cancelled (GCancellable *caller_cancellable,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Fails the operation once; calls still in flight are abandoned. */
static void
op_fail (GTask  *task,
         GError *error)
{
  Op *op = g_task_get_task_data (task);

  g_assert (!op->done);
  op->done = TRUE;
  _vmstate1_log (G_LOG_LEVEL_DEBUG, NULL,
                 op->kind == VMSTATE1_VM_OP_LIST ? "list" : op_method (op),
                 NULL, -1, usec_since (op->started), "failed: %s",
                 error->message);
  g_cancellable_cancel (op->cancellable);
  g_task_return_error (task, error);
}

/* Calls to one helper. */

typedef struct
{
  GTask *task;
  Vmstate1Peer *peer;  /* in the Op's peers */
  gint64 started;
} HelperCall;

static HelperCall *
helper_call_new (GTask        *task,
                 Vmstate1Peer *peer)
{
  HelperCall *call = g_new0 (HelperCall, 1);

  call->task = g_object_ref (task);
  call->peer = peer;
  call->started = g_get_monotonic_time ();
  return call;
}

static void
helper_call_free (HelperCall *call)
{
  g_object_unref (call->task);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HelperCall, helper_call_free)

/* A failed call: the error the caller reads, and the Vm forgets a helper
 * that has gone or no longer exports, so the next operation asks again. */
static GError *
helper_call_error (HelperCall   *call,
                   const GError *error)
{
  Op *op = g_task_get_task_data (call->task);
  Vmstate1Vm *vm = g_task_get_source_object (call->task);
  Vmstate1CallContext context = {
    .id = call->peer->id, .peer = call->peer->unique_name,
    .what = op_method (op), .timeout_msec = op->timeout_msec,
    .fallback = op->kind == VMSTATE1_VM_OP_LOAD ? VMSTATE1_ERROR_LOAD_FAILED
                                                : VMSTATE1_ERROR_SAVE_FAILED,
  };

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _vmstate1_vm_forget (vm, call->peer->unique_name);
  return _vmstate1_call_error (&context, error);
}

/* An answer from a connection whose Id changed or went after the Id was
 * learnt (an unexport, a re-export under another Id on the same
 * connection): it may come from another helper than the one the Id
 * names, so it is not taken under that Id. */
static gboolean
helper_call_is_stale (HelperCall  *call,
                      GError     **error)
{
  Op *op = g_task_get_task_data (call->task);
  g_autofree char *id = NULL;

  if (!_vmstate1_vm_watch_changed (op->watch, call->peer->unique_name,
                                   call->peer->id))
    return FALSE;
  id = _vmstate1_escape (call->peer->id);
  if (op->kind == VMSTATE1_VM_OP_LOAD)
    g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED,
                 "Id '%s': helper %s unexported or changed its Id during "
                 "Load: the state for '%s' may have reached another helper "
                 "on that connection; load again", id,
                 call->peer->unique_name, id);
  else
    g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED,
                 "Id '%s': helper %s unexported or changed its Id during "
                 "Save: its answer may not be the state of '%s', so "
                 "nothing was saved; save again", id,
                 call->peer->unique_name, id);
  return TRUE;
}

/* The reply of a Save or Load, or NULL when the operation is over
 * already or this call just failed it. */
static GVariant *
helper_call_finish (HelperCall   *call,
                    GObject      *source,
                    GAsyncResult *result)
{
  Op *op = g_task_get_task_data (call->task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  op->pending--;
  if (op->done)
    return NULL;
  if (reply == NULL)
    {
      op_fail (call->task, helper_call_error (call, error));
      return NULL;
    }
  if (helper_call_is_stale (call, &error))
    {
      op_fail (call->task, g_steal_pointer (&error));
      return NULL;
    }
  return g_steal_pointer (&reply);
}

/* Save. */

static void
op_return_states (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  op->done = TRUE;
  _vmstate1_log (G_LOG_LEVEL_DEBUG, NULL, "Save", NULL, (gssize) op->bytes,
                 usec_since (op->started),
                 "saved %u helpers (%" G_GSIZE_FORMAT " bytes) in %.3f ms "
                 "(%.3f ms to find them)",
                 vmstate1_states_get_length (op->states), op->bytes,
                 usec_since (op->started) / 1000.0,
                 (op->discovered - op->started) / 1000.0);
  g_task_return_pointer (task, vmstate1_states_ref (op->states),
                         (GDestroyNotify) vmstate1_states_unref);
}

static void
on_save_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HelperCall) call = user_data;
  Op *op = g_task_get_task_data (call->task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;

  reply = helper_call_finish (call, source, result);
  if (reply == NULL)
    return;

  array = g_variant_get_child_value (reply, 0);
  /* A view of the reply's own buffer: no copy. */
  data = g_variant_get_data_as_bytes (array);
  if (!vmstate1_states_add (op->states, call->peer->id, data, &error))
    {
      g_prefix_error (&error, "Helper %s: ", call->peer->unique_name);
      op_fail (call->task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (data) == 0)
    _vmstate1_log (G_LOG_LEVEL_DEBUG, call->peer->id, "Save",
                   call->peer->unique_name, 0, usec_since (call->started),
                   "an empty state: fine here, but QEMU's dbus-vmstate "
                   "could not migrate it");
  else if (!_vmstate1_log_would_drop (G_LOG_LEVEL_DEBUG))
    _vmstate1_log (G_LOG_LEVEL_DEBUG, call->peer->id, "Save",
                   call->peer->unique_name, (gssize) g_bytes_get_size (data),
                   usec_since (call->started), "saved %" G_GSIZE_FORMAT
                   " bytes", g_bytes_get_size (data));
  op->bytes += g_bytes_get_size (data);

  if (op->pending == 0)
    op_return_states (call->task);
}

static void
op_start_saves (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  op->states = vmstate1_states_new ();
  if (op->selected->len == 0)
    {
      op_return_states (task);
      return;
    }

  /* All in flight together: the slowest helper sets the downtime, not
   * the sum of them. */
  for (guint i = 0; i < op->selected->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (op->selected, i);

      op->pending++;
      g_dbus_connection_call (op->connection, peer->unique_name,
                              VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE, "Save",
                              NULL, G_VARIANT_TYPE ("(ay)"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START,
                              op->timeout_msec, op->cancellable, on_save_reply,
                              helper_call_new (task, peer));
    }
}

/* Load. */

static void
on_load_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HelperCall) call = user_data;
  Op *op = g_task_get_task_data (call->task);
  g_autoptr(GVariant) reply = NULL;

  reply = helper_call_finish (call, source, result);
  if (reply == NULL)
    return;
  if (!_vmstate1_log_would_drop (G_LOG_LEVEL_DEBUG))
    _vmstate1_log (G_LOG_LEVEL_DEBUG, call->peer->id, "Load",
                   call->peer->unique_name,
                   (gssize) g_bytes_get_size (vmstate1_states_lookup (
                       op->states, call->peer->id)),
                   usec_since (call->started), "loaded");
  if (op->pending > 0)
    return;

  op->done = TRUE;
  _vmstate1_log (G_LOG_LEVEL_DEBUG, NULL, "Load", NULL, (gssize) op->bytes,
                 usec_since (op->started),
                 "loaded %u helpers (%" G_GSIZE_FORMAT " bytes) in %.3f ms "
                 "(%.3f ms to find them)",
                 vmstate1_states_get_length (op->states), op->bytes,
                 usec_since (op->started) / 1000.0,
                 (op->discovered - op->started) / 1000.0);
  g_task_return_boolean (call->task, TRUE);
}

static void
op_start_loads (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!_vmstate1_id_policy_check_states (op->selected, op->states,
                                         (const char * const *) op->id_list,
                                         &error))
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }

  /* As QEMU does: a helper with no state in the set is left alone. */
  for (guint i = 0; i < op->selected->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (op->selected, i);
      GBytes *data = vmstate1_states_lookup (op->states, peer->id);
      GVariant *array;

      if (data == NULL)
        {
          _vmstate1_log (G_LOG_LEVEL_DEBUG, peer->id, "Load",
                         peer->unique_name, -1, -1,
                         "no state for this helper; not loaded");
          continue;
        }
      op->pending++;
      op->bytes += g_bytes_get_size (data);
      /* A view of the state, not a copy: GDBus copies it once into the
       * message. */
      array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE);
      g_dbus_connection_call (op->connection, peer->unique_name,
                              VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE, "Load",
                              g_variant_new_tuple (&array, 1),
                              G_VARIANT_TYPE_UNIT,
                              G_DBUS_CALL_FLAGS_NO_AUTO_START,
                              op->timeout_msec, op->cancellable, on_load_reply,
                              helper_call_new (task, peer));
    }

  if (op->pending == 0)
    {
      op->done = TRUE;
      g_task_return_boolean (task, TRUE);
    }
}

/* The common part: discovery, then the helpers taking part. */

static void
on_discovered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  Vmstate1Vm *vm = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  op->peers = _vmstate1_discover_finish (result, &error);
  op->discovered = g_get_monotonic_time ();
  if (op->peers == NULL)
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < op->peers->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (op->peers, i);

      if (peer->id != NULL)
        _vmstate1_vm_remember (vm, op->watch, peer->unique_name, peer->id);
    }

  op->selected = _vmstate1_id_policy_select (
      op->peers, (const char * const *) op->id_list, &error);
  if (op->selected == NULL)
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }

  switch (op->kind)
    {
    case VMSTATE1_VM_OP_LIST:
      {
        GPtrArray *infos = g_ptr_array_new_with_free_func (
            (GDestroyNotify) vmstate1_helper_info_unref);

        for (guint i = 0; i < op->selected->len; i++)
          {
            Vmstate1Peer *peer = g_ptr_array_index (op->selected, i);

            g_ptr_array_add (infos, _vmstate1_helper_info_new (
                                        peer->id, peer->unique_name));
          }
        op->done = TRUE;
        g_task_return_pointer (task, infos,
                               (GDestroyNotify) g_ptr_array_unref);
      }
      break;
    case VMSTATE1_VM_OP_SAVE:
      op_start_saves (task);
      break;
    case VMSTATE1_VM_OP_LOAD:
      op_start_loads (task);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
_vmstate1_vm_op_start (Vmstate1Vm          *self,
                       Vmstate1VmOpKind     kind,
                       Vmstate1States      *states,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data,
                       gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Op *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  op = g_new0 (Op, 1);
  op->kind = kind;
  op->connection = g_object_ref (vmstate1_vm_get_connection (self));
  op->id_list = g_strdupv ((char **) vmstate1_vm_get_id_list (self));
  op->timeout_msec = vmstate1_vm_get_timeout_msec (self);
  op->started = g_get_monotonic_time ();
  op->cancellable = g_cancellable_new ();
  if (states != NULL)
    op->states = vmstate1_states_ref (states);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  if (cancellable != NULL)
    {
      op->caller_cancellable = g_object_ref (cancellable);
      /* Runs at once if already cancelled. */
      op->caller_handler = g_cancellable_connect (
          cancellable, G_CALLBACK (on_caller_cancelled), op->cancellable,
          NULL);
    }

  if (!_vmstate1_id_list_check ((const char * const *) op->id_list, &error))
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }

  /* Before the bus is first asked: every change it signals from here on
   * is one this operation may have missed. */
  op->watch = _vmstate1_vm_watch (self);
  _vmstate1_discover_async (op->connection, op->timeout_msec,
                            _vmstate1_vm_known_id, self, op->cancellable,
                            on_discovered, g_steal_pointer (&task));
}
