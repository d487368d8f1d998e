/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib/gstdio.h>
#include <linux/magic.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "harness/test-bus.h"

/* Statistics. */

void
bench_samples_init (BenchSamples *samples)
{
  samples->values = g_array_new (FALSE, FALSE, sizeof (double));
}

void
bench_samples_clear (BenchSamples *samples)
{
  g_clear_pointer (&samples->values, g_array_unref);
}

void
bench_samples_add (BenchSamples *samples,
                   double        value)
{
  g_array_append_val (samples->values, value);
}

guint
bench_samples_count (BenchSamples *samples)
{
  return samples->values->len;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_samples_median (BenchSamples *samples)
{
  g_autoptr(GArray) sorted = NULL;
  guint n = samples->values->len;

  if (n == 0)
    return NAN;
  sorted = g_array_copy (samples->values);
  g_array_sort (sorted, compare_doubles);
  if (n % 2 == 1)
    return g_array_index (sorted, double, n / 2);
  return (g_array_index (sorted, double, n / 2 - 1)
          + g_array_index (sorted, double, n / 2)) / 2;
}

double
bench_now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* Other processes. */

static double
clock_ms (clockid_t clock)
{
  struct timespec ts;

  if (clock_gettime (clock, &ts) != 0)
    return NAN;
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double
bench_process_cpu_ms (GPid pid)
{
  clockid_t clock;

  if (clock_getcpuclockid (pid, &clock) != 0)
    return NAN;
  return clock_ms (clock);
}

double
bench_self_cpu_ms (void)
{
  return clock_ms (CLOCK_PROCESS_CPUTIME_ID);
}

gint64
bench_process_stat_ticks (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;
  /* The command name may hold spaces: count fields after its ')'. */
  after_comm = strrchr (contents, ')');
  if (after_comm == NULL)
    return -1;
  fields = g_strsplit (after_comm + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  /* Fields 14 and 15 of stat(5), utime and stime, are 11 and 12 here. */
  return g_ascii_strtoll (fields[11], NULL, 10)
         + g_ascii_strtoll (fields[12], NULL, 10);
}

gint64
bench_process_status_kib (GPid        pid,
                          const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *contents = NULL;
  g_autofree char *prefix = g_strdup_printf ("\n%s:", field);
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;
  line = strstr (contents, prefix);
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (prefix), NULL, 10);
}

/* Placement. Left to the scheduler, a helper's CPU time per call flips
 * between two levels some 25% apart, by where its two threads land
 * against the caller's: pinned, every helper gets the same placement. */

static int helpers_cpu = -1;

static void
set_affinity (pid_t tid,
              int   cpu)
{
  cpu_set_t set;

  CPU_ZERO (&set);
  if (cpu >= 0)
    CPU_SET (cpu, &set);
  else
    for (int i = 0; i < CPU_SETSIZE && i < (int) g_get_num_processors (); i++)
      CPU_SET (i, &set);
  sched_setaffinity (tid, sizeof set, &set);
}

void
bench_pin (GPid pid,
           int  cpu)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/task",
                                           pid ? pid : getpid ());
  g_autoptr(GDir) tasks = g_dir_open (path, 0, NULL);
  const char *tid;

  while (tasks != NULL && (tid = g_dir_read_name (tasks)) != NULL)
    set_affinity (atoi (tid), cpu);
}

void
bench_pin_helpers (int cpu)
{
  helpers_cpu = cpu;
}

/* Buses. */

struct _BenchBus
{
  BenchBusKind kind;
  TestBus *daemon;
  GSubprocess *launcher;
  GDBusConnection *first;  /* the connection that started the broker */
  char *dir;
  char *address;
  GPid pid;
};

static gboolean broker_ready;

/* The same policy as the test bus: peers may own only org.qemu.VMState1.
 * dbus-broker ignores eavesdropping, so receiving is allowed explicitly
 * (dbus-daemon reads the test bus's <allow eavesdrop="true"/> so), and it
 * takes the listening socket from its parent: no <listen>. */
static const char broker_config[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig>\n"
  "  <type>session</type>\n"
  "  <auth>EXTERNAL</auth>\n"
  "  <policy context=\"default\">\n"
  "    <allow user=\"*\"/>\n"
  "    <allow send_destination=\"*\"/>\n"
  "    <allow receive_sender=\"*\"/>\n"
  "    <deny own=\"*\"/>\n"
  "    <allow own=\"org.qemu.VMState1\"/>\n"
  "  </policy>\n"
  "</busconfig>\n";

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* dbus-broker-launch logs to the journal and stops if it cannot: a
 * datagram socket that nobody reads would fill up and block it. */
static gpointer
journal_sink (gpointer user_data)
{
  GSocket *socket = user_data;
  char buffer[65536];

  while (g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL) >= 0)
    ;
  return NULL;
}

