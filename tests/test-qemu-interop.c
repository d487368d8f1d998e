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

  if (!test_qemu_require ())
    return;

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

  g_assert_false (migrate_in (fixture, NULL, &dst_stderr));
  if (strstr (dst_stderr, "org.libvmstate1.Error.LoadFailed") == NULL
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

  g_autoptr(GSubprocessLauncher) launcher = NULL;

  g_assert_nonnull (g_getenv ("VMSTATE1_COUNTER_HELPER"));
  /* Children die with the test, and warn loudly. */
  launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-warnings", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error,
                                         g_getenv ("VMSTATE1_COUNTER_HELPER"),
                                         address_arg, "--dbus-id=counter",
                                         "--interval=20",
                                         incoming ? "--dbus-incoming" : NULL,
                                         NULL);
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
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Vmstate1States **states = user_data;
  g_autoptr(GError) error = NULL;

  *states = vmstate1_vm_save_finish (VMSTATE1_VM (source), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*states);
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmstate1_vm_load_finish (VMSTATE1_VM (source), result,
                                          &error));
  g_assert_no_error (error);
  *done = TRUE;
}

/* QEMU writes its entries in the order of a hash table, then zero
 * padding: ours has the same entries, sorted by Id, and no padding. So
 * QEMU's blob is ours once re-encoded, its used part is as long as ours
 * and only zeros follow; with one helper the bytes are the same. */
static void
assert_same_blob_but_padding (GBytes *ours,
                              GBytes *theirs)
{
  g_autoptr(Vmstate1States) decoded = NULL;
  g_autoptr(GBytes) reencoded = NULL;
  g_autoptr(GError) error = NULL;
  gsize our_size, their_size;
  const guint8 *our_data = g_bytes_get_data (ours, &our_size);
  const guint8 *their_data = g_bytes_get_data (theirs, &their_size);
  g_autofree char *order = NULL;
  guint32 count;

  decoded = vmstate1_states_decode (theirs, &error);
  g_assert_no_error (error);
  reencoded = vmstate1_states_encode (decoded);
  g_assert_true (g_bytes_equal (reencoded, ours));

  g_assert_cmpuint (their_size, >=, our_size);
  for (gsize i = our_size; i < their_size; i++)
    if (their_data[i] != 0)
      g_error ("QEMU's blob has byte %02x at offset %" G_GSIZE_FORMAT
               ", after our %" G_GSIZE_FORMAT " bytes", their_data[i], i,
               our_size);

  memcpy (&count, our_data, sizeof count);
  if (GUINT32_FROM_BE (count) <= 1)
    g_assert_cmpmem (our_data, our_size, their_data, our_size);
  else
    {
      /* The order QEMU chose, for the log. */
      GString *ids = g_string_new (NULL);
      gsize offset = 4;

      for (guint32 i = 0; i < GUINT32_FROM_BE (count); i++)
        {
          guint32 len;

          memcpy (&len, their_data + offset, 4);
          len = GUINT32_FROM_BE (len);
          g_string_append_printf (ids, "%s'%.*s'", i ? ", " : "", (int) len,
                                  (const char *) their_data + offset + 4);
          offset += 4 + len;
          memcpy (&len, their_data + offset, 4);
          offset += 4 + GUINT32_FROM_BE (len);
        }
      g_assert_cmpuint (offset, ==, our_size);
      order = g_string_free (ids, FALSE);
      g_test_message ("QEMU's order: %s", order);
    }
}

static void
assert_same_states (Vmstate1States *a,
                    Vmstate1States *b)
{
  g_auto(GStrv) ids = vmstate1_states_dup_ids (a);
  g_auto(GStrv) other_ids = vmstate1_states_dup_ids (b);

  g_assert_true (g_strv_equal ((const char * const *) ids,
                               (const char * const *) other_ids));
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_true (g_bytes_equal (vmstate1_states_lookup (a, ids[i]),
                                  vmstate1_states_lookup (b, ids[i])));
}

/* What QEMU saved of a helper process, loaded into another by a Vm's
 * blocking load: the counter goes on from where QEMU saved it. */
