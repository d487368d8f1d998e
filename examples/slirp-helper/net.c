/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <string.h>

#include "slirp-helper/net.h"

/* libslirp's DHCP server hands out this many leases from dhcp_start. */
#define DHCP_LEASES 16

/* QEMU puts the special addresses at these offsets, kept only where the
 * netmask leaves host bits: 10.0.2.2 in 10.0.0.0/8 as in 10.0.2.0/24. */
#define HOST_OFFSET 0x0202
#define DNS_OFFSET 0x0203
#define DHCP_OFFSET 0x020f

/* Splits "ADDR[/P]" into its address and prefix length. */
static gboolean
split_cidr (const char  *option,
            const char  *text,
            guint        default_len,
            guint        min_len,
            guint        max_len,
            char       **address,
            guint       *prefix_len,
            GError     **error)
{
  const char *slash = strchr (text, '/');
  guint64 len = default_len;

  if (slash != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      if (!g_ascii_string_to_unsigned (slash + 1, 10, min_len, max_len, &len,
                                       &local_error))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "%s=%s: the prefix length must be a number from %u "
                       "to %u", option, text, min_len, max_len);
          return FALSE;
        }
    }
  *address = slash ? g_strndup (text, slash - text) : g_strdup (text);
  *prefix_len = len;
  return TRUE;
}

void
slirp_helper_net_init (SlirpHelperNet *net)
{
  memset (net, 0, sizeof *net);
  net->ipv6 = TRUE;
  /* Defaults are valid: these cannot fail. */
  slirp_helper_net_set_ipv4 (net, "10.0.2.0/24", NULL);
  slirp_helper_net_set_ipv6 (net, "fec0::/64", NULL);
}

static gboolean
in_network (guint32 address,
            guint32 network,
            guint32 mask)
{
  guint32 broadcast = network | ~mask;

  return (address & mask) == network && address != network
         && address != broadcast;
}

gboolean
slirp_helper_net_set_ipv4 (SlirpHelperNet  *net,
                           const char      *text,
                           GError         **error)
{
  g_autofree char *address = NULL;
  struct in_addr parsed;
  guint prefix_len;
  guint32 mask, network, host, dns, dhcp;

  /* QEMU takes 4 to 32; below 4 the offsets above make no sense. */
  if (!split_cidr ("--net", text, 24, 4, 32, &address, &prefix_len, error))
    return FALSE;
  if (inet_pton (AF_INET, address, &parsed) != 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--net=%s: '%s' is not an IPv4 address (A.B.C.D)", text,
                   address);
      return FALSE;
    }

  mask = prefix_len == 32 ? 0xffffffff : ~(0xffffffffu >> prefix_len);
  network = ntohl (parsed.s_addr) & mask;
  host = network | (HOST_OFFSET & ~mask);
  dns = network | (DNS_OFFSET & ~mask);
  dhcp = network | (DHCP_OFFSET & ~mask);
  if (!in_network (host, network, mask) || !in_network (dns, network, mask)
      || !in_network (dhcp, network, mask)
      || !in_network (dhcp + DHCP_LEASES - 1, network, mask)
      || host == dns || host == dhcp || dns == dhcp)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--net=%s: a /%u network has no room for the host, the "
                   "DNS server and %d DHCP leases (use a prefix of 27 or "
                   "less)", text, prefix_len, DHCP_LEASES);
      return FALSE;
    }

  net->network.s_addr = htonl (network);
  net->netmask.s_addr = htonl (mask);
  net->host.s_addr = htonl (host);
  net->dns.s_addr = htonl (dns);
  net->dhcp_start.s_addr = htonl (dhcp);
  net->prefix_len = prefix_len;
  return TRUE;
}

gboolean
slirp_helper_net_set_ipv6 (SlirpHelperNet  *net,
                           const char      *text,
                           GError         **error)
{
  g_autofree char *address = NULL;
  struct in6_addr parsed;
  guint prefix_len;

  /* As QEMU: the host and DNS addresses need two bits of host part. */
  if (!split_cidr ("--net6", text, 64, 0, 126, &address, &prefix_len, error))
    return FALSE;
  if (inet_pton (AF_INET6, address, &parsed) != 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--net6=%s: '%s' is not an IPv6 address", text, address);
      return FALSE;
    }

  /* Keep only the prefix, so that prefix::2 is in it. */
  for (guint i = 0; i < 16; i++)
    {
      guint bits = prefix_len > i * 8 ? MIN (prefix_len - i * 8, 8) : 0;

      parsed.s6_addr[i] &= (guint8) (0xff00 >> bits);
    }

  net->prefix6 = parsed;
  net->prefix6_len = prefix_len;
  net->host6 = parsed;
  net->host6.s6_addr[15] |= 2;
  net->dns6 = parsed;
  net->dns6.s6_addr[15] |= 3;
  return TRUE;
}
