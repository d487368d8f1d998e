/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dbus-vmstate section of a QEMU migration stream, found by the
 * stream's structure rather than by searching its bytes.
 *
 * QEMU (7.2) writes: the header ('QEVM', version 3), the configuration
 * section, the RAM section (START, PARTs, END: page records, each ending
 * with EOS), the non-iterative device sections (FULL), QEMU_VM_EOF, then
 * the VM description: a JSON document giving the size of every field of
 * every device section. RAM has a self-describing layout and is skipped
 * as it streams by, page by page, never kept. A device section's layout
 * is only known from that JSON, which comes last, so the device sections
 * are kept in memory (bounded), and walked once the JSON is read. Every
 * byte of the stream is thus accounted for: guest RAM and other devices'
 * state can contain anything, they are never taken for the section.
 *
 * Linear time in the input, constant memory for RAM. */
#include <stdarg.h>
#include <string.h>

#include "vmstate1-error.h"
#include "vmstate1-migration-reader-private.h"

#include "vmstate1-states.h"

#define QEMU_VM_FILE_MAGIC      0x5145564du  /* "QEVM" */
#define QEMU_VM_FILE_VERSION    3

enum {
  QEMU_VM_EOF            = 0x00,
  QEMU_VM_SECTION_START  = 0x01,
  QEMU_VM_SECTION_PART   = 0x02,
  QEMU_VM_SECTION_END    = 0x03,
  QEMU_VM_SECTION_FULL   = 0x04,
  QEMU_VM_SUBSECTION     = 0x05,
  QEMU_VM_VMDESCRIPTION  = 0x06,
  QEMU_VM_CONFIGURATION  = 0x07,
  QEMU_VM_COMMAND        = 0x08,
  QEMU_VM_SECTION_FOOTER = 0x7e,
};

/* QEMU_VM_COMMAND sub-commands that matter here. */
#define MIG_CMD_POSTCOPY_ADVISE 3
#define MIG_CMD_PACKAGED        7
#define MIG_CMD_LAST_KNOWN      11  /* SWITCHOVER_START, in later QEMU */

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
#define JSON_DEPTH_MAX   200
/* A real vmdesc has one value per 15 bytes or so (6710 values in the 98 KB
 * of a -M pc VM's): these bound the parser's memory to about 100 MB. */
#define JSON_NODES_MAX   (1024u * 1024)

#define LIBVIRT_MAGIC_SAVE    "LibvirtQemudSave"
#define LIBVIRT_MAGIC_PARTIAL "LibvirtQemudPart"
#define LIBVIRT_MAGIC_LEN     16
/* magic, then version, data_len, was_running, format, cookieOffset and
 * 14 unused u32, in the byte order of the host that wrote it */
#define LIBVIRT_HEADER_LEN    (LIBVIRT_MAGIC_LEN + 19 * 4)

#define DBUS_VMSTATE_VMSD "dbus-vmstate"

#define READ_CHUNK (64 * 1024)

/* Messages */

/* Bytes from the stream, printable: anything but printable ASCII (and
 * the quote and backslash) becomes \xNN. */
static char *
escape_bytes (const void *data,
              gsize       len)
{
  const guint8 *p = data;
  GString *out = g_string_sized_new (len + 8);

  for (gsize i = 0; i < len; i++)
    {
      if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'')
        g_string_append_c (out, (char) p[i]);
      else
        g_string_append_printf (out, "\\x%02x", p[i]);
    }
  return g_string_free (out, FALSE);
}

static gboolean G_GNUC_PRINTF (3, 4)
malformed (GError     **error,
           guint64      offset,
           const char  *format,
           ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
               "QEMU migration stream malformed at offset %" G_GUINT64_FORMAT
               ": %s", offset, message);
  return FALSE;
}

static gboolean G_GNUC_PRINTF (3, 4)
unsupported (GError     **error,
             guint64      offset,
             const char  *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "cannot tell whether this QEMU migration stream has a "
               "dbus-vmstate section: %s (offset %" G_GUINT64_FORMAT ")",
               message, offset);
  return FALSE;
}

/* Reading the input */

typedef struct
{
  GInputStream *stream;
  GCancellable *cancellable;
  guint8 *buf;
  gsize start, end;  /* the unread bytes: buf[start..end) */
  guint64 offset;    /* offset in the input of buf[start] */
  gboolean eof;
} Reader;

/* Makes @want (at most READ_CHUNK) bytes available if the input has
 * them; fewer at its end. */
static gboolean
reader_fill (Reader  *r,
             gsize    want,
             GError **error)
{
  if (r->end - r->start >= want)
    return TRUE;
  if (r->start > 0)
    {
      memmove (r->buf, r->buf + r->start, r->end - r->start);
      r->end -= r->start;
      r->start = 0;
    }
  while (r->end < want && !r->eof)
    {
      gssize got;

      /* Not every stream checks: a long read stops here too. */
      if (g_cancellable_set_error_if_cancelled (r->cancellable, error))
        return FALSE;
      got = g_input_stream_read (r->stream, r->buf + r->end,
                                 READ_CHUNK - r->end, r->cancellable, error);
      if (got < 0)
        return FALSE;
      if (got == 0)
        r->eof = TRUE;
      r->end += got;
    }
  return TRUE;
}

/* *data: @n bytes ahead, not consumed; NULL where the input ends before. */
static gboolean
reader_peek (Reader         *r,
             gsize           n,
             const guint8  **data,
             GError        **error)
{
  if (!reader_fill (r, n, error))
    return FALSE;
  *data = r->end - r->start >= n ? r->buf + r->start : NULL;
  return TRUE;
}

/* Consumes @n bytes into @dest, or skips them for a NULL @dest: RAM pages
 * go by without being kept. @what names what is read, for the message
 * when the input ends first. */
static gboolean
reader_take (Reader      *r,
             void        *dest,
             guint64      n,
             const char  *what,
             GError     **error)
{
  guint8 *out = dest;
  guint64 from = r->offset;

  while (n > 0)
    {
      gsize avail;

      if (r->start == r->end)
        {
          if (!reader_fill (r, 1, error))
            return FALSE;
          if (r->start == r->end)
            return malformed (error, r->offset,
                              "the stream ends inside %s (from offset %"
                              G_GUINT64_FORMAT ")", what, from);
        }
      avail = (gsize) MIN ((guint64) (r->end - r->start), n);
      if (out != NULL)
        {
          memcpy (out, r->buf + r->start, avail);
          out += avail;
        }
      r->start += avail;
      r->offset += avail;
      n -= avail;
    }
  return TRUE;
}

static gboolean
reader_u8 (Reader *r, guint8 *value, const char *what, GError **error)
{
  return reader_take (r, value, 1, what, error);
}

static gboolean
reader_be16 (Reader *r, guint16 *value, const char *what, GError **error)
{
  guint8 b[2];

  if (!reader_take (r, b, sizeof b, what, error))
    return FALSE;
  *value = (guint16) (b[0] << 8 | b[1]);
  return TRUE;
}

static guint32
get_le32 (const guint8 *b)
{
  return (guint32) b[3] << 24 | (guint32) b[2] << 16 | (guint32) b[1] << 8
         | b[0];
}

