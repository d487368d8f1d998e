/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section 2: a Vmstate1Vm saving (loading) N helpers x 64 KiB, against
 * baselines, side by side in one run: the same helper processes (the
 * library's), the same bus, every way once a round, the order rotating,
 * so that drift hits them all alike.
 *
 * Baselines (no library code in their D-Bus traffic):
 * - qemu: what QEMU 7.2's dbus-vmstate does: ListQueuedOwners, one
 *   synchronous GDBusProxy per helper (default flags: it fetches all
 *   properties and adds match rules), its cached Id, then Save (Load) on
 *   each helper one after another;
 * - sequential: the same loop at its leanest: ListQueuedOwners, one
 *   Properties.Get(Id) per helper, then Save (Load) on each in turn;
 * - known: every Save (Load) sent at once to unique names known
 *   beforehand, no ListQueuedOwners, no Id: the transport's best;
 * - listed: ListQueuedOwners, then every Save (Load) at once to the names
 *   it lists, whose Ids are known beforehand: the least that a save which
 *   does not trust an old list can do, so vm / listed is the library's
 *   own cost.
 * The library:
 * - vm: vmstate1_vm_save() (load) on one Vmstate1Vm that has seen the
 *   bus before, as in every save of a VM after its first;
 * - cold: vmstate1_vm_new() and its first save (load).
 *
 * Saves end with QEMU's blob (vmstate1_states_encode(), or written by
 * hand as QEMU writes it), loads start from it. The Vm's encode (decode)
 * is also timed apart, so that vm / known compares the calls alone. For
 * each way, the CPU time it cost the caller, the bus and the helpers. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vmstate1.h>

#include "bench.h"

#define STATE_SIZE (64 * BENCH_KIB)

typedef enum
{
  WAY_QEMU,
  WAY_SEQUENTIAL,
  WAY_VM,
  WAY_COLD,
  WAY_KNOWN,
  WAY_LISTED,
  N_WAYS
} Way;

static const char * const way_names[] = { "qemu_style", "sequential_get",
                                          "vm_warm", "vm_cold",
                                          "known_names", "listed_names" };

typedef struct
{
  BenchSamples wall;   /* the whole op, blob included */
  BenchSamples calls;  /* without the Vm's encode / decode */
  BenchSamples caller, bus, helpers;
} OpStats;

/* One line of the tables: medians. */
typedef struct
{
  BenchBusKind kind;
  guint count;
  gboolean load;
  double first_save;  /* the warm Vm's own first save, one sample */
  double wall[N_WAYS], calls[N_WAYS];
  double caller[N_WAYS], bus[N_WAYS], helpers[N_WAYS];
} Row;

typedef struct
{
  GDBusConnection *bus;
  GPid bus_pid;
  GPtrArray *helpers;    /* of BenchHelper */
  GPtrArray *load_args;  /* of GVariant: each helper's own (ay) */
  GHashTable *index;     /* unique name -> 1 + its place in helpers */
  Vmstate1Vm *vm;        /* has seen the bus */
  GBytes *blob;          /* what the loads load */
} Setup;

/* The baselines: sequential, as QEMU. */

typedef struct
{
  char *id;
  char *name;
  GDBusProxy *proxy;  /* NULL: called by name */
} Peer;

static void
peer_free (Peer *peer)
{
  g_free (peer->id);
  g_free (peer->name);
  g_clear_object (&peer->proxy);
  g_free (peer);
}

static GStrv
list_owners (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply = NULL;
  GStrv names = NULL;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus",
                                       "ListQueuedOwners",
                                       g_variant_new ("(s)", VMSTATE1_BUS_NAME),
                                       G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_assert (reply != NULL);
  g_variant_get (reply, "(^as)", &names);
  return names;
}

