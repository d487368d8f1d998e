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
 * Linear time in the input, constant memory for RAM.
 *
 * This file holds the top-level walk (an optional libvirt header, the
 * QEVM header, the configuration section, the sections up to the first
 * device section), the error contract of the entry points, and the
 * entry points themselves, private and public. The parts it hands over
 * to are each in a file of their own:
 *  - vmstate1-migration-input.c: the bounded reader over the GInputStream;
 *  - vmstate1-migration-libvirt.c: the libvirt save image header;
 *  - vmstate1-migration-config.c: the configuration section;
 *  - vmstate1-migration-ram.c: the RAM section's page records;
 *  - vmstate1-migration-devices.c: the device sections, with the vmdesc;
 *  - vmstate1-vmdesc-json.c: the vmdesc's strict JSON parser;
 *  - vmstate1-migration.c: the messages and escaping they all share. */
#include <string.h>

#include "vmstate1-error.h"
#include "vmstate1-migration-config-private.h"
#include "vmstate1-migration-devices-private.h"
#include "vmstate1-migration-libvirt-private.h"
#include "vmstate1-migration-private.h"
#include "vmstate1-migration-ram-private.h"
#include "vmstate1-migration-reader-private.h"

#include "vmstate1-states.h"

/* The stream up to the device sections */

typedef struct
{
  Vmstate1MigInput in;
  Vmstate1MigRam ram;
  gboolean have_ram;
  guint32 ram_section_id;
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
  if (!_vmstate1_mig_peek (&w->in, 1, &next, error))
    return FALSE;
  if (next == NULL || next[0] != QEMU_VM_SECTION_FOOTER)
    return TRUE;
  if (!_vmstate1_mig_read (&w->in, NULL, 1, "a section footer", error)
      || !_vmstate1_mig_read_be32 (&w->in, &id, "a section footer", error))
    return FALSE;
  if (id != section_id)
    return _vmstate1_mig_malformed (error, w->in.offset - 4,
                                    "the footer of section %u says section %u",
                                    section_id, id);
  return TRUE;
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
read_section_header (Vmstate1MigInput  *r,
                     SectionHeader     *header,
                     GError           **error)
{
  return _vmstate1_mig_read_be32 (r, &header->section_id, "a section header",
                                  error)
         && _vmstate1_mig_read_name (r, header->idstr, &header->idstr_len,
                                     "a section header", error)
         && _vmstate1_mig_read_be32 (r, &header->instance_id,
                                     "a section header", error)
         && _vmstate1_mig_read_be32 (r, &header->version_id,
                                     "a section header", error);
}

static gboolean
skip_command (Vmstate1MigInput  *r,
              Walk              *w,
              GError           **error)
{
  guint16 command, len;
  guint64 at = r->offset - 1;

  if (!_vmstate1_mig_read_be16 (r, &command, "a command", error)
      || !_vmstate1_mig_read_be16 (r, &len, "a command", error))
    return FALSE;
  if (!_vmstate1_mig_check_command (command, at, error))
    return FALSE;
  if (command == MIG_CMD_POSTCOPY_ADVISE && w != NULL)
    w->ram.postcopy = TRUE;
  return _vmstate1_mig_read (r, NULL, len, "a command", error);
}

/* Reads up to the first device section (or the end marker), whose type
 * byte is left in *type. */
static gboolean
read_head (Walk     *w,
           guint8   *type,
           GError  **error)
{
  Vmstate1MigInput *r = &w->in;
  guint8 header[8];

  if (!_vmstate1_mig_libvirt_skip (r, error))
    return FALSE;

  if (!_vmstate1_mig_read (r, header, sizeof header, "the stream header",
                           error))
    return FALSE;
  if (_vmstate1_mig_get_be32 (header) != QEMU_VM_FILE_MAGIC)
    {
      g_autofree char *printable = _vmstate1_mig_escape (header, 4);

      return _vmstate1_mig_malformed (error, r->offset - 8,
                                      "not a QEMU migration stream nor a "
                                      "libvirt save image (magic '%s', not "
                                      "'QEVM')", printable);
    }
  if (_vmstate1_mig_get_be32 (header + 4) != QEMU_VM_FILE_VERSION)
    return _vmstate1_mig_unsupported (error, r->offset - 4,
                                      "stream version %u (only version %d "
                                      "is known)",
                                      _vmstate1_mig_get_be32 (header + 4),
                                      QEMU_VM_FILE_VERSION);

  for (gboolean first = TRUE;; first = FALSE)
    {
      SectionHeader section;
      guint64 at = r->offset;

      if (!_vmstate1_mig_read_u8 (r, type, "a section type", error))
        return FALSE;
      switch (*type)
        {
        case QEMU_VM_CONFIGURATION:
          if (!first)
            return _vmstate1_mig_malformed (error, at,
                                            "a configuration section after "
                                            "other sections");
          if (!_vmstate1_mig_config_read (&w->in, &w->ram, error))
            return FALSE;
          break;

        case QEMU_VM_SECTION_START:
          if (!read_section_header (r, &section, error))
            return FALSE;
          if (section.idstr_len != 3 || memcmp (section.idstr, "ram", 3) != 0)
            {
              g_autofree char *printable =
                _vmstate1_mig_escape (section.idstr, section.idstr_len);

              return _vmstate1_mig_unsupported (error, at,
                                                "iterative section '%s', "
                                                "whose layout is not "
                                                "described anywhere in the "
                                                "stream", printable);
            }
          if (w->have_ram)
            return _vmstate1_mig_malformed (error, at, "a second RAM section");
          if (section.version_id != 4)
            return _vmstate1_mig_unsupported (error, at,
                                              "RAM section version %u (only "
                                              "4 is known)",
                                              section.version_id);
          w->have_ram = TRUE;
          w->ram_section_id = section.section_id;
          if (!_vmstate1_mig_ram_read (&w->ram, r, error)
              || !read_footer (w, section.section_id, error))
            return FALSE;
          break;

        case QEMU_VM_SECTION_PART:
        case QEMU_VM_SECTION_END:
          if (!_vmstate1_mig_read_be32 (r, &section.section_id,
                                        "a section header", error))
            return FALSE;
          if (!w->have_ram || section.section_id != w->ram_section_id)
            return _vmstate1_mig_malformed (error, at,
                                            "a part of section %u, which "
                                            "did not start",
                                            section.section_id);
          if (!_vmstate1_mig_ram_read (&w->ram, r, error)
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
          return _vmstate1_mig_malformed (error, at,
                                          "section type 0x%02x out of place",
                                          *type);

        default:
          return _vmstate1_mig_unsupported (error, at,
                                            "unknown section type 0x%02x",
                                            *type);
        }
    }
}

/* The entry points, and their error contract */

GBytes *
_vmstate1_migration_read_section_full (GInputStream  *stream,
                                       guint64       *blob_offset,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  Walk w = { 0, };
  GBytes *blob = NULL;
  gboolean ok;
  guint8 type;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _vmstate1_mig_input_init (&w.in, stream, cancellable);
  _vmstate1_mig_ram_init (&w.ram);
  ok = read_head (&w, &type, error)
       && _vmstate1_mig_devices_read (&w.in, type, w.ram.page_size, &blob,
                                      blob_offset, error);
  _vmstate1_mig_ram_clear (&w.ram);
  _vmstate1_mig_input_clear (&w.in);
  if (!ok)
    return NULL;
  if (blob == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         "this QEMU migration stream has no dbus-vmstate "
                         "section: was the VM started with -object "
                         "dbus-vmstate?");
  return blob;
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


/* Runs @func on @stream in a worker thread, for the _async functions:
 * @task (with its source tag) is consumed. */
static void
run_in_thread (GTask           *task,
               GInputStream    *stream,
               GTaskThreadFunc  func)
{
  g_task_set_task_data (task, g_object_ref (stream), g_object_unref);
  g_task_run_in_thread (task, func);
  g_object_unref (task);
}

void
_vmstate1_migration_read_section_async (GInputStream        *stream,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (G_IS_INPUT_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, _vmstate1_migration_read_section_async);
  run_in_thread (task, stream, read_in_thread);
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
  GTask *task;

  g_return_if_fail (G_IS_INPUT_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vmstate1_states_read_migration_async);
  run_in_thread (task, stream, read_states_in_thread);
}

/**
 * vmstate1_states_read_migration_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes vmstate1_states_read_migration_async().
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
