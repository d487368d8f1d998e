/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <glib.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

/**
 * VMSTATE1_BUS_NAME:
 *
 * The well-known name every helper of a VM queues for, with no flags.
 *
 * Since: 0.1
 */
#define VMSTATE1_BUS_NAME "org.qemu.VMState1"

/**
 * VMSTATE1_OBJECT_PATH:
 *
 * The object path at which a helper exports %VMSTATE1_INTERFACE.
 *
 * Since: 0.1
 */
#define VMSTATE1_OBJECT_PATH "/org/qemu/VMState1"

/**
 * VMSTATE1_INTERFACE:
 *
 * The D-Bus interface QEMU's dbus-vmstate object calls: property `Id`,
 * methods `Save() -> ay` and `Load(ay)`.
 *
 * Since: 0.1
 */
#define VMSTATE1_INTERFACE "org.qemu.VMState1"

/**
 * VMSTATE1_ID_MAX_LEN:
 *
 * The longest Id QEMU accepts, in bytes, without the terminating NUL.
 *
 * Since: 0.1
 */
#define VMSTATE1_ID_MAX_LEN 255

/**
 * VMSTATE1_DATA_MAX_SIZE:
 *
 * The largest state QEMU migrates for one helper, in bytes (1 MiB), on
 * Save and on Load alike.
 *
 * Since: 0.1
 */
#define VMSTATE1_DATA_MAX_SIZE 1048576

/**
 * VMSTATE1_DEFAULT_TIMEOUT_MSEC:
 *
 * How long the library waits for one answer from the bus or from one
 * helper, in milliseconds: 5 seconds, far less than the 25 seconds of
 * D-Bus's default that QEMU uses, since a Save runs while the guest is
 * paused. Connecting, exporting and every call of a #Vmstate1Vm are
 * bounded by it (#Vmstate1Vm:timeout-msec takes another value).
 *
 * Since: 0.1
 */
#define VMSTATE1_DEFAULT_TIMEOUT_MSEC 5000

VMSTATE1_AVAILABLE_IN_0_1
gboolean vmstate1_id_validate (const char  *id,
                               GError     **error);

G_END_DECLS
