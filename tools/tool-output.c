/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where save -o writes, as a Unix tool should: a regular file replaced
 * atomically, a FIFO or a character device written through, anything
 * else refused; never a non-regular file replaced. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "tool-common.h"

/* The output of save */

typedef enum
{
  OUTPUT_STDOUT,
  OUTPUT_REPLACE,   /* a regular file or a new path: temp file, rename */
  OUTPUT_THROUGH,   /* a FIFO or a character device: opened, written */
} OutputKind;

struct _ToolOutput
{
  OutputKind kind;
  char *path;     /* as given */
  char *target;   /* what is written: @path, or where its symlink leads */
  char *shown;
};

/* What -o names, symlinks followed. */
static gboolean
classify_output (const char  *path,
                 OutputKind  *kind,
                 char       **target,
                 GError     **error)
{
  struct stat st;
  g_autofree char *resolved = NULL;
  g_autofree char *dir = NULL;
  int saved;

  if (lstat (path, &st) != 0)
    {
      saved = errno;
      if (saved != ENOENT)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s", g_strerror (saved));
          return FALSE;
        }
      /* A new file, in a directory that must be there. */
      dir = g_path_get_dirname (path);
      if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "there is no directory '%s' to create it in", dir);
          return FALSE;
        }
      *kind = OUTPUT_REPLACE;
      *target = g_strdup (path);
      return TRUE;
    }

  if (S_ISLNK (st.st_mode))
    {
      /* Followed to what it finally names, which is then treated as if
       * it had been given: a symlink to a regular file replaces that file
       * (not the link). */
      resolved = realpath (path, NULL);
      if (resolved == NULL)
        {
          saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "it is a symbolic link that leads nowhere (%s): give "
                       "the file itself", g_strerror (saved));
          return FALSE;
        }
      if (stat (resolved, &st) != 0)
        {
          saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s: %s", resolved, g_strerror (saved));
          return FALSE;
        }
    }

  if (S_ISREG (st.st_mode))
    *kind = OUTPUT_REPLACE;
  else if (S_ISFIFO (st.st_mode) || S_ISCHR (st.st_mode))
    *kind = OUTPUT_THROUGH;
  else
    {
      const char *what = S_ISDIR (st.st_mode) ? "a directory"
                         : S_ISSOCK (st.st_mode) ? "a socket"
                         : S_ISBLK (st.st_mode) ? "a block device"
                         : "neither a file, a FIFO nor a character device";

      g_set_error (error, G_IO_ERROR,
                   S_ISDIR (st.st_mode) ? G_IO_ERROR_IS_DIRECTORY
                                        : G_IO_ERROR_NOT_REGULAR_FILE,
                   "it is %s: give a file name, a FIFO or a character device",
                   what);
      return FALSE;
    }
  *target = resolved != NULL ? g_steal_pointer (&resolved) : g_strdup (path);
  return TRUE;
}

ToolOutput *
tool_output_new (const char *path,
                 int        *status)
{
  g_autoptr(ToolOutput) output = g_new0 (ToolOutput, 1);
  g_autoptr(GError) error = NULL;

  if (path == NULL || g_str_equal (path, "-"))
    {
      if (isatty (STDOUT_FILENO))
        {
          *status = tool_usage_error ("will not write a binary blob to a "
                                      "terminal: give -o FILE or redirect the "
                                      "output");
          return NULL;
        }
      output->kind = OUTPUT_STDOUT;
      output->shown = g_strdup ("standard output");
      return g_steal_pointer (&output);
    }

  output->path = g_strdup (path);
  output->shown = g_strdup (path);
  if (!classify_output (path, &output->kind, &output->target, &error))
    {
      *status = tool_failed ("cannot write to %s: %s", path, error->message);
      return NULL;
    }
  if (output->kind == OUTPUT_REPLACE)
    {
      g_autofree char *dir = g_path_get_dirname (output->target);

      if (access (dir, W_OK | X_OK) != 0)
        {
          int saved = errno;

          *status = tool_failed ("cannot write to %s: the file is replaced "
                                 "by a new one, and its directory '%s' is "
                                 "not writable: %s", path, dir,
                                 g_strerror (saved));
          return NULL;
        }
    }
  return g_steal_pointer (&output);
}

const char *
tool_output_get_shown (ToolOutput *output)
{
  return output->shown;
}

