/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section 1: one Save or Load, as QEMU makes it (a synchronous call by
 * unique name), to one helper process, for each kind of helper side by
 * side on the same bus: the floor (raw GDBus, prebuilt reply), a
 * gdbus-codegen skeleton written like QEMU's test, the library, and the
 * library through Python. Then the floor and the library again through
 * dbus-broker. (No peer-to-peer figures: the library exports only on a
 * message bus, where QEMU finds helpers, so it has no p2p path to time.)
 *
 * Latency: calls interleaved helper after helper (the order rotating each
 * round), median per helper. CPU: the helper process's own CPU time over
 * bursts of calls, the bursts interleaved too, median per call. */
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

static const gsize sizes[] = { 0, 4 * BENCH_KIB, 64 * BENCH_KIB, BENCH_MIB };

typedef struct
{
  gboolean present;
  char *refused;      /* why the helper refused the call, or NULL */
  double latency_us;  /* median */
  double cpu_us;      /* helper CPU per call, median of the bursts */
  double stat_us;     /* the same from /proc/PID/stat, all bursts: coarse */
} Figure;

typedef struct
{
  guint rounds;       /* latency: calls per helper */
  guint burst;        /* CPU: calls per burst */
  guint bursts;
} Plan;

static Plan
plan_for (BenchRun *run,
          gsize     size)
{
  /* Many short bursts: whatever else runs on the machine then weighs on
   * every helper alike. */
  Plan plan = { 800, 100, 30 };

  if (size >= BENCH_MIB)
    plan = (Plan) { 120, 25, 20 };
  else if (size >= 64 * BENCH_KIB)
    plan = (Plan) { 500, 100, 30 };
  if (run->quick)
    {
      plan.rounds = MAX (plan.rounds / 10, 5);
      plan.burst = MAX (plan.burst / 10, 5);
      plan.bursts = 3;
    }
  return plan;
}

static void
measure (BenchHelper **helpers,
         guint         n,
         const char   *method,
         GVariant     *args,
         Plan          plan,
         Figure       *figures)
{
  BenchSamples latency[BENCH_HELPER_N_KINDS];
  BenchSamples cpu[BENCH_HELPER_N_KINDS];

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      figures[i].present = TRUE;
      bench_samples_init (&latency[i]);
      bench_samples_init (&cpu[i]);
      /* The library refuses an empty Save by design. */
      if (bench_helper_call (helpers[i], method, args, &error) < 0)
        {
          g_dbus_error_strip_remote_error (error);
          figures[i].refused = g_strdup (error->message);
          continue;
        }
      for (guint w = 0; w < 10; w++)
        bench_helper_call (helpers[i], method, args, NULL);
    }

  for (guint r = 0; r < plan.rounds; r++)
    for (guint k = 0; k < n; k++)
      {
        guint i = (r + k) % n;
        double ms;

        if (figures[i].refused != NULL)
          continue;
        ms = bench_helper_call (helpers[i], method, args, NULL);
        g_assert (ms >= 0);
        bench_samples_add (&latency[i], ms * 1000);
      }

  for (guint i = 0; i < n; i++)
    figures[i].stat_us = bench_process_stat_ticks (helpers[i]->pid);
  for (guint b = 0; b < plan.bursts; b++)
    for (guint k = 0; k < n; k++)
      {
        guint i = (b + k) % n;
        double before;

        if (figures[i].refused != NULL)
          continue;
        before = bench_process_cpu_ms (helpers[i]->pid);
        for (guint c = 0; c < plan.burst; c++)
          bench_helper_call (helpers[i], method, args, NULL);
        bench_samples_add (&cpu[i], (bench_process_cpu_ms (helpers[i]->pid)
                                     - before) * 1000 / plan.burst);
      }

  /* utime + stime in clock ticks, over every burst (other calls fall
   * between bursts, but not to this helper). */
  for (guint i = 0; i < n; i++)
    figures[i].stat_us = (bench_process_stat_ticks (helpers[i]->pid)
                          - figures[i].stat_us)
                         * 1e6 / sysconf (_SC_CLK_TCK)
                         / (plan.bursts * plan.burst);
  for (guint i = 0; i < n; i++)
    {
      figures[i].latency_us = bench_samples_median (&latency[i]);
      figures[i].cpu_us = bench_samples_median (&cpu[i]);
      bench_samples_clear (&latency[i]);
      bench_samples_clear (&cpu[i]);
    }
}

static Figure *
find (Figure          *figures,
      BenchHelper    **helpers,
      guint            n,
      BenchHelperKind  kind)
{
  for (guint i = 0; i < n; i++)
    if (helpers[i]->kind == kind)
      return &figures[i];
  return NULL;
}

