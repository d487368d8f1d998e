/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section 2: vmstate1_save_all / load_all against a QEMU-style loop, side
 * by side in one run: the same helper processes (the library's, 64 KiB
 * each), the same bus, rounds interleaved (the order rotating) so that
 * drift hits all alike.
 *
 * The baseline does what QEMU's dbus-vmstate does: ListQueuedOwners, one
 * synchronous GDBusProxy per helper with default flags (it fetches all
 * properties and subscribes to signals), the cached Id, then Save (or
 * Load) on each helper one after another.
 *
 * Three more ways, to see where the time goes:
 * - the transport's own limit: every Save (or Load) sent at once to
 *   helpers whose names are already known, no discovery at all;
 * - vmstate1_list_helpers() alone: the library's discovery;
 * - a proposal for save_all, done here by hand: each helper's Save sent
 *   right behind its Id request, with no wait for the whole discovery.
 * For each, the CPU time it cost the caller, the bus and the helpers. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vmstate1.h>

#include "bench.h"

#define STATE_SIZE (64 * BENCH_KIB)

typedef enum
{
  WAY_QEMU,
  WAY_LIBRARY,
  WAY_PIPELINED,  /* save only */
  WAY_PARALLEL,
  WAY_LIST,       /* once a round, with the saves */
  N_WAYS
} Way;

static const char * const way_names[] = { "qemu_style", "libvmstate1",
                                          "pipelined_proposal",
                                          "parallel_floor",
                                          "list_helpers" };

typedef struct
{
  BenchSamples wall, caller, bus, helpers;
} OpStats;

/* One line of the tables: medians, NAN where a way does not apply. */
typedef struct
{
  BenchBusKind kind;
  guint count;
  gboolean load;
  double wall[N_WAYS], caller[N_WAYS], bus[N_WAYS], helpers[N_WAYS];
} Row;

static GHashTable *
qemu_style_proxies (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;
  GHashTable *proxies = g_hash_table_new_full (g_str_hash, g_str_equal,
                                               g_free, g_object_unref);

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus",
                                       "ListQueuedOwners",
                                       g_variant_new ("(s)", VMSTATE1_BUS_NAME),
                                       G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_assert (reply != NULL);
  g_variant_get (reply, "(^a&s)", &names);
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      GDBusProxy *proxy;
      g_autoptr(GVariant) id = NULL;

      proxy = g_dbus_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, NULL,
                                     names[i], VMSTATE1_OBJECT_PATH,
                                     VMSTATE1_INTERFACE, NULL, &error);
      g_assert_no_error (error);
      id = g_dbus_proxy_get_cached_property (proxy, "Id");
      g_assert (id != NULL);
      g_hash_table_insert (proxies, g_variant_dup_string (id, NULL), proxy);
    }
  return proxies;
}

static void
put_u32 (GByteArray *blob,
         guint32     value)
{
  guint32 be = GUINT32_TO_BE (value);

  g_byte_array_append (blob, (const guint8 *) &be, 4);
}

static GBytes *
qemu_style_save (GDBusConnection *bus)
{
  g_autoptr(GHashTable) proxies = qemu_style_proxies (bus);
  GByteArray *blob = g_byte_array_new ();
  GHashTableIter iter;
  gpointer id, proxy;

  put_u32 (blob, g_hash_table_size (proxies));
  g_hash_table_iter_init (&iter, proxies);
  while (g_hash_table_iter_next (&iter, &id, &proxy))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) child = NULL;
      const guint8 *data;
      gsize size;

      reply = g_dbus_proxy_call_sync (proxy, "Save", NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                                      NULL, &error);
      g_assert_no_error (error);
      child = g_variant_get_child_value (reply, 0);
      data = g_variant_get_fixed_array (child, &size, 1);
      put_u32 (blob, strlen (id));
      g_byte_array_append (blob, id, strlen (id));
      put_u32 (blob, size);
      g_byte_array_append (blob, data, size);
    }
  return g_byte_array_free_to_bytes (blob);
}

static void
qemu_style_load (GDBusConnection *bus,
                 GBytes          *blob)
{
  g_autoptr(GHashTable) proxies = qemu_style_proxies (bus);
  g_autoptr(GHashTable) states = vmstate1_stream_decode (blob, NULL);
  GHashTableIter iter;
  gpointer id, data;

  g_hash_table_iter_init (&iter, states);
  while (g_hash_table_iter_next (&iter, &id, &data))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = NULL;
      gsize size;
      const void *bytes = g_bytes_get_data (data, &size);
      GVariant *array = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes,
                                                   size, 1);

      reply = g_dbus_proxy_call_sync (g_hash_table_lookup (proxies, id),
                                      "Load", g_variant_new_tuple (&array, 1),
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                                      NULL, &error);
      g_assert_no_error (error);
    }
}

