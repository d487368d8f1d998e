/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <glib.h>
#include <vmstate1.h>

#define MIB (1024 * 1024)

/* {"a": "xy", "bc": ""}, as QEMU would write it, entries sorted. */
static const guint8 golden[] = {
  0x00, 0x00, 0x00, 0x02,                         /* count */
  0x00, 0x00, 0x00, 0x01, 'a',                    /* Id "a" */
  0x00, 0x00, 0x00, 0x02, 'x', 'y',               /* data "xy" */
  0x00, 0x00, 0x00, 0x02, 'b', 'c',               /* Id "bc" */
  0x00, 0x00, 0x00, 0x00,                         /* empty data */
};

static GHashTable *
states_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) g_bytes_unref);
}

static void
states_add (GHashTable *states,
            const char *id,
            const void *data,
            gsize       len)
{
  g_hash_table_insert (states, g_strdup (id), g_bytes_new (data, len));
}

static void
assert_states_equal (GHashTable *expected,
                     GHashTable *actual)
{
  GHashTableIter iter;
  gpointer key, value;

  g_assert_cmpuint (g_hash_table_size (actual), ==,
                    g_hash_table_size (expected));
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GBytes *got = g_hash_table_lookup (actual, key);

      g_assert_nonnull (got);
      g_assert_true (g_bytes_equal (value, got));
    }
}

/* Every decoded state must be a slice of the blob, not a copy. */
static void
assert_slices_of (GHashTable *states,
                  GBytes     *blob)
{
  GHashTableIter iter;
  gpointer value;
  gsize blob_size;
  const guint8 *base = g_bytes_get_data (blob, &blob_size);

  g_hash_table_iter_init (&iter, states);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      gsize size;
      const guint8 *p = g_bytes_get_data (value, &size);

      g_assert_true (p >= base);
      g_assert_true (p + size <= base + blob_size);
    }
}

/* Blob builder: the result is a GBytes copied into an exact-size heap
 * block, so a read past its end is caught by valgrind or ASan. */
static void
put_u32 (GByteArray *blob,
         guint32     value)
{
  guint32 be = GUINT32_TO_BE (value);

  g_byte_array_append (blob, (const guint8 *) &be, sizeof be);
}

static void
put_entry (GByteArray *blob,
           const char *id,
           gsize       id_len,
           const void *data,
           gsize       data_len)
{
  put_u32 (blob, id_len);
  g_byte_array_append (blob, (const guint8 *) id, id_len);
  put_u32 (blob, data_len);
  g_byte_array_append (blob, data, data_len);
}

static GBytes *
exact_bytes (GByteArray *blob)
{
  return g_bytes_new (blob->data, blob->len);
}

static void
assert_malformed (GByteArray *blob,
                  const char *fragment)
{
  g_autoptr(GBytes) bytes = exact_bytes (blob);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) states = vmstate1_stream_decode (bytes, &error);

  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message,
                                   "Malformed dbus-vmstate blob: "));
  g_assert_nonnull (strstr (error->message, "offset"));
  if (fragment != NULL)
    g_assert_nonnull (strstr (error->message, fragment));
}

static void
roundtrip (GHashTable *states)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) decoded = NULL;

  blob = vmstate1_stream_encode (states, &error);
  g_assert_no_error (error);
  g_assert_nonnull (blob);

  decoded = vmstate1_stream_decode (blob, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decoded);
  assert_states_equal (states, decoded);
  assert_slices_of (decoded, blob);
}

static void
test_roundtrip_empty (void)
{
  static const guint8 zero_count[4] = { 0 };
  g_autoptr(GHashTable) states = states_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) expected = g_bytes_new_static (zero_count,
                                                   sizeof zero_count);

  blob = vmstate1_stream_encode (states, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, expected));

  roundtrip (states);
}

static void
test_roundtrip_one (void)
{
  g_autoptr(GHashTable) states = states_new ();

  states_add (states, "counter", "\x00\x00\x00\x00\x00\x00\x00\x2a", 8);
  roundtrip (states);
}

static void
test_roundtrip_three (void)
{
  g_autoptr(GHashTable) states = states_new ();

  states_add (states, "slirp", "slirp state", 11);
  states_add (states, "usbredir", "usb", 3);
  states_add (states, "counter", "1", 1);
  roundtrip (states);
}

