/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "slirp-guest.h"

#define ETH_HEADER 14
#define IP_HEADER 20
#define UDP_HEADER 8
#define BOOTP_FIXED 236     /* op .. file, before the options */
#define IP_DATAGRAM 576     /* the least a DHCP client must accept */

#define BOOTP_CLIENT_PORT 68
#define BOOTP_SERVER_PORT 67

static const guint8 dhcp_cookie[4] = { 99, 130, 83, 99 };

static void
put16 (guint8  *p,
       guint16  value)
{
  p[0] = value >> 8;
  p[1] = value & 0xff;
}

static void
put32 (guint8  *p,
       guint32  value)
{
  put16 (p, value >> 16);
  put16 (p + 2, value & 0xffff);
}

static guint16
get16 (const guint8 *p)
{
  return (p[0] << 8) | p[1];
}

static guint32
get32 (const guint8 *p)
{
  return ((guint32) get16 (p) << 16) | get16 (p + 2);
}

static guint16
ip_checksum (const guint8 *header,
             gsize         size)
{
  guint32 sum = 0;

  for (gsize i = 0; i + 1 < size; i += 2)
    sum += get16 (header + i);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/* Ethernet and IPv4 headers for a UDP datagram of @udp_size bytes. */
static guint8 *
ipv4_udp_frame_new (const guint8  mac[6],
                    const guint8  dst_mac[6],
                    const guint8  src[4],
                    const guint8  dst[4],
                    gsize         udp_size,
                    gsize        *frame_size)
{
  guint8 *frame;
  guint8 *ip;

  *frame_size = ETH_HEADER + IP_HEADER + udp_size;
  frame = g_malloc0 (*frame_size);
  ip = frame + ETH_HEADER;
  memcpy (frame, dst_mac, 6);
  memcpy (frame + 6, mac, 6);
  put16 (frame + 12, 0x0800);             /* IPv4 */

  ip[0] = 0x45;                           /* v4, 20-byte header */
  put16 (ip + 2, IP_HEADER + udp_size);
  ip[8] = 64;                             /* TTL */
  ip[9] = 17;                             /* UDP */
  memcpy (ip + 12, src, 4);
  memcpy (ip + 16, dst, 4);
  put16 (ip + 10, ip_checksum (ip, IP_HEADER));
  return frame;
}

GBytes *
test_dhcp_discover_new (const guint8 mac[6],
                        guint32      xid)
{
  static const guint8 broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  gsize size;
  guint8 *frame = ipv4_udp_frame_new (mac, broadcast,
                                      (guint8[]) { 0, 0, 0, 0 },
                                      (guint8[]) { 255, 255, 255, 255 },
                                      IP_DATAGRAM - IP_HEADER, &size);
  guint8 *udp = frame + ETH_HEADER + IP_HEADER;
  guint8 *bootp = udp + UDP_HEADER;
  guint8 *options = bootp + BOOTP_FIXED;

  put16 (udp, BOOTP_CLIENT_PORT);
  put16 (udp + 2, BOOTP_SERVER_PORT);
  put16 (udp + 4, IP_DATAGRAM - IP_HEADER);
  /* A zero UDP checksum means none. */

  bootp[0] = 1;                           /* BOOTREQUEST */
  bootp[1] = 1;                           /* Ethernet */
  bootp[2] = 6;
  put32 (bootp + 4, xid);
  put16 (bootp + 10, 0x8000);             /* answer by broadcast */
  memcpy (bootp + 28, mac, 6);            /* chaddr */

  memcpy (options, dhcp_cookie, sizeof dhcp_cookie);
  options[4] = 53;                        /* message type */
  options[5] = 1;
  options[6] = 1;                         /* DHCPDISCOVER */
  options[7] = 255;                       /* end, then padding */

  return g_bytes_new_take (frame, size);
}

static void
format_address (const guint8 *p,
                char          out[16])
{
  g_snprintf (out, 16, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

gboolean
test_dhcp_parse_reply (const guint8  *frame,
                       gsize          size,
                       const guint8   mac[6],
                       guint32        xid,
                       TestDhcpReply *reply)
{
  const guint8 *ip, *udp, *bootp, *p, *end;
  gsize ihl;

  memset (reply, 0, sizeof *reply);
  if (size < ETH_HEADER + IP_HEADER || get16 (frame + 12) != 0x0800)
    return FALSE;
  ip = frame + ETH_HEADER;
  ihl = (ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || ihl < IP_HEADER || ip[9] != 17
      || size < ETH_HEADER + ihl + UDP_HEADER + BOOTP_FIXED + 4)
    return FALSE;
  udp = ip + ihl;
  if (get16 (udp + 2) != BOOTP_CLIENT_PORT)
    return FALSE;
  bootp = udp + UDP_HEADER;
  if (bootp[0] != 2 || get32 (bootp + 4) != xid
      || memcmp (bootp + 28, mac, 6) != 0)
    return FALSE;

  format_address (bootp + 16, reply->yiaddr);
  format_address (bootp + 20, reply->siaddr);
  p = bootp + BOOTP_FIXED;
  end = frame + size;
  if (memcmp (p, dhcp_cookie, sizeof dhcp_cookie) != 0)
    return TRUE;
  for (p += 4; p < end && *p != 255;)
    {
      guint8 tag = *p++, len;

      if (tag == 0)
        continue;
      if (p >= end || p + 1 + *p > end)
        break;
      len = *p++;
      if (tag == 53 && len >= 1)
        reply->type = p[0];
      else if (len >= 4 && tag == 54)
        format_address (p, reply->server_id);
      else if (len >= 4 && tag == 3)
        format_address (p, reply->router);
      else if (len >= 4 && tag == 6)
        format_address (p, reply->dns);
      else if (len >= 4 && tag == 1)
        format_address (p, reply->netmask);
      p += len;
    }
  return TRUE;
}

guint32
test_dhcp_send_discover (int          fd,
                         const guint8 mac[6])
{
  guint32 xid = g_random_int ();
  g_autoptr(GBytes) frame = test_dhcp_discover_new (mac, xid);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  ssize_t n;

  n = send (fd, data, size, 0);
  if (n != (ssize_t) size)
    g_error ("sending a DHCPDISCOVER: %s", g_strerror (errno));
  return xid;
}

gboolean
test_dhcp_wait_reply (int            fd,
                      const guint8   mac[6],
                      guint32        xid,
                      guint          timeout_msec,
                      TestDhcpReply *reply)
{
  gint64 deadline = g_get_monotonic_time ()
                    + timeout_msec * G_GINT64_CONSTANT (1000);
  guint8 buffer[65536];

  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, left) <= 0)
        return FALSE;
      n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EAGAIN || errno == EINTR)
            continue;
          return FALSE;
        }
      if (test_dhcp_parse_reply (buffer, n, mac, xid, reply))
        return TRUE;
    }
}

