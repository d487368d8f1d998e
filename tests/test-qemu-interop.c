/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers built on libvmstate1, migrated by a real QEMU: the scenarios of
 * QEMU's own (upstream-disabled) dbus-vmstate qtest, and more. */
#include <glib/gstdio.h>
#include <string.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-qemu.h"
#include "harness/test-recorder.h"

#define MiB (1024 * 1024)

typedef struct
{
  TestBus *src_bus;
  TestBus *dst_bus;
  char *dir;
  char *file;
  char *save_uri;   /* exec:cat > FILE */
  char *load_uri;   /* exec:cat FILE */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *qemu = test_qemu_find_binary ();

  if (qemu == NULL)
    {
      /* The test command installs QEMU; in CI a skip is a failure. */
      if (g_getenv ("CI") != NULL)
        g_error ("qemu-system-x86_64 not found (Debian: qemu-system-x86)");
      g_test_skip ("qemu-system-x86_64 not found (Debian: qemu-system-x86)");
      return;
    }

  fixture->src_bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->dst_bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->dir = g_dir_make_tmp ("vmstate1-qemu-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->file = g_build_filename (fixture->dir, "migration.bin", NULL);
  fixture->save_uri = g_strdup_printf ("exec:cat > %s", fixture->file);
  fixture->load_uri = g_strdup_printf ("exec:cat %s", fixture->file);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->src_bus, test_bus_free);
  g_clear_pointer (&fixture->dst_bus, test_bus_free);
  if (fixture->file != NULL)
    g_unlink (fixture->file);
  if (fixture->dir != NULL)
    g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->file);
  g_free (fixture->save_uri);
  g_free (fixture->load_uri);
}

#define SKIP_IF_NO_QEMU(fixture) \
  if ((fixture)->src_bus == NULL) return

/* The source side: QEMU saves the helpers on the source bus. Returns
 * QEMU's final migration status. */
static char *
migrate_out (Fixture    *fixture,
             const char *id_list,
             char      **error_desc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestQemu) qemu = NULL;
  TestQemuOptions options = {
    .bus_address = test_bus_get_address (fixture->src_bus),
    .id_list = id_list,
  };
  char *status;

  qemu = test_qemu_new (&options, &error);
  g_assert_no_error (error);
  status = test_qemu_migrate (qemu, fixture->save_uri, error_desc, &error);
  g_assert_no_error (error);
  return status;
}

/* The destination side: QEMU loads the file into the helpers on the
 * destination bus. Returns whether it succeeded; QEMU's stderr in
 * @stderr_text. */
static gboolean
migrate_in (Fixture    *fixture,
            const char *id_list,
            char      **stderr_text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestQemu) qemu = NULL;
  TestQemuOptions options = {
    .bus_address = test_bus_get_address (fixture->dst_bus),
    .id_list = id_list,
    .incoming = fixture->load_uri,
  };
  gboolean ok;

  qemu = test_qemu_new (&options, &error);
  g_assert_no_error (error);
  ok = test_qemu_wait_incoming (qemu, &error);
  if (stderr_text != NULL)
    *stderr_text = g_strdup (test_qemu_get_stderr (qemu));
  if (ok)
    g_assert_no_error (error);
  return ok;
}

typedef struct
{
  const char *src_list;      /* QEMU id-list on the source, or NULL */
  const char *dst_list;      /* and on the destination */
  gboolean src_has_b;        /* idB runs on the source */
  gboolean dst_has_b;        /* idB runs on the destination */
  gboolean b_migrates;       /* idB's state is expected to arrive */
  gboolean src_fails;        /* the source migration fails */
  gboolean dst_fails;        /* the destination migration fails */
  const char *dst_message;   /* in the destination QEMU's stderr */
} Scenario;

