/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <gio/gio.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

/**
 * Vmstate1States:
 *
 * The states of a VM's helpers, by Id: what QEMU's dbus-vmstate section
 * carries. A reference-counted boxed type; its fields are private.
 *
 * Since: 0.2
 */
typedef struct _Vmstate1States Vmstate1States;

#define VMSTATE1_TYPE_STATES (vmstate1_states_get_type ())
VMSTATE1_AVAILABLE_IN_0_2
GType           vmstate1_states_get_type   (void) G_GNUC_CONST;

VMSTATE1_AVAILABLE_IN_0_2
Vmstate1States *vmstate1_states_new        (void);
VMSTATE1_AVAILABLE_IN_0_2
Vmstate1States *vmstate1_states_ref        (Vmstate1States  *self);
VMSTATE1_AVAILABLE_IN_0_2
void            vmstate1_states_unref      (Vmstate1States  *self);
VMSTATE1_AVAILABLE_IN_0_2
gboolean        vmstate1_states_add        (Vmstate1States  *self,
                                            const char      *id,
                                            GBytes          *state,
                                            GError         **error);
VMSTATE1_AVAILABLE_IN_0_2
GBytes         *vmstate1_states_lookup     (Vmstate1States  *self,
                                            const char      *id);
VMSTATE1_AVAILABLE_IN_0_2
guint           vmstate1_states_get_length (Vmstate1States  *self);
VMSTATE1_AVAILABLE_IN_0_2
GStrv           vmstate1_states_dup_ids    (Vmstate1States  *self);

VMSTATE1_AVAILABLE_IN_0_2
GBytes         *vmstate1_states_encode     (Vmstate1States  *self);
VMSTATE1_AVAILABLE_IN_0_2
Vmstate1States *vmstate1_states_decode     (GBytes          *blob,
                                            GError         **error);

VMSTATE1_AVAILABLE_IN_0_2
Vmstate1States *vmstate1_states_read_migration        (GInputStream        *stream,
                                                       GCancellable        *cancellable,
                                                       GError             **error);
VMSTATE1_AVAILABLE_IN_0_2
void            vmstate1_states_read_migration_async  (GInputStream        *stream,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
VMSTATE1_AVAILABLE_IN_0_2
Vmstate1States *vmstate1_states_read_migration_finish (GAsyncResult        *result,
                                                       GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vmstate1States, vmstate1_states_unref)

G_END_DECLS
