/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool check: what QEMU's dbus-vmstate would hit on this bus,
 * every problem at once, without migrating. The rules are QEMU 7.2's
 * (PROTOCOL.md), checked on the raw queue rather than through
 * Vmstate1Vm, which stops at the first problem. */
#include <string.h>

#include "tool-common.h"
#include "tool-discovery.h"

#define DEFAULT_BUDGET_MSEC 300
/* QEMU's D-Bus calls use GDBus's default timeout. */
#define QEMU_CALL_TIMEOUT_SEC 25
/* How much of a long Id a message shows. */
#define SHOWN_ID_MAX 40

typedef enum
{
  SAVE_NOT_CALLED,
  SAVE_PENDING,
  SAVE_OK,
  SAVE_FAILED,
  SAVE_SILENT,
  SAVE_WRONG_TYPE,
} SaveState;

typedef struct
{
  const ToolOwner *owner;
  char *shown_id;        /* escaped, shortened; NULL without an Id */
  gboolean selected;     /* QEMU would save it */
  GPtrArray *verdicts;   /* of static strings */
  SaveState save;
  gint64 save_started;
  gint64 save_msec;
  gsize save_size;
  char *save_error;      /* the peer's message, raw */
} Helper;

typedef struct
{
  const char *severity;  /* "error" or "note" */
  const char *kind;
  char *id;              /* raw, nullable */
  GStrv names;           /* unique names, nullable */
  char *message;         /* peer text in it already escaped */
  char *action;
} Problem;

typedef struct
{
  GPtrArray *helpers;    /* of Helper */
  GPtrArray *problems;   /* of Problem */
  guint saves_pending;
  int budget_msec;
} Check;

static void
helper_free (gpointer data)
{
  Helper *helper = data;

  g_free (helper->shown_id);
  g_ptr_array_unref (helper->verdicts);
  g_free (helper->save_error);
  g_free (helper);
}

static void
problem_free (gpointer data)
{
  Problem *problem = data;

  g_free (problem->id);
  g_strfreev (problem->names);
  g_free (problem->message);
  g_free (problem->action);
  g_free (problem);
}

static char *
shorten_id (const char *id,
            gsize       len)
{
  g_autofree char *shown = NULL;

  if (len <= SHOWN_ID_MAX)
    return tool_escape_len (id, (gssize) len);
  /* Cut at a character boundary; escaping handles a broken one anyway. */
  shown = tool_escape_len (id, SHOWN_ID_MAX);
  return g_strdup_printf ("%s... (%" G_GSIZE_FORMAT " bytes)", shown, len);
}

static Problem *
add_problem (Check      *check,
             const char *severity,
             const char *kind,
             const char *id,
             const char *name,
             const char *action,
             const char *format,
             ...) G_GNUC_PRINTF (7, 8);

static Problem *
add_problem (Check      *check,
             const char *severity,
             const char *kind,
             const char *id,
             const char *name,
             const char *action,
             const char *format,
             ...)
{
  Problem *problem = g_new0 (Problem, 1);
  va_list args;

  problem->severity = severity;
  problem->kind = kind;
  problem->id = g_strdup (id);
  if (name != NULL)
    {
      problem->names = g_new0 (char *, 2);
      problem->names[0] = g_strdup (name);
    }
  problem->action = g_strdup (action);
  va_start (args, format);
  problem->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (check->problems, problem);
  return problem;
}

static void
add_verdict (Helper     *helper,
             const char *verdict)
{
  g_ptr_array_add (helper->verdicts, (gpointer) verdict);
}

/* What QEMU's pre_save (and, with the id-list, the destination's
 * post_load) decides about the queue, in its order. */
