/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: Vmstate1States, and QEMU's dbus-vmstate blob of them. */
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

/* The section QEMU 7.2 wrote for two helpers, as it wrote it: the slirp
 * helper first (hash table order), then 60 zero bytes of its buffer's
 * unused end. The bytes of tests/fuzz/corpus/qemu-7.2-two-helpers-padded.bin. */
#define QEMU_SLIRP_ID "slirp-52:54:00:12:34:56"
static const guint8 qemu_7_2_padded[128] = {
  0x00, 0x00, 0x00, 0x02,                         /* count */
  0x00, 0x00, 0x00, 0x17,                         /* Id length 23 */
  's', 'l', 'i', 'r', 'p', '-', '5', '2', ':', '5', '4', ':',
  '0', '0', ':', '1', '2', ':', '3', '4', ':', '5', '6',
  0x00, 0x00, 0x00, 0x09,                         /* data length 9 */
  0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x07,                         /* at 44: Id length 7 */
  'c', 'o', 'u', 'n', 't', 'e', 'r',
  0x00, 0x00, 0x00, 0x09,                         /* data length 9 */
  0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  /* from 68 to 128: zeros */
};
#define QEMU_7_2_USED 68

static void
states_add (Vmstate1States *states,
            const char     *id,
            const void     *data,
            gsize           len)
{
  g_autoptr(GBytes) state = g_bytes_new (data, len);
  g_autoptr(GError) error = NULL;

  g_assert_true (vmstate1_states_add (states, id, state, &error));
  g_assert_no_error (error);
}

static void
assert_state (Vmstate1States *states,
              const char     *id,
              const void     *data,
              gsize           len)
{
  GBytes *state = vmstate1_states_lookup (states, id);

  g_assert_nonnull (state);
  g_assert_cmpmem (g_bytes_get_data (state, NULL), g_bytes_get_size (state),
                   data, len);
}

static void
assert_states_equal (Vmstate1States *expected,
                     Vmstate1States *actual)
{
  g_auto(GStrv) expected_ids = vmstate1_states_dup_ids (expected);
  g_auto(GStrv) actual_ids = vmstate1_states_dup_ids (actual);

  g_assert_cmpuint (vmstate1_states_get_length (actual), ==,
                    vmstate1_states_get_length (expected));
  g_assert_cmpstrv (actual_ids, expected_ids);
  for (gsize i = 0; expected_ids[i] != NULL; i++)
    g_assert_true (g_bytes_equal (vmstate1_states_lookup (actual,
                                                          expected_ids[i]),
                                  vmstate1_states_lookup (expected,
                                                          expected_ids[i])));
}

