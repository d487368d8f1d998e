/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vmstate1-error.h"

G_BEGIN_DECLS

/* The one place where a failed D-Bus call, made by either side of the
 * library, becomes the GError its caller reads: which Id and which peer,
 * what went wrong in words, and a code that keeps its meaning (a timeout
 * is VMSTATE1_ERROR_TIMED_OUT, a closed bus stays G_IO_ERROR_CLOSED and
 * is never blamed on the helper, a helper's own VMSTATE1_ERROR keeps its
 * code). Text from the peer is escaped. */
typedef struct
{
  const char    *id;            /* nullable: the Id concerned */
  const char    *peer;          /* the unique name called, or NULL for the bus */
  const char    *what;          /* "Save", "Load", "reading the Id", ... */
  int            timeout_msec;
  Vmstate1Error  fallback;      /* the code of a failure with no better one */
} Vmstate1CallContext;

GError *_vmstate1_call_error (const Vmstate1CallContext *context,
                              const GError              *error);

/* Whether @error means the peer or the bus did not answer in time. */
gboolean _vmstate1_error_is_timeout (const GError *error);

G_END_DECLS