static guint32
get_be32 (const guint8 *b)
{
  return (guint32) b[0] << 24 | (guint32) b[1] << 16 | (guint32) b[2] << 8
         | b[3];
}

static guint64
get_be64 (const guint8 *b)
{
  return (guint64) get_be32 (b) << 32 | get_be32 (b + 4);
}

static gboolean
reader_be32 (Reader *r, guint32 *value, const char *what, GError **error)
{
  guint8 b[4];

  if (!reader_take (r, b, sizeof b, what, error))
    return FALSE;
  *value = get_be32 (b);
  return TRUE;
}

static gboolean
reader_be64 (Reader *r, guint64 *value, const char *what, GError **error)
{
  guint8 b[8];

  if (!reader_take (r, b, sizeof b, what, error))
    return FALSE;
  *value = get_be64 (b);
  return TRUE;
}

/* A u8 length, then that many bytes (QEMU's idstr and block names). */
static gboolean
reader_name (Reader      *r,
             guint8       name[256],
             guint8      *len,
             const char  *what,
             GError     **error)
{
  return reader_u8 (r, len, what, error)
         && reader_take (r, name, *len, what, error);
}

/* The stream up to the device sections */

typedef struct
{
  Reader r;
  guint64 page_size;
  gboolean ignore_shared;  /* x-ignore-shared: blocks carry their address */
  gboolean postcopy;       /* postcopy-ram: blocks may carry a page size */
  gboolean have_ram;
  guint32 ram_section_id;
  GHashTable *blocks;      /* GBytes name -> guint64 *used length */
  guint64 *block_length;   /* the block of the last page record */
  GBytes *block_name;
} Walk;

static gboolean
read_footer (Walk     *w,
             guint32   section_id,
             GError  **error)
{
  const guint8 *next;
  guint32 id;

  /* Footers are optional (machine types before 2.3 have none); a
   * section type never has the footer's value. */
  if (!reader_peek (&w->r, 1, &next, error))
    return FALSE;
  if (next == NULL || next[0] != QEMU_VM_SECTION_FOOTER)
    return TRUE;
  if (!reader_take (&w->r, NULL, 1, "a section footer", error)
      || !reader_be32 (&w->r, &id, "a section footer", error))
    return FALSE;
  if (id != section_id)
    return malformed (error, w->r.offset - 4,
                      "the footer of section %u says section %u",
                      section_id, id);
  return TRUE;
}

static gboolean
read_configuration (Walk     *w,
                    GError  **error)
{
  guint32 len;
  guint8 machine[256];

  /* vmstate "configuration": the machine type's name, u32-sized. */
  if (!reader_be32 (&w->r, &len, "the configuration section", error))
    return FALSE;
  if (len > sizeof machine)
    return malformed (error, w->r.offset - 4,
                      "a machine type name of %u bytes", len);
  if (!reader_take (&w->r, machine, len, "the configuration section", error))
    return FALSE;

  /* Its subsections, each announced by QEMU_VM_SUBSECTION. */
  for (;;)
    {
      const guint8 *next;
      guint8 name[256], name_len;
      guint32 version;
      guint64 at;

      if (!reader_peek (&w->r, 1, &next, error))
        return FALSE;
      if (next == NULL || next[0] != QEMU_VM_SUBSECTION)
        return TRUE;
      at = w->r.offset;
      if (!reader_take (&w->r, NULL, 1, "a configuration subsection", error)
          || !reader_name (&w->r, name, &name_len,
                           "a configuration subsection", error)
          || !reader_be32 (&w->r, &version, "a configuration subsection",
                           error))
        return FALSE;

#define IS(literal) (name_len == strlen (literal) \
                     && memcmp (name, literal, name_len) == 0)
      if (IS ("configuration/target-page-bits"))
        {
          guint32 bits;

          if (!reader_be32 (&w->r, &bits, "the target page bits", error))
            return FALSE;
          /* The RAM flags live below the page size: at least 10 bits. */
          if (bits < 10 || bits > 30)
            return unsupported (error, w->r.offset - 4,
                                "a target page size of 2^%u bytes", bits);
          w->page_size = (guint64) 1 << bits;
        }
      else if (IS ("configuration/capabilities"))
        {
          guint32 count;

          if (!reader_be32 (&w->r, &count, "the capabilities", error))
            return FALSE;
          if (count > 256)
            return malformed (error, w->r.offset - 4,
                              "%u migration capabilities", count);
          for (guint32 i = 0; i < count; i++)
            {
              guint8 cap[256], cap_len;

              if (!reader_name (&w->r, cap, &cap_len, "a capability", error))
                return FALSE;
              if (cap_len == strlen ("x-ignore-shared")
                  && memcmp (cap, "x-ignore-shared", cap_len) == 0)
                w->ignore_shared = TRUE;
            }
        }
      else if (IS ("configuration/uuid"))
        {
          if (!reader_take (&w->r, NULL, 16, "the VM's UUID", error))
            return FALSE;
        }
      else
        {
          g_autofree char *printable = escape_bytes (name, name_len);

          return unsupported (error, at,
                              "unknown configuration subsection '%s' "
                              "(version %u)", printable, version);
        }
#undef IS
    }
}

/* The MEM_SIZE record: the RAM blocks and their lengths. */
static gboolean
read_block_list (Walk     *w,
                 guint64   total,
                 GError  **error)
{
  while (total > 0)
    {
      guint8 name[256], name_len;
      guint64 length, at = w->r.offset;
      g_autoptr(GBytes) key = NULL;
      guint64 *value;

      if (!reader_name (&w->r, name, &name_len, "the RAM block list", error)
          || !reader_be64 (&w->r, &length, "the RAM block list", error))
        return FALSE;
      if (name_len == 0)
        return malformed (error, at, "a RAM block without a name");
      key = g_bytes_new (name, name_len);
      if (length > total)
        {
          g_autofree char *printable = escape_bytes (name, name_len);

          return malformed (error, at,
                            "RAM block '%s' of %" G_GUINT64_FORMAT " bytes, "
                            "more than the %" G_GUINT64_FORMAT " bytes of RAM "
                            "left to list", printable, length, total);
        }
      if (g_hash_table_contains (w->blocks, key))
        {
          g_autofree char *printable = escape_bytes (name, name_len);

          return malformed (error, at, "RAM block '%s' listed twice",
                            printable);
        }
      if (g_hash_table_size (w->blocks) >= RAM_BLOCKS_MAX)
        return malformed (error, at, "more than %d RAM blocks",
                          RAM_BLOCKS_MAX);
      total -= length;

      /* With postcopy-ram QEMU adds the block's page size where it is not
       * the host's. A page size is a be64 with a zero first byte, while a
       * next block starts with its non-zero name length; after the last
       * block the list is followed by EOS (and, with x-ignore-shared, by
       * this block's address first). */
      if (w->postcopy)
        {
          const guint8 *next;
          gboolean has_page_size;
          gsize ahead = w->ignore_shared ? 16 : 8;

          if (total > 0)
            {
              if (!reader_peek (&w->r, 1, &next, error))
                return FALSE;
              has_page_size = next != NULL && next[0] == 0;
            }
          else
            {
              if (!reader_peek (&w->r, ahead, &next, error))
                return FALSE;
              has_page_size = next != NULL
                              && get_be64 (next + ahead - 8)
                                 != RAM_SAVE_FLAG_EOS;
            }
          if (has_page_size)
            {
              guint64 page_size;

              if (!reader_be64 (&w->r, &page_size, "a RAM block's page size",
                                error))
                return FALSE;
              if (page_size < 4096 || page_size > ((guint64) 1 << 40)
                  || (page_size & (page_size - 1)) != 0)
                return unsupported (error, w->r.offset - 8,
                                    "a postcopy RAM block list whose page "
                                    "sizes cannot be told apart");
            }
        }
      if (w->ignore_shared
          && !reader_take (&w->r, NULL, 8, "a RAM block's address", error))
        return FALSE;

      value = g_new (guint64, 1);
      *value = length;
      g_hash_table_insert (w->blocks, g_steal_pointer (&key), value);
    }
  return TRUE;
}

