/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A GSource that runs one libslirp instance in a GLib main loop: before
 * each poll it asks libslirp which sockets to watch and how long it may
 * sleep (slirp_pollfds_fill); when a socket is ready or that time has
 * passed it lets libslirp handle them and its TCP timers
 * (slirp_pollfds_poll). */
#pragma once

#include <glib.h>
#include <libslirp.h>

G_BEGIN_DECLS

GSource *slirp_helper_source_new (Slirp *slirp);

G_END_DECLS
