/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmstate1-tool driven as a user would, against helper processes on a
 * real private dbus-daemon. */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <vmstate1.h>

#include "harness/test-bus.h"

/* The first 368 bytes of a migration stream that QEMU 7.2 wrote
 * ("migrate exec:cat > FILE", -M none, two counter helpers with Ids 'x'
 * and 'yy' at 73): header, configuration, RAM, timer, dbus-vmstate (its
 * 64-byte blob, padding included) and globalstate sections, then
 * QEMU_VM_EOF. The JSON description that follows is left out. */
static const guint8 qemu_stream[] = {
  0x51, 0x45, 0x56, 0x4d, 0x00, 0x00, 0x00, 0x03, 0x07, 0x00, 0x00, 0x00,
  0x04, 0x6e, 0x6f, 0x6e, 0x65, 0x01, 0x00, 0x00, 0x00, 0x03, 0x03, 0x72,
  0x61, 0x6d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x10, 0x7e, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x03,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x7e, 0x00, 0x00, 0x00,
  0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0x74, 0x69, 0x6d, 0x65, 0x72,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x59, 0x6b, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0x71, 0xbc, 0x7e, 0x00, 0x00, 0x00,
  0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x19, 0x64, 0x62, 0x75, 0x73, 0x2d,
  0x76, 0x6d, 0x73, 0x74, 0x61, 0x74, 0x65, 0x2f, 0x64, 0x62, 0x75, 0x73,
  0x2d, 0x76, 0x6d, 0x73, 0x74, 0x61, 0x74, 0x65, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x02,
  0x00, 0x00, 0x00, 0x02, 0x79, 0x79, 0x00, 0x00, 0x00, 0x09, 0x01, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x00, 0x00, 0x00, 0x01, 0x78,
  0x00, 0x00, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x49, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x7e, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x05, 0x0b, 0x67,
  0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x73, 0x74, 0x61, 0x74, 0x65, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x72, 0x75,
  0x6e, 0x6e, 0x69, 0x6e, 0x67, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x7e, 0x00, 0x00, 0x00, 0x05, 0x00
};

typedef struct
{
  TestBus *bus;
  TestBus *other_bus;
  char *dir;
  GPtrArray *helpers;  /* of GSubprocess */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->other_bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->dir = g_dir_make_tmp ("vmstate1-tool-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->helpers = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  for (guint i = 0; i < fixture->helpers->len; i++)
    {
      GSubprocess *process = g_ptr_array_index (fixture->helpers, i);

      g_subprocess_send_signal (process, SIGTERM);
      g_subprocess_wait (process, NULL, NULL);
    }
  g_ptr_array_unref (fixture->helpers);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_clear_pointer (&fixture->bus, test_bus_free);
  g_clear_pointer (&fixture->other_bus, test_bus_free);
}

static void
assert_has (const char *text,
            const char *words)
{
  if (strstr (text, words) == NULL)
    g_error ("'%s' does not say '%s'", text, words);
}

/* Starts a counter helper that does not count by itself (its state stays
 * at 0 unless loaded), and returns its unique name. */
static char *
start_counter (Fixture    *fixture,
               TestBus    *bus,
               const char *id,
               gboolean    incoming,
               GDataInputStream **out_stream)
{
  const char *path = g_getenv ("VMSTATE1_COUNTER_HELPER");
  g_autofree char *address_arg = NULL;
  g_autofree char *id_arg = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  GSubprocess *process;
  const char *name;

  g_assert_nonnull (path);
  address_arg = g_strdup_printf ("--dbus-address=%s",
                                 test_bus_get_address (bus));
  id_arg = g_strdup_printf ("--dbus-id=%s", id);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, path,
                              address_arg, id_arg, "--interval=100000",
                              incoming ? "--dbus-incoming" : NULL, NULL);
  g_assert_no_error (error);
  g_ptr_array_add (fixture->helpers, process);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  /* "ready: Id 'alpha' on :1.4[, waiting for the incoming state]" */
  g_assert_true (g_str_has_prefix (line, "ready:"));
  name = strstr (line, " on :");
  g_assert_nonnull (name);
  if (out_stream != NULL)
    *out_stream = g_steal_pointer (&out);
  return g_strndup (name + 4, strcspn (name + 4, ","));
}

static char *
read_line (GDataInputStream *out)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

