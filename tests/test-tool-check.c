/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool check, wait and monitor, run as a user would against
 * counter helper processes and hostile peers written here with bare
 * GDBus on a real private dbus-daemon; and, in the 'qemu' suite, each
 * problem check reports next to what a real QEMU 7.2 migration does. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-qemu.h"
#include "harness/test-raw-helper.h"
#include "harness/test-tool-run.h"

#define MiB (1024 * 1024)

typedef TestToolFixture Fixture;

/* Counter helpers (libvmstate1), as processes */

static char *
start_counter (Fixture    *fixture,
               const char *id)
{
  return test_tool_start_counter (fixture, fixture->bus, id, FALSE, NULL,
                                  NULL);
}

/* Stops a helper of the fixture now, and forgets it. */
static void
stop_counter (Fixture     *fixture,
              GSubprocess *process)
{
  test_process_stop (process);
  g_ptr_array_remove (fixture->helpers, process);
}

/* Running the tool */

/* The tool writes text: what g_subprocess_communicate_utf8() checked. */
static void
assert_text (const TestToolRun *run)
{
  g_assert_true (g_utf8_validate (run->out,
                                  g_bytes_get_size (run->out_bytes), NULL));
  g_assert_true (g_utf8_validate (run->err,
                                  g_bytes_get_size (run->err_bytes), NULL));
}

static GSubprocess *
spawn_toolv (const char         *address,
             const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);

  return test_tool_spawnv (launcher, address, args);
}

/* Runs the tool to its end while this thread's main context runs. */
static void
run_toolv (TestToolRun        *run,
           const char         *address,
           const char * const *args)
{
  gint64 started = g_get_monotonic_time ();
  g_autoptr(GSubprocess) process = spawn_toolv (address, args);

  test_tool_finish (run, process, NULL, started, 0);
  assert_text (run);
  g_test_message ("vmstate1-tool %s ... -> %d in %" G_GINT64_FORMAT
                  " ms\n%s%s", args[0], run->status, run->elapsed_msec,
                  run->out, run->err);
}

#define RUN_TOOL(run, address, ...) \
  G_STMT_START { \
    const char *const args_[] = { __VA_ARGS__, NULL }; \
    run_toolv ((run), (address), args_); \
  } G_STMT_END

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The "kind"s of check --json's problems of severity "error", sorted
 * and joined by spaces. */
static char *
json_error_kinds (const char *text)
{
  g_autoptr(JsonNode) root = test_parse_json (text);
  JsonArray *problems = json_object_get_array_member (
      json_node_get_object (root), "problems");
  g_autoptr(GPtrArray) kinds = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (problems); i++)
    {
      JsonObject *problem = json_array_get_object_element (problems, i);

      if (g_str_equal (json_object_get_string_member (problem, "severity"),
                       "error"))
        g_ptr_array_add (kinds, (gpointer) json_object_get_string_member (
                                    problem, "kind"));
    }
  g_ptr_array_sort (kinds, compare_strings);
  g_ptr_array_add (kinds, NULL);
  return g_strjoinv (" ", (char **) kinds->pdata);
}

/* Hostile helpers written with bare GDBus, each in a thread of its own */

static TestRawHelper *
raw_start (TestBus           *bus,
           const TestRawSpec *spec)
{
  return test_raw_helper_start (test_bus_get_address (bus), spec);
}

static TestRawHelper *
raw_start_id (TestBus       *bus,
              TestRawIdMode  mode,
              const char    *id)
{
  TestRawSpec spec = { .id_mode = mode, .id = id, .save_size = 1 };

  return raw_start (bus, &spec);
}

/* Counting the ListQueuedOwners calls each peer makes, as the bus sees
 * them: a monitor connection (BecomeMonitor), which only listens. */

typedef struct
{
  GDBusConnection *connection;
  GMutex lock;
  GHashTable *counts;  /* sender -> calls */
} CallCounter;

static GDBusMessage *
count_calls (GDBusConnection *connection,
             GDBusMessage    *message,
             gboolean         incoming,
             gpointer         user_data)
{
  CallCounter *counter = user_data;
  GDBusMessageType type = g_dbus_message_get_message_type (message);

  if (!incoming || type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN
      || type == G_DBUS_MESSAGE_TYPE_ERROR)
    return message;
  if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL
      && g_strcmp0 (g_dbus_message_get_member (message),
                    "ListQueuedOwners") == 0
      && g_dbus_message_get_sender (message) != NULL)
    {
      const char *sender = g_dbus_message_get_sender (message);

      g_mutex_lock (&counter->lock);
      g_hash_table_insert (counter->counts, g_strdup (sender),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (
                               g_hash_table_lookup (counter->counts, sender))
                               + 1));
      g_mutex_unlock (&counter->lock);
    }
  /* A monitor must not answer, nor may GDBus answer for it. */
  g_object_unref (message);
  return NULL;
}

