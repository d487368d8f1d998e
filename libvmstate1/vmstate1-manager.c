/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "vmstate1-discovery-private.h"
#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-manager.h"
#include "vmstate1-stream.h"
#include "vmstate1-sync-private.h"

/**
 * SECTION:vmstate1-manager
 * @title: Driving the helpers of a VM
 * @short_description: QEMU's side of the protocol: list, save and load
 *   every helper on a bus
 *
 * These functions do what QEMU's `dbus-vmstate` object does during a
 * migration, for a management tool, a test or a QEMU replacement:
 * vmstate1_save_all() gathers the state of every helper on a VM's bus
 * into one blob (the format of vmstate1_stream_encode(), byte for byte
 * what QEMU writes in its migration stream), and vmstate1_load_all()
 * hands each helper on the destination bus its part of that blob.
 * vmstate1_list_helpers() shows which helpers QEMU would see.
 *
 * Helpers are found as QEMU finds them: the owners queued for
 * %VMSTATE1_BUS_NAME, each asked for its `Id` property. The `id-list`
 * rules are QEMU's too. With @id_list %NULL every helper on the bus takes
 * part. Otherwise a helper whose Id is not listed is skipped, and a listed
 * Id that no helper has fails with %VMSTATE1_ERROR_MISSING_ID; an empty
 * list (non-%NULL, no entry) selects no helper at all. Among the helpers
 * that take part, an Id that QEMU would refuse (empty, over
 * %VMSTATE1_ID_MAX_LEN bytes) fails with %VMSTATE1_ERROR_INVALID_ID, two
 * helpers with one Id fail with %VMSTATE1_ERROR_DUPLICATE_ID naming both,
 * and a helper whose Id cannot be read fails, naming its unique bus name.
 * When an id-list is given, a helper whose Id cannot be read is skipped
 * (it cannot be known to be listed) and mentioned if a listed Id is then
 * missing.
 *
 * Unlike QEMU, which calls its helpers one after another with D-Bus's
 * 25-second timeout and carries on after a failure, these functions ask
 * every helper at once, wait at most %VMSTATE1_DEFAULT_TIMEOUT_MSEC (or
 * the timeout given to the `_full` variants) for each answer, and fail as
 * a whole as soon as one helper fails: the error names the Id, keeps the
 * helper's own message (and its %VMSTATE1_ERROR code, if it has one) and
 * nothing partial is returned. The calls in flight to other helpers are
 * then abandoned.
 *
 * The synchronous functions run the asynchronous ones to completion in a
 * private main context. They must not be called from the thread whose
 * main context dispatches the Save and Load of helpers of the same
 * process on that bus: those helpers could not answer while the caller
 * blocks, and every call to them would time out. Use the `_async`
 * variants there.
 *
 * Set `G_MESSAGES_DEBUG=Vmstate1` to see which helpers were found or
 * skipped, how many bytes each one saved or loaded and how long each
 * call took.
 */

typedef enum
{
  OP_LIST,
  OP_SAVE,
  OP_LOAD,
} OpKind;

typedef struct
{
  OpKind kind;
  GStrv id_list;          /* NULL: every helper takes part */
  int timeout_msec;
  GBytes *blob;           /* load: as given */

  /* Cancelled by the caller's cancellable and when the operation fails,
   * so that calls still in flight are abandoned. */
  GCancellable *cancellable;
  GCancellable *caller_cancellable;
  gulong caller_handler;

  GPtrArray *peers;       /* of Vmstate1Peer, from discovery */
  GHashTable *helpers;    /* Id -> Vmstate1Peer: the ones taking part */
  GHashTable *states;     /* Id -> GBytes: saved so far, or to load */

  guint pending;
  gboolean done;
  gsize bytes;
  gint64 started;
  gint64 discovered;
} Op;

static void
op_free (Op *op)
{
  if (op->caller_handler != 0)
    g_cancellable_disconnect (op->caller_cancellable, op->caller_handler);
  g_clear_object (&op->caller_cancellable);
  g_clear_object (&op->cancellable);
  g_strfreev (op->id_list);
  g_clear_pointer (&op->blob, g_bytes_unref);
  g_clear_pointer (&op->helpers, g_hash_table_unref);
  g_clear_pointer (&op->peers, g_ptr_array_unref);
  g_clear_pointer (&op->states, g_hash_table_unref);
  g_free (op);
}

static const char *
op_method (Op *op)
{
  return op->kind == OP_LOAD ? "Load" : "Save";
}

