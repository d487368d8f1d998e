/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test plays a guest's NIC on a datagram socket, one Ethernet frame
 * per datagram: it asks for a DHCP lease and reads the answer. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 type;        /* option 53: 2 OFFER, 5 ACK, 6 NAK */
  char yiaddr[16];    /* dotted quads */
  char siaddr[16];
  char server_id[16]; /* option 54 */
  char router[16];    /* option 3 */
  char dns[16];       /* option 6 */
  char netmask[16];   /* option 1 */
} TestDhcpReply;

#define TEST_DHCP_OFFER 2

/* A DHCPDISCOVER from @mac, broadcast, padded to the 576-byte IP
 * datagram libslirp insists on. */
GBytes   *test_dhcp_discover_new  (const guint8  mac[6],
                                   guint32       xid);
/* Parses a DHCP reply to (@mac, @xid); FALSE for any other frame. */
gboolean  test_dhcp_parse_reply   (const guint8  *frame,
                                   gsize          size,
                                   const guint8   mac[6],
                                   guint32        xid,
                                   TestDhcpReply *reply);

/* Sends a DISCOVER on @fd and returns its xid. */
guint32   test_dhcp_send_discover (int            fd,
                                   const guint8   mac[6]);
/* Reads frames from @fd until the reply to (@mac, @xid) or the timeout;
 * other frames are skipped. */
gboolean  test_dhcp_wait_reply    (int            fd,
                                   const guint8   mac[6],
                                   guint32        xid,
                                   guint          timeout_msec,
                                   TestDhcpReply *reply);
/* Both: the address offered to @mac, or NULL after @timeout_msec. */
char     *test_dhcp_offer         (int            fd,
                                   const guint8   mac[6],
                                   guint          timeout_msec,
                                   TestDhcpReply *reply);

/* A UDP datagram from the guest, @src:@sport to @dst:@dport. */
GBytes   *test_udp_frame_new      (const guint8   mac[6],
                                   const char    *src,
                                   guint16        sport,
                                   const char    *dst,
                                   guint16        dport,
                                   const void    *payload,
                                   gsize          size);
/* Reads frames from @fd until a UDP datagram to port @dport, or the
 * timeout; returns its payload and fills @src and @sport. */
GBytes   *test_udp_wait           (int            fd,
                                   guint16        dport,
                                   guint          timeout_msec,
                                   char           src[16],
                                   guint16       *sport);

G_END_DECLS
