/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section 3: how many copies of a 1 MiB state a helper holds at its peak
 * across Saves. Each kind of helper runs with the state and once with
 * none (its baseline: the same binary, the same bus, no Save). The peak
 * resident size (VmHWM) above the baseline's, in units of the state's
 * size, counts the copies that were resident at once. */
#include <math.h>
#include <stdio.h>

#include "bench.h"

#define STATE_SIZE BENCH_MIB
/* GDBus serializes a message into a buffer of the next power of two,
 * zero-filled: a state just under 1 MiB shows what a 1 MiB one costs
 * because its reply is a few bytes over. */
#define SMALLER_STATE (BENCH_MIB - 4 * BENCH_KIB)

typedef struct
{
  BenchHelperKind kind;
  gsize size;
  BenchHelper *helper;
  gint64 baseline;  /* VmHWM KiB of the helper of this kind without state */
  gint64 started;   /* ... of the helper with the state, before any call */
  gint64 saved;     /* ... after the Saves */
  gint64 loaded;    /* ... after the Loads that followed */
} Peak;

static double
copies (gint64 kib,
        gint64 baseline,
        gsize  size)
{
  return (double) (kib - baseline) * BENCH_KIB / size;
}

void
bench_memory (BenchRun *run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BenchBus) bus = bench_bus_new (BENCH_BUS_DAEMON, &error);
  g_autoptr(GDBusConnection) connection = NULL;
  Peak peaks[] = {
    { BENCH_HELPER_FLOOR, STATE_SIZE },
    { BENCH_HELPER_CODEGEN, STATE_SIZE },
    { BENCH_HELPER_LIBRARY, STATE_SIZE },
    { BENCH_HELPER_PYTHON, STATE_SIZE },
    { BENCH_HELPER_FLOOR, SMALLER_STATE },
    { BENCH_HELPER_LIBRARY, SMALLER_STATE },
  };
  BenchHelper *without[BENCH_HELPER_N_KINDS] = { NULL, };
  gint64 baseline[BENCH_HELPER_N_KINDS];
  guint calls = run->quick ? 10 : 50;

  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (
      bench_bus_get_address (bus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint k = 0; k < BENCH_HELPER_N_KINDS; k++)
    {
      g_autofree char *id = g_strdup_printf ("mem-base-%u", k);

      if (k == BENCH_HELPER_PYTHON && !bench_python_available ())
        continue;
      without[k] = bench_helper_start (k, connection,
                                       bench_bus_get_address (bus), id, 0,
                                       &error);
      g_assert_no_error (error);
      baseline[k] = bench_process_status_kib (without[k]->pid, "VmHWM");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (peaks); i++)
    {
      g_autofree char *id = g_strdup_printf ("mem-%" G_GSIZE_FORMAT, i);

      if (without[peaks[i].kind] == NULL)
        continue;
      peaks[i].helper = bench_helper_start (peaks[i].kind, connection,
                                            bench_bus_get_address (bus), id,
                                            peaks[i].size, &error);
      g_assert_no_error (error);
      peaks[i].baseline = baseline[peaks[i].kind];
      peaks[i].started = bench_process_status_kib (peaks[i].helper->pid,
                                                   "VmHWM");
    }

  for (guint c = 0; c < calls; c++)
    for (gsize i = 0; i < G_N_ELEMENTS (peaks); i++)
      if (peaks[i].helper != NULL)
        {
          bench_helper_call (peaks[i].helper, "Save", NULL, &error);
          g_assert_no_error (error);
        }
  for (gsize i = 0; i < G_N_ELEMENTS (peaks); i++)
    if (peaks[i].helper != NULL)
      peaks[i].saved = bench_process_status_kib (peaks[i].helper->pid,
                                                 "VmHWM");
  for (gsize i = 0; i < G_N_ELEMENTS (peaks); i++)
    {
      g_autoptr(GVariant) load_args = NULL;

      if (peaks[i].helper == NULL)
        continue;
      load_args = bench_load_args (peaks[i].size);
      for (guint c = 0; c < calls; c++)
        {
          bench_helper_call (peaks[i].helper, "Load", load_args, &error);
          g_assert_no_error (error);
        }
      peaks[i].loaded = bench_process_status_kib (peaks[i].helper->pid,
                                                  "VmHWM");
    }

  printf ("\n== 3. Peak memory of a helper holding a 1 MiB state (VmHWM) ==\n"
          "KiB, and copies of the state resident at once = (VmHWM - VmHWM "
          "of the same helper\nwithout state) / state size; after %u Saves, "
          "then after %u Loads of that size\n\n", calls, calls);
  printf ("%-8s %-14s %9s %9s %9s %9s | %7s %7s %7s\n", "helper", "state",
          "no state", "started", "saved", "loaded", "copies", "saved",
          "loaded");

  json_builder_set_member_name (run->json, "memory");
  json_builder_begin_array (run->json);
  for (gsize i = 0; i < G_N_ELEMENTS (peaks); i++)
    {
      Peak *p = &peaks[i];
      g_autofree char *size_text = p->size == STATE_SIZE
                                       ? g_strdup ("1 MiB")
                                       : g_strdup ("1 MiB - 4 KiB");
      double at_start, at_save, at_load;

      if (p->helper == NULL)
        continue;
      at_start = copies (p->started, p->baseline, p->size);
      at_save = copies (p->saved, p->baseline, p->size);
      at_load = copies (p->loaded, p->baseline, p->size);
      printf ("%-8s %-14s %9" G_GINT64_FORMAT " %9" G_GINT64_FORMAT " %9"
              G_GINT64_FORMAT " %9" G_GINT64_FORMAT " | %7.2f %7.2f %7.2f\n",
              bench_helper_kind_name (p->kind), size_text, p->baseline,
              p->started, p->saved, p->loaded, at_start, at_save, at_load);

      json_builder_begin_object (run->json);
      json_builder_set_member_name (run->json, "helper");
      json_builder_add_string_value (run->json, bench_helper_kind_name (p->kind));
      json_builder_set_member_name (run->json, "state_bytes");
      json_builder_add_int_value (run->json, p->size);
      json_builder_set_member_name (run->json, "calls");
      json_builder_add_int_value (run->json, calls);
      json_builder_set_member_name (run->json, "vmhwm_kib");
      json_builder_begin_object (run->json);
      json_builder_set_member_name (run->json, "no_state");
      json_builder_add_int_value (run->json, p->baseline);
      json_builder_set_member_name (run->json, "started");
      json_builder_add_int_value (run->json, p->started);
      json_builder_set_member_name (run->json, "after_saves");
      json_builder_add_int_value (run->json, p->saved);
      json_builder_set_member_name (run->json, "after_loads");
      json_builder_add_int_value (run->json, p->loaded);
      json_builder_end_object (run->json);
      json_builder_set_member_name (run->json, "copies");
      json_builder_begin_object (run->json);
      json_builder_set_member_name (run->json, "started");
      json_builder_add_double_value (run->json, round (at_start * 100) / 100);
      json_builder_set_member_name (run->json, "after_saves");
      json_builder_add_double_value (run->json, round (at_save * 100) / 100);
      json_builder_set_member_name (run->json, "after_loads");
      json_builder_add_double_value (run->json, round (at_load * 100) / 100);
      json_builder_end_object (run->json);
      json_builder_end_object (run->json);

      if (p->kind == BENCH_HELPER_LIBRARY && p->size == STATE_SIZE)
        bench_target (run, at_save <= 2.0,
                      "library helper holds at most 2 copies of a 1 MiB "
                      "state across Saves: %.2f (floor %.2f)", at_save,
                      copies (peaks[0].saved, peaks[0].baseline, STATE_SIZE));
    }
  json_builder_end_array (run->json);

  for (gsize i = 0; i < G_N_ELEMENTS (peaks); i++)
    bench_helper_stop (peaks[i].helper);
  for (guint k = 0; k < BENCH_HELPER_N_KINDS; k++)
    bench_helper_stop (without[k]);
}
