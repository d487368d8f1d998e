/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The migration-stream reader: crafted streams (suite unit), and real
 * QEMU 7.2 streams made here with the harness (suite qemu, run with
 * --suite=qemu). */
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <vmstate1.h>

#include "vmstate1-migration-reader-private.h"

#ifdef WITH_QEMU_HARNESS
#include "harness/test-bus.h"
#include "harness/test-qemu.h"
#include "harness/test-recorder.h"
#endif

#define PAGE 4096
#define IDSTR "dbus-vmstate/dbus-vmstate"

/* Building streams */

typedef struct
{
  GByteArray *bytes;
  GString *devices;      /* the vmdesc's list, as JSON */
  guint32 next_section;
  gboolean footers;
} Builder;

static void
put (Builder    *b,
     const void *data,
     gsize       len)
{
  g_byte_array_append (b->bytes, data, (guint) len);
}

static void
put_u8 (Builder *b, guint8 v)
{
  put (b, &v, 1);
}

static void
put_be16 (Builder *b, guint16 v)
{
  guint16 be = GUINT16_TO_BE (v);
  put (b, &be, 2);
}

static void
put_be32 (Builder *b, guint32 v)
{
  guint32 be = GUINT32_TO_BE (v);
  put (b, &be, 4);
}

static void
put_be64 (Builder *b, guint64 v)
{
  guint64 be = GUINT64_TO_BE (v);
  put (b, &be, 8);
}

static void
put_name (Builder *b, const char *name)
{
  put_u8 (b, (guint8) strlen (name));
  put (b, name, strlen (name));
}

static void
json_string (GString    *out,
             const char *s)
{
  g_string_append_c (out, '"');
  for (; *s; s++)
    {
      if ((guchar) *s < 0x20 || *s == '"' || *s == '\\')
        g_string_append_printf (out, "\\u%04x", (guchar) *s);
      else
        g_string_append_c (out, *s);
    }
  g_string_append_c (out, '"');
}

static Builder *
builder_new (gboolean configuration)
{
  Builder *b = g_new0 (Builder, 1);

  b->bytes = g_byte_array_new ();
  b->devices = g_string_new (NULL);
  b->footers = TRUE;
  put (b, "QEVM", 4);
  put_be32 (b, 3);
  if (configuration)
    {
      put_u8 (b, 0x07);
      put_be32 (b, strlen ("pc-i440fx-7.2"));
      put (b, "pc-i440fx-7.2", strlen ("pc-i440fx-7.2"));
    }
  return b;
}

static void
builder_free (Builder *b)
{
  g_byte_array_unref (b->bytes);
  g_string_free (b->devices, TRUE);
  g_free (b);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Builder, builder_free)

static void
put_footer (Builder *b,
            guint32  section_id)
{
  if (!b->footers)
    return;
  put_u8 (b, 0x7e);
  put_be32 (b, section_id);
}

static void
put_section_header (Builder    *b,
                    guint8      type,
                    guint32     section_id,
                    const char *idstr,
                    guint32     version)
{
  put_u8 (b, type);
  put_be32 (b, section_id);
  put_name (b, idstr);
  put_be32 (b, 0);
  put_be32 (b, version);
}

static gboolean
all_zero (const guint8 *p,
          gsize         n)
{
  for (gsize i = 0; i < n; i++)
    if (p[i] != 0)
      return FALSE;
  return TRUE;
}

/* RAM of @n_pages pages in block "pc.ram": START with the block list,
 * one PART with every page, END. */
static void
builder_ram (Builder      *b,
             const guint8 *pages,
             guint         n_pages)
{
  guint32 id = b->next_section++;

  put_section_header (b, 0x01, id, "ram", 4);
  put_be64 (b, (guint64) n_pages * PAGE | 0x04);
  put_name (b, "pc.ram");
  put_be64 (b, (guint64) n_pages * PAGE);
  put_be64 (b, 0x10);
  put_footer (b, id);

  put_u8 (b, 0x02);
  put_be32 (b, id);
  for (guint i = 0; i < n_pages; i++)
    {
      const guint8 *page = pages + (gsize) i * PAGE;
      gboolean zero = all_zero (page, PAGE);

      put_be64 (b, (guint64) i * PAGE | (zero ? 0x02 : 0x08)
                   | (i > 0 ? 0x20 : 0));
      if (i == 0)
        put_name (b, "pc.ram");
      if (zero)
        put_u8 (b, 0);
      else
        put (b, page, PAGE);
    }
  put_be64 (b, 0x10);
  put_footer (b, id);

  put_u8 (b, 0x03);
  put_be32 (b, id);
  put_be64 (b, 0x10);
  put_footer (b, id);
}

typedef struct
{
  const char *name;
  const char *type;
  const void *data;
  gsize len;
} Field;

static void
put_fields (Builder     *b,
            GString     *json,
            const Field *fields,
            guint        n_fields)
{
  g_string_append (json, "\"fields\": [");
  for (guint i = 0; i < n_fields; i++)
    {
      put (b, fields[i].data, fields[i].len);
      g_string_append_printf (json, "%s{\"name\": ", i ? ", " : "");
      json_string (json, fields[i].name);
      g_string_append_printf (json, ", \"type\": \"%s\", \"size\": %zu}",
                              fields[i].type, fields[i].len);
    }
  g_string_append (json, "]");
}

/* A FULL device section, and its description. */
static void
builder_device (Builder     *b,
                const char  *idstr,
                const char  *vmsd_name,
                guint32      version,
                const Field *fields,
                guint        n_fields,
                const char  *subsection,
                const Field *sub_fields,
                guint        n_sub_fields)
{
  guint32 id = b->next_section++;

  put_section_header (b, 0x04, id, idstr, version);
  g_string_append (b->devices, b->devices->len ? ", {\"name\": " : "{\"name\": ");
  json_string (b->devices, idstr);
  g_string_append (b->devices, ", \"instance_id\": 0, \"vmsd_name\": ");
  json_string (b->devices, vmsd_name);
  g_string_append_printf (b->devices, ", \"version\": %u, ", version);
  put_fields (b, b->devices, fields, n_fields);
  if (subsection != NULL)
    {
      put_u8 (b, 0x05);
      put_name (b, subsection);
      put_be32 (b, 1);
      g_string_append (b->devices, ", \"subsections\": [{\"vmsd_name\": ");
      json_string (b->devices, subsection);
      g_string_append (b->devices, ", \"version\": 1, ");
      put_fields (b, b->devices, sub_fields, n_sub_fields);
      g_string_append (b->devices, "}]");
    }
  g_string_append (b->devices, "}");
  put_footer (b, id);
}

