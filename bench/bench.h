/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the benchmark sections share: statistics, the CPU time and memory
 * of other processes, the buses (dbus-daemon, dbus-broker), the helper
 * processes, and the results (JSON and the printed table). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define BENCH_KIB 1024
#define BENCH_MIB (1024 * 1024)

/* Statistics: medians of samples taken side by side. */
typedef struct
{
  GArray *values;  /* double */
} BenchSamples;

void    bench_samples_init  (BenchSamples *samples);
void    bench_samples_clear (BenchSamples *samples);
void    bench_samples_add   (BenchSamples *samples,
                             double        value);
double  bench_samples_median (BenchSamples *samples);
guint   bench_samples_count (BenchSamples *samples);

double  bench_now_ms        (void);

/* Other processes: CPU time (utime + stime of every thread, read from the
 * process's CPU clock: the same sum as /proc/PID/stat, to the nanosecond
 * rather than the 10 ms tick), and /proc/PID/status memory fields. */
double  bench_process_cpu_ms   (GPid        pid);
double  bench_self_cpu_ms      (void);
gint64  bench_process_stat_ticks (GPid      pid);
gint64  bench_process_status_kib (GPid      pid,
                                  const char *field);

/* Pins every thread of @pid (0: this process) to @cpu, or lets it run
 * anywhere again with @cpu = -1; and whether helpers started from now on
 * are pinned, to which CPU. */
void    bench_pin               (GPid        pid,
                                 int         cpu);
void    bench_pin_helpers       (int         cpu);

/* Buses. */
typedef enum
{
  BENCH_BUS_DAEMON,
  BENCH_BUS_BROKER,
} BenchBusKind;

typedef struct _BenchBus BenchBus;

/* dbus-broker runs only where bench.sh prepared for it: inside
 * `unshare -m` with a tmpfs on /run/systemd. */
gboolean     bench_broker_setup   (GError      **error);
gboolean     bench_broker_ready   (void);
BenchBus    *bench_bus_new        (BenchBusKind  kind,
                                   GError      **error);
const char  *bench_bus_get_address (BenchBus    *bus);
GPid         bench_bus_get_pid    (BenchBus     *bus);
const char  *bench_bus_kind_name  (BenchBusKind  kind);
void         bench_bus_free       (BenchBus     *bus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchBus, bench_bus_free)

/* Helper processes. */
typedef enum
{
  BENCH_HELPER_FLOOR,    /* raw GDBus, prebuilt reply */
  BENCH_HELPER_CODEGEN,  /* gdbus-codegen skeleton, as QEMU's test */
  BENCH_HELPER_LIBRARY,  /* libvmstate1 */
  BENCH_HELPER_PYTHON,   /* libvmstate1 through GI */
  BENCH_HELPER_N_KINDS
} BenchHelperKind;

typedef struct
{
  BenchHelperKind kind;
  GSubprocess *process;
  GPid pid;
  char *name;                   /* its unique name on the bus */
  GDBusConnection *connection;  /* the caller's side */
} BenchHelper;

const char  *bench_helper_kind_name (BenchHelperKind kind);
gboolean     bench_python_available (void);
BenchHelper *bench_helper_start     (BenchHelperKind   kind,
                                     GDBusConnection  *bus,
                                     const char       *bus_address,
                                     const char       *id,
                                     gsize             size,
                                     GError          **error);
void         bench_helper_stop      (BenchHelper      *helper);

/* One synchronous call, as QEMU makes it: its duration in ms, or -1 with
 * @error set. */
double       bench_helper_call      (BenchHelper      *helper,
                                     const char       *method,
                                     GVariant         *parameters,
                                     GError          **error);
/* The (ay) argument of a Load of @size bytes. */
GVariant    *bench_load_args        (gsize             size);

/* Results. */
typedef struct
{
  JsonBuilder *json;   /* the root object is open */
  gboolean quick;      /* fewer rounds: to try the command, not to publish */
  GStrv sections;      /* what to run */
  GPtrArray *targets;  /* of char *: one line per target, met or missed */
} BenchRun;

gboolean bench_wants (BenchRun   *run,
                      const char *section);
void  bench_target (BenchRun   *run,
                    gboolean    met,
                    const char *format,
                    ...) G_GNUC_PRINTF (3, 4);
char *bench_format_size (gsize size);
void  bench_json_ratio  (JsonBuilder *json,
                         const char  *name,
                         double       value,
                         double       baseline);

/* The sections. */
void bench_roundtrip (BenchRun *run);
void bench_vm        (BenchRun *run);
void bench_memory    (BenchRun *run);
void bench_downtime  (BenchRun *run);

G_END_DECLS
