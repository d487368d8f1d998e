/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-call-error-private.h"
#include "vmstate1-discovery-private.h"
#include "vmstate1-error.h"
#include "vmstate1-helper-private.h"
#include "vmstate1-id-filter-private.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-log-private.h"

/* One export: the object registered, a place in the name's queue, and the
 * proof that no helper queued before this one has the same Id.
 *
 * The duplicate check runs after RequestName, not before: two helpers
 * exporting one Id at the same moment are then both in the queue when
 * each looks, both see the same queue order, and only the later one
 * yields. A check before RequestName could be beaten by timing. */

/* Marks the connection a helper is exported on: one Id per connection. */
static GQuark
export_on_connection_quark (void)
{
  return g_quark_from_static_string ("vmstate1-export-on-connection");
}

Vmstate1Export *
_vmstate1_export_ref (Vmstate1Export *export)
{
  g_atomic_ref_count_inc (&export->ref_count);
  return export;
}

void
_vmstate1_export_unref (Vmstate1Export *export)
{
  if (!g_atomic_ref_count_dec (&export->ref_count))
    return;
  g_assert (!export->active);
  g_clear_object (&export->helper);
  g_clear_object (&export->connection);
  g_clear_pointer (&export->context, g_main_context_unref);
  g_clear_object (&export->cancellable);
  g_clear_pointer (&export->uids, _vmstate1_uid_cache_unref);
  g_free (export->id);
  g_free (export->shown_id);
  g_free (export);
}

/* Tells peers that cache Ids (a Vmstate1Vm) what this connection's Id is
 * now: the D-Bus specification's PropertiesChanged, with the Id changed
 * or, when it goes, invalidated. */
static void
emit_id_changed (Vmstate1Export *export,
                 gboolean        present)
{
  g_auto(GVariantBuilder) changed = G_VARIANT_BUILDER_INIT (
      G_VARIANT_TYPE ("a{sv}"));
  g_auto(GVariantBuilder) invalidated = G_VARIANT_BUILDER_INIT (
      G_VARIANT_TYPE ("as"));

  if (present)
    g_variant_builder_add (&changed, "{sv}", "Id",
                           g_variant_new_string (export->id));
  else
    g_variant_builder_add (&invalidated, "s", "Id");
  g_dbus_connection_emit_signal (
      export->connection, NULL, VMSTATE1_OBJECT_PATH,
      "org.freedesktop.DBus.Properties", "PropertiesChanged",
      g_variant_new ("(sa{sv}as)", VMSTATE1_INTERFACE, &changed,
                     &invalidated),
      NULL);
}

static void
on_name_released (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autofree char *id = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  if (reply == NULL)
    _vmstate1_log (G_LOG_LEVEL_DEBUG, id, NULL, NULL, -1, -1,
                   "releasing %s failed: %s", VMSTATE1_BUS_NAME,
                   error->message);
}

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      gpointer         user_data)
{
  Vmstate1Export *export = user_data;
  g_autofree char *reason = error ? _vmstate1_escape (error->message) : NULL;

  _vmstate1_log (G_LOG_LEVEL_MESSAGE, export->id, NULL, NULL, -1, -1,
                 "the bus connection closed (%s): QEMU can no longer reach "
                 "this helper", reason ? reason : "closed locally");
  _vmstate1_export_stop (export);
}

/* In this order on the wire: a Vmstate1Vm forgets the Id before the bus
 * shows this connection out of the queue, or back in it. */
static void
call_release_name (Vmstate1Export      *export,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  emit_id_changed (export, FALSE);
  g_dbus_connection_call (export->connection, "org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "ReleaseName",
                          g_variant_new ("(s)", VMSTATE1_BUS_NAME),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                          VMSTATE1_BUS_CALL_TIMEOUT_MSEC, NULL, callback,
                          user_data);
}

static void
release_name (Vmstate1Export *export)
{
  if (g_dbus_connection_is_closed (export->connection))
    return;
  call_release_name (export, on_name_released, g_strdup (export->id));
}

void
_vmstate1_export_stop (Vmstate1Export *export)
{
  /* Alive to the end, whatever the helper drops meanwhile. */
  G_GNUC_UNUSED g_autoptr(Vmstate1Export) keep = _vmstate1_export_ref (export);
  g_autoptr(Vmstate1Helper) helper = NULL;

  if (!export->active)
    return;
  /* From here no call reaches the helper's functions, whatever is still
   * in flight: dispatch checks this flag. */
  export->active = FALSE;
  g_cancellable_cancel (export->cancellable);

  if (export->queued)
    release_name (export);
  export->queued = FALSE;

  g_dbus_connection_remove_filter (export->connection, export->id_filter);
  export->id_filter = 0;
  g_dbus_connection_unregister_object (export->connection, export->object_id);
  export->object_id = 0;
  g_clear_signal_handler (&export->closed_handler, export->connection);
  if (g_object_get_qdata (G_OBJECT (export->connection),
                          export_on_connection_quark ()) == export)
    g_object_set_qdata (G_OBJECT (export->connection),
                        export_on_connection_quark (), NULL);

  helper = g_steal_pointer (&export->helper);
  _vmstate1_helper_export_ended (helper, export);
}

/* The export sequence. */

typedef struct
{
  Vmstate1Export *export;
  GCancellable *cancellable;  /* the caller's */
  gulong cancel_handler;
} Start;

static void
start_free (Start *start)
{
  if (start->cancel_handler != 0)
    g_cancellable_disconnect (start->cancellable, start->cancel_handler);
  g_clear_object (&start->cancellable);
  _vmstate1_export_unref (start->export);
  g_free (start);
}

/* Undoes what was done and fails; a cancelled or stopped export says
 * so. Takes @error. */
static void
start_fail (GTask  *task,
            GError *error)
{
  Start *start = g_task_get_task_data (task);

  _vmstate1_export_stop (start->export);
  g_task_return_error (task, error);
}

/* The export was stopped (unexport, closed bus) or the caller cancelled
 * while the bus was asked: the error to return, or NULL to go on. */
static GError *
start_interrupted (GTask *task)
{
  Start *start = g_task_get_task_data (task);
  g_autofree char *id = _vmstate1_escape (start->export->id);

  if (start->cancellable != NULL
      && g_cancellable_is_cancelled (start->cancellable))
    return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                        "Id '%s': export cancelled", id);
  if (!start->export->active)
    return g_error_new (VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                        "Id '%s': unexported, or the bus closed, before the "
                        "export finished", id);
  return NULL;
}

static void
on_released_then_fail (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  GError *error = g_object_steal_data (G_OBJECT (task), "vmstate1-error");

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         NULL);
  start->export->queued = FALSE;
  start_fail (task, error);
}

/* Leaves the queue and waits for the bus before failing: when a refused
 * export returns, no one listing the queue sees it. Takes @error. */
static void
release_then_fail (GTask  *task,
                   GError *error)
{
  Start *start = g_task_get_task_data (task);
  Vmstate1Export *export = start->export;

  g_object_set_data_full (G_OBJECT (task), "vmstate1-error", error,
                          (GDestroyNotify) g_error_free);
  call_release_name (export, on_released_then_fail, g_object_ref (task));
}

static char *
known_own_id (const char *unique_name,
              gpointer    user_data)
{
  Vmstate1Export *export = user_data;

  if (g_strcmp0 (unique_name,
                 g_dbus_connection_get_unique_name (export->connection)) == 0)
    return g_strdup (export->id);
  return NULL;
}