/* One RAM section's page records, up to and including EOS. */
static gboolean
read_ram (Walk     *w,
          GError  **error)
{
  for (;;)
    {
      guint64 record, addr, flags, at = w->r.offset;

      if (!reader_be64 (&w->r, &record, "a RAM page record", error))
        return FALSE;
      flags = record & (w->page_size - 1);
      addr = record & ~(w->page_size - 1);

      if (flags & (RAM_SAVE_FLAG_XBZRLE | RAM_SAVE_FLAG_COMPRESS_PAGE))
        return unsupported (error, at,
                            "its RAM is %s, and this reader does not "
                            "decompress pages to know their size",
                            (flags & RAM_SAVE_FLAG_XBZRLE)
                              ? "XBZRLE-encoded" : "compressed");
      if (flags & RAM_SAVE_FLAG_MULTIFD_FLUSH)
        return unsupported (error, at,
                            "it was written with multifd, which sends RAM "
                            "on other channels");
      if (flags & RAM_SAVE_FLAG_HOOK)
        return unsupported (error, at, "it has RDMA RAM hooks");

      if (flags & (RAM_SAVE_FLAG_ZERO | RAM_SAVE_FLAG_PAGE))
        {
          if (!(flags & RAM_SAVE_FLAG_CONTINUE))
            {
              guint8 name[256], name_len;
              g_autoptr(GBytes) key = NULL;
              gpointer stored_key, value;

              if (!reader_name (&w->r, name, &name_len, "a RAM page record",
                                error))
                return FALSE;
              key = g_bytes_new (name, name_len);
              if (!g_hash_table_lookup_extended (w->blocks, key, &stored_key,
                                                 &value))
                {
                  g_autofree char *printable = escape_bytes (name, name_len);

                  return malformed (error, at,
                                    "a page of RAM block '%s', which the "
                                    "block list does not have", printable);
                }
              w->block_name = stored_key;
              w->block_length = value;
            }
          else if (w->block_length == NULL)
            return malformed (error, at,
                              "a page record continues a RAM block, but "
                              "no block was named before");
          if (addr >= *w->block_length
              || w->page_size > *w->block_length - addr)
            {
              gsize name_len;
              const char *name = g_bytes_get_data (w->block_name, &name_len);
              g_autofree char *printable = escape_bytes (name, name_len);

              return malformed (error, at,
                                "a page at 0x%" G_GINT64_MODIFIER "x, beyond "
                                "the %" G_GUINT64_FORMAT " bytes of RAM "
                                "block '%s'", addr, *w->block_length,
                                printable);
            }
        }

      switch (flags & ~(guint64) RAM_SAVE_FLAG_CONTINUE)
        {
        case RAM_SAVE_FLAG_MEM_SIZE:
          if (flags & RAM_SAVE_FLAG_CONTINUE)
            return malformed (error, at, "unknown RAM flags 0x%"
                              G_GINT64_MODIFIER "x", flags);
          if (!read_block_list (w, addr, error))
            return FALSE;
          break;
        case RAM_SAVE_FLAG_ZERO:
          /* A page of one byte value. */
          if (!reader_take (&w->r, NULL, 1, "a zero page record", error))
            return FALSE;
          break;
        case RAM_SAVE_FLAG_PAGE:
          /* Guest bytes: skipped, never looked at. */
          if (!reader_take (&w->r, NULL, w->page_size, "a RAM page", error))
            return FALSE;
          break;
        case RAM_SAVE_FLAG_EOS:
          if (flags & RAM_SAVE_FLAG_CONTINUE)
            return malformed (error, at, "unknown RAM flags 0x%"
                              G_GINT64_MODIFIER "x", flags);
          return TRUE;
        default:
          return malformed (error, at, "unknown RAM flags 0x%"
                            G_GINT64_MODIFIER "x", flags);
        }
    }
}

typedef struct
{
  guint32 section_id;
  guint8 idstr[256];
  guint8 idstr_len;
  guint32 instance_id;
  guint32 version_id;
} SectionHeader;

static gboolean
read_section_header (Reader         *r,
                     SectionHeader  *header,
                     GError        **error)
{
  return reader_be32 (r, &header->section_id, "a section header", error)
         && reader_name (r, header->idstr, &header->idstr_len,
                         "a section header", error)
         && reader_be32 (r, &header->instance_id, "a section header", error)
         && reader_be32 (r, &header->version_id, "a section header", error);
}

static gboolean
skip_command (Reader   *r,
              Walk     *w,
              GError  **error)
{
  guint16 command, len;
  guint64 at = r->offset - 1;

  if (!reader_be16 (r, &command, "a command", error)
      || !reader_be16 (r, &len, "a command", error))
    return FALSE;
  if (command == MIG_CMD_PACKAGED)
    return unsupported (error, at,
                        "a postcopy package (a stream inside the stream)");
  if (command == 0 || command > MIG_CMD_LAST_KNOWN)
    return unsupported (error, at, "unknown command %u", command);
  if (command == MIG_CMD_POSTCOPY_ADVISE && w != NULL)
    w->postcopy = TRUE;
  return reader_take (r, NULL, len, "a command", error);
}

/* Reads up to the first device section (or the end marker), whose type
 * byte is left in *type. */
