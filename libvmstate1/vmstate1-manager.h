/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <gio/gio.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

/**
 * VMSTATE1_DEFAULT_TIMEOUT_MSEC:
 *
 * How long vmstate1_save_all(), vmstate1_load_all() and
 * vmstate1_list_helpers() wait for one helper to answer one call, in
 * milliseconds: 5 seconds, far less than the 25 seconds of D-Bus's
 * default that QEMU uses, since a Save runs while the guest is paused.
 * vmstate1_save_all_full() and vmstate1_load_all_full() take another
 * value.
 *
 * Since: 0.1
 */
#define VMSTATE1_DEFAULT_TIMEOUT_MSEC 5000

VMSTATE1_AVAILABLE_IN_0_1
GHashTable *vmstate1_list_helpers        (GDBusConnection     *bus,
                                          GCancellable        *cancellable,
                                          GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
void        vmstate1_list_helpers_async  (GDBusConnection     *bus,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
VMSTATE1_AVAILABLE_IN_0_1
GHashTable *vmstate1_list_helpers_finish (GAsyncResult        *result,
                                          GError             **error);

VMSTATE1_AVAILABLE_IN_0_1
GBytes     *vmstate1_save_all            (GDBusConnection     *bus,
                                          const char * const  *id_list,
                                          GCancellable        *cancellable,
                                          GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
void        vmstate1_save_all_async      (GDBusConnection     *bus,
                                          const char * const  *id_list,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
VMSTATE1_AVAILABLE_IN_0_1
GBytes     *vmstate1_save_all_finish     (GAsyncResult        *result,
                                          GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
GBytes     *vmstate1_save_all_full       (GDBusConnection     *bus,
                                          const char * const  *id_list,
                                          int                  timeout_msec,
                                          GCancellable        *cancellable,
                                          GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
void        vmstate1_save_all_full_async (GDBusConnection     *bus,
                                          const char * const  *id_list,
                                          int                  timeout_msec,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

VMSTATE1_AVAILABLE_IN_0_1
gboolean    vmstate1_load_all            (GDBusConnection     *bus,
                                          GBytes              *blob,
                                          const char * const  *id_list,
                                          GCancellable        *cancellable,
                                          GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
void        vmstate1_load_all_async      (GDBusConnection     *bus,
                                          GBytes              *blob,
                                          const char * const  *id_list,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
VMSTATE1_AVAILABLE_IN_0_1
gboolean    vmstate1_load_all_finish     (GAsyncResult        *result,
                                          GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
gboolean    vmstate1_load_all_full       (GDBusConnection     *bus,
                                          GBytes              *blob,
                                          const char * const  *id_list,
                                          int                  timeout_msec,
                                          GCancellable        *cancellable,
                                          GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
void        vmstate1_load_all_full_async (GDBusConnection     *bus,
                                          GBytes              *blob,
                                          const char * const  *id_list,
                                          int                  timeout_msec,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

G_END_DECLS
