/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section 4: the downtime QEMU itself reports (query-migrate) for a
 * `-M none` migration, with 8 helpers of 64 KiB on its bus, built on the
 * library or on the floor, against the same QEMU with no helper on its
 * bus. Migrations interleaved across the three VMs, each resumed with
 * `cont` for the next. */
#include <stdio.h>

#include "bench.h"
#include "harness/test-qemu.h"

#define N_HELPERS 8
#define STATE_SIZE (64 * BENCH_KIB)

typedef struct
{
  const char *name;
  const char *key;  /* in the JSON */
  BenchHelperKind kind;
  guint helpers;
  BenchBus *bus;
  GDBusConnection *connection;
  BenchHelper *running[N_HELPERS];
  TestQemu *qemu;
  BenchSamples downtime;
  BenchSamples total;
} Vm;

static void
vm_start (Vm *vm)
{
  g_autoptr(GError) error = NULL;
  TestQemuOptions options = { NULL, };

  vm->bus = bench_bus_new (BENCH_BUS_DAEMON, &error);
  g_assert_no_error (error);
  vm->connection = g_dbus_connection_new_for_address_sync (
      bench_bus_get_address (vm->bus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < vm->helpers; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%u", i);

      vm->running[i] = bench_helper_start (vm->kind, vm->connection,
                                           bench_bus_get_address (vm->bus), id,
                                           STATE_SIZE, &error);
      g_assert_no_error (error);
    }
  options.bus_address = bench_bus_get_address (vm->bus);
  vm->qemu = test_qemu_new (&options, &error);
  g_assert_no_error (error);
  bench_samples_init (&vm->downtime);
  bench_samples_init (&vm->total);
}

static void
vm_migrate (Vm *vm)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  g_autofree char *error_desc = NULL;
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(JsonNode) resumed = NULL;
  JsonObject *result;

  status = test_qemu_migrate (vm->qemu, "exec:cat > /dev/null", &error_desc,
                              &error);
  g_assert_no_error (error);
  if (!g_str_equal (status, "completed"))
    g_error ("migration with %s: %s (%s)\n%s", vm->name, status,
             error_desc ? error_desc : "", test_qemu_get_stderr (vm->qemu));
  info = test_qemu_execute (vm->qemu, "{\"execute\": \"query-migrate\"}",
                            &error);
  g_assert_no_error (error);
  result = json_object_get_object_member (json_node_get_object (info),
                                          "return");
  bench_samples_add (&vm->downtime,
                     json_object_get_int_member (result, "downtime"));
  bench_samples_add (&vm->total,
                     json_object_get_int_member (result, "total-time"));
  /* A VM paused by a finished migration cannot migrate again. */
  resumed = test_qemu_execute (vm->qemu, "{\"execute\": \"cont\"}", &error);
  g_assert_no_error (error);
}

static void
vm_stop (Vm *vm)
{
  test_qemu_free (vm->qemu);
  for (guint i = 0; i < vm->helpers; i++)
    bench_helper_stop (vm->running[i]);
  g_object_unref (vm->connection);
  bench_bus_free (vm->bus);
  bench_samples_clear (&vm->downtime);
  bench_samples_clear (&vm->total);
}

void
bench_downtime (BenchRun *run)
{
  g_autofree char *qemu = test_qemu_find_binary ();
  Vm vms[] = {
    { "no helper", "no_helper", BENCH_HELPER_LIBRARY, 0 },
    { "8 x floor", "floor_8", BENCH_HELPER_FLOOR, N_HELPERS },
    { "8 x library", "library_8", BENCH_HELPER_LIBRARY, N_HELPERS },
  };
  guint migrations = run->quick ? 3 : 21;
  double none, library, floor;

  printf ("\n== 4. QEMU's own downtime (query-migrate) for a -M none "
          "migration ==\nms (QEMU reports whole ms), median of %u "
          "migrations per VM, interleaved\n\n", migrations);
  if (qemu == NULL)
    {
      printf ("skipped: no qemu-system-x86_64\n");
      return;
    }

  for (gsize v = 0; v < G_N_ELEMENTS (vms); v++)
    vm_start (&vms[v]);
  /* One migration each first, not counted. */
  for (gsize v = 0; v < G_N_ELEMENTS (vms); v++)
    {
      vm_migrate (&vms[v]);
      g_array_set_size (vms[v].downtime.values, 0);
      g_array_set_size (vms[v].total.values, 0);
    }
  for (guint m = 0; m < migrations; m++)
    for (gsize k = 0; k < G_N_ELEMENTS (vms); k++)
      vm_migrate (&vms[(m + k) % G_N_ELEMENTS (vms)]);

  none = bench_samples_median (&vms[0].downtime);
  floor = bench_samples_median (&vms[1].downtime);
  library = bench_samples_median (&vms[2].downtime);
  printf ("%-12s %9s %11s\n", "helpers", "downtime", "total-time");
  for (gsize v = 0; v < G_N_ELEMENTS (vms); v++)
    printf ("%-12s %9.1f %11.1f\n", vms[v].name,
            bench_samples_median (&vms[v].downtime),
            bench_samples_median (&vms[v].total));
  printf ("8 x library / no helper: %.2f (+%.1f ms); 8 x library / 8 x "
          "floor: %.2f\n", library / MAX (none, 1), library - none,
          library / MAX (floor, 1));

  json_builder_set_member_name (run->json, "downtime");
  json_builder_begin_object (run->json);
  json_builder_set_member_name (run->json, "migrations");
  json_builder_add_int_value (run->json, migrations);
  json_builder_set_member_name (run->json, "state_bytes");
  json_builder_add_int_value (run->json, STATE_SIZE);
  for (gsize v = 0; v < G_N_ELEMENTS (vms); v++)
    {
      json_builder_set_member_name (run->json, vms[v].key);
      json_builder_begin_object (run->json);
      json_builder_set_member_name (run->json, "downtime_ms");
      json_builder_add_double_value (run->json,
                                     bench_samples_median (&vms[v].downtime));
      json_builder_set_member_name (run->json, "total_time_ms");
      json_builder_add_double_value (run->json,
                                     bench_samples_median (&vms[v].total));
      json_builder_end_object (run->json);
    }
  bench_json_ratio (run->json, "library/no_helper", library, none);
  bench_json_ratio (run->json, "library/floor", library, floor);
  json_builder_end_object (run->json);

  for (gsize v = 0; v < G_N_ELEMENTS (vms); v++)
    vm_stop (&vms[v]);
}