/* Every decoded state must be a slice of the blob, not a copy. */
static void
assert_slices_of (Vmstate1States *states,
                  GBytes         *blob)
{
  g_auto(GStrv) ids = vmstate1_states_dup_ids (states);
  gsize blob_size;
  const guint8 *base = g_bytes_get_data (blob, &blob_size);

  for (gsize i = 0; ids[i] != NULL; i++)
    {
      gsize size;
      const guint8 *p = g_bytes_get_data (vmstate1_states_lookup (states,
                                                                  ids[i]),
                                          &size);

      /* An empty GBytes may have any pointer, NULL included. */
      if (size == 0)
        continue;
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

/* Nothing a peer or a file wrote may reach a terminal raw. */
static void
assert_printable (const char *message)
{
  g_assert_true (g_utf8_validate (message, -1, NULL));
  for (const char *p = message; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        {
          g_autofree char *shown = g_strescape (message, NULL);

          g_error ("message \"%s\" has control character U+%04X", shown, c);
        }
    }
}

static char *
decode_error (GByteArray *blob)
{
  g_autoptr(GBytes) bytes = exact_bytes (blob);
  g_autoptr(GError) error = NULL;
  g_autoptr(Vmstate1States) states = vmstate1_states_decode (bytes, &error);

  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
  g_test_message ("%s", error->message);
  assert_printable (error->message);
  return g_strdup (error->message);
}

static void
assert_malformed (GByteArray *blob,
                  const char *fragment)
{
  g_autofree char *message = decode_error (blob);

  g_assert_true (g_str_has_prefix (message, "Malformed dbus-vmstate blob: "));
  g_assert_nonnull (strstr (message, "offset"));
  if (fragment != NULL && strstr (message, fragment) == NULL)
    g_error ("message '%s' does not say '%s'", message, fragment);
}

static Vmstate1States *
decode_ok (GBytes *blob)
{
  g_autoptr(GError) error = NULL;
  Vmstate1States *states = vmstate1_states_decode (blob, &error);

  g_assert_no_error (error);
  g_assert_nonnull (states);
  return states;
}

static void
roundtrip (Vmstate1States *states)
{
  g_autoptr(GBytes) blob = vmstate1_states_encode (states);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(Vmstate1States) decoded = NULL;

  g_assert_nonnull (blob);
  decoded = decode_ok (blob);
  assert_states_equal (states, decoded);
  assert_slices_of (decoded, blob);

  /* The same states give the same bytes. */
  again = vmstate1_states_encode (decoded);
  g_assert_true (g_bytes_equal (again, blob));
}

static void
test_roundtrip_empty (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();

  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 0);
  roundtrip (states);
}

static void
test_roundtrip_one (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();

  states_add (states, "counter", "\x00\x00\x00\x00\x00\x00\x00\x2a", 8);
  roundtrip (states);
}

static void
test_roundtrip_three (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();

  states_add (states, "slirp", "slirp state", 11);
  states_add (states, "usbredir", "usb", 3);
  states_add (states, "counter", "1", 1);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 3);
  roundtrip (states);
}

static void
test_roundtrip_binary (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
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
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
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
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();

  /* Fine in the format, though QEMU itself could not migrate it. */
  states_add (states, "empty", NULL, 0);
  states_add (states, "other", "x", 1);
  roundtrip (states);
}

static void
test_roundtrip_id_edges (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  char longest[VMSTATE1_ID_MAX_LEN + 1];

  memset (longest, 'i', VMSTATE1_ID_MAX_LEN);
  longest[VMSTATE1_ID_MAX_LEN] = '\0';
  states_add (states, longest, "l", 1);
  /* Valid on the wire: only a helper's own Id refuses a comma. */
  states_add (states, "a,b", "c", 1);
  states_add (states, "\xc3\xa9t\xc3\xa9", "summer", 6);
  roundtrip (states);
}

static void
test_boxed (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_auto(GValue) value = G_VALUE_INIT;
  Vmstate1States *ref;

  g_assert_true (G_TYPE_IS_BOXED (VMSTATE1_TYPE_STATES));
  g_assert_cmpstr (g_type_name (VMSTATE1_TYPE_STATES), ==, "Vmstate1States");

  states_add (states, "counter", "1", 1);
  ref = vmstate1_states_ref (states);
  g_assert_true (ref == states);
  vmstate1_states_unref (ref);
  assert_state (states, "counter", "1", 1);

  /* In a GValue, as bindings and signals carry it: a reference, not a
   * copy. */
  g_value_init (&value, VMSTATE1_TYPE_STATES);
  g_value_set_boxed (&value, states);
  g_assert_true (g_value_get_boxed (&value) == states);
  g_clear_pointer (&states, vmstate1_states_unref);
  assert_state (g_value_get_boxed (&value), "counter", "1", 1);
}

static void
test_add_keeps_state (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_autoptr(GError) error = NULL;
  GBytes *state = g_bytes_new ("abc", 3);

  g_assert_true (vmstate1_states_add (states, "slirp", state, &error));
  g_assert_no_error (error);
  /* The set holds its own reference. */
  g_bytes_unref (state);
  assert_state (states, "slirp", "abc", 3);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 1);
}