static void
builder_dbus_vmstate (Builder *b,
                      GBytes  *blob)
{
  guint32 size = GUINT32_TO_BE ((guint32) g_bytes_get_size (blob));
  Field fields[] = {
    { "data_size", "uint32", &size, 4 },
    { "data", "buffer", g_bytes_get_data (blob, NULL), g_bytes_get_size (blob) },
  };

  builder_device (b, IDSTR, "dbus-vmstate", 0, fields, 2, NULL, NULL, 0);
}

static void
builder_timer (Builder *b)
{
  static const guint8 eight[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  Field fields[] = {
    { "cpu_ticks_offset", "int64", eight, 8 },
    { "unused", "unused_buffer", eight, 8 },
    { "cpu_clock_offset", "int64", eight, 8 },
  };

  builder_device (b, "timer", "timer", 2, fields, 3, NULL, NULL, 0);
}

static GBytes *
builder_finish (Builder  *b,
                gboolean  vmdesc)
{
  put_u8 (b, 0x00);
  if (vmdesc)
    {
      g_autofree char *json = g_strdup_printf ("{\"page_size\": 4096, "
                                               "\"devices\": [%s]}",
                                               b->devices->str);

      put_u8 (b, 0x06);
      put_be32 (b, strlen (json));
      put (b, json, strlen (json));
    }
  return g_bytes_new (b->bytes->data, b->bytes->len);
}

/* QEMU's blob: count, then Id and data sizes and bytes, then zeros. */
static GBytes *
make_blob (const char *id,
           const char *data,
           gsize       padding)
{
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  guint32 be;
  static const guint8 zeros[64];

  be = GUINT32_TO_BE (1);
  g_byte_array_append (blob, (guint8 *) &be, 4);
  be = GUINT32_TO_BE (strlen (id));
  g_byte_array_append (blob, (guint8 *) &be, 4);
  g_byte_array_append (blob, (const guint8 *) id, strlen (id));
  be = GUINT32_TO_BE (strlen (data));
  g_byte_array_append (blob, (guint8 *) &be, 4);
  g_byte_array_append (blob, (const guint8 *) data, strlen (data));
  g_assert_cmpuint (padding, <=, sizeof zeros);
  g_byte_array_append (blob, zeros, padding);
  return g_byte_array_free_to_bytes (g_steal_pointer (&blob));
}

/* What a guest can write in its RAM: a complete dbus-vmstate section. */
static GBytes *
make_fake_section (GBytes *blob)
{
  g_autoptr(Builder) b = g_new0 (Builder, 1);

  b->bytes = g_byte_array_new ();
  b->devices = g_string_new (NULL);
  put_section_header (b, 0x04, 99, IDSTR, 0);
  put_be32 (b, (guint32) g_bytes_get_size (blob));
  put (b, g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
  put_u8 (b, 0x7e);
  put_be32 (b, 99);
  return g_bytes_new (b->bytes->data, b->bytes->len);
}

typedef struct
{
  gboolean no_config;
  gboolean no_footers;
  gboolean no_dbus_vmstate;
  gboolean no_vmdesc;
  gboolean two_dbus_vmstate;
  GBytes *blob;           /* default: make_blob ("real", ...) */
  GBytes *ram_plant;      /* put in a RAM page */
  GBytes *device_plant;   /* put in another device's buffer */
} Crafted;

static GBytes *
real_blob (void)
{
  return make_blob ("real", "the helper's own state", 30);
}

static GBytes *
fake_blob (void)
{
  return make_blob ("real", "planted by the guest", 0);
}

static GBytes *
craft (const Crafted *c)
{
  g_autoptr(Builder) b = builder_new (!c->no_config);
  g_autofree guint8 *pages = g_malloc0 (4 * PAGE);
  g_autoptr(GBytes) blob = c->blob ? g_bytes_ref (c->blob) : real_blob ();
  static const guint8 running[] = "running";
  guint8 runstate[100] = { 0, };
  guint32 size = GUINT32_TO_BE (sizeof running);
  static const guint8 sub_value[2] = { 0xab, 0xcd };
  static const guint8 base[3] = { 0x05, 0x06, 0x7e };
  Field serial[] = { { "base", "uint8", base, 3 } };
  Field serial_sub[] = { { "value", "uint16", sub_value, 2 } };
  Field globalstate[] = {
    { "size", "uint32", &size, 4 },
    { "runstate", "buffer", runstate, sizeof runstate },
  };

  b->footers = !c->no_footers;
  memcpy (runstate, running, sizeof running);
  /* Some random-looking RAM, and the plant. */
  for (gsize i = 0; i < PAGE; i++)
    pages[3 * PAGE + i] = (guint8) (i * 7 + 1);
  if (c->ram_plant != NULL)
    memcpy (pages + PAGE + 100, g_bytes_get_data (c->ram_plant, NULL),
            g_bytes_get_size (c->ram_plant));
  builder_ram (b, pages, 4);
  builder_timer (b);
  if (!c->no_dbus_vmstate)
    builder_dbus_vmstate (b, blob);
  if (c->two_dbus_vmstate)
    builder_dbus_vmstate (b, blob);
  /* The bytes of a serial port with a subsection; they hold section
   * type values. */
  builder_device (b, "serial", "serial", 3, serial, 1, "serial/fifo",
                  serial_sub, 1);
  if (c->device_plant != NULL)
    {
      Field plant[] = {
        { "data", "buffer", g_bytes_get_data (c->device_plant, NULL),
          g_bytes_get_size (c->device_plant) },
      };

      builder_device (b, "0000:00:02.0/nvram", "nvram", 1, plant, 1, NULL,
                      NULL, 0);
    }
  builder_device (b, "globalstate", "globalstate", 1, globalstate, 2, NULL,
                  NULL, 0);
  return builder_finish (b, !c->no_vmdesc);
}

/* Reading */

static GBytes *
read_bytes (GBytes   *stream_bytes,
            guint64  *offset,
            GError  **error)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (stream_bytes);

  return _vmstate1_migration_read_section_full (stream, offset, NULL, error);
}

static void
assert_message_printable (const GError *error)
{
  for (const char *p = error->message; *p; p++)
    g_assert_true ((guchar) *p >= 0x20);
}

static void
assert_read_fails (GBytes      *stream_bytes,
                   GQuark       domain,
                   int          code,
                   const char  *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = read_bytes (stream_bytes, NULL, &error);

  g_assert_null (blob);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  assert_message_printable (error);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("'%s' not in: %s", needle, error->message);
}

static gsize
find (GBytes     *haystack,
      const void *needle,
      gsize       len)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (haystack, &size);
  const guint8 *hit = memmem (data, size, needle, len);

  g_assert_nonnull (hit);
  return hit - data;
}

