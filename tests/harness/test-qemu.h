/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A real qemu-system-x86_64 with no guest (-M none), driven over QMP on
 * its stdin/stdout. Every wait iterates the thread-default main context,
 * so helpers living on this thread answer QEMU's Save and Load. */
typedef struct _TestQemu TestQemu;

typedef struct
{
  const char *bus_address;  /* for -object dbus-vmstate */
  const char *id_list;      /* nullable; written with QEMU's ',,' escaping */
  const char *incoming;     /* nullable; e.g. "exec:cat FILE" */
  const char * const *extra_args;  /* nullable */
  /* nullable, ends with -1: fds QEMU inherits as TEST_QEMU_FD (0),
   * TEST_QEMU_FD (1), ... (for -netdev socket,fd=N); once QEMU is
   * spawned they are closed here */
  const int *fds;
} TestQemuOptions;

#define TEST_QEMU_FD(i) (3 + (i))

/* The binary: $VMSTATE1_QEMU, else qemu-system-x86_64 from PATH. */
char        *test_qemu_find_binary   (void);
/* TRUE if there is one; else the test is skipped (a failure in CI,
 * where the test command installed QEMU). */
gboolean     test_qemu_require       (void);
/* Takes --suite=qemu out of the arguments, before g_test_init(), and
 * says whether it was there: a test program's real-QEMU tests only. */
gboolean     test_qemu_take_suite_arg (int   *argc,
                                       char **argv);

TestQemu    *test_qemu_new           (const TestQemuOptions *options,
                                      GError               **error);
JsonNode    *test_qemu_execute       (TestQemu    *qemu,
                                      const char  *command_json,
                                      GError     **error);
/* Migrates to @uri and waits for the outcome: "completed" or "failed"
 * (with QEMU's error-desc in @error_desc). */
char        *test_qemu_migrate       (TestQemu    *qemu,
                                      const char  *uri,
                                      char       **error_desc,
                                      GError     **error);
/* Waits until an incoming migration completed (TRUE) or QEMU exited
 * (FALSE, as a failed incoming migration makes it do). */
gboolean     test_qemu_wait_incoming (TestQemu    *qemu,
                                      GError     **error);
/* Waits for the process to exit; returns its exit status, or -1. */
int          test_qemu_wait_exit     (TestQemu    *qemu,
                                      guint        timeout_msec);
/* Everything QEMU wrote on stderr so far. */
const char  *test_qemu_get_stderr    (TestQemu    *qemu);
void         test_qemu_free          (TestQemu    *qemu);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestQemu, test_qemu_free)

G_END_DECLS