static GPtrArray *
sequential_discover (GDBusConnection *bus,
                     gboolean         proxies)
{
  g_auto(GStrv) names = list_owners (bus);
  GPtrArray *peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);

  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) id = NULL;
      Peer *peer = g_new0 (Peer, 1);

      peer->name = g_strdup (names[i]);
      if (proxies)
        {
          peer->proxy = g_dbus_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE,
                                               NULL, names[i],
                                               VMSTATE1_OBJECT_PATH,
                                               VMSTATE1_INTERFACE, NULL,
                                               &error);
          g_assert_no_error (error);
          id = g_dbus_proxy_get_cached_property (peer->proxy, "Id");
        }
      else
        {
          g_autoptr(GVariant) got = NULL;

          got = g_dbus_connection_call_sync (bus, names[i],
                                             VMSTATE1_OBJECT_PATH,
                                             "org.freedesktop.DBus.Properties",
                                             "Get",
                                             g_variant_new ("(ss)",
                                                            VMSTATE1_INTERFACE,
                                                            "Id"),
                                             G_VARIANT_TYPE ("(v)"),
                                             G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                             -1, NULL, &error);
          g_assert_no_error (error);
          g_variant_get (got, "(v)", &id);
        }
      g_assert (id != NULL);
      peer->id = g_variant_dup_string (id, NULL);
      g_ptr_array_add (peers, peer);
    }
  return peers;
}

static GVariant *
peer_call (GDBusConnection *bus,
           Peer            *peer,
           const char      *method,
           GVariant        *parameters)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  if (peer->proxy != NULL)
    reply = g_dbus_proxy_call_sync (peer->proxy, method, parameters,
                                    G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                                    &error);
  else
    reply = g_dbus_connection_call_sync (bus, peer->name, VMSTATE1_OBJECT_PATH,
                                         VMSTATE1_INTERFACE, method,
                                         parameters, NULL,
                                         G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                                         NULL, &error);
  g_assert_no_error (error);
  return reply;
}

static void
put_u32 (GByteArray *blob,
         guint32     value)
{
  guint32 be = GUINT32_TO_BE (value);

  g_byte_array_append (blob, (const guint8 *) &be, 4);
}

/* The blob as QEMU writes it: count, then length-prefixed Id and data. */
static GBytes *
sequential_save (GDBusConnection *bus,
                 gboolean         proxies)
{
  g_autoptr(GPtrArray) peers = sequential_discover (bus, proxies);
  GByteArray *blob = g_byte_array_new ();

  put_u32 (blob, peers->len);
  for (guint i = 0; i < peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (peers, i);
      g_autoptr(GVariant) reply = peer_call (bus, peer, "Save", NULL);
      g_autoptr(GVariant) child = g_variant_get_child_value (reply, 0);
      gsize size;
      const guint8 *data = g_variant_get_fixed_array (child, &size, 1);

      put_u32 (blob, strlen (peer->id));
      g_byte_array_append (blob, (const guint8 *) peer->id,
                           strlen (peer->id));
      put_u32 (blob, size);
      g_byte_array_append (blob, data, size);
    }
  return g_byte_array_free_to_bytes (blob);
}

/* The blob is parsed by the library's decoder: the same cost as the
 * Vm's, so the calls make the difference. */
static void
sequential_load (GDBusConnection *bus,
                 gboolean         proxies,
                 GBytes          *blob)
{
  g_autoptr(GPtrArray) peers = sequential_discover (bus, proxies);
  g_autoptr(Vmstate1States) states = vmstate1_states_decode (blob, NULL);

  g_assert (states != NULL);
  for (guint i = 0; i < peers->len; i++)
    {
      Peer *peer = g_ptr_array_index (peers, i);
      GBytes *data = vmstate1_states_lookup (states, peer->id);
      g_autoptr(GVariant) reply = NULL;
      GVariant *array;

      if (data == NULL)
        continue;
      array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE);
      reply = peer_call (bus, peer, "Load", g_variant_new_tuple (&array, 1));
    }
}

