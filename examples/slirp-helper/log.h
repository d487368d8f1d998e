/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the helper's messages go, so that they outlive libvirt's pipe.
 *
 * libvirt reads the helper's stdout and stderr only until the start
 * returns, then closes the pipe: whatever the helper says later (a
 * refused Load, a failure) would be lost, and its first words too, since
 * libvirt does not show them. So every message goes to stderr (ignoring a
 * write that fails: the pipe may be closed) and, unless stderr is a
 * terminal, to the system log as well:
 *
 * - $VMSTATE1_SLIRP_HELPER_LOG_SOCKET, when set: a syslog datagram socket
 *   at that path (RFC 3164 lines, facility daemon);
 * - else the journal, when /run/systemd/journal/socket exists;
 * - else syslog through /dev/log (a datagram socket), when it exists.
 *
 * Debug and info messages follow G_MESSAGES_DEBUG as GLib's default
 * writer does. Nothing here raises SIGPIPE (MSG_NOSIGNAL); stderr writes
 * rely on SIGPIPE being ignored, which main() does first. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SLIRP_HELPER_LOG_SOCKET_ENV "VMSTATE1_SLIRP_HELPER_LOG_SOCKET"

/* Installs the log writer for every domain; @program tags the lines. */
void slirp_helper_log_init    (const char *program);

/* A failure that ends the helper: "PROGRAM: message" on stderr, and at
 * error priority in the system log. Not through g_log(): it is not a
 * programming error, and G_DEBUG=fatal-warnings must not turn it into a
 * crash. */
void slirp_helper_log_failure (const char *format,
                               ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
