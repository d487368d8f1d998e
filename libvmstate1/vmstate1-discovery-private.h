/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One owner in the org.qemu.VMState1 queue, as QEMU sees it. */
typedef struct {
  char   *unique_name;
  char   *id;     /* NULL when it could not be read */
  GError *error;  /* why it could not be read */
} Vmstate1Peer;

void       _vmstate1_peer_free (Vmstate1Peer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vmstate1Peer, _vmstate1_peer_free)

/* The Id of @unique_name if the caller knows it for sure (a copy), else
 * NULL and the Id is read from the peer. */
typedef char *(*Vmstate1KnownIdFunc) (const char *unique_name,
                                      gpointer    user_data);

/* Lists the queued owners of org.qemu.VMState1 and reads every owner's Id,
 * all reads in flight together. The result is a GPtrArray of
 * Vmstate1Peer in queue order; a peer whose Id cannot be read is in it
 * with its error, for the caller to judge. */
void       _vmstate1_discover_async  (GDBusConnection     *bus,
                                      int                  timeout_msec,
                                      Vmstate1KnownIdFunc  known,
                                      gpointer             known_data,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
GPtrArray *_vmstate1_discover_finish (GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS

