/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vmstate1-interface.h"

G_BEGIN_DECLS

/* How long the library waits for one bus call of its own (RequestName,
 * reading another helper's Id) before it names the peer that did not
 * answer: far less than D-Bus's 25 s default, which QEMU uses. */
#define VMSTATE1_BUS_CALL_TIMEOUT_MSEC VMSTATE1_DEFAULT_TIMEOUT_MSEC

GDBusInterfaceInfo *_vmstate1_interface_info (void);

/* Rules for an Id: a helper's own Id may not contain ',' (QEMU's id-list
 * could never name it), an Id read from the wire or from another helper
 * may. */
typedef enum {
  VMSTATE1_ID_RULES_WIRE,
  VMSTATE1_ID_RULES_HELPER,
} Vmstate1IdRules;

gboolean _vmstate1_id_check (const char      *id,
                             gsize            len,
                             Vmstate1IdRules  rules,
                             GError         **error);

/* Text from a peer, a guest or a file with control characters and
 * non-UTF-8 bytes written as \xNN: safe for a terminal and a log. */
char    *_vmstate1_escape     (const char *text);
char    *_vmstate1_escape_len (const char *text,
                               gssize      len);

G_END_DECLS