static double
msec_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
on_caller_cancelled (GCancellable *caller_cancellable,
                     gpointer      user_data)
{
  GCancellable *ours = user_data;

  g_cancellable_cancel (ours);
}

/* Fails the operation once; calls still in flight are abandoned. */
static void
op_fail (GTask  *task,
         GError *error)
{
  Op *op = g_task_get_task_data (task);

  g_assert (!op->done);
  op->done = TRUE;
  g_debug ("%s failed after %.3f ms: %s",
           op->kind == OP_LIST ? "Listing the helpers" : op_method (op),
           msec_since (op->started), error->message);
  g_cancellable_cancel (op->cancellable);
  g_task_return_error (task, error);
}

/* Checks the caller's id-list itself: an Id in it that no helper could
 * have, or an Id listed twice, is a mistake worth saying. */
static gboolean
id_list_check (const char * const  *id_list,
               GError             **error)
{
  if (id_list == NULL)
    return TRUE;

  for (gsize i = 0; id_list[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!_vmstate1_id_check (id_list[i], strlen (id_list[i]),
                               VMSTATE1_ID_RULES_WIRE, &local_error))
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                       "Entry %" G_GSIZE_FORMAT " of the id-list is invalid: "
                       "%s", i + 1, local_error->message);
          return FALSE;
        }
      for (gsize j = 0; j < i; j++)
        if (g_str_equal (id_list[i], id_list[j]))
          {
            g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID,
                         "The id-list names Id '%s' twice (entries %"
                         G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT "): list "
                         "each Id once", id_list[i], j + 1, i + 1);
            return FALSE;
          }
    }
  return TRUE;
}

static void
append_quoted (GString    *list,
               const char *id)
{
  if (list->len > 0)
    g_string_append (list, ", ");
  g_string_append_printf (list, "'%s'", id);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The Ids of a table, sorted, so that messages and logs are stable. */
static const char **
sorted_ids (GHashTable *table,
            guint      *n_ids)
{
  const char **ids = (const char **) g_hash_table_get_keys_as_array (table,
                                                                    n_ids);

  qsort (ids, *n_ids, sizeof *ids, compare_strings);
  return ids;
}

/* QEMU's choice of helpers: op->helpers gets the ones taking part. */
static gboolean
op_select_helpers (Op      *op,
                   GError **error)
{
  g_autoptr(GString) unreadable = g_string_new (NULL);
  g_autoptr(GString) missing = g_string_new (NULL);
  guint n_missing = 0;

  op->helpers = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < op->peers->len; i++)
    {
      Vmstate1Peer *peer = g_ptr_array_index (op->peers, i);
      g_autoptr(GError) local_error = NULL;
      Vmstate1Peer *other;

      if (peer->id == NULL)
        {
          if (op->id_list == NULL)
            {
              g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_FAILED,
                           "%s: without an id-list every helper on the bus "
                           "takes part (QEMU would fail too); stop that "
                           "helper or list the Ids to use",
                           peer->error->message);
              return FALSE;
            }
          g_debug ("Skipping helper %s: %s", peer->unique_name,
                   peer->error->message);
          if (unreadable->len > 0)
            g_string_append (unreadable, ", ");
          g_string_append (unreadable, peer->unique_name);
          continue;
        }

      if (op->id_list != NULL
          && !g_strv_contains ((const char * const *) op->id_list, peer->id))
        {
          g_debug ("Skipping helper %s with Id '%s': not in the id-list",
                   peer->unique_name, peer->id);
          continue;
        }

      if (!_vmstate1_id_check (peer->id, strlen (peer->id),
                               VMSTATE1_ID_RULES_WIRE, &local_error))
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                       "Helper %s has an invalid Id: %s",
                       peer->unique_name, local_error->message);
          return FALSE;
        }

      other = g_hash_table_lookup (op->helpers, peer->id);
      if (other != NULL)
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID,
                       "Id '%s' is used by two helpers, %s and %s: QEMU would "
                       "fail the migration ('Duplicated VMState Id'); stop "
                       "one of them or give each helper of a VM its own Id",
                       peer->id, other->unique_name, peer->unique_name);
          return FALSE;
        }

      g_debug ("Found helper %s with Id '%s'", peer->unique_name, peer->id);
      g_hash_table_insert (op->helpers, peer->id, peer);
    }

  if (op->id_list == NULL)
    return TRUE;

  for (guint i = 0; op->id_list[i] != NULL; i++)
    if (!g_hash_table_contains (op->helpers, op->id_list[i]))
      {
        append_quoted (missing, op->id_list[i]);
        n_missing++;
      }
  if (n_missing > 0)
    {
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID,
                   "The id-list names %s %s, but no helper on the bus has "
                   "%s (QEMU: 'Required VMState Id are missing'); start the "
                   "missing %s or leave %s out of the id-list%s%s%s",
                   n_missing > 1 ? "Ids" : "Id", missing->str,
                   n_missing > 1 ? "them" : "it",
                   n_missing > 1 ? "helpers" : "helper",
                   n_missing > 1 ? "them" : "it",
                   unreadable->len > 0 ? " (helpers whose Id could not be "
                                         "read: " : "",
                   unreadable->str,
                   unreadable->len > 0 ? ")" : "");
      return FALSE;
    }
  return TRUE;
}