static void
assert_add_fails (Vmstate1States *states,
                  const char     *id,
                  gsize           data_len,
                  int             code,
                  const char     *fragment)
{
  g_autofree guint8 *data = g_malloc0 (data_len + 1);
  g_autoptr(GBytes) state = g_bytes_new (data, data_len);
  g_autoptr(GError) error = NULL;
  guint length = vmstate1_states_get_length (states);

  g_assert_false (vmstate1_states_add (states, id, state, &error));
  g_assert_error (error, VMSTATE1_ERROR, code);
  g_test_message ("%s", error->message);
  assert_printable (error->message);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("message '%s' does not say '%s'", error->message, fragment);
  /* A refusal changes nothing. */
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, length);
}

static void
test_add_invalid_id (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_autofree char *too_long = g_strnfill (VMSTATE1_ID_MAX_LEN + 1, 'i');
  g_autoptr(GBytes) encoded = NULL;

  states_add (states, "good", "g", 1);
  assert_add_fails (states, "", 1, VMSTATE1_ERROR_INVALID_ID, "empty");
  assert_add_fails (states, too_long, 1, VMSTATE1_ERROR_INVALID_ID,
                    "256 bytes");
  assert_add_fails (states, "bad\xff", 1, VMSTATE1_ERROR_INVALID_ID,
                    "UTF-8");
  assert_add_fails (states, "\xc3", 1, VMSTATE1_ERROR_INVALID_ID, "UTF-8");
  assert_add_fails (states, "bad\xff\x1b[2J", 1, VMSTATE1_ERROR_INVALID_ID,
                    "\\x1b");
  /* A comma is valid in the blob: QEMU carries such an Id. */
  states_add (states, "a,b", "c", 1);

  g_assert_null (vmstate1_states_lookup (states, ""));
  encoded = vmstate1_states_encode (states);
  g_assert_cmpuint (g_bytes_get_size (encoded), ==,
                    4 + (8 + 4 + 1) + (8 + 3 + 1));
}

static void
test_add_duplicate_id (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();

  states_add (states, "counter", "first", 5);
  assert_add_fails (states, "counter", 6, VMSTATE1_ERROR_DUPLICATE_ID,
                    "'counter'");
  /* The first state stays. */
  assert_state (states, "counter", "first", 5);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 1);
}

static void
test_add_too_large (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_autofree guint8 *big = g_malloc0 (MIB);

  assert_add_fails (states, "slirp", MIB + 1, VMSTATE1_ERROR_TOO_LARGE,
                    "'slirp'");
  assert_add_fails (states, "slirp", MIB + 1, VMSTATE1_ERROR_TOO_LARGE,
                    "1048577");
  assert_add_fails (states, "slirp", MIB + 1, VMSTATE1_ERROR_TOO_LARGE,
                    "1048576");
  g_assert_null (vmstate1_states_lookup (states, "slirp"));
  /* The limit itself is fine. */
  states_add (states, "slirp", big, MIB);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 1);
}

/* The Id in a message is the peer's text (a helper's Id property): its
 * control characters must not reach the terminal. */
static void
test_add_message_escapes_id (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  const char *id = "evil\x1b]0;owned\x07";

  states_add (states, id, "x", 1);
  assert_state (states, id, "x", 1);
  assert_add_fails (states, id, 1, VMSTATE1_ERROR_DUPLICATE_ID,
                    "evil\\x1b]0;owned\\x07");
  assert_add_fails (states, "big\n", MIB + 1, VMSTATE1_ERROR_TOO_LARGE,
                    "big\\x0a");
}

static void
test_lookup_missing (void)
{
  g_autoptr(Vmstate1States) empty = vmstate1_states_new ();
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();

  g_assert_null (vmstate1_states_lookup (empty, "counter"));

  states_add (states, "counter", "1", 1);
  states_add (states, "slirp-52:54:00:12:34:56", "2", 1);
  assert_state (states, "counter", "1", 1);
  assert_state (states, "slirp-52:54:00:12:34:56", "2", 1);
  g_assert_null (vmstate1_states_lookup (states, "Counter"));
  g_assert_null (vmstate1_states_lookup (states, "counte"));
  g_assert_null (vmstate1_states_lookup (states, "counter2"));
  g_assert_null (vmstate1_states_lookup (states, "slirp"));
  g_assert_null (vmstate1_states_lookup (states, "a"));
  g_assert_null (vmstate1_states_lookup (states, "zzz"));
}

