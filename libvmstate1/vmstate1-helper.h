/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <gio/gio.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

/**
 * Vmstate1SaveFunc:
 * @user_data: the data given with the function
 * @error: return location for a #GError
 *
 * Returns the helper's state, called on the migration source while the
 * guest is paused: be quick. The state must hold 1 to
 * %VMSTATE1_DATA_MAX_SIZE bytes; QEMU cannot migrate an empty one.
 *
 * Returns: (transfer full) (nullable): the state, or %NULL with @error set.
 *
 * Since: 0.1
 */
typedef GBytes *(*Vmstate1SaveFunc) (gpointer   user_data,
                                     GError   **error);

/**
 * Vmstate1LoadFunc:
 * @data: the state that the source helper's Save returned
 * @user_data: the data given with the function
 * @error: return location for a #GError
 *
 * Restores the helper's state, called on the migration destination. On
 * failure leave the state as it was: QEMU fails the migration and the
 * source VM keeps running.
 *
 * Returns: %TRUE on success, or %FALSE with @error set.
 *
 * Since: 0.1
 */
typedef gboolean (*Vmstate1LoadFunc) (GBytes    *data,
                                      gpointer   user_data,
                                      GError   **error);

/**
 * Vmstate1Helper:
 *
 * One Id's migratable state on a VM's bus. Its fields are private; see
 * #Vmstate1HelperClass for what a subclass overrides.
 *
 * Since: 0.1
 */
#define VMSTATE1_TYPE_HELPER (vmstate1_helper_get_type ())
VMSTATE1_AVAILABLE_IN_0_1
G_DECLARE_DERIVABLE_TYPE (Vmstate1Helper, vmstate1_helper, VMSTATE1, HELPER,
                          GObject)

/**
 * Vmstate1HelperClass:
 * @parent_class: the parent class
 * @save: returns the state; by default calls the #Vmstate1SaveFunc set
 *   with vmstate1_helper_set_handlers()
 * @load: restores the state; by default calls the #Vmstate1LoadFunc set
 *   with vmstate1_helper_set_handlers()
 * @save_async: starts a Save; by default runs @save. Override it with
 *   @save_finish when the state must be gathered without blocking the
 *   main loop.
 * @save_finish: finishes @save_async
 * @load_async: starts a Load; by default runs @load. Override it with
 *   @load_finish when restoring must not block the main loop.
 * @load_finish: finishes @load_async
 *
 * The virtual functions a helper overrides: the synchronous pair for an
 * in-memory state, or the asynchronous pair, as with #GInputStream. From
 * Python, override `do_save` and `do_load`.
 *
 * Since: 0.1
 */
struct _Vmstate1HelperClass
{
  GObjectClass parent_class;

  GBytes  *(*save)        (Vmstate1Helper       *self,
                           GCancellable         *cancellable,
                           GError              **error);
  gboolean (*load)        (Vmstate1Helper       *self,
                           GBytes               *data,
                           GCancellable         *cancellable,
                           GError              **error);
  void     (*save_async)  (Vmstate1Helper       *self,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data);
  GBytes  *(*save_finish) (Vmstate1Helper       *self,
                           GAsyncResult         *result,
                           GError              **error);
  void     (*load_async)  (Vmstate1Helper       *self,
                           GBytes               *data,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data);
  gboolean (*load_finish) (Vmstate1Helper       *self,
                           GAsyncResult         *result,
                           GError              **error);

  /*< private >*/
  gpointer padding[8];
};

VMSTATE1_AVAILABLE_IN_0_1
Vmstate1Helper  *vmstate1_helper_new            (const char        *id,
                                                 GError           **error);
VMSTATE1_AVAILABLE_IN_0_1
const char      *vmstate1_helper_get_id         (Vmstate1Helper    *self);
VMSTATE1_AVAILABLE_IN_0_1
GDBusConnection *vmstate1_helper_get_connection (Vmstate1Helper    *self);
VMSTATE1_AVAILABLE_IN_0_1
gboolean         vmstate1_helper_get_exported   (Vmstate1Helper    *self);
VMSTATE1_AVAILABLE_IN_0_1
void             vmstate1_helper_set_handlers   (Vmstate1Helper    *self,
                                                 Vmstate1SaveFunc   save,
                                                 Vmstate1LoadFunc   load,
                                                 gpointer           user_data,
                                                 GDestroyNotify     user_data_free);
VMSTATE1_AVAILABLE_IN_0_1
void             vmstate1_helper_allow_uid      (Vmstate1Helper    *self,
                                                 guint32            uid);
VMSTATE1_AVAILABLE_IN_0_1
void             vmstate1_helper_allow_bus_name (Vmstate1Helper    *self,
                                                 const char        *name);
VMSTATE1_AVAILABLE_IN_0_1
gboolean         vmstate1_helper_export         (Vmstate1Helper    *self,
                                                 GDBusConnection   *connection,
                                                 GError           **error);
VMSTATE1_AVAILABLE_IN_0_2
void             vmstate1_helper_export_async   (Vmstate1Helper      *self,
                                                 GDBusConnection     *connection,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
VMSTATE1_AVAILABLE_IN_0_2
gboolean         vmstate1_helper_export_finish  (Vmstate1Helper      *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
VMSTATE1_AVAILABLE_IN_0_1
void             vmstate1_helper_unexport       (Vmstate1Helper    *self);

G_END_DECLS