static gboolean
read_head (Walk     *w,
           guint8   *type,
           GError  **error)
{
  Reader *r = &w->r;
  const guint8 *peek;
  guint8 header[8];

  if (!reader_peek (r, LIBVIRT_MAGIC_LEN, &peek, error))
    return FALSE;
  if (peek != NULL && memcmp (peek, LIBVIRT_MAGIC_PARTIAL,
                              LIBVIRT_MAGIC_LEN) == 0)
    return malformed (error, 0,
                      "this libvirt save image is incomplete (its magic is "
                      "'" LIBVIRT_MAGIC_PARTIAL "': the save did not finish)");
  if (peek != NULL && memcmp (peek, LIBVIRT_MAGIC_SAVE,
                              LIBVIRT_MAGIC_LEN) == 0)
    {
      static const char *const formats[] = {
        "raw", "gzip", "bzip2", "xz", "lzop", "zstd", "sparse",
      };
      guint8 lv[LIBVIRT_HEADER_LEN];
      guint32 version, data_len, format;
      gboolean swap = FALSE;

      if (!reader_take (r, lv, sizeof lv, "the libvirt save image header",
                        error))
        return FALSE;
      /* Written in the byte order of its host: libvirt itself tells them
       * apart by the version. */
      if (get_le32 (lv + 16) < 1 || get_le32 (lv + 16) > 2)
        swap = TRUE;
#define FIELD(at) (swap ? get_be32 (lv + (at)) : get_le32 (lv + (at)))
      version = FIELD (16);
      data_len = FIELD (20);
      format = FIELD (28);
#undef FIELD
      if (version < 1 || version > 2)
        return unsupported (error, 16,
                            "a libvirt save image of unknown version %u",
                            version);
      if (version == 2 && format != 0)
        {
          if (format < G_N_ELEMENTS (formats))
            return unsupported (error, 28,
                                "this libvirt save image is in format '%s' "
                                "(compressed or sparse), not raw: "
                                "decompress it first", formats[format]);
          return unsupported (error, 28,
                              "this libvirt save image is in unknown "
                              "format %u", format);
        }
      if (data_len == 0)
        return malformed (error, 20,
                          "libvirt save image header with no XML");
      if (!reader_take (r, NULL, data_len,
                        "the libvirt save image's domain XML", error))
        return FALSE;
    }

  if (!reader_take (r, header, sizeof header, "the stream header", error))
    return FALSE;
  if (get_be32 (header) != QEMU_VM_FILE_MAGIC)
    {
      g_autofree char *printable = escape_bytes (header, 4);

      return malformed (error, r->offset - 8,
                        "not a QEMU migration stream nor a libvirt save "
                        "image (magic '%s', not 'QEVM')", printable);
    }
  if (get_be32 (header + 4) != QEMU_VM_FILE_VERSION)
    return unsupported (error, r->offset - 4,
                        "stream version %u (only version %d is known)",
                        get_be32 (header + 4), QEMU_VM_FILE_VERSION);

  for (gboolean first = TRUE;; first = FALSE)
    {
      SectionHeader section;
      guint64 at = r->offset;

      if (!reader_u8 (r, type, "a section type", error))
        return FALSE;
      switch (*type)
        {
        case QEMU_VM_CONFIGURATION:
          if (!first)
            return malformed (error, at,
                              "a configuration section after other "
                              "sections");
          if (!read_configuration (w, error))
            return FALSE;
          break;

        case QEMU_VM_SECTION_START:
          if (!read_section_header (r, &section, error))
            return FALSE;
          if (section.idstr_len != 3 || memcmp (section.idstr, "ram", 3) != 0)
            {
              g_autofree char *printable = escape_bytes (section.idstr,
                                                         section.idstr_len);

              return unsupported (error, at,
                                  "iterative section '%s', whose layout is "
                                  "not described anywhere in the stream",
                                  printable);
            }
          if (w->have_ram)
            return malformed (error, at, "a second RAM section");
          if (section.version_id != 4)
            return unsupported (error, at, "RAM section version %u (only 4 "
                                "is known)", section.version_id);
          w->have_ram = TRUE;
          w->ram_section_id = section.section_id;
          if (!read_ram (w, error)
              || !read_footer (w, section.section_id, error))
            return FALSE;
          break;

        case QEMU_VM_SECTION_PART:
        case QEMU_VM_SECTION_END:
          if (!reader_be32 (r, &section.section_id, "a section header",
                            error))
            return FALSE;
          if (!w->have_ram || section.section_id != w->ram_section_id)
            return malformed (error, at, "a part of section %u, which did "
                              "not start", section.section_id);
          if (!read_ram (w, error)
              || !read_footer (w, section.section_id, error))
            return FALSE;
          break;

        case QEMU_VM_COMMAND:
          if (!skip_command (r, w, error))
            return FALSE;
          break;

        case QEMU_VM_SECTION_FULL:
        case QEMU_VM_EOF:
          return TRUE;

        case QEMU_VM_SUBSECTION:
        case QEMU_VM_SECTION_FOOTER:
        case QEMU_VM_VMDESCRIPTION:
          return malformed (error, at, "section type 0x%02x out of place",
                            *type);

        default:
          return unsupported (error, at, "unknown section type 0x%02x",
                              *type);
        }
    }
}

/* The VM description: a small strict JSON parser. QEMU writes plain
 * JSON (objects, arrays, strings, integers); nodes are counted and depth
 * bounded. */

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } JType;

typedef struct _JNode JNode;
struct _JNode
{
  JType type;
  gboolean is_int;    /* a J_NUMBER that fits a gint64 */
  gint64 integer;
  char *str;          /* J_STRING, NUL-terminated, no NUL inside */
  gsize str_len;
  char *key;          /* a member of an J_OBJECT: its name */
  gsize key_len;
  GPtrArray *children;
  gsize at;           /* offset in the JSON text */
};

static void
j_free (gpointer data)
{
  JNode *node = data;

  if (node == NULL)
    return;
  g_free (node->str);
  g_free (node->key);
  if (node->children != NULL)
    g_ptr_array_unref (node->children);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JNode, j_free)

typedef struct
{
  const char *text;
  gsize pos, len;
  guint64 base;  /* offset of the text in the input */
  guint nodes;
} JParser;

static gboolean G_GNUC_PRINTF (3, 4)
j_error (JParser     *jp,
         GError     **error,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return malformed (error, jp->base + jp->pos,
                    "the VM description (JSON from offset %" G_GUINT64_FORMAT
                    ") is not valid JSON: %s", jp->base, message);
}

static void
j_space (JParser *jp)
{
  while (jp->pos < jp->len
         && (jp->text[jp->pos] == ' ' || jp->text[jp->pos] == '\t'
             || jp->text[jp->pos] == '\n' || jp->text[jp->pos] == '\r'))
    jp->pos++;
}

