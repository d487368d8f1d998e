/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Following the queue of org.qemu.VMState1 as it changes, for wait and
 * monitor. */
#pragma once

#include "tool-discovery.h"

G_BEGIN_DECLS

/* Watching the queue without polling it: lists it once at start, then
 * again only when the bus says something changed: NameOwnerChanged
 * (for org.qemu.VMState1, or a unique name that comes or goes) or
 * PropertiesChanged on /org/qemu/VMState1 (libvmstate1 helpers send it
 * when they export and unexport). A helper that sends no signal and is
 * queued behind another changes nothing the bus announces: a new unique
 * name is looked for again a few times, at growing intervals, until it
 * is queued with an Id. Listings never overlap. */
typedef struct _ToolWatch ToolWatch;

/* @owners is NULL when the listing failed (@error says why). It must
 * not free the watch. */
typedef void (*ToolWatchFunc) (GPtrArray    *owners,
                               const GError *error,
                               gpointer      user_data);

ToolWatch *tool_watch_new  (GDBusConnection *bus,
                            int              timeout_msec,
                            ToolWatchFunc    func,
                            gpointer         user_data);
void       tool_watch_free (ToolWatch       *watch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ToolWatch, tool_watch_free)

G_END_DECLS