/* The transport's best: all calls in flight at once, names known. The
 * replies are kept until the last is in, as any save must keep them. */

typedef struct
{
  guint pending;
  GPtrArray *replies;
} Parallel;

static void
on_parallel_reply (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Parallel *parallel = user_data;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  g_assert_no_error (error);
  g_ptr_array_add (parallel->replies, reply);
  parallel->pending--;
}

/* @names: NULL for the names known beforehand. */
static void
parallel_calls (Setup              *setup,
                const char * const *names,
                gboolean            load)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  guint n = names ? g_strv_length ((char **) names) : setup->helpers->len;
  g_autoptr(GPtrArray) replies = g_ptr_array_new_full (n, (GDestroyNotify) g_variant_unref);
  Parallel parallel = { n, replies };

  g_main_context_push_thread_default (context);
  for (guint k = 0; k < n; k++)
    {
      guint i = names ? GPOINTER_TO_UINT (g_hash_table_lookup (setup->index,
                                                               names[k])) - 1
                      : k;
      BenchHelper *helper = g_ptr_array_index (setup->helpers, i);

      g_dbus_connection_call (setup->bus, helper->name, VMSTATE1_OBJECT_PATH,
                              VMSTATE1_INTERFACE, load ? "Load" : "Save",
                              load ? g_ptr_array_index (setup->load_args, i)
                                   : NULL,
                              load ? G_VARIANT_TYPE_UNIT
                                   : G_VARIANT_TYPE ("(ay)"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                              on_parallel_reply, &parallel);
    }
  while (parallel.pending > 0)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
}

/* The library: one Vm op; its calls alone in *calls_ms. */
static void
vm_op (Vmstate1Vm *vm,
       gboolean    load,
       GBytes     *blob,
       double     *calls_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Vmstate1States) states = NULL;
  double t0 = bench_now_ms ();

  if (load)
    {
      double t1;

      states = vmstate1_states_decode (blob, &error);
      g_assert_no_error (error);
      t1 = bench_now_ms ();
      vmstate1_vm_load (vm, states, NULL, &error);
      g_assert_no_error (error);
      *calls_ms = bench_now_ms () - t1;
    }
  else
    {
      states = vmstate1_vm_save (vm, NULL, &error);
      g_assert_no_error (error);
      *calls_ms = bench_now_ms () - t0;
      g_bytes_unref (vmstate1_states_encode (states));
    }
}

/* One op, timed, with the CPU it cost each party. */

static double
helpers_cpu_ms (GPtrArray *helpers)
{
  double sum = 0;

  for (guint i = 0; i < helpers->len; i++)
    sum += bench_process_cpu_ms (((BenchHelper *) g_ptr_array_index (helpers, i))->pid);
  return sum;
}

