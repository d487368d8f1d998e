/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vmstate1.h>

G_BEGIN_DECLS

/* The state behind a test helper: what Save returns, what Load got, and
 * how often each ran. */
typedef struct
{
  GBytes *state;           /* what Save returns */
  GBytes *loaded;          /* what the last Load got */
  guint saves;
  guint loads;
  GError *fail_with;       /* returned by Save and Load when set */
  gboolean fail_silently;  /* fail without a GError, like a binding */
  gboolean *freed;         /* set when the recorder is freed */
} TestRecorder;

TestRecorder   *test_recorder_new       (GBytes       *state);
TestRecorder   *test_recorder_new_text  (const char   *text);
void            test_recorder_free      (gpointer      recorder);

/* The handlers, for vmstate1_register() and set_handlers(). */
GBytes         *test_recorder_save      (gpointer      recorder,
                                         GError      **error);
gboolean        test_recorder_load      (GBytes       *data,
                                         gpointer      recorder,
                                         GError      **error);

/* A helper with its own connection to @address, as one helper process
 * would have, exported with @recorder's handlers (the helper owns it). */
Vmstate1Helper *test_recorder_start     (const char   *address,
                                         const char   *id,
                                         TestRecorder *recorder);
/* Unexports, drops the helper and closes its connection. */
void            test_recorder_stop      (Vmstate1Helper *helper);

GBytes         *test_random_bytes       (gsize         size);

G_END_DECLS