static CallCounter *
call_counter_new (TestBus *bus)
{
  CallCounter *counter = g_new0 (CallCounter, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *rules[] = { "type='method_call',member='ListQueuedOwners'",
                          NULL };

  g_mutex_init (&counter->lock);
  counter->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           NULL);
  counter->connection = g_dbus_connection_new_for_address_sync (
      test_bus_get_address (bus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (counter->connection, FALSE);
  g_dbus_connection_add_filter (counter->connection, count_calls, counter,
                                NULL);
  reply = g_dbus_connection_call_sync (
      counter->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
      g_variant_new ("(^asu)", rules, 0), NULL, G_DBUS_CALL_FLAGS_NONE, 5000,
      NULL, &error);
  g_assert_no_error (error);
  return counter;
}

/* The most calls any one peer but @except (nullable) made. */
static guint
call_counter_max (CallCounter *counter,
                  const char  *except)
{
  GHashTableIter iter;
  gpointer key, value;
  guint most = 0;

  g_mutex_lock (&counter->lock);
  g_hash_table_iter_init (&iter, counter->counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (except == NULL || !g_str_equal (key, except))
      most = MAX (most, GPOINTER_TO_UINT (value));
  g_mutex_unlock (&counter->lock);
  return most;
}

static void
call_counter_free (CallCounter *counter)
{
  g_dbus_connection_close_sync (counter->connection, NULL, NULL);
  g_object_unref (counter->connection);
  g_hash_table_unref (counter->counts);
  g_mutex_clear (&counter->lock);
  g_free (counter);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallCounter, call_counter_free)

/* check */

static void
test_check_clean (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autofree char *alpha = start_counter (fixture, "alpha");
  g_autofree char *beta = start_counter (fixture, "beta");

  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "check");
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, alpha);
    test_assert_has (run.out, beta);
    test_assert_has (run.out, "OK: QEMU would migrate");
    /* Without an id-list, a note, not a problem. */
    test_assert_has (run.out, "note: without an id-list");
    test_assert_lacks (run.out, "problem:");
  }
  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "check", "--id-list", "alpha,beta", "--save");
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "9 bytes");
    test_assert_lacks (run.out, "note:");
    test_assert_lacks (run.out, "problem:");
  }
  {
    g_auto(TestToolRun) run = { 0, };
    g_autoptr(JsonNode) root = NULL;
    JsonObject *object;
    JsonArray *helpers;

    RUN_TOOL (&run, address, "check", "--save", "--json");
    g_assert_cmpint (run.status, ==, 0);
    root = test_parse_json (run.out);
    object = json_node_get_object (root);
    g_assert_true (json_object_get_boolean_member (object, "ok"));
    helpers = json_object_get_array_member (object, "helpers");
    g_assert_cmpuint (json_array_get_length (helpers), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        JsonObject *helper = json_array_get_object_element (helpers, i);

        g_assert_cmpint (json_object_get_int_member (helper, "size"), ==, 9);
        g_assert_true (g_str_has_prefix (
            json_object_get_string_member (helper, "verdict"), "ok"));
      }
  }
  /* An empty bus is fine too, with a word about it. */
  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, test_bus_get_address (fixture->other_bus), "check");
    g_assert_cmpint (run.status, ==, 0);
    test_assert_has (run.out, "no helper is queued");
  }
}

#define LONG_ID_LEN 300

/* Every problem of the queue at once, each named, with what to do. */
static void
test_check_queue_problems (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autofree char *long_id = g_strnfill (LONG_ID_LEN, 'L');
  g_autofree char *good = start_counter (fixture, "good");
  g_autoptr(TestRawHelper) no_object = raw_start_id (
      fixture->bus, TEST_RAW_ID_NO_OBJECT, NULL);
  g_autoptr(TestRawHelper) wrong_type = raw_start_id (
      fixture->bus, TEST_RAW_ID_WRONG_TYPE, NULL);
  g_autoptr(TestRawHelper) silent = raw_start_id (
      fixture->bus, TEST_RAW_ID_SILENT, NULL);
  g_autoptr(TestRawHelper) empty = raw_start_id (
      fixture->bus, TEST_RAW_ID_STRING, "");
  g_autoptr(TestRawHelper) longer = raw_start_id (
      fixture->bus, TEST_RAW_ID_STRING, long_id);
  g_autoptr(TestRawHelper) dup1 = raw_start_id (
      fixture->bus, TEST_RAW_ID_STRING, "dup");
  g_autoptr(TestRawHelper) dup2 = raw_start_id (
      fixture->bus, TEST_RAW_ID_STRING, "dup");

  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "--timeout", "500", "check");
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpint (run.elapsed_msec, <, 3000);
    test_assert_has (run.out, "FAILED: 6 problems");
    /* Each owner by its unique name. */
    test_assert_has (run.out, good);
    for (guint i = 0; i < 2; i++)
      {
        TestRawHelper *unreadable = i == 0 ? no_object : wrong_type;
        g_autofree char *line = g_strdup_printf (
            "problem: %s is queued for org.qemu.VMState1 but its Id cannot "
            "be read", test_raw_helper_get_unique_name (unreadable));

        test_assert_has (run.out, line);
      }
    test_assert_has (run.out, "its Id is of type 'i', not a string");
    test_assert_has (run.out, "silently NOT migrated");
    test_assert_has (run.out, test_raw_helper_get_unique_name (silent));
    test_assert_has (run.out, "did not answer its Id within 500 ms");
    test_assert_has (run.out, "has an empty Id");
    test_assert_has (run.out, "(300 bytes), longer than QEMU's 255 bytes");
    test_assert_has (run.out, "Duplicated VMState Id 'dup'");
    test_assert_has (run.out, test_raw_helper_get_unique_name (dup1));
    test_assert_has (run.out, test_raw_helper_get_unique_name (dup2));
    test_assert_has (run.out, "note: without an id-list");
    test_assert_has (run.out, "To do: ");
  }
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *kinds = NULL;

    RUN_TOOL (&run, address, "--timeout", "500", "check", "--json");
    g_assert_cmpint (run.status, ==, 1);
    kinds = json_error_kinds (run.out);
    g_assert_cmpstr (kinds, ==, "duplicate-id invalid-id invalid-id "
                                "silent-owner unreadable-id unreadable-id");
  }

  /* With an id-list, QEMU skips the Ids not listed before it checks
   * them: the empty and the long Id are no longer a problem; a listed Id
   * with no helper is. */
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *kinds = NULL;

    RUN_TOOL (&run, address, "--timeout", "500", "check", "--id-list",
              "good,dup,gone", "--json");
    g_assert_cmpint (run.status, ==, 1);
    kinds = json_error_kinds (run.out);
    g_assert_cmpstr (kinds, ==, "duplicate-id missing-id silent-owner "
                                "unreadable-id unreadable-id");
  }
  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "--timeout", "500", "check", "--id-list",
              "good,gone");
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.out, "Required VMState Id are missing: gone");
    test_assert_has (run.out, "wait --id gone");
    test_assert_has (run.out, "not in --id-list: skipped");
    test_assert_lacks (run.out, "Duplicated");
  }
}