static void
run_scenario (Fixture        *fixture,
              const Scenario *scenario)
{
  g_autoptr(GBytes) a_state = test_random_bytes (100);
  g_autoptr(GBytes) b_state = test_random_bytes (200);
  TestRecorder *src_a = test_recorder_new (a_state);
  TestRecorder *src_b = test_recorder_new (b_state);
  TestRecorder *dst_a = test_recorder_new_text ("destination A");
  TestRecorder *dst_b = test_recorder_new_text ("destination B");
  Vmstate1Helper *helpers[4] = { NULL, };
  g_autofree char *status = NULL;
  g_autofree char *error_desc = NULL;
  g_autofree char *dst_stderr = NULL;
  gboolean ok;

  helpers[0] = test_recorder_start (test_bus_get_address (fixture->src_bus),
                                    "idA", src_a);
  if (scenario->src_has_b)
    helpers[1] = test_recorder_start (test_bus_get_address (fixture->src_bus),
                                      "idB", src_b);
  else
    test_recorder_free (src_b);
  helpers[2] = test_recorder_start (test_bus_get_address (fixture->dst_bus),
                                    "idA", dst_a);
  if (scenario->dst_has_b)
    helpers[3] = test_recorder_start (test_bus_get_address (fixture->dst_bus),
                                      "idB", dst_b);
  else
    test_recorder_free (dst_b);

  status = migrate_out (fixture, scenario->src_list, &error_desc);
  if (scenario->src_fails)
    {
      g_assert_cmpstr (status, ==, "failed");
      /* Nothing was saved. */
      g_assert_cmpuint (src_a->saves, ==, 0);
      goto out;
    }
  g_assert_cmpstr (status, ==, "completed");
  g_assert_cmpuint (src_a->saves, ==, 1);
  if (scenario->src_has_b)
    g_assert_cmpuint (src_b->saves, ==, scenario->b_migrates ? 1 : 0);

  ok = migrate_in (fixture, scenario->dst_list, &dst_stderr);
  if (scenario->dst_fails)
    {
      g_assert_false (ok);
      if (strstr (dst_stderr, scenario->dst_message) == NULL)
        g_error ("QEMU's stderr does not say '%s':\n%s", scenario->dst_message,
                 dst_stderr);
      goto out;
    }
  g_assert_true (ok);
  g_assert_nonnull (dst_a->loaded);
  g_assert_true (g_bytes_equal (dst_a->loaded, a_state));
  if (scenario->dst_has_b)
    {
      if (scenario->b_migrates)
        g_assert_true (g_bytes_equal (dst_b->loaded, b_state));
      else
        g_assert_cmpuint (dst_b->loads, ==, 0);
    }

out:
  for (guint i = 0; i < G_N_ELEMENTS (helpers); i++)
    if (helpers[i] != NULL)
      test_recorder_stop (helpers[i]);
}

static void
test_without_list (Fixture       *fixture,
                   gconstpointer  data)
{
  Scenario scenario = { .src_has_b = TRUE, .dst_has_b = TRUE,
                        .b_migrates = TRUE };

  SKIP_IF_NO_QEMU (fixture);
  run_scenario (fixture, &scenario);
}

static void
test_with_list (Fixture       *fixture,
                gconstpointer  data)
{
  Scenario scenario = { .src_list = "idA,idB", .dst_list = "idA,idB",
                        .src_has_b = TRUE, .dst_has_b = TRUE,
                        .b_migrates = TRUE };

  SKIP_IF_NO_QEMU (fixture);
  run_scenario (fixture, &scenario);
}

static void
test_only_a (Fixture       *fixture,
             gconstpointer  data)
{
  Scenario scenario = { .src_list = "idA", .dst_list = "idA",
                        .src_has_b = TRUE, .dst_has_b = TRUE,
                        .b_migrates = FALSE };

  SKIP_IF_NO_QEMU (fixture);
  run_scenario (fixture, &scenario);
}

static void
test_missing_src (Fixture       *fixture,
                  gconstpointer  data)
{
  Scenario scenario = { .src_list = "idA,idB", .src_has_b = FALSE,
                        .src_fails = TRUE };

  SKIP_IF_NO_QEMU (fixture);
  run_scenario (fixture, &scenario);
}