/* Calls to one helper. */

typedef struct
{
  GTask *task;
  Vmstate1Peer *peer;  /* in the Op's peers */
  gint64 started;
} HelperCall;

static void
helper_call_free (HelperCall *call)
{
  g_object_unref (call->task);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HelperCall, helper_call_free)

/* A failed Save or Load, as the caller should read it: which Id, which
 * helper, and the helper's own words. */
static GError *
helper_call_error (HelperCall *call,
                   GError     *error)
{
  Op *op = g_task_get_task_data (call->task);
  const char *method = op_method (op);
  const char *id = call->peer->id;
  const char *name = call->peer->unique_name;
  Vmstate1Error fallback = op->kind == OP_LOAD ? VMSTATE1_ERROR_LOAD_FAILED
                                               : VMSTATE1_ERROR_SAVE_FAILED;
  g_autofree char *prefix = NULL;
  int code;

  /* Only the caller cancels before the operation is done. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT))
    return g_error_new (VMSTATE1_ERROR, fallback,
                        "Id '%s': helper %s did not answer %s within %d ms; "
                        "it may be stuck (a longer timeout can be given)",
                        id, name, method, op->timeout_msec);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))
    return g_error_new (VMSTATE1_ERROR, fallback,
                        "Id '%s': helper %s left the bus during %s, without "
                        "answering (did it crash?)", id, name, method);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    return g_error_new (VMSTATE1_ERROR, fallback,
                        "Id '%s': helper %s left the bus before its %s could "
                        "be called", id, name, method);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE))
    {
      g_dbus_error_strip_remote_error (error);
      return g_error_new (VMSTATE1_ERROR, fallback,
                          "Id '%s': helper %s has no %s method on %s at %s: "
                          "%s", id, name, method, VMSTATE1_INTERFACE,
                          VMSTATE1_OBJECT_PATH, error->message);
    }

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
    {
      g_dbus_error_strip_remote_error (error);
      return g_error_new (VMSTATE1_ERROR, VMSTATE1_ERROR_ACCESS_DENIED,
                          "Id '%s': the bus or helper %s refused the %s call: "
                          "%s", id, name, method, error->message);
    }

  /* The helper's own error. A libvmstate1 helper already starts its
   * message with its Id; keep its code when it is one of ours. */
  g_dbus_error_strip_remote_error (error);
  code = error->domain == VMSTATE1_ERROR ? error->code : (int) fallback;
  prefix = g_strdup_printf ("Id '%s': ", id);
  if (g_str_has_prefix (error->message, prefix))
    return g_error_new_literal (VMSTATE1_ERROR, code, error->message);
  return g_error_new (VMSTATE1_ERROR, code, "Id '%s': %s failed: %s", id,
                      method, error->message);
}

/* Save. */