static void
test_roundtrip_binary (void)
{
  g_autoptr(GHashTable) states = states_new ();
  guint8 all[512];

  /* Every byte value, NUL included, twice. */
  for (gsize i = 0; i < sizeof all; i++)
    all[i] = i & 0xff;
  states_add (states, "binary", all, sizeof all);
  states_add (states, "nuls", "\0\0\0\0", 4);
  roundtrip (states);
}

static void
test_roundtrip_max_size (void)
{
  g_autoptr(GHashTable) states = states_new ();
  g_autofree guint8 *big = g_malloc (MIB);

  for (gsize i = 0; i < MIB; i++)
    big[i] = (i * 7) & 0xff;
  states_add (states, "big", big, MIB);
  states_add (states, "small", "s", 1);
  roundtrip (states);
}

static void
test_roundtrip_empty_data (void)
{
  g_autoptr(GHashTable) states = states_new ();

  /* Fine in the format, though QEMU itself could not migrate it. */
  states_add (states, "empty", NULL, 0);
  states_add (states, "other", "x", 1);
  roundtrip (states);
}

static void
test_roundtrip_id_edges (void)
{
  g_autoptr(GHashTable) states = states_new ();
  char longest[VMSTATE1_ID_MAX_LEN + 1];

  memset (longest, 'i', VMSTATE1_ID_MAX_LEN);
  longest[VMSTATE1_ID_MAX_LEN] = '\0';
  states_add (states, longest, "l", 1);
  /* Valid on the wire: only registration refuses a comma. */
  states_add (states, "a,b", "c", 1);
  states_add (states, "\xc3\xa9t\xc3\xa9", "summer", 6);
  roundtrip (states);
}

static void
test_encode_golden (void)
{
  g_autoptr(GHashTable) states = states_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) expected = g_bytes_new_static (golden, sizeof golden);

  /* Inserted in reverse order: the encoder sorts. */
  states_add (states, "bc", "", 0);
  states_add (states, "a", "xy", 2);
  blob = vmstate1_stream_encode (states, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob),
                   golden, sizeof golden);
  g_assert_true (g_bytes_equal (blob, expected));
}

static void
test_decode_golden (void)
{
  g_autoptr(GBytes) blob = g_bytes_new (golden, sizeof golden);
  g_autoptr(GHashTable) expected = states_new ();
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;

  states_add (expected, "a", "xy", 2);
  states_add (expected, "bc", NULL, 0);
  states = vmstate1_stream_decode (blob, &error);
  g_assert_no_error (error);
  assert_states_equal (expected, states);
  assert_slices_of (states, blob);
}

static void
test_encode_deterministic (void)
{
  g_autoptr(GHashTable) forward = states_new ();
  g_autoptr(GHashTable) backward = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) blob1 = NULL;
  g_autoptr(GBytes) blob2 = NULL;
  g_autoptr(GError) error = NULL;
  const int n = 100;

  for (int i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%d", i);
      states_add (forward, id, id, strlen (id));
    }
  /* Backward, with churn, so the hash table's internal order differs. */
  for (int i = n - 1; i >= 0; i--)
    {
      g_autofree char *id = g_strdup_printf ("helper-%d", i);
      g_autofree char *tmp = g_strdup_printf ("tmp-%d", i);
      states_add (backward, tmp, "", 0);
      states_add (backward, id, id, strlen (id));
    }
  for (int i = 0; i < n; i++)
    {
      g_autofree char *tmp = g_strdup_printf ("tmp-%d", i);
      g_hash_table_remove (backward, tmp);
    }

  blob1 = vmstate1_stream_encode (forward, &error);
  g_assert_no_error (error);
  blob2 = vmstate1_stream_encode (backward, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob1, blob2));
}

