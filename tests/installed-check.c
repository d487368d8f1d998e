/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Built against the installed libvmstate1.pc only, by test-installed.sh. */
#include <vmstate1.h>

#if !VMSTATE1_CHECK_VERSION (0, 1, 0)
#error "the installed headers are older than 0.1.0"
#endif

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Vmstate1Helper) helper = NULL;

  if (vmstate1_get_major_version () != VMSTATE1_MAJOR_VERSION
      || vmstate1_get_minor_version () != VMSTATE1_MINOR_VERSION)
    g_error ("headers %s, library %u.%u", VMSTATE1_VERSION_S,
             vmstate1_get_major_version (), vmstate1_get_minor_version ());
  helper = vmstate1_helper_new ("installed", &error);
  g_assert_no_error (error);
  g_assert_false (vmstate1_id_validate ("a,b", &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  g_print ("libvmstate1 %u.%u.%u from the installed tree works\n",
           vmstate1_get_major_version (), vmstate1_get_minor_version (),
           vmstate1_get_micro_version ());
  return 0;
}
