/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest network's addresses, derived from --net and --net6 the way
 * QEMU's -netdev user derives them, so a guest sees the same addresses
 * whether QEMU or this helper runs libslirp. */
#pragma once

#include <glib.h>
#include <netinet/in.h>

G_BEGIN_DECLS

typedef struct
{
  struct in_addr network;
  struct in_addr netmask;
  struct in_addr host;        /* the gateway: .2 in a /24 */
  struct in_addr dns;         /* .3 */
  struct in_addr dhcp_start;  /* the first of 16 leases: .15 */
  guint prefix_len;

  gboolean ipv6;
  struct in6_addr prefix6;
  struct in6_addr host6;      /* prefix::2 */
  struct in6_addr dns6;       /* prefix::3 */
  guint prefix6_len;
} SlirpHelperNet;

/* libvirt's defaults, which are QEMU's: 10.0.2.0/24 and fec0::/64. */
void     slirp_helper_net_init       (SlirpHelperNet  *net);
/* "A.B.C.D[/P]", P defaulting to 24. */
gboolean slirp_helper_net_set_ipv4   (SlirpHelperNet  *net,
                                      const char      *text,
                                      GError         **error);
/* "ADDR[/P]", P defaulting to 64. */
gboolean slirp_helper_net_set_ipv6   (SlirpHelperNet  *net,
                                      const char      *text,
                                      GError         **error);

G_END_DECLS
