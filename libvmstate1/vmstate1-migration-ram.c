/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RAM page records: the MEM_SIZE block list, then pages (zero pages,
 * whole pages) each naming its block or continuing the last one, ended
 * by EOS. The layout is self-describing, so RAM is skipped record by
 * record in constant memory; every page is checked against its block,
 * and what this reader cannot size (compressed, XBZRLE, multifd, RDMA)
 * is refused rather than guessed. */
#include <string.h>

#include "vmstate1-migration-private.h"
#include "vmstate1-migration-ram-private.h"

/* Flags in the low bits of a RAM page record's be64. */
#define RAM_SAVE_FLAG_FULL          0x01
#define RAM_SAVE_FLAG_ZERO          0x02
#define RAM_SAVE_FLAG_MEM_SIZE      0x04
#define RAM_SAVE_FLAG_PAGE          0x08
#define RAM_SAVE_FLAG_EOS           0x10
#define RAM_SAVE_FLAG_CONTINUE      0x20
#define RAM_SAVE_FLAG_XBZRLE        0x40
#define RAM_SAVE_FLAG_HOOK          0x80
#define RAM_SAVE_FLAG_COMPRESS_PAGE 0x100
#define RAM_SAVE_FLAG_MULTIFD_FLUSH 0x200

#define RAM_BLOCKS_MAX   4096  /* a VM has tens of them */

void
_vmstate1_mig_ram_init (Vmstate1MigRam *ram)
{
  *ram = (Vmstate1MigRam) {
    .page_size = 4096,  /* x86's; other sizes are in the configuration */
    .blocks = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                     (GDestroyNotify) g_bytes_unref, g_free),
  };
}

void
_vmstate1_mig_ram_clear (Vmstate1MigRam *ram)
{
  g_clear_pointer (&ram->blocks, g_hash_table_unref);
  ram->block_length = NULL;
  ram->block_name = NULL;
}

/* The MEM_SIZE record: the RAM blocks and their lengths. */
static gboolean
read_block_list (Vmstate1MigRam    *ram,
                 Vmstate1MigInput  *in,
                 guint64            total,
                 GError           **error)
{
  while (total > 0)
    {
      guint8 name[256], name_len;
      guint64 length, at = in->offset;
      g_autoptr(GBytes) key = NULL;
      guint64 *value;

      if (!_vmstate1_mig_read_name (in, name, &name_len, "the RAM block list",
                                    error)
          || !_vmstate1_mig_read_be64 (in, &length, "the RAM block list",
                                       error))
        return FALSE;
      if (name_len == 0)
        return _vmstate1_mig_malformed (error, at,
                                        "a RAM block without a name");
      key = g_bytes_new (name, name_len);
      if (length > total)
        {
          g_autofree char *printable = _vmstate1_mig_escape (name, name_len);

          return _vmstate1_mig_malformed (error, at,
                                          "RAM block '%s' of %"
                                          G_GUINT64_FORMAT " bytes, more "
                                          "than the %" G_GUINT64_FORMAT
                                          " bytes of RAM left to list",
                                          printable, length, total);
        }
      if (g_hash_table_contains (ram->blocks, key))
        {
          g_autofree char *printable = _vmstate1_mig_escape (name, name_len);

          return _vmstate1_mig_malformed (error, at,
                                          "RAM block '%s' listed twice",
                                          printable);
        }
      if (g_hash_table_size (ram->blocks) >= RAM_BLOCKS_MAX)
        return _vmstate1_mig_malformed (error, at, "more than %d RAM blocks",
                                        RAM_BLOCKS_MAX);
      total -= length;

      /* With postcopy-ram QEMU adds the block's page size where it is not
       * the host's. A page size is a be64 with a zero first byte, while a
       * next block starts with its non-zero name length; after the last
       * block the list is followed by EOS (and, with x-ignore-shared, by
       * this block's address first). */
      if (ram->postcopy)
        {
          const guint8 *next;
          gboolean has_page_size;
          gsize ahead = ram->ignore_shared ? 16 : 8;

          if (total > 0)
            {
              if (!_vmstate1_mig_peek (in, 1, &next, error))
                return FALSE;
              has_page_size = next != NULL && next[0] == 0;
            }
          else
            {
              if (!_vmstate1_mig_peek (in, ahead, &next, error))
                return FALSE;
              has_page_size = next != NULL
                              && _vmstate1_mig_get_be64 (next + ahead - 8)
                                 != RAM_SAVE_FLAG_EOS;
            }
          if (has_page_size)
            {
              guint64 page_size;

              if (!_vmstate1_mig_read_be64 (in, &page_size,
                                            "a RAM block's page size", error))
                return FALSE;
              if (page_size < 4096 || page_size > ((guint64) 1 << 40)
                  || (page_size & (page_size - 1)) != 0)
                return _vmstate1_mig_unsupported (error, in->offset - 8,
                                                  "a postcopy RAM block "
                                                  "list whose page sizes "
                                                  "cannot be told apart");
            }
        }
      if (ram->ignore_shared
          && !_vmstate1_mig_read (in, NULL, 8, "a RAM block's address", error))
        return FALSE;

      value = g_new (guint64, 1);
      *value = length;
      g_hash_table_insert (ram->blocks, g_steal_pointer (&key), value);
    }
  return TRUE;
}