static void
run_op (Way       way,
        gboolean  load,
        Setup    *setup,
        OpStats  *stats)
{
  g_autoptr(Vmstate1Vm) cold = NULL;
  double h0 = helpers_cpu_ms (setup->helpers);
  double b0 = bench_process_cpu_ms (setup->bus_pid);
  double c0 = bench_self_cpu_ms ();
  double t0 = bench_now_ms ();
  double calls = NAN;
  double wall;

  switch (way)
    {
    case WAY_QEMU:
    case WAY_SEQUENTIAL:
      if (load)
        sequential_load (setup->bus, way == WAY_QEMU, setup->blob);
      else
        g_bytes_unref (sequential_save (setup->bus, way == WAY_QEMU));
      break;
    case WAY_VM:
      vm_op (setup->vm, load, setup->blob, &calls);
      break;
    case WAY_COLD:
      cold = vmstate1_vm_new (setup->bus);
      vm_op (cold, load, setup->blob, &calls);
      break;
    case WAY_KNOWN:
      parallel_calls (setup, NULL, load);
      break;
    case WAY_LISTED:
    default:
      {
        g_auto(GStrv) names = list_owners (setup->bus);

        parallel_calls (setup, (const char * const *) names, load);
      }
      break;
    }
  wall = bench_now_ms () - t0;
  bench_samples_add (&stats->wall, wall);
  bench_samples_add (&stats->calls, isnan (calls) ? wall : calls);
  bench_samples_add (&stats->caller, bench_self_cpu_ms () - c0);
  bench_samples_add (&stats->bus, bench_process_cpu_ms (setup->bus_pid) - b0);
  bench_samples_add (&stats->helpers, helpers_cpu_ms (setup->helpers) - h0);

  /* Whatever the op left for the main context (signal subscriptions'
   * dispatch, the cold Vm's unsubscribing), outside the timing. */
  g_clear_object (&cold);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
op_stats_init (OpStats *stats)
{
  bench_samples_init (&stats->wall);
  bench_samples_init (&stats->calls);
  bench_samples_init (&stats->caller);
  bench_samples_init (&stats->bus);
  bench_samples_init (&stats->helpers);
}

static void
op_stats_clear (OpStats *stats)
{
  bench_samples_clear (&stats->wall);
  bench_samples_clear (&stats->calls);
  bench_samples_clear (&stats->caller);
  bench_samples_clear (&stats->bus);
  bench_samples_clear (&stats->helpers);
}

static void
json_ms (JsonBuilder *json,
         const char  *name,
         double       value)
{
  json_builder_set_member_name (json, name);
  json_builder_add_double_value (json, round (value * 1000) / 1000);
}

static void
json_row (JsonBuilder *json,
          Row         *row,
          guint        rounds)
{
  json_builder_begin_object (json);
  json_builder_set_member_name (json, "bus");
  json_builder_add_string_value (json, bench_bus_kind_name (row->kind));
  json_builder_set_member_name (json, "helpers");
  json_builder_add_int_value (json, row->count);
  json_builder_set_member_name (json, "state_bytes");
  json_builder_add_int_value (json, STATE_SIZE);
  json_builder_set_member_name (json, "op");
  json_builder_add_string_value (json, row->load ? "load" : "save");
  json_builder_set_member_name (json, "rounds");
  json_builder_add_int_value (json, rounds);
  if (!row->load)
    json_ms (json, "vm_first_save_ms", row->first_save);
  for (guint w = 0; w < N_WAYS; w++)
    {
      json_builder_set_member_name (json, way_names[w]);
      json_builder_begin_object (json);
      json_ms (json, "wall_ms", row->wall[w]);
      json_ms (json, "calls_ms", row->calls[w]);
      json_builder_set_member_name (json, "cpu_ms");
      json_builder_begin_object (json);
      json_ms (json, "caller", row->caller[w]);
      json_ms (json, "bus", row->bus[w]);
      json_ms (json, "helpers", row->helpers[w]);
      json_builder_end_object (json);
      json_builder_end_object (json);
    }
  bench_json_ratio (json, "qemu_style/vm_warm", row->wall[WAY_QEMU],
                    row->wall[WAY_VM]);
  bench_json_ratio (json, "sequential_get/vm_warm", row->wall[WAY_SEQUENTIAL],
                    row->wall[WAY_VM]);
  bench_json_ratio (json, "vm_warm_calls/known_names", row->calls[WAY_VM],
                    row->calls[WAY_KNOWN]);
  bench_json_ratio (json, "vm_warm_calls/listed_names", row->calls[WAY_VM],
                    row->calls[WAY_LISTED]);
  bench_json_ratio (json, "qemu_style/known_names", row->wall[WAY_QEMU],
                    row->wall[WAY_KNOWN]);
  bench_json_ratio (json, "vm_cold/vm_warm", row->wall[WAY_COLD],
                    row->wall[WAY_VM]);
  json_builder_end_object (json);
}

static void
run_count (BenchRun     *run,
           BenchBusKind  kind,
           guint         count,
           GArray       *rows)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BenchBus) test_bus = bench_bus_new (kind, &error);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GPtrArray) helpers = g_ptr_array_new_with_free_func ((GDestroyNotify) bench_helper_stop);
  g_autoptr(GPtrArray) load_args = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(Vmstate1Vm) vm = NULL;
  g_autoptr(Vmstate1States) states = NULL;
  g_autoptr(GBytes) blob = NULL;
  guint rounds = run->quick ? 5 : 61;
  OpStats stats[2][N_WAYS];
  OpStats warmup;
  Setup setup;
  double first_save;

  g_assert_no_error (error);
  bus = vmstate1_connect (bench_bus_get_address (test_bus), NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < count; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%02u", i);

      g_ptr_array_add (helpers,
                       bench_helper_start (BENCH_HELPER_LIBRARY, bus,
                                           bench_bus_get_address (test_bus),
                                           id, STATE_SIZE, &error));
      g_assert_no_error (error);
      g_hash_table_insert (index,
                           ((BenchHelper *) g_ptr_array_index (helpers, i))->name,
                           GUINT_TO_POINTER (i + 1));
    }

  /* The Vm every warm op uses: its first save is the cold one. */
  vm = vmstate1_vm_new (bus);
  first_save = bench_now_ms ();
  states = vmstate1_vm_save (vm, NULL, &error);
  g_assert_no_error (error);
  blob = vmstate1_states_encode (states);
  first_save = bench_now_ms () - first_save;
  for (guint i = 0; i < count; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%02u", i);
      GVariant *array = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                  vmstate1_states_lookup (states, id),
                                                  TRUE);

      g_ptr_array_add (load_args,
                       g_variant_ref_sink (g_variant_new_tuple (&array, 1)));
    }

  setup = (Setup) { bus, bench_bus_get_pid (test_bus), helpers, load_args,
                    index, vm, blob };
  for (guint l = 0; l < 2; l++)
    for (guint w = 0; w < N_WAYS; w++)
      op_stats_init (&stats[l][w]);
  op_stats_init (&warmup);

  /* Round 0 warms up and is not counted. */
  for (guint r = 0; r <= rounds; r++)
    for (guint l = 0; l < 2; l++)
      for (guint k = 0; k < N_WAYS; k++)
        run_op ((r + k) % N_WAYS, l == 1, &setup,
                r > 0 ? &stats[l][(r + k) % N_WAYS] : &warmup);

  for (guint l = 0; l < 2; l++)
    {
      Row row = { .kind = kind, .count = count, .load = l == 1,
                  .first_save = first_save };

      for (guint w = 0; w < N_WAYS; w++)
        {
          OpStats *s = &stats[l][w];

          row.wall[w] = bench_samples_median (&s->wall);
          row.calls[w] = bench_samples_median (&s->calls);
          row.caller[w] = bench_samples_median (&s->caller);
          row.bus[w] = bench_samples_median (&s->bus);
          row.helpers[w] = bench_samples_median (&s->helpers);
          op_stats_clear (s);
        }
      g_array_append_val (rows, row);
      json_row (run->json, &row, rounds);

      if (kind == BENCH_BUS_DAEMON && count == 32 && !row.load)
        {
          double speedup = row.wall[WAY_QEMU] / row.wall[WAY_VM];
          double to_floor = row.calls[WAY_VM] / row.calls[WAY_KNOWN];

          bench_target (run, speedup >= 4,
                        "warm Vm save at least 4x faster than QEMU-style, 32 "
                        "helpers x 64 KiB (dbus-daemon): %.2fx", speedup);
          bench_target (run, to_floor <= 1.25,
                        "warm Vm save within 1.25x of Saves at once to known "
                        "names, 32 x 64 KiB (dbus-daemon): %.2fx", to_floor);
        }
    }
  op_stats_clear (&warmup);
}