/* The transport's limit: all calls in flight at once, names known. */

static void
on_parallel_reply (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  guint *pending = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  g_assert_no_error (error);
  (*pending)--;
}

static void
parallel_calls (GDBusConnection *bus,
                GPtrArray       *helpers,
                GVariant        *load_args)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  guint pending = helpers->len;

  g_main_context_push_thread_default (context);
  for (guint i = 0; i < helpers->len; i++)
    {
      BenchHelper *helper = g_ptr_array_index (helpers, i);

      g_dbus_connection_call (bus, helper->name, VMSTATE1_OBJECT_PATH,
                              VMSTATE1_INTERFACE,
                              load_args ? "Load" : "Save", load_args,
                              load_args ? G_VARIANT_TYPE_UNIT
                                        : G_VARIANT_TYPE ("(ay)"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                              on_parallel_reply, &pending);
    }
  while (pending > 0)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
}

/* The proposal: with no id-list every queued helper takes part, so its
 * Save can follow its Id request at once. D-Bus keeps the order of the
 * messages between two peers: the helper answers Get, then Save. The Ids
 * are checked when all are in, before the blob is made. */

typedef struct
{
  char *id;
  GBytes *data;
  guint *pending;
} Slot;

static void
on_pipelined_id (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Slot *slot = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  slot->id = g_variant_dup_string (value, NULL);
  (*slot->pending)--;
}

static void
on_pipelined_save (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Slot *slot = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                         &error);
  g_assert_no_error (error);
  array = g_variant_get_child_value (reply, 0);
  slot->data = g_variant_get_data_as_bytes (array);
  (*slot->pending)--;
}