static void
on_queue_checked (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  Vmstate1Export *export = start->export;
  const char *self_name = g_dbus_connection_get_unique_name (export->connection);
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(GError) error = NULL;
  GError *interrupted;

  peers = _vmstate1_discover_finish (result, &error);
  interrupted = start_interrupted (task);
  if (interrupted != NULL)
    {
      start_fail (task, interrupted);
      return;
    }
  if (peers == NULL)
    {
      g_autofree char *id = _vmstate1_escape (export->id);

      g_prefix_error (&error, "Id '%s': cannot check that the Id is unique "
                      "on the bus: ", id);
      release_then_fail (task, g_steal_pointer (&error));
      return;
    }

  /* Queue order decides: the first helper with an Id keeps it. */
  for (guint i = 0; i < peers->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (peers, i);

      if (g_strcmp0 (peer->unique_name, self_name) == 0)
        break;
      if (peer->id == NULL)
        {
          /* A peer that does not answer is its own problem, and QEMU's. */
          _vmstate1_log (G_LOG_LEVEL_DEBUG, export->id, NULL,
                         peer->unique_name, -1, -1,
                         "ignoring %s in the duplicate check: %s",
                         peer->unique_name, peer->error->message);
          continue;
        }
      if (g_str_equal (peer->id, export->id))
        {
          g_autofree char *id = _vmstate1_escape (export->id);

          release_then_fail (task, g_error_new (
              VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID,
              "Id '%s' is already used by helper %s on this bus: QEMU would "
              "fail the migration with 'Duplicated VMState Id'; give each "
              "helper of a VM its own Id", id, peer->unique_name));
          return;
        }
    }

  emit_id_changed (export, TRUE);
  _vmstate1_log (G_LOG_LEVEL_DEBUG, export->id, NULL, NULL, -1, -1,
                 "exported on %s and queued for %s", self_name,
                 VMSTATE1_BUS_NAME);
  _vmstate1_helper_export_succeeded (export->helper, export);
  g_task_return_boolean (task, TRUE);
}

static void
on_name_requested (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  Vmstate1Export *export = start->export;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = _vmstate1_escape (export->id);
  GError *interrupted;
  guint32 answer;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(u)", &answer);
      /* 1: primary owner, 2: in the queue. Either is a place in it. */
      export->queued = answer == 1 || answer == 2;
      /* Stopped while the bus was asked: the place it just got goes. */
      if (export->queued && !export->active)
        {
          release_name (export);
          export->queued = FALSE;
        }
    }
  interrupted = start_interrupted (task);
  if (interrupted != NULL)
    {
      start_fail (task, interrupted);
      return;
    }
  if (reply == NULL)
    {
      if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
        {
          g_dbus_error_strip_remote_error (error);
          start_fail (task, g_error_new (
              VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
              "Id '%s': the bus refused to queue this helper for %s: %s "
              "(the bus policy must allow owning that name)", id,
              VMSTATE1_BUS_NAME, error->message));
        }
      else
        {
          Vmstate1CallContext context = {
            .id = export->id, .what = "RequestName",
            .timeout_msec = VMSTATE1_BUS_CALL_TIMEOUT_MSEC,
            .fallback = VMSTATE1_ERROR_FAILED,
          };

          start_fail (task, _vmstate1_call_error (&context, error));
        }
      return;
    }
  if (!export->queued)
    {
      start_fail (task, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
          "Id '%s': this connection already holds %s (reply %u): a "
          "connection holds one place in the queue, so each Id needs a "
          "connection of its own (vmstate1_connect())", id, VMSTATE1_BUS_NAME,
          answer));
      return;
    }

  _vmstate1_discover_async (export->connection, VMSTATE1_BUS_CALL_TIMEOUT_MSEC,
                            known_own_id, export, export->cancellable,
                            on_queue_checked, g_steal_pointer (&task));
}

static void
on_start_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  Vmstate1Export *export = user_data;

  /* Interrupts the bus calls; the callbacks then undo and report. */
  g_cancellable_cancel (export->cancellable);
}