static int
j_hex4 (JParser *jp)
{
  int value = 0;

  if (jp->len - jp->pos < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (jp->text[jp->pos + i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  jp->pos += 4;
  return value;
}

static char *
j_string (JParser  *jp,
          gsize    *out_len,
          GError  **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  jp->pos++;  /* the opening quote */
  for (;;)
    {
      char c;

      if (jp->pos >= jp->len)
        {
          j_error (jp, error, "a string does not end");
          return NULL;
        }
      c = jp->text[jp->pos++];
      if (c == '"')
        break;
      if ((guchar) c < 0x20)
        {
          jp->pos--;
          j_error (jp, error, "a control character in a string");
          return NULL;
        }
      if (c != '\\')
        {
          g_string_append_c (out, c);
          continue;
        }
      if (jp->pos >= jp->len)
        {
          j_error (jp, error, "a string does not end");
          return NULL;
        }
      c = jp->text[jp->pos++];
      switch (c)
        {
        case '"': case '\\': case '/':
          g_string_append_c (out, c);
          break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            int unit = j_hex4 (jp);
            gunichar ch;

            if (unit < 0)
              {
                j_error (jp, error, "a bad \\u escape");
                return NULL;
              }
            ch = (gunichar) unit;
            if (unit >= 0xd800 && unit <= 0xdbff)
              {
                int low;

                if (jp->len - jp->pos < 2 || jp->text[jp->pos] != '\\'
                    || jp->text[jp->pos + 1] != 'u')
                  {
                    j_error (jp, error, "a lone surrogate in a string");
                    return NULL;
                  }
                jp->pos += 2;
                low = j_hex4 (jp);
                if (low < 0xdc00 || low > 0xdfff)
                  {
                    j_error (jp, error, "a lone surrogate in a string");
                    return NULL;
                  }
                ch = 0x10000 + (((gunichar) unit - 0xd800) << 10)
                     + ((gunichar) low - 0xdc00);
              }
            else if (unit >= 0xdc00 && unit <= 0xdfff)
              {
                j_error (jp, error, "a lone surrogate in a string");
                return NULL;
              }
            if (ch == 0)
              {
                j_error (jp, error, "a NUL character in a string");
                return NULL;
              }
            g_string_append_unichar (out, ch);
          }
          break;
        default:
          jp->pos--;
          j_error (jp, error, "an unknown escape in a string");
          return NULL;
        }
    }
  if (!g_utf8_validate_len (out->str, out->len, NULL))
    {
      j_error (jp, error, "a string that is not UTF-8");
      return NULL;
    }
  *out_len = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
j_number (JParser  *jp,
          JNode    *node,
          GError  **error)
{
  gboolean negative = FALSE, overflow = FALSE;
  guint64 magnitude = 0;

  node->type = J_NUMBER;
  if (jp->text[jp->pos] == '-')
    {
      negative = TRUE;
      jp->pos++;
    }
  if (jp->pos >= jp->len || !g_ascii_isdigit (jp->text[jp->pos]))
    return j_error (jp, error, "a bad number");
  if (jp->text[jp->pos] == '0' && jp->pos + 1 < jp->len
      && g_ascii_isdigit (jp->text[jp->pos + 1]))
    return j_error (jp, error, "a number with a leading zero");
  while (jp->pos < jp->len && g_ascii_isdigit (jp->text[jp->pos]))
    {
      guint digit = (guint) (jp->text[jp->pos++] - '0');

      if (magnitude > (G_MAXUINT64 - digit) / 10)
        overflow = TRUE;
      else
        magnitude = magnitude * 10 + digit;
    }
  node->is_int = !overflow
                 && magnitude <= (negative ? (guint64) G_MAXINT64 + 1
                                           : (guint64) G_MAXINT64);
  if (node->is_int)
    node->integer = negative ? (gint64) (0 - magnitude) : (gint64) magnitude;
  if (jp->pos < jp->len && jp->text[jp->pos] == '.')
    {
      node->is_int = FALSE;
      jp->pos++;
      if (jp->pos >= jp->len || !g_ascii_isdigit (jp->text[jp->pos]))
        return j_error (jp, error, "a bad number");
      while (jp->pos < jp->len && g_ascii_isdigit (jp->text[jp->pos]))
        jp->pos++;
    }
  if (jp->pos < jp->len && (jp->text[jp->pos] == 'e'
                            || jp->text[jp->pos] == 'E'))
    {
      node->is_int = FALSE;
      jp->pos++;
      if (jp->pos < jp->len && (jp->text[jp->pos] == '+'
                                || jp->text[jp->pos] == '-'))
        jp->pos++;
      if (jp->pos >= jp->len || !g_ascii_isdigit (jp->text[jp->pos]))
        return j_error (jp, error, "a bad number");
      while (jp->pos < jp->len && g_ascii_isdigit (jp->text[jp->pos]))
        jp->pos++;
    }
  return TRUE;
}

static JNode *
j_value (JParser  *jp,
         guint     depth,
         GError  **error)
{
  g_autoptr(JNode) node = NULL;

  j_space (jp);
  if (jp->pos >= jp->len)
    {
      j_error (jp, error, "it ends where a value should be");
      return NULL;
    }
  if (depth > JSON_DEPTH_MAX)
    {
      j_error (jp, error, "nested more than %d deep", JSON_DEPTH_MAX);
      return NULL;
    }
  if (++jp->nodes > JSON_NODES_MAX)
    {
      j_error (jp, error, "more than %u values", JSON_NODES_MAX);
      return NULL;
    }
  node = g_new0 (JNode, 1);
  node->at = jp->pos;

  switch (jp->text[jp->pos])
    {
    case '{':
    case '[':
      {
        gboolean object = jp->text[jp->pos] == '{';
        char close = object ? '}' : ']';

        node->type = object ? J_OBJECT : J_ARRAY;
        node->children = g_ptr_array_new_with_free_func (j_free);
        jp->pos++;
        j_space (jp);
        if (jp->pos < jp->len && jp->text[jp->pos] == close)
          {
            jp->pos++;
            break;
          }
        for (;;)
          {
            g_autofree char *key = NULL;
            gsize key_len = 0;
            JNode *child;

            if (object)
              {
                j_space (jp);
                if (jp->pos >= jp->len || jp->text[jp->pos] != '"')
                  {
                    j_error (jp, error, "expected a member name");
                    return NULL;
                  }
                key = j_string (jp, &key_len, error);
                if (key == NULL)
                  return NULL;
                j_space (jp);
                if (jp->pos >= jp->len || jp->text[jp->pos] != ':')
                  {
                    j_error (jp, error, "expected ':'");
                    return NULL;
                  }
                jp->pos++;
              }
            child = j_value (jp, depth + 1, error);
            if (child == NULL)
              return NULL;
            child->key = g_steal_pointer (&key);
            child->key_len = key_len;
            g_ptr_array_add (node->children, child);
            j_space (jp);
            if (jp->pos < jp->len && jp->text[jp->pos] == ',')
              {
                jp->pos++;
                continue;
              }
            if (jp->pos < jp->len && jp->text[jp->pos] == close)
              {
                jp->pos++;
                break;
              }
            j_error (jp, error, "expected ',' or '%c'", close);
            return NULL;
          }
      }
      break;

    case '"':
      node->type = J_STRING;
      node->str = j_string (jp, &node->str_len, error);
      if (node->str == NULL)
        return NULL;
      break;

    case 't':
    case 'f':
    case 'n':
      {
        static const char *const words[] = { "true", "false", "null" };

        for (guint i = 0; i < G_N_ELEMENTS (words); i++)
          {
            gsize n = strlen (words[i]);

            if (jp->len - jp->pos >= n
                && memcmp (jp->text + jp->pos, words[i], n) == 0)
              {
                node->type = i == 2 ? J_NULL : J_BOOL;
                node->integer = i == 0;
                jp->pos += n;
                return g_steal_pointer (&node);
              }
          }
        j_error (jp, error, "an unknown word");
        return NULL;
      }

    default:
      if (jp->text[jp->pos] != '-' && !g_ascii_isdigit (jp->text[jp->pos]))
        {
          j_error (jp, error, "unexpected character 0x%02x",
                   (guchar) jp->text[jp->pos]);
          return NULL;
        }
      if (!j_number (jp, node, error))
        return NULL;
      break;
    }
  return g_steal_pointer (&node);
}

static JNode *
j_parse (const char  *text,
         gsize        len,
         guint64      base,
         GError     **error)
{
  JParser jp = { .text = text, .len = len, .base = base };
  g_autoptr(JNode) root = j_value (&jp, 0, error);

  if (root == NULL)
    return NULL;
  j_space (&jp);
  if (jp.pos != jp.len)
    {
      j_error (&jp, error, "text after the end of the document");
      return NULL;
    }
  return g_steal_pointer (&root);
}

/* The first member @key of @object, or NULL. */
static JNode *
j_get (JNode      *object,
       const char *key)
{
  gsize key_len = strlen (key);

  if (object == NULL || object->type != J_OBJECT)
    return NULL;
  for (guint i = 0; i < object->children->len; i++)
    {
      JNode *child = g_ptr_array_index (object->children, i);

      if (child->key_len == key_len && memcmp (child->key, key, key_len) == 0)
        return child;
    }
  return NULL;
}

static gboolean
j_is_string (JNode      *node,
             const char *value)
{
  return node != NULL && node->type == J_STRING
         && strcmp (node->str, value) == 0;
}

/* The device sections, walked with the VM description */

typedef struct
{
  const guint8 *data;
  gsize pos;
  gsize end;          /* the QEMU_VM_EOF byte before the description */
  guint64 base;       /* offset of data[0] in the input */
  guint64 json_base;  /* offset of the JSON text in the input */
  GBytes *tail;
  GBytes *blob;
  guint64 blob_offset;
} Devices;

static gboolean
desc_error (Devices     *d,
            JNode       *node,
            GError     **error,
            const char  *what)
{
  return malformed (error, d->json_base + (node != NULL ? node->at : 0),
                    "the VM description %s", what);
}

/* @what: "section 'name'", "a command"... */
static gboolean
dev_need (Devices     *d,
          guint64      n,
          const char  *what,
          GError     **error)
{
  if (n > d->end - d->pos)
    return malformed (error, d->base + d->pos,
                      "%s ends past the end of the device state "
                      "(%" G_GUINT64_FORMAT " bytes needed, %" G_GSIZE_FORMAT
                      " left before QEMU_VM_EOF)", what, n,
                      d->end - d->pos);
  return TRUE;
}

/* Skips the fields, then the subsections, of one vmstate as described. */
static gboolean
skip_vmsd (Devices     *d,
           JNode       *desc,
           const char  *section,  /* "section 'name'" */
           GError     **error)
{
  JNode *fields = j_get (desc, "fields");
  JNode *subsections = j_get (desc, "subsections");

  if (fields == NULL || fields->type != J_ARRAY)
    return desc_error (d, desc, error, "has a section without its fields");
  for (guint i = 0; i < fields->children->len; i++)
    {
      JNode *field = g_ptr_array_index (fields->children, i);
      JNode *size = j_get (field, "size");
      JNode *array_len = j_get (field, "array_len");
      guint64 count = 1, bytes;

      if (size == NULL || !size->is_int || size->integer < 0)
        return desc_error (d, field, error, "has a field without its size");
      if (array_len != NULL)
        {
          if (!array_len->is_int || array_len->integer < 1)
            return desc_error (d, array_len, error,
                               "has a bad array length");
          count = (guint64) array_len->integer;
        }
      /* Elements of a compressed array all have the first one's size. */
      if (size->integer != 0 && count > G_MAXUINT64 / (guint64) size->integer)
        return dev_need (d, G_MAXUINT64, section, error);
      bytes = (guint64) size->integer * count;
      if (!dev_need (d, bytes, section, error))
        return FALSE;
      d->pos += bytes;
    }

  if (subsections == NULL)
    return TRUE;
  if (subsections->type != J_ARRAY)
    return desc_error (d, subsections, error, "has bad subsections");
  for (guint i = 0; i < subsections->children->len; i++)
    {
      JNode *sub = g_ptr_array_index (subsections->children, i);
      JNode *name = j_get (sub, "vmsd_name");
      JNode *version = j_get (sub, "version");
      gsize at = d->pos;
      gboolean matches;
      guint8 len;

      if (name == NULL || name->type != J_STRING || name->str_len > 255
          || version == NULL || !version->is_int)
        return desc_error (d, sub, error,
                           "has a subsection without its name or version");
      /* Subsection framing is not in any field's size: type, name,
       * version, as the description has them. */
      if (!dev_need (d, 2, section, error))
        return FALSE;
      len = d->data[d->pos + 1];
      matches = d->data[d->pos] == QEMU_VM_SUBSECTION && len == name->str_len;
      if (matches)
        {
          if (!dev_need (d, 2 + (guint64) len + 4, section, error))
            return FALSE;
          matches = memcmp (d->data + d->pos + 2, name->str, len) == 0
                    && get_be32 (d->data + d->pos + 2 + len)
                       == (guint64) version->integer;
        }
      if (!matches)
        {
          g_autofree char *printable = escape_bytes (name->str,
                                                     name->str_len);

          return malformed (error, d->base + at,
                            "%s lacks its subsection '%s' (version "
                            "%" G_GINT64_FORMAT ") that the VM description "
                            "lists", section, printable, version->integer);
        }
      d->pos += 2 + len + 4;
      if (!skip_vmsd (d, sub, section, error))
        return FALSE;
    }
  return TRUE;
}

/* The dbus-vmstate vmstate: a u32 size, then that many bytes. */
static gboolean
take_dbus_vmstate (Devices   *d,
                   JNode     *device,
                   guint64    section_at,
                   GError   **error)
{
  JNode *fields = j_get (device, "fields");
  JNode *subsections = j_get (device, "subsections");
  JNode *size_field, *data_field, *data_size;
  guint32 stored;

  if (d->blob != NULL)
    return unsupported (error, section_at,
                        "it has two dbus-vmstate sections");
  if (fields == NULL || fields->type != J_ARRAY || fields->children->len != 2
      || (subsections != NULL && (subsections->type != J_ARRAY
                                  || subsections->children->len != 0)))
    goto unknown;
  size_field = g_ptr_array_index (fields->children, 0);
  data_field = g_ptr_array_index (fields->children, 1);
  data_size = j_get (data_field, "size");
  if (!j_is_string (j_get (size_field, "name"), "data_size")
      || !j_is_string (j_get (data_field, "name"), "data")
      || j_get (size_field, "array_len") != NULL
      || j_get (data_field, "array_len") != NULL
      || j_get (size_field, "size") == NULL
      || j_get (size_field, "size")->integer != 4
      || data_size == NULL || !data_size->is_int || data_size->integer < 0)
    goto unknown;
  if (!dev_need (d, 4 + (guint64) data_size->integer,
                 "the dbus-vmstate section", error))
    return FALSE;
  stored = get_be32 (d->data + d->pos);
  if (stored != (guint64) data_size->integer)
    return malformed (error, d->base + d->pos,
                      "the dbus-vmstate section says its blob has %u bytes, "
                      "the VM description says %" G_GINT64_FORMAT,
                      stored, data_size->integer);
  d->blob_offset = d->base + d->pos + 4;
  d->blob = g_bytes_new_from_bytes (d->tail, d->pos + 4, stored);
  return TRUE;

unknown:
  return unsupported (error, section_at,
                      "its dbus-vmstate section has fields this reader does "
                      "not know (a QEMU newer than 7.2?)");
}

static gboolean
walk_devices (Devices   *d,
              JNode     *devices,
              GError   **error)
{
  guint next_device = 0;

  for (;;)
    {
      gsize at = d->pos;
      guint8 type;

      if (d->pos >= d->end + 1)
        return malformed (error, d->base + d->pos,
                          "no QEMU_VM_EOF before the VM description");
      type = d->data[d->pos++];
      switch (type)
        {
        case QEMU_VM_EOF:
          if (at != d->end)
            return malformed (error, d->base + at,
                              "QEMU_VM_EOF %" G_GSIZE_FORMAT " bytes before "
                              "the VM description", d->end - at);
          if (next_device != devices->children->len)
            return malformed (error, d->base + at,
                              "the VM description lists %u device sections, "
                              "the stream has %u",
                              devices->children->len, next_device);
          return TRUE;

        case QEMU_VM_SECTION_FULL:
          {
            JNode *device, *name, *instance, *version, *vmsd_name;
            guint32 section_id, instance_id, version_id;
            guint8 len;
            g_autofree char *idstr = NULL;
            g_autofree char *what = NULL;

            if (!dev_need (d, 5, "a section header", error))
              return FALSE;
            section_id = get_be32 (d->data + d->pos);
            len = d->data[d->pos + 4];
            if (!dev_need (d, 5 + (guint64) len + 8, "a section header",
                           error))
              return FALSE;
            idstr = escape_bytes (d->data + d->pos + 5, len);
            what = g_strdup_printf ("section '%s'", idstr);
            instance_id = get_be32 (d->data + d->pos + 5 + len);
            version_id = get_be32 (d->data + d->pos + 9 + len);

            if (next_device >= devices->children->len)
              return malformed (error, d->base + at,
                                "section '%s' is not in the VM description",
                                idstr);
            device = g_ptr_array_index (devices->children, next_device++);
            name = j_get (device, "name");
            instance = j_get (device, "instance_id");
            version = j_get (device, "version");
            vmsd_name = j_get (device, "vmsd_name");
            if (name == NULL || name->type != J_STRING
                || name->str_len != len
                || memcmp (name->str, d->data + d->pos + 5, len) != 0
                || instance == NULL || !instance->is_int
                || instance->integer != instance_id
                || (version != NULL && (!version->is_int
                                        || version->integer != version_id)))
              return malformed (error, d->base + at,
                                "section '%s' (instance %u, version %u) is "
                                "not the one the VM description lists "
                                "there", idstr, instance_id, version_id);
            d->pos += 5 + len + 8;

            if (j_is_string (vmsd_name, DBUS_VMSTATE_VMSD)
                && !take_dbus_vmstate (d, device, d->base + at, error))
              return FALSE;
            if (!skip_vmsd (d, device, what, error))
              return FALSE;

            /* The optional footer. */
            if (d->pos < d->end && d->data[d->pos] == QEMU_VM_SECTION_FOOTER)
              {
                if (!dev_need (d, 5, what, error))
                  return FALSE;
                if (get_be32 (d->data + d->pos + 1) != section_id)
                  return malformed (error, d->base + d->pos,
                                    "the footer of section '%s' (%u) says "
                                    "section %u", idstr, section_id,
                                    get_be32 (d->data + d->pos + 1));
                d->pos += 5;
              }
          }
          break;

        case QEMU_VM_COMMAND:
          {
            guint16 command, len;

            if (!dev_need (d, 4, "a command", error))
              return FALSE;
            command = (guint16) (d->data[d->pos] << 8 | d->data[d->pos + 1]);
            len = (guint16) (d->data[d->pos + 2] << 8 | d->data[d->pos + 3]);
            if (command == MIG_CMD_PACKAGED)
              return unsupported (error, d->base + at,
                                  "a postcopy package (a stream inside the "
                                  "stream)");
            if (command == 0 || command > MIG_CMD_LAST_KNOWN)
              return unsupported (error, d->base + at, "unknown command %u",
                                  command);
            if (!dev_need (d, 4 + (guint64) len, "a command", error))
              return FALSE;
            d->pos += 4 + len;
          }
          break;

        case QEMU_VM_SECTION_START:
        case QEMU_VM_SECTION_PART:
        case QEMU_VM_SECTION_END:
          return unsupported (error, d->base + at,
                              "an iterative section among the device "
                              "sections");

        case QEMU_VM_SUBSECTION:
        case QEMU_VM_SECTION_FOOTER:
        case QEMU_VM_CONFIGURATION:
        case QEMU_VM_VMDESCRIPTION:
          return malformed (error, d->base + at,
                            "section type 0x%02x out of place (a subsection "
                            "or field the VM description does not list?)",
                            type);

        default:
          return unsupported (error, d->base + at,
                              "unknown section type 0x%02x", type);
        }
    }
}

/* Everything from the first device section to the end of the input. */
static GBytes *
read_tail (Reader   *r,
           guint8    first,
           GError  **error)
{
  g_autoptr(GByteArray) tail = g_byte_array_new ();
  guint64 base = r->offset - 1;

  g_byte_array_append (tail, &first, 1);
  for (;;)
    {
      gsize avail;

      if (r->start == r->end)
        {
          if (!reader_fill (r, 1, error))
            return NULL;
          if (r->start == r->end)
            break;
        }
      avail = r->end - r->start;
      if (avail > VMSTATE1_MIGRATION_TAIL_MAX - tail->len)
        {
          unsupported (error, base,
                       "its device sections and VM description take more "
                       "than %u MiB, the most this reader keeps in memory",
                       VMSTATE1_MIGRATION_TAIL_MAX / (1024 * 1024));
          return NULL;
        }
      g_byte_array_append (tail, r->buf + r->start, (guint) avail);
      r->start += avail;
      r->offset += avail;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&tail));
}

/* The VM description ends the stream: QEMU_VM_VMDESCRIPTION, a be32
 * length, that much JSON. JSON text never holds the byte 0x06 (control
 * characters are escaped), so the marker is one of the last 0x06 bytes
 * (its length may hold others). */
static gboolean
find_vmdesc (const guint8  *data,
             gsize          size,
             guint64        base,
             gsize         *marker,
             GError       **error)
{
  gsize seen = 0;

  for (gsize i = size; i > 0 && seen < 5; i--)
    {
      gsize p = i - 1;

      if (data[p] != QEMU_VM_VMDESCRIPTION)
        continue;
      seen++;
      if (size - p >= 5 && get_be32 (data + p + 1) == size - p - 5 && p > 0)
        {
          *marker = p;
          return TRUE;
        }
    }
  if (size > 0 && data[size - 1] == QEMU_VM_EOF)
    return unsupported (error, base + size - 1,
                        "it ends with QEMU_VM_EOF and no VM description "
                        "(vmdesc), which alone gives the layout of the "
                        "device sections: was it written by a machine type "
                        "with suppress-vmdesc?");
  return malformed (error, base + size,
                    "the stream does not end with a VM description "
                    "(QEMU_VM_VMDESCRIPTION, its length, then JSON): "
                    "truncated?");
}

GBytes *
_vmstate1_migration_read_section_full (GInputStream  *stream,
                                       guint64       *blob_offset,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  g_autofree guint8 *buf = g_malloc (READ_CHUNK);
  g_autoptr(GHashTable) blocks = g_hash_table_new_full (g_bytes_hash,
                                                        g_bytes_equal,
                                                        (GDestroyNotify) g_bytes_unref,
                                                        g_free);
  Walk w = {
    .r = { .stream = stream, .cancellable = cancellable, .buf = buf },
    .page_size = 4096,  /* x86's; other sizes are in the configuration */
    .blocks = blocks,
  };
  g_autoptr(GBytes) tail = NULL;
  g_autoptr(JNode) vmdesc = NULL;
  JNode *devices, *page_size;
  Devices d = { 0, };
  const guint8 *data;
  gsize size, marker = 0;
  guint8 type;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!read_head (&w, &type, error))
    return NULL;
  tail = read_tail (&w.r, type, error);
  if (tail == NULL)
    return NULL;
  data = g_bytes_get_data (tail, &size);
  d.base = w.r.offset - size;
  if (!find_vmdesc (data, size, d.base, &marker, error))
    return NULL;
  if (size - marker - 5 > VMSTATE1_MIGRATION_VMDESC_MAX)
    {
      unsupported (error, d.base + marker,
                   "a VM description of %" G_GSIZE_FORMAT " bytes, more than "
                   "%u MiB", size - marker - 5,
                   VMSTATE1_MIGRATION_VMDESC_MAX / (1024 * 1024));
      return NULL;
    }

  d.json_base = d.base + marker + 5;
  vmdesc = j_parse ((const char *) data + marker + 5, size - marker - 5,
                    d.json_base, error);
  if (vmdesc == NULL)
    return NULL;
  devices = j_get (vmdesc, "devices");
  if (devices == NULL || devices->type != J_ARRAY)
    {
      desc_error (&d, vmdesc, error, "has no list of devices");
      return NULL;
    }
  page_size = j_get (vmdesc, "page_size");
  if (page_size != NULL
      && (!page_size->is_int || (guint64) page_size->integer != w.page_size))
    {
      unsupported (error, d.json_base + page_size->at,
                   "RAM was read with pages of %" G_GUINT64_FORMAT " bytes, "
                   "the VM description gives another page size",
                   w.page_size);
      return NULL;
    }

  d.data = data;
  d.end = marker - 1;
  d.tail = tail;
  if (!walk_devices (&d, devices, error))
    {
      g_clear_pointer (&d.blob, g_bytes_unref);
      return NULL;
    }
  if (d.blob == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "this QEMU migration stream has no dbus-vmstate "
                           "section: was the VM started with -object "
                           "dbus-vmstate?");
      return NULL;
    }
  if (blob_offset != NULL)
    *blob_offset = d.blob_offset;
  return d.blob;
}