static void
op_return_blob (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GBytes *blob;

  blob = vmstate1_stream_encode (op->states, &error);
  if (blob == NULL)
    {
      /* Every Id and size was checked: only a bug gets here. */
      op_fail (task, g_steal_pointer (&error));
      return;
    }

  op->done = TRUE;
  g_debug ("Saved %u helpers (%" G_GSIZE_FORMAT " bytes of state) into a %"
           G_GSIZE_FORMAT "-byte blob in %.3f ms (%.3f ms to find them)",
           g_hash_table_size (op->states), op->bytes, g_bytes_get_size (blob),
           msec_since (op->started),
           (op->discovered - op->started) / 1000.0);
  g_task_return_pointer (task, blob, (GDestroyNotify) g_bytes_unref);
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
  g_autoptr(GError) error = NULL;
  GBytes *data;
  gsize size;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  op->pending--;
  if (op->done)
    return;
  if (reply == NULL)
    {
      op_fail (call->task, helper_call_error (call, error));
      return;
    }

  array = g_variant_get_child_value (reply, 0);
  size = g_variant_get_size (array);
  if (size > VMSTATE1_DATA_MAX_SIZE)
    {
      op_fail (call->task,
               g_error_new (VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
                            "Id '%s': helper %s saved %" G_GSIZE_FORMAT
                            " bytes, over the limit of %d bytes that QEMU "
                            "migrates per helper", call->peer->id,
                            call->peer->unique_name, size,
                            VMSTATE1_DATA_MAX_SIZE));
      return;
    }

  /* A view of the reply's own buffer: the one copy is into the blob. */
  data = g_variant_get_data_as_bytes (array);
  if (size == 0)
    g_debug ("Save of Id '%s' (helper %s): an empty state; fine here, but "
             "QEMU's dbus-vmstate could not migrate it", call->peer->id,
             call->peer->unique_name);
  g_debug ("Save of Id '%s' (helper %s): %" G_GSIZE_FORMAT " bytes in "
           "%.3f ms", call->peer->id, call->peer->unique_name, size,
           msec_since (call->started));
  op->bytes += size;
  g_hash_table_insert (op->states, g_strdup (call->peer->id), data);

  if (op->pending == 0)
    op_return_blob (call->task);
}

static void
op_start_saves (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  GDBusConnection *bus = g_task_get_source_object (task);
  GHashTableIter iter;
  gpointer value;

  op->states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) g_bytes_unref);
  if (g_hash_table_size (op->helpers) == 0)
    {
      g_debug ("No helper to save");
      op_return_blob (task);
      return;
    }

  /* All in flight together: the slowest helper sets the downtime, not
   * the sum of them. */
  g_hash_table_iter_init (&iter, op->helpers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HelperCall *call = g_new0 (HelperCall, 1);

      call->task = g_object_ref (task);
      call->peer = value;
      call->started = g_get_monotonic_time ();
      op->pending++;
      g_dbus_connection_call (bus, call->peer->unique_name,
                              VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE, "Save",
                              NULL, G_VARIANT_TYPE ("(ay)"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START,
                              op->timeout_msec, op->cancellable, on_save_reply,
                              call);
    }
}

/* Load. */

/* Refuses, before any Load, a blob whose every Id has no helper taking
 * part: QEMU would fail half-way with "Failed to find proxy Id". */
static gboolean
op_check_blob_ids (Op      *op,
                   GError **error)
{
  g_autofree const char **ids = NULL;
  g_autoptr(GString) absent = g_string_new (NULL);
  g_autoptr(GString) unlisted = g_string_new (NULL);
  guint n_ids;

  ids = sorted_ids (op->states, &n_ids);
  for (guint i = 0; i < n_ids; i++)
    {
      if (g_hash_table_contains (op->helpers, ids[i]))
        continue;
      if (op->id_list != NULL
          && !g_strv_contains ((const char * const *) op->id_list, ids[i]))
        append_quoted (unlisted, ids[i]);
      else
        append_quoted (absent, ids[i]);
    }

  if (absent->len == 0 && unlisted->len == 0)
    return TRUE;

  g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MISSING_ID,
               "The blob holds the state of %s%s%s%s%s%s%s: QEMU would fail "
               "with 'Failed to find proxy Id'; no helper was loaded",
               absent->len > 0 ? "Id " : "", absent->str,
               absent->len > 0 ? ", but no helper on the bus has it" : "",
               absent->len > 0 && unlisted->len > 0 ? "; and of " : "",
               unlisted->len > 0 ? "Id " : "", unlisted->str,
               unlisted->len > 0 ? ", which the id-list leaves out" : "");
  return FALSE;
}

static void
on_load_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HelperCall) call = user_data;
  Op *op = g_task_get_task_data (call->task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  op->pending--;
  if (op->done)
    return;
  if (reply == NULL)
    {
      op_fail (call->task, helper_call_error (call, error));
      return;
    }

  g_debug ("Load of Id '%s' (helper %s): %" G_GSIZE_FORMAT " bytes in "
           "%.3f ms", call->peer->id, call->peer->unique_name,
           g_bytes_get_size (g_hash_table_lookup (op->states, call->peer->id)),
           msec_since (call->started));
  if (op->pending > 0)
    return;

  op->done = TRUE;
  g_debug ("Loaded %u helpers (%" G_GSIZE_FORMAT " bytes of state) in %.3f "
           "ms (%.3f ms to find them)", g_hash_table_size (op->states),
           op->bytes, msec_since (op->started),
           (op->discovered - op->started) / 1000.0);
  g_task_return_boolean (call->task, TRUE);
}

