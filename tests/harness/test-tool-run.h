/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "test-bus.h"

G_BEGIN_DECLS

/* The fixture of the tests that run vmstate1-tool: two private buses, a
 * temporary directory and the helper processes started on them; the
 * teardown stops the processes and empties and removes the directory. */
typedef struct
{
  TestBus *bus;
  TestBus *other_bus;   /* another VM's, or QEMU's destination */
  char *dir;
  GPtrArray *helpers;   /* of GSubprocess */
} TestToolFixture;

void  test_tool_fixture_setup    (TestToolFixture *fixture,
                                  gconstpointer    data);
void  test_tool_fixture_teardown (TestToolFixture *fixture,
                                  gconstpointer    data);

/* Starts a counter helper ($VMSTATE1_COUNTER_HELPER) on @bus that does
 * not count by itself (its state stays at 0 unless loaded), kept in
 * @fixture's helpers; returns its unique name once it said it is ready
 * (queued and exported). The rest of its standard output, and the
 * process, in the nullable out arguments. */
char *test_tool_start_counter    (TestToolFixture   *fixture,
                                  TestBus           *bus,
                                  const char        *id,
                                  gboolean           incoming,
                                  GDataInputStream **out_stream,
                                  GSubprocess      **out_process);

/* SIGCONT then SIGTERM, and waits: a stopped helper gets its SIGTERM
 * once it runs again. */
void  test_process_stop          (GSubprocess       *process);

/* What one run of the tool did. */
typedef struct
{
  int status;
  GBytes *out_bytes;
  char *out;         /* out_bytes, NUL-terminated */
  GBytes *err_bytes;
  char *err;         /* err_bytes, NUL-terminated */
  gint64 elapsed_msec;
} TestToolRun;

void test_tool_run_clear (TestToolRun *run);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestToolRun, test_tool_run_clear)

/* Starts $VMSTATE1_TOOL from @launcher (which pipes its standard output
 * and error) with --address @address first when not NULL, then @args. */
GSubprocess *test_tool_spawnv (GSubprocessLauncher *launcher,
                               const char          *address,
                               const char * const  *args);

/* Collects what @process wrote until it exited, iterating the
 * thread-default main context meanwhile (helpers living on it answer);
 * @input (nullable) goes to its standard input if that is a pipe.
 * @started: g_get_monotonic_time() before the spawn. FALSE if it did not
 * exit within @timeout_msec (0: no limit), and was killed. */
gboolean     test_tool_finish (TestToolRun *run,
                               GSubprocess *process,
                               GBytes      *input,
                               gint64       started,
                               guint        timeout_msec);

/* g_error() unless @text contains @words, or does not. */
void      test_assert_has   (const char *text,
                             const char *words);
void      test_assert_lacks (const char *text,
                             const char *words);

/* The root of @text, which must be JSON. */
JsonNode *test_parse_json   (const char *text);

G_END_DECLS
