/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Logs with g_log_structured_array() and the fields VMSTATE1_ID,
 * VMSTATE1_METHOD, VMSTATE1_CALLER, VMSTATE1_BYTES and VMSTATE1_USEC
 * (each only when known: NULL or -1 leaves it out), so that under systemd
 * `journalctl VMSTATE1_ID=...` finds one helper's story. The message
 * starts with "Id '...': " when @id is given and the text does not
 * already; @id is escaped, the rest is the caller's to escape.
 *
 * What a peer can cause (a refused caller, a Load its function rejects)
 * is logged at G_LOG_LEVEL_INFO: never a warning, which
 * G_DEBUG=fatal-warnings would turn into a crash, and not on stderr by
 * default, so no peer can flood the log. */
void     _vmstate1_log (GLogLevelFlags  level,
                        const char     *id,
                        const char     *method,
                        const char     *caller,
                        gssize          bytes,
                        gint64          usec,
                        const char     *format,
                        ...) G_GNUC_PRINTF (7, 8);

/* Whether a message at @level would be dropped anyway: skip formatting
 * per-call debug output in the fast path. */
gboolean _vmstate1_log_would_drop (GLogLevelFlags level);

G_END_DECLS