static void
op_start_loads (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  GDBusConnection *bus = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (!op_check_blob_ids (op, &error))
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }

  /* As QEMU does: a helper with no state in the blob is left alone. */
  g_hash_table_iter_init (&iter, op->helpers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (op->states, key))
      g_debug ("Id '%s': helper %s has no state in the blob; not loaded",
               (const char *) key, ((Vmstate1Peer *) value)->unique_name);

  if (g_hash_table_size (op->states) == 0)
    {
      op->done = TRUE;
      g_debug ("No state to load");
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_hash_table_iter_init (&iter, op->states);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      HelperCall *call = g_new0 (HelperCall, 1);
      GBytes *data = value;
      GVariant *array;

      call->task = g_object_ref (task);
      call->peer = g_hash_table_lookup (op->helpers, key);
      call->started = g_get_monotonic_time ();
      op->pending++;
      op->bytes += g_bytes_get_size (data);
      /* A view of the blob, not a copy: GDBus copies it once into the
       * message. */
      array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE);
      g_dbus_connection_call (bus, call->peer->unique_name,
                              VMSTATE1_OBJECT_PATH, VMSTATE1_INTERFACE, "Load",
                              g_variant_new_tuple (&array, 1),
                              G_VARIANT_TYPE_UNIT,
                              G_DBUS_CALL_FLAGS_NO_AUTO_START,
                              op->timeout_msec, op->cancellable, on_load_reply,
                              call);
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
  g_autoptr(GError) error = NULL;

  op->peers = _vmstate1_discover_finish (result, &error);
  op->discovered = g_get_monotonic_time ();
  if (op->peers == NULL)
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }
  g_debug ("%u helpers queued for %s, listed in %.3f ms", op->peers->len,
           VMSTATE1_BUS_NAME, (op->discovered - op->started) / 1000.0);

  if (!op_select_helpers (op, &error))
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }

  switch (op->kind)
    {
    case OP_LIST:
      {
        GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                   g_free, g_free);
        GHashTableIter iter;
        gpointer key, value;

        g_hash_table_iter_init (&iter, op->helpers);
        while (g_hash_table_iter_next (&iter, &key, &value))
          {
            Vmstate1Peer *peer = value;

            g_hash_table_insert (names, g_strdup (key),
                                 g_strdup (peer->unique_name));
          }
        op->done = TRUE;
        g_task_return_pointer (task, names,
                               (GDestroyNotify) g_hash_table_unref);
      }
      break;
    case OP_SAVE:
      op_start_saves (task);
      break;
    case OP_LOAD:
      op_start_loads (task);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