static void
assert_encode_fails (const char *id,
                     gsize       data_len,
                     int         code)
{
  g_autoptr(GHashTable) states = states_new ();
  g_autofree guint8 *data = g_malloc0 (data_len + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;

  states_add (states, "good", "g", 1);
  states_add (states, id, data, data_len);
  blob = vmstate1_stream_encode (states, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, code);
  g_test_message ("%s", error->message);
}

static void
test_encode_invalid_id (void)
{
  char too_long[VMSTATE1_ID_MAX_LEN + 2];

  memset (too_long, 'i', VMSTATE1_ID_MAX_LEN + 1);
  too_long[VMSTATE1_ID_MAX_LEN + 1] = '\0';

  assert_encode_fails ("", 1, VMSTATE1_ERROR_INVALID_ID);
  assert_encode_fails (too_long, 1, VMSTATE1_ERROR_INVALID_ID);
  assert_encode_fails ("bad\xff", 1, VMSTATE1_ERROR_INVALID_ID);
  assert_encode_fails ("\xc3", 1, VMSTATE1_ERROR_INVALID_ID);
}

static void
test_encode_too_large (void)
{
  g_autoptr(GHashTable) states = states_new ();
  g_autofree guint8 *data = g_malloc0 (MIB + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;

  states_add (states, "slirp", data, MIB + 1);
  blob = vmstate1_stream_encode (states, &error);
  g_assert_null (blob);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "'slirp'"));
  g_assert_nonnull (strstr (error->message, "1048577"));
  g_assert_nonnull (strstr (error->message, "1048576"));
}

/* QEMU writes its buffer's allocated size: 64 bytes for 50 used. */
static void
test_decode_padding (void)
{
  g_autoptr(GHashTable) expected = states_new ();
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  guint8 pad[14] = { 0 };

  states_add (expected, "counter", "01234567", 8);
  states_add (expected, "usb", "abcdefghijkl", 12);
  put_u32 (raw, 2);
  put_entry (raw, "usb", 3, "abcdefghijkl", 12);
  put_entry (raw, "counter", 7, "01234567", 8);
  g_assert_cmpuint (raw->len, ==, 50);
  g_byte_array_append (raw, pad, sizeof pad);
  g_assert_cmpuint (raw->len, ==, 64);

  blob = exact_bytes (raw);
  states = vmstate1_stream_decode (blob, &error);
  g_assert_no_error (error);
  assert_states_equal (expected, states);
  assert_slices_of (states, blob);
}

static void
test_decode_padding_garbage (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;

  /* Whatever follows the last entry is not looked at. */
  put_u32 (raw, 1);
  put_entry (raw, "a", 1, "b", 1);
  put_u32 (raw, 0xffffffff);
  g_byte_array_append (raw, (const guint8 *) "\xff\x00\xff", 3);

  blob = exact_bytes (raw);
  states = vmstate1_stream_decode (blob, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (states), ==, 1);
  g_assert_true (g_hash_table_contains (states, "a"));
}

/* A 1 MiB state comes back from QEMU padded to 2 MiB. */
static void
test_decode_padding_large (void)
{
  g_autoptr(GHashTable) expected = states_new ();
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *big = g_malloc (MIB);

  for (gsize i = 0; i < MIB; i++)
    big[i] = (i * 13) & 0xff;
  states_add (expected, "slirp", big, MIB);
  put_u32 (raw, 1);
  put_entry (raw, "slirp", 5, big, MIB);
  g_byte_array_set_size (raw, 2 * MIB);
  memset (raw->data + 4 + 4 + 5 + 4 + MIB, 0, 2 * MIB - (4 + 4 + 5 + 4 + MIB));

  blob = exact_bytes (raw);
  states = vmstate1_stream_decode (blob, &error);
  g_assert_no_error (error);
  assert_states_equal (expected, states);
  assert_slices_of (states, blob);
}

static void
test_decode_truncated (void)
{
  g_autoptr(GHashTable) states = states_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *full;
  gsize len;

  states_add (states, "counter", "01234567", 8);
  states_add (states, "slirp", "abc", 3);
  blob = vmstate1_stream_encode (states, &error);
  g_assert_no_error (error);
  full = g_bytes_get_data (blob, &len);

  /* No prefix can decode: the count says 2, and the last byte is data of
   * the second entry, so every shorter blob misses part of an entry. */
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GByteArray) raw = g_byte_array_new ();

      g_byte_array_append (raw, full, cut);
      assert_malformed (raw, NULL);
    }
}

static void
test_decode_short (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();

  assert_malformed (raw, "at offset 0: expected a 4-byte entry count");
  g_byte_array_append (raw, (const guint8 *) "\0\0\0", 3);
  assert_malformed (raw, "only 3 bytes");
}