/* Each class alone fails the check: none hides behind another. */
static void
test_check_one_by_one (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *long_id = g_strnfill (LONG_ID_LEN, 'L');
  const struct
  {
    TestRawSpec spec;
    gboolean twice;
    const char *kind;
  } cases[] = {
    { { .id_mode = TEST_RAW_ID_NO_OBJECT }, FALSE, "unreadable-id" },
    { { .id_mode = TEST_RAW_ID_WRONG_TYPE }, FALSE, "unreadable-id" },
    { { .id_mode = TEST_RAW_ID_SILENT }, FALSE, "silent-owner" },
    { { .id_mode = TEST_RAW_ID_STRING, .id = "" }, FALSE, "invalid-id" },
    { { .id_mode = TEST_RAW_ID_STRING, .id = long_id }, FALSE, "invalid-id" },
    { { .id_mode = TEST_RAW_ID_STRING, .id = "twin" }, TRUE, "duplicate-id" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestBus) bus = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(TestRawHelper) first = NULL;
      g_autoptr(TestRawHelper) second = NULL;
      g_auto(TestToolRun) run = { 0, };
      g_autofree char *kinds = NULL;

      bus = test_bus_new (NULL, &error);
      g_assert_no_error (error);
      first = raw_start (bus, &cases[i].spec);
      if (cases[i].twice)
        second = raw_start (bus, &cases[i].spec);
      RUN_TOOL (&run, test_bus_get_address (bus), "--timeout", "1000", "check",
                "--json");
      g_assert_cmpint (run.status, ==, 1);
      kinds = json_error_kinds (run.out);
      g_assert_cmpstr (kinds, ==, cases[i].kind);
    }
}

/* --save: every Save at once, each problem of its answer named. */
static void
test_check_save_problems (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  const TestRawSpec specs[] = {
    { .id = "fine", .save_size = 10 },
    { .id = "empty", .save_size = 0 },
    { .id = "huge", .save_size = MiB + 1 },
    { .id = "failing", .save_mode = TEST_RAW_SAVE_ERROR,
      .save_error = "disk on fire" },
    { .id = "slow", .save_size = 5, .save_delay_msec = 400 },
    { .id = "stuck", .save_mode = TEST_RAW_SAVE_SILENT },
  };
  TestRawHelper *helpers[G_N_ELEMENTS (specs)];

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    helpers[i] = raw_start (fixture->bus, &specs[i]);

  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "--timeout", "1000", "check", "--save",
              "--budget", "200");
    g_assert_cmpint (run.status, ==, 1);
    /* Bounded by the stuck one's timeout. */
    g_assert_cmpint (run.elapsed_msec, <, 5000);
    test_assert_has (run.out, test_raw_helper_get_unique_name (helpers[0]));
    test_assert_has (run.out, "  ok (Save: ");
    test_assert_has (run.out, "the Save of 'empty'");
    test_assert_has (run.out, "returned 0 bytes");
    test_assert_has (run.out, "not a byte array");
    test_assert_has (run.out, "the Save of 'huge'");
    test_assert_has (run.out, "returned 1048577 bytes, over QEMU's limit");
    test_assert_has (run.out, "the Save of 'failing'");
    test_assert_has (run.out, "org.example.Raw.Error: disk on fire");
    test_assert_has (run.out, "the Save of 'slow'");
    test_assert_has (run.out, "over the downtime budget of 200 ms");
    test_assert_has (run.out, "the Save of 'stuck'");
    test_assert_has (run.out, "did not answer within 1000 ms");
    test_assert_has (run.out, "one after another");
  }
  {
    g_auto(TestToolRun) run = { 0, };
    g_autofree char *kinds = NULL;

    RUN_TOOL (&run, address, "--timeout", "1000", "check", "--save",
              "--budget", "200", "--json");
    g_assert_cmpint (run.status, ==, 1);
    kinds = json_error_kinds (run.out);
    g_assert_cmpstr (kinds, ==, "empty-state over-budget save-failed "
                                "save-silent state-too-large "
                                "total-over-budget");
  }
  /* The default budget (300 ms) holds the slow one's 400 ms too. */
  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "--timeout", "1000", "check", "--save",
              "--id-list", "fine,slow");
    g_assert_cmpint (run.status, ==, 1);
    test_assert_has (run.out, "over the downtime budget of 300 ms");
    test_assert_lacks (run.out, "'empty'");
  }
  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "check", "--save", "--id-list", "fine",
              "--budget", "5000");
    g_assert_cmpint (run.status, ==, 0);
  }

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    test_raw_helper_stop (helpers[i]);
}

