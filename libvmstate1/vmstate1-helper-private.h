/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vmstate1-access-private.h"
#include "vmstate1-helper.h"

G_BEGIN_DECLS

typedef struct _Vmstate1Export Vmstate1Export;

/* What the helper object's files share. */
typedef struct
{
  char *id;

  Vmstate1Export *export;       /* from export's start until unexport */
  GDBusConnection *connection;  /* once exported and queued */

  Vmstate1SaveFunc save_func;
  Vmstate1LoadFunc load_func;
  gpointer handler_data;
  GDestroyNotify handler_data_free;

  Vmstate1Access *access;  /* who may call Save and Load */
} Vmstate1HelperPrivate;

Vmstate1HelperPrivate *_vmstate1_helper_get_private (Vmstate1Helper *self);

/* Called by the export when it is done with the bus: after unexport, a
 * failed export, or when the connection closed. */
void _vmstate1_helper_export_ended   (Vmstate1Helper *self,
                                      Vmstate1Export *export);
/* Called once the helper is queued and its Id known unique. */
void _vmstate1_helper_export_succeeded (Vmstate1Helper *self,
                                        Vmstate1Export *export);
/* The default async virtual functions: a class that keeps them has its
 * sync pair called at once, in the dispatch. */
void _vmstate1_helper_real_save_async (Vmstate1Helper      *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void _vmstate1_helper_real_load_async (Vmstate1Helper      *self,
                                       GBytes              *data,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void _vmstate1_helper_emit_saved     (Vmstate1Helper *self);
void _vmstate1_helper_emit_loaded    (Vmstate1Helper *self);

/* One export of one helper on one connection (vmstate1-export.c). Save
 * and Load reach the helper's functions only while it is active: from
 * the moment the object is registered until unexport or the bus closes,
 * whatever is still in flight (an access check, say) when that happens. */
struct _Vmstate1Export
{
  gatomicrefcount ref_count;
  Vmstate1Helper *helper;        /* strong while active */
  char *id;
  char *shown_id;                /* escaped once, for every message */
  GDBusConnection *connection;
  GMainContext *context;         /* where Save and Load are dispatched */
  GCancellable *cancellable;     /* cancelled when it ends */
  guint object_id;
  guint id_filter;
  gulong closed_handler;
  gboolean active;
  gboolean queued;               /* RequestName answered */
  Vmstate1UidCache *uids;        /* callers' uids, for this bus only */
  guint saves_in_flight;
  guint loads_in_flight;
};

Vmstate1Export *_vmstate1_export_ref   (Vmstate1Export *export);
void            _vmstate1_export_unref (Vmstate1Export *export);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vmstate1Export, _vmstate1_export_unref)

/* Registers the object in @context, queues for the name, then makes sure
 * no helper queued before this one has the same Id. */
void     _vmstate1_export_start  (Vmstate1Helper      *helper,
                                  GDBusConnection     *connection,
                                  GMainContext        *context,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
gboolean _vmstate1_export_finish (GAsyncResult        *result,
                                  GError             **error);
/* Ends it at once: no Save or Load reaches the helper after this. */
void     _vmstate1_export_stop   (Vmstate1Export      *export);

/* The vtable of the exported object (vmstate1-helper-dispatch.c); its
 * user data is a reference to the export. */
const GDBusInterfaceVTable *_vmstate1_helper_dispatch_vtable (void);

G_END_DECLS
