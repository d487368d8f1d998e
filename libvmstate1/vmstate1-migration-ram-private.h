/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RAM section of a migration stream: its page records, walked and
 * skipped as they stream by, never kept. What the walk must remember
 * across the section's parts (START, PARTs, END) is here: the block list
 * and the block of the last page record, to check every page against. */
#pragma once

#include "vmstate1-migration-input-private.h"

G_BEGIN_DECLS

typedef struct
{
  /* Set by the configuration section and commands before RAM. */
  guint64 page_size;       /* the target's, 4096 unless configured */
  gboolean ignore_shared;  /* x-ignore-shared: blocks carry their address */
  gboolean postcopy;       /* postcopy-ram: blocks may carry a page size */

  GHashTable *blocks;      /* GBytes name -> guint64 *used length */
  guint64 *block_length;   /* the block of the last page record */
  GBytes *block_name;
} Vmstate1MigRam;

void     _vmstate1_mig_ram_init  (Vmstate1MigRam    *ram);
void     _vmstate1_mig_ram_clear (Vmstate1MigRam    *ram);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Vmstate1MigRam, _vmstate1_mig_ram_clear)

/* One RAM section's (or part's) page records, up to and including EOS. */
gboolean _vmstate1_mig_ram_read  (Vmstate1MigRam    *ram,
                                  Vmstate1MigInput  *in,
                                  GError           **error);

G_END_DECLS
