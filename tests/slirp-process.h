/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A slirp helper process (ours, or Debian's Rust libslirp-helper) on one
 * end of a socketpair(AF_UNIX, SOCK_DGRAM), as libvirt starts it, and
 * direct Save and Load calls to it on its bus. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;   /* ours only: its stdout */
  GDBusConnection *bus;    /* with a bus: the test's connection to it */
  int peer_fd;             /* the other end of the helper's socket */
} TestSlirp;

/* $VMSTATE1_SLIRP_HELPER, built here. */
const char *test_slirp_helper_path      (void);
/* Debian's Rust helper, or NULL when it is not installed. */
char       *test_slirp_find_rust_helper (void);

/* Starts @binary (NULL: ours) with --fd and, with @bus_address, the
 * D-Bus options and Id @id; @args are more options. Returns once the
 * helper is ready, with its Id in the bus's queue. */
TestSlirp  *test_slirp_start            (const char          *binary,
                                         const char          *bus_address,
                                         const char          *id,
                                         const char * const  *args,
                                         GError             **error);
/* The other end of the helper's socket, for the test or for QEMU. */
int         test_slirp_steal_peer_fd    (TestSlirp           *slirp);

/* org.qemu.VMState1.Save and Load on the helper's bus, where it is the
 * only helper. */
GBytes     *test_slirp_save             (TestSlirp           *slirp,
                                         GError             **error);
gboolean    test_slirp_load             (TestSlirp           *slirp,
                                         GBytes              *state,
                                         GError             **error);

gboolean    test_slirp_is_running       (TestSlirp           *slirp);
/* Waits for the exit; returns its status, 128 + signal, or -1 on timeout. */
int         test_slirp_wait_exit        (TestSlirp           *slirp,
                                         guint                timeout_msec);
/* SIGTERM, then waits: returns the exit status as above. */
int         test_slirp_terminate        (TestSlirp           *slirp);
void        test_slirp_free             (TestSlirp           *slirp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestSlirp, test_slirp_free)

G_END_DECLS