static GBytes *
pipelined_save (GDBusConnection *bus)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;
  g_autoptr(GHashTable) states = g_hash_table_new_full (g_str_hash,
                                                        g_str_equal, g_free,
                                                        (GDestroyNotify) g_bytes_unref);
  g_autofree Slot *slots = NULL;
  g_autoptr(GError) error = NULL;
  guint pending = 0;
  gsize n;
  GBytes *blob;

  g_main_context_push_thread_default (context);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus",
                                       "ListQueuedOwners",
                                       g_variant_new ("(s)", VMSTATE1_BUS_NAME),
                                       G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_assert (reply != NULL);
  g_variant_get (reply, "(^a&s)", &names);
  n = g_strv_length ((char **) names);
  slots = g_new0 (Slot, n);
  for (gsize i = 0; i < n; i++)
    {
      slots[i].pending = &pending;
      pending += 2;
      g_dbus_connection_call (bus, names[i], VMSTATE1_OBJECT_PATH,
                              "org.freedesktop.DBus.Properties", "Get",
                              g_variant_new ("(ss)", VMSTATE1_INTERFACE, "Id"),
                              G_VARIANT_TYPE ("(v)"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                              on_pipelined_id, &slots[i]);
      g_dbus_connection_call (bus, names[i], VMSTATE1_OBJECT_PATH,
                              VMSTATE1_INTERFACE, "Save", NULL,
                              G_VARIANT_TYPE ("(ay)"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                              on_pipelined_save, &slots[i]);
    }
  while (pending > 0)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  for (gsize i = 0; i < n; i++)
    {
      g_assert (!g_hash_table_contains (states, slots[i].id));
      g_hash_table_insert (states, slots[i].id, slots[i].data);
    }
  blob = vmstate1_stream_encode (states, &error);
  g_assert_no_error (error);
  return blob;
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
run_op (Way              way,
        gboolean         load,
        GDBusConnection *bus,
        GPid             bus_pid,
        GPtrArray       *helpers,
        GBytes          *blob,
        GVariant        *load_args,
        OpStats         *stats)
{
  g_autoptr(GError) error = NULL;
  double h0 = helpers_cpu_ms (helpers);
  double b0 = bench_process_cpu_ms (bus_pid);
  double c0 = bench_self_cpu_ms ();
  double t0 = bench_now_ms ();
  double t1;

  switch (way)
    {
    case WAY_QEMU:
      if (load)
        qemu_style_load (bus, blob);
      else
        g_bytes_unref (qemu_style_save (bus));
      break;
    case WAY_LIBRARY:
      if (load)
        vmstate1_load_all (bus, blob, NULL, NULL, &error);
      else
        g_bytes_unref (vmstate1_save_all (bus, NULL, NULL, &error));
      g_assert_no_error (error);
      break;
    case WAY_PIPELINED:
      g_bytes_unref (pipelined_save (bus));
      break;
    case WAY_PARALLEL:
      parallel_calls (bus, helpers, load ? load_args : NULL);
      break;
    case WAY_LIST:
    default:
      g_hash_table_unref (vmstate1_list_helpers (bus, NULL, &error));
      g_assert_no_error (error);
      break;
    }
  t1 = bench_now_ms ();
  bench_samples_add (&stats->wall, t1 - t0);
  bench_samples_add (&stats->caller, bench_self_cpu_ms () - c0);
  bench_samples_add (&stats->bus, bench_process_cpu_ms (bus_pid) - b0);
  bench_samples_add (&stats->helpers, helpers_cpu_ms (helpers) - h0);
}

static gboolean
way_applies (Way      way,
             gboolean load)
{
  return !load || (way != WAY_PIPELINED && way != WAY_LIST);
}

static void
op_stats_init (OpStats *stats)
{
  bench_samples_init (&stats->wall);
  bench_samples_init (&stats->caller);
  bench_samples_init (&stats->bus);
  bench_samples_init (&stats->helpers);
}

static void
op_stats_clear (OpStats *stats)
{
  bench_samples_clear (&stats->wall);
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
run_count (BenchRun     *run,
           BenchBusKind  kind,
           guint         count,
           GVariant     *load_args,
           GArray       *rows)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BenchBus) test_bus = bench_bus_new (kind, &error);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GPtrArray) helpers = g_ptr_array_new_with_free_func ((GDestroyNotify) bench_helper_stop);
  g_autoptr(GBytes) blob = NULL;
  guint rounds = run->quick ? 5 : 41;
  OpStats stats[2][N_WAYS];
  OpStats warmup;

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
    }
  blob = vmstate1_save_all (bus, NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint l = 0; l < 2; l++)
    for (guint w = 0; w < N_WAYS; w++)
      op_stats_init (&stats[l][w]);
  op_stats_init (&warmup);

  /* Round 0 warms up and is not counted. */
  for (guint r = 0; r <= rounds; r++)
    for (guint l = 0; l < 2; l++)
      for (guint k = 0; k < N_WAYS; k++)
        {
          Way w = (r + k) % N_WAYS;

          if (way_applies (w, l == 1))
            run_op (w, l == 1, bus, bench_bus_get_pid (test_bus), helpers,
                    blob, load_args, r > 0 ? &stats[l][w] : &warmup);
        }

  for (guint l = 0; l < 2; l++)
    {
      Row row = { kind, count, l == 1 };
      const char *op = l ? "load" : "save";

      for (guint w = 0; w < N_WAYS; w++)
        {
          OpStats *s = &stats[l][w];

          row.wall[w] = bench_samples_median (&s->wall);
          row.caller[w] = bench_samples_median (&s->caller);
          row.bus[w] = bench_samples_median (&s->bus);
          row.helpers[w] = bench_samples_median (&s->helpers);
          op_stats_clear (s);
        }
      g_array_append_val (rows, row);

      json_builder_begin_object (run->json);
      json_builder_set_member_name (run->json, "bus");
      json_builder_add_string_value (run->json, bench_bus_kind_name (kind));
      json_builder_set_member_name (run->json, "helpers");
      json_builder_add_int_value (run->json, count);
      json_builder_set_member_name (run->json, "state_bytes");
      json_builder_add_int_value (run->json, STATE_SIZE);
      json_builder_set_member_name (run->json, "op");
      json_builder_add_string_value (run->json, op);
      json_builder_set_member_name (run->json, "rounds");
      json_builder_add_int_value (run->json, rounds);
      for (guint w = 0; w < N_WAYS; w++)
        {
          if (!way_applies (w, row.load))
            continue;
          json_builder_set_member_name (run->json, way_names[w]);
          json_builder_begin_object (run->json);
          json_ms (run->json, "wall_ms", row.wall[w]);
          json_builder_set_member_name (run->json, "cpu_ms");
          json_builder_begin_object (run->json);
          json_ms (run->json, "caller", row.caller[w]);
          json_ms (run->json, "bus", row.bus[w]);
          json_ms (run->json, "helpers", row.helpers[w]);
          json_builder_end_object (run->json);
          json_builder_end_object (run->json);
        }
      bench_json_ratio (run->json, "speedup", row.wall[WAY_QEMU],
                        row.wall[WAY_LIBRARY]);
      bench_json_ratio (run->json, "transport_limit_speedup",
                        row.wall[WAY_QEMU], row.wall[WAY_PARALLEL]);
      bench_json_ratio (run->json, "libvmstate1/parallel_floor",
                        row.wall[WAY_LIBRARY], row.wall[WAY_PARALLEL]);
      if (!row.load)
        bench_json_ratio (run->json, "pipelined_speedup", row.wall[WAY_QEMU],
                          row.wall[WAY_PIPELINED]);
      json_builder_end_object (run->json);

      if (kind == BENCH_BUS_DAEMON && count == 32)
        bench_target (run, row.wall[WAY_QEMU] / row.wall[WAY_LIBRARY] >= 4,
                      "%s_all at least 4x faster than QEMU-style at 32 "
                      "helpers x 64 KiB (dbus-daemon): %.2fx (transport "
                      "limit %.2fx)", op,
                      row.wall[WAY_QEMU] / row.wall[WAY_LIBRARY],
                      row.wall[WAY_QEMU] / row.wall[WAY_PARALLEL]);
    }
  op_stats_clear (&warmup);
}

