/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vmstate1-vm.h"

G_BEGIN_DECLS

/* What a Vmstate1Vm knows of the bus: which unique name has which Id.
 * Safe from any thread; kept true by the bus's own signals. */
char *_vmstate1_vm_known_id (const char *unique_name,
                             gpointer    vm);
/* Incremented by every change the bus signals: an Id read before it may
 * be stale, so remember() keeps what was learnt at @epoch only if no
 * change came in since. */
guint64 _vmstate1_vm_get_epoch (Vmstate1Vm *self);
void  _vmstate1_vm_remember (Vmstate1Vm *self,
                             guint64     epoch,
                             const char *unique_name,
                             const char *id);
void  _vmstate1_vm_forget   (Vmstate1Vm *self,
                             const char *unique_name);

/* The engine (vmstate1-vm-engine.c): discovery, QEMU's choice of
 * helpers, every call in flight at once. */
typedef enum
{
  VMSTATE1_VM_OP_LIST,
  VMSTATE1_VM_OP_SAVE,
  VMSTATE1_VM_OP_LOAD,
} Vmstate1VmOpKind;

/* The GTask's value: a GPtrArray of Vmstate1HelperInfo (list), a
 * Vmstate1States (save), a boolean (load). */
void _vmstate1_vm_op_start (Vmstate1Vm          *self,
                            Vmstate1VmOpKind     kind,
                            Vmstate1States      *states,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data,
                            gpointer             source_tag);

G_END_DECLS