static void
test_decode_count_too_large (void)
{
  g_autoptr(GByteArray) one = g_byte_array_new ();
  g_autoptr(GByteArray) huge = g_byte_array_new ();
  g_autoptr(GByteArray) padded = g_byte_array_new ();
  guint8 zeros[32] = { 0 };

  put_u32 (one, 2);
  put_entry (one, "a", 1, "b", 1);
  assert_malformed (one, "count 2 needs at least 18 bytes");

  /* Fails at once, without allocating for 4 billion entries. */
  put_u32 (huge, 0xffffffff);
  assert_malformed (huge, "count 4294967295");

  /* Padding is big enough for the count check but holds no entry. */
  put_u32 (padded, 2);
  put_entry (padded, "a", 1, "b", 1);
  g_byte_array_append (padded, zeros, sizeof zeros);
  assert_malformed (padded, "entry 2 at offset 14: Id length is 0");
}

static void
test_decode_id_length_zero (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();

  put_u32 (raw, 1);
  put_entry (raw, "", 0, "data", 4);
  assert_malformed (raw, "entry 1 at offset 4: Id length is 0");
}

static void
test_decode_id_length_256 (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  char id[256];

  memset (id, 'i', sizeof id);
  put_u32 (raw, 1);
  put_entry (raw, id, sizeof id, "data", 4);
  assert_malformed (raw, "Id length 256 is over the limit of 255 bytes");
}

static void
test_decode_id_invalid_utf8 (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();

  put_u32 (raw, 2);
  put_entry (raw, "ok", 2, "x", 1);
  put_entry (raw, "ab\xff", 3, "y", 1);
  assert_malformed (raw, "entry 2 at offset 19: Id 'ab\xef\xbf\xbd' is not "
                    "valid UTF-8: bad byte 0xff at offset 21");
}

static void
test_decode_id_nul (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();

  put_u32 (raw, 1);
  put_entry (raw, "a\0b", 3, "x", 1);
  assert_malformed (raw, "entry 1 at offset 8: Id 'a\xef\xbf\xbd" "b' "
                    "contains a NUL byte at offset 9");
}

static void
test_decode_data_too_large (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autofree guint8 *big = g_malloc0 (MIB + 1);

  /* The bytes are there: it is the limit that refuses them. */
  put_u32 (raw, 1);
  put_entry (raw, "slirp", 5, big, MIB + 1);
  assert_malformed (raw, "entry 1 at offset 13: data length 1048577 of Id "
                    "'slirp' is over the limit of 1048576 bytes");
}

static void
test_decode_data_past_end (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();

  put_u32 (raw, 2);
  put_entry (raw, "a", 1, "x", 1);
  put_u32 (raw, 5);
  g_byte_array_append (raw, (const guint8 *) "slirp", 5);
  put_u32 (raw, 100);
  g_byte_array_append (raw, (const guint8 *) "short", 5);
  assert_malformed (raw, "entry 2 at offset 23: data length 100 of Id "
                    "'slirp' goes past the end: only 5 bytes left");
}

static void
test_decode_duplicate_id (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();

  put_u32 (raw, 2);
  put_entry (raw, "same", 4, "x", 1);
  put_entry (raw, "same", 4, "y", 1);
  assert_malformed (raw, "entry 2 at offset 21: Id 'same' appears twice");
}

/* The message of the design's example, whole. */
static void
test_decode_message (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GHashTable) states = NULL;
  g_autoptr(GError) error = NULL;
  char id[32];

  memset (id, 'x', sizeof id);
  put_u32 (raw, 2);
  put_entry (raw, id, sizeof id, "0123", 4);
  put_u32 (raw, 5);
  g_byte_array_append (raw, (const guint8 *) "slirp", 5);
  put_u32 (raw, 2000000);

  blob = exact_bytes (raw);
  states = vmstate1_stream_decode (blob, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
  g_assert_cmpstr (error->message, ==,
                   "Malformed dbus-vmstate blob: entry 2 at offset 57: data "
                   "length 2000000 of Id 'slirp' is over the limit of "
                   "1048576 bytes");
}

/* The bindings' decoder: the same states, as a{say} in Id order, and
 * still slices of the blob. */
