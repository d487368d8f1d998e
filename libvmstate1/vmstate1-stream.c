/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-stream.h"

/**
 * SECTION:vmstate1-stream
 * @title: The wire format
 * @short_description: QEMU's dbus-vmstate blob, encoded and decoded
 *
 * On the source QEMU calls `Save` on every helper of the VM and writes
 * the states it gets back as one blob, the `dbus-vmstate` section of its
 * migration stream; on the destination it splits that blob and hands each
 * helper its state with `Load`. vmstate1_stream_encode() and
 * vmstate1_stream_decode() read and write the same bytes. They do no I/O
 * and know nothing of D-Bus.
 *
 * Every integer is an unsigned 32-bit big-endian number. The blob is:
 *
 * - 4 bytes: the number of entries;
 *
 * then for each entry, with nothing between entries:
 *
 * - 4 bytes: the length of the Id, 1 to %VMSTATE1_ID_MAX_LEN;
 * - that many bytes: the Id, UTF-8 without NUL bytes and without a
 *   terminating NUL;
 * - 4 bytes: the length of the state, 0 to %VMSTATE1_DATA_MAX_SIZE;
 * - that many bytes: the state, as the helper's `Save` returned it.
 *
 * For instance the states `{"a": "xy", "bc": ""}` are the 25 bytes
 *
 * |[
 * 00 00 00 02                 2 entries
 * 00 00 00 01  61             Id "a"
 * 00 00 00 02  78 79          state "xy"
 * 00 00 00 02  62 63          Id "bc"
 * 00 00 00 00                 empty state
 * ]|
 *
 * QEMU writes the entries in the order of a hash table. The encoder sorts
 * them by Id, comparing bytes as strcmp() does, so the same states always
 * give the same bytes; it writes no padding.
 *
 * QEMU stores the allocated size of its buffer rather than the bytes it
 * wrote, so a blob from a real migration stream carries padding after the
 * last entry (64 bytes for 50 used; 2 MiB for a 1 MiB state). QEMU's own
 * loader ignores it, and so does the decoder. Everything else is checked:
 * a short blob, a count the blob cannot hold, a length out of range or
 * past the end, an Id that no helper could have (empty, over
 * %VMSTATE1_ID_MAX_LEN bytes, not UTF-8, containing a NUL byte) or that
 * appears twice is %VMSTATE1_ERROR_MALFORMED, with a message that names
 * the entry (counted from 1) and the byte offset of the field at fault.
 * An Id with a comma is valid here: QEMU carries it when it has no
 * `id-list`.
 *
 * An empty state (0 bytes) is valid in this format and both functions
 * accept it, but QEMU's dbus-vmstate cannot migrate one: it takes the
 * empty reply of `Save` for an error and writes a corrupt blob. A helper
 * must return at least one byte.
 */

/* The smallest entry: an Id length, a 1-byte Id, a data length. */
#define ENTRY_MIN_SIZE (4 + 1 + 4)

static int
compare_ids (const void *a,
             const void *b)
{
  /* strcmp compares unsigned bytes: a locale-free, stable order. A NULL
   * Id sorts first and is refused by the Id check. */
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static guint8 *
put_u32 (guint8  *p,
         guint32  value)
{
  guint32 be = GUINT32_TO_BE (value);

  memcpy (p, &be, sizeof be);
  return p + sizeof be;
}

static guint32
get_u32 (const guint8 *p)
{
  guint32 be;

  /* memcpy: the field may sit at any alignment. */
  memcpy (&be, p, sizeof be);
  return GUINT32_FROM_BE (be);
}

/**
 * vmstate1_stream_encode:
 * @states: (element-type utf8 GBytes): the state of each helper, by Id
 * @error: return location for a #GError, or %NULL
 *
 * Writes @states as QEMU's dbus-vmstate blob, entries sorted by Id and no
 * padding: equal tables give equal bytes. An empty table gives 4 zero
 * bytes. An empty state is written as such, though QEMU could not have
 * migrated it (see the section description).
 *
 * Returns: (transfer full): the blob, or %NULL with @error set to
 *   %VMSTATE1_ERROR_INVALID_ID for an Id QEMU would refuse (a comma is
 *   allowed) or %VMSTATE1_ERROR_TOO_LARGE for a state over
 *   %VMSTATE1_DATA_MAX_SIZE bytes.
 *
 * Since: 0.1
 */
GBytes *
vmstate1_stream_encode (GHashTable  *states,
                        GError     **error)
{
  g_autofree const char **ids = NULL;
  guint n_ids;
  gsize size = 4;
  guint8 *buf;
  guint8 *p;

  g_return_val_if_fail (states != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ids = (const char **) g_hash_table_get_keys_as_array (states, &n_ids);
  /* Sorted first, so that which bad Id gets reported is stable too. */
  qsort (ids, n_ids, sizeof *ids, compare_ids);

  /* Check everything and size the blob before writing a byte. */
  for (guint i = 0; i < n_ids; i++)
    {
      const char *id = ids[i];
      GBytes *data = g_hash_table_lookup (states, id);
      gsize id_len = id != NULL ? strlen (id) : 0;
      gsize data_len;

      if (!_vmstate1_id_check (id, id_len, VMSTATE1_ID_RULES_WIRE, error))
        return NULL;
      g_return_val_if_fail (data != NULL, NULL);

      data_len = g_bytes_get_size (data);
      if (data_len > VMSTATE1_DATA_MAX_SIZE)
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
                       "The state of Id '%s' is %" G_GSIZE_FORMAT " bytes: "
                       "QEMU migrates at most %d bytes per helper",
                       id, data_len, VMSTATE1_DATA_MAX_SIZE);
          return NULL;
        }

      /* Can only overflow where size_t is 32 bits. */
      if (!g_size_checked_add (&size, size, 8 + id_len) ||
          !g_size_checked_add (&size, size, data_len))
        {
          g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
                       "The %u states add up to more than %" G_GSIZE_FORMAT
                       " bytes", n_ids, (gsize) G_MAXSIZE);
          return NULL;
        }
    }

  buf = g_malloc (size);
  p = put_u32 (buf, n_ids);
  for (guint i = 0; i < n_ids; i++)
    {
      GBytes *data = g_hash_table_lookup (states, ids[i]);
      gsize id_len = strlen (ids[i]);
      gsize data_len;
      const void *bytes = g_bytes_get_data (data, &data_len);

      /* Both lengths were bounded above, far below G_MAXUINT32. */
      p = put_u32 (p, (guint32) id_len);
      memcpy (p, ids[i], id_len);
      p += id_len;
      p = put_u32 (p, (guint32) data_len);
      /* An empty GBytes may have a NULL pointer: no memcpy from it. */
      if (data_len > 0)
        memcpy (p, bytes, data_len);
      p += data_len;
    }
  g_assert (p == buf + size);

  g_debug ("Encoded %u states into a %" G_GSIZE_FORMAT "-byte blob",
           n_ids, size);

  return g_bytes_new_take (buf, size);
}

