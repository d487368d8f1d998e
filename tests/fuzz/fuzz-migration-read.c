/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the migration-stream reader: whatever the bytes,
 * either the blob (bytes of the input, where the reader says) or one of
 * the errors it documents, with a printable message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vmstate1.h>

#include "vmstate1-migration-reader-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* An exact-size copy, so a read past the end is caught. */
  g_autoptr(GBytes) input = g_bytes_new (data, size);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (input);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  guint64 offset = 0;

  blob = _vmstate1_migration_read_section_full (stream, &offset, NULL, &error);
  if (blob == NULL)
    {
      if (error == NULL
          || !(g_error_matches (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED)
               || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)
               || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)))
        abort ();
      /* Text from the stream is escaped. */
      for (const char *p = error->message; *p; p++)
        if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
          abort ();
      return 0;
    }

  /* The blob is the input's own bytes, where the reader says. */
  if (error != NULL || offset > size || g_bytes_get_size (blob) > size - offset
      || memcmp (g_bytes_get_data (blob, NULL), data + offset,
                 g_bytes_get_size (blob)) != 0)
    abort ();
  return 0;
}