static void
test_dup_ids_sorted (void)
{
  static const char *const sorted[] = {
    "Usb", "counter", "slirp-52:54:00:12:34:56", "usb", "usb,2", "usb-2",
    "usbredir", "\xc3\xa9t\xc3\xa9", NULL
  };
  static const guint order[] = { 3, 7, 1, 6, 0, 5, 2, 4 };
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_auto(GStrv) none = vmstate1_states_dup_ids (states);
  g_auto(GStrv) ids = NULL;

  g_assert_nonnull (none);
  g_assert_null (none[0]);

  for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
    states_add (states, sorted[order[i]], sorted[order[i]],
                strlen (sorted[order[i]]));
  ids = vmstate1_states_dup_ids (states);
  /* strcmp() order, the order of the blob. */
  g_assert_cmpstrv (ids, sorted);
  for (gsize i = 0; ids[i] != NULL; i++)
    assert_state (states, ids[i], ids[i], strlen (ids[i]));
}

static void
test_encode_empty (void)
{
  static const guint8 zero_count[4] = { 0 };
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_autoptr(GBytes) blob = vmstate1_states_encode (states);
  g_autoptr(Vmstate1States) decoded = NULL;

  g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob),
                   zero_count, sizeof zero_count);
  decoded = decode_ok (blob);
  g_assert_cmpuint (vmstate1_states_get_length (decoded), ==, 0);
}

static void
test_encode_golden (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_autoptr(GBytes) blob = NULL;

  /* Added in reverse order: the encoder sorts. */
  states_add (states, "bc", "", 0);
  states_add (states, "a", "xy", 2);
  blob = vmstate1_states_encode (states);
  g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob),
                   golden, sizeof golden);
}

static void
test_encode_deterministic (void)
{
  g_autoptr(Vmstate1States) forward = vmstate1_states_new ();
  g_autoptr(Vmstate1States) backward = vmstate1_states_new ();
  g_autoptr(GBytes) blob1 = NULL;
  g_autoptr(GBytes) blob2 = NULL;
  const int n = 100;

  for (int i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("helper-%d", i);
      states_add (forward, id, id, strlen (id));
    }
  for (int i = n - 1; i >= 0; i--)
    {
      g_autofree char *id = g_strdup_printf ("helper-%d", i);
      states_add (backward, id, id, strlen (id));
    }

  blob1 = vmstate1_states_encode (forward);
  blob2 = vmstate1_states_encode (backward);
  g_assert_true (g_bytes_equal (blob1, blob2));
}

static void
test_decode_golden (void)
{
  g_autoptr(GBytes) blob = g_bytes_new (golden, sizeof golden);
  g_autoptr(Vmstate1States) expected = vmstate1_states_new ();
  g_autoptr(Vmstate1States) states = NULL;

  states_add (expected, "a", "xy", 2);
  states_add (expected, "bc", NULL, 0);
  states = decode_ok (blob);
  assert_states_equal (expected, states);
  assert_slices_of (states, blob);
}

/* Decoding copies nothing: each state points into the blob, which lives
 * as long as a state does. */
static void
test_decode_shares_blob (void)
{
  GBytes *blob = g_bytes_new (golden, sizeof golden);
  const guint8 *base = g_bytes_get_data (blob, NULL);
  g_autoptr(Vmstate1States) states = decode_ok (blob);
  GBytes *xy = vmstate1_states_lookup (states, "a");
  gsize size;

  g_assert_true (g_bytes_get_data (xy, &size) == base + 13);
  g_assert_cmpuint (size, ==, 2);

  /* Dropping the caller's blob leaves the states valid (valgrind and ASan
   * would see a read of freed memory). */
  g_bytes_unref (blob);
  assert_state (states, "a", "xy", 2);
  assert_state (states, "bc", "", 0);
}