char *
test_dhcp_offer (int            fd,
                 const guint8   mac[6],
                 guint          timeout_msec,
                 TestDhcpReply *reply)
{
  TestDhcpReply local;
  guint32 xid;

  if (reply == NULL)
    reply = &local;
  xid = test_dhcp_send_discover (fd, mac);
  if (!test_dhcp_wait_reply (fd, mac, xid, timeout_msec, reply))
    return NULL;
  return g_strdup (reply->yiaddr);
}

static gboolean
parse_address (const char *text,
               guint8      out[4])
{
  return inet_pton (AF_INET, text, out) == 1;
}

GBytes *
test_udp_frame_new (const guint8  mac[6],
                    const char   *src,
                    guint16       sport,
                    const char   *dst,
                    guint16       dport,
                    const void   *payload,
                    gsize         size)
{
  /* libslirp takes frames to any MAC; this is the one it uses. */
  static const guint8 slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
  guint8 src_ip[4], dst_ip[4];
  gsize frame_size;
  guint8 *frame, *udp;

  g_assert_true (parse_address (src, src_ip));
  g_assert_true (parse_address (dst, dst_ip));
  frame = ipv4_udp_frame_new (mac, slirp_mac, src_ip, dst_ip,
                              UDP_HEADER + size, &frame_size);
  udp = frame + ETH_HEADER + IP_HEADER;
  put16 (udp, sport);
  put16 (udp + 2, dport);
  put16 (udp + 4, UDP_HEADER + size);
  memcpy (udp + UDP_HEADER, payload, size);
  return g_bytes_new_take (frame, frame_size);
}

GBytes *
test_udp_wait (int       fd,
               guint16   dport,
               guint     timeout_msec,
               char      src[16],
               guint16  *sport)
{
  gint64 deadline = g_get_monotonic_time ()
                    + timeout_msec * G_GINT64_CONSTANT (1000);
  guint8 buffer[65536];

  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      const guint8 *ip, *udp;
      gsize ihl, udp_len;
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, left) <= 0)
        return NULL;
      n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < ETH_HEADER + IP_HEADER + UDP_HEADER
          || get16 (buffer + 12) != 0x0800)
        continue;
      ip = buffer + ETH_HEADER;
      ihl = (ip[0] & 0x0f) * 4;
      if (ip[9] != 17 || (gsize) n < ETH_HEADER + ihl + UDP_HEADER)
        continue;
      udp = ip + ihl;
      udp_len = get16 (udp + 4);
      if (get16 (udp + 2) != dport || udp_len < UDP_HEADER
          || (gsize) n < ETH_HEADER + ihl + udp_len)
        continue;
      format_address (ip + 12, src);
      *sport = get16 (udp);
      return g_bytes_new (udp + UDP_HEADER, udp_len - UDP_HEADER);
    }
}