/* With VMSTATE1_MIGRATION_CORPUS_OUT set, streams made here are kept
 * there: the seeds of the fuzz corpus. */
static void
keep_bytes_for_corpus (GBytes     *bytes,
                       const char *name)
{
  const char *dir = g_getenv ("VMSTATE1_MIGRATION_CORPUS_OUT");
  g_autofree char *target = NULL;

  if (dir == NULL)
    return;
  target = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (target, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), NULL));
}

/* Unit tests: crafted streams */

static void
test_crafted (void)
{
  g_autoptr(GBytes) expected = real_blob ();
  g_autoptr(GBytes) fake = fake_blob ();
  g_autoptr(GBytes) plant = make_fake_section (fake);
  Crafted c = { .ram_plant = plant, .device_plant = plant };
  g_autoptr(GBytes) stream = craft (&c);
  g_autoptr(GError) error = NULL;
  guint64 offset = 0;
  g_autoptr(GBytes) blob = read_bytes (stream, &offset, &error);
  g_autoptr(Vmstate1States) states = NULL;

  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, expected));
  keep_bytes_for_corpus (stream, "crafted-planted.bin");
  /* The plant comes first: a search for the section's bytes finds it. */
  g_assert_cmpuint (find (stream, "\x19" IDSTR, 26), <, offset);
  g_assert_cmpuint (offset, ==, find (stream, "\0\0\0\1\0\0\0\4real\0\0\0\x16the helper", 26));
  states = vmstate1_states_decode (blob, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 1);
}

static void
test_variants (void)
{
  g_autoptr(GBytes) expected = real_blob ();
  static const Crafted variants[] = {
    { .no_config = TRUE },
    { .no_footers = TRUE },
    { .no_config = TRUE, .no_footers = TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr(GBytes) stream = craft (&variants[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) blob = read_bytes (stream, NULL, &error);

      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (blob, expected));
    }
}

static void
test_not_found (void)
{
  g_autoptr(GBytes) fake = fake_blob ();
  g_autoptr(GBytes) plant = make_fake_section (fake);
  Crafted c = { .no_dbus_vmstate = TRUE, .ram_plant = plant,
                .device_plant = plant };
  g_autoptr(GBytes) stream = craft (&c);

  assert_read_fails (stream, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "this QEMU migration stream has no dbus-vmstate section: "
                     "was the VM started with -object dbus-vmstate?");
}

/* A section whose blob does not decode is returned as it is: it is the
 * section, and the decoder says what is wrong with it (0.1 said "no
 * section" here). */
static void
test_corrupt_blob (void)
{
  static const guint8 bad[] = { 0, 0, 0, 9, 0, 0, 0, 200, 'x' };
  g_autoptr(GBytes) corrupt = g_bytes_new_static (bad, sizeof bad);
  Crafted c = { .blob = corrupt };
  g_autoptr(GBytes) stream = craft (&c);
  g_autoptr(GError) error = NULL;
  guint64 offset = 0;
  g_autoptr(GBytes) blob = read_bytes (stream, &offset, &error);
  g_autoptr(Vmstate1States) states = NULL;

  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, corrupt));
  g_assert_cmpuint (offset, ==, find (stream, bad, sizeof bad));
  states = vmstate1_states_decode (blob, &error);
  g_assert_null (states);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
}