#define HOSTILE_ID "evil\x1b]0;pwned\x07\nfake"
#define HOSTILE_ERROR "\x1b[2K\rOK: QEMU would migrate\nfake"

static void
test_check_escapes (Fixture       *fixture,
                    gconstpointer  data)
{
  const TestRawSpec spec = { .id = HOSTILE_ID,
                             .save_mode = TEST_RAW_SAVE_ERROR,
                             .save_error = HOSTILE_ERROR };
  g_autoptr(TestRawHelper) helper = raw_start (fixture->bus, &spec);
  g_auto(TestToolRun) run = { 0, };
  g_auto(TestToolRun) json = { 0, };
  g_autoptr(JsonNode) root = NULL;
  JsonObject *entry;

  RUN_TOOL (&run, test_bus_get_address (fixture->bus), "check", "--save");
  g_assert_cmpint (run.status, ==, 1);
  g_assert_null (strchr (run.out, '\x1b'));
  g_assert_null (strchr (run.out, '\r'));
  test_assert_has (run.out, "evil\\x1b]0;pwned\\x07\\x0afake");
  test_assert_has (run.out, "\\x1b[2K\\x0dOK: QEMU would migrate\\x0afake");
  /* One line per helper, per problem, and the verdict. */
  {
    guint lines = 0;

    for (const char *p = run.out; *p != '\0'; p++)
      lines += *p == '\n';
    g_assert_cmpuint (lines, ==, 4);
  }

  RUN_TOOL (&json, test_bus_get_address (fixture->bus), "check", "--json");
  g_assert_null (strchr (json.out, '\x1b'));
  root = test_parse_json (json.out);
  entry = json_array_get_object_element (json_object_get_array_member (
      json_node_get_object (root), "helpers"), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "id"), ==,
                   HOSTILE_ID);
}

static void
test_check_usage (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  const char *const bad[][4] = {
    { "check", "--budget", "100", NULL },
    { "check", "--save", "--budget", "0" },
    { "check", "--id-list", ",", NULL },
    { "check", "extra", NULL, NULL },
    { "wait", NULL, NULL, NULL },
    { "wait", "--id", "", NULL },
    { "monitor", "extra", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto(TestToolRun) run = { 0, };

      run_toolv (&run, address, bad[i]);
      g_assert_cmpint (run.status, ==, 2);
      test_assert_has (run.err, "Try '");
    }
}

/* wait */

typedef struct
{
  Fixture *fixture;
  const char *id;
  gboolean raw;
  TestRawHelper *raw_helper;
  char *name;
  gint64 ready;
} LateStart;

static gboolean
on_late_start (gpointer user_data)
{
  LateStart *late = user_data;

  if (late->raw)
    {
      late->raw_helper = raw_start_id (late->fixture->bus,
                                       TEST_RAW_ID_STRING, late->id);
      late->name = g_strdup (
          test_raw_helper_get_unique_name (late->raw_helper));
    }
  else
    late->name = start_counter (late->fixture, late->id);
  /* Exported and queued when it says so. */
  late->ready = g_get_monotonic_time ();
  return G_SOURCE_REMOVE;
}

/* A helper that comes 1 s late: wait returns soon after it exported,
 * not before, having listed the queue only when the bus said something
 * changed. @raw: a bare GDBus helper, queued behind another, that sends
 * no PropertiesChanged and changes no owner the bus announces. */
static void
wait_for_late (Fixture  *fixture,
               gboolean  raw)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autoptr(CallCounter) counter = call_counter_new (fixture->bus);
  g_autofree char *first = raw ? start_counter (fixture, "first") : NULL;
  LateStart late = { fixture, "late", raw, NULL, NULL, 0 };
  const char *const args[] = { "--timeout", "5000", "wait", "--id", "late",
                               NULL };
  g_auto(TestToolRun) run = { 0, };
  g_autoptr(GSubprocess) process = NULL;
  gint64 started;
  guint listings;

  started = g_get_monotonic_time ();
  process = spawn_toolv (address, args);
  g_timeout_add (1000, on_late_start, &late);
  test_tool_finish (&run, process, NULL, started, 0);
  assert_text (&run);

  g_test_message ("wait: exit %d after %" G_GINT64_FORMAT " ms, helper ready "
                  "after %" G_GINT64_FORMAT " ms\n%s", run.status,
                  run.elapsed_msec, (late.ready - started) / 1000, run.err);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpint (late.ready, !=, 0);
  /* Not before the helper was there (it started 1 s in). */
  g_assert_cmpint (run.elapsed_msec, >=, 1000);
  g_assert_cmpint (g_get_monotonic_time () - late.ready, <,
                   1000 * G_TIME_SPAN_MILLISECOND);

  listings = call_counter_max (counter, late.name);
  g_test_message ("wait listed the queue %u times", listings);
  g_assert_cmpuint (listings, >=, 1);
  g_assert_cmpuint (listings, <=, 8);

  if (late.raw_helper != NULL)
    test_raw_helper_stop (late.raw_helper);
  g_free (late.name);
}

