/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The slirp helper's Load path as a hostile migration source drives it:
 * the helper's own checks, then libslirp's state loader, on any bytes.
 * A migration source is not necessarily trusted, and libslirp's reader
 * notices neither truncation nor garbage. Built as a libFuzzer target
 * (-Dfuzzing=true) and replayed over its corpus in every build. With
 * VMSTATE1_FUZZ_WRITE_SEED=FILE it writes a valid state to FILE. */
#include <stdint.h>
#include <stdlib.h>

#include "slirp-helper/stack.h"
#include "slirp-helper/state.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static gssize
drop_frame (const void *frame,
            gsize       size,
            gpointer    user_data)
{
  return (gssize) size;
}

static SlirpHelperStack *
fresh_stack (void)
{
  SlirpHelperNet net;
  g_autoptr(GError) error = NULL;
  SlirpHelperStack *stack;

  slirp_helper_net_init (&net);
  stack = slirp_helper_stack_new (&net, drop_frame, NULL, &error);
  g_assert_no_error (error);
  return stack;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static gboolean seeded;
  g_autoptr(SlirpHelperStack) stack = fresh_stack ();
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;

  if (!seeded)
    {
      const char *seed = g_getenv ("VMSTATE1_FUZZ_WRITE_SEED");

      seeded = TRUE;
      if (seed != NULL)
        {
          g_autoptr(GBytes) state = slirp_helper_state_save (
              slirp_helper_stack_get_slirp (stack));

          g_assert_true (g_file_set_contents (seed, g_bytes_get_data (state,
                                                                      NULL),
                                              g_bytes_get_size (state), NULL));
        }
    }

  if (slirp_helper_state_load (slirp_helper_stack_get_slirp (stack), bytes,
                               &error))
    {
      /* A state of this libslirp's own version saves again to as many
       * bytes: the helper refuses trailing garbage, so nothing was
       * silently dropped. (Older versions hold fewer fields.) */
      g_autoptr(GBytes) again = slirp_helper_state_save (
          slirp_helper_stack_get_slirp (stack));
      guint32 version = ((guint32) data[0] << 24) | ((guint32) data[1] << 16)
                        | ((guint32) data[2] << 8) | data[3];

      if (version == (guint32) slirp_state_version ())
        g_assert_cmpuint (g_bytes_get_size (again), ==, size);
    }
  else
    g_assert_nonnull (error);
  return 0;
}
