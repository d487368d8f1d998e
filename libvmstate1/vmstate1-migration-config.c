/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's configuration section, first in the stream: the machine type,
 * then subsections of which three are known. Two of them change how RAM
 * is laid out (the target page size, and the x-ignore-shared capability),
 * so they are handed to the RAM walk; any other subsection is refused,
 * since what it might change is not known. */
#include <string.h>

#include "vmstate1-migration-config-private.h"
#include "vmstate1-migration-private.h"

gboolean
_vmstate1_mig_config_read (Vmstate1MigInput  *in,
                           Vmstate1MigRam    *ram,
                           GError           **error)
{
  guint32 len;
  guint8 machine[256];

  /* vmstate "configuration": the machine type's name, u32-sized. */
  if (!_vmstate1_mig_read_be32 (in, &len, "the configuration section", error))
    return FALSE;
  if (len > sizeof machine)
    return _vmstate1_mig_malformed (error, in->offset - 4,
                                    "a machine type name of %u bytes", len);
  if (!_vmstate1_mig_read (in, machine, len, "the configuration section",
                           error))
    return FALSE;

  /* Its subsections, each announced by QEMU_VM_SUBSECTION. */
  for (;;)
    {
      const guint8 *next;
      guint8 name[256], name_len;
      guint32 version;
      guint64 at;

      if (!_vmstate1_mig_peek (in, 1, &next, error))
        return FALSE;
      if (next == NULL || next[0] != QEMU_VM_SUBSECTION)
        return TRUE;
      at = in->offset;
      if (!_vmstate1_mig_read (in, NULL, 1, "a configuration subsection",
                               error)
          || !_vmstate1_mig_read_name (in, name, &name_len,
                                       "a configuration subsection", error)
          || !_vmstate1_mig_read_be32 (in, &version,
                                       "a configuration subsection", error))
        return FALSE;

#define IS(literal) (name_len == strlen (literal) \
                     && memcmp (name, literal, name_len) == 0)
      if (IS ("configuration/target-page-bits"))
        {
          guint32 bits;

          if (!_vmstate1_mig_read_be32 (in, &bits, "the target page bits",
                                        error))
            return FALSE;
          /* The RAM flags live below the page size: at least 10 bits. */
          if (bits < 10 || bits > 30)
            return _vmstate1_mig_unsupported (error, in->offset - 4,
                                              "a target page size of 2^%u "
                                              "bytes", bits);
          ram->page_size = (guint64) 1 << bits;
        }
      else if (IS ("configuration/capabilities"))
        {
          guint32 count;

          if (!_vmstate1_mig_read_be32 (in, &count, "the capabilities", error))
            return FALSE;
          if (count > 256)
            return _vmstate1_mig_malformed (error, in->offset - 4,
                                            "%u migration capabilities",
                                            count);
          for (guint32 i = 0; i < count; i++)
            {
              guint8 cap[256], cap_len;

              if (!_vmstate1_mig_read_name (in, cap, &cap_len, "a capability",
                                            error))
                return FALSE;
              if (cap_len == strlen ("x-ignore-shared")
                  && memcmp (cap, "x-ignore-shared", cap_len) == 0)
                ram->ignore_shared = TRUE;
            }
        }
      else if (IS ("configuration/uuid"))
        {
          if (!_vmstate1_mig_read (in, NULL, 16, "the VM's UUID", error))
            return FALSE;
        }
      else
        {
          g_autofree char *printable = _vmstate1_mig_escape (name, name_len);

          return _vmstate1_mig_unsupported (error, at,
                                            "unknown configuration "
                                            "subsection '%s' (version %u)",
                                            printable, version);
        }
#undef IS
    }
}