static void
check_queue (Check               *check,
             GPtrArray           *owners,
             const char * const  *ids)
{
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < owners->len; i++)
    {
      const ToolOwner *owner = g_ptr_array_index (owners, i);
      Helper *helper = g_new0 (Helper, 1);
      g_autofree char *name = tool_escape (owner->name);
      g_autofree char *reason = tool_escape (owner->reason);

      helper->owner = owner;
      helper->verdicts = g_ptr_array_new ();
      g_ptr_array_add (check->helpers, helper);

      switch (owner->state)
        {
        case TOOL_OWNER_GONE:
          add_verdict (helper, "left the bus during the check");
          continue;

        case TOOL_OWNER_SILENT:
          add_verdict (helper, "Id not answered: state NOT migrated");
          add_problem (check, "error", "silent-owner", NULL, owner->name,
                       "find out why the helper does not answer (is it "
                       "stopped or stuck?) and restart it",
                       "%s is queued for %s but did not answer its Id "
                       "within %d ms: QEMU waits up to %d s for it (on the "
                       "source while the guest is paused), then skips it "
                       "with a warning: its state is silently NOT migrated",
                       name, VMSTATE1_BUS_NAME, tool_get_timeout (),
                       QEMU_CALL_TIMEOUT_SEC);
          continue;

        case TOOL_OWNER_NO_ID:
        case TOOL_OWNER_WRONG_TYPE:
          add_verdict (helper, "Id unreadable: state NOT migrated");
          add_problem (check, "error", "unreadable-id", NULL, owner->name,
                       "export the org.qemu.VMState1 interface with a string "
                       "Id at " VMSTATE1_OBJECT_PATH " before asking for "
                       "the name, or make the program leave the queue",
                       "%s is queued for %s but its Id cannot be read (%s): "
                       "QEMU 7.1 and later skip it with a warning, so its "
                       "state is silently NOT migrated (\"VMState Id property "
                       "is missing\")",
                       name, VMSTATE1_BUS_NAME, reason);
          continue;

        case TOOL_OWNER_ID:
          break;
        }

      helper->shown_id = shorten_id (owner->id, owner->id_len);
      /* QEMU looks at the id-list before it checks the Id. */
      if (ids != NULL && !g_strv_contains (ids, owner->id))
        {
          add_verdict (helper, "not in --id-list: skipped");
          continue;
        }
      helper->selected = TRUE;
      if (owner->id_len == 0 || owner->id_len > VMSTATE1_ID_MAX_LEN)
        {
          add_verdict (helper, "Id refused by QEMU");
          add_problem (check, "error", "invalid-id", owner->id, owner->name,
                       "give the helper an Id of 1 to 255 bytes",
                       owner->id_len == 0
                           ? "%s has an empty Id%s: QEMU fails the migration "
                             "(\"VMState Id '' is invalid\")"
                           : "%s has an Id of %s, longer than QEMU's 255 "
                             "bytes: QEMU fails the migration (\"VMState Id "
                             "'...' is invalid\")",
                       name, owner->id_len == 0 ? "" : helper->shown_id);
          continue;
        }
      if (strchr (owner->id, ',') != NULL)
        add_problem (check, "note", "comma-id", owner->id, owner->name,
                     "give the helper an Id without a comma if it must be "
                     "listed",
                     "the Id '%s' of %s has a comma: QEMU splits id-list on "
                     "commas, so this Id can never be listed",
                     helper->shown_id, name);

      {
        Helper *first = g_hash_table_lookup (by_id, owner->id);

        if (first == NULL)
          {
            g_hash_table_insert (by_id, owner->id, helper);
            add_verdict (helper, "ok");
          }
        else
          add_verdict (helper, "duplicate Id");
      }
    }

  /* One problem per duplicated Id, naming every owner. */
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, by_id);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
        g_autoptr(GString) shown = g_string_new (NULL);
        Helper *first = value;
        guint n = 0;
        Problem *problem;

        for (guint i = 0; i < check->helpers->len; i++)
          {
            Helper *helper = g_ptr_array_index (check->helpers, i);

            if (helper->selected && helper->owner->id != NULL
                && g_str_equal (helper->owner->id, key))
              {
                g_autofree char *name = tool_escape (helper->owner->name);

                g_strv_builder_add (names, helper->owner->name);
                g_string_append_printf (shown, "%s%s", n > 0 ? ", " : "",
                                        name);
                n++;
              }
          }
        if (n < 2)
          continue;
        g_ptr_array_index (first->verdicts, 0) = (gpointer) "duplicate Id";
        problem = add_problem (check, "error", "duplicate-id", key, NULL,
                               "stop all but one of them, or give each "
                               "helper its own Id",
                               "the Id '%s' is queued %u times, by %s: QEMU "
                               "fails the migration (\"Duplicated VMState Id "
                               "'%s'\"), and 7.2 frees memory twice doing "
                               "so, which can abort QEMU and the VM with it",
                               first->shown_id, n, shown->str,
                               first->shown_id);
        problem->names = g_strv_builder_end (names);
      }
  }

  if (ids != NULL)
    {
      for (guint i = 0; ids[i] != NULL; i++)
        if (!g_hash_table_contains (by_id, ids[i]))
          {
            g_autofree char *shown = tool_escape (ids[i]);
            g_autofree char *action = g_strdup_printf (
                "start its helper before migrating (and wait for it: "
                TOOL_PROGRAM " wait --id %s), or leave it out of the "
                "id-list", shown);

            add_problem (check, "error", "missing-id", ids[i], NULL, action,
                         "the Id '%s' of --id-list has no helper on the bus: "
                         "QEMU fails the migration (\"Required VMState Id "
                         "are missing: %s\")", shown, shown);
          }
    }
  else
    add_problem (check, "note", "no-id-list", NULL, NULL,
                 "give QEMU's dbus-vmstate object the id-list of the helpers "
                 "the VM needs (and here --id-list), so that a missing one "
                 "fails the migration instead",
                 "without an id-list QEMU saves the helpers that are on the "
                 "bus at that moment: one that is not on the bus yet (still "
                 "starting, or restarting) is silently left out");
}

