/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <string.h>

#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-states.h"

/**
 * SECTION:vmstate1-states
 * @title: Vmstate1States
 * @short_description: the states of a VM's helpers, and QEMU's blob of them
 *
 * On the source QEMU calls `Save` on every helper of the VM and writes
 * the states it gets back as one blob, the `dbus-vmstate` section of its
 * migration stream; on the destination it splits that blob and hands each
 * helper its state with `Load`. A #Vmstate1States holds those states by
 * Id, always in Id order; vmstate1_states_encode() and
 * vmstate1_states_decode() write and read QEMU's bytes. They do no I/O and
 * know nothing of D-Bus. vmstate1_states_read_migration() finds the blob
 * in a whole migration stream.
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
 * QEMU writes the entries in the order of a hash table. The encoder
 * writes them by Id, comparing bytes as strcmp() does, so the same states
 * always give the same bytes; it writes no padding.
 *
 * QEMU stores the allocated size of its buffer rather than the bytes it
 * wrote, so a blob from a real migration stream carries zero bytes after
 * the last entry (64 bytes for 50 used; 2 MiB for a 1 MiB state). The
 * decoder accepts those zeros and nothing else: a non-zero byte after the
 * last entry means the count is lower than the entries (a helper's state
 * would silently not be loaded), and is refused with its offset. Also
 * checked: a short blob, a count the blob cannot hold, a length out of
 * range or past the end, an Id that no helper could have (empty, over
 * %VMSTATE1_ID_MAX_LEN bytes, not UTF-8, containing a NUL byte) or that
 * appears twice. Each is %VMSTATE1_ERROR_MALFORMED, with a message that
 * names the entry (counted from 1) and the byte offset of the field at
 * fault. An Id with a comma is valid here: QEMU carries it when it has no
 * `id-list`.
 *
 * An empty state (0 bytes) is valid in this format and both functions
 * accept it, but QEMU's dbus-vmstate cannot migrate one: it takes the
 * empty reply of `Save` for an error and writes a corrupt blob. A helper
 * must return at least one byte.
 *
 * A #Vmstate1States is not thread-safe: share one between threads only
 * while no thread changes it.
 */

typedef struct
{
  char *id;
  GBytes *state;
} Entry;

struct _Vmstate1States
{
  gatomicrefcount ref_count;
  GArray *entries;  /* of Entry, sorted by Id */
};

G_DEFINE_BOXED_TYPE (Vmstate1States, vmstate1_states, vmstate1_states_ref,
                     vmstate1_states_unref)

static void
entry_clear (gpointer data)
{
  Entry *entry = data;

  g_free (entry->id);
  g_bytes_unref (entry->state);
}

/**
 * vmstate1_states_new:
 *
 * Creates an empty set of states.
 *
 * Returns: (transfer full): a new #Vmstate1States.
 *
 * Since: 0.2
 */