static void
test_wait_late (Fixture       *fixture,
                gconstpointer  data)
{
  wait_for_late (fixture, FALSE);
}

static void
test_wait_late_raw (Fixture       *fixture,
                    gconstpointer  data)
{
  wait_for_late (fixture, TRUE);
}

static void
test_wait_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autoptr(CallCounter) counter = call_counter_new (fixture->bus);
  g_autofree char *here = start_counter (fixture, "here");
  g_auto(TestToolRun) run = { 0, };

  RUN_TOOL (&run, address, "--timeout", "2000", "wait", "--id", "here",
            "--id", "never", "--id", "nor\x1b");
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpint (run.elapsed_msec, >=, 1900);
  g_assert_cmpint (run.elapsed_msec, <, 4000);
  test_assert_has (run.err,
                   "not on the bus after 2000 ms: 'never', 'nor\\x1b'");
  test_assert_lacks (run.err, "'here'");
  /* Nothing changed in 2 s: one listing at start, no polling. */
  g_assert_cmpuint (call_counter_max (counter, here), <=, 2);

  /* Already there: at once. */
  {
    g_auto(TestToolRun) now = { 0, };

    RUN_TOOL (&now, address, "wait", "--id", "here");
    g_assert_cmpint (now.status, ==, 0);
    g_assert_cmpint (now.elapsed_msec, <, 3000);
  }
}

/* monitor */

/* The next line the monitor prints, within 5 s. */
static char *
next_line (GDataInputStream *stream)
{
  g_autoptr(GError) error = NULL;
  char *line = test_read_line_iterating (stream, 5000, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  /* What g_data_input_stream_read_line_finish_utf8() checked. */
  g_assert_true (g_utf8_validate (line, -1, NULL));
  g_test_message ("monitor: %s", line);
  return line;
}

static void
assert_timestamp (const char *text)
{
  g_assert_true (g_regex_match_simple (
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
      text, 0, 0));
}

static void
assert_event (const char *line,
              gboolean    json,
              const char *event,
              const char *id,
              const char *name)
{
  if (json)
    {
      g_autoptr(JsonNode) root = test_parse_json (line);
      JsonObject *object = json_node_get_object (root);

      assert_timestamp (json_object_get_string_member (object, "time"));
      g_assert_cmpstr (json_object_get_string_member (object, "event"), ==,
                       event);
      g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, id);
      g_assert_cmpstr (json_object_get_string_member (object, "name"), ==,
                       name);
    }
  else
    {
      g_auto(GStrv) words = g_strsplit_set (line, " ", -1);
      g_autofree char *quoted = g_strdup_printf ("'%s'", id);
      g_autoptr(GPtrArray) kept = g_ptr_array_new ();

      for (guint i = 0; words[i] != NULL; i++)
        if (*words[i] != '\0')
          g_ptr_array_add (kept, words[i]);
      g_assert_cmpuint (kept->len, ==, 4);
      assert_timestamp (g_ptr_array_index (kept, 0));
      g_assert_cmpstr (g_ptr_array_index (kept, 1), ==, event);
      g_assert_cmpstr (g_ptr_array_index (kept, 2), ==, quoted);
      g_assert_cmpstr (g_ptr_array_index (kept, 3), ==, name);
    }
}

static void
monitor_joins_and_leaves (Fixture  *fixture,
                          gboolean  json)
{
  const char *address = test_bus_get_address (fixture->bus);
  const char *const args[] = { "monitor", json ? "--json" : NULL, NULL };
  g_autoptr(GSubprocess) monitor = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *alpha, *beta;
  g_autofree char *alpha_name = NULL;
  g_autofree char *beta_name = NULL;
  g_autofree char *line = NULL;
  g_autoptr(TestRawHelper) raw = NULL;

  alpha_name = test_tool_start_counter (fixture, fixture->bus, "alpha", FALSE,
                                       NULL, &alpha);
  monitor = spawn_toolv (address, args);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor));

  line = next_line (out);
  assert_event (line, json, "present", "alpha", alpha_name);
  g_clear_pointer (&line, g_free);

  beta_name = test_tool_start_counter (fixture, fixture->bus, "beta", FALSE,
                                       NULL, &beta);
  line = next_line (out);
  assert_event (line, json, "join", "beta", beta_name);
  g_clear_pointer (&line, g_free);

  stop_counter (fixture, alpha);
  line = next_line (out);
  assert_event (line, json, "leave", "alpha", alpha_name);
  g_clear_pointer (&line, g_free);

  /* A bare helper sends no PropertiesChanged: seen as a new name. */
  raw = raw_start_id (fixture->bus, TEST_RAW_ID_STRING, "raw");
  line = next_line (out);
  assert_event (line, json, "join", "raw",
                test_raw_helper_get_unique_name (raw));
  g_clear_pointer (&line, g_free);

  stop_counter (fixture, beta);
  line = next_line (out);
  assert_event (line, json, "leave", "beta", beta_name);
  g_clear_pointer (&line, g_free);

  g_subprocess_send_signal (monitor, SIGTERM);
  g_assert_true (g_subprocess_wait (monitor, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (monitor));
  g_assert_cmpint (g_subprocess_get_exit_status (monitor), ==, 0);
}

static void
test_monitor_text (Fixture       *fixture,
                   gconstpointer  data)
{
  monitor_joins_and_leaves (fixture, FALSE);
}