static gboolean
set_errno_error (GError     **error,
                 int          saved,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "%s %s: %s", what, path, g_strerror (saved));
  return FALSE;
}

static gboolean
sync_fd (int          fd,
         const char  *path,
         GError     **error)
{
  /* Pipes, ttys and some devices cannot be synced: nothing to wait for. */
  if (fsync (fd) != 0 && errno != EINVAL && errno != EROFS
      && errno != ENOTSUP)
    return set_errno_error (error, errno, "cannot sync", path);
  return TRUE;
}

/* Replaced atomically: a temporary file next to it, synced, renamed over
 * it. An existing file keeps its mode (and its owner and group if we may
 * set them); a new one is 0600 (the states may be private), less what
 * the umask takes. */
static gboolean
replace_file (const char  *target,
              GBytes      *bytes,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (target);
  g_autofree char *base = g_path_get_basename (target);
  g_autofree char *temp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  struct stat st;
  gboolean existed;
  int fd, dir_fd;

  existed = stat (target, &st) == 0;
  if (existed && !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "%s is no longer a regular file", target);
      return FALSE;
    }

  fd = g_mkstemp_full (temp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_errno_error (error, errno, "cannot create a temporary file",
                            temp);

  if (existed)
    {
      /* Owner first: fchown may clear the set-id bits fchmod sets. */
      if (fchown (fd, st.st_uid, st.st_gid) != 0)
        g_debug ("cannot keep the owner of %s: %s", target,
                 g_strerror (errno));
      if (fchmod (fd, st.st_mode & 07777) != 0)
        {
          int saved = errno;

          close (fd);
          g_unlink (temp);
          return set_errno_error (error, saved, "cannot set the mode of",
                                  temp);
        }
    }

  if (!tool_write_all (fd, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes), error)
      || !sync_fd (fd, temp, error))
    {
      close (fd);
      g_unlink (temp);
      return FALSE;
    }
  if (close (fd) != 0)
    {
      int saved = errno;

      g_unlink (temp);
      return set_errno_error (error, saved, "cannot write", temp);
    }
  if (rename (temp, target) != 0)
    {
      int saved = errno;

      g_unlink (temp);
      return set_errno_error (error, saved, "cannot rename the new file to",
                              target);
    }

  /* The rename itself, on disk. */
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

/* A FIFO or a character device: opened as it is, neither created nor
 * truncated nor replaced. */
static gboolean
write_through (const char  *target,
               GBytes      *bytes,
               GError     **error)
{
  struct stat st;
  int fd = open (target, O_WRONLY | O_NOCTTY | O_CLOEXEC);

  if (fd < 0)
    return set_errno_error (error, errno, "cannot open", target);
  if (fstat (fd, &st) != 0 || !(S_ISFIFO (st.st_mode) || S_ISCHR (st.st_mode)))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "%s is no longer a FIFO or a character device", target);
      return FALSE;
    }
  if (isatty (fd))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s is a terminal: the blob holds the helpers' bytes, "
                   "which a terminal would interpret", target);
      return FALSE;
    }
  if (!tool_write_all (fd, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes), error)
      || !sync_fd (fd, target, error))
    {
      close (fd);
      return FALSE;
    }
  if (close (fd) != 0)
    return set_errno_error (error, errno, "cannot write", target);
  return TRUE;
}

gboolean
tool_output_commit (ToolOutput  *output,
                    GBytes      *bytes,
                    GError     **error)
{
  OutputKind kind;
  g_autofree char *target = NULL;

  switch (output->kind)
    {
    case OUTPUT_STDOUT:
      return tool_write_all (STDOUT_FILENO, g_bytes_get_data (bytes, NULL),
                             g_bytes_get_size (bytes), error)
             && sync_fd (STDOUT_FILENO, "standard output", error);

    case OUTPUT_REPLACE:
    case OUTPUT_THROUGH:
      /* Again: the path may have changed while the helpers saved. */
      if (!classify_output (output->path, &kind, &target, error))
        return FALSE;
      if (kind == OUTPUT_REPLACE)
        return replace_file (target, bytes, error);
      return write_through (target, bytes, error);
    }
  g_assert_not_reached ();
}

void
tool_output_free (ToolOutput *output)
{
  g_free (output->path);
  g_free (output->target);
  g_free (output->shown);
  g_free (output);
}
