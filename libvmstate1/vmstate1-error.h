/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <glib.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

/**
 * VMSTATE1_ERROR:
 *
 * The error domain of libvmstate1. Its codes are #Vmstate1Error.
 *
 * The domain is registered with g_dbus_error_register_error_domain(): an
 * error a helper returns crosses the bus as a named D-Bus error
 * (`org.libvmstate1.Error.TooLarge`, say) and a GLib peer gets the same
 * domain and code back.
 *
 * Since: 0.1
 */
#define VMSTATE1_ERROR (vmstate1_error_quark ())

/**
 * Vmstate1Error:
 * @VMSTATE1_ERROR_FAILED: any other failure.
 * @VMSTATE1_ERROR_INVALID_ID: an Id that QEMU would refuse or could not
 *   list: empty, over %VMSTATE1_ID_MAX_LEN bytes, not UTF-8, or (for a
 *   helper's own Id) containing a comma.
 * @VMSTATE1_ERROR_DUPLICATE_ID: another helper on the bus already has the Id.
 * @VMSTATE1_ERROR_MISSING_ID: an id-list names an Id that no helper has.
 * @VMSTATE1_ERROR_TOO_LARGE: a state over %VMSTATE1_DATA_MAX_SIZE bytes.
 * @VMSTATE1_ERROR_MALFORMED: a blob or state that does not decode.
 * @VMSTATE1_ERROR_SAVE_FAILED: a helper's Save failed.
 * @VMSTATE1_ERROR_LOAD_FAILED: a helper's Load failed.
 * @VMSTATE1_ERROR_ACCESS_DENIED: the caller is not allowed to do this.
 * @VMSTATE1_ERROR_TIMED_OUT: a helper or the bus did not answer in time
 *   (Since: 0.2).
 *
 * Error codes of the %VMSTATE1_ERROR domain. More codes may be added in
 * later versions: treat an unknown code like %VMSTATE1_ERROR_FAILED.
 *
 * Since: 0.1
 */
typedef enum /*< underscore_name=vmstate1_error >*/ {
  VMSTATE1_ERROR_FAILED,
  VMSTATE1_ERROR_INVALID_ID,
  VMSTATE1_ERROR_DUPLICATE_ID,
  VMSTATE1_ERROR_MISSING_ID,
  VMSTATE1_ERROR_TOO_LARGE,
  VMSTATE1_ERROR_MALFORMED,
  VMSTATE1_ERROR_SAVE_FAILED,
  VMSTATE1_ERROR_LOAD_FAILED,
  VMSTATE1_ERROR_ACCESS_DENIED,
  VMSTATE1_ERROR_TIMED_OUT,
} Vmstate1Error;

VMSTATE1_AVAILABLE_IN_0_1
GQuark vmstate1_error_quark (void);

G_END_DECLS