static void
test_monitor_json (Fixture       *fixture,
                   gconstpointer  data)
{
  monitor_joins_and_leaves (fixture, TRUE);
}

/* A helper that unexports is gone from the queue's point of view, and
 * SIGINT ends the monitor as SIGTERM does. */
static void
test_monitor_unexport (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  const char *const args[] = { "monitor", NULL };
  g_autofree char *anchor = start_counter (fixture, "anchor");
  g_autoptr(GSubprocess) monitor = spawn_toolv (address, args);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(Vmstate1Helper) helper = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *name = NULL;

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor));
  /* Its first listing done, and so its subscriptions. */
  line = next_line (out);
  assert_event (line, FALSE, "present", "anchor", anchor);
  g_clear_pointer (&line, g_free);
  connection = vmstate1_connect (address, NULL, &error);
  g_assert_no_error (error);
  name = g_strdup (g_dbus_connection_get_unique_name (connection));
  helper = vmstate1_helper_new ("inproc", &error);
  g_assert_no_error (error);
  g_assert_true (vmstate1_helper_export (helper, connection, &error));
  g_assert_no_error (error);
  line = next_line (out);
  assert_event (line, FALSE, "join", "inproc", name);
  g_clear_pointer (&line, g_free);

  vmstate1_helper_unexport (helper);
  line = next_line (out);
  assert_event (line, FALSE, "leave", "inproc", name);

  g_subprocess_send_signal (monitor, SIGINT);
  g_assert_true (g_subprocess_wait (monitor, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (monitor), ==, 0);
}

/* The bus goes away under the monitor: exit 1, saying so. */
static void
test_monitor_bus_dies (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  const char *const args[] = { "monitor", NULL };
  g_autofree char *alpha = start_counter (fixture, "alpha");
  g_autoptr(GSubprocess) monitor = spawn_toolv (address, args);
  g_autoptr(GDataInputStream) out = NULL;
  g_auto(TestToolRun) run = { 0, };
  gint64 started = g_get_monotonic_time ();
  g_autofree char *line = NULL;

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor));
  line = next_line (out);
  assert_event (line, FALSE, "present", "alpha", alpha);
  test_bus_kill (fixture->bus);
  g_assert_true (test_tool_finish (&run, monitor, NULL, started, 5000));
  assert_text (&run);
  g_assert_cmpint (run.status, ==, 1);
  test_assert_has (run.err, "the bus went away");
}

/* A stopped dbus-daemon answers nothing: check and wait end within their
 * --timeout all the same. */
static void
test_stopped_bus (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  GPid pid = test_bus_get_pid (fixture->bus);
  g_autofree char *alpha = start_counter (fixture, "alpha");

  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "--timeout", "500", "check", "--save");
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpint (run.elapsed_msec, <, 3000);
    test_assert_has (run.err, "did not answer");
  }
  {
    g_auto(TestToolRun) run = { 0, };

    RUN_TOOL (&run, address, "--timeout", "500", "wait", "--id", "alpha");
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpint (run.elapsed_msec, <, 3000);
    test_assert_has (run.err, "did not answer");
  }
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
}

/* QEMU: what check says, next to what QEMU 7.2 does */

typedef struct
{
  char *status;       /* the source's final migration status */
  char *error_desc;   /* the source's error-desc, if any */
  char *src_stderr;
  gboolean loaded;    /* the destination's incoming migration completed */
  char *dst_stderr;
  Vmstate1States *stream;  /* the states in the migration file */
} QemuOutcome;

