/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slirp-side.h"

gboolean
test_slirp_side_start (TestSlirpSide  *side,
                       const char     *helper_id,
                       const char     *incoming_uri,
                       GError        **error)
{
  const char *helper_args[] = { incoming_uri ? "--dbus-incoming" : NULL, NULL };
  g_autofree char *helper_netdev = NULL;
  g_autofree char *guest_netdev = NULL;
  int guest[2];
  int fds[3];

  side->bus = test_bus_new (NULL, error);
  if (side->bus == NULL)
    return FALSE;
  side->helper = test_slirp_start (NULL, test_bus_get_address (side->bus),
                                   helper_id, helper_args, error);
  if (side->helper == NULL)
    return FALSE;
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, guest) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "socketpair: %s", g_strerror (errno));
      return FALSE;
    }
  side->guest_fd = guest[0];

  /* As libvirt: the helper's peer as -netdev socket,fd=; the guest as
   * the other netdev QEMU 7.2 takes an fd with. */
  fds[0] = test_slirp_steal_peer_fd (side->helper);
  fds[1] = guest[1];
  fds[2] = -1;
  helper_netdev = g_strdup_printf ("socket,id=slirp,fd=%d", TEST_QEMU_FD (0));
  guest_netdev = g_strdup_printf ("dgram,id=guest,local.type=fd,local.str=%d",
                                  TEST_QEMU_FD (1));
  {
    const char *extra[] = {
      "-netdev", helper_netdev,
      "-netdev", guest_netdev,
      "-netdev", "hubport,id=p0,hubid=0,netdev=slirp",
      "-netdev", "hubport,id=p1,hubid=0,netdev=guest",
      NULL
    };
    TestQemuOptions options = {
      .bus_address = test_bus_get_address (side->bus),
      .incoming = incoming_uri,
      .extra_args = extra,
      .fds = fds,
    };

    side->qemu = test_qemu_new (&options, error);
  }
  return side->qemu != NULL;
}

void
test_slirp_side_clear (TestSlirpSide *side)
{
  g_clear_pointer (&side->qemu, test_qemu_free);
  g_clear_pointer (&side->helper, test_slirp_free);
  g_clear_pointer (&side->bus, test_bus_free);
  if (side->guest_fd >= 0)
    close (side->guest_fd);
  side->guest_fd = -1;
}
