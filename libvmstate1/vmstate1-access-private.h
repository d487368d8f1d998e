/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Who may call a helper's Save and Load: anyone on the bus until a rule is
 * added, then only a caller that matches one. Checked with the bus's
 * credentials, never with what the caller says about itself. */
typedef struct _Vmstate1Access Vmstate1Access;

Vmstate1Access *_vmstate1_access_new            (void);
void            _vmstate1_access_free           (Vmstate1Access *access);
void            _vmstate1_access_allow_uid      (Vmstate1Access *access,
                                                 guint32         uid);
void            _vmstate1_access_allow_bus_name (Vmstate1Access *access,
                                                 const char     *name);
gboolean        _vmstate1_access_is_restricted  (Vmstate1Access *access);

/* Callers' uids as the bus told them, for one export on one connection
 * (unique names are only unique on one bus), at most a few dozen. */
typedef struct _Vmstate1UidCache Vmstate1UidCache;

Vmstate1UidCache *_vmstate1_uid_cache_new      (void);
Vmstate1UidCache *_vmstate1_uid_cache_ref      (Vmstate1UidCache *cache);
void              _vmstate1_uid_cache_unref    (Vmstate1UidCache *cache);
guint             _vmstate1_uid_cache_get_size (Vmstate1UidCache *cache);

/* Whether @sender may call @method; on refusal, an ACCESS_DENIED error
 * that names the caller, its uid and what is allowed. */
void            _vmstate1_access_check_async    (Vmstate1Access      *access,
                                                 Vmstate1UidCache    *cache,
                                                 GDBusConnection     *connection,
                                                 const char          *sender,
                                                 const char          *id,
                                                 const char          *method,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean        _vmstate1_access_check_finish   (GAsyncResult        *result,
                                                 GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vmstate1Access, _vmstate1_access_free)

G_END_DECLS