GBytes *
_vmstate1_migration_read_section (GInputStream  *stream,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  return _vmstate1_migration_read_section_full (stream, NULL, cancellable,
                                                error);
}

typedef struct
{
  GBytes *blob;
  guint64 offset;
} ReadResult;

static void
read_result_free (gpointer data)
{
  ReadResult *result = data;

  g_bytes_unref (result->blob);
  g_free (result);
}

static void
read_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;
  ReadResult *result = g_new0 (ReadResult, 1);

  result->blob = _vmstate1_migration_read_section_full (task_data,
                                                        &result->offset,
                                                        cancellable, &error);
  if (result->blob == NULL)
    {
      g_free (result);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, result, read_result_free);
}

void
_vmstate1_migration_read_section_async (GInputStream        *stream,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_INPUT_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, _vmstate1_migration_read_section_async);
  g_task_set_task_data (task, g_object_ref (stream), g_object_unref);
  g_task_run_in_thread (task, read_in_thread);
}

GBytes *
_vmstate1_migration_read_section_finish (GAsyncResult  *result,
                                         guint64       *blob_offset,
                                         GError       **error)
{
  ReadResult *read;
  GBytes *blob;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == _vmstate1_migration_read_section_async, NULL);

  read = g_task_propagate_pointer (G_TASK (result), error);
  if (read == NULL)
    return NULL;
  if (blob_offset != NULL)
    *blob_offset = read->offset;
  blob = g_steal_pointer (&read->blob);
  read_result_free (read);
  return blob;
}

