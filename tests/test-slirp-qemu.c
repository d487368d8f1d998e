/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* examples/slirp-helper behind a real QEMU, as libvirt wires it: the
 * helper's socket is a -netdev socket, the test plays the guest on a
 * -netdev dgram, both on one hub. QEMU migrates to a file and a second
 * QEMU comes in from it; the DHCP lease survives. */
#include <glib/gstdio.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-qemu.h"
#include "slirp-guest.h"
#include "slirp-process.h"
#include "slirp-side.h"

#define REPLY_TIMEOUT_MSEC 5000
#define HELPER_ID "slirp-52:54:00:12:34:0a"

static const guint8 mac_a[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x0a };
static const guint8 mac_b[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x0b };

static void
assert_offer (TestSlirpSide *side,
              const guint8  mac[6],
              const char   *expected)
{
  g_autofree char *offered = test_dhcp_offer (side->guest_fd, mac,
                                              REPLY_TIMEOUT_MSEC, NULL);

  g_assert_cmpstr (offered, ==, expected);
}

static void
test_lease_survives (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  g_autofree char *save_uri = NULL;
  g_autofree char *load_uri = NULL;
  g_autofree char *status = NULL;
  g_autofree char *error_desc = NULL;
  TestSlirpSide src = TEST_SLIRP_SIDE_INIT;
  TestSlirpSide dst = TEST_SLIRP_SIDE_INIT;

  if (!test_qemu_require ())
    return;
  dir = g_dir_make_tmp ("vmstate1-slirp-qemu-XXXXXX", &error);
  g_assert_no_error (error);
  file = g_build_filename (dir, "migration.bin", NULL);
  save_uri = g_strdup_printf ("exec:cat > %s", file);
  load_uri = g_strdup_printf ("exec:cat %s", file);

  /* The guest, through QEMU, leases an address from the helper. */
  g_assert_true (test_slirp_side_start (&src, HELPER_ID, NULL, &error));
  g_assert_no_error (error);
  assert_offer (&src, mac_a, "10.0.2.15");

  status = test_qemu_migrate (src.qemu, save_uri, &error_desc, &error);
  g_assert_no_error (error);
  if (g_strcmp0 (status, "completed") != 0)
    g_error ("migration %s: %s\n%s", status, error_desc,
             test_qemu_get_stderr (src.qemu));

  /* QEMU's Load restores the leases, and only then does the helper
   * serve the destination's guest. */
  g_assert_true (test_slirp_side_start (&dst, HELPER_ID, load_uri, &error));
  g_assert_no_error (error);
  g_assert_true (test_qemu_wait_incoming (dst.qemu, &error));
  g_assert_no_error (error);
  assert_offer (&dst, mac_b, "10.0.2.16");
  assert_offer (&dst, mac_a, "10.0.2.15");
  if (g_test_verbose ())
    g_printerr ("# MAC A kept 10.0.2.15 across the migration; MAC B got "
                "10.0.2.16\n");

  g_assert_cmpint (test_slirp_terminate (dst.helper), ==, 0);
  test_slirp_side_clear (&dst);
  test_slirp_side_clear (&src);
  g_unlink (file);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmstate1/slirp-qemu/lease-survives", test_lease_survives);

  return g_test_run ();
}
