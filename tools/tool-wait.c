/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool wait: until every named Id is on the bus, so that a
 * migration is not started before its helpers (the start race Proxmox
 * hit). Listings follow the bus's signals; there is no polling loop. */
#include "tool-common.h"
#include "tool-watch.h"

typedef struct
{
  const char * const *ids;
  gboolean all_there;
  gboolean expired;
  char *missing;     /* escaped, after the last listing */
  char *last_error;  /* escaped */
} Waiting;

static void
on_listed (GPtrArray    *owners,
           const GError *error,
           gpointer      user_data)
{
  Waiting *waiting = user_data;
  g_autoptr(GString) missing = g_string_new (NULL);

  if (owners == NULL)
    {
      /* Said at the end if it was the last word; the next signal lists
       * again. */
      g_free (waiting->last_error);
      waiting->last_error = tool_escape (error->message);
      return;
    }
  g_clear_pointer (&waiting->last_error, g_free);
  for (guint i = 0; waiting->ids[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < owners->len && !found; j++)
        {
          const ToolOwner *owner = g_ptr_array_index (owners, j);

          found = owner->state == TOOL_OWNER_ID
                  && g_str_equal (owner->id, waiting->ids[i]);
        }
      if (!found)
        {
          g_autofree char *shown = tool_escape (waiting->ids[i]);

          g_string_append_printf (missing, "%s'%s'",
                                  missing->len > 0 ? ", " : "", shown);
        }
    }
  g_free (waiting->missing);
  waiting->missing = g_strdup (missing->str);
  waiting->all_there = missing->len == 0;
}

static gboolean
on_expired (gpointer user_data)
{
  Waiting *waiting = user_data;

  waiting->expired = TRUE;
  return G_SOURCE_REMOVE;
}

int
tool_command_wait (int    argc,
                   char **argv)
{
  g_auto(GStrv) ids = NULL;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ids,
      "An Id to wait for (required; may be given more than once)", "ID" },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(ToolWatch) watch = NULL;
  Waiting waiting = { 0, };
  gint64 deadline;
  gint64 left;
  guint timer;
  int status = TOOL_EXIT_OK;

  if (!tool_parse_command ("wait", "",
                           "Waits until a helper with each --id is queued for "
                           "org.qemu.VMState1 and answers with that Id, at "
                           "most --timeout milliseconds (connecting "
                           "included). Exits 0 once they all are, 1 at the "
                           "timeout.",
                           entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return tool_usage_error ("unexpected argument '%s'", argv[1]);
  if (ids == NULL || ids[0] == NULL)
    return tool_usage_error ("give at least one --id ID to wait for");
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!vmstate1_id_validate (ids[i], &error))
        return tool_usage_error ("--id '%s': %s", ids[i], error->message);
    }

  /* One deadline for the whole command, connecting included. */
  deadline = g_get_monotonic_time () + tool_get_timeout () * (gint64) 1000;
  bus = tool_connect (&status);
  if (bus == NULL)
    return status;
  left = (deadline - g_get_monotonic_time ()) / 1000;
  waiting.ids = (const char * const *) ids;
  timer = g_timeout_add ((guint) MAX (left, 0), on_expired, &waiting);
  watch = tool_watch_new (bus, tool_get_timeout (), on_listed, &waiting);
  while (!waiting.all_there && !waiting.expired)
    g_main_context_iteration (NULL, TRUE);
  if (!waiting.expired)
    g_source_remove (timer);

  if (!waiting.all_there)
    {
      g_autofree char *why = waiting.last_error != NULL
          ? g_strdup_printf (" (the last listing failed: %s)",
                             waiting.last_error)
          : g_strdup ("");

      if (waiting.missing != NULL)
        status = tool_failed ("not on the bus after %d ms: %s%s",
                              tool_get_timeout (), waiting.missing, why);
      else
        status = tool_failed ("the bus did not list the helpers within %d "
                              "ms%s", tool_get_timeout (), why);
    }
  g_free (waiting.missing);
  g_free (waiting.last_error);
  return status;
}
