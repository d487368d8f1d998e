/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wire to the guest's NIC: a datagram socket carrying one Ethernet
 * frame per datagram, with no header, as QEMU's -netdev socket and
 * -netdev dgram speak it.
 *
 * - from --fd: a connected socket (libvirt's end of a socketpair). When
 *   the other end goes away the link reports itself closed: a datagram
 *   socket learns it on the next send (ECONNREFUSED), a seqpacket one at
 *   once (hang-up).
 * - from --socket-path: the helper binds PATH and answers whoever sent it
 *   the last datagram, as QEMU's
 *   -netdev dgram,remote.type=unix,remote.path=PATH,local.type=unix,...
 *   expects; frames for a peer that is not there are dropped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*SlirpHelperFrameFunc)  (const guint8 *frame,
                                       gsize         size,
                                       gpointer      user_data);
/* Called once, from the main loop, when the peer is gone. */
typedef void (*SlirpHelperClosedFunc) (const char   *reason,
                                       gpointer      user_data);

typedef struct _SlirpHelperLink SlirpHelperLink;

SlirpHelperLink *slirp_helper_link_new_fd     (int                    fd,
                                               SlirpHelperFrameFunc   frame,
                                               SlirpHelperClosedFunc  closed,
                                               gpointer               user_data,
                                               GError               **error);
SlirpHelperLink *slirp_helper_link_new_path   (const char            *path,
                                               SlirpHelperFrameFunc   frame,
                                               SlirpHelperClosedFunc  closed,
                                               gpointer               user_data,
                                               GError               **error);
/* Starts reading frames; until then they wait in the socket. */
void             slirp_helper_link_start      (SlirpHelperLink       *link);
gboolean         slirp_helper_link_is_started (SlirpHelperLink       *link);
/* Returns the bytes sent, or 0 when the frame was dropped. */
gssize           slirp_helper_link_send       (SlirpHelperLink       *link,
                                               const void            *frame,
                                               gsize                  size);
void             slirp_helper_link_free       (SlirpHelperLink       *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlirpHelperLink, slirp_helper_link_free)

G_END_DECLS