/* --save: Save on every selected helper, all at once, each timed. */

typedef struct
{
  Check *check;
  Helper *helper;
} SaveCall;

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  SaveCall *call = user_data;
  Helper *helper = call->helper;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  helper->save_msec = (g_get_monotonic_time () - helper->save_started) / 1000;
  if (reply != NULL && g_variant_is_of_type (reply, G_VARIANT_TYPE ("(ay)")))
    {
      g_autoptr(GVariant) data = g_variant_get_child_value (reply, 0);

      helper->save = SAVE_OK;
      helper->save_size = g_variant_get_size (data);
    }
  else if (reply != NULL)
    {
      helper->save = SAVE_WRONG_TYPE;
      helper->save_error = g_strdup (g_variant_get_type_string (reply));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))
    helper->save = SAVE_SILENT;
  else
    {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      g_dbus_error_strip_remote_error (error);
      helper->save = SAVE_FAILED;
      helper->save_error = remote != NULL
                               ? g_strdup_printf ("%s: %s", remote,
                                                  error->message)
                               : g_strdup (error->message);
    }
  call->check->saves_pending--;
  g_free (call);
}

static gboolean
on_saves_backstop (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_saves (Check           *check,
           GDBusConnection *bus)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean expired = FALSE;
  guint backstop;

  for (guint i = 0; i < check->helpers->len; i++)
    {
      Helper *helper = g_ptr_array_index (check->helpers, i);
      SaveCall *call;

      if (!helper->selected)
        continue;
      call = g_new0 (SaveCall, 1);
      call->check = check;
      call->helper = helper;
      helper->save = SAVE_PENDING;
      helper->save_started = g_get_monotonic_time ();
      check->saves_pending++;
      /* By its unique name: the well-known name reaches the primary
       * owner only. */
      g_dbus_connection_call (bus, helper->owner->name, VMSTATE1_OBJECT_PATH,
                              VMSTATE1_INTERFACE, "Save", NULL, NULL,
                              G_DBUS_CALL_FLAGS_NO_AUTO_START,
                              tool_get_timeout (), cancellable, on_saved,
                              call);
    }
  /* Each call times out by itself; this only guards against a bus that
   * would not even time them out. */
  backstop = g_timeout_add (tool_operation_limit (), on_saves_backstop,
                            &expired);
  while (check->saves_pending > 0 && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (backstop);
  g_cancellable_cancel (cancellable);
  while (check->saves_pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
check_saves (Check *check)
{
  gint64 total = 0;
  guint saved = 0;

  for (guint i = 0; i < check->helpers->len; i++)
    {
      Helper *helper = g_ptr_array_index (check->helpers, i);
      const char *id = helper->owner->id;
      g_autofree char *name = tool_escape (helper->owner->name);
      g_autofree char *reason = tool_escape (helper->save_error);

      switch (helper->save)
        {
        case SAVE_NOT_CALLED:
        case SAVE_PENDING:
          continue;

        case SAVE_SILENT:
          add_verdict (helper, "Save not answered");
          add_problem (check, "error", "save-silent", id, helper->owner->name,
                       "find out why the helper's Save hangs (is it stopped "
                       "or stuck?)",
                       "the Save of '%s' (%s) did not answer within %d ms: "
                       "QEMU waits up to %d s for it with the guest paused, "
                       "then the migration breaks (the destination fails)",
                       helper->shown_id, name, tool_get_timeout (),
                       QEMU_CALL_TIMEOUT_SEC);
          continue;

        case SAVE_FAILED:
          add_verdict (helper, "Save failed");
          add_problem (check, "error", "save-failed", id, helper->owner->name,
                       "see the helper's log for why its Save fails",
                       "the Save of '%s' (%s) failed: %s: QEMU prints the "
                       "error and goes on, so its blob is corrupt and the "
                       "destination fails the migration (\"Failed to find "
                       "proxy Id ''\")",
                       helper->shown_id, name, reason);
          continue;

        case SAVE_WRONG_TYPE:
          add_verdict (helper, "Save answered no byte array");
          add_problem (check, "error", "save-wrong-type", id,
                       helper->owner->name,
                       "make Save return one byte array (signature ay)",
                       "the Save of '%s' (%s) answered '%s', not '(ay)': "
                       "QEMU fails to save it and the destination fails the "
                       "migration", helper->shown_id, name, reason);
          continue;

        case SAVE_OK:
          break;
        }

      saved++;
      total += helper->save_msec;
      if (helper->save_size == 0)
        {
          add_verdict (helper, "empty state");
          add_problem (check, "error", "empty-state", id, helper->owner->name,
                       "make Save return at least one byte (a version byte, "
                       "say)",
                       "the Save of '%s' (%s) returned 0 bytes: QEMU 7.2 "
                       "cannot store an empty state (\"Failed to Save: not a "
                       "byte array\"), so its blob is corrupt and the "
                       "destination fails the migration (\"Failed to find "
                       "proxy Id ''\")",
                       helper->shown_id, name);
        }
      else if (helper->save_size > VMSTATE1_DATA_MAX_SIZE)
        {
          add_verdict (helper, "state over 1 MiB");
          add_problem (check, "error", "state-too-large", id,
                       helper->owner->name,
                       "keep the helper's state within 1 MiB",
                       "the Save of '%s' (%s) returned %" G_GSIZE_FORMAT
                       " bytes, over QEMU's limit of %u: QEMU refuses it "
                       "(\"Too large vmstate data to save\"), so its blob "
                       "is corrupt and the destination fails the migration "
                       "(\"Failed to find proxy Id ''\")", helper->shown_id,
                       name,
                       helper->save_size, VMSTATE1_DATA_MAX_SIZE);
        }
      if (helper->save_msec > check->budget_msec)
        {
          add_verdict (helper, "Save over budget");
          add_problem (check, "error", "over-budget", id, helper->owner->name,
                       "make the helper's Save faster (prepare its state "
                       "ahead), or give a larger --budget if the VM can "
                       "afford the downtime",
                       "the Save of '%s' (%s) took %" G_GINT64_FORMAT " ms, "
                       "over the downtime budget of %d ms: QEMU calls Save "
                       "with the guest paused",
                       helper->shown_id, name, helper->save_msec,
                       check->budget_msec);
        }
    }
  if (saved > 1 && total > check->budget_msec)
    add_problem (check, "error", "total-over-budget", NULL, NULL,
                 "make the slowest helpers' Save faster, or give a larger "
                 "--budget if the VM can afford the downtime",
                 "the Saves took %" G_GINT64_FORMAT " ms together, over the "
                 "downtime budget of %d ms: QEMU calls the helpers one "
                 "after another with the guest paused", total,
                 check->budget_msec);
}

static guint
count_errors (Check *check)
{
  guint n = 0;

  for (guint i = 0; i < check->problems->len; i++)
    {
      Problem *problem = g_ptr_array_index (check->problems, i);

      n += g_str_equal (problem->severity, "error");
    }
  return n;
}

static char *
join_verdicts (Helper *helper)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < helper->verdicts->len; i++)
    {
      const char *verdict = g_ptr_array_index (helper->verdicts, i);

      /* "ok" is no verdict next to a problem found by Save. */
      if (g_str_equal (verdict, "ok") && helper->verdicts->len > 1)
        continue;
      g_string_append_printf (out, "%s%s", out->len > 0 ? ", " : "", verdict);
    }
  if (helper->save == SAVE_OK)
    g_string_append_printf (out, " (Save: %" G_GINT64_FORMAT " ms, %"
                            G_GSIZE_FORMAT " bytes)", helper->save_msec,
                            helper->save_size);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static int
print_text (Check *check,
            guint  errors)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint width = 2;  /* "-" or "''" */

  for (guint i = 0; i < check->helpers->len; i++)
    {
      Helper *helper = g_ptr_array_index (check->helpers, i);

      if (helper->shown_id != NULL)
        width = MAX (width, (guint) MIN (g_utf8_strlen (helper->shown_id, -1),
                                         SHOWN_ID_MAX));
    }
  for (guint i = 0; i < check->helpers->len; i++)
    {
      Helper *helper = g_ptr_array_index (check->helpers, i);
      g_autofree char *name = tool_escape (helper->owner->name);
      g_autofree char *verdicts = join_verdicts (helper);
      /* No Id: "-"; an empty one: "''". */
      const char *id = helper->shown_id == NULL ? "-"
                       : *helper->shown_id == '\0' ? "''"
                       : helper->shown_id;

      g_string_append (out, id);
      for (glong n = g_utf8_strlen (id, -1); n < (glong) width; n++)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "  %s  %s\n", name, verdicts);
    }
  if (check->helpers->len == 0)
    g_string_append_printf (out, "(no helper is queued for %s)\n",
                            VMSTATE1_BUS_NAME);
  for (guint i = 0; i < check->problems->len; i++)
    {
      Problem *problem = g_ptr_array_index (check->problems, i);

      g_string_append_printf (out, "%s: %s. To do: %s.\n",
                              g_str_equal (problem->severity, "error")
                                  ? "problem" : "note",
                              problem->message, problem->action);
    }
  if (errors == 0)
    g_string_append (out, "OK: QEMU would migrate these helpers\n");
  else
    g_string_append_printf (out, "FAILED: %u %s\n", errors,
                            errors == 1 ? "problem" : "problems");
  return tool_print_out (out);
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *member,
                   const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    {
      g_autofree char *valid = tool_make_valid (value);

      json_builder_add_string_value (builder, valid);
    }
}