gboolean
bench_broker_setup (GError **error)
{
  struct statfs run;
  g_autoptr(GSocketAddress) address = NULL;
  GSocket *socket;

  /* Never on the host's own /run/systemd: bench.sh mounts a tmpfs there
   * in a private mount namespace. */
  if (statfs ("/run/systemd", &run) != 0 || run.f_type != TMPFS_MAGIC
      || g_file_test (JOURNAL_SOCKET, G_FILE_TEST_EXISTS))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "/run/systemd is not a private, empty tmpfs (run "
                           "through scripts/bench.sh, as root)");
      return FALSE;
    }
  if (g_find_program_in_path ("dbus-broker-launch") == NULL
      || g_find_program_in_path ("systemd-socket-activate") == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "dbus-broker-launch or systemd-socket-activate "
                           "is missing");
      return FALSE;
    }
  if (g_mkdir_with_parents ("/run/systemd/journal", 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "mkdir /run/systemd/journal: %s", g_strerror (errno));
      return FALSE;
    }
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;
  address = g_unix_socket_address_new (JOURNAL_SOCKET);
  if (!g_socket_bind (socket, address, FALSE, error))
    {
      g_object_unref (socket);
      return FALSE;
    }
  g_thread_unref (g_thread_new ("journal-sink", journal_sink, socket));
  broker_ready = TRUE;
  return TRUE;
}

gboolean
bench_broker_ready (void)
{
  return broker_ready;
}

const char *
bench_bus_kind_name (BenchBusKind kind)
{
  return kind == BENCH_BUS_BROKER ? "dbus-broker" : "dbus-daemon";
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* In the child, before exec: its threads inherit the placement. */
static void
helper_child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (helpers_cpu >= 0)
    set_affinity (0, helpers_cpu);
}

/* The dbus-broker process that dbus-broker-launch (@parent) forked. */
static GPid
find_child (GPid        parent,
            const char *comm)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *entry;

  while (proc != NULL && (entry = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      g_autofree char *name = NULL;
      const char *close;
      int ppid;

      if (!g_ascii_isdigit (entry[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/stat", entry);
      if (!g_file_get_contents (path, &stat, NULL, NULL)
          || (close = strrchr (stat, ')')) == NULL
          || sscanf (close + 2, "%*c %d", &ppid) != 1 || ppid != parent)
        continue;
      name = g_strndup (strchr (stat, '(') + 1, close - strchr (stat, '(') - 1);
      if (g_str_equal (name, comm))
        return atoi (entry);
    }
  return 0;
}

static gboolean
broker_start (BenchBus  *bus,
              GError   **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *config = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *env = NULL;
  g_autofree char *listen = NULL;
  gint64 deadline;

  bus->dir = g_dir_make_tmp ("vmstate1-broker-XXXXXX", error);
  if (bus->dir == NULL)
    return FALSE;
  config = g_build_filename (bus->dir, "bus.conf", NULL);
  if (!g_file_set_contents (config, broker_config, -1, error))
    return FALSE;
  /* The launcher connects to its own bus as a client, through
   * $XDG_RUNTIME_DIR/bus: listen there. */
  socket_path = g_build_filename (bus->dir, "bus", NULL);
  env = g_strdup_printf ("XDG_RUNTIME_DIR=%s", bus->dir);
  listen = g_strdup_printf ("--listen=%s", socket_path);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  bus->launcher = g_subprocess_launcher_spawn (
      launcher, error, "systemd-socket-activate", "-E", env, listen,
      "dbus-broker-launch", "--scope", "user", "--config-file", config, NULL);
  if (bus->launcher == NULL)
    return FALSE;

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!g_file_test (socket_path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "systemd-socket-activate did not listen");
          return FALSE;
        }
      g_usleep (10000);
    }
  bus->address = g_strdup_printf ("unix:path=%s", socket_path);
  /* The first connection starts the launcher, which starts the broker. */
  bus->first = g_dbus_connection_new_for_address_sync (
      bus->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, error);
  if (bus->first == NULL)
    return FALSE;
  bus->pid = find_child (atoi (g_subprocess_get_identifier (bus->launcher)),
                         "dbus-broker");
  if (bus->pid == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "dbus-broker-launch started no dbus-broker");
      return FALSE;
    }
  return TRUE;
}