typedef struct
{
  int status;
  GBytes *out;
  char *out_text;  /* out, NUL-terminated */
  char *err;
} ToolRun;

static void
tool_run_clear (ToolRun *run)
{
  g_clear_pointer (&run->out, g_bytes_unref);
  g_clear_pointer (&run->out_text, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ToolRun, tool_run_clear)

/* Runs the tool with DBUS_SESSION_BUS_ADDRESS set to @address (unset if
 * NULL) and standard input from @input_path (empty if NULL). */
static void
run_tool (ToolRun     *run,
          const char  *address,
          const char  *input_path,
          const char  *first_arg,
          ...)
{
  const char *tool = g_getenv ("VMSTATE1_TOOL");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GBytes) nothing = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_PIPE;
  va_list args;

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (input_path == NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  if (input_path != NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, input_path);
  if (address != NULL)
    g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                  address, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  process = g_subprocess_launcher_spawnv (launcher,
                                          (const char * const *) argv->pdata,
                                          &error);
  g_assert_no_error (error);
  g_subprocess_communicate (process, input_path == NULL ? nothing : NULL,
                            NULL, &run->out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  run->out_text = g_strndup (g_bytes_get_data (run->out, NULL),
                             g_bytes_get_size (run->out));
  run->err = g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  if (g_test_verbose ())
    g_printerr ("%s %s -> %d\n%s%s", tool, first_arg, run->status,
                run->out_text, run->err);
}

static void
test_help (Fixture       *fixture,
           gconstpointer  data)
{
  static const char *const commands[] = { "list", "save", "load", "dump" };

  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "--help", NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_has (run.out_text, "Usage:");
    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      assert_has (run.out_text, commands[i]);
  }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(ToolRun) run = { 0, };
      g_autofree char *usage = g_strdup_printf ("vmstate1-tool %s",
                                                commands[i]);

      run_tool (&run, NULL, NULL, commands[i], "--help", NULL);
      g_assert_cmpint (run.status, ==, 0);
      assert_has (run.out_text, "Usage:");
      assert_has (run.out_text, usage);
    }
}

static void
test_usage_errors (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  static const struct
  {
    const char *args[5];
    const char *says;
  } cases[] = {
    { { NULL }, "no command" },
    { { "frobnicate", NULL }, "unknown command 'frobnicate'" },
    { { "save", "-o", NULL }, "Missing argument for -o" },
    { { "load", "--bogus", NULL }, "Unknown option --bogus" },
    { { "dump", NULL }, "dump needs a FILE" },
    { { "dump", "a", "b", NULL }, "unexpected argument 'b'" },
    { { "list", "extra", NULL }, "unexpected argument 'extra'" },
    { { "--timeout", "0", "list", NULL }, "--timeout must be a positive" },
    { { "list", "--timeout", "soon", NULL }, "--timeout" },
    { { "save", "--id-list", "a,,b", NULL }, "The Id is empty" },
    { { "save", "--id-list", "a,b,a", NULL }, "names Id 'a' twice" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(ToolRun) run = { 0, };
      const char *const *args = cases[i].args;

      run_tool (&run, address, NULL, args[0], args[0] ? args[1] : NULL,
                args[0] && args[1] ? args[2] : NULL,
                args[0] && args[1] && args[2] ? args[3] : NULL, NULL);
      g_assert_cmpint (run.status, ==, 2);
      if (strstr (run.err, cases[i].says) == NULL)
        g_error ("case %u: '%s' does not say '%s'", i, run.err,
                 cases[i].says);
    }

  /* No bus address at all. */
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "list", NULL);
    g_assert_cmpint (run.status, ==, 2);
    assert_has (run.err, "--address");
    assert_has (run.err, "DBUS_SESSION_BUS_ADDRESS");
  }
}