static void
test_vm_loads_qemu_counter (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GSubprocess) src = NULL;
  g_autoptr(GSubprocess) dst = NULL;
  g_autoptr(GDataInputStream) src_out = NULL;
  g_autoptr(GDataInputStream) dst_out = NULL;
  g_autoptr(GDBusConnection) dst_bus = NULL;
  g_autoptr(Vmstate1Vm) vm = NULL;
  g_autoptr(Vmstate1States) theirs = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  guint64 saved;

  SKIP_IF_NO_QEMU (fixture);
  src = spawn_counter (test_bus_get_address (fixture->src_bus), FALSE,
                       &src_out);
  dst = spawn_counter (test_bus_get_address (fixture->dst_bus), TRUE,
                       &dst_out);
  read_counter_line (src_out, "counter=");

  status = migrate_out (fixture, NULL, NULL);
  g_assert_cmpstr (status, ==, "completed");
  saved = read_counter_line (src_out, "saved counter=");

  blob = extract_qemu_blob (fixture->file);
  theirs = vmstate1_states_decode (blob, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (theirs), ==, 1);
  dst_bus = vmstate1_connect (test_bus_get_address (fixture->dst_bus), NULL,
                              &error);
  g_assert_no_error (error);
  vm = vmstate1_vm_new (dst_bus);
  g_assert_true (vmstate1_vm_load (vm, theirs, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (read_counter_line (dst_out, "loaded counter="), ==,
                    saved);
  g_assert_cmpuint (read_counter_line (dst_out, "counter="), ==, saved + 1);

  g_subprocess_send_signal (src, SIGTERM);
  g_subprocess_send_signal (dst, SIGTERM);
  g_assert_true (g_subprocess_wait_check (src, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (dst, NULL, &error));
  g_assert_no_error (error);
}

/* A Vmstate1Vm and QEMU 7.2 save the same helpers to the same blob, byte
 * for byte but QEMU's padding; a Vm loads helpers from QEMU's own blob;
 * vmstate1-tool dump reads QEMU's migration file. */
static void
test_vm_save_matches_qemu (Fixture       *fixture,
                           gconstpointer  data)
{
  static const char *ids[] = { "idA", "idB", "slirp-52:54:00:12:34:56" };
  static const gsize sizes[] = { 100, 5000, 1 };
  Vmstate1Helper *src_helpers[3], *dst_helpers[3];
  TestRecorder *dst[3];
  GBytes *states[3];
  g_autoptr(GDBusConnection) src_bus = NULL;
  g_autoptr(GDBusConnection) dst_bus = NULL;
  g_autoptr(Vmstate1Vm) src_vm = NULL;
  g_autoptr(Vmstate1Vm) dst_vm = NULL;
  g_autoptr(Vmstate1States) ours = NULL;
  g_autoptr(Vmstate1States) theirs = NULL;
  g_autoptr(GBytes) our_blob = NULL;
  g_autoptr(GBytes) their_blob = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  g_autofree char *dump = NULL;
  gboolean loaded = FALSE;
  int exit_status;

  SKIP_IF_NO_QEMU (fixture);
  src_bus = vmstate1_connect (test_bus_get_address (fixture->src_bus), NULL,
                              &error);
  g_assert_no_error (error);
  dst_bus = vmstate1_connect (test_bus_get_address (fixture->dst_bus), NULL,
                              &error);
  g_assert_no_error (error);
  src_vm = vmstate1_vm_new (src_bus);
  dst_vm = vmstate1_vm_new (dst_bus);
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
  vmstate1_vm_save_async (src_vm, NULL, on_saved, &ours);
  while (ours == NULL)
    g_main_context_iteration (NULL, TRUE);
  our_blob = vmstate1_states_encode (ours);
  for (guint i = 0; i < 3; i++)
    g_assert_true (g_bytes_equal (vmstate1_states_lookup (ours, ids[i]),
                                  states[i]));

  /* QEMU's, from its migration stream. */
  status = migrate_out (fixture, NULL, NULL);
  g_assert_cmpstr (status, ==, "completed");
  their_blob = extract_qemu_blob (fixture->file);
  g_test_message ("our blob: %zu bytes, QEMU's: %zu bytes (with padding)",
                  g_bytes_get_size (our_blob), g_bytes_get_size (their_blob));
  assert_same_blob_but_padding (our_blob, their_blob);

  theirs = vmstate1_states_decode (their_blob, &error);
  g_assert_no_error (error);
  assert_same_states (ours, theirs);

  /* QEMU's blob, loaded through a Vm. */
  vmstate1_vm_load_async (dst_vm, theirs, NULL, on_loaded, &loaded);
  g_assert_true (test_wait_for (&loaded, 10000));
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (dst[i]->loads, ==, 1);
      g_assert_true (g_bytes_equal (dst[i]->loaded, states[i]));
    }

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

/* QEMU's id-list and a Vm's id-list choose the same helpers: QEMU with
 * id-list=idA saves what a Vm with { "idA" } saves, and both leave idB
 * alone. */
static void
test_vm_id_list_matches_qemu (Fixture       *fixture,
                              gconstpointer  data)
{
  const char * const only_a[] = { "idA", NULL };
  g_autoptr(GBytes) a_state = test_random_bytes (64);
  g_autoptr(GBytes) b_state = test_random_bytes (64);
  TestRecorder *src_a = test_recorder_new (a_state);
  TestRecorder *src_b = test_recorder_new (b_state);
  Vmstate1Helper *helper_a, *helper_b;
  g_autoptr(GDBusConnection) src_bus = NULL;
  g_autoptr(Vmstate1Vm) vm = NULL;
  g_autoptr(Vmstate1States) ours = NULL;
  g_autoptr(GBytes) our_blob = NULL;
  g_autoptr(GBytes) their_blob = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;

  SKIP_IF_NO_QEMU (fixture);
  src_bus = vmstate1_connect (test_bus_get_address (fixture->src_bus), NULL,
                              &error);
  g_assert_no_error (error);
  helper_a = test_recorder_start (test_bus_get_address (fixture->src_bus),
                                  "idA", src_a);
  helper_b = test_recorder_start (test_bus_get_address (fixture->src_bus),
                                  "idB", src_b);

  vm = vmstate1_vm_new (src_bus);
  vmstate1_vm_set_id_list (vm, only_a);
  vmstate1_vm_save_async (vm, NULL, on_saved, &ours);
  while (ours == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (vmstate1_states_get_length (ours), ==, 1);
  our_blob = vmstate1_states_encode (ours);

  status = migrate_out (fixture, "idA", NULL);
  g_assert_cmpstr (status, ==, "completed");
  their_blob = extract_qemu_blob (fixture->file);
  assert_same_blob_but_padding (our_blob, their_blob);
  g_assert_cmpuint (src_a->saves, ==, 2);
  g_assert_cmpuint (src_b->saves, ==, 0);

  test_recorder_stop (helper_a);
  test_recorder_stop (helper_b);
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
  ADD ("vm-loads-qemu-counter", test_vm_loads_qemu_counter);
  ADD ("vm-save-matches-qemu", test_vm_save_matches_qemu);
  ADD ("vm-id-list-matches-qemu", test_vm_id_list_matches_qemu);

#undef ADD

  return g_test_run ();
}