BenchBus *
bench_bus_new (BenchBusKind   kind,
               GError       **error)
{
  g_autoptr(BenchBus) bus = g_new0 (BenchBus, 1);

  bus->kind = kind;
  if (kind == BENCH_BUS_BROKER)
    {
      if (!broker_start (bus, error))
        return NULL;
      return g_steal_pointer (&bus);
    }

  /* Twice in six full runs on the shared machine, a daemon that had
   * printed its address refused the first connection; say so and start
   * another rather than lose the run. */
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autoptr(GDBusConnection) probe = NULL;
      g_autoptr(GError) local_error = NULL;

      g_clear_pointer (&bus->daemon, test_bus_free);
      bus->daemon = test_bus_new (NULL, error);
      if (bus->daemon == NULL)
        return NULL;
      probe = g_dbus_connection_new_for_address_sync (
          test_bus_get_address (bus->daemon),
          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
              | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
          NULL, NULL, &local_error);
      if (probe != NULL)
        {
          g_dbus_connection_close_sync (probe, NULL, NULL);
          bus->address = g_strdup (test_bus_get_address (bus->daemon));
          bus->pid = test_bus_get_pid (bus->daemon);
          return g_steal_pointer (&bus);
        }
      g_printerr ("bench: dbus-daemon %d (%s) at %s: %s; starting another\n",
                  test_bus_get_pid (bus->daemon),
                  kill (test_bus_get_pid (bus->daemon), 0) == 0 ? "alive"
                                                                : "gone",
                  test_bus_get_address (bus->daemon), local_error->message);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "three dbus-daemons in a row refused a connection");
  return NULL;
}

const char *
bench_bus_get_address (BenchBus *bus)
{
  return bus->address;
}

GPid
bench_bus_get_pid (BenchBus *bus)
{
  return bus->pid;
}

void
bench_bus_free (BenchBus *bus)
{
  if (bus->first != NULL)
    {
      g_dbus_connection_close_sync (bus->first, NULL, NULL);
      g_object_unref (bus->first);
    }
  if (bus->launcher != NULL)
    {
      g_subprocess_send_signal (bus->launcher, SIGTERM);
      g_subprocess_wait (bus->launcher, NULL, NULL);
      g_object_unref (bus->launcher);
    }
  if (bus->dir != NULL)
    {
      g_autofree char *config = g_build_filename (bus->dir, "bus.conf", NULL);
      g_autofree char *socket = g_build_filename (bus->dir, "bus", NULL);

      g_unlink (config);
      g_unlink (socket);
      g_rmdir (bus->dir);
    }
  g_clear_pointer (&bus->daemon, test_bus_free);
  g_free (bus->dir);
  g_free (bus->address);
  g_free (bus);
}

/* Helper processes. */

const char *
bench_helper_kind_name (BenchHelperKind kind)
{
  static const char * const names[] = { "floor", "codegen", "library",
                                        "python" };

  return names[kind];
}

/* The distribution's Python has gi; one first on PATH may not. */
#define BENCH_PYTHON "/usr/bin/python3"

gboolean
bench_python_available (void)
{
#ifdef BENCH_HAVE_GIR
  g_autofree char *typelib = g_build_filename (BENCH_LIB_DIR,
                                               "Vmstate1-1.0.typelib", NULL);

  /* A tree whose typelib does not build yet: no Python column. */
  return g_file_test (BENCH_PYTHON, G_FILE_TEST_IS_EXECUTABLE)
         && g_file_test (typelib, G_FILE_TEST_EXISTS);
#else
  return FALSE;
#endif
}