/* Every truncation is an error, never an answer. */
static void
test_truncated (void)
{
  Crafted c = { 0, };
  g_autoptr(GBytes) stream = craft (&c);
  gsize size = g_bytes_get_size (stream);

  for (gsize len = 0; len < size; len++)
    {
      g_autoptr(GBytes) prefix = g_bytes_new_from_bytes (stream, 0, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) blob = read_bytes (prefix, NULL, &error);

      g_assert_null (blob);
      if (!g_error_matches (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED)
          && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        g_error ("prefix of %zu bytes: %s", len, error->message);
    }
}

static void
test_no_vmdesc (void)
{
  Crafted c = { .no_vmdesc = TRUE };
  g_autoptr(GBytes) stream = craft (&c);

  assert_read_fails (stream, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "no VM description");
}

static void
test_two_sections (void)
{
  Crafted c = { .two_dbus_vmstate = TRUE };
  g_autoptr(GBytes) stream = craft (&c);

  assert_read_fails (stream, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "two dbus-vmstate sections");
}

/* A stream with its RAM records' flags replaced. */
static GBytes *
with_ram_flags (guint64 flags)
{
  g_autoptr(Builder) b = builder_new (TRUE);
  g_autoptr(GBytes) blob = real_blob ();

  put_section_header (b, 0x01, 0, "ram", 4);
  put_be64 (b, PAGE | 0x04);
  put_name (b, "pc.ram");
  put_be64 (b, PAGE);
  put_be64 (b, flags);
  put_name (b, "pc.ram");
  put (b, "\0\0\0\0\0\0\0\0", 8);
  put_be64 (b, 0x10);
  put_footer (b, 0);
  builder_dbus_vmstate (b, blob);
  return builder_finish (b, TRUE);
}

static void
test_ram_flags (void)
{
  g_autoptr(GBytes) xbzrle = with_ram_flags (0x40);
  g_autoptr(GBytes) compressed = with_ram_flags (0x100);
  g_autoptr(GBytes) multifd = with_ram_flags (0x200);
  g_autoptr(GBytes) hook = with_ram_flags (0x80);
  g_autoptr(GBytes) unknown = with_ram_flags (0x400);
  g_autoptr(GBytes) beyond = with_ram_flags (PAGE | 0x02);

  assert_read_fails (xbzrle, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "XBZRLE");
  assert_read_fails (compressed, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "compressed");
  assert_read_fails (multifd, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "multifd");
  assert_read_fails (hook, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "RDMA");
  assert_read_fails (unknown, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                     "unknown RAM flags 0x400");
  assert_read_fails (beyond, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                     "beyond the 4096 bytes of RAM block 'pc.ram'");
}

static void
test_unknown_sections (void)
{
  g_autoptr(GBytes) blob = real_blob ();
  g_autoptr(GBytes) unknown = NULL, block = NULL, escaped = NULL;

  {
    g_autoptr(Builder) b = builder_new (TRUE);

    put_u8 (b, 0x42);
    unknown = builder_finish (b, TRUE);
  }
  {
    g_autoptr(Builder) b = builder_new (TRUE);

    put_section_header (b, 0x01, 0, "block", 1);
    block = builder_finish (b, TRUE);
  }
  {
    /* A section name with control characters, not in the description. */
    g_autoptr(Builder) b = builder_new (TRUE);

    builder_dbus_vmstate (b, blob);
    put_section_header (b, 0x04, 7, "\x01" "evil\n\x1b[2J", 0);
    escaped = builder_finish (b, TRUE);
  }
  assert_read_fails (unknown, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "unknown section type 0x42");
  assert_read_fails (block, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "iterative section 'block'");
  assert_read_fails (escaped, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                     "section '\\x01evil\\x0a\\x1b[2J' is not in the VM "
                     "description");
}

/* The description must account for every byte. */
static void
test_vmdesc_mismatch (void)
{
  Crafted c = { 0, };
  g_autoptr(GBytes) stream = craft (&c);
  gsize size;
  const guint8 *data = g_bytes_get_data (stream, &size);
  g_autofree guint8 *copy = g_memdup2 (data, size);
  guint8 *p = memmem (copy, size, "\"size\": 100", 11);
  g_autoptr(GBytes) bigger = NULL, smaller = NULL, bad_sub = NULL;

  /* globalstate's buffer said to be 190 bytes: past the end. */
  g_assert_nonnull (p);
  p[9] = '9';
  bigger = g_bytes_new (copy, size);
  assert_read_fails (bigger, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                     "section 'globalstate' ends past the end");
  /* said to be 99 bytes: one is left before QEMU_VM_EOF. */
  {
    g_autofree guint8 *copy2 = g_memdup2 (data, size);
    guint8 *q = memmem (copy2, size, "\"size\": 100", 11);

    memcpy (q + 8, " 99", 3);
    smaller = g_bytes_new (copy2, size);
    assert_read_fails (smaller, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                       "QEMU_VM_EOF");
  }
  /* A subsection's name in the description that the stream lacks. */
  {
    g_autofree guint8 *copy3 = g_memdup2 (data, size);
    guint8 *q = memmem (copy3, size, "serial/fifo\"", 12);

    q[7] = 'X';
    bad_sub = g_bytes_new (copy3, size);
    assert_read_fails (bad_sub, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                       "lacks its subsection 'serial/Xifo'");
  }
}

static void
test_bad_json (void)
{
  static const char *const documents[] = {
    "", "{", "{\"devices\": [}", "{\"devices\": \"x\"}", "[1, 2]",
    "{\"devices\": []} x", "{\"a\": \"\\u0000\"}", "{\"a\": \"\\ud800\"}",
    "{\"a\": 01}", "{\"a\": -}", "{\"a\": tru}", "{\"a\": \"\x01\"}",
    "{\"a\": \"\\q\"}", "{\"a\" 1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(Builder) b = builder_new (TRUE);
      g_autoptr(GBytes) stream = NULL;

      put_u8 (b, 0x00);
      put_u8 (b, 0x06);
      put_be32 (b, strlen (documents[i]));
      put (b, documents[i], strlen (documents[i]));
      stream = g_bytes_new (b->bytes->data, b->bytes->len);
      assert_read_fails (stream, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                         "VM description");
    }
  {
    /* Deep nesting is refused, not recursed into without end. */
    g_autoptr(Builder) b = builder_new (TRUE);
    g_autoptr(GBytes) stream = NULL;
    g_autoptr(GString) deep = g_string_new ("{\"devices\": ");

    for (int i = 0; i < 100000; i++)
      g_string_append_c (deep, '[');
    put_u8 (b, 0x00);
    put_u8 (b, 0x06);
    put_be32 (b, deep->len);
    put (b, deep->str, deep->len);
    stream = g_bytes_new (b->bytes->data, b->bytes->len);
    assert_read_fails (stream, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                       "nested more than");
  }
}

static void
test_not_a_stream (void)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) text = g_bytes_new_static ("hello, world\n", 13);
  g_autoptr(GBytes) v2 = g_bytes_new_static ("QEVM\0\0\0\2", 8);

  assert_read_fails (empty, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                     "offset 0");
  assert_read_fails (text, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                     "magic 'hell'");
  assert_read_fails (v2, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "stream version 2");
}

/* libvirt's save image: its header (in the byte order of its host), the
 * domain XML padded with zeros, then QEMU's stream. */
static GBytes *
libvirt_image (GBytes     *qemu_stream,
               const char *magic,
               guint32     format,
               gboolean    big_endian)
{
  static const char xml[] = "<domain type='kvm'><name>vm</name></domain>";
  g_autoptr(GByteArray) image = g_byte_array_new ();
  guint32 fields[19] = { 0, };
  gsize data_len = sizeof xml + 1000;
  g_autofree char *padded = g_malloc0 (data_len);

  fields[0] = 2;            /* version */
  fields[1] = data_len;
  fields[2] = 1;            /* was_running */
  fields[3] = format;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    fields[i] = big_endian ? GUINT32_TO_BE (fields[i])
                           : GUINT32_TO_LE (fields[i]);
  g_byte_array_append (image, (const guint8 *) magic, 16);
  g_byte_array_append (image, (const guint8 *) fields, sizeof fields);
  memcpy (padded, xml, sizeof xml);
  g_byte_array_append (image, (const guint8 *) padded, data_len);
  g_byte_array_append (image, g_bytes_get_data (qemu_stream, NULL),
                       g_bytes_get_size (qemu_stream));
  return g_byte_array_free_to_bytes (g_steal_pointer (&image));
}

