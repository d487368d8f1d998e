/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device sections, walked with the VM description. Every byte
 * between RAM and the vmdesc is accounted for: each field has the size
 * the vmdesc gives it, each subsection the name and version it lists,
 * and QEMU_VM_EOF must land exactly where the vmdesc begins. Another
 * device's state can hold anything: it is skipped by its size, never
 * searched, and only the section whose vmsd is dbus-vmstate is taken. */
#include <string.h>

#include "vmstate1-migration-devices-private.h"
#include "vmstate1-migration-private.h"
#include "vmstate1-migration-reader-private.h"
#include "vmstate1-vmdesc-json-private.h"

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
desc_error (Devices       *d,
            Vmstate1Json  *node,
            GError       **error,
            const char    *what)
{
  return _vmstate1_mig_malformed (error,
                                  d->json_base + (node != NULL ? node->at : 0),
                                  "the VM description %s", what);
}

/* @what: "section 'name'", "a command"... */
static gboolean
dev_need (Devices     *d,
          guint64      n,
          const char  *what,
          GError     **error)
{
  /* pos passes end by one when the byte where QEMU_VM_EOF belongs was
   * read as a section type: nothing is left then, not (gsize) -1. */
  gsize left = d->pos <= d->end ? d->end - d->pos : 0;

  if (n > left)
    return _vmstate1_mig_malformed (error, d->base + d->pos,
                                    "%s ends past the end of the device "
                                    "state (%" G_GUINT64_FORMAT " bytes "
                                    "needed, %" G_GSIZE_FORMAT " left "
                                    "before QEMU_VM_EOF)", what, n, left);
  return TRUE;
}

/* Skips the fields, then the subsections, of one vmstate as described. */
static gboolean
skip_vmsd (Devices       *d,
           Vmstate1Json  *desc,
           const char    *section,  /* "section 'name'" */
           GError       **error)
{
  Vmstate1Json *fields = _vmstate1_json_get (desc, "fields");
  Vmstate1Json *subsections = _vmstate1_json_get (desc, "subsections");

  if (fields == NULL || fields->type != VMSTATE1_JSON_ARRAY)
    return desc_error (d, desc, error, "has a section without its fields");
  for (guint i = 0; i < fields->children->len; i++)
    {
      Vmstate1Json *field = g_ptr_array_index (fields->children, i);
      Vmstate1Json *size = _vmstate1_json_get (field, "size");
      Vmstate1Json *array_len = _vmstate1_json_get (field, "array_len");
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
  if (subsections->type != VMSTATE1_JSON_ARRAY)
    return desc_error (d, subsections, error, "has bad subsections");
  for (guint i = 0; i < subsections->children->len; i++)
    {
      Vmstate1Json *sub = g_ptr_array_index (subsections->children, i);
      Vmstate1Json *name = _vmstate1_json_get (sub, "vmsd_name");
      Vmstate1Json *version = _vmstate1_json_get (sub, "version");
      gsize at = d->pos;
      gboolean matches;
      guint8 len;

      if (name == NULL
          || name->type != VMSTATE1_JSON_STRING
          || name->str_len > 255
          || version == NULL
          || !version->is_int)
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
                    && _vmstate1_mig_get_be32 (d->data + d->pos + 2 + len)
                       == (guint64) version->integer;
        }
      if (!matches)
        {
          g_autofree char *printable = _vmstate1_mig_escape (name->str,
                                                             name->str_len);

          return _vmstate1_mig_malformed (error, d->base + at,
                                          "%s lacks its subsection '%s' "
                                          "(version %" G_GINT64_FORMAT
                                          ") that the VM description lists",
                                          section, printable,
                                          version->integer);
        }
      d->pos += 2 + len + 4;
      if (!skip_vmsd (d, sub, section, error))
        return FALSE;
    }
  return TRUE;
}

/* The dbus-vmstate vmstate: a u32 size, then that many bytes. */
static gboolean
take_dbus_vmstate (Devices       *d,
                   Vmstate1Json  *device,
                   guint64        section_at,
                   GError       **error)
{
  Vmstate1Json *fields = _vmstate1_json_get (device, "fields");
  Vmstate1Json *subsections = _vmstate1_json_get (device, "subsections");
  Vmstate1Json *size_field, *data_field, *data_size;
  guint32 stored;

  if (d->blob != NULL)
    return _vmstate1_mig_unsupported (error, section_at,
                                      "it has two dbus-vmstate sections");
  if (fields == NULL || fields->type != VMSTATE1_JSON_ARRAY
      || fields->children->len != 2
      || (subsections != NULL && (subsections->type != VMSTATE1_JSON_ARRAY
                                  || subsections->children->len != 0)))
    goto unknown;
  size_field = g_ptr_array_index (fields->children, 0);
  data_field = g_ptr_array_index (fields->children, 1);
  data_size = _vmstate1_json_get (data_field, "size");
  if (!_vmstate1_json_is_string (_vmstate1_json_get (size_field, "name"),
                                 "data_size")
      || !_vmstate1_json_is_string (_vmstate1_json_get (data_field, "name"),
                                    "data")
      || _vmstate1_json_get (size_field, "array_len") != NULL
      || _vmstate1_json_get (data_field, "array_len") != NULL
      || _vmstate1_json_get (size_field, "size") == NULL
      || _vmstate1_json_get (size_field, "size")->integer != 4
      || data_size == NULL || !data_size->is_int || data_size->integer < 0)
    goto unknown;
  if (!dev_need (d, 4 + (guint64) data_size->integer,
                 "the dbus-vmstate section", error))
    return FALSE;
  stored = _vmstate1_mig_get_be32 (d->data + d->pos);
  if (stored != (guint64) data_size->integer)
    return _vmstate1_mig_malformed (error, d->base + d->pos,
                                    "the dbus-vmstate section says its blob "
                                    "has %u bytes, the VM description says %"
                                    G_GINT64_FORMAT, stored,
                                    data_size->integer);
  d->blob_offset = d->base + d->pos + 4;
  d->blob = g_bytes_new_from_bytes (d->tail, d->pos + 4, stored);
  return TRUE;

unknown:
  return _vmstate1_mig_unsupported (error, section_at,
                                    "its dbus-vmstate section has fields "
                                    "this reader does not know (a QEMU "
                                    "newer than 7.2?)");
}