/* a/b for the table: "-" where either is missing or refused. */
static void
print_ratio (Figure *a,
             Figure *b,
             gboolean cpu)
{
  if (a == NULL || b == NULL || a->refused || b->refused)
    printf (" %6s", "-");
  else
    printf (" %6.2f", cpu ? a->cpu_us / b->cpu_us
                          : a->latency_us / b->latency_us);
}

static void
json_ratios (JsonBuilder *json,
             const char  *name,
             Figure      *a,
             Figure      *b)
{
  if (a == NULL || b == NULL || a->refused || b->refused)
    return;
  json_builder_set_member_name (json, name);
  json_builder_begin_object (json);
  bench_json_ratio (json, "latency", a->latency_us, b->latency_us);
  bench_json_ratio (json, "cpu", a->cpu_us, b->cpu_us);
  json_builder_end_object (json);
}

static void
report (BenchRun     *run,
        const char   *transport,
        BenchHelper **helpers,
        guint         n,
        gsize         size,
        const char   *method,
        Plan          plan,
        Figure       *figures)
{
  g_autofree char *size_text = bench_format_size (size);
  JsonBuilder *json = run->json;
  Figure *floor = find (figures, helpers, n, BENCH_HELPER_FLOOR);
  Figure *codegen = find (figures, helpers, n, BENCH_HELPER_CODEGEN);
  Figure *library = find (figures, helpers, n, BENCH_HELPER_LIBRARY);
  Figure *python = find (figures, helpers, n, BENCH_HELPER_PYTHON);

  printf ("%-8s %-5s", size_text, method);
  for (guint k = 0; k < BENCH_HELPER_N_KINDS; k++)
    {
      Figure *figure = find (figures, helpers, n, k);

      if (figure == NULL)
        printf (" %15s", "");
      else if (figure->refused != NULL)
        printf (" %15s", "refused");
      else
        printf (" %7.0f %7.1f", figure->latency_us, figure->cpu_us);
    }
  printf (" |");
  print_ratio (library, floor, FALSE);
  print_ratio (library, floor, TRUE);
  print_ratio (library, codegen, FALSE);
  print_ratio (library, codegen, TRUE);
  print_ratio (python, floor, FALSE);
  printf ("\n");

  json_builder_begin_object (json);
  json_builder_set_member_name (json, "transport");
  json_builder_add_string_value (json, transport);
  json_builder_set_member_name (json, "state_bytes");
  json_builder_add_int_value (json, size);
  json_builder_set_member_name (json, "method");
  json_builder_add_string_value (json, method);
  json_builder_set_member_name (json, "latency_calls");
  json_builder_add_int_value (json, plan.rounds);
  json_builder_set_member_name (json, "cpu_bursts");
  json_builder_add_int_value (json, plan.bursts);
  json_builder_set_member_name (json, "cpu_calls_per_burst");
  json_builder_add_int_value (json, plan.burst);
  json_builder_set_member_name (json, "helpers");
  json_builder_begin_object (json);
  for (guint i = 0; i < n; i++)
    {
      json_builder_set_member_name (json,
                                    bench_helper_kind_name (helpers[i]->kind));
      json_builder_begin_object (json);
      if (figures[i].refused != NULL)
        {
          json_builder_set_member_name (json, "refused");
          json_builder_add_string_value (json, figures[i].refused);
        }
      else
        {
          json_builder_set_member_name (json, "latency_us");
          json_builder_add_double_value (json,
                                         round (figures[i].latency_us * 10) / 10);
          json_builder_set_member_name (json, "cpu_us_per_call");
          json_builder_add_double_value (json,
                                         round (figures[i].cpu_us * 10) / 10);
          json_builder_set_member_name (json, "proc_stat_cpu_us_per_call");
          json_builder_add_double_value (json,
                                         round (figures[i].stat_us * 10) / 10);
        }
      json_builder_end_object (json);
    }
  json_builder_end_object (json);
  json_builder_set_member_name (json, "ratios");
  json_builder_begin_object (json);
  json_ratios (json, "library/floor", library, floor);
  json_ratios (json, "library/codegen", library, codegen);
  json_ratios (json, "codegen/floor", codegen, floor);
  json_ratios (json, "python/floor", python, floor);
  json_builder_end_object (json);
  json_builder_end_object (json);

  /* The targets are for the library on the bus QEMU uses. */
  if (!g_str_equal (transport, "dbus-daemon"))
    return;
  if (library != NULL && floor != NULL && !library->refused && !floor->refused)
    {
      double cpu = library->cpu_us / floor->cpu_us;
      double latency = library->latency_us / floor->latency_us;

      bench_target (run, cpu <= 1.05,
                    "library/floor helper CPU per call <= 1.05, %s %s: %.2f",
                    method, size_text, cpu);
      bench_target (run, latency <= 1.05,
                    "library/floor latency <= 1.05, %s %s: %.2f", method,
                    size_text, latency);
    }
  if (python != NULL && floor != NULL && !python->refused && !floor->refused)
    {
      double latency = python->latency_us / floor->latency_us;

      bench_target (run, latency <= 1.2,
                    "python/C-floor latency <= 1.2, %s %s: %.2f", method,
                    size_text, latency);
    }
}