static void
test_libvirt (void)
{
  g_autoptr(GBytes) expected = real_blob ();
  Crafted c = { 0, };
  g_autoptr(GBytes) stream = craft (&c);

  for (int big_endian = 0; big_endian < 2; big_endian++)
    {
      g_autoptr(GBytes) image = libvirt_image (stream, "LibvirtQemudSave", 0,
                                               big_endian);
      g_autoptr(GError) error = NULL;

      if (big_endian)
        keep_bytes_for_corpus (image, "crafted-libvirt-big-endian.bin");
      guint64 offset = 0;
      g_autoptr(GBytes) blob = read_bytes (image, &offset, &error);

      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (blob, expected));
      g_assert_cmpuint (offset, ==, find (image, "\0\0\0\1\0\0\0\4real", 12));
    }
  {
    g_autoptr(GBytes) gzip = libvirt_image (stream, "LibvirtQemudSave", 1,
                                            FALSE);
    g_autoptr(GBytes) partial = libvirt_image (stream, "LibvirtQemudPart", 0,
                                               FALSE);

    assert_read_fails (gzip, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "format 'gzip'");
    assert_read_fails (partial, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED,
                       "incomplete");
  }
}

/* A configuration with capabilities and a postcopy advice: the RAM block
 * list then carries addresses and page sizes. */
static void
test_capabilities (void)
{
  g_autoptr(Builder) b = builder_new (TRUE);
  g_autoptr(GBytes) expected = real_blob ();
  g_autoptr(GBytes) stream = NULL, blob = NULL;
  g_autoptr(GError) error = NULL;

  put_u8 (b, 0x05);
  put_name (b, "configuration/capabilities");
  put_be32 (b, 1);
  put_be32 (b, 1);
  put_name (b, "x-ignore-shared");
  put_u8 (b, 0x08);              /* POSTCOPY_ADVISE */
  put_be16 (b, 3);
  put_be16 (b, 16);
  put_be64 (b, PAGE);
  put_be64 (b, PAGE);
  put_section_header (b, 0x01, 0, "ram", 4);
  put_be64 (b, 3 * PAGE | 0x04);
  put_name (b, "pc.ram");        /* a page size, then an address */
  put_be64 (b, PAGE);
  put_be64 (b, 2 * 1024 * 1024);
  put_be64 (b, 0);
  put_name (b, "pc.bios");       /* an address only, last */
  put_be64 (b, 2 * PAGE);
  put_be64 (b, 0xfffe0000);
  put_be64 (b, 0x10);
  put_footer (b, 0);
  builder_dbus_vmstate (b, expected);
  stream = builder_finish (b, TRUE);
  keep_bytes_for_corpus (stream, "crafted-postcopy-ignore-shared.bin");

  blob = read_bytes (stream, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, expected));
}

/* Through a pipe, written by another thread: read as it comes. */
typedef struct
{
  int fd;
  GBytes *bytes;
  guint64 written;
} Feeder;

static gboolean
write_all (int         fd,
           const void *data,
           gsize       size)
{
  const guint8 *p = data;

  while (size > 0)
    {
      ssize_t n = write (fd, p, size);

      if (n <= 0)
        return FALSE;
      p += n;
      size -= n;
    }
  return TRUE;
}

static gpointer
feed (gpointer data)
{
  Feeder *feeder = data;
  gsize size;
  const guint8 *p = g_bytes_get_data (feeder->bytes, &size);

  while (size > 0)
    {
      ssize_t n = write (feeder->fd, p, MIN (size, 1000));

      if (n <= 0)
        break;
      p += n;
      size -= n;
    }
  close (feeder->fd);
  return NULL;
}

static GBytes *
read_through_pipe (GBytes   *bytes,
                   guint64  *offset,
                   GError  **error)
{
  int fds[2];
  Feeder feeder = { 0, };
  GThread *thread;
  g_autoptr(GInputStream) stream = NULL;
  GBytes *blob;

  g_assert_no_errno (pipe (fds));
  feeder.fd = fds[1];
  feeder.bytes = bytes;
  thread = g_thread_new ("feeder", feed, &feeder);
  stream = g_unix_input_stream_new (fds[0], TRUE);
  blob = _vmstate1_migration_read_section_full (stream, offset, NULL, error);
  /* Drain what an error left, so the feeder ends. */
  while (g_input_stream_skip (stream, 65536, NULL, NULL) > 0)
    ;
  g_thread_join (thread);
  return blob;
}

static void
test_pipe (void)
{
  g_autoptr(GBytes) expected = real_blob ();
  Crafted c = { 0, };
  g_autoptr(GBytes) stream = craft (&c);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = read_through_pipe (stream, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, expected));
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async (void)
{
  g_autoptr(GBytes) expected = real_blob ();
  Crafted c = { 0, };
  g_autoptr(GBytes) bytes = craft (&c);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  guint64 offset = 0;

  _vmstate1_migration_read_section_async (stream, NULL, on_read, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  blob = _vmstate1_migration_read_section_finish (result, &offset, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, expected));
  g_assert_cmpuint (offset, >, 0);
}

static void
test_cancelled (void)
{
  Crafted c = { 0, };
  g_autoptr(GBytes) bytes = craft (&c);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;

  g_cancellable_cancel (cancellable);
  blob = _vmstate1_migration_read_section (stream, cancellable, &error);
  g_assert_null (blob);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* 0.1 decoded every candidate section it found by name: with 1.5 MB of
 * nested candidates in RAM and in a device's state, each holding the
 * rest, that took 23 s. The reader never looks at those bytes. */
static void
test_nested_candidates (void)
{
  const gsize ram_size = 1536 * 1024, device_size = 512 * 1024;
  g_autoptr(GByteArray) pattern = g_byte_array_new ();
  g_autoptr(Builder) b = builder_new (TRUE);
  g_autoptr(GBytes) expected = real_blob ();
  g_autoptr(GBytes) stream = NULL, blob = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *ram = g_malloc0 (ram_size);
  g_autofree guint8 *device = g_malloc0 (device_size);
  guint32 be;
  Field field = { "data", "buffer", device, device_size };

  /* One candidate: the section's header, and a blob size that takes in
   * everything after it, each entry an Id and a state. */
  while (pattern->len < ram_size)
    {
      g_byte_array_append (pattern, (const guint8 *) "\x04\0\0\0\x01\x19" IDSTR
                           "\0\0\0\0\0\0\0\0", 6 + 25 + 8);
      be = GUINT32_TO_BE (ram_size);
      g_byte_array_append (pattern, (guint8 *) &be, 4);
      g_byte_array_append (pattern, (const guint8 *) "\0\0\0\x10\0\0\0\1a\0\0\0\0", 13);
    }
  memcpy (ram, pattern->data, ram_size);
  memcpy (device, pattern->data, device_size);
  builder_ram (b, ram, ram_size / PAGE);
  builder_device (b, "candidates", "candidates", 1, &field, 1, NULL, NULL, 0);
  builder_dbus_vmstate (b, expected);
  stream = builder_finish (b, TRUE);
  g_test_message ("%zu bytes of stream", g_bytes_get_size (stream));

  blob = read_bytes (stream, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, expected));
}

