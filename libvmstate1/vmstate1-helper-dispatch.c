/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-error.h"
#include "vmstate1-helper-private.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-log-private.h"

/* The Save and Load calls of an exported helper: who may call, QEMU's
 * limits, the helper's functions, and the reply. Everything here runs in
 * the export's main context. */

typedef struct
{
  Vmstate1Export *export;
  GDBusMethodInvocation *invocation;
  const char *method;   /* "Save" or "Load" */
  gint64 started;
  gssize size;          /* of the state a Load brings; -1 for a Save */
} Call;

static Call *
call_new (Vmstate1Export        *export,
          GDBusMethodInvocation *invocation)
{
  Call *call = g_new0 (Call, 1);

  call->export = _vmstate1_export_ref (export);
  call->invocation = g_object_ref (invocation);
  call->method = g_dbus_method_invocation_get_method_name (invocation);
  call->started = g_get_monotonic_time ();
  call->size = -1;
  return call;
}

static void
call_free (Call *call)
{
  _vmstate1_export_unref (call->export);
  g_object_unref (call->invocation);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static const char *
call_sender (Call *call)
{
  return g_dbus_method_invocation_get_sender (call->invocation);
}

/* Replies with @error (taken) and logs it with the call's fields. A
 * refusal a peer caused is INFO; a helper's own broken Save is MESSAGE.
 * Neither is a warning. */
static void
call_return_error (Call           *call,
                   GLogLevelFlags  level,
                   GError         *error)
{
  _vmstate1_log (level, call->export->id, call->method, call_sender (call),
                 call->size,
                 g_get_monotonic_time () - call->started, "%s",
                 error->message);
  g_dbus_method_invocation_return_gerror (call->invocation, error);
  g_error_free (error);
}

/* The helper's own failure, as the caller should read it: the Id first,
 * its code kept where it is ours; a function that failed without a
 * GError (an uncaught exception in a binding, say) still fails the call,
 * with a message that says so. */
static GError *
helper_failure (Call          *call,
                Vmstate1Error  fallback,
                const GError  *cause)
{
  const char *id = call->export->shown_id;

  if (cause == NULL)
    return g_error_new (VMSTATE1_ERROR, fallback,
                        "Id '%s': %s failed without saying why: the %s "
                        "function returned failure but set no GError (in a "
                        "language binding: an uncaught exception, see the "
                        "helper's log)", id, call->method, call->method);
  return g_error_new (VMSTATE1_ERROR,
                      cause->domain == VMSTATE1_ERROR ? cause->code
                                                      : (int) fallback,
                      "Id '%s': %s failed: %s", id, call->method,
                      cause->message);
}

static void
finish_save (Call         *call,
             GBytes       *data,
             const GError *error)
{
  Vmstate1Export *export = call->export;
  const char *id = export->shown_id;
  GVariant *array;
  gsize size;

  export->saves_in_flight--;

  if (data == NULL || error != NULL)
    {
      call_return_error (call, G_LOG_LEVEL_MESSAGE,
                         helper_failure (call, VMSTATE1_ERROR_SAVE_FAILED,
                                         error));
      return;
    }

  size = g_bytes_get_size (data);
  call->size = (gssize) size;
  if (size == 0)
    {
      call_return_error (call, G_LOG_LEVEL_MESSAGE, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED,
          "Id '%s': Save returned an empty state, which QEMU cannot migrate "
          "(its dbus-vmstate reads an empty byte array as 'not a byte array' "
          "and the destination then fails): return at least one byte, such "
          "as a format version", id));
      return;
    }
  if (size > VMSTATE1_DATA_MAX_SIZE)
    {
      call_return_error (call, G_LOG_LEVEL_MESSAGE, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
          "Id '%s': Save returned %" G_GSIZE_FORMAT " bytes, over the limit "
          "of %d bytes that QEMU migrates per helper "
          "(VMSTATE1_DATA_MAX_SIZE)", id, size, VMSTATE1_DATA_MAX_SIZE));
      return;
    }

  /* The variant references the bytes: the only copy is GDBus writing the
   * message. */
  array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE);
  g_dbus_method_invocation_return_value (call->invocation,
                                         g_variant_new_tuple (&array, 1));
  /* GLib formats a message before it knows nobody prints it. */
  if (!_vmstate1_log_would_drop (G_LOG_LEVEL_DEBUG))
    _vmstate1_log (G_LOG_LEVEL_DEBUG, export->id, "Save", call_sender (call),
                   call->size, g_get_monotonic_time () - call->started,
                   "saved %" G_GSIZE_FORMAT " bytes", size);
  if (export->helper != NULL)
    _vmstate1_helper_emit_saved (export->helper);
}

static void
finish_load (Call         *call,
             gboolean      ok,
             const GError *error)
{
  Vmstate1Export *export = call->export;

  export->loads_in_flight--;

  if (!ok || error != NULL)
    {
      /* The bytes came from a peer: its rejection is the peer's doing. */
      call_return_error (call, G_LOG_LEVEL_INFO,
                         helper_failure (call, VMSTATE1_ERROR_LOAD_FAILED,
                                         error));
      return;
    }

  g_dbus_method_invocation_return_value (call->invocation, NULL);
  _vmstate1_log (G_LOG_LEVEL_INFO, export->id, "Load", call_sender (call),
                 call->size, g_get_monotonic_time () - call->started,
                 "loaded %" G_GSSIZE_FORMAT " bytes", call->size);
  if (export->helper != NULL)
    _vmstate1_helper_emit_loaded (export->helper);
}