static void
test_decode_qemu_7_2 (void)
{
  static const guint8 nine[9] = { 0x01 };
  g_autoptr(GBytes) blob = g_bytes_new (qemu_7_2_padded,
                                        sizeof qemu_7_2_padded);
  g_autoptr(Vmstate1States) states = decode_ok (blob);
  g_autoptr(Vmstate1States) again = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_auto(GStrv) ids = vmstate1_states_dup_ids (states);
  const char *const expected_ids[] = { "counter", QEMU_SLIRP_ID, NULL };

  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 2);
  g_assert_cmpstrv (ids, expected_ids);
  assert_state (states, QEMU_SLIRP_ID, nine, sizeof nine);
  assert_state (states, "counter", nine, sizeof nine);
  assert_slices_of (states, blob);

  /* Re-encoded: the same 68 bytes of entries, sorted, no padding. */
  encoded = vmstate1_states_encode (states);
  g_assert_cmpuint (g_bytes_get_size (encoded), ==, QEMU_7_2_USED);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (encoded, NULL) + 8,
                   7, "counter", 7);
  again = decode_ok (encoded);
  assert_states_equal (states, again);
}

/* QEMU writes its buffer's allocated size: 64 bytes for 50 used. */
static void
test_decode_padding (void)
{
  g_autoptr(Vmstate1States) expected = vmstate1_states_new ();
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(Vmstate1States) states = NULL;
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
  states = decode_ok (blob);
  assert_states_equal (expected, states);
  assert_slices_of (states, blob);
  encoded = vmstate1_states_encode (states);
  g_assert_cmpuint (g_bytes_get_size (encoded), ==, 50);
}

/* No helpers: a count of 0, and QEMU's padding all the same. */
static void
test_decode_padding_no_entries (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(Vmstate1States) states = NULL;

  g_byte_array_set_size (raw, 64);
  memset (raw->data, 0, raw->len);
  blob = exact_bytes (raw);
  states = decode_ok (blob);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 0);
}

/* A 1 MiB state comes back from QEMU padded to 2 MiB. */
static void
test_decode_padding_large (void)
{
  g_autoptr(Vmstate1States) expected = vmstate1_states_new ();
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(Vmstate1States) states = NULL;
  g_autofree guint8 *big = g_malloc (MIB);
  const gsize used = 4 + 4 + 5 + 4 + MIB;

  for (gsize i = 0; i < MIB; i++)
    big[i] = (i * 13) & 0xff;
  states_add (expected, "slirp", big, MIB);
  put_u32 (raw, 1);
  put_entry (raw, "slirp", 5, big, MIB);
  g_assert_cmpuint (raw->len, ==, used);
  g_byte_array_set_size (raw, 2 * MIB);
  memset (raw->data + used, 0, 2 * MIB - used);

  blob = exact_bytes (raw);
  states = decode_ok (blob);
  assert_states_equal (expected, states);
  assert_slices_of (states, blob);
}

/* Anything but zeros after the last entry is refused, at the offset of
 * the first byte that is not zero. */
static void
test_decode_trailing_nonzero (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GByteArray) garbage = g_byte_array_new ();
  g_autoptr(GByteArray) padded = g_byte_array_new ();
  g_autofree char *message = NULL;

  put_u32 (raw, 1);
  put_entry (raw, "a", 1, "b", 1);
  g_byte_array_append (raw, (const guint8 *) "\x01", 1);
  message = decode_error (raw);
  g_assert_cmpstr (message, ==,
                   "Malformed dbus-vmstate blob: at offset 14: non-zero byte "
                   "0x01 after the last of the 1 entries the count announces "
                   "(QEMU pads with zeros only): the count is too low or the "
                   "blob is corrupt");

  /* What 0.1 ignored: garbage after the last entry. */
  put_u32 (garbage, 1);
  put_entry (garbage, "a", 1, "b", 1);
  put_u32 (garbage, 0xffffffff);
  g_byte_array_append (garbage, (const guint8 *) "\xff\x00\xff", 3);
  assert_malformed (garbage, "at offset 14: non-zero byte 0xff");

  /* QEMU's padded blob, its last byte flipped. */
  g_byte_array_append (padded, qemu_7_2_padded, sizeof qemu_7_2_padded);
  padded->data[127] = 0x80;
  assert_malformed (padded, "at offset 127: non-zero byte 0x80 after the "
                    "last of the 2 entries");
  padded->data[127] = 0;
  padded->data[QEMU_7_2_USED] = 0x01;
  assert_malformed (padded, "at offset 68: non-zero byte 0x01");
}

