/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A real, private dbus-daemon with the policy libvirt's per-VM buses use,
 * but restricted as QEMU's test wrapper was: peers may own only
 * org.qemu.VMState1 (and, with @extra_own, one more name or prefix). */
typedef struct _TestBus TestBus;

TestBus    *test_bus_new         (const char *extra_own_prefix,
                                  GError    **error);
/* The same with more <policy> rules, which win over the default ones. */
TestBus    *test_bus_new_with_rules (const char *extra_rules,
                                     GError    **error);
const char *test_bus_get_address (TestBus    *bus);
GPid        test_bus_get_pid     (TestBus    *bus);
void        test_bus_kill        (TestBus    *bus);
void        test_bus_free        (TestBus    *bus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestBus, test_bus_free)

/* The usual fixture: a private bus and a connection that plays QEMU. */
typedef struct
{
  TestBus *bus;
  GDBusConnection *caller;
} TestBusFixture;

void test_bus_fixture_setup    (TestBusFixture *fixture,
                                gconstpointer   data);
void test_bus_fixture_teardown (TestBusFixture *fixture,
                                gconstpointer   data);

/* A launcher whose children die with the test process, so a test that
 * fails or times out leaves no helper behind. */
GSubprocessLauncher *test_launcher_new (GSubprocessFlags flags);

/* A method call that iterates the thread-default main context until the
 * reply arrives, so that helpers living on this thread can answer. */
GVariant   *test_call            (GDBusConnection    *connection,
                                  const char         *destination,
                                  const char         *object_path,
                                  const char         *interface_name,
                                  const char         *method,
                                  GVariant           *parameters,
                                  const GVariantType *reply_type,
                                  int                 timeout_msec,
                                  GError            **error);

/* Iterates the thread-default main context until *flag is TRUE or
 * timeout_msec passes; returns *flag. */
gboolean    test_wait_for        (const gboolean *flag,
                                  guint           timeout_msec);

/* A round trip to the bus on @connection: whatever it sent before has
 * been routed by the bus once this returns. */
void        test_bus_round_trip  (GDBusConnection    *connection);

/* Whether process @pid has ended (gone, or a zombie nobody reaped
 * yet). */
gboolean    test_pid_ended       (GPid                pid);

/* The next line of @stream, read while the thread-default main context
 * runs (so that this thread's helpers answer); NULL at its end or on
 * @error. The test fails if none comes within @timeout_msec. */
char       *test_read_line_iterating (GDataInputStream  *stream,
                                      guint              timeout_msec,
                                      GError           **error);

/* A helper's Save and Load, called on @caller with a 10 s timeout. */
GBytes     *test_call_save       (GDBusConnection    *caller,
                                  const char         *name,
                                  GError            **error);
gboolean    test_call_load       (GDBusConnection    *caller,
                                  const char         *name,
                                  GBytes             *data,
                                  GError            **error);

/* TRUE as root; else the test is skipped (a failure in CI, which runs
 * as root). */
gboolean    test_require_root    (void);
/* dbus-send calls @dest's Save on @bus as nobody (uid 65534, with
 * setpriv) while this thread's main context runs, at most 10 s; returns
 * whether it succeeded, and what it wrote in @out and @err (to free). */
gboolean    test_save_as_nobody  (TestBus            *bus,
                                  const char         *dest,
                                  char              **out,
                                  char              **err);

G_END_DECLS