static void
on_save_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  Vmstate1Helper *helper = VMSTATE1_HELPER (source);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;

  data = VMSTATE1_HELPER_GET_CLASS (helper)->save_finish (helper, result,
                                                          &error);
  finish_save (call, data, error);
}

static void
on_load_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  Vmstate1Helper *helper = VMSTATE1_HELPER (source);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = VMSTATE1_HELPER_GET_CLASS (helper)->load_finish (helper, result,
                                                        &error);
  finish_load (call, ok, error);
}

static void
handle_save (Call *call)
{
  Vmstate1Export *export = call->export;
  Vmstate1Helper *helper = export->helper;
  Vmstate1HelperClass *klass = VMSTATE1_HELPER_GET_CLASS (helper);
  const char *id = export->shown_id;

  if (export->loads_in_flight > 0)
    {
      call_return_error (call, G_LOG_LEVEL_INFO, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_SAVE_FAILED,
          "Id '%s': Save refused while a Load is in progress", id));
      call_free (call);
      return;
    }

  export->saves_in_flight++;

  /* A helper with the synchronous pair answers in this dispatch, without
   * a GTask and a main-loop round trip: Save runs while the guest is
   * paused. */
  if (klass->save_async == _vmstate1_helper_real_save_async)
    {
      g_autoptr(Call) owned = call;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) data = klass->save (helper, export->cancellable,
                                            &error);

      finish_save (owned, data, error);
      return;
    }
  klass->save_async (helper, export->cancellable, on_save_done, call);
}

static void
handle_load (Call *call)
{
  Vmstate1Export *export = call->export;
  Vmstate1Helper *helper = export->helper;
  Vmstate1HelperClass *klass = VMSTATE1_HELPER_GET_CLASS (helper);
  GVariant *parameters = g_dbus_method_invocation_get_parameters (
      call->invocation);
  const char *id = export->shown_id;
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GBytes) data = NULL;
  gsize size;

  array = g_variant_get_child_value (parameters, 0);
  size = g_variant_get_size (array);
  call->size = (gssize) size;

  if (export->loads_in_flight > 0 || export->saves_in_flight > 0)
    {
      call_return_error (call, G_LOG_LEVEL_INFO, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED,
          "Id '%s': Load refused while another Save or Load is in progress; "
          "the state is unchanged", id));
      call_free (call);
      return;
    }
  if (size > VMSTATE1_DATA_MAX_SIZE)
    {
      call_return_error (call, G_LOG_LEVEL_INFO, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
          "Id '%s': Load of %" G_GSIZE_FORMAT " bytes refused, over the limit "
          "of %d bytes per helper; the state is unchanged", id, size,
          VMSTATE1_DATA_MAX_SIZE));
      call_free (call);
      return;
    }

  /* A view of the message's own buffer, not a copy. */
  data = g_variant_get_data_as_bytes (array);
  export->loads_in_flight++;

  if (klass->load_async == _vmstate1_helper_real_load_async)
    {
      g_autoptr(Call) owned = call;
      g_autoptr(GError) error = NULL;
      gboolean ok = klass->load (helper, data, export->cancellable, &error);

      finish_load (owned, ok, error);
      return;
    }
  klass->load_async (helper, data, export->cancellable, on_load_done, call);
}

/* Takes @call. Past this point the helper's functions run, so it is the
 * one place that checks the export is still there: a call whose access
 * check was in flight at unexport is refused as GDBus refuses a call to
 * an unregistered object. */
static void
dispatch (Call *call)
{
  if (!call->export->active)
    {
      const char *id = call->export->shown_id;

      call_return_error (call, G_LOG_LEVEL_DEBUG, g_error_new (
          G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
          "Id '%s': no longer exported: %s refused, nothing was done", id,
          call->method));
      call_free (call);
      return;
    }
  /* GDBus has checked the method name and the argument signature
   * against the interface description. */
  if (g_str_equal (call->method, "Save"))
    handle_save (call);
  else
    handle_load (call);
}

static void
on_access_checked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Call *call = user_data;
  GError *error = NULL;

  if (!_vmstate1_access_check_finish (result, &error))
    {
      /* Refused before any state is touched; the caller's doing. */
      call_return_error (call, G_LOG_LEVEL_INFO, error);
      call_free (call);
      return;
    }
  dispatch (call);
}

static void
method_call (GDBusConnection       *connection,
             const char            *sender,
             const char            *object_path,
             const char            *interface_name,
             const char            *method_name,
             GVariant              *parameters,
             GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  Vmstate1Export *export = user_data;
  Call *call = call_new (export, invocation);
  Vmstate1HelperPrivate *priv;

  if (!export->active)
    {
      dispatch (call);
      return;
    }
  priv = _vmstate1_helper_get_private (export->helper);
  if (_vmstate1_access_is_restricted (priv->access))
    {
      _vmstate1_access_check_async (priv->access, export->uids, connection,
                                    sender, export->id, method_name,
                                    on_access_checked, call);
      return;
    }
  dispatch (call);
}

static GVariant *
get_property (GDBusConnection  *connection,
              const char       *sender,
              const char       *object_path,
              const char       *interface_name,
              const char       *property_name,
              GError          **error,
              gpointer          user_data)
{
  Vmstate1Export *export = user_data;

  return g_variant_new_string (export->id);
}

static const GDBusInterfaceVTable dispatch_vtable = {
  .method_call = method_call,
  .get_property = get_property,
};

const GDBusInterfaceVTable *
_vmstate1_helper_dispatch_vtable (void)
{
  return &dispatch_vtable;
}