op_start (GDBusConnection     *bus,
          OpKind               kind,
          GBytes              *blob,
          const char * const  *id_list,
          int                  timeout_msec,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Op *op;

  task = g_task_new (bus, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  op = g_new0 (Op, 1);
  op->kind = kind;
  op->id_list = g_strdupv ((char **) id_list);
  op->timeout_msec = timeout_msec == -1 ? VMSTATE1_DEFAULT_TIMEOUT_MSEC
                                        : timeout_msec;
  op->started = g_get_monotonic_time ();
  op->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  if (cancellable != NULL)
    {
      op->caller_cancellable = g_object_ref (cancellable);
      /* Runs at once if already cancelled. */
      op->caller_handler = g_cancellable_connect (
          cancellable, G_CALLBACK (on_caller_cancelled), op->cancellable,
          NULL);
    }

  if (!id_list_check (id_list, &error))
    {
      op_fail (task, g_steal_pointer (&error));
      return;
    }

  /* The blob is checked before the bus is asked anything. */
  if (kind == OP_LOAD)
    {
      op->blob = g_bytes_ref (blob);
      op->states = vmstate1_stream_decode (blob, &error);
      if (op->states == NULL)
        {
          op_fail (task, g_steal_pointer (&error));
          return;
        }
    }

  _vmstate1_discover_async (bus, op->timeout_msec, op->cancellable,
                            on_discovered, g_steal_pointer (&task));
}

/* Listing. */

/**
 * vmstate1_list_helpers_async:
 * @bus: a message-bus connection to the VM's bus
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the helpers are listed
 * @user_data: (closure callback): data for @callback
 *
 * Starts listing the helpers on @bus; see vmstate1_list_helpers(). Get
 * the result with vmstate1_list_helpers_finish() in @callback, which runs
 * in the thread-default main context of the caller.
 *
 * Since: 0.1
 */
void
vmstate1_list_helpers_async (GDBusConnection     *bus,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (G_IS_DBUS_CONNECTION (bus));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op_start (bus, OP_LIST, NULL, NULL, -1, cancellable, callback, user_data,
            vmstate1_list_helpers_async);
}

/**
 * vmstate1_list_helpers_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_list_helpers_async().
 *
 * Returns: (transfer full) (element-type utf8 utf8): the unique bus name
 *   of each helper, by Id, or %NULL with @error set.
 *
 * Since: 0.1
 */
GHashTable *
vmstate1_list_helpers_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == vmstate1_list_helpers_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * vmstate1_list_helpers:
 * @bus: a message-bus connection to the VM's bus
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Lists the helpers QEMU would migrate with no id-list: the owners
 * queued for %VMSTATE1_BUS_NAME on @bus, by Id. It fails where such a
 * migration would: when a helper's Id cannot be read within
 * %VMSTATE1_DEFAULT_TIMEOUT_MSEC, is invalid
 * (%VMSTATE1_ERROR_INVALID_ID), or is used by two helpers
 * (%VMSTATE1_ERROR_DUPLICATE_ID); the message names the helpers at
 * fault. With no helper on the bus the table is empty.
 *
 * This blocks in a private main context: see the section description for
 * why helpers of the calling thread need vmstate1_list_helpers_async().
 *
 * Returns: (transfer full) (element-type utf8 utf8): the unique bus name
 *   of each helper, by Id, or %NULL with @error set.
 *
 * Since: 0.1
 */
GHashTable *
vmstate1_list_helpers (GDBusConnection  *bus,
                       GCancellable     *cancellable,
                       GError          **error)
{
  g_auto(Vmstate1SyncCall) sync = { NULL, };

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _vmstate1_sync_call_begin (&sync);
  vmstate1_list_helpers_async (bus, cancellable, _vmstate1_sync_call_done,
                               &sync);
  return vmstate1_list_helpers_finish (_vmstate1_sync_call_wait (&sync),
                                       error);
}

/* Saving. */

/**
 * vmstate1_save_all_full_async:
 * @bus: a message-bus connection to the VM's bus
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to save, or %NULL for every helper on the bus
 * @timeout_msec: how long to wait for each answer, in milliseconds; -1 for
 *   %VMSTATE1_DEFAULT_TIMEOUT_MSEC, %G_MAXINT for no timeout
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every helper has answered or one
 *   has failed
 * @user_data: (closure callback): data for @callback
 *
 * vmstate1_save_all_async() with a timeout of your choice. It limits each
 * bus call on its own: listing the helpers, reading each Id and each
 * Save. The calls to different helpers run at once, so a helper that
 * does not answer delays the whole operation by about @timeout_msec, not
 * by that much per helper. Finish with vmstate1_save_all_finish().
 *
 * Since: 0.1
 */
void
vmstate1_save_all_full_async (GDBusConnection     *bus,
                              const char * const  *id_list,
                              int                  timeout_msec,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (G_IS_DBUS_CONNECTION (bus));
  g_return_if_fail (timeout_msec > 0 || timeout_msec == -1);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op_start (bus, OP_SAVE, NULL, id_list, timeout_msec, cancellable, callback,
            user_data, vmstate1_save_all_full_async);
}

/**
 * vmstate1_save_all_async:
 * @bus: a message-bus connection to the VM's bus
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to save, or %NULL for every helper on the bus
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every helper has answered or one
 *   has failed
 * @user_data: (closure callback): data for @callback
 *
 * Starts saving the helpers on @bus; see vmstate1_save_all(). Get the
 * blob with vmstate1_save_all_finish() in @callback, which runs in the
 * thread-default main context of the caller. Helpers of this process
 * that live on that context can answer while it runs.
 *
 * Since: 0.1
 */
void
vmstate1_save_all_async (GDBusConnection     *bus,
                         const char * const  *id_list,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  vmstate1_save_all_full_async (bus, id_list, -1, cancellable, callback,
                                user_data);
}

/**
 * vmstate1_save_all_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_save_all_async() or vmstate1_save_all_full_async().
 *
 * Returns: (transfer full): the blob, or %NULL with @error set.
 *
 * Since: 0.1
 */
GBytes *
vmstate1_save_all_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == vmstate1_save_all_full_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * vmstate1_save_all_full:
 * @bus: a message-bus connection to the VM's bus
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to save, or %NULL for every helper on the bus
 * @timeout_msec: how long to wait for each answer, in milliseconds; -1 for
 *   %VMSTATE1_DEFAULT_TIMEOUT_MSEC, %G_MAXINT for no timeout
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * vmstate1_save_all() with a timeout of your choice; see
 * vmstate1_save_all_full_async() for what it limits.
 *
 * Returns: (transfer full): the blob, or %NULL with @error set.
 *
 * Since: 0.1
 */
GBytes *
vmstate1_save_all_full (GDBusConnection     *bus,
                        const char * const  *id_list,
                        int                  timeout_msec,
                        GCancellable        *cancellable,
                        GError             **error)
{
  g_auto(Vmstate1SyncCall) sync = { NULL, };

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), NULL);
  g_return_val_if_fail (timeout_msec > 0 || timeout_msec == -1, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _vmstate1_sync_call_begin (&sync);
  vmstate1_save_all_full_async (bus, id_list, timeout_msec, cancellable,
                                _vmstate1_sync_call_done, &sync);
  return vmstate1_save_all_finish (_vmstate1_sync_call_wait (&sync), error);
}

