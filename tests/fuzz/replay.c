/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a fuzz target over every file of a corpus, with any compiler: the
 * corpus is a regular test even where libFuzzer is not available. */
#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
main (int    argc,
      char **argv)
{
  guint files = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, &error);
      const char *name;

      if (dir == NULL)
        g_error ("%s", error->message);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          g_autofree char *contents = NULL;
          gsize size;

          if (!g_file_get_contents (path, &contents, &size, &error))
            g_error ("%s", error->message);
          LLVMFuzzerTestOneInput ((const uint8_t *) contents, size);
          files++;
        }
    }
  g_print ("replayed %u corpus files\n", files);
  return files > 0 ? 0 : 1;
}