static void
test_list (Fixture       *fixture,
           gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autofree char *alpha = start_counter (fixture, fixture->bus, "alpha",
                                          FALSE, NULL);
  g_autofree char *weird = start_counter (fixture, fixture->bus,
                                          "we\"ird\\id", FALSE, NULL);
  g_autoptr(GVariant) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *id, *name;
  GVariantIter iter;
  GVariant *entry;
  guint n = 0;

  {
    g_auto(ToolRun) run = { 0, };

    /* The session bus address by default. */
    run_tool (&run, address, NULL, "list", NULL);
    g_assert_cmpint (run.status, ==, 0);
    line = g_strdup_printf ("alpha       %s\n", alpha);
    assert_has (run.out_text, line);
    assert_has (run.out_text, weird);
  }

  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "--address", address, "list", "--json",
              NULL);
    g_assert_cmpint (run.status, ==, 0);
    /* This JSON is also GVariant text: an array of string dictionaries. */
    parsed = g_variant_parse (G_VARIANT_TYPE ("aa{ss}"), run.out_text, NULL,
                              NULL, &error);
    g_assert_no_error (error);
    g_variant_iter_init (&iter, parsed);
    while ((entry = g_variant_iter_next_value (&iter)) != NULL)
      {
        g_assert_true (g_variant_lookup (entry, "id", "&s", &id));
        g_assert_true (g_variant_lookup (entry, "name", "&s", &name));
        if (n == 0)
          {
            g_assert_cmpstr (id, ==, "alpha");
            g_assert_cmpstr (name, ==, alpha);
          }
        else
          {
            g_assert_cmpstr (id, ==, "we\"ird\\id");
            g_assert_cmpstr (name, ==, weird);
          }
        n++;
        g_variant_unref (entry);
      }
    g_assert_cmpuint (n, ==, 2);
  }

  /* An empty bus lists nothing and says so. */
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, test_bus_get_address (fixture->other_bus), NULL, "list",
              "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpstr (run.out_text, ==, "[]\n");
  }
}

static void
test_save_dump_load (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  const char *other = test_bus_get_address (fixture->other_bus);
  g_autofree char *file = g_build_filename (fixture->dir, "state.blob", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GDataInputStream) alpha_out = NULL;
  g_autoptr(GDataInputStream) beta_out = NULL;
  gsize length;
  GStatBuf st;

  g_free (start_counter (fixture, fixture->bus, "alpha", FALSE, NULL));
  g_free (start_counter (fixture, fixture->bus, "beta", FALSE, NULL));

  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "--address", address, "save", "-o", file,
              NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_has (run.err, "Saved 2 helpers");
    g_assert_true (g_file_get_contents (file, &contents, &length, NULL));
    /* count, then 'alpha' and 'beta' with a 9-byte state each. */
    g_assert_cmpuint (length, ==, 4 + (4 + 5 + 4 + 9) + (4 + 4 + 4 + 9));
    g_assert_cmpint (g_stat (file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }

  /* The same bytes on standard output. */
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpmem (g_bytes_get_data (run.out, NULL),
                     g_bytes_get_size (run.out), contents, length);
  }

  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_has (run.out_text, "dbus-vmstate blob of 47 bytes, 2 entries\n");
    assert_has (run.out_text,
                "Id 'alpha': 9 bytes: 01 00 00 00 00 00 00 00 00\n");
    assert_has (run.out_text, "Id 'beta': 9 bytes:");
  }

  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", "--json", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpstr (run.out_text, ==,
                     "[\n"
                     "  {\"id\": \"alpha\", \"size\": 9},\n"
                     "  {\"id\": \"beta\", \"size\": 9}\n"
                     "]\n");
  }

  /* Into fresh helpers waiting for their state, from a file... */
  g_free (start_counter (fixture, fixture->other_bus, "alpha", TRUE,
                         &alpha_out));
  g_free (start_counter (fixture, fixture->other_bus, "beta", TRUE,
                         &beta_out));
  {
    g_auto(ToolRun) run = { 0, };
    g_autofree char *alpha_line = NULL;
    g_autofree char *beta_line = NULL;

    run_tool (&run, other, NULL, "load", "-i", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_has (run.out_text, "Loaded 2 helpers");
    alpha_line = read_line (alpha_out);
    beta_line = read_line (beta_out);
    g_assert_cmpstr (alpha_line, ==, "loaded counter=0, counting from here");
    g_assert_cmpstr (beta_line, ==, "loaded counter=0, counting from here");
  }

  /* ...and from standard input. */
  {
    g_auto(ToolRun) run = { 0, };
    g_autofree char *alpha_line = NULL;

    run_tool (&run, other, file, "load", NULL);
    g_assert_cmpint (run.status, ==, 0);
    alpha_line = read_line (alpha_out);
    g_assert_cmpstr (alpha_line, ==, "loaded counter=0");
  }
}

