/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for vmstate1_stream_decode: whatever the bytes, a clean
 * MALFORMED error or a table that encodes and decodes to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <vmstate1.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static gboolean
tables_equal (GHashTable *a,
              GHashTable *b)
{
  GHashTableIter iter;
  gpointer id, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &id, &value))
    {
      GBytes *other = g_hash_table_lookup (b, id);

      if (other == NULL || !g_bytes_equal (value, other))
        return FALSE;
    }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* An exact-size copy, so a read past the end is caught. */
  g_autoptr(GBytes) blob = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) states = vmstate1_stream_decode (blob, &error);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GHashTable) round_trip = NULL;

  if (states == NULL)
    {
      if (!g_error_matches (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED))
        abort ();
      return 0;
    }

  /* What decodes is a valid state set: it encodes, and back. */
  again = vmstate1_stream_encode (states, &error);
  if (again == NULL)
    abort ();
  round_trip = vmstate1_stream_decode (again, &error);
  if (round_trip == NULL || !tables_equal (states, round_trip))
    abort ();
  return 0;
}