static void malformed (GError     **error,
                       guint        entry,
                       gsize        offset,
                       const char  *format,
                       ...) G_GNUC_PRINTF (4, 5);

/* @entry counts from 1, 0 for the header; @offset is where the field at
 * fault starts. */
static void
malformed (GError     **error,
           guint        entry,
           gsize        offset,
           const char  *format,
           ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  if (entry > 0)
    g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                 "Malformed dbus-vmstate blob: entry %u at offset %"
                 G_GSIZE_FORMAT ": %s", entry, offset, what);
  else
    g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                 "Malformed dbus-vmstate blob: at offset %" G_GSIZE_FORMAT
                 ": %s", offset, what);
}

/**
 * vmstate1_stream_decode:
 * @blob: a dbus-vmstate blob, as QEMU or vmstate1_stream_encode() wrote it
 * @error: return location for a #GError, or %NULL
 *
 * Splits @blob into the state of each helper. Each state is a slice of
 * @blob (g_bytes_new_from_bytes()): nothing is copied, and @blob stays
 * alive as long as one of them does. Bytes after the last entry are
 * ignored, as QEMU ignores them; anything else out of place fails.
 *
 * Language bindings get vmstate1_stream_decode_variant() under this
 * name: PyGObject 3.42 frees the values of a returned table twice.
 *
 * Returns: (transfer full) (element-type utf8 GBytes): a new table of
 *   states by Id, or %NULL with @error set to %VMSTATE1_ERROR_MALFORMED and
 *   a message giving the byte offset and what was expected there.
 *
 * Since: 0.1
 */
