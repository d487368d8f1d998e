/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "vmstate1-error.h"
#include "vmstate1-interface-private.h"
#include "vmstate1-resources.h"

/**
 * SECTION:vmstate1-interface
 * @title: The org.qemu.VMState1 interface
 * @short_description: names, limits and Id rules QEMU imposes
 *
 * QEMU's `dbus-vmstate` object finds the helpers of a VM by the
 * well-known name %VMSTATE1_BUS_NAME, reads the `Id` property of the
 * object at %VMSTATE1_OBJECT_PATH, and calls `Save` on the source and
 * `Load` on the destination. These constants and vmstate1_id_validate()
 * state its rules, so a helper fails at start-up rather than in the middle
 * of a migration.
 */

GDBusInterfaceInfo *
_vmstate1_interface_info (void)
{
  static GDBusInterfaceInfo *info;

  if (g_once_init_enter (&info))
    {
      g_autoptr(GBytes) xml = NULL;
      g_autoptr(GDBusNodeInfo) node = NULL;
      g_autoptr(GError) error = NULL;
      GDBusInterfaceInfo *found;

      xml = g_resources_lookup_data ("/org/qemu/VMState1/org.qemu.VMState1.xml",
                                     G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
      g_assert_no_error (error);
      node = g_dbus_node_info_new_for_xml (g_bytes_get_data (xml, NULL),
                                           &error);
      g_assert_no_error (error);
      found = g_dbus_node_info_lookup_interface (node, VMSTATE1_INTERFACE);
      g_assert (found != NULL);
      /* Kept for the life of the process, like a static description. */
      g_dbus_interface_info_cache_build (found);
      g_once_init_leave (&info, g_dbus_interface_info_ref (found));
    }

  return info;
}

/* Text from a peer or a file, fit for a terminal and a log: control
 * characters and bytes that are not UTF-8 become \xNN, so that nothing a
 * peer wrote can move the cursor, retitle the window or fake a line. */
char *
_vmstate1_escape_len (const char *text,
                      gssize      len)
{
  GString *out;
  const char *p, *end;

  if (text == NULL)
    return g_strdup ("(null)");
  if (len < 0)
    len = (gssize) strlen (text);
  out = g_string_sized_new ((gsize) len);
  p = text;
  end = text + len;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint8) *p);
          p++;
          continue;
        }
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

char *
_vmstate1_escape (const char *text)
{
  return _vmstate1_escape_len (text, -1);
}

/* An Id fit for an error message: escaped, at most 64 characters. */
static char *
id_for_display (const char *id,
                gsize       len)
{
  g_autofree char *valid = _vmstate1_escape_len (id, (gssize) len);

  if (g_utf8_strlen (valid, -1) > 64)
    {
      g_autofree char *head = g_utf8_substring (valid, 0, 61);
      return g_strconcat (head, "...", NULL);
    }
  return g_steal_pointer (&valid);
}

gboolean
_vmstate1_id_check (const char      *id,
                    gsize            len,
                    Vmstate1IdRules  rules,
                    GError         **error)
{
  const char *end;

  if (id == NULL || len == 0)
    {
      g_set_error_literal (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                           "The Id is empty: QEMU refuses a helper without "
                           "an Id; give each helper of a VM its own Id");
      return FALSE;
    }

  if (len > VMSTATE1_ID_MAX_LEN)
    {
      g_autofree char *shown = id_for_display (id, len);
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                   "The Id '%s' is %" G_GSIZE_FORMAT " bytes long: QEMU "
                   "accepts at most %d bytes",
                   shown, len, VMSTATE1_ID_MAX_LEN);
      return FALSE;
    }

  if (!g_utf8_validate_len (id, len, &end))
    {
      g_autofree char *shown = id_for_display (id, len);
      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                   "The Id '%s' is not valid UTF-8 (bad byte at offset %"
                   G_GSIZE_FORMAT "): D-Bus strings must be UTF-8 "
                   "without NUL bytes",
                   shown, (gsize) (end - id));
      return FALSE;
    }

  if (rules == VMSTATE1_ID_RULES_HELPER && memchr (id, ',', len) != NULL)
    {
      g_autofree char *shown = id_for_display (id, len);

      g_set_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID,
                   "The Id '%s' contains ',': QEMU splits its id-list on "
                   "commas, so this helper could never be listed; choose an "
                   "Id without commas", shown);
      return FALSE;
    }

  return TRUE;
}

/**
 * vmstate1_id_validate:
 * @id: (nullable): an Id a helper would export
 * @error: return location for a #GError, or %NULL
 *
 * Checks @id against QEMU's rules for a helper's Id: not empty, at most
 * %VMSTATE1_ID_MAX_LEN bytes, valid UTF-8, and no comma (QEMU splits its
 * `id-list` on commas, so such a helper could never be listed).
 * vmstate1_helper_new() and vmstate1_helper_export() apply the same check.
 *
 * Returns: %TRUE if @id is valid; otherwise %FALSE with @error set to
 *   %VMSTATE1_ERROR_INVALID_ID and a message that says what is wrong.
 *
 * Since: 0.1
 */
gboolean
vmstate1_id_validate (const char  *id,
                      GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return _vmstate1_id_check (id, id ? strlen (id) : 0,
                             VMSTATE1_ID_RULES_HELPER, error);
}