Vmstate1States *
vmstate1_states_new (void)
{
  Vmstate1States *self = g_new0 (Vmstate1States, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_array_set_clear_func (self->entries, entry_clear);
  return self;
}

/**
 * vmstate1_states_ref:
 * @self: a #Vmstate1States
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self.
 *
 * Since: 0.2
 */
Vmstate1States *
vmstate1_states_ref (Vmstate1States *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * vmstate1_states_unref:
 * @self: (transfer full): a #Vmstate1States
 *
 * Drops a reference; the last one frees the states.
 *
 * Since: 0.2
 */
void
vmstate1_states_unref (Vmstate1States *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_array_unref (self->entries);
  g_free (self);
}

/* Where @id is, or would be inserted; *found tells which. */
static guint
find_entry (Vmstate1States *self,
            const char     *id,
            gboolean       *found)
{
  guint low = 0, high = self->entries->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;
      int cmp = strcmp (g_array_index (self->entries, Entry, middle).id, id);

      if (cmp == 0)
        {
          *found = TRUE;
          return middle;
        }
      if (cmp < 0)
        low = middle + 1;
      else
        high = middle;
    }
  *found = FALSE;
  return low;
}

/* Adds without checks: @id must be valid and absent. */
static void
insert_entry (Vmstate1States *self,
              guint           index,
              char           *id,
              GBytes         *state)
{
  Entry entry = { id, state };

  g_array_insert_val (self->entries, index, entry);
}

/**
 * vmstate1_states_add:
 * @self: a #Vmstate1States
 * @id: the helper's Id
 * @state: the helper's state, as its Save returned it
 * @error: return location for a #GError, or %NULL
 *
 * Adds the state of the helper with Id @id.
 *
 * Returns: %TRUE on success; %FALSE with @error set to
 *   %VMSTATE1_ERROR_INVALID_ID for an Id no helper could have (empty, over
 *   %VMSTATE1_ID_MAX_LEN bytes, not UTF-8; a comma is allowed, as on the
 *   wire), %VMSTATE1_ERROR_DUPLICATE_ID for an Id already in @self, or
 *   %VMSTATE1_ERROR_TOO_LARGE for a state over %VMSTATE1_DATA_MAX_SIZE
 *   bytes.
 *
 * Since: 0.2
 */
gboolean
vmstate1_states_add (Vmstate1States  *self,
                     const char      *id,
                     GBytes          *state,
                     GError         **error)
{
  gsize size;
  gboolean found;
  guint index;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_vmstate1_id_check (id, id ? strlen (id) : 0, VMSTATE1_ID_RULES_WIRE,
                           error))
    return FALSE;
  size = g_bytes_get_size (state);
  if (size > VMSTATE1_DATA_MAX_SIZE)
    {
      g_autofree char *shown = _vmstate1_escape (id);

      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE,
                   "The state of Id '%s' is %" G_GSIZE_FORMAT " bytes: QEMU "
                   "migrates at most %d bytes per helper", shown, size,
                   VMSTATE1_DATA_MAX_SIZE);
      return FALSE;
    }
  index = find_entry (self, id, &found);
  if (found)
    {
      g_autofree char *shown = _vmstate1_escape (id);

      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_DUPLICATE_ID,
                   "The states already hold one for Id '%s'", shown);
      return FALSE;
    }
  insert_entry (self, index, g_strdup (id), g_bytes_ref (state));
  return TRUE;
}

/**
 * vmstate1_states_lookup:
 * @self: a #Vmstate1States
 * @id: a helper's Id
 *
 * Finds the state of the helper with Id @id.
 *
 * Returns: (transfer none) (nullable): the state, or %NULL if @self has
 *   none for @id.
 *
 * Since: 0.2
 */
GBytes *
vmstate1_states_lookup (Vmstate1States *self,
                        const char     *id)
{
  gboolean found;
  guint index;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  index = find_entry (self, id, &found);
  return found ? g_array_index (self->entries, Entry, index).state : NULL;
}

/**
 * vmstate1_states_get_length:
 * @self: a #Vmstate1States
 *
 * Gets the number of states.
 *
 * Returns: how many helpers' states @self holds.
 *
 * Since: 0.2
 */
guint
vmstate1_states_get_length (Vmstate1States *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->entries->len;
}

/**
 * vmstate1_states_dup_ids:
 * @self: a #Vmstate1States
 *
 * Gets the Ids, sorted as strcmp() sorts them (the order of the blob
 * vmstate1_states_encode() writes).
 *
 * Returns: (transfer full) (array zero-terminated=1): the Ids; free with
 *   g_strfreev().
 *
 * Since: 0.2
 */
GStrv
vmstate1_states_dup_ids (Vmstate1States *self)
{
  GStrv ids;

  g_return_val_if_fail (self != NULL, NULL);

  ids = g_new (char *, self->entries->len + 1);
  for (guint i = 0; i < self->entries->len; i++)
    ids[i] = g_strdup (g_array_index (self->entries, Entry, i).id);
  ids[self->entries->len] = NULL;
  return ids;
}

/* The smallest entry: an Id length, a 1-byte Id, a data length. */
#define ENTRY_MIN_SIZE (4 + 1 + 4)

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
 * vmstate1_states_encode:
 * @self: a #Vmstate1States
 *
 * Writes @self as QEMU's dbus-vmstate blob, entries in Id order and no
 * padding: equal states give equal bytes. No states give 4 zero bytes.
 *
 * Returns: (transfer full): the blob.
 *
 * Since: 0.2
 */
