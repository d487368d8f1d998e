/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <glib-object.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

/**
 * Vmstate1HelperInfo:
 *
 * One helper on a VM's bus as QEMU sees it: its Id and the unique bus
 * name of its connection. A reference-counted boxed type; its fields are
 * private.
 *
 * Since: 0.2
 */
typedef struct _Vmstate1HelperInfo Vmstate1HelperInfo;

#define VMSTATE1_TYPE_HELPER_INFO (vmstate1_helper_info_get_type ())
VMSTATE1_AVAILABLE_IN_0_2
GType               vmstate1_helper_info_get_type        (void) G_GNUC_CONST;
VMSTATE1_AVAILABLE_IN_0_2
Vmstate1HelperInfo *vmstate1_helper_info_ref             (Vmstate1HelperInfo *self);
VMSTATE1_AVAILABLE_IN_0_2
void                vmstate1_helper_info_unref           (Vmstate1HelperInfo *self);
VMSTATE1_AVAILABLE_IN_0_2
const char         *vmstate1_helper_info_get_id          (Vmstate1HelperInfo *self);
VMSTATE1_AVAILABLE_IN_0_2
const char         *vmstate1_helper_info_get_unique_name (Vmstate1HelperInfo *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vmstate1HelperInfo, vmstate1_helper_info_unref)

G_END_DECLS