/* Issue #9 item 8: a count lower than the entries used to load, and the
 * helpers left out silently kept their old state. */
static void
test_decode_count_too_low (void)
{
  g_autoptr(GByteArray) one = g_byte_array_new ();
  g_autoptr(GByteArray) none = g_byte_array_new ();
  g_autoptr(GByteArray) qemu = g_byte_array_new ();

  /* Entry 2 starts at 15; its Id length 00 00 00 02 is non-zero at 18. */
  put_u32 (one, 1);
  put_entry (one, "a", 1, "xy", 2);
  put_entry (one, "bc", 2, "", 0);
  g_assert_cmpuint (one->len, ==, 25);
  assert_malformed (one, "at offset 18: non-zero byte 0x02 after the last "
                    "of the 1 entries the count announces");

  put_u32 (none, 0);
  put_entry (none, "a", 1, "b", 1);
  assert_malformed (none, "at offset 7: non-zero byte 0x01 after the last of "
                    "the 0 entries");

  /* QEMU's blob, count 1: the counter helper (Id length at 44) is left
   * out. */
  g_byte_array_append (qemu, qemu_7_2_padded, sizeof qemu_7_2_padded);
  qemu->data[3] = 1;
  assert_malformed (qemu, "at offset 47: non-zero byte 0x07 after the last "
                    "of the 1 entries");
}

static void
test_decode_truncated (void)
{
  g_autoptr(Vmstate1States) states = vmstate1_states_new ();
  g_autoptr(GBytes) blob = NULL;
  const guint8 *full;
  gsize len;

  states_add (states, "counter", "01234567", 8);
  states_add (states, "slirp", "abc", 3);
  blob = vmstate1_states_encode (states);
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
  assert_malformed (raw, "entry 2 at offset 19: Id 'ab\\xff' is not valid "
                    "UTF-8: bad byte 0xff at offset 21");
}

