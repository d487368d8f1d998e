/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-version.h"

/**
 * vmstate1_get_major_version:
 *
 * The major version of the library the program runs with, which may be
 * newer than %VMSTATE1_MAJOR_VERSION, the one it was built against.
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
 * The minor version of the library the program runs with, which may be
 * newer than %VMSTATE1_MINOR_VERSION, the one it was built against.
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
 * The micro version of the library the program runs with, which may be
 * newer than %VMSTATE1_MICRO_VERSION, the one it was built against.
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