/**
 * vmstate1_save_all:
 * @bus: a message-bus connection to the VM's bus
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to save, or %NULL for every helper on the bus
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Calls Save on every helper on @bus that @id_list selects (QEMU's rules,
 * see the section description), all at once, and writes their states as
 * one blob in QEMU's format (vmstate1_stream_encode()): what QEMU would
 * store in its migration stream, minus its padding. Each helper has
 * %VMSTATE1_DEFAULT_TIMEOUT_MSEC to answer; vmstate1_save_all_full()
 * takes another timeout.
 *
 * Any failure fails the whole call and no blob is returned: an id-list
 * or helper problem as described in the section description; a helper
 * whose Save fails (its own %VMSTATE1_ERROR code if it has one, else
 * %VMSTATE1_ERROR_SAVE_FAILED, with its message), does not answer in time
 * or leaves the bus (%VMSTATE1_ERROR_SAVE_FAILED); a state over
 * %VMSTATE1_DATA_MAX_SIZE bytes (%VMSTATE1_ERROR_TOO_LARGE). The message
 * names the Id. Cancelling @cancellable fails with %G_IO_ERROR_CANCELLED.
 *
 * A helper that saves an empty state is accepted: the blob format
 * carries it and vmstate1_load_all() restores it. QEMU's own dbus-vmstate
 * cannot migrate an empty state, though (it takes it for an error and
 * writes a corrupt blob), so a helper meant for QEMU must save at least
 * one byte.
 *
 * With no helper selected the blob holds no entry (4 zero bytes).
 *
 * This blocks in a private main context: helpers that the calling thread
 * serves could not answer, so call vmstate1_save_all_async() there.
 *
 * Returns: (transfer full): the blob, or %NULL with @error set.
 *
 * Since: 0.1
 */
GBytes *
vmstate1_save_all (GDBusConnection     *bus,
                   const char * const  *id_list,
                   GCancellable        *cancellable,
                   GError             **error)
{
  return vmstate1_save_all_full (bus, id_list, -1, cancellable, error);
}

/* Loading. */

/**
 * vmstate1_load_all_full_async:
 * @bus: a message-bus connection to the VM's bus
 * @blob: a blob from vmstate1_save_all() or from QEMU
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to load, or %NULL for every helper on the bus
 * @timeout_msec: how long to wait for each answer, in milliseconds; -1 for
 *   %VMSTATE1_DEFAULT_TIMEOUT_MSEC, %G_MAXINT for no timeout
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every helper has answered or one
 *   has failed
 * @user_data: (closure callback): data for @callback
 *
 * vmstate1_load_all_async() with a timeout of your choice, which limits
 * each bus call on its own (see vmstate1_save_all_full_async()). Finish
 * with vmstate1_load_all_finish().
 *
 * Since: 0.1
 */
void
vmstate1_load_all_full_async (GDBusConnection     *bus,
                              GBytes              *blob,
                              const char * const  *id_list,
                              int                  timeout_msec,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (G_IS_DBUS_CONNECTION (bus));
  g_return_if_fail (blob != NULL);
  g_return_if_fail (timeout_msec > 0 || timeout_msec == -1);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op_start (bus, OP_LOAD, blob, id_list, timeout_msec, cancellable, callback,
            user_data, vmstate1_load_all_full_async);
}