static void
test_decode_id_nul (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();

  put_u32 (raw, 1);
  put_entry (raw, "a\0b", 3, "x", 1);
  assert_malformed (raw, "entry 1 at offset 8: Id 'a\\x00b' contains a NUL "
                    "byte at offset 9");
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

/* An Id in a blob is file text: shown escaped, never raw. */
static void
test_decode_escapes_id (void)
{
  g_autoptr(GByteArray) dup = g_byte_array_new ();
  g_autoptr(GByteArray) past_end = g_byte_array_new ();
  g_autoptr(GByteArray) bad = g_byte_array_new ();

  put_u32 (dup, 2);
  put_entry (dup, "a\x1b[2J", 5, "x", 1);
  put_entry (dup, "a\x1b[2J", 5, "y", 1);
  assert_malformed (dup, "Id 'a\\x1b[2J' appears twice");

  put_u32 (past_end, 1);
  put_u32 (past_end, 3);
  g_byte_array_append (past_end, (const guint8 *) "a\nb", 3);
  put_u32 (past_end, 10);
  assert_malformed (past_end, "of Id 'a\\x0ab' goes past the end");

  put_u32 (bad, 1);
  put_entry (bad, "\r\xfe", 2, "x", 1);
  assert_malformed (bad, "Id '\\x0d\\xfe' is not valid UTF-8");
}

/* The message of the design's example, whole. */
static void
test_decode_message (void)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autofree char *message = NULL;
  char id[32];

  memset (id, 'x', sizeof id);
  put_u32 (raw, 2);
  put_entry (raw, id, sizeof id, "0123", 4);
  put_u32 (raw, 5);
  g_byte_array_append (raw, (const guint8 *) "slirp", 5);
  put_u32 (raw, 2000000);

  message = decode_error (raw);
  g_assert_cmpstr (message, ==,
                   "Malformed dbus-vmstate blob: entry 2 at offset 57: data "
                   "length 2000000 of Id 'slirp' is over the limit of "
                   "1048576 bytes");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmstate1/states/roundtrip/empty", test_roundtrip_empty);
  g_test_add_func ("/vmstate1/states/roundtrip/one", test_roundtrip_one);
  g_test_add_func ("/vmstate1/states/roundtrip/three", test_roundtrip_three);
  g_test_add_func ("/vmstate1/states/roundtrip/binary", test_roundtrip_binary);
  g_test_add_func ("/vmstate1/states/roundtrip/max-size",
                   test_roundtrip_max_size);
  g_test_add_func ("/vmstate1/states/roundtrip/empty-data",
                   test_roundtrip_empty_data);
  g_test_add_func ("/vmstate1/states/roundtrip/id-edges",
                   test_roundtrip_id_edges);
  g_test_add_func ("/vmstate1/states/boxed", test_boxed);
  g_test_add_func ("/vmstate1/states/add/keeps-state", test_add_keeps_state);
  g_test_add_func ("/vmstate1/states/add/invalid-id", test_add_invalid_id);
  g_test_add_func ("/vmstate1/states/add/duplicate-id",
                   test_add_duplicate_id);
  g_test_add_func ("/vmstate1/states/add/too-large", test_add_too_large);
  g_test_add_func ("/vmstate1/states/add/message-escapes-id",
                   test_add_message_escapes_id);
  g_test_add_func ("/vmstate1/states/lookup/missing", test_lookup_missing);
  g_test_add_func ("/vmstate1/states/dup-ids/sorted", test_dup_ids_sorted);
  g_test_add_func ("/vmstate1/states/encode/empty", test_encode_empty);
  g_test_add_func ("/vmstate1/states/encode/golden", test_encode_golden);
  g_test_add_func ("/vmstate1/states/encode/deterministic",
                   test_encode_deterministic);
  g_test_add_func ("/vmstate1/states/decode/golden", test_decode_golden);
  g_test_add_func ("/vmstate1/states/decode/shares-blob",
                   test_decode_shares_blob);
  g_test_add_func ("/vmstate1/states/decode/qemu-7.2-padded",
                   test_decode_qemu_7_2);
  g_test_add_func ("/vmstate1/states/decode/padding", test_decode_padding);
  g_test_add_func ("/vmstate1/states/decode/padding-no-entries",
                   test_decode_padding_no_entries);
  g_test_add_func ("/vmstate1/states/decode/padding-large",
                   test_decode_padding_large);
  g_test_add_func ("/vmstate1/states/decode/trailing-nonzero",
                   test_decode_trailing_nonzero);
  g_test_add_func ("/vmstate1/states/decode/count-too-low",
                   test_decode_count_too_low);
  g_test_add_func ("/vmstate1/states/decode/truncated",
                   test_decode_truncated);
  g_test_add_func ("/vmstate1/states/decode/short", test_decode_short);
  g_test_add_func ("/vmstate1/states/decode/count-too-large",
                   test_decode_count_too_large);
  g_test_add_func ("/vmstate1/states/decode/id-length-zero",
                   test_decode_id_length_zero);
  g_test_add_func ("/vmstate1/states/decode/id-length-256",
                   test_decode_id_length_256);
  g_test_add_func ("/vmstate1/states/decode/id-invalid-utf8",
                   test_decode_id_invalid_utf8);
  g_test_add_func ("/vmstate1/states/decode/id-nul", test_decode_id_nul);
  g_test_add_func ("/vmstate1/states/decode/data-too-large",
                   test_decode_data_too_large);
  g_test_add_func ("/vmstate1/states/decode/data-past-end",
                   test_decode_data_past_end);
  g_test_add_func ("/vmstate1/states/decode/duplicate-id",
                   test_decode_duplicate_id);
  g_test_add_func ("/vmstate1/states/decode/escapes-id",
                   test_decode_escapes_id);
  g_test_add_func ("/vmstate1/states/decode/message", test_decode_message);

  return g_test_run ();
}