/* More RAM than the reader would ever keep (80 MiB, past the 64 MiB
 * bound on what it keeps), every page holding a fake section, through a
 * pipe: RAM streams by. */
static gpointer
feed_big_ram (gpointer data)
{
  Feeder *feeder = data;
  const guint n_pages = 80 * 256;
  g_autoptr(Builder) b = builder_new (TRUE);
  g_autoptr(GBytes) expected = real_blob ();
  g_autoptr(GBytes) fake = fake_blob ();
  g_autoptr(GBytes) plant = make_fake_section (fake);
  g_autoptr(GBytes) tail = NULL;
  g_autofree guint8 *record = g_malloc0 (8 + 1 + 6 + PAGE);
  gboolean ok = TRUE;

#define WRITE(data, len) \
  G_STMT_START { \
    if (ok && write_all (feeder->fd, (data), (len)) == FALSE) \
      ok = FALSE; \
    feeder->written += (len); \
  } G_STMT_END
  put_section_header (b, 0x01, 0, "ram", 4);
  put_be64 (b, (guint64) n_pages * PAGE | 0x04);
  put_name (b, "pc.ram");
  put_be64 (b, (guint64) n_pages * PAGE);
  put_be64 (b, 0x10);
  put_footer (b, 0);
  put_u8 (b, 0x02);
  put_be32 (b, 0);
  WRITE (b->bytes->data, b->bytes->len);
  g_byte_array_set_size (b->bytes, 0);

  for (guint i = 0; i < n_pages; i++)
    {
      guint64 be = GUINT64_TO_BE ((guint64) i * PAGE | 0x08
                                  | (i > 0 ? 0x20 : 0));
      gsize len = 0;

      memcpy (record, &be, 8);
      len += 8;
      if (i == 0)
        {
          memcpy (record + len, "\x06pc.ram", 7);
          len += 7;
        }
      memset (record + len, 0, PAGE);
      memcpy (record + len + 8, g_bytes_get_data (plant, NULL),
              g_bytes_get_size (plant));
      len += PAGE;
      WRITE (record, len);
    }

  put_be64 (b, 0x10);
  put_footer (b, 0);
  put_u8 (b, 0x03);
  put_be32 (b, 0);
  put_be64 (b, 0x10);
  put_footer (b, 0);
  builder_timer (b);
  builder_dbus_vmstate (b, expected);
  tail = builder_finish (b, TRUE);
  WRITE (g_bytes_get_data (tail, NULL), g_bytes_get_size (tail));
#undef WRITE
  close (feeder->fd);
  return NULL;
}

static void
test_big_ram (void)
{
  g_autoptr(GBytes) expected = real_blob ();
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  Feeder feeder = { 0, };
  GThread *thread;
  int fds[2];

  g_assert_no_errno (pipe (fds));
  feeder.fd = fds[1];
  feeder.bytes = NULL;
  feeder.written = 0;
  thread = g_thread_new ("feeder", feed_big_ram, &feeder);
  stream = g_unix_input_stream_new (fds[0], TRUE);
  blob = _vmstate1_migration_read_section (stream, NULL, &error);
  while (g_input_stream_skip (stream, 65536, NULL, NULL) > 0)
    ;
  g_thread_join (thread);
  g_test_message ("%" G_GUINT64_FORMAT " bytes through the pipe",
                  feeder.written);
  g_assert_cmpuint (feeder.written, >, 80 * 1024 * 1024);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, expected));
}

#ifdef VMSTATE1_HAVE_STATES
static void
test_states (void)
{
  static const guint8 bad[] = { 0, 0, 0, 9 };
  g_autoptr(GBytes) corrupt = g_bytes_new_static (bad, sizeof bad);
  Crafted good_c = { 0, }, bad_c = { .blob = corrupt }, none_c = {
    .no_dbus_vmstate = TRUE };
  g_autoptr(GBytes) good = craft (&good_c);
  g_autoptr(GBytes) broken = craft (&bad_c);
  g_autoptr(GBytes) none = craft (&none_c);
  g_autoptr(GInputStream) s1 = g_memory_input_stream_new_from_bytes (good);
  g_autoptr(GInputStream) s2 = g_memory_input_stream_new_from_bytes (broken);
  g_autoptr(GInputStream) s3 = g_memory_input_stream_new_from_bytes (none);
  g_autoptr(Vmstate1States) states = NULL, failed = NULL, missing = NULL;
  g_autoptr(GError) error = NULL;

  states = vmstate1_states_read_migration (s1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==, 1);
  g_assert_nonnull (vmstate1_states_lookup (states, "real"));
  failed = vmstate1_states_read_migration (s2, NULL, &error);
  g_assert_null (failed);
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "dbus-vmstate section's blob at "
                                            "offset"));
  g_clear_error (&error);
  missing = vmstate1_states_read_migration (s3, NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  {
    g_autoptr(GInputStream) s4 = g_memory_input_stream_new_from_bytes (good);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(Vmstate1States) again = NULL;

    vmstate1_states_read_migration_async (s4, NULL, on_read, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    again = vmstate1_states_read_migration_finish (result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vmstate1_states_get_length (again), ==, 1);
  }
}
#endif

#ifdef WITH_QEMU_HARNESS
/* Real QEMU 7.2 streams */

typedef struct
{
  TestBus *bus;
  char *dir;
} QemuFixture;

static void
qemu_setup (QemuFixture   *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (!test_qemu_require ())
    return;
  fixture->bus = test_bus_new (NULL, &error);
  g_assert_no_error (error);
  fixture->dir = g_dir_make_tmp ("vmstate1-reader-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
qemu_teardown (QemuFixture   *fixture,
               gconstpointer  data)
{
  g_clear_pointer (&fixture->bus, test_bus_free);
  if (fixture->dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

          g_unlink (path);
        }
      g_rmdir (fixture->dir);
      g_free (fixture->dir);
    }
}

#define SKIP_IF_NO_QEMU(fixture) \
  if ((fixture)->bus == NULL) return

static void
keep_for_corpus (const char *path,
                 const char *name)
{
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *text = NULL;
  gsize size;

  if (g_getenv ("VMSTATE1_MIGRATION_CORPUS_OUT") == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &text, &size, NULL));
  contents = g_bytes_new_take (g_steal_pointer (&text), size);
  keep_bytes_for_corpus (contents, name);
}

/* Helpers Ids "idA" (100 random bytes) and "idB" (text) on the bus, QEMU
 * with @extra_args migrates to a file; returns its path. */
static char *
make_stream_with (QemuFixture        *fixture,
                  const char * const *extra_args,
                  const char         *capability,
                  const char         *name,
                  GHashTable        **states)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestQemu) qemu = NULL;
  g_autoptr(GBytes) a = test_random_bytes (100);
  g_autoptr(GBytes) b_state = g_bytes_new_static ("state of B", 10);
  Vmstate1Helper *helper_a, *helper_b;
  g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
  g_autofree char *uri = g_strdup_printf ("exec:cat > %s", path);
  g_autofree char *status = NULL;
  TestQemuOptions options = {
    .bus_address = test_bus_get_address (fixture->bus),
    .extra_args = extra_args,
  };

  helper_a = test_recorder_start (test_bus_get_address (fixture->bus), "idA",
                                  test_recorder_new (a));
  helper_b = test_recorder_start (test_bus_get_address (fixture->bus), "idB",
                                  test_recorder_new (b_state));
  qemu = test_qemu_new (&options, &error);
  g_assert_no_error (error);
  if (capability != NULL)
    {
      g_autofree char *command = g_strdup_printf (
          "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
          "{\"capabilities\": [{\"capability\": \"%s\", \"state\": true}]}}",
          capability);
      g_autoptr(JsonNode) reply = test_qemu_execute (qemu, command, &error);

      g_assert_no_error (error);
    }
  status = test_qemu_migrate (qemu, uri, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status, ==, "completed");
  test_recorder_stop (helper_a);
  test_recorder_stop (helper_b);

  *states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) g_bytes_unref);
  g_hash_table_insert (*states, g_strdup ("idA"), g_bytes_ref (a));
  g_hash_table_insert (*states, g_strdup ("idB"), g_bytes_ref (b_state));
  return g_steal_pointer (&path);
}