/**
 * vmstate1_load_all_async:
 * @bus: a message-bus connection to the VM's bus
 * @blob: a blob from vmstate1_save_all() or from QEMU
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to load, or %NULL for every helper on the bus
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every helper has answered or one
 *   has failed
 * @user_data: (closure callback): data for @callback
 *
 * Starts loading @blob into the helpers on @bus; see vmstate1_load_all().
 * Get the result with vmstate1_load_all_finish() in @callback, which runs
 * in the thread-default main context of the caller. Helpers of this
 * process that live on that context can answer while it runs.
 *
 * Since: 0.1
 */
void
vmstate1_load_all_async (GDBusConnection     *bus,
                         GBytes              *blob,
                         const char * const  *id_list,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  vmstate1_load_all_full_async (bus, blob, id_list, -1, cancellable,
                                callback, user_data);
}

/**
 * vmstate1_load_all_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError, or %NULL
 *
 * Finishes vmstate1_load_all_async() or vmstate1_load_all_full_async().
 *
 * Returns: %TRUE if every helper loaded its state, or %FALSE with @error
 *   set.
 *
 * Since: 0.1
 */
gboolean
vmstate1_load_all_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == vmstate1_load_all_full_async, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * vmstate1_load_all_full:
 * @bus: a message-bus connection to the VM's bus
 * @blob: a blob from vmstate1_save_all() or from QEMU
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to load, or %NULL for every helper on the bus
 * @timeout_msec: how long to wait for each answer, in milliseconds; -1 for
 *   %VMSTATE1_DEFAULT_TIMEOUT_MSEC, %G_MAXINT for no timeout
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * vmstate1_load_all() with a timeout of your choice; see
 * vmstate1_save_all_full_async() for what it limits.
 *
 * Returns: %TRUE if every helper loaded its state, or %FALSE with @error
 *   set.
 *
 * Since: 0.1
 */
gboolean
vmstate1_load_all_full (GDBusConnection     *bus,
                        GBytes              *blob,
                        const char * const  *id_list,
                        int                  timeout_msec,
                        GCancellable        *cancellable,
                        GError             **error)
{
  g_auto(Vmstate1SyncCall) sync = { NULL, };

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), FALSE);
  g_return_val_if_fail (blob != NULL, FALSE);
  g_return_val_if_fail (timeout_msec > 0 || timeout_msec == -1, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _vmstate1_sync_call_begin (&sync);
  vmstate1_load_all_full_async (bus, blob, id_list, timeout_msec, cancellable,
                                _vmstate1_sync_call_done, &sync);
  return vmstate1_load_all_finish (_vmstate1_sync_call_wait (&sync), error);
}

/**
 * vmstate1_load_all:
 * @bus: a message-bus connection to the VM's bus
 * @blob: a blob from vmstate1_save_all() or from QEMU (padding after the
 *   last entry is ignored, as QEMU ignores it)
 * @id_list: (array zero-terminated=1) (nullable): the Ids of the helpers
 *   to load, or %NULL for every helper on the bus
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError, or %NULL
 *
 * Hands each helper on @bus that @id_list selects (QEMU's rules, see the
 * section description) its state from @blob, calling every Load at once.
 * Each helper has %VMSTATE1_DEFAULT_TIMEOUT_MSEC to answer;
 * vmstate1_load_all_full() takes another timeout.
 *
 * Before any Load is called, it fails if @blob does not decode
 * (%VMSTATE1_ERROR_MALFORMED), on an id-list or helper problem (see the
 * section description), and if @blob holds the state of an Id that no
 * selected helper has, because no helper on the bus has it or because
 * @id_list leaves it out (%VMSTATE1_ERROR_MISSING_ID, naming the Ids):
 * QEMU would fail there too. In all those cases no helper was loaded. A
 * selected helper with no state in @blob is not called, as with QEMU.
 *
 * Then a helper whose Load fails (its own %VMSTATE1_ERROR code if it has
 * one, else %VMSTATE1_ERROR_LOAD_FAILED, with its message), does not
 * answer in time or leaves the bus fails the whole call, with a message
 * that names the Id; the other helpers may have loaded their state by
 * then. Cancelling @cancellable fails with %G_IO_ERROR_CANCELLED.
 *
 * This blocks in a private main context: helpers that the calling thread
 * serves could not answer, so call vmstate1_load_all_async() there.
 *
 * Returns: %TRUE if every helper loaded its state, or %FALSE with @error
 *   set.
 *
 * Since: 0.1
 */
gboolean
vmstate1_load_all (GDBusConnection     *bus,
                   GBytes              *blob,
                   const char * const  *id_list,
                   GCancellable        *cancellable,
                   GError             **error)
{
  return vmstate1_load_all_full (bus, blob, id_list, -1, cancellable, error);
}
