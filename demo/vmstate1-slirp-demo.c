/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The second demonstration: network state migrated through a real QEMU.
 *
 * On each side a private bus, vmstate1-slirp-helper wired to QEMU as
 * libvirt wires it (-netdev socket,fd=), and a "guest" NIC played by this
 * program on a -netdev dgram on the same hub. The guest leases an address
 * by DHCP on the source; after migration the lease is still the guest's,
 * and a second machine gets the next address, not the same one. */
#include <glib/gstdio.h>
#include <stdio.h>

#include "harness/test-bus.h"
#include "harness/test-qemu.h"
#include "slirp-guest.h"
#include "slirp-process.h"
#include "slirp-side.h"

#define HELPER_ID "slirp-52:54:00:12:34:0a"
#define REPLY_MSEC 5000

static const guint8 mac_a[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x0a };
static const guint8 mac_b[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x0b };

/* Asks for a lease from @mac and says what came back. */
static char *
ask_lease (TestSlirpSide *side,
           const char   *who,
           const guint8  mac[6])
{
  TestDhcpReply reply = { 0 };
  char *offered = test_dhcp_offer (side->guest_fd, mac, REPLY_MSEC, &reply);

  g_print ("   %s (MAC %02x:%02x:%02x:%02x:%02x:%02x) DHCPDISCOVER -> ", who,
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  if (offered == NULL)
    g_print ("no answer\n");
  else
    g_print ("OFFER %s from %s\n", offered, reply.server_id);
  return offered;
}

static int
fail (const char   *what,
      const GError *error)
{
  g_printerr ("\nDEMO FAILED: %s%s%s\n", what, error ? ": " : "",
              error ? error->message : "");
  return 1;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  g_autofree char *save_uri = NULL;
  g_autofree char *load_uri = NULL;
  g_autofree char *status = NULL;
  g_autofree char *error_desc = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *again = NULL;
  TestSlirpSide src = TEST_SLIRP_SIDE_INIT, dst = TEST_SLIRP_SIDE_INIT;
  int result = 1;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc < 2)
    {
      g_printerr ("usage: %s PATH-TO-vmstate1-slirp-helper\n", argv[0]);
      return 2;
    }
  g_setenv ("VMSTATE1_SLIRP_HELPER", argv[1], TRUE);

  g_print ("== libvmstate1 demo: user-mode network state migrated by QEMU\n");
  g_print ("   vmstate1-slirp-helper (libslirp) as libvirt runs it: "
           "-netdev socket,fd=N,\n   the guest's NIC played by this program "
           "on the same QEMU hub\n\n");

  dir = g_dir_make_tmp ("vmstate1-slirp-demo-XXXXXX", &error);
  if (dir == NULL)
    return fail ("cannot make a temporary directory", error);
  file = g_build_filename (dir, "migration.bin", NULL);
  save_uri = g_strdup_printf ("exec:cat > %s", file);
  load_uri = g_strdup_printf ("exec:cat %s", file);

  g_print ("1. Source: bus, slirp helper (Id '%s'), QEMU\n", HELPER_ID);
  if (!test_slirp_side_start (&src, HELPER_ID, NULL, &error))
    {
      result = fail ("cannot start the source side", error);
      goto out;
    }
  first = ask_lease (&src, "guest A", mac_a);
  if (g_strcmp0 (first, "10.0.2.15") != 0)
    {
      result = fail ("guest A did not get 10.0.2.15", NULL);
      goto out;
    }

  g_print ("\n2. Source QEMU migrates (the helper's Save: libslirp's DHCP "
           "leases and IP id)\n");
  status = test_qemu_migrate (src.qemu, save_uri, &error_desc, &error);
  if (g_strcmp0 (status, "completed") != 0)
    {
      result = fail ("the source migration failed", error);
      goto out;
    }
  g_print ("   source QEMU: migration completed\n");

  g_print ("\n3. Destination: a new bus, a new slirp helper with "
           "--dbus-incoming, QEMU -incoming\n");
  if (!test_slirp_side_start (&dst, HELPER_ID, load_uri, &error)
      || !test_qemu_wait_incoming (dst.qemu, &error))
    {
      result = fail ("the destination migration failed", error);
      goto out;
    }
  g_print ("   destination QEMU: incoming migration completed\n");
  second = ask_lease (&dst, "guest B", mac_b);
  again = ask_lease (&dst, "guest A", mac_a);

  g_print ("\n");
  if (g_strcmp0 (second, "10.0.2.16") != 0
      || g_strcmp0 (again, "10.0.2.15") != 0)
    {
      result = fail ("the leases did not survive the migration", NULL);
      goto out;
    }
  g_print ("OK: guest A kept 10.0.2.15 across the migration, and guest B got "
           "the next address,\n10.0.2.16 (a helper that lost its state would "
           "have offered it 10.0.2.15).\n");
  result = 0;

out:
  test_slirp_side_clear (&dst);
  test_slirp_side_clear (&src);
  g_unlink (file);
  g_rmdir (dir);
  return result;
}