static char *
make_stream (QemuFixture        *fixture,
             const char * const *extra_args,
             const char         *name,
             GHashTable        **states)
{
  return make_stream_with (fixture, extra_args, NULL, name, states);
}

static GBytes *
read_file_bytes (const char *path)
{
  g_autofree char *contents = NULL;
  gsize size;

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  return g_bytes_new_take (g_steal_pointer (&contents), size);
}

static void
assert_blob_states (GBytes     *blob,
                    GHashTable *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Vmstate1States) states = vmstate1_states_decode (blob, &error);
  GHashTableIter iter;
  gpointer id, value;

  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (states), ==,
                    g_hash_table_size (expected));
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &id, &value))
    g_assert_true (g_bytes_equal (vmstate1_states_lookup (states, id), value));
}

/* Reads @path from a file stream, and checks what QEMU 7.2 names the
 * section. */
static GBytes *
read_path (const char *path,
           guint64    *offset)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, &error);
  GBytes *blob;

  g_assert_no_error (error);
  blob = _vmstate1_migration_read_section_full (G_INPUT_STREAM (stream),
                                                offset, NULL, &error);
  g_assert_no_error (error);
  return blob;
}

static void
test_qemu_none (QemuFixture   *fixture,
                gconstpointer  data)
{
  g_autoptr(GHashTable) states = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) blob = NULL, contents = NULL;
  guint64 offset = 0;

  SKIP_IF_NO_QEMU (fixture);
  path = make_stream (fixture, NULL, "none.bin", &states);
  keep_for_corpus (path, "qemu-7.2-none-two-helpers.bin");
  blob = read_path (path, &offset);
  assert_blob_states (blob, states);

  /* QEMU 7.2 names the section after the object's type and its vmstate:
   * idstr "dbus-vmstate/dbus-vmstate", instance 0, version 0, then the
   * blob's be32 size. */
  contents = read_file_bytes (path);
  g_assert_cmpuint (find (contents, "\x19" IDSTR "\0\0\0\0\0\0\0\0", 34), ==,
                    offset - 4 - 34);
}

/* A guest's RAM holding a complete fake section, before the real one. */
static void
test_qemu_planted (QemuFixture   *fixture,
                   gconstpointer  data)
{
  gboolean pc = GPOINTER_TO_INT (data);
  g_autoptr(GHashTable) states = NULL;
  g_autofree char *path = NULL;
  g_autofree char *fake_path = NULL;
  g_autofree char *loader = NULL;
  g_autoptr(GBytes) fake = NULL, plant = NULL, blob = NULL, contents = NULL;
  g_autoptr(GError) error = NULL;
  guint64 offset = 0;

  SKIP_IF_NO_QEMU (fixture);
  fake = make_blob ("idA", "planted by the guest", 0);
  plant = make_fake_section (fake);
  fake_path = g_build_filename (fixture->dir, "fake.bin", NULL);
  g_assert_true (g_file_set_contents (fake_path, g_bytes_get_data (plant, NULL),
                                      g_bytes_get_size (plant), &error));
  loader = g_strdup_printf ("loader,file=%s,addr=%s,force-raw=on", fake_path,
                            pc ? "0x100000" : "0x2000");
  {
    const char *pc_args[] = { "-M", "pc", "-m", "16", "-S", "-device", loader,
                              NULL };
    const char *none_args[] = { "-m", "1M", "-device", loader, NULL };

    path = make_stream (fixture, pc ? pc_args : none_args,
                        pc ? "pc.bin" : "none-ram.bin", &states);
  }
  if (!pc)
    keep_for_corpus (path, "qemu-7.2-none-ram-planted.bin");
  blob = read_path (path, &offset);
  assert_blob_states (blob, states);
  g_assert_false (g_bytes_equal (blob, fake));

  /* The plant is really there, before the real section: a search for the
   * section's bytes (what 0.1 did) finds the guest's. */
  contents = read_file_bytes (path);
  g_assert_cmpuint (find (contents, g_bytes_get_data (plant, NULL),
                          g_bytes_get_size (plant)), <, offset);
  g_test_message ("%s: %zu bytes, real blob at %" G_GUINT64_FORMAT,
                  path, g_bytes_get_size (contents), offset);
}

