/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One side of a migration with the slirp helper, wired as libvirt wires
 * it: a private bus, the helper, and a QEMU that has the helper's socket
 * as -netdev socket,fd= and a "guest" NIC (our socket) as -netdev dgram on
 * the same hub. Shared by the QEMU test and the demo. */
#pragma once

#include "harness/test-bus.h"
#include "harness/test-qemu.h"
#include "slirp-process.h"

G_BEGIN_DECLS

typedef struct
{
  TestBus *bus;
  TestSlirp *helper;
  TestQemu *qemu;
  int guest_fd;  /* our end: the guest's NIC */
} TestSlirpSide;

#define TEST_SLIRP_SIDE_INIT { NULL, NULL, NULL, -1 }

/* With @incoming_uri, the helper waits with --dbus-incoming and QEMU
 * loads from the URI. */
gboolean test_slirp_side_start (TestSlirpSide  *side,
                                const char     *helper_id,
                                const char     *incoming_uri,
                                GError        **error);
void     test_slirp_side_clear (TestSlirpSide  *side);

G_END_DECLS