BenchHelper *
bench_helper_start (BenchHelperKind   kind,
                    GDBusConnection  *bus,
                    const char       *bus_address,
                    const char       *id,
                    gsize             size,
                    GError          **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *where = g_strdup_printf ("--dbus-address=%s", bus_address);
  g_autofree char *id_arg = g_strdup_printf ("--dbus-id=%s", id ? id : "bench");
  g_autofree char *size_arg = g_strdup_printf ("--size=%" G_GSIZE_FORMAT, size);
  g_autofree char *line = NULL;
  g_autofree char *binary = NULL;
  const char *argv[6];
  BenchHelper *helper;
  int argc = 0;

  /* Their stderr is read only if they fail to start: the library's
   * warning when it refuses an empty Save is expected here. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, helper_child_setup, NULL,
                                         NULL);
  switch (kind)
    {
    case BENCH_HELPER_FLOOR:
      binary = g_build_filename (BENCH_BUILD_DIR, "bench-helper-raw", NULL);
      break;
    case BENCH_HELPER_CODEGEN:
      binary = g_build_filename (BENCH_BUILD_DIR, "bench-helper-codegen", NULL);
      break;
    case BENCH_HELPER_LIBRARY:
      binary = g_build_filename (BENCH_BUILD_DIR, "bench-helper", NULL);
      break;
    case BENCH_HELPER_PYTHON:
    default:
      {
        const char *old = g_getenv ("LD_LIBRARY_PATH");
        g_autofree char *ld = old && *old
                                  ? g_strconcat (BENCH_LIB_DIR, ":", old, NULL)
                                  : g_strdup (BENCH_LIB_DIR);

        g_subprocess_launcher_setenv (launcher, "GI_TYPELIB_PATH",
                                      BENCH_LIB_DIR, TRUE);
        g_subprocess_launcher_setenv (launcher, "LD_LIBRARY_PATH", ld, TRUE);
        argv[argc++] = BENCH_PYTHON;
        binary = g_build_filename (BENCH_SOURCE_DIR, "bench-helper.py", NULL);
      }
    }
  argv[argc++] = binary;
  argv[argc++] = where;
  argv[argc++] = id_arg;
  argv[argc++] = size_arg;
  argv[argc] = NULL;

  helper = g_new0 (BenchHelper, 1);
  helper->kind = kind;
  helper->process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (helper->process == NULL)
    {
      g_free (helper);
      return NULL;
    }
  helper->pid = atoi (g_subprocess_get_identifier (helper->process));
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, error);
  if (line == NULL || !g_str_has_prefix (line, "ready "))
    {
      char why[4096] = "";

      g_input_stream_read_all (g_subprocess_get_stderr_pipe (helper->process),
                               why, sizeof why - 1, NULL, NULL, NULL);
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "helper %s did not start: %s", binary, why);
      bench_helper_stop (helper);
      return NULL;
    }
  helper->name = g_strdup (line + 6);
  helper->connection = g_object_ref (bus);
  return helper;
}

void
bench_helper_stop (BenchHelper *helper)
{
  if (helper == NULL)
    return;
  g_subprocess_send_signal (helper->process, SIGTERM);
  g_subprocess_wait (helper->process, NULL, NULL);
  g_clear_object (&helper->process);
  g_clear_object (&helper->connection);
  g_free (helper->name);
  g_free (helper);
}

double
bench_helper_call (BenchHelper  *helper,
                   const char   *method,
                   GVariant     *parameters,
                   GError      **error)
{
  g_autoptr(GVariant) reply = NULL;
  double start = bench_now_ms ();

  reply = g_dbus_connection_call_sync (helper->connection, helper->name,
                                       "/org/qemu/VMState1",
                                       "org.qemu.VMState1", method, parameters,
                                       method[0] == 'S' ? G_VARIANT_TYPE ("(ay)")
                                                        : G_VARIANT_TYPE_UNIT,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                                       NULL, error);
  if (reply == NULL)
    return -1;
  return bench_now_ms () - start;
}

GVariant *
bench_load_args (gsize size)
{
  g_autofree guint8 *data = g_malloc (MAX (size, 1));
  GVariant *array;

  for (gsize i = 0; i < size; i++)
    data[i] = g_random_int_range (0, 256);
  array = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1);
  return g_variant_ref_sink (g_variant_new_tuple (&array, 1));
}

/* Results. */

/* Asking for "roundtrip" runs "roundtrip-broker"; asking for
 * "roundtrip-broker" runs (that part of) "roundtrip". */
gboolean
bench_wants (BenchRun   *run,
             const char *section)
{
  for (guint i = 0; run->sections[i] != NULL; i++)
    if (g_str_has_prefix (section, run->sections[i])
        || g_str_has_prefix (run->sections[i], section))
      return TRUE;
  return FALSE;
}

void
bench_target (BenchRun   *run,
              gboolean    met,
              const char *format,
              ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (run->targets, g_strdup_printf ("%-6s %s",
                                                  met ? "MET" : "MISSED",
                                                  text));
}

char *
bench_format_size (gsize size)
{
  if (size >= BENCH_MIB)
    return g_strdup_printf ("%" G_GSIZE_FORMAT " MiB", size / BENCH_MIB);
  if (size >= BENCH_KIB)
    return g_strdup_printf ("%" G_GSIZE_FORMAT " KiB", size / BENCH_KIB);
  return g_strdup_printf ("%" G_GSIZE_FORMAT " B", size);
}

void
bench_json_ratio (JsonBuilder *json,
                  const char  *name,
                  double       value,
                  double       baseline)
{
  json_builder_set_member_name (json, name);
  if (isnan (value) || isnan (baseline) || baseline <= 0)
    json_builder_add_null_value (json);
  else
    json_builder_add_double_value (json, round (value / baseline * 1000) / 1000);
}