static void
test_missing_dst (Fixture       *fixture,
                  gconstpointer  data)
{
  Scenario scenario = { .src_list = "idA,idB", .dst_list = "idA,idB",
                        .src_has_b = TRUE, .dst_has_b = FALSE,
                        .b_migrates = TRUE, .dst_fails = TRUE,
                        .dst_message = "Required VMState Id are missing: idB" };

  SKIP_IF_NO_QEMU (fixture);
  run_scenario (fixture, &scenario);
}

/* The largest state QEMU takes, random binary, arrives byte for byte. */
static void
test_one_mib_binary (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GBytes) big = test_random_bytes (MiB);
  TestRecorder *src = test_recorder_new (big);
  TestRecorder *dst = test_recorder_new_text ("before");
  Vmstate1Helper *src_helper, *dst_helper;
  g_autofree char *status = NULL;

  SKIP_IF_NO_QEMU (fixture);
  src_helper = test_recorder_start (test_bus_get_address (fixture->src_bus),
                                    "big", src);
  dst_helper = test_recorder_start (test_bus_get_address (fixture->dst_bus),
                                    "big", dst);
  status = migrate_out (fixture, NULL, NULL);
  g_assert_cmpstr (status, ==, "completed");
  g_assert_true (migrate_in (fixture, NULL, NULL));
  g_assert_cmpuint (g_bytes_get_size (dst->loaded), ==, MiB);
  g_assert_true (g_bytes_equal (dst->loaded, big));

  test_recorder_stop (src_helper);
  test_recorder_stop (dst_helper);
}

/* A helper's Load error fails the destination, and QEMU's log carries the
 * helper's own message with its Id. */
static void
test_failing_load (Fixture       *fixture,
                   gconstpointer  data)
{
  TestRecorder *src = test_recorder_new_text ("version 3 state");
  TestRecorder *dst = test_recorder_new_text ("untouched");
  Vmstate1Helper *src_helper, *dst_helper;
  g_autofree char *status = NULL;
  g_autofree char *dst_stderr = NULL;

  SKIP_IF_NO_QEMU (fixture);
  dst->fail_with = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                        "state version 3 is newer than 2");
  src_helper = test_recorder_start (test_bus_get_address (fixture->src_bus),
                                    "picky", src);
  dst_helper = test_recorder_start (test_bus_get_address (fixture->dst_bus),
                                    "picky", dst);
  status = migrate_out (fixture, NULL, NULL);
  g_assert_cmpstr (status, ==, "completed");

  g_test_expect_message ("Vmstate1", G_LOG_LEVEL_WARNING,
                         "Id 'picky': Load failed: state version 3*");
  g_assert_false (migrate_in (fixture, NULL, &dst_stderr));
  g_test_assert_expected_messages ();
  if (strstr (dst_stderr, "org.qemu.VMState1.Error.LoadFailed") == NULL
      || strstr (dst_stderr,
                 "Id 'picky': Load failed: state version 3 is newer than 2")
             == NULL)
    g_error ("QEMU's stderr lacks the helper's error:\n%s", dst_stderr);
  g_assert_null (dst->loaded);

  test_recorder_stop (src_helper);
  test_recorder_stop (dst_helper);
}

/* Real helper processes: the counter keeps counting on the destination
 * from where the source left it. */
static GSubprocess *
spawn_counter (const char        *address,
               gboolean           incoming,
               GDataInputStream **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address_arg = g_strdup_printf ("--dbus-address=%s", address);
  g_autofree char *line = NULL;
  GSubprocess *process;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              g_getenv ("VMSTATE1_COUNTER_HELPER"),
                              address_arg, "--dbus-id=counter",
                              "--interval=20",
                              incoming ? "--dbus-incoming" : NULL, NULL);
  g_assert_no_error (error);
  *out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (*out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "ready:"));
  return process;
}

/* Reads lines until one starts with @prefix; returns the number after it. */
static guint64
read_counter_line (GDataInputStream *out,
                   const char       *prefix)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL,
                                                             &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_has_prefix (line, prefix))
        return g_ascii_strtoull (line + strlen (prefix), NULL, 10);
    }
}