/* The second proposal, A/B: the same 32 helpers answering Get(Id) on
 * their main context, as the library does, or in GDBus's own thread
 * (bench-helper --id-in-filter), each set on a bus of its own. */
static void
run_id_in_filter (BenchRun *run,
                  GVariant *load_args)
{
  static const char * const sides[] = { "main_context", "gdbus_thread" };
  static const Way ways[] = { WAY_LIST, WAY_LIBRARY, WAY_LIBRARY };
  static const char * const op_names[] = { "list", "save", "load" };
  BenchBus *buses[2];
  GDBusConnection *connections[2];
  GPtrArray *helpers[2];
  GBytes *blobs[2];
  OpStats stats[2][3];
  guint rounds = run->quick ? 5 : 41;
  g_autoptr(GError) error = NULL;

  for (guint s = 0; s < 2; s++)
    {
      buses[s] = bench_bus_new (BENCH_BUS_DAEMON, &error);
      g_assert_no_error (error);
      connections[s] = vmstate1_connect (bench_bus_get_address (buses[s]),
                                         NULL, &error);
      g_assert_no_error (error);
      helpers[s] = g_ptr_array_new_with_free_func ((GDestroyNotify) bench_helper_stop);
      for (guint i = 0; i < 32; i++)
        {
          g_autofree char *id = g_strdup_printf ("helper-%02u", i);

          g_ptr_array_add (helpers[s],
                           bench_helper_start_full (BENCH_HELPER_LIBRARY,
                                                    connections[s],
                                                    bench_bus_get_address (buses[s]),
                                                    id, STATE_SIZE,
                                                    s ? "--id-in-filter" : NULL,
                                                    &error));
          g_assert_no_error (error);
        }
      blobs[s] = vmstate1_save_all (connections[s], NULL, NULL, &error);
      g_assert_no_error (error);
      for (guint o = 0; o < 3; o++)
        op_stats_init (&stats[s][o]);
    }

  for (guint r = 0; r < rounds; r++)
    for (guint o = 0; o < 3; o++)
      for (guint k = 0; k < 2; k++)
        {
          guint s = (r + k) % 2;

          run_op (ways[o], o == 2, connections[s],
                  bench_bus_get_pid (buses[s]), helpers[s], blobs[s],
                  load_args, &stats[s][o]);
        }

  printf ("\nProposal 2, A/B: 32 helpers x 64 KiB on dbus-daemon answering "
          "Get(Id) on the main context\n(as the library does) or in GDBus's "
          "thread; wall ms and all helpers' CPU ms, median of %u\n\n",
          rounds);
  printf ("%-5s %13s %13s %7s | %13s %13s\n", "op", "main context",
          "gdbus thread", "ratio", "cpu main", "cpu thread");
  json_builder_set_member_name (run->json, "id_in_filter_proposal");
  json_builder_begin_array (run->json);
  for (guint o = 0; o < 3; o++)
    {
      double a = bench_samples_median (&stats[0][o].wall);
      double b = bench_samples_median (&stats[1][o].wall);

      printf ("%-5s %13.2f %13.2f %7.2f | %13.2f %13.2f\n", op_names[o], a, b,
              b / a, bench_samples_median (&stats[0][o].helpers),
              bench_samples_median (&stats[1][o].helpers));
      json_builder_begin_object (run->json);
      json_builder_set_member_name (run->json, "op");
      json_builder_add_string_value (run->json, op_names[o]);
      json_builder_set_member_name (run->json, "helpers");
      json_builder_add_int_value (run->json, 32);
      for (guint s = 0; s < 2; s++)
        {
          json_builder_set_member_name (run->json, sides[s]);
          json_builder_begin_object (run->json);
          json_ms (run->json, "wall_ms", bench_samples_median (&stats[s][o].wall));
          json_ms (run->json, "helpers_cpu_ms",
                   bench_samples_median (&stats[s][o].helpers));
          json_builder_end_object (run->json);
        }
      bench_json_ratio (run->json, "gdbus_thread/main_context", b, a);
      json_builder_end_object (run->json);
    }
  json_builder_end_array (run->json);

  for (guint s = 0; s < 2; s++)
    {
      for (guint o = 0; o < 3; o++)
        op_stats_clear (&stats[s][o]);
      g_bytes_unref (blobs[s]);
      g_ptr_array_unref (helpers[s]);
      g_object_unref (connections[s]);
      bench_bus_free (buses[s]);
    }
}