static gboolean
walk_devices (Devices       *d,
              Vmstate1Json  *devices,
              GError       **error)
{
  guint next_device = 0;

  for (;;)
    {
      gsize at = d->pos;
      guint8 type;

      if (d->pos >= d->end + 1)
        return _vmstate1_mig_malformed (error, d->base + d->pos,
                                        "no QEMU_VM_EOF before the VM "
                                        "description");
      type = d->data[d->pos++];
      switch (type)
        {
        case QEMU_VM_EOF:
          if (at != d->end)
            return _vmstate1_mig_malformed (error, d->base + at,
                                            "QEMU_VM_EOF %" G_GSIZE_FORMAT
                                            " bytes before the VM description",
                                            d->end - at);
          if (next_device != devices->children->len)
            return _vmstate1_mig_malformed (error, d->base + at,
                                            "the VM description lists %u "
                                            "device sections, the stream "
                                            "has %u", devices->children->len,
                                            next_device);
          return TRUE;

        case QEMU_VM_SECTION_FULL:
          {
            Vmstate1Json *device, *name, *instance, *version, *vmsd_name;
            guint32 section_id, instance_id, version_id;
            guint8 len;
            g_autofree char *idstr = NULL;
            g_autofree char *what = NULL;

            if (!dev_need (d, 5, "a section header", error))
              return FALSE;
            section_id = _vmstate1_mig_get_be32 (d->data + d->pos);
            len = d->data[d->pos + 4];
            if (!dev_need (d, 5 + (guint64) len + 8, "a section header",
                           error))
              return FALSE;
            idstr = _vmstate1_mig_escape (d->data + d->pos + 5, len);
            what = g_strdup_printf ("section '%s'", idstr);
            instance_id = _vmstate1_mig_get_be32 (d->data + d->pos + 5 + len);
            version_id = _vmstate1_mig_get_be32 (d->data + d->pos + 9 + len);

            if (next_device >= devices->children->len)
              return _vmstate1_mig_malformed (error, d->base + at,
                                              "section '%s' is not in the "
                                              "VM description", idstr);
            device = g_ptr_array_index (devices->children, next_device++);
            name = _vmstate1_json_get (device, "name");
            instance = _vmstate1_json_get (device, "instance_id");
            version = _vmstate1_json_get (device, "version");
            vmsd_name = _vmstate1_json_get (device, "vmsd_name");
            if (name == NULL || name->type != VMSTATE1_JSON_STRING
                || name->str_len != len
                || memcmp (name->str, d->data + d->pos + 5, len) != 0
                || instance == NULL || !instance->is_int
                || instance->integer != instance_id
                || (version != NULL && (!version->is_int
                                        || version->integer != version_id)))
              return _vmstate1_mig_malformed (error, d->base + at,
                                              "section '%s' (instance %u, "
                                              "version %u) is not the one "
                                              "the VM description lists "
                                              "there", idstr, instance_id,
                                              version_id);
            d->pos += 5 + len + 8;

            if (_vmstate1_json_is_string (vmsd_name, DBUS_VMSTATE_VMSD)
                && !take_dbus_vmstate (d, device, d->base + at, error))
              return FALSE;
            if (!skip_vmsd (d, device, what, error))
              return FALSE;

            /* The optional footer. */
            if (d->pos < d->end && d->data[d->pos] == QEMU_VM_SECTION_FOOTER)
              {
                guint32 footer_id;

                if (!dev_need (d, 5, what, error))
                  return FALSE;
                footer_id = _vmstate1_mig_get_be32 (d->data + d->pos + 1);
                if (footer_id != section_id)
                  return _vmstate1_mig_malformed (error, d->base + d->pos,
                                                  "the footer of section "
                                                  "'%s' (%u) says section %u",
                                                  idstr, section_id,
                                                  footer_id);
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
            if (!_vmstate1_mig_check_command (command, d->base + at, error))
              return FALSE;
            if (!dev_need (d, 4 + (guint64) len, "a command", error))
              return FALSE;
            d->pos += 4 + len;
          }
          break;

        case QEMU_VM_SECTION_START:
        case QEMU_VM_SECTION_PART:
        case QEMU_VM_SECTION_END:
          return _vmstate1_mig_unsupported (error, d->base + at,
                                            "an iterative section among the "
                                            "device sections");

        case QEMU_VM_SUBSECTION:
        case QEMU_VM_SECTION_FOOTER:
        case QEMU_VM_CONFIGURATION:
        case QEMU_VM_VMDESCRIPTION:
          return _vmstate1_mig_malformed (error, d->base + at,
                                          "section type 0x%02x out of place "
                                          "(a subsection or field the VM "
                                          "description does not list?)", type);

        default:
          return _vmstate1_mig_unsupported (error, d->base + at,
                                            "unknown section type 0x%02x",
                                            type);
        }
    }
}

/* Everything from the first device section to the end of the input. */
static GBytes *
read_tail (Vmstate1MigInput  *in,
           guint8             first,
           GError           **error)
{
  g_autoptr(GByteArray) tail = g_byte_array_new ();
  guint64 base = in->offset - 1;

  g_byte_array_append (tail, &first, 1);
  for (;;)
    {
      const guint8 *chunk;
      gsize avail;

      if (!_vmstate1_mig_read_chunk (in, &chunk, &avail, error))
        return NULL;
      if (avail == 0)
        break;
      if (avail > VMSTATE1_MIGRATION_TAIL_MAX - tail->len)
        {
          _vmstate1_mig_unsupported (error, base,
                                     "its device sections and VM description "
                                     "take more than %u MiB, the most this "
                                     "reader keeps in memory",
                                     VMSTATE1_MIGRATION_TAIL_MAX
                                     / (1024 * 1024));
          return NULL;
        }
      g_byte_array_append (tail, chunk, (guint) avail);
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
      if (size - p >= 5
          && _vmstate1_mig_get_be32 (data + p + 1) == size - p - 5
          && p > 0)
        {
          *marker = p;
          return TRUE;
        }
    }
  if (size > 0 && data[size - 1] == QEMU_VM_EOF)
    return _vmstate1_mig_unsupported (error, base + size - 1,
                                      "it ends with QEMU_VM_EOF and no VM "
                                      "description (vmdesc), which alone "
                                      "gives the layout of the device "
                                      "sections: was it written by a "
                                      "machine type with suppress-vmdesc?");
  return _vmstate1_mig_malformed (error, base + size,
                                  "the stream does not end with a VM "
                                  "description (QEMU_VM_VMDESCRIPTION, its "
                                  "length, then JSON): truncated?");
}

gboolean
_vmstate1_mig_devices_read (Vmstate1MigInput  *in,
                            guint8             first,
                            guint64            page_size,
                            GBytes           **blob,
                            guint64           *blob_offset,
                            GError           **error)
{
  g_autoptr(GBytes) tail = NULL;
  g_autoptr(Vmstate1Json) vmdesc = NULL;
  Vmstate1Json *devices, *desc_page_size;
  Devices d = { 0, };
  const guint8 *data;
  gsize size, marker = 0;

  tail = read_tail (in, first, error);
  if (tail == NULL)
    return FALSE;
  data = g_bytes_get_data (tail, &size);
  d.base = in->offset - size;
  if (!find_vmdesc (data, size, d.base, &marker, error))
    return FALSE;
  if (size - marker - 5 > VMSTATE1_MIGRATION_VMDESC_MAX)
    return _vmstate1_mig_unsupported (error, d.base + marker,
                                      "a VM description of %" G_GSIZE_FORMAT
                                      " bytes, more than %u MiB",
                                      size - marker - 5,
                                      VMSTATE1_MIGRATION_VMDESC_MAX
                                      / (1024 * 1024));

  d.json_base = d.base + marker + 5;
  vmdesc = _vmstate1_json_parse ((const char *) data + marker + 5,
                                 size - marker - 5, d.json_base, error);
  if (vmdesc == NULL)
    return FALSE;
  devices = _vmstate1_json_get (vmdesc, "devices");
  if (devices == NULL || devices->type != VMSTATE1_JSON_ARRAY)
    return desc_error (&d, vmdesc, error, "has no list of devices");
  desc_page_size = _vmstate1_json_get (vmdesc, "page_size");
  if (desc_page_size != NULL
      && (!desc_page_size->is_int
          || (guint64) desc_page_size->integer != page_size))
    return _vmstate1_mig_unsupported (error,
                                      d.json_base + desc_page_size->at,
                                      "RAM was read with pages of %"
                                      G_GUINT64_FORMAT " bytes, the VM "
                                      "description gives another page size",
                                      page_size);

  d.data = data;
  d.end = marker - 1;
  d.tail = tail;
  if (!walk_devices (&d, devices, error))
    {
      g_clear_pointer (&d.blob, g_bytes_unref);
      return FALSE;
    }
  if (d.blob != NULL && blob_offset != NULL)
    *blob_offset = d.blob_offset;
  *blob = d.blob;
  return TRUE;
}
