/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-version.h"

/**
 * vmstate1_get_major_version:
 *
 * Returns: the major version of the libvmstate1 the program runs with.
 *
 * Since: 0.1
 */
guint
vmstate1_get_major_version (void)
{
  return VMSTATE1_MAJOR_VERSION;
}

/**
 * vmstate1_get_minor_version:
 *
 * Returns: the minor version of the libvmstate1 the program runs with.
 *
 * Since: 0.1
 */
guint
vmstate1_get_minor_version (void)
{
  return VMSTATE1_MINOR_VERSION;
}

/**
 * vmstate1_get_micro_version:
 *
 * Returns: the micro version of the libvmstate1 the program runs with.
 *
 * Since: 0.1
 */
guint
vmstate1_get_micro_version (void)
{
  return VMSTATE1_MICRO_VERSION;
}
