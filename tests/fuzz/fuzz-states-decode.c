/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for vmstate1_states_decode: whatever the bytes, either
 * a clean MALFORMED error with a printable message, or states that are
 * slices of the input, that encode to the input's entries without its
 * zero padding, and that decode again to themselves. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vmstate1.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { \
    g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } G_STMT_END

static guint32
get_u32 (const uint8_t *p)
{
  guint32 be;

  memcpy (&be, p, sizeof be);
  return GUINT32_FROM_BE (be);
}

/* Whether the entries of @data, which decoded, are in strcmp() order
 * (as vmstate1_states_encode() writes them; QEMU need not). */
static gboolean
entries_sorted (const uint8_t *data)
{
  guint32 count = get_u32 (data);
  gsize offset = 4;
  const char *previous = NULL;
  gsize previous_len = 0;

  for (guint32 i = 0; i < count; i++)
    {
      gsize id_len = get_u32 (data + offset);
      const char *id = (const char *) data + offset + 4;
      int cmp;

      if (previous != NULL)
        {
          cmp = memcmp (previous, id, MIN (previous_len, id_len));
          if (cmp > 0 || (cmp == 0 && previous_len > id_len))
            return FALSE;
        }
      previous = id;
      previous_len = id_len;
      offset += 4 + id_len;
      offset += 4 + get_u32 (data + offset);
    }
  return TRUE;
}

static gboolean
states_equal (Vmstate1States *a,
              Vmstate1States *b)
{
  g_auto(GStrv) ids_a = vmstate1_states_dup_ids (a);
  g_auto(GStrv) ids_b = vmstate1_states_dup_ids (b);

  if (!g_strv_equal ((const char * const *) ids_a,
                     (const char * const *) ids_b))
    return FALSE;
  for (gsize i = 0; ids_a[i] != NULL; i++)
    if (!g_bytes_equal (vmstate1_states_lookup (a, ids_a[i]),
                        vmstate1_states_lookup (b, ids_a[i])))
      return FALSE;
  return TRUE;
}

static void
check_printable (const char *message)
{
  CHECK (g_utf8_validate (message, -1, NULL));
  for (const char *p = message; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      CHECK (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* An exact-size copy, so a read past the end is caught. */
  g_autoptr(GBytes) blob = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(Vmstate1States) states = vmstate1_states_decode (blob, &error);
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(Vmstate1States) again = NULL;
  g_auto(GStrv) ids = NULL;
  const uint8_t *base;
  const uint8_t *bytes;
  gsize encoded_size;

  if (states == NULL)
    {
      CHECK (g_error_matches (error, VMSTATE1_ERROR,
                              VMSTATE1_ERROR_MALFORMED));
      CHECK (g_str_has_prefix (error->message,
                               "Malformed dbus-vmstate blob: "));
      CHECK (strstr (error->message, "offset ") != NULL);
      check_printable (error->message);
      return 0;
    }
  CHECK (error == NULL);

  /* Sorted Ids, each with its state, a slice of the input. */
  base = g_bytes_get_data (blob, NULL);
  ids = vmstate1_states_dup_ids (states);
  CHECK (g_strv_length (ids) == vmstate1_states_get_length (states));
  for (gsize i = 0; ids[i] != NULL; i++)
    {
      GBytes *state = vmstate1_states_lookup (states, ids[i]);
      gsize state_size;
      const uint8_t *p;

      CHECK (state != NULL);
      CHECK (i == 0 || strcmp (ids[i - 1], ids[i]) < 0);
      p = g_bytes_get_data (state, &state_size);
      CHECK (state_size <= VMSTATE1_DATA_MAX_SIZE);
      if (state_size > 0)
        CHECK (p >= base && p + state_size <= base + size);
    }

  /* The input is the entries, then zeros only: encode writes the same
   * entries, sorted, without the zeros. */
  encoded = vmstate1_states_encode (states);
  bytes = g_bytes_get_data (encoded, &encoded_size);
  CHECK (encoded_size >= 4 && encoded_size <= size);
  CHECK (memcmp (bytes, data, 4) == 0);
  for (gsize at = encoded_size; at < size; at++)
    CHECK (data[at] == 0);
  if (entries_sorted (data))
    CHECK (memcmp (bytes, data, encoded_size) == 0);

  again = vmstate1_states_decode (encoded, &error);
  CHECK (again != NULL && error == NULL);
  CHECK (states_equal (states, again));
  return 0;
}
