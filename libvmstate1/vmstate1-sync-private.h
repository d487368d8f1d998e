/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs an _async function to completion in a private main context, so a
 * blocking wrapper neither dispatches the caller's sources nor deadlocks
 * when the caller's own helpers live on the same thread. */
typedef struct {
  GMainContext *context;
  GAsyncResult *result;
} Vmstate1SyncCall;

void          _vmstate1_sync_call_begin (Vmstate1SyncCall *call);
void          _vmstate1_sync_call_done  (GObject          *source,
                                         GAsyncResult     *result,
                                         gpointer          call);
GAsyncResult *_vmstate1_sync_call_wait  (Vmstate1SyncCall *call);
void          _vmstate1_sync_call_end   (Vmstate1SyncCall *call);

/* The thread-safety check of objects bound to a main context: FALSE when
 * another thread runs @context right now (the caller is on the wrong
 * thread). Cheap, and never wrong when it says FALSE. */
gboolean      _vmstate1_context_is_ours (GMainContext *context);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Vmstate1SyncCall, _vmstate1_sync_call_end)

G_END_DECLS