gboolean
_vmstate1_mig_ram_read (Vmstate1MigRam    *ram,
                        Vmstate1MigInput  *in,
                        GError           **error)
{
  for (;;)
    {
      guint64 record, addr, flags, at = in->offset;

      if (!_vmstate1_mig_read_be64 (in, &record, "a RAM page record", error))
        return FALSE;
      flags = record & (ram->page_size - 1);
      addr = record & ~(ram->page_size - 1);

      if (flags & (RAM_SAVE_FLAG_XBZRLE | RAM_SAVE_FLAG_COMPRESS_PAGE))
        return _vmstate1_mig_unsupported (error, at,
                                          "its RAM is %s, and this reader "
                                          "does not decompress pages to know "
                                          "their size",
                                          (flags & RAM_SAVE_FLAG_XBZRLE)
                                            ? "XBZRLE-encoded" : "compressed");
      if (flags & RAM_SAVE_FLAG_MULTIFD_FLUSH)
        return _vmstate1_mig_unsupported (error, at,
                                          "it was written with multifd, "
                                          "which sends RAM on other channels");
      if (flags & RAM_SAVE_FLAG_HOOK)
        return _vmstate1_mig_unsupported (error, at, "it has RDMA RAM hooks");

      if (flags & (RAM_SAVE_FLAG_ZERO | RAM_SAVE_FLAG_PAGE))
        {
          if (!(flags & RAM_SAVE_FLAG_CONTINUE))
            {
              guint8 name[256], name_len;
              g_autoptr(GBytes) key = NULL;
              gpointer stored_key, value;

              if (!_vmstate1_mig_read_name (in, name, &name_len,
                                            "a RAM page record", error))
                return FALSE;
              key = g_bytes_new (name, name_len);
              if (!g_hash_table_lookup_extended (ram->blocks, key, &stored_key,
                                                 &value))
                {
                  g_autofree char *printable = _vmstate1_mig_escape (name,
                                                                     name_len);

                  return _vmstate1_mig_malformed (error, at,
                                                  "a page of RAM block "
                                                  "'%s', which the block "
                                                  "list does not have",
                                                  printable);
                }
              ram->block_name = stored_key;
              ram->block_length = value;
            }
          else if (ram->block_length == NULL)
            return _vmstate1_mig_malformed (error, at,
                                            "a page record continues a RAM "
                                            "block, but no block was named "
                                            "before");
          if (addr >= *ram->block_length
              || ram->page_size > *ram->block_length - addr)
            {
              gsize name_len;
              const char *name = g_bytes_get_data (ram->block_name, &name_len);
              g_autofree char *printable = _vmstate1_mig_escape (name,
                                                                 name_len);

              return _vmstate1_mig_malformed (error, at,
                                              "a page at 0x%"
                                              G_GINT64_MODIFIER "x, beyond "
                                              "the %" G_GUINT64_FORMAT
                                              " bytes of RAM block '%s'", addr,
                                              *ram->block_length, printable);
            }
        }

      switch (flags & ~(guint64) RAM_SAVE_FLAG_CONTINUE)
        {
        case RAM_SAVE_FLAG_MEM_SIZE:
          if (flags & RAM_SAVE_FLAG_CONTINUE)
            return _vmstate1_mig_malformed (error, at, "unknown RAM flags 0x%"
                                            G_GINT64_MODIFIER "x", flags);
          if (!read_block_list (ram, in, addr, error))
            return FALSE;
          break;
        case RAM_SAVE_FLAG_ZERO:
          /* A page of one byte value. */
          if (!_vmstate1_mig_read (in, NULL, 1, "a zero page record", error))
            return FALSE;
          break;
        case RAM_SAVE_FLAG_PAGE:
          /* Guest bytes: skipped, never looked at. */
          if (!_vmstate1_mig_read (in, NULL, ram->page_size, "a RAM page",
                                   error))
            return FALSE;
          break;
        case RAM_SAVE_FLAG_EOS:
          if (flags & RAM_SAVE_FLAG_CONTINUE)
            return _vmstate1_mig_malformed (error, at, "unknown RAM flags 0x%"
                                            G_GINT64_MODIFIER "x", flags);
          return TRUE;
        default:
          return _vmstate1_mig_malformed (error, at, "unknown RAM flags 0x%"
                                          G_GINT64_MODIFIER "x", flags);
        }
    }
}
