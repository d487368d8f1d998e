/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw queue of org.qemu.VMState1, as QEMU's pre_save sees it: every
 * queued owner and what it answers for its Id, including the owners
 * Vmstate1Vm refuses (it fails on the first one). check, wait and
 * monitor use it.
 * Only the installed API of libvmstate1 is used. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TOOL_OWNER_ID,          /* answered a string Id (maybe one QEMU refuses) */
  TOOL_OWNER_NO_ID,       /* answered, but without an Id: no object, no
                           * interface, no property, an error */
  TOOL_OWNER_WRONG_TYPE,  /* an Id that is not a string */
  TOOL_OWNER_SILENT,      /* no answer within the timeout */
  TOOL_OWNER_GONE,        /* left the bus before it answered */
} ToolOwnerState;

typedef struct
{
  char *name;            /* unique name */
  ToolOwnerState state;
  char *id;              /* TOOL_OWNER_ID only; the peer's text, raw */
  gsize id_len;
  char *reason;          /* why there is no Id; the peer's text, raw */
} ToolOwner;

/* Every owner queued for org.qemu.VMState1, in queue order: one
 * ListQueuedOwners, then one Properties.GetAll per owner (what QEMU's
 * proxy reads), all at once, each bounded by @timeout_msec. */
void       tool_discover_async  (GDBusConnection     *bus,
                                 int                  timeout_msec,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
/* A GPtrArray of ToolOwner, or NULL if the bus did not list the queue. */
GPtrArray *tool_discover_finish (GAsyncResult        *result,
                                 GError             **error);

/* The same, waited for within the tool's backstop limit. */
GPtrArray *tool_discover (GDBusConnection  *bus,
                          int               timeout_msec,
                          GError          **error);

const ToolOwner *tool_owners_find (GPtrArray  *owners,
                                   const char *name);

G_END_DECLS