static void
print_ms (double value)
{
  if (isnan (value))
    printf (" %8s", "-");
  else
    printf (" %8.2f", value);
}

void
bench_save_all (BenchRun *run)
{
  static const guint counts[] = { 1, 8, 32 };
  g_autoptr(GVariant) load_args = bench_load_args (STATE_SIZE);
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (Row));
  static const Way cpu_ways[] = { WAY_QEMU, WAY_LIBRARY, WAY_PIPELINED,
                                  WAY_PARALLEL, WAY_LIST };

  printf ("\n== 2. vmstate1_save_all / load_all vs a QEMU-style sequential "
          "proxy loop, 64 KiB per helper ==\n");

  json_builder_set_member_name (run->json, "save_all");
  json_builder_begin_array (run->json);
  for (gsize c = 0; c < G_N_ELEMENTS (counts); c++)
    run_count (run, BENCH_BUS_DAEMON, counts[c], load_args, rows);
  if (bench_broker_ready ())
    for (gsize c = 0; c < G_N_ELEMENTS (counts); c++)
      run_count (run, BENCH_BUS_BROKER, counts[c], load_args, rows);
  json_builder_end_array (run->json);

  printf ("wall ms, median of %d interleaved rounds. speedup = qemu-style / "
          "library; parallel =\nevery call at once to known names, no "
          "discovery (the transport's limit, best = qemu-style /\nparallel); "
          "list = vmstate1_list_helpers alone; pipelined = the proposal in "
          "RESULTS.md\n\n", run->quick ? 5 : 41);
  printf ("%-12s %7s %-4s %8s %8s %8s | %8s %8s %8s %8s %8s\n", "bus",
          "helpers", "op", "qemu", "library", "speedup", "parallel", "best",
          "list", "pipelnd", "speedup");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      printf ("%-12s %7u %-4s", bench_bus_kind_name (row->kind), row->count,
              row->load ? "load" : "save");
      print_ms (row->wall[WAY_QEMU]);
      print_ms (row->wall[WAY_LIBRARY]);
      printf (" %7.2fx |", row->wall[WAY_QEMU] / row->wall[WAY_LIBRARY]);
      print_ms (row->wall[WAY_PARALLEL]);
      printf (" %7.2fx", row->wall[WAY_QEMU] / row->wall[WAY_PARALLEL]);
      print_ms (row->wall[WAY_LIST]);
      print_ms (row->wall[WAY_PIPELINED]);
      if (row->load)
        printf (" %8s\n", "-");
      else
        printf (" %7.2fx\n", row->wall[WAY_QEMU] / row->wall[WAY_PIPELINED]);
    }

  printf ("\nCPU ms per op, median: caller / bus daemon / all helpers "
          "(sum of the three vs wall shows\nhow much of the 2 cores was "
          "used)\n\n");
  printf ("%-12s %7s %-4s | %-20s | %-20s | %-20s | %-20s | %-20s\n",
          "bus", "helpers", "op", "qemu-style", "library", "pipelined",
          "parallel", "list");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      printf ("%-12s %7u %-4s", bench_bus_kind_name (row->kind), row->count,
              row->load ? "load" : "save");
      for (gsize k = 0; k < G_N_ELEMENTS (cpu_ways); k++)
        {
          Way w = cpu_ways[k];

          if (!way_applies (w, row->load))
            printf (" | %20s", "-");
          else
            printf (" | %6.2f %6.2f %6.2f", row->caller[w], row->bus[w],
                    row->helpers[w]);
        }
      printf ("\n");
    }

  run_id_in_filter (run, load_args);
}