static void
qemu_outcome_clear (QemuOutcome *outcome)
{
  g_free (outcome->status);
  g_free (outcome->error_desc);
  g_free (outcome->src_stderr);
  g_free (outcome->dst_stderr);
  g_clear_pointer (&outcome->stream, vmstate1_states_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (QemuOutcome, qemu_outcome_clear)

/* A real migration: QEMU saves the source bus's helpers to a file and,
 * if that completed and @load, another QEMU loads it into the
 * destination bus's helpers. */
static void
qemu_migrate (Fixture     *fixture,
              const char  *id_list,
              gboolean     load,
              QemuOutcome *outcome)
{
  g_autofree char *file = g_build_filename (fixture->dir, "migration.bin",
                                            NULL);
  g_autofree char *save_uri = g_strdup_printf ("exec:cat > %s", file);
  g_autofree char *load_uri = g_strdup_printf ("exec:cat %s", file);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(TestQemu) qemu = NULL;
    TestQemuOptions options = {
      .bus_address = test_bus_get_address (fixture->bus),
      .id_list = id_list,
    };

    qemu = test_qemu_new (&options, &error);
    g_assert_no_error (error);
    outcome->status = test_qemu_migrate (qemu, save_uri,
                                         &outcome->error_desc, &error);
    /* QEMU itself may die of it: a duplicate Id corrupts its heap. */
    if (outcome->status == NULL)
      {
        int exit_status = test_qemu_wait_exit (qemu, 2000);

        outcome->status = g_strdup ("crashed");
        outcome->error_desc = g_strdup_printf ("%s (exit status %d)",
                                               error->message, exit_status);
        g_clear_error (&error);
      }
    outcome->src_stderr = g_strdup (test_qemu_get_stderr (qemu));
  }
  g_test_message ("QEMU source: migration %s%s%s; its stderr:\n%s",
                  outcome->status,
                  outcome->error_desc != NULL ? ": " : "",
                  outcome->error_desc != NULL ? outcome->error_desc : "",
                  outcome->src_stderr);
  if (!g_str_equal (outcome->status, "completed"))
    return;

  {
    g_autoptr(GFile) gfile = g_file_new_for_path (file);
    g_autoptr(GFileInputStream) input = g_file_read (gfile, NULL, &error);

    g_assert_no_error (error);
    outcome->stream = vmstate1_states_read_migration (G_INPUT_STREAM (input),
                                                      NULL, &error);
    /* A corrupt blob is one of the outcomes shown. */
    if (outcome->stream == NULL)
      g_test_message ("the migration file's dbus-vmstate section: %s",
                      error->message);
    g_clear_error (&error);
  }
  if (load)
    {
      g_autoptr(TestQemu) qemu = NULL;
      TestQemuOptions options = {
        .bus_address = test_bus_get_address (fixture->other_bus),
        .id_list = id_list,
        .incoming = load_uri,
      };

      qemu = test_qemu_new (&options, &error);
      g_assert_no_error (error);
      outcome->loaded = test_qemu_wait_incoming (qemu, &error);
      g_clear_error (&error);
      outcome->dst_stderr = g_strdup (test_qemu_get_stderr (qemu));
      g_test_message ("QEMU destination: incoming migration %s; its "
                      "stderr:\n%s", outcome->loaded ? "completed" : "failed",
                      outcome->dst_stderr);
    }
  g_unlink (file);
}

static char *
stream_ids (Vmstate1States *states)
{
  g_auto(GStrv) ids = vmstate1_states_dup_ids (states);

  return g_strjoinv (",", ids);
}

/* Each QEMU case: helpers on the source bus (and their twins, that
 * accept any Load, on the destination bus), check's verdict, then
 * QEMU's. */
typedef struct
{
  const char *name;
  TestRawSpec helpers[3];
  const char *id_list;
  gboolean save;
  const char *kind;         /* check's error */
  gboolean qemu_saves;      /* QEMU's source migration completes */
  gboolean qemu_loads;      /* ... and the destination loads it */
  const char *qemu_says;    /* in QEMU's error-desc or stderr */
  const char *stream;       /* the Ids QEMU's stream holds */
} QemuCase;

static void
run_qemu_case (Fixture        *fixture,
               const QemuCase *qcase)
{
  TestRawHelper *src[3] = { NULL, }, *dst[3] = { NULL, };
  g_auto(TestToolRun) run = { 0, };
  g_auto(QemuOutcome) outcome = { 0, };
  g_autofree char *kinds = NULL;
  g_autofree char *qemu_text = NULL;
  const char *args[8];
  guint n = 0;

  for (guint i = 0; i < 3; i++)
    {
      TestRawSpec twin = { .id = qcase->helpers[i].id, .save_size = 1 };

      /* The list ends with an all-zero spec. */
      if (qcase->helpers[i].id == NULL
          && qcase->helpers[i].id_mode == TEST_RAW_ID_STRING)
        break;
      src[i] = raw_start (fixture->bus, &qcase->helpers[i]);
      if (qcase->helpers[i].id != NULL)
        dst[i] = raw_start (fixture->other_bus, &twin);
    }

  args[n++] = "--timeout";
  args[n++] = "1000";
  args[n++] = "check";
  if (qcase->id_list != NULL)
    {
      args[n++] = "--id-list";
      args[n++] = qcase->id_list;
    }
  if (qcase->save)
    args[n++] = "--save";
  args[n++] = "--json";
  args[n] = NULL;
  run_toolv (&run, test_bus_get_address (fixture->bus), args);
  {
    g_auto(TestToolRun) text = { 0, };

    args[n - 1] = NULL;
    run_toolv (&text, test_bus_get_address (fixture->bus), args);
    g_test_message ("[%s] vmstate1-tool check says (exit %d):\n%s",
                    qcase->name, text.status, text.out);
    g_assert_cmpint (text.status, ==, 1);
  }
  g_assert_cmpint (run.status, ==, 1);
  kinds = json_error_kinds (run.out);
  g_assert_cmpstr (kinds, ==, qcase->kind);

  qemu_migrate (fixture, qcase->id_list, TRUE, &outcome);
  qemu_text = g_strconcat (outcome.error_desc ? outcome.error_desc : "", "\n",
                           outcome.src_stderr, "\n",
                           outcome.dst_stderr ? outcome.dst_stderr : "",
                           NULL);
  g_test_message ("[%s] check: %s; QEMU: source %s, destination %s", qcase->name,
                  kinds, outcome.status,
                  outcome.dst_stderr == NULL ? "not run"
                  : outcome.loaded ? "loaded" : "failed");
  if (qcase->qemu_saves)
    g_assert_cmpstr (outcome.status, ==, "completed");
  else if (!g_str_equal (outcome.status, "crashed"))
    g_assert_cmpstr (outcome.status, ==, "failed");
  if (qcase->qemu_saves)
    g_assert_cmpint (outcome.loaded, ==, qcase->qemu_loads);
  /* A QEMU that died may not have had the time to say why. */
  if (!g_str_equal (outcome.status, "crashed"))
  {
    g_auto(GStrv) alternatives = g_strsplit (qcase->qemu_says, "|", -1);
    gboolean said = FALSE;

    for (guint i = 0; alternatives[i] != NULL; i++)
      said |= strstr (qemu_text, alternatives[i]) != NULL;
    if (!said)
      g_error ("QEMU said neither of '%s': %s", qcase->qemu_says, qemu_text);
  }
  if (qcase->stream != NULL)
    {
      g_autofree char *ids = NULL;

      g_assert_nonnull (outcome.stream);
      ids = stream_ids (outcome.stream);
      g_test_message ("[%s] the migration stream holds the states of: %s",
                      qcase->name, ids);

      g_assert_cmpstr (ids, ==, qcase->stream);
    }

  for (guint i = 0; i < 3; i++)
    {
      if (src[i] != NULL)
        test_raw_helper_stop (src[i]);
      if (dst[i] != NULL)
        test_raw_helper_stop (dst[i]);
    }
}

#define LONG_ID_10 "LLLLLLLLLL"
#define LONG_ID_100 LONG_ID_10 LONG_ID_10 LONG_ID_10 LONG_ID_10 LONG_ID_10 \
                    LONG_ID_10 LONG_ID_10 LONG_ID_10 LONG_ID_10 LONG_ID_10
#define LONG_ID_300 LONG_ID_100 LONG_ID_100 LONG_ID_100

static const QemuCase qemu_cases[] = {
  { "duplicate Id",
    { { .id = "dup", .save_size = 1 }, { .id = "dup", .save_size = 1 } },
    NULL, FALSE, "duplicate-id", FALSE, FALSE,
    /* QEMU 7.2 frees the Id first: its message names freed memory, or
     * QEMU aborts ("malloc(): unaligned fastbin chunk detected") */
    "Duplicated VMState Id|malloc", NULL },
  { "missing listed Id",
    { { .id = "here", .save_size = 1 } },
    "here,gone", FALSE, "missing-id", FALSE, FALSE,
    "Required VMState Id are missing: gone", NULL },
  { "empty state",
    { { .id = "empty", .save_size = 0 } },
    NULL, TRUE, "empty-state", TRUE, FALSE, "not a byte array", NULL },
  { "state over 1 MiB",
    { { .id = "huge", .save_size = MiB + 1 } },
    NULL, TRUE, "state-too-large", TRUE, FALSE, "Too large vmstate data to save",
    NULL },
  { "failing Save",
    { { .id = "failing", .save_mode = TEST_RAW_SAVE_ERROR,
        .save_error = "disk on fire" } },
    NULL, TRUE, "save-failed", TRUE, FALSE, "disk on fire", NULL },
  { "empty Id",
    { { .id = "", .save_size = 1 } },
    NULL, FALSE, "invalid-id", FALSE, FALSE, "is invalid", NULL },
  { "300-byte Id",
    { { .id = LONG_ID_300, .save_size = 1 } },
    NULL, FALSE, "invalid-id", FALSE, FALSE, "is invalid", NULL },
  { "unreadable Id",
    { { .id = "good", .save_size = 3 }, { .id_mode = TEST_RAW_ID_NO_OBJECT },
      { .id_mode = TEST_RAW_ID_WRONG_TYPE } },
    NULL, FALSE, "unreadable-id unreadable-id", TRUE, TRUE,
    "VMState Id property is missing", "good" },
};

static void
test_qemu_case (Fixture       *fixture,
                gconstpointer  data)
{
  if (!test_qemu_require ())
    return;
  run_qemu_case (fixture, data);
}

int
main (int    argc,
      char **argv)
{
  /* --suite=qemu: the QEMU cases only (the 'tool-check-qemu' test). */
  gboolean qemu = test_qemu_take_suite_arg (&argc, argv);

  g_test_init (&argc, &argv, NULL);

  if (qemu)
    {
      /* Not for QEMU: on a duplicate Id its dbus-vmstate unrefs a proxy
       * twice, a GLib critical that fatal-warnings would turn into an
       * abort; a real QEMU runs without it. Ours stays fatal: GLib read
       * G_DEBUG at start. */
      g_unsetenv ("G_DEBUG");
      for (guint i = 0; i < G_N_ELEMENTS (qemu_cases); i++)
        {
          g_autofree char *path = g_strdup_printf (
              "/vmstate1/tool-check/qemu/%u", i);

          g_test_add (path, Fixture, &qemu_cases[i],
                      test_tool_fixture_setup, test_qemu_case,
                      test_tool_fixture_teardown);
        }
      return g_test_run ();
    }

#define ADD(path, func) \
  g_test_add ("/vmstate1/tool-check/" path, Fixture, NULL, \
              test_tool_fixture_setup, func, test_tool_fixture_teardown)

  ADD ("check/clean", test_check_clean);
  ADD ("check/queue-problems", test_check_queue_problems);
  ADD ("check/one-by-one", test_check_one_by_one);
  ADD ("check/save-problems", test_check_save_problems);
  ADD ("check/escapes", test_check_escapes);
  ADD ("usage", test_check_usage);
  ADD ("wait/late", test_wait_late);
  ADD ("wait/late-raw", test_wait_late_raw);
  ADD ("wait/timeout", test_wait_timeout);
  ADD ("monitor/text", test_monitor_text);
  ADD ("monitor/json", test_monitor_json);
  ADD ("monitor/unexport", test_monitor_unexport);
  ADD ("monitor/bus-dies", test_monitor_bus_dies);
  ADD ("stopped-bus", test_stopped_bus);

#undef ADD

  return g_test_run ();
}
