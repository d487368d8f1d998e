/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "vmstate1-error.h"

/**
 * SECTION:vmstate1-error
 * @title: Errors
 * @short_description: the error domain, and how errors cross the bus
 *
 * Every libvmstate1 function that can fail reports a #GError. Errors of
 * the %VMSTATE1_ERROR domain have D-Bus names under
 * `org.libvmstate1.Error.` (this project's own namespace: QEMU reserves
 * `org.qemu.` for itself), so a failure in a helper reaches QEMU's log, a
 * management tool or another GLib program with its name and its message,
 * and the message says which Id failed and why. #Vmstate1Error has a
 * registered enum type, `VMSTATE1_TYPE_ERROR`.
 *
 * Failures that are not about a helper keep their own domain and code,
 * with context added in front of the message: a refused connection stays
 * %G_IO_ERROR_CONNECTION_REFUSED (or whatever GIO reports), a cancelled
 * call %G_IO_ERROR_CANCELLED, a bus that closed under a call
 * %G_IO_ERROR_CLOSED. A bus or a helper that does not answer in time is
 * %VMSTATE1_ERROR_TIMED_OUT.
 */

/* The order follows Vmstate1Error; the names are what any D-Bus peer,
 * QEMU included, sees and prints. */
static const GDBusErrorEntry vmstate1_error_entries[] = {
  { VMSTATE1_ERROR_FAILED, "org.libvmstate1.Error.Failed" },
  { VMSTATE1_ERROR_INVALID_ID, "org.libvmstate1.Error.InvalidId" },
  { VMSTATE1_ERROR_DUPLICATE_ID, "org.libvmstate1.Error.DuplicateId" },
  { VMSTATE1_ERROR_MISSING_ID, "org.libvmstate1.Error.MissingId" },
  { VMSTATE1_ERROR_TOO_LARGE, "org.libvmstate1.Error.TooLarge" },
  { VMSTATE1_ERROR_MALFORMED, "org.libvmstate1.Error.Malformed" },
  { VMSTATE1_ERROR_SAVE_FAILED, "org.libvmstate1.Error.SaveFailed" },
  { VMSTATE1_ERROR_LOAD_FAILED, "org.libvmstate1.Error.LoadFailed" },
  { VMSTATE1_ERROR_ACCESS_DENIED, "org.libvmstate1.Error.AccessDenied" },
  { VMSTATE1_ERROR_TIMED_OUT, "org.libvmstate1.Error.TimedOut" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (vmstate1_error_entries)
                 == VMSTATE1_ERROR_TIMED_OUT + 1);

/**
 * vmstate1_error_quark:
 *
 * The quark of the %VMSTATE1_ERROR domain, registered with D-Bus on
 * first use.
 *
 * Returns: the error quark.
 *
 * Since: 0.1
 */
GQuark
vmstate1_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("vmstate1-error-quark", &quark,
                                      vmstate1_error_entries,
                                      G_N_ELEMENTS (vmstate1_error_entries));
  return (GQuark) quark;
}
