/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A libvirt save image (virsh save, managed save) wraps QEMU's migration
 * stream: libvirt's own header, in the byte order of the host that wrote
 * it, then the domain XML, then the stream. Only raw images are read;
 * one whose save did not finish, or a compressed one, is refused. */
#pragma once

#include "vmstate1-migration-input-private.h"

G_BEGIN_DECLS

/* Where @in starts with a libvirt save image header, checks it and
 * consumes it and the domain XML; anything else is left unread. */
gboolean _vmstate1_mig_libvirt_skip (Vmstate1MigInput  *in,
                                     GError           **error);

G_END_DECLS
