/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-helper-info-private.h"

/**
 * SECTION:vmstate1-helper-info
 * @title: Vmstate1HelperInfo
 * @short_description: one helper on a VM's bus, as QEMU sees it
 *
 * What vmstate1_vm_list_helpers() returns for each helper: its Id, and
 * the unique bus name of the connection that exports it (QEMU calls
 * helpers by unique name, never by the well-known name, which only
 * reaches the first in the queue).
 */

struct _Vmstate1HelperInfo
{
  char *id;
  char *unique_name;
};

G_DEFINE_BOXED_TYPE (Vmstate1HelperInfo, vmstate1_helper_info,
                     vmstate1_helper_info_ref, vmstate1_helper_info_unref)

static void
helper_info_clear (gpointer data)
{
  Vmstate1HelperInfo *self = data;

  g_free (self->id);
  g_free (self->unique_name);
}

Vmstate1HelperInfo *
_vmstate1_helper_info_new (const char *id,
                           const char *unique_name)
{
  Vmstate1HelperInfo *self = g_atomic_rc_box_new0 (Vmstate1HelperInfo);

  self->id = g_strdup (id);
  self->unique_name = g_strdup (unique_name);
  return self;
}

/**
 * vmstate1_helper_info_ref:
 * @self: a #Vmstate1HelperInfo
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self.
 *
 * Since: 0.2
 */
Vmstate1HelperInfo *
vmstate1_helper_info_ref (Vmstate1HelperInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

/**
 * vmstate1_helper_info_unref:
 * @self: (transfer full): a #Vmstate1HelperInfo
 *
 * Drops a reference.
 *
 * Since: 0.2
 */
void
vmstate1_helper_info_unref (Vmstate1HelperInfo *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, helper_info_clear);
}

/**
 * vmstate1_helper_info_get_id:
 * @self: a #Vmstate1HelperInfo
 *
 * Gets the helper's Id, as it answered. It came from a peer on the bus:
 * escape it before printing it to a terminal.
 *
 * Returns: the Id.
 *
 * Since: 0.2
 */
const char *
vmstate1_helper_info_get_id (Vmstate1HelperInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->id;
}

/**
 * vmstate1_helper_info_get_unique_name:
 * @self: a #Vmstate1HelperInfo
 *
 * Gets the unique bus name of the helper's connection, such as `:1.5`.
 *
 * Returns: the unique name.
 *
 * Since: 0.2
 */
const char *
vmstate1_helper_info_get_unique_name (Vmstate1HelperInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->unique_name;
}
