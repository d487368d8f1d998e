/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vmstate1-vm-knowledge-private.h"
#include "vmstate1-vm.h"

G_BEGIN_DECLS

Vmstate1VmKnowledge *_vmstate1_vm_get_knowledge (Vmstate1Vm *self);

/* What a Vmstate1Vm knows of the bus (vmstate1-vm-knowledge.c): which
 * unique name has which Id. Safe from any thread; kept true by the bus's
 * own signals. */
char *_vmstate1_vm_known_id (const char *unique_name,
                             gpointer    vm);
/* What changed on the bus (a connection that left, or whose Id changed
 * or went) while one operation was in flight, from before it first asks
 * the bus. watch_changed() tells whether @unique_name's Id may no longer
 * be @id: then an Id the operation learnt is stale, and an answer from
 * that name may come from whatever the connection exports now.
 * remember() keeps what was learnt only if it did not change. */
typedef struct _Vmstate1VmWatch Vmstate1VmWatch;
Vmstate1VmWatch *_vmstate1_vm_watch         (Vmstate1Vm      *self);
gboolean         _vmstate1_vm_watch_changed (Vmstate1VmWatch *watch,
                                             const char      *unique_name,
                                             const char      *id);
void             _vmstate1_vm_unwatch       (Vmstate1VmWatch *watch);
void  _vmstate1_vm_remember (Vmstate1Vm      *self,
                             Vmstate1VmWatch *watch,
                             const char      *unique_name,
                             const char      *id);
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
