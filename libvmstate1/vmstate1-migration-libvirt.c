/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt save image header, before QEMU's stream: see the private
 * header. */
#include <string.h>

#include "vmstate1-migration-libvirt-private.h"
#include "vmstate1-migration-private.h"

#define LIBVIRT_MAGIC_SAVE    "LibvirtQemudSave"
#define LIBVIRT_MAGIC_PARTIAL "LibvirtQemudPart"
#define LIBVIRT_MAGIC_LEN     16
/* magic, then version, data_len, was_running, format, cookieOffset and
 * 14 unused u32, in the byte order of the host that wrote it */
#define LIBVIRT_HEADER_LEN    (LIBVIRT_MAGIC_LEN + 19 * 4)

gboolean
_vmstate1_mig_libvirt_skip (Vmstate1MigInput  *in,
                            GError           **error)
{
  const guint8 *peek;

  if (!_vmstate1_mig_peek (in, LIBVIRT_MAGIC_LEN, &peek, error))
    return FALSE;
  if (peek != NULL && memcmp (peek, LIBVIRT_MAGIC_PARTIAL,
                              LIBVIRT_MAGIC_LEN) == 0)
    return _vmstate1_mig_malformed (error, 0,
                                    "this libvirt save image is incomplete "
                                    "(its magic is '" LIBVIRT_MAGIC_PARTIAL
                                    "': the save did not finish)");
  if (peek != NULL && memcmp (peek, LIBVIRT_MAGIC_SAVE,
                              LIBVIRT_MAGIC_LEN) == 0)
    {
      static const char *const formats[] = {
        "raw", "gzip", "bzip2", "xz", "lzop", "zstd", "sparse",
      };
      guint8 lv[LIBVIRT_HEADER_LEN];
      guint32 version, data_len, format;
      gboolean swap = FALSE;

      if (!_vmstate1_mig_read (in, lv, sizeof lv,
                               "the libvirt save image header", error))
        return FALSE;
      /* Written in the byte order of its host: libvirt itself tells them
       * apart by the version. */
      if (_vmstate1_mig_get_le32 (lv + 16) < 1
          || _vmstate1_mig_get_le32 (lv + 16) > 2)
        swap = TRUE;
#define FIELD(at) (swap ? _vmstate1_mig_get_be32 (lv + (at)) \
                        : _vmstate1_mig_get_le32 (lv + (at)))
      version = FIELD (16);
      data_len = FIELD (20);
      format = FIELD (28);
#undef FIELD
      if (version < 1 || version > 2)
        return _vmstate1_mig_unsupported (error, 16,
                                          "a libvirt save image of unknown "
                                          "version %u", version);
      if (version == 2 && format != 0)
        {
          if (format < G_N_ELEMENTS (formats))
            return _vmstate1_mig_unsupported (error, 28,
                                              "this libvirt save image is "
                                              "in format '%s' (compressed "
                                              "or sparse), not raw: "
                                              "decompress it first",
                                              formats[format]);
          return _vmstate1_mig_unsupported (error, 28,
                                            "this libvirt save image is in "
                                            "unknown format %u", format);
        }
      if (data_len == 0)
        return _vmstate1_mig_malformed (error, 20,
                                        "libvirt save image header with no "
                                        "XML");
      if (!_vmstate1_mig_read (in, NULL, data_len,
                               "the libvirt save image's domain XML", error))
        return FALSE;
    }

  return TRUE;
}
