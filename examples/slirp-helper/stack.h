/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One libslirp instance with everything libslirp asks of its host: the
 * callbacks, its timers, and its sockets watched in the thread-default
 * main context. Instances are independent, so that a Load can fill a
 * fresh one and replace the running one only once it succeeded. */
#pragma once

#include <glib.h>
#include <libslirp.h>

#include "slirp-helper/net.h"

G_BEGIN_DECLS

/* Sends one Ethernet frame to the guest; returns what send_packet
 * returns to libslirp (never negative: libslirp logs a critical then). */
typedef gssize (*SlirpHelperOutputFunc) (const void *frame,
                                         gsize       size,
                                         gpointer    user_data);

typedef struct _SlirpHelperStack SlirpHelperStack;

SlirpHelperStack *slirp_helper_stack_new       (const SlirpHelperNet *net,
                                                SlirpHelperOutputFunc output,
                                                gpointer              data,
                                                GError              **error);
Slirp            *slirp_helper_stack_get_slirp (SlirpHelperStack     *stack);
void              slirp_helper_stack_input     (SlirpHelperStack     *stack,
                                                const void           *frame,
                                                gsize                 size);
void              slirp_helper_stack_free      (SlirpHelperStack     *stack);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlirpHelperStack, slirp_helper_stack_free)

G_END_DECLS
