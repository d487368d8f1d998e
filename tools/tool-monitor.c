/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool monitor: helpers joining and leaving the queue, live,
 * until interrupted. Each event comes from a listing that a bus signal
 * asked for (see tool-watch.h), compared with the one before. */
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

#include "tool-common.h"
#include "tool-watch.h"

typedef struct
{
  gboolean json;
  gboolean started;       /* the first listing was shown */
  GHashTable *known;      /* unique name -> Id, or "" if unreadable */
  /* Names shown leaving while still queued without an object: a library
   * helper unexports its object, then its ReleaseName reaches the bus. */
  GHashTable *leaving;
  gboolean stop;
  gboolean closed;
  int status;
} Monitor;

/* ISO 8601, UTC, milliseconds. */
static char *
now_text (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *seconds = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", seconds,
                          g_date_time_get_microsecond (now) / 1000);
}

static void
print_event (Monitor    *monitor,
             const char *event,
             const char *id,
             const char *name,
             const char *reason)
{
  g_autofree char *time = now_text ();
  g_autoptr(GString) line = g_string_new (NULL);

  if (monitor->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *valid_id = id != NULL ? tool_make_valid (id) : NULL;
      g_autofree char *valid_name = tool_make_valid (name);
      g_autofree char *data = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "time");
      json_builder_add_string_value (builder, time);
      json_builder_set_member_name (builder, "event");
      json_builder_add_string_value (builder, event);
      json_builder_set_member_name (builder, "id");
      if (valid_id != NULL)
        json_builder_add_string_value (builder, valid_id);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, valid_name);
      if (reason != NULL)
        {
          g_autofree char *valid = tool_make_valid (reason);

          json_builder_set_member_name (builder, "reason");
          json_builder_add_string_value (builder, valid);
        }
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      data = json_generator_to_data (generator, NULL);
      g_string_append (line, data);
    }
  else
    {
      g_autofree char *shown_name = tool_escape (name);

      g_string_append_printf (line, "%s %-7s ", time, event);
      if (id != NULL)
        {
          g_autofree char *shown_id = tool_escape (id);

          g_string_append_printf (line, "'%s' %s", shown_id, shown_name);
        }
      else
        g_string_append_printf (line, "- %s", shown_name);
      if (reason != NULL)
        {
          g_autofree char *shown = tool_escape (reason);

          g_string_append_printf (line, " (%s)", shown);
        }
    }
  g_string_append_c (line, '\n');
  /* Line by line, as it happens: no stdio buffer in between. */
  if (tool_print_out (line) != TOOL_EXIT_OK)
    {
      monitor->status = TOOL_EXIT_FAILED;
      monitor->stop = TRUE;
    }
}

static const char *
owner_key (const ToolOwner *owner)
{
  return owner->state == TOOL_OWNER_ID ? owner->id : "";
}

static void
on_listed (GPtrArray    *owners,
           const GError *error,
           gpointer      user_data)
{
  Monitor *monitor = user_data;
  GHashTableIter iter;
  gpointer key, value;

  if (owners == NULL)
    {
      g_autofree char *line = g_strdup_printf ("%s: cannot list the "
                                               "helpers: %s\n", TOOL_PROGRAM,
                                               error->message);
      g_autofree char *shown = tool_escape_lines (line);

      tool_write_all (STDERR_FILENO, shown, strlen (shown), NULL);
      return;
    }

  /* Gone, or now answering another Id (or none). */
  g_hash_table_iter_init (&iter, monitor->known);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const ToolOwner *owner = tool_owners_find (owners, key);

      if (owner != NULL && owner->state != TOOL_OWNER_SILENT
          && owner->state != TOOL_OWNER_GONE
          && g_str_equal (owner_key (owner), value))
        continue;
      /* A silent owner is still there: no news is no change. */
      if (owner != NULL && owner->state == TOOL_OWNER_SILENT)
        continue;
      print_event (monitor, "leave", *(char *) value != '\0' ? value : NULL,
                   key, NULL);
      if (owner != NULL && owner->state == TOOL_OWNER_NO_ID
          && *(char *) value != '\0')
        g_hash_table_add (monitor->leaving, g_strdup (key));
      g_hash_table_iter_remove (&iter);
    }

  /* Forget a leaving name once it is gone, or back with an Id. */
  g_hash_table_iter_init (&iter, monitor->leaving);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const ToolOwner *owner = tool_owners_find (owners, key);

      if (owner == NULL || owner->state != TOOL_OWNER_NO_ID)
        g_hash_table_iter_remove (&iter);
    }

  for (guint i = 0; i < owners->len; i++)
    {
      const ToolOwner *owner = g_ptr_array_index (owners, i);

      if (owner->state == TOOL_OWNER_GONE || owner->state == TOOL_OWNER_SILENT
          || g_hash_table_contains (monitor->known, owner->name)
          || g_hash_table_contains (monitor->leaving, owner->name))
        continue;
      if (owner->state == TOOL_OWNER_ID)
        print_event (monitor, monitor->started ? "join" : "present",
                     owner->id, owner->name, NULL);
      else
        print_event (monitor, "no-id", NULL, owner->name, owner->reason);
      g_hash_table_insert (monitor->known, g_strdup (owner->name),
                           g_strdup (owner_key (owner)));
    }
  monitor->started = TRUE;
}

static gboolean
on_signal (gpointer user_data)
{
  Monitor *monitor = user_data;

  monitor->stop = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
on_closed (GDBusConnection *connection,
           gboolean         remote_peer_vanished,
           GError          *error,
           gpointer         user_data)
{
  Monitor *monitor = user_data;

  monitor->closed = TRUE;
  monitor->stop = TRUE;
}

int
tool_command_monitor (int    argc,
                      char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print one JSON object per event and line: {\"time\", \"event\", "
      "\"id\", \"name\"}", NULL },
    { NULL }
  };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(ToolWatch) watch = NULL;
  Monitor monitor = { 0, };
  guint sigint, sigterm;
  gulong closed;
  int status = TOOL_EXIT_OK;

  if (!tool_parse_command ("monitor", "",
                           "Shows helpers joining (join) and leaving (leave) "
                           "the org.qemu.VMState1 queue as it happens, and "
                           "those there at start (present), each with a "
                           "timestamp, its Id and its unique name, until "
                           "interrupted.",
                           entries, TRUE, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return tool_usage_error ("unexpected argument '%s'", argv[1]);

  /* Installed first, so that a signal while connecting ends it too. */
  sigint = g_unix_signal_add (SIGINT, on_signal, &monitor);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &monitor);
  bus = tool_connect (&status);
  if (bus == NULL)
    {
      g_source_remove (sigint);
      g_source_remove (sigterm);
      return status;
    }
  g_dbus_connection_set_exit_on_close (bus, FALSE);
  closed = g_signal_connect (bus, "closed", G_CALLBACK (on_closed), &monitor);
  monitor.json = json;
  monitor.status = TOOL_EXIT_OK;
  monitor.known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         g_free);
  monitor.leaving = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           NULL);
  watch = tool_watch_new (bus, tool_get_timeout (), on_listed, &monitor);
  while (!monitor.stop)
    g_main_context_iteration (NULL, TRUE);

  g_clear_pointer (&watch, tool_watch_free);
  g_signal_handler_disconnect (bus, closed);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_hash_table_unref (monitor.known);
  g_hash_table_unref (monitor.leaving);
  if (monitor.closed)
    return tool_failed ("the bus went away");
  return monitor.status;
}
