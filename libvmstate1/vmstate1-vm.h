/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <gio/gio.h>

#include "vmstate1-helper-info.h"
#include "vmstate1-states.h"
#include "vmstate1-version.h"

G_BEGIN_DECLS

/**
 * Vmstate1Vm:
 *
 * The helpers of one VM's bus, driven as QEMU's dbus-vmstate drives
 * them. Its fields are private.
 *
 * Since: 0.2
 */
#define VMSTATE1_TYPE_VM (vmstate1_vm_get_type ())
VMSTATE1_AVAILABLE_IN_0_2
G_DECLARE_FINAL_TYPE (Vmstate1Vm, vmstate1_vm, VMSTATE1, VM, GObject)

VMSTATE1_AVAILABLE_IN_0_2
Vmstate1Vm         *vmstate1_vm_new              (GDBusConnection     *connection);
VMSTATE1_AVAILABLE_IN_0_2
GDBusConnection    *vmstate1_vm_get_connection   (Vmstate1Vm          *self);
VMSTATE1_AVAILABLE_IN_0_2
void                vmstate1_vm_set_id_list      (Vmstate1Vm          *self,
                                                  const char * const  *id_list);
VMSTATE1_AVAILABLE_IN_0_2
const char * const *vmstate1_vm_get_id_list      (Vmstate1Vm          *self);
VMSTATE1_AVAILABLE_IN_0_2
void                vmstate1_vm_set_timeout_msec (Vmstate1Vm          *self,
                                                  int                  timeout_msec);
VMSTATE1_AVAILABLE_IN_0_2
int                 vmstate1_vm_get_timeout_msec (Vmstate1Vm          *self);

VMSTATE1_AVAILABLE_IN_0_2
GPtrArray          *vmstate1_vm_list_helpers        (Vmstate1Vm           *self,
                                                     GCancellable         *cancellable,
                                                     GError              **error);
VMSTATE1_AVAILABLE_IN_0_2
void                vmstate1_vm_list_helpers_async  (Vmstate1Vm           *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
VMSTATE1_AVAILABLE_IN_0_2
GPtrArray          *vmstate1_vm_list_helpers_finish (Vmstate1Vm           *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

VMSTATE1_AVAILABLE_IN_0_2
Vmstate1States     *vmstate1_vm_save         (Vmstate1Vm           *self,
                                              GCancellable         *cancellable,
                                              GError              **error);
VMSTATE1_AVAILABLE_IN_0_2
void                vmstate1_vm_save_async   (Vmstate1Vm           *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
VMSTATE1_AVAILABLE_IN_0_2
Vmstate1States     *vmstate1_vm_save_finish  (Vmstate1Vm           *self,
                                              GAsyncResult         *result,
                                              GError              **error);

VMSTATE1_AVAILABLE_IN_0_2
gboolean            vmstate1_vm_load         (Vmstate1Vm           *self,
                                              Vmstate1States       *states,
                                              GCancellable         *cancellable,
                                              GError              **error);
VMSTATE1_AVAILABLE_IN_0_2
void                vmstate1_vm_load_async   (Vmstate1Vm           *self,
                                              Vmstate1States       *states,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
VMSTATE1_AVAILABLE_IN_0_2
gboolean            vmstate1_vm_load_finish  (Vmstate1Vm           *self,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