/* The public API: the section, decoded. */

static Vmstate1States *
decode_section (GBytes   *blob,
                guint64   offset,
                GError  **error)
{
  GError *local_error = NULL;
  Vmstate1States *states = vmstate1_states_decode (blob, &local_error);

  if (states == NULL)
    g_propagate_prefixed_error (error, local_error,
                                "the dbus-vmstate section's blob at offset %"
                                G_GUINT64_FORMAT " of the QEMU migration "
                                "stream: ", offset);
  return states;
}

/**
 * vmstate1_states_read_migration:
 * @stream: a QEMU migration stream, or a libvirt save image
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads @stream to its end and returns the states of its dbus-vmstate
 * section, found by the stream's own structure: bytes in the guest's RAM
 * or in another device's state are never taken for it. @stream is read
 * sequentially (a pipe will do) in linear time; RAM is not kept in memory.
 *
 * Errors: %G_IO_ERROR_NOT_FOUND when the stream has no dbus-vmstate
 * section; %G_IO_ERROR_NOT_SUPPORTED when it lacks what a sure answer
 * needs (its VM description, uncompressed RAM...), the message says what;
 * %VMSTATE1_ERROR_MALFORMED, with the offset, for a truncated or broken
 * stream or a section whose blob does not decode.
 *
 * Returns: (transfer full): the states, or %NULL with @error set
 *
 * Since: 0.2
 */