GBytes *
vmstate1_states_encode (Vmstate1States *self)
{
  gsize size = 4;
  guint8 *buf;
  guint8 *p;

  g_return_val_if_fail (self != NULL, NULL);

  /* vmstate1_states_add() bounded every Id and state, so at most
   * G_MAXUINT entries of 1 MiB each: no overflow on 64 bits, and none on
   * 32 bits before memory runs out. */
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = &g_array_index (self->entries, Entry, i);

      size += 8 + strlen (entry->id) + g_bytes_get_size (entry->state);
    }

  buf = g_malloc (size);
  p = put_u32 (buf, self->entries->len);
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = &g_array_index (self->entries, Entry, i);
      gsize id_len = strlen (entry->id);
      gsize data_len;
      const void *bytes = g_bytes_get_data (entry->state, &data_len);

      p = put_u32 (p, (guint32) id_len);
      memcpy (p, entry->id, id_len);
      p += id_len;
      p = put_u32 (p, (guint32) data_len);
      /* An empty GBytes may have a NULL pointer: no memcpy from it. */
      if (data_len > 0)
        memcpy (p, bytes, data_len);
      p += data_len;
    }
  g_assert (p == buf + size);

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
 * vmstate1_states_decode:
 * @blob: a dbus-vmstate blob, as QEMU or vmstate1_states_encode() wrote it
 * @error: return location for a #GError, or %NULL
 *
 * Splits @blob into the state of each helper. Each state is a slice of
 * @blob (g_bytes_new_from_bytes()): nothing is copied, and @blob stays
 * alive as long as one of them does. Zero bytes after the last entry are
 * QEMU's padding and are accepted; anything else out of place fails.
 *
 * Returns: (transfer full): the states, or %NULL with @error set to
 *   %VMSTATE1_ERROR_MALFORMED and a message giving the byte offset and
 *   what was expected there.
 *
 * Since: 0.2
 */
Vmstate1States *
vmstate1_states_decode (GBytes  *blob,
                        GError **error)
{
  g_autoptr(Vmstate1States) states = NULL;
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

  states = vmstate1_states_new ();

  for (guint entry = 1; entry <= count; entry++)
    {
      g_autofree char *id = NULL;
      const char *raw_id;
      const char *bad;
      gsize id_len;
      gsize data_len;
      gboolean found;
      guint index;

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
          g_autofree char *shown = _vmstate1_escape_len (raw_id, id_len);
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
      index = find_entry (states, id, &found);
      if (found)
        {
          g_autofree char *shown = _vmstate1_escape (id);

          malformed (error, entry, offset, "Id '%s' appears twice", shown);
          return NULL;
        }
      offset += id_len;

      if (size - offset < 4)
        {
          g_autofree char *shown = _vmstate1_escape (id);

          malformed (error, entry, offset, "truncated: expected a 4-byte "
                     "data length for Id '%s', only %" G_GSIZE_FORMAT
                     " bytes left", shown, size - offset);
          return NULL;
        }
      data_len = get_u32 (data + offset);
      if (data_len > VMSTATE1_DATA_MAX_SIZE)
        {
          g_autofree char *shown = _vmstate1_escape (id);

          malformed (error, entry, offset, "data length %" G_GSIZE_FORMAT
                     " of Id '%s' is over the limit of %d bytes",
                     data_len, shown, VMSTATE1_DATA_MAX_SIZE);
          return NULL;
        }
      if (data_len > size - offset - 4)
        {
          g_autofree char *shown = _vmstate1_escape (id);

          malformed (error, entry, offset, "data length %" G_GSIZE_FORMAT
                     " of Id '%s' goes past the end: only %" G_GSIZE_FORMAT
                     " bytes left", data_len, shown, size - offset - 4);
          return NULL;
        }
      offset += 4;

      insert_entry (states, index, g_steal_pointer (&id),
                    g_bytes_new_from_bytes (blob, offset, data_len));
      offset += data_len;
    }

  /* QEMU's padding is the zero-filled rest of its buffer. Anything else
   * is an entry the count leaves out: that helper would silently keep its
   * old state. */
  for (gsize at = offset; at < size; at++)
    if (data[at] != 0)
      {
        malformed (error, 0, at, "non-zero byte 0x%02x after the last of "
                   "the %" G_GUINT32_FORMAT " entries the count announces "
                   "(QEMU pads with zeros only): the count is too low or "
                   "the blob is corrupt", data[at], count);
        return NULL;
      }

  return g_steal_pointer (&states);
}