static int
print_json (Check *check,
            guint  errors)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, errors == 0);
  json_builder_set_member_name (builder, "helpers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < check->helpers->len; i++)
    {
      Helper *helper = g_ptr_array_index (check->helpers, i);
      g_autofree char *verdicts = join_verdicts (helper);

      json_builder_begin_object (builder);
      add_string_member (builder, "id", helper->owner->id);
      add_string_member (builder, "name", helper->owner->name);
      add_string_member (builder, "verdict", verdicts);
      json_builder_set_member_name (builder, "selected");
      json_builder_add_boolean_value (builder, helper->selected);
      if (helper->save == SAVE_OK)
        {
          json_builder_set_member_name (builder, "save_msec");
          json_builder_add_int_value (builder, helper->save_msec);
          json_builder_set_member_name (builder, "size");
          json_builder_add_int_value (builder, (gint64) helper->save_size);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "problems");
  json_builder_begin_array (builder);
  for (guint i = 0; i < check->problems->len; i++)
    {
      Problem *problem = g_ptr_array_index (check->problems, i);

      json_builder_begin_object (builder);
      add_string_member (builder, "severity", problem->severity);
      add_string_member (builder, "kind", problem->kind);
      add_string_member (builder, "id", problem->id);
      json_builder_set_member_name (builder, "names");
      json_builder_begin_array (builder);
      for (guint j = 0; problem->names != NULL && problem->names[j]; j++)
        {
          g_autofree char *name = tool_make_valid (problem->names[j]);

          json_builder_add_string_value (builder, name);
        }
      json_builder_end_array (builder);
      add_string_member (builder, "message", problem->message);
      add_string_member (builder, "action", problem->action);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return tool_print_json (root);
}

int
tool_command_check (int    argc,
                    char **argv)
{
  g_autofree char *id_list = NULL;
  gboolean save = FALSE;
  gboolean json = FALSE;
  int budget = -1;
  const GOptionEntry entries[] = {
    { "id-list", 0, 0, G_OPTION_ARG_STRING, &id_list,
      "Check as QEMU with this id-list would, on the source and on the "
      "destination: each listed Id must be on the bus", "a,b" },
    { "save", 0, 0, G_OPTION_ARG_NONE, &save,
      "Also call Save on every helper QEMU would save, all at once, and "
      "check what each returns and how long it takes", NULL },
    { "budget", 0, 0, G_OPTION_ARG_INT, &budget,
      "With --save: the downtime budget; a Save that takes longer, or "
      "Saves that take longer one after another, are a problem "
      "(default: 300)", "MSEC" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print a JSON object with \"helpers\" and \"problems\" arrays", NULL },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GPtrArray) owners = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  Check check = { 0, };
  guint errors;
  int status = TOOL_EXIT_OK;

  if (!tool_parse_command ("check", "",
                           "Runs what QEMU's dbus-vmstate runs before it "
                           "saves (and, with --id-list, what the destination "
                           "runs before it loads), without migrating, and "
                           "reports every problem it would hit, each with "
                           "what to do.",
                           entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return tool_usage_error ("unexpected argument '%s'", argv[1]);
  if (budget != -1 && !save)
    return tool_usage_error ("--budget needs --save");
  if (budget == -1)
    budget = DEFAULT_BUDGET_MSEC;
  else if (budget <= 0)
    return tool_usage_error ("--budget must be a positive number of "
                             "milliseconds, not %d", budget);
  if (!tool_parse_id_list (id_list, &ids, &status))
    return status;

  bus = tool_connect (&status);
  if (bus == NULL)
    return status;
  owners = tool_discover (bus, tool_get_timeout (), &error);
  if (owners == NULL)
    return tool_failed ("check failed: %s", error->message);

  check.helpers = g_ptr_array_new_with_free_func (helper_free);
  check.problems = g_ptr_array_new_with_free_func (problem_free);
  check.budget_msec = budget;
  check_queue (&check, owners, (const char * const *) ids);
  if (save)
    {
      run_saves (&check, bus);
      check_saves (&check);
    }

  errors = count_errors (&check);
  status = json ? print_json (&check, errors) : print_text (&check, errors);
  g_ptr_array_unref (check.helpers);
  g_ptr_array_unref (check.problems);
  if (status != TOOL_EXIT_OK)
    return status;
  return errors == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAILED;
}