Vmstate1States *
vmstate1_states_read_migration (GInputStream  *stream,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_autoptr(GBytes) blob = NULL;
  guint64 offset = 0;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  blob = _vmstate1_migration_read_section_full (stream, &offset, cancellable,
                                                error);
  if (blob == NULL)
    return NULL;
  return decode_section (blob, offset, error);
}

static void
read_states_in_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GError *error = NULL;
  Vmstate1States *states;

  states = vmstate1_states_read_migration (task_data, cancellable, &error);
  if (states == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, states,
                           (GDestroyNotify) vmstate1_states_unref);
}

/**
 * vmstate1_states_read_migration_async:
 * @stream: a QEMU migration stream, or a libvirt save image
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the stream has been read
 * @user_data: for @callback
 *
 * vmstate1_states_read_migration() in a worker thread. @stream must not
 * be used until @callback runs.
 *
 * Since: 0.2
 */
void
vmstate1_states_read_migration_async (GInputStream        *stream,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_INPUT_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmstate1_states_read_migration_async);
  g_task_set_task_data (task, g_object_ref (stream), g_object_unref);
  g_task_run_in_thread (task, read_states_in_thread);
}

/**
 * vmstate1_states_read_migration_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the states, or %NULL with @error set
 *
 * Since: 0.2
 */
Vmstate1States *
vmstate1_states_read_migration_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == vmstate1_states_read_migration_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