static void
print_header (const char *title)
{
  printf ("\n%s\n", title);
  printf ("%-14s", "");
  for (guint k = 0; k < BENCH_HELPER_N_KINDS; k++)
    printf (" %15s", bench_helper_kind_name (k));
  printf (" | %13s %13s %6s\n", "library/floor", "lib/codegen", "py/fl");
  printf ("%-8s %-5s", "state", "call");
  for (guint k = 0; k < BENCH_HELPER_N_KINDS; k++)
    printf (" %7s %7s", "lat", "cpu");
  printf (" | %6s %6s %6s %6s %6s\n", "lat", "cpu", "lat", "cpu", "lat");
}

/* Runs every size through @n helpers of @kinds on one transport. */
static void
run_transport (BenchRun              *run,
               gboolean               pinned,
               const char            *transport,
               BenchBus              *bus,
               const BenchHelperKind *kinds,
               guint                  n)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  if (pinned)
    bench_pin (bench_bus_get_pid (bus), 0);
  connection = g_dbus_connection_new_for_address_sync (
      bench_bus_get_address (bus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      BenchHelper *helpers[BENCH_HELPER_N_KINDS] = { NULL, };
      Plan plan = plan_for (run, sizes[s]);
      const char *methods[] = { "Save", "Load" };

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *id = g_strdup_printf ("%s-%u",
                                                 bench_helper_kind_name (kinds[i]),
                                                 i);

          helpers[i] = bench_helper_start (kinds[i], connection,
                                           bench_bus_get_address (bus), id,
                                           sizes[s], &error);
          g_assert_no_error (error);
        }

      for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
        {
          g_autoptr(GVariant) args = m == 1 ? bench_load_args (sizes[s]) : NULL;
          Figure figures[BENCH_HELPER_N_KINDS] = { { 0, }, };

          measure (helpers, n, methods[m], args, plan, figures);
          report (run, transport, helpers, n, sizes[s], methods[m], plan,
                  figures);
          for (guint i = 0; i < n; i++)
            g_free (figures[i].refused);
        }

      for (guint i = 0; i < n; i++)
        bench_helper_stop (helpers[i]);
    }
}

void
bench_roundtrip (BenchRun *run)
{
  g_autoptr(GError) error = NULL;
  BenchHelperKind all[] = { BENCH_HELPER_FLOOR, BENCH_HELPER_CODEGEN,
                            BENCH_HELPER_LIBRARY, BENCH_HELPER_PYTHON };
  BenchHelperKind pair[] = { BENCH_HELPER_FLOOR, BENCH_HELPER_LIBRARY };
  /* One call at a time: the caller and the bus on CPU 0, the helper on
   * CPU 1, the same for every helper. */
  gboolean pinned = g_get_num_processors () >= 2;

  if (pinned)
    {
      bench_pin (0, 0);
      bench_pin_helpers (1);
    }

  printf ("\n== 1. Save and Load round trip: one call to one helper process ==\n"
          "lat: median latency in us of calls interleaved across helpers; "
          "cpu: helper CPU us per call\n(median of bursts); ratios are "
          "library / baseline, lower is better%s\n",
          pinned ? "; caller and bus pinned\nto CPU 0, helpers to CPU 1" : "");

  json_builder_set_member_name (run->json, "roundtrip");
  json_builder_begin_array (run->json);

  if (bench_wants (run, "roundtrip-daemon"))
    {
      g_autoptr(BenchBus) bus = bench_bus_new (BENCH_BUS_DAEMON, &error);

      g_assert_no_error (error);
      print_header ("-- through a private dbus-daemon --");
      run_transport (run, pinned, "dbus-daemon", bus, all,
                     bench_python_available () ? 4 : 3);
    }

  if (bench_wants (run, "roundtrip-broker") && bench_broker_ready ())
    {
      g_autoptr(BenchBus) bus = bench_bus_new (BENCH_BUS_BROKER, &error);

      g_assert_no_error (error);
      print_header ("-- through dbus-broker --");
      run_transport (run, pinned, "dbus-broker", bus, pair,
                     G_N_ELEMENTS (pair));
    }
  else if (bench_wants (run, "roundtrip-broker"))
    printf ("\n-- through dbus-broker: skipped (needs bench.sh as root) --\n");


  json_builder_end_array (run->json);
  if (pinned)
    {
      bench_pin (0, -1);
      bench_pin_helpers (-1);
    }
}