static void
test_counter_processes (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GSubprocess) src = NULL;
  g_autoptr(GSubprocess) dst = NULL;
  g_autoptr(GDataInputStream) src_out = NULL;
  g_autoptr(GDataInputStream) dst_out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TestQemu) qemu = NULL;
  g_autofree char *status = NULL;
  guint64 saved, loaded, next;

  SKIP_IF_NO_QEMU (fixture);
  src = spawn_counter (test_bus_get_address (fixture->src_bus), FALSE,
                       &src_out);
  dst = spawn_counter (test_bus_get_address (fixture->dst_bus), TRUE,
                       &dst_out);
  /* Let it count a little. */
  g_assert_cmpuint (read_counter_line (src_out, "counter="), >=, 1);
  read_counter_line (src_out, "counter=");

  status = migrate_out (fixture, NULL, NULL);
  g_assert_cmpstr (status, ==, "completed");
  saved = read_counter_line (src_out, "saved counter=");
  g_assert_cmpuint (saved, >=, 2);

  {
    TestQemuOptions options = {
      .bus_address = test_bus_get_address (fixture->dst_bus),
      .incoming = fixture->load_uri,
    };
    qemu = test_qemu_new (&options, &error);
    g_assert_no_error (error);
    g_assert_true (test_qemu_wait_incoming (qemu, &error));
    g_assert_no_error (error);
  }
  loaded = read_counter_line (dst_out, "loaded counter=");
  g_assert_cmpuint (loaded, ==, saved);
  next = read_counter_line (dst_out, "counter=");
  g_assert_cmpuint (next, ==, saved + 1);

  g_subprocess_send_signal (src, SIGTERM);
  g_subprocess_send_signal (dst, SIGTERM);
  g_assert_true (g_subprocess_wait_check (src, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (dst, NULL, &error));
  g_assert_no_error (error);
}

/* QEMU's own blob, out of its migration stream: the dbus-vmstate
 * section (idstr "dbus-vmstate/dbus-vmstate", then instance and version
 * ids) holds a u32 size and the blob, padding included. */
static GBytes *
extract_qemu_blob (const char *file)
{
  static const char idstr[] = "\x19" "dbus-vmstate/dbus-vmstate";
  g_autofree char *contents = NULL;
  gsize size;
  const char *section;
  const guint8 *p;
  guint32 blob_size;

  g_assert_true (g_file_get_contents (file, &contents, &size, NULL));
  section = memmem (contents, size, idstr, strlen (idstr));
  g_assert_nonnull (section);
  p = (const guint8 *) section + strlen (idstr) + 8;
  g_assert_cmpuint (p + 4 - (const guint8 *) contents, <=, size);
  blob_size = GUINT32_FROM_BE (*(const guint32 *) p);
  g_assert_cmpuint (p + 4 + blob_size - (const guint8 *) contents, <=, size);
  return g_bytes_new (p + 4, blob_size);
}

static void
on_save_all (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GBytes **blob = user_data;
  g_autoptr(GError) error = NULL;

  *blob = vmstate1_save_all_finish (result, &error);
  g_assert_no_error (error);
}

static void
on_load_all (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmstate1_load_all_finish (result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
assert_same_states (GHashTable *a,
                    GHashTable *b)
{
  GHashTableIter iter;
  gpointer id, value;

  g_assert_cmpuint (g_hash_table_size (a), ==, g_hash_table_size (b));
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &id, &value))
    {
      GBytes *other = g_hash_table_lookup (b, id);

      g_assert_nonnull (other);
      g_assert_true (g_bytes_equal (value, other));
    }
}

/* vmstate1_save_all() and QEMU 7.2 save the same helpers to the same
 * Id -> bytes map; load_all() restores helpers from QEMU's own blob; and
 * vmstate1-tool dump reads QEMU's migration file. */
