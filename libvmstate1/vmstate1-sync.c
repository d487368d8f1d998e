/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmstate1-sync-private.h"

void
_vmstate1_sync_call_begin (Vmstate1SyncCall *call)
{
  call->context = g_main_context_new ();
  call->result = NULL;
  g_main_context_push_thread_default (call->context);
}

void
_vmstate1_sync_call_done (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Vmstate1SyncCall *call = user_data;

  call->result = g_object_ref (result);
}

GAsyncResult *
_vmstate1_sync_call_wait (Vmstate1SyncCall *call)
{
  while (call->result == NULL)
    g_main_context_iteration (call->context, TRUE);
  return call->result;
}

void
_vmstate1_sync_call_end (Vmstate1SyncCall *call)
{
  if (call->context == NULL)
    return;
  g_main_context_pop_thread_default (call->context);
  /* Let sources that finish the async operation's own clean-up run. */
  while (g_main_context_pending (call->context))
    g_main_context_iteration (call->context, FALSE);
  g_clear_pointer (&call->context, g_main_context_unref);
  g_clear_object (&call->result);
}

gboolean
_vmstate1_context_is_ours (GMainContext *context)
{
  /* Owned by this thread (it runs the loop), or by none: then this
   * thread may take it, and gives it back at once. */
  if (g_main_context_is_owner (context))
    return TRUE;
  if (!g_main_context_acquire (context))
    return FALSE;
  g_main_context_release (context);
  return TRUE;
}
