/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The migrated state: a 4-byte big-endian slirp_state_version(), then the
 * bytes of slirp_state_save(). Debian's Rust libslirp-helper writes and
 * reads the same, so the two helpers migrate to each other. */
#pragma once

#include <glib.h>
#include <libslirp.h>

G_BEGIN_DECLS

#define SLIRP_HELPER_STATE_HEADER_SIZE 4

GBytes   *slirp_helper_state_save (Slirp    *slirp);

/* Loads @data into @slirp, strictly: a newer version, a truncated state
 * and trailing bytes are errors (libslirp itself notices none of them).
 * On error @slirp holds a partial state: load into a fresh instance. */
gboolean  slirp_helper_state_load (Slirp    *slirp,
                                   GBytes   *data,
                                   GError  **error);

G_END_DECLS