static void
test_save_all_matches_qemu (Fixture       *fixture,
                            gconstpointer  data)
{
  static const char *ids[] = { "idA", "idB", "slirp-52:54:00:12:34:56" };
  static const gsize sizes[] = { 100, 5000, 1 };
  Vmstate1Helper *src_helpers[3], *dst_helpers[3];
  TestRecorder *dst[3];
  GBytes *states[3];
  g_autoptr(GDBusConnection) src_bus = NULL;
  g_autoptr(GDBusConnection) dst_bus = NULL;
  g_autoptr(GBytes) ours = NULL;
  g_autoptr(GBytes) theirs = NULL;
  g_autoptr(GHashTable) our_states = NULL;
  g_autoptr(GHashTable) their_states = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  g_autofree char *dump = NULL;
  gboolean loaded = FALSE;
  int exit_status;

  SKIP_IF_NO_QEMU (fixture);
  src_bus = vmstate1_connect (test_bus_get_address (fixture->src_bus), NULL,
                              &error);
  dst_bus = vmstate1_connect (test_bus_get_address (fixture->dst_bus), NULL,
                              &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      states[i] = test_random_bytes (sizes[i]);
      src_helpers[i] = test_recorder_start (test_bus_get_address (fixture->src_bus),
                                            ids[i], test_recorder_new (states[i]));
      dst[i] = test_recorder_new_text ("before");
      dst_helpers[i] = test_recorder_start (test_bus_get_address (fixture->dst_bus),
                                            ids[i], dst[i]);
    }

  /* Ours: the helpers live on this thread, so the async call. */
  vmstate1_save_all_async (src_bus, NULL, NULL, on_save_all, &ours);
  while (ours == NULL)
    g_main_context_iteration (NULL, TRUE);

  /* QEMU's, from its migration stream. */
  status = migrate_out (fixture, NULL, NULL);
  g_assert_cmpstr (status, ==, "completed");
  theirs = extract_qemu_blob (fixture->file);
  g_test_message ("our blob: %zu bytes, QEMU's: %zu bytes (with padding)",
                  g_bytes_get_size (ours), g_bytes_get_size (theirs));

  our_states = vmstate1_stream_decode (ours, &error);
  g_assert_no_error (error);
  their_states = vmstate1_stream_decode (theirs, &error);
  g_assert_no_error (error);
  assert_same_states (our_states, their_states);
  for (guint i = 0; i < 3; i++)
    g_assert_true (g_bytes_equal (g_hash_table_lookup (our_states, ids[i]),
                                  states[i]));

  /* QEMU's blob, loaded by the library. */
  vmstate1_load_all_async (dst_bus, theirs, NULL, NULL, on_load_all, &loaded);
  g_assert_true (test_wait_for (&loaded, 10000));
  for (guint i = 0; i < 3; i++)
    g_assert_true (g_bytes_equal (dst[i]->loaded, states[i]));

  /* QEMU's file, read by the tool. */
  {
    const char *argv[] = { g_getenv ("VMSTATE1_TOOL"), "dump", fixture->file,
                           NULL };

    g_assert_nonnull (argv[0]);
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                                 G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &dump,
                                 NULL, &exit_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (exit_status, NULL));
    g_test_message ("vmstate1-tool dump:\n%s", dump);
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *line = g_strdup_printf ("Id '%s': %zu bytes", ids[i],
                                                 sizes[i]);

        g_assert_nonnull (strstr (dump, line));
      }
  }

  for (guint i = 0; i < 3; i++)
    {
      test_recorder_stop (src_helpers[i]);
      test_recorder_stop (dst_helpers[i]);
      g_bytes_unref (states[i]);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/vmstate1/qemu/" path, Fixture, NULL, fixture_setup, func, \
              fixture_teardown)

  ADD ("without-list", test_without_list);
  ADD ("with-list", test_with_list);
  ADD ("only-a", test_only_a);
  ADD ("missing-src", test_missing_src);
  ADD ("missing-dst", test_missing_dst);
  ADD ("one-mib-binary", test_one_mib_binary);
  ADD ("failing-load", test_failing_load);
  ADD ("counter-processes", test_counter_processes);
  ADD ("save-all-matches-qemu", test_save_all_matches_qemu);

#undef ADD

  return g_test_run ();
}