static void
print_ms (double value)
{
  if (isnan (value))
    printf (" %6s", "-");
  else
    printf (" %6.2f", value);
}

void
bench_vm (BenchRun *run)
{
  static const guint counts[] = { 1, 8, 32 };
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (Row));
  static const Way cpu_ways[] = { WAY_QEMU, WAY_SEQUENTIAL, WAY_VM, WAY_COLD,
                                  WAY_KNOWN, WAY_LISTED };

  printf ("\n== 2. Vmstate1Vm save / load vs a QEMU-style sequential loop, "
          "64 KiB per helper ==\n");

  json_builder_set_member_name (run->json, "vm");
  json_builder_begin_array (run->json);
  for (gsize c = 0; c < G_N_ELEMENTS (counts); c++)
    run_count (run, BENCH_BUS_DAEMON, counts[c], rows);
  if (bench_broker_ready ())
    for (gsize c = 0; c < G_N_ELEMENTS (counts); c++)
      run_count (run, BENCH_BUS_BROKER, counts[c], rows);
  json_builder_end_array (run->json);

  printf ("wall ms, median of %d interleaved rounds. qemu = QEMU 7.2's loop "
          "(proxies); seq = the\nsame with one Properties.Get per helper; "
          "vm = a warm Vmstate1Vm (calls; +blob = with\nencode / decode); "
          "cold = a new Vm's first op; known = every call at once to known\n"
          "names (the transport's best); listed = ListQueuedOwners, then "
          "known. qemu/vm, seq/vm\nand cold/vm use vm+blob; vm/known and "
          "vm/listed the calls alone.\n\n", run->quick ? 5 : 61);
  printf ("%-11s %2s %-4s %6s %6s %6s %6s %6s %6s %6s | %7s %6s %8s %9s %7s\n",
          "bus", "n", "op", "qemu", "seq", "vm", "+blob", "cold", "known",
          "listed", "qemu/vm", "seq/vm", "vm/known", "vm/listed", "cold/vm");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      printf ("%-11s %2u %-4s", bench_bus_kind_name (row->kind), row->count,
              row->load ? "load" : "save");
      print_ms (row->wall[WAY_QEMU]);
      print_ms (row->wall[WAY_SEQUENTIAL]);
      print_ms (row->calls[WAY_VM]);
      print_ms (row->wall[WAY_VM]);
      print_ms (row->wall[WAY_COLD]);
      print_ms (row->wall[WAY_KNOWN]);
      print_ms (row->wall[WAY_LISTED]);
      printf (" | %6.2fx %5.2fx %7.2fx %8.2fx %6.2fx\n",
              row->wall[WAY_QEMU] / row->wall[WAY_VM],
              row->wall[WAY_SEQUENTIAL] / row->wall[WAY_VM],
              row->calls[WAY_VM] / row->calls[WAY_KNOWN],
              row->calls[WAY_VM] / row->calls[WAY_LISTED],
              row->wall[WAY_COLD] / row->wall[WAY_VM]);
    }

  printf ("\nThe warm Vm's own first save (cold, one sample, blob "
          "included), ms:");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      if (!row->load)
        printf (" %s/%u %.2f;", row->kind == BENCH_BUS_BROKER ? "broker"
                                                               : "daemon",
                row->count, row->first_save);
    }

  printf ("\n\nCPU ms per op, median: caller / bus / all helpers\n\n");
  printf ("%-11s %2s %-4s | %-20s | %-20s | %-20s | %-20s | %-20s | %-20s\n",
          "bus", "n", "op", "qemu", "seq", "vm", "cold", "known", "listed");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      printf ("%-11s %2u %-4s", bench_bus_kind_name (row->kind), row->count,
              row->load ? "load" : "save");
      for (gsize k = 0; k < G_N_ELEMENTS (cpu_ways); k++)
        {
          Way w = cpu_ways[k];

          printf (" | %6.2f %6.2f %6.2f", row->caller[w], row->bus[w],
                  row->helpers[w]);
        }
      printf ("\n");
    }
}