GHashTable *
vmstate1_stream_decode (GBytes  *blob,
                        GError **error)
{
  g_autoptr(GHashTable) states = NULL;
  const guint8 *data;
  gsize size;
  gsize offset;
  guint32 count;

  g_return_val_if_fail (blob != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Invariant below: offset <= size, so size - offset never wraps. */
  data = g_bytes_get_data (blob, &size);
  if (size < 4)
    {
      malformed (error, 0, 0, "expected a 4-byte entry count, the blob has "
                 "only %" G_GSIZE_FORMAT " bytes", size);
      return NULL;
    }
  count = get_u32 (data);
  offset = 4;

  /* Refuse a count the blob cannot hold before allocating for it. */
  if (count > (size - offset) / ENTRY_MIN_SIZE)
    {
      malformed (error, 0, 0, "count %" G_GUINT32_FORMAT " needs at least %"
                 G_GUINT64_FORMAT " bytes of entries, only %" G_GSIZE_FORMAT
                 " follow", count, (guint64) count * ENTRY_MIN_SIZE,
                 size - offset);
      return NULL;
    }

  states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) g_bytes_unref);

  for (guint entry = 1; entry <= count; entry++)
    {
      g_autofree char *id = NULL;
      const char *raw_id;
      const char *bad;
      gsize id_len;
      gsize data_len;

      if (size - offset < 4)
        {
          malformed (error, entry, offset, "truncated: expected a 4-byte Id "
                     "length, only %" G_GSIZE_FORMAT " bytes left",
                     size - offset);
          return NULL;
        }
      id_len = get_u32 (data + offset);
      if (id_len == 0)
        {
          malformed (error, entry, offset, "Id length is 0: QEMU refuses "
                     "an empty Id");
          return NULL;
        }
      if (id_len > VMSTATE1_ID_MAX_LEN)
        {
          malformed (error, entry, offset, "Id length %" G_GSIZE_FORMAT
                     " is over the limit of %d bytes",
                     id_len, VMSTATE1_ID_MAX_LEN);
          return NULL;
        }
      offset += 4;

      if (size - offset < id_len)
        {
          malformed (error, entry, offset, "truncated: expected an Id of %"
                     G_GSIZE_FORMAT " bytes, only %" G_GSIZE_FORMAT
                     " bytes left", id_len, size - offset);
          return NULL;
        }
      raw_id = (const char *) data + offset;
      /* The rules of _vmstate1_id_check() (WIRE), spelled out to name the
       * offending byte; g_utf8_validate_len() refuses NUL bytes too. */
      if (!g_utf8_validate_len (raw_id, id_len, &bad))
        {
          g_autofree char *shown = g_utf8_make_valid (raw_id,
                                                      (gssize) id_len);
          gsize bad_offset = offset + (gsize) (bad - raw_id);

          if (*bad == '\0')
            malformed (error, entry, offset, "Id '%s' contains a NUL byte at "
                       "offset %" G_GSIZE_FORMAT, shown, bad_offset);
          else
            malformed (error, entry, offset, "Id '%s' is not valid UTF-8: "
                       "bad byte 0x%02x at offset %" G_GSIZE_FORMAT,
                       shown, (guint8) *bad, bad_offset);
          return NULL;
        }
      id = g_strndup (raw_id, id_len);
      if (g_hash_table_contains (states, id))
        {
          malformed (error, entry, offset, "Id '%s' appears twice", id);
          return NULL;
        }
      offset += id_len;

      if (size - offset < 4)
        {
          malformed (error, entry, offset, "truncated: expected a 4-byte "
                     "data length for Id '%s', only %" G_GSIZE_FORMAT
                     " bytes left", id, size - offset);
          return NULL;
        }
      data_len = get_u32 (data + offset);
      if (data_len > VMSTATE1_DATA_MAX_SIZE)
        {
          malformed (error, entry, offset, "data length %" G_GSIZE_FORMAT
                     " of Id '%s' is over the limit of %d bytes",
                     data_len, id, VMSTATE1_DATA_MAX_SIZE);
          return NULL;
        }
      if (data_len > size - offset - 4)
        {
          malformed (error, entry, offset, "data length %" G_GSIZE_FORMAT
                     " of Id '%s' goes past the end: only %" G_GSIZE_FORMAT
                     " bytes left", data_len, id, size - offset - 4);
          return NULL;
        }
      offset += 4;

      g_hash_table_insert (states, g_steal_pointer (&id),
                           g_bytes_new_from_bytes (blob, offset, data_len));
      offset += data_len;
    }

  g_debug ("Decoded %" G_GUINT32_FORMAT " states from a %" G_GSIZE_FORMAT
           "-byte blob (%" G_GSIZE_FORMAT " bytes of padding)",
           count, size, size - offset);

  return g_steal_pointer (&states);
}

/**
 * vmstate1_stream_decode_variant: (rename-to vmstate1_stream_decode)
 * @blob: a dbus-vmstate blob, as QEMU or vmstate1_stream_encode() wrote it
 * @error: return location for a #GError, or %NULL
 *
 * vmstate1_stream_decode() for language bindings: the states as a
 * `a{say}` dictionary, Id to bytes, whose byte arrays are still slices of
 * @blob. From Python, with `states = Vmstate1.stream_decode (blob)`,
 * `{k: states.lookup_value (k, None).get_data_as_bytes () for k in
 * states.keys ()}` is a dict of Id to #GBytes, with no copy.
 *
 * Returns: (transfer full): a new #GVariant of type
 *   `a{say}`, or %NULL with @error set as vmstate1_stream_decode() does.
 *
 * Since: 0.1
 */
GVariant *
vmstate1_stream_decode_variant (GBytes  *blob,
                                GError **error)
{
  g_autoptr(GHashTable) states = vmstate1_stream_decode (blob, error);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{say}"));
  g_autofree gpointer *ids = NULL;
  guint n_ids;

  if (states == NULL)
    return NULL;
  /* In Id order, like the encoder, so equal blobs give equal variants. */
  ids = g_hash_table_get_keys_as_array (states, &n_ids);
  qsort (ids, n_ids, sizeof *ids, compare_ids);
  for (guint i = 0; i < n_ids; i++)
    g_variant_builder_add (&builder, "{s@ay}", (const char *) ids[i],
                           g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                     g_hash_table_lookup (states, ids[i]),
                                                     TRUE));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
