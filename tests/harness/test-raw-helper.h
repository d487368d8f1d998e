/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A helper written with bare GDBus, to be what libvmstate1 would refuse
 * to export or what a hostile or broken peer does: an object registered
 * by hand on /org/qemu/VMState1, queued for org.qemu.VMState1 as QEMU's
 * helpers are. Load always succeeds, keeping what it got for the next
 * Save. */
typedef enum
{
  TEST_RAW_ID_STRING,      /* the Id as given ("" for NULL) */
  TEST_RAW_ID_FAILS,       /* reading the Id fails */
  TEST_RAW_ID_WRONG_TYPE,  /* an int32 Id */
  TEST_RAW_ID_NO_OBJECT,   /* queued, nothing exported */
  TEST_RAW_ID_SILENT,      /* never answers anything */
} TestRawIdMode;

typedef enum
{
  TEST_RAW_SAVE_DATA,      /* the state, after save_delay_msec */
  TEST_RAW_SAVE_ERROR,     /* fails with error_name and save_error */
  TEST_RAW_SAVE_SILENT,    /* never answers */
  TEST_RAW_SAVE_VANISH,    /* leaves the bus unanswered, as a crash would */
} TestRawSaveMode;

typedef struct
{
  TestRawIdMode id_mode;
  const char *id;
  TestRawSaveMode save_mode;
  GBytes *state;            /* nullable: save_size bytes of 0x5a */
  gsize save_size;
  guint save_delay_msec;
  const char *error_name;   /* nullable: org.example.Raw.Error */
  const char *save_error;   /* nullable: "it failed" */
} TestRawSpec;

typedef struct _TestRawHelper TestRawHelper;

/* In a thread of its own, for tests whose main thread blocks (on a tool
 * it runs, say) while the helper answers. */
TestRawHelper   *test_raw_helper_start           (const char        *address,
                                                  const TestRawSpec *spec);
/* On the thread-default main context: it answers while the test
 * iterates it, and only then. */
TestRawHelper   *test_raw_helper_start_here      (const char        *address,
                                                  const TestRawSpec *spec);
void             test_raw_helper_stop            (TestRawHelper     *helper);

const char      *test_raw_helper_get_unique_name (TestRawHelper     *helper);
GDBusConnection *test_raw_helper_get_connection  (TestRawHelper     *helper);
guint            test_raw_helper_get_saves       (TestRawHelper     *helper);
guint            test_raw_helper_get_loads       (TestRawHelper     *helper);
/* Waits at most @msec for a Save to reach the helper. */
gboolean         test_raw_helper_wait_save       (TestRawHelper     *helper,
                                                  guint              msec);
/* A new Id, announced with PropertiesChanged as the D-Bus specification
 * asks of a property that changes; the bus has routed the signal once
 * this returns. */
void             test_raw_helper_set_id          (TestRawHelper     *helper,
                                                  const char        *id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRawHelper, test_raw_helper_stop)

G_END_DECLS