/* A capability that changes the RAM block list (x-ignore-shared: the
 * configuration lists it, each block carries its address), and one that
 * makes the stream unreadable here. (postcopy-ram, whose commands come
 * before RAM, never completes to a file: crafted streams cover it.) */
static void
test_qemu_capabilities (QemuFixture   *fixture,
                        gconstpointer  data)
{
  static const char *const capabilities[] = { "x-ignore-shared" };
  const char *args[] = { "-m", "1M", NULL };

  SKIP_IF_NO_QEMU (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (capabilities); i++)
    {
      g_autoptr(GHashTable) states = NULL;
      g_autofree char *name = g_strdup_printf ("%s.bin", capabilities[i]);
      g_autofree char *seed = g_strdup_printf ("qemu-7.2-none-ram-%s.bin",
                                               capabilities[i]);
      g_autofree char *path = make_stream_with (fixture, args,
                                                capabilities[i], name,
                                                &states);
      g_autoptr(GBytes) blob = NULL;
      guint64 offset = 0;

      keep_for_corpus (path, seed);
      blob = read_path (path, &offset);
      assert_blob_states (blob, states);
    }

  {
    /* Compressed pages: their size is in the stream, but not knowing how
     * to check them, the reader says it cannot tell. */
    const char *pc_args[] = { "-M", "pc", "-m", "16", "-S", NULL };
    g_autoptr(GHashTable) states = NULL;
    g_autofree char *path = make_stream_with (fixture, pc_args, "compress",
                                              "compress.bin", &states);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) blob = NULL;

    blob = _vmstate1_migration_read_section (G_INPUT_STREAM (stream), NULL,
                                             &error);
    g_assert_null (blob);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull (strstr (error->message, "compressed"));
  }
}

static void
test_qemu_libvirt_and_pipe (QemuFixture   *fixture,
                            gconstpointer  data)
{
  g_autoptr(GHashTable) states = NULL;
  g_autofree char *path = NULL;
  g_autofree char *image_path = NULL;
  g_autoptr(GBytes) contents = NULL, image = NULL;
  g_autoptr(GBytes) from_image = NULL, from_pipe = NULL, from_image_pipe = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "-m", "1M", NULL };
  guint64 offset = 0, image_offset = 0;

  SKIP_IF_NO_QEMU (fixture);
  path = make_stream (fixture, args, "stream.bin", &states);
  contents = read_file_bytes (path);

  image = libvirt_image (contents, "LibvirtQemudSave", 0, FALSE);
  image_path = g_build_filename (fixture->dir, "vm.save", NULL);
  g_assert_true (g_file_set_contents (image_path, g_bytes_get_data (image, NULL),
                                      g_bytes_get_size (image), &error));
  keep_for_corpus (image_path, "libvirt-save-qemu-7.2-none.bin");
  from_image = read_path (image_path, &image_offset);
  assert_blob_states (from_image, states);

  from_pipe = read_through_pipe (contents, &offset, &error);
  g_assert_no_error (error);
  assert_blob_states (from_pipe, states);
  from_image_pipe = read_through_pipe (image, &image_offset, &error);
  g_assert_no_error (error);
  assert_blob_states (from_image_pipe, states);
  g_assert_cmpuint (image_offset, ==,
                    offset + (g_bytes_get_size (image)
                              - g_bytes_get_size (contents)));
}
#endif

int
main (int    argc,
      char **argv)
{
  /* --suite=qemu: the real-QEMU tests only. */
  gboolean qemu = test_qemu_take_suite_arg (&argc, argv);

  g_test_init (&argc, &argv, NULL);

  if (!qemu)
    {
      g_test_add_func ("/vmstate1/migration-reader/crafted", test_crafted);
      g_test_add_func ("/vmstate1/migration-reader/variants", test_variants);
      g_test_add_func ("/vmstate1/migration-reader/not-found", test_not_found);
      g_test_add_func ("/vmstate1/migration-reader/corrupt-blob",
                       test_corrupt_blob);
      g_test_add_func ("/vmstate1/migration-reader/truncated", test_truncated);
      g_test_add_func ("/vmstate1/migration-reader/no-vmdesc", test_no_vmdesc);
      g_test_add_func ("/vmstate1/migration-reader/two-sections",
                       test_two_sections);
      g_test_add_func ("/vmstate1/migration-reader/ram-flags", test_ram_flags);
      g_test_add_func ("/vmstate1/migration-reader/unknown-sections",
                       test_unknown_sections);
      g_test_add_func ("/vmstate1/migration-reader/vmdesc-mismatch",
                       test_vmdesc_mismatch);
      g_test_add_func ("/vmstate1/migration-reader/bad-json", test_bad_json);
      g_test_add_func ("/vmstate1/migration-reader/not-a-stream",
                       test_not_a_stream);
      g_test_add_func ("/vmstate1/migration-reader/libvirt", test_libvirt);
      g_test_add_func ("/vmstate1/migration-reader/capabilities",
                       test_capabilities);
      g_test_add_func ("/vmstate1/migration-reader/pipe", test_pipe);
      g_test_add_func ("/vmstate1/migration-reader/async", test_async);
      g_test_add_func ("/vmstate1/migration-reader/cancelled", test_cancelled);
      g_test_add_func ("/vmstate1/migration-reader/nested-candidates",
                       test_nested_candidates);
      g_test_add_func ("/vmstate1/migration-reader/big-ram", test_big_ram);
#ifdef VMSTATE1_HAVE_STATES
      g_test_add_func ("/vmstate1/migration-reader/states", test_states);
#endif
    }
#ifdef WITH_QEMU_HARNESS
  else
    {
#define ADD(path, data, func) \
      g_test_add ("/vmstate1/migration-reader/qemu/" path, QemuFixture, data, \
                  qemu_setup, func, qemu_teardown)
      ADD ("none", NULL, test_qemu_none);
      ADD ("none-ram-planted", GINT_TO_POINTER (FALSE), test_qemu_planted);
      ADD ("pc-planted", GINT_TO_POINTER (TRUE), test_qemu_planted);
      ADD ("libvirt-and-pipe", NULL, test_qemu_libvirt_and_pipe);
      ADD ("capabilities", NULL, test_qemu_capabilities);
#undef ADD
    }
#endif

  return g_test_run ();
}
