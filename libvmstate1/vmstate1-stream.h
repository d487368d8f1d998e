/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VMSTATE1_INSIDE) && !defined(VMSTATE1_COMPILATION)
#error "Only <vmstate1.h> can be included directly."
#endif

#include <glib.h>

#include "vmstate1-version.h"

G_BEGIN_DECLS

VMSTATE1_AVAILABLE_IN_0_1
GBytes     *vmstate1_stream_encode (GHashTable  *states,
                                    GError     **error);
VMSTATE1_AVAILABLE_IN_0_1
GHashTable *vmstate1_stream_decode (GBytes      *blob,
                                    GError     **error);

VMSTATE1_AVAILABLE_IN_0_1
GVariant   *vmstate1_stream_decode_variant (GBytes      *blob,
                                            GError     **error);

G_END_DECLS
