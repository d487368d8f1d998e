/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "vmstate1-discovery-private.h"
#include "vmstate1-states.h"

G_BEGIN_DECLS

/* QEMU's id-list rules, over what discovery found; no bus here, so they
 * are tested on their own. */

/* The caller's id-list itself: an entry no helper could have, or an Id
 * listed twice, is a mistake worth saying. NULL is "every helper". */
gboolean   _vmstate1_id_list_check   (const char * const  *id_list,
                                      GError             **error);

/* The helpers taking part, as QEMU chooses them: a GPtrArray of the
 * Vmstate1Peer in @peers (borrowed), in queue order; or NULL with an
 * error naming the Id or unique name at fault (an invalid or duplicate
 * Id, an unreadable Id without an id-list, a listed Id with no helper). */
GPtrArray *_vmstate1_id_policy_select (GPtrArray           *peers,
                                       const char * const  *id_list,
                                       GError             **error);

/* Before any Load: every state in @states has a helper in @selected, or
 * an error names the Ids that do not (QEMU would fail half-way). */
gboolean   _vmstate1_id_policy_check_states (GPtrArray           *selected,
                                             Vmstate1States      *states,
                                             const char * const  *id_list,
                                             GError             **error);

G_END_DECLS