static void
test_decode_variant (void)
{
  static const guint8 blob_data[] = {
    0, 0, 0, 2, 0, 0, 0, 2, 'b', 'c', 0, 0, 0, 1, 0xff,
    0, 0, 0, 1, 'a', 0, 0, 0, 2, 'x', 'y'
  };
  g_autoptr(GBytes) blob = g_bytes_new (blob_data, sizeof blob_data);
  g_autoptr(GVariant) states = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  const char *id;
  gsize size;
  const guint8 *data;

  states = vmstate1_stream_decode_variant (blob, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (states), ==, "a{say}");
  g_assert_cmpuint (g_variant_n_children (states), ==, 2);
  first = g_variant_get_child_value (states, 0);
  /* Child by child: g_variant_get() with '&s' would flatten (copy) it. */
  {
    g_autoptr(GVariant) key = g_variant_get_child_value (first, 0);

    id = g_variant_get_string (key, NULL);
    g_assert_cmpstr (id, ==, "a");
  }
  value = g_variant_get_child_value (first, 1);
  data = g_variant_get_fixed_array (value, &size, 1);
  g_assert_cmpmem (data, size, "xy", 2);
  g_assert_true (data >= (const guint8 *) g_bytes_get_data (blob, NULL)
                 && data < (const guint8 *) g_bytes_get_data (blob, NULL)
                           + sizeof blob_data);

  g_clear_pointer (&states, g_variant_unref);
  g_clear_pointer (&blob, g_bytes_unref);
  blob = g_bytes_new (blob_data, 10);
  states = vmstate1_stream_decode_variant (blob, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmstate1/stream/roundtrip/empty", test_roundtrip_empty);
  g_test_add_func ("/vmstate1/stream/roundtrip/one", test_roundtrip_one);
  g_test_add_func ("/vmstate1/stream/roundtrip/three", test_roundtrip_three);
  g_test_add_func ("/vmstate1/stream/roundtrip/binary", test_roundtrip_binary);
  g_test_add_func ("/vmstate1/stream/roundtrip/max-size",
                   test_roundtrip_max_size);
  g_test_add_func ("/vmstate1/stream/roundtrip/empty-data",
                   test_roundtrip_empty_data);
  g_test_add_func ("/vmstate1/stream/roundtrip/id-edges",
                   test_roundtrip_id_edges);
  g_test_add_func ("/vmstate1/stream/encode/golden", test_encode_golden);
  g_test_add_func ("/vmstate1/stream/encode/deterministic",
                   test_encode_deterministic);
  g_test_add_func ("/vmstate1/stream/encode/invalid-id",
                   test_encode_invalid_id);
  g_test_add_func ("/vmstate1/stream/encode/too-large", test_encode_too_large);
  g_test_add_func ("/vmstate1/stream/decode/golden", test_decode_golden);
  g_test_add_func ("/vmstate1/stream/decode/padding", test_decode_padding);
  g_test_add_func ("/vmstate1/stream/decode/padding-garbage",
                   test_decode_padding_garbage);
  g_test_add_func ("/vmstate1/stream/decode/padding-large",
                   test_decode_padding_large);
  g_test_add_func ("/vmstate1/stream/decode/truncated",
                   test_decode_truncated);
  g_test_add_func ("/vmstate1/stream/decode/short", test_decode_short);
  g_test_add_func ("/vmstate1/stream/decode/count-too-large",
                   test_decode_count_too_large);
  g_test_add_func ("/vmstate1/stream/decode/id-length-zero",
                   test_decode_id_length_zero);
  g_test_add_func ("/vmstate1/stream/decode/id-length-256",
                   test_decode_id_length_256);
  g_test_add_func ("/vmstate1/stream/decode/id-invalid-utf8",
                   test_decode_id_invalid_utf8);
  g_test_add_func ("/vmstate1/stream/decode/id-nul", test_decode_id_nul);
  g_test_add_func ("/vmstate1/stream/decode/data-too-large",
                   test_decode_data_too_large);
  g_test_add_func ("/vmstate1/stream/decode/data-past-end",
                   test_decode_data_past_end);
  g_test_add_func ("/vmstate1/stream/decode/duplicate-id",
                   test_decode_duplicate_id);
  g_test_add_func ("/vmstate1/stream/decode/message", test_decode_message);
  g_test_add_func ("/vmstate1/stream/decode/variant", test_decode_variant);

  return g_test_run ();
}