static void
test_missing_id (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *address = test_bus_get_address (fixture->bus);
  g_autofree char *file = g_build_filename (fixture->dir, "state.blob", NULL);
  g_autofree char *contents = NULL;

  g_free (start_counter (fixture, fixture->bus, "alpha", FALSE, NULL));

  /* Fails, naming the Id, and writes nothing... */
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", "--id-list", "alpha,ghost", "-o",
              file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_has (run.err, "'ghost'");
    g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  }

  /* ...and leaves an older file as it was. */
  g_assert_true (g_file_set_contents (file, "old", -1, NULL));
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, address, NULL, "save", "--id-list", "ghost", "-o", file,
              NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "old");
  }

  /* A blob with an Id that no helper has is not loaded at all. */
  {
    g_auto(ToolRun) run = { 0, };
    g_autoptr(GHashTable) states = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr(GBytes) state = g_bytes_new_static ("\1\0\0\0\0\0\0\0\7", 9);
    g_autoptr(GBytes) blob = NULL;

    g_hash_table_insert (states, "alpha", state);
    g_hash_table_insert (states, "ghost", state);
    blob = vmstate1_stream_encode (states, NULL);
    g_assert_true (g_file_set_contents (file, g_bytes_get_data (blob, NULL),
                                        g_bytes_get_size (blob), NULL));
    run_tool (&run, address, NULL, "load", "-i", file, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_has (run.err, "Id 'ghost'");
    assert_has (run.err, "no helper was loaded");
  }
}

static void
test_qemu_stream (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *file = g_build_filename (fixture->dir, "mig.bin", NULL);
  g_autofree char *junk = g_build_filename (fixture->dir, "junk", NULL);
  g_autoptr(GDataInputStream) x_out = NULL;

  g_assert_true (g_file_set_contents (file, (const char *) qemu_stream,
                                      sizeof qemu_stream, NULL));
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_has (run.out_text, "dbus-vmstate blob of 64 bytes, 2 entries "
                              "(23 bytes of padding");
    assert_has (run.out_text, "from the dbus-vmstate section at offset 121 "
                              "of a QEMU migration stream");
    assert_has (run.out_text,
                "Id 'x': 9 bytes: 01 00 00 00 00 00 00 00 49\n");
    assert_has (run.out_text,
                "Id 'yy': 9 bytes: 01 00 00 00 00 00 00 00 49\n");
  }

  /* Helpers restored straight from what QEMU wrote. */
  g_free (start_counter (fixture, fixture->bus, "x", TRUE, &x_out));
  g_free (start_counter (fixture, fixture->bus, "yy", TRUE, NULL));
  {
    g_auto(ToolRun) run = { 0, };
    g_autofree char *line = NULL;

    run_tool (&run, test_bus_get_address (fixture->bus), NULL, "load", "-i",
              file, NULL);
    g_assert_cmpint (run.status, ==, 0);
    line = read_line (x_out);
    g_assert_cmpstr (line, ==, "loaded counter=73, counting from here");
  }

  /* Neither a blob nor a stream; no file at all. */
  g_assert_true (g_file_set_contents (junk, "QEVM\0\0\0\3 and nothing", 20,
                                      NULL));
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", junk, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_has (run.err, "no dbus-vmstate section");
  }
  g_assert_true (g_file_set_contents (junk, "not a blob", -1, NULL));
  {
    g_auto(ToolRun) run = { 0, };

    run_tool (&run, NULL, NULL, "dump", junk, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_has (run.err, "Malformed dbus-vmstate blob");
  }
  {
    g_auto(ToolRun) run = { 0, };
    g_autofree char *missing = g_build_filename (fixture->dir, "missing",
                                                 NULL);

    run_tool (&run, NULL, NULL, "dump", missing, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_has (run.err, "cannot read");
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/vmstate1/tool/" path, Fixture, NULL, fixture_setup, func, \
              fixture_teardown)

  ADD ("help", test_help);
  ADD ("usage-errors", test_usage_errors);
  ADD ("list", test_list);
  ADD ("save-dump-load", test_save_dump_load);
  ADD ("missing-id", test_missing_id);
  ADD ("qemu-stream", test_qemu_stream);

#undef ADD

  return g_test_run ();
}