void
_vmstate1_export_start (Vmstate1Helper      *helper,
                        GDBusConnection     *connection,
                        GMainContext        *context,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  Vmstate1HelperPrivate *priv = _vmstate1_helper_get_private (helper);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = _vmstate1_escape (priv->id);
  Vmstate1Export *other;
  Vmstate1Export *export;
  Start *start;

  task = g_task_new (helper, cancellable, callback, user_data);
  g_task_set_source_tag (task, _vmstate1_export_start);
  /* Cancellation is reported with the Id, after the export is undone:
   * not GTask's bare "Operation was cancelled". */
  g_task_set_check_cancellable (task, FALSE);

  if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Id '%s': export cancelled", id);
      return;
    }

  if (!_vmstate1_id_check (priv->id, priv->id ? strlen (priv->id) : 0,
                           VMSTATE1_ID_RULES_HELPER, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (priv->export != NULL)
    {
      g_task_return_new_error (task, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                               "Id '%s' is already exported (or being "
                               "exported); unexport it first", id);
      return;
    }
  if (g_dbus_connection_is_closed (connection))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "Id '%s': the connection is closed", id);
      return;
    }
  if (g_dbus_connection_get_unique_name (connection) == NULL)
    {
      g_task_return_new_error (task, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                               "Id '%s': not a message-bus connection; QEMU "
                               "finds helpers through the bus's %s queue (use "
                               "vmstate1_connect())", id, VMSTATE1_BUS_NAME);
      return;
    }
  other = g_object_get_qdata (G_OBJECT (connection),
                              export_on_connection_quark ());
  if (other != NULL)
    {
      g_autofree char *other_id = _vmstate1_escape (other->id);

      g_task_return_new_error (task, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                               "Id '%s': this connection already exports Id "
                               "'%s'; a connection holds one place in the %s "
                               "queue, so each Id needs a connection of its "
                               "own (vmstate1_connect())", id, other_id,
                               VMSTATE1_BUS_NAME);
      return;
    }

  export = g_new0 (Vmstate1Export, 1);
  g_atomic_ref_count_init (&export->ref_count);
  export->helper = g_object_ref (helper);
  export->id = g_strdup (priv->id);
  export->shown_id = _vmstate1_escape (priv->id);
  export->connection = g_object_ref (connection);
  export->context = g_main_context_ref (context);
  export->cancellable = g_cancellable_new ();
  export->uids = _vmstate1_uid_cache_new ();
  export->active = TRUE;

  start = g_new0 (Start, 1);
  start->export = export;
  g_task_set_task_data (task, start, (GDestroyNotify) start_free);

  /* Before any bus call, so that no other export on this connection can
   * slip in while this one waits for the bus. */
  g_object_set_qdata (G_OBJECT (connection), export_on_connection_quark (),
                      export);
  priv->export = export;

  /* Save and Load are dispatched in @context: the caller's, also when
   * the sync export waits in a private one. */
  g_main_context_push_thread_default (context);
  export->object_id = g_dbus_connection_register_object (
      connection, VMSTATE1_OBJECT_PATH, _vmstate1_interface_info (),
      _vmstate1_helper_dispatch_vtable (), _vmstate1_export_ref (export),
      (GDestroyNotify) _vmstate1_export_unref, &error);
  g_main_context_pop_thread_default (context);
  if (export->object_id == 0)
    {
      start_fail (task, g_error_new (
          VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
          "Id '%s': cannot export %s on this connection: %s", id,
          VMSTATE1_OBJECT_PATH, error->message));
      return;
    }
  /* QEMU reads the Id first: answer it even while the main loop is busy.
   * The object is there before the name is requested, since QEMU reads
   * the Id as soon as it sees the name. */
  export->id_filter = _vmstate1_id_filter_add (connection, export->id);
  export->closed_handler = g_signal_connect (connection, "closed",
                                             G_CALLBACK (on_connection_closed),
                                             export);

  if (cancellable != NULL)
    {
      start->cancellable = g_object_ref (cancellable);
      start->cancel_handler = g_cancellable_connect (
          cancellable, G_CALLBACK (on_start_cancelled), export, NULL);
    }

  /* No flags: every helper of the VM waits in the same queue, and being
   * queued (not the primary owner) is the normal case. */
  g_dbus_connection_call (connection, "org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "RequestName",
                          g_variant_new ("(su)", VMSTATE1_BUS_NAME, 0),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                          VMSTATE1_BUS_CALL_TIMEOUT_MSEC,
                          /* Not cancellable: the bus may have queued us
                           * all the same, and the reply says so. */
                          NULL, on_name_requested, g_steal_pointer (&task));
}

gboolean
_vmstate1_export_finish (GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
