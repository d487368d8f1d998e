/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "slirp-helper/parent.h"

/* From /proc/PID/stat: FALSE when @pid does not exist. */
static gboolean
read_stat (pid_t  pid,
           char  *state,
           pid_t *ppid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *end;
  int parent;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  /* "pid (comm) state ppid ...": comm may hold anything, even ')'. */
  end = strrchr (stat, ')');
  if (end == NULL || sscanf (end + 1, " %c %d", state, &parent) != 2)
    return FALSE;
  *ppid = parent;
  return TRUE;
}

/* The parent of @pid, or 0 when it cannot be read. */
static pid_t
parent_of (pid_t pid)
{
  char state;
  pid_t ppid;

  return read_stat (pid, &state, &ppid) ? ppid : 0;
}

/* Running, not a zombie that has exited but is not reaped yet. */
static gboolean
is_running (pid_t pid)
{
  char state;
  pid_t ppid;

  return read_stat (pid, &state, &ppid) && state != 'Z' && state != 'X';
}

/* TRUE unless both executables can be read and differ: a daemonizing
 * intermediate is a fork of its parent that never exec'd. Unreadable
 * (another user's process, or a zombie) counts as the same: the safe
 * side is not to kill the helper. */
static gboolean
same_executable (pid_t a,
                 pid_t b)
{
  g_autofree char *path_a = g_strdup_printf ("/proc/%d/exe", (int) a);
  g_autofree char *path_b = g_strdup_printf ("/proc/%d/exe", (int) b);
  g_autofree char *exe_a = g_file_read_link (path_a, NULL);
  g_autofree char *exe_b = g_file_read_link (path_b, NULL);

  return exe_a == NULL || exe_b == NULL || g_str_equal (exe_a, exe_b);
}

static int
open_pidfd (pid_t pid)
{
#ifdef SYS_pidfd_open
  return (int) syscall (SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static void
close_pidfd (SlirpHelperParent *parent)
{
  if (parent->pidfd >= 0)
    close (parent->pidfd);
  parent->pidfd = -1;
}

static gboolean
on_pidfd (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  SlirpHelperParent *parent = user_data;
  g_autofree char *reason = g_strdup_printf ("the parent process %d exited",
                                             (int) parent->pid);

  parent->source = 0;
  parent->gone (reason, parent->user_data);
  return G_SOURCE_REMOVE;
}

static void
set_status (SlirpHelperParent      *parent,
            SlirpHelperParentStatus status,
            pid_t                   pid,
            char                   *reason)
{
  parent->status = status;
  parent->pid = pid;
  g_free (parent->reason);
  parent->reason = reason;
}

/* Watches @pid, the parent that forked the helper, if it still is. */
static gboolean
watch_direct_parent (SlirpHelperParent  *parent,
                     pid_t               pid,
                     GError            **error)
{
  int errsv;

  parent->pidfd = open_pidfd (pid);
  errsv = errno;
  if (parent->pidfd < 0 && errsv != ENOSYS && errsv != ESRCH)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "--exit-with-parent: cannot watch the parent process "
                   "%d: %s", (int) pid, g_strerror (errsv));
      return FALSE;
    }
  if (parent->pidfd < 0 && errsv == ENOSYS)
    {
      /* No pidfd (kernel < 5.3): the thread-bound signal, second best. */
      if (prctl (PR_SET_PDEATHSIG, SIGTERM) < 0)
        {
          errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "--exit-with-parent: %s", g_strerror (errsv));
          return FALSE;
        }
    }
  /* The pidfd (or the signal) is armed: if @pid is still the parent now,
   * it was alive when armed and its exit will be seen. If not, it exited
   * after main() started and before the watch. */
  if (getppid () != pid)
    {
      close_pidfd (parent);
      set_status (parent, SLIRP_HELPER_PARENT_GONE, pid,
                  g_strdup_printf ("the parent process %d exited before "
                                   "the helper could watch it", (int) pid));
      return TRUE;
    }
  if (parent->pidfd >= 0)
    parent->source = g_unix_fd_add (parent->pidfd, G_IO_IN, on_pidfd, parent);
  set_status (parent, SLIRP_HELPER_PARENT_WATCHING, pid,
              g_strdup_printf ("--exit-with-parent: watching the parent "
                               "process %d (%s)", (int) pid,
                               parent->pidfd >= 0 ? "pidfd"
                                                  : "PR_SET_PDEATHSIG"));
  return TRUE;
}

gboolean
slirp_helper_parent_watch (SlirpHelperParent          *parent,
                           pid_t                       started_by,
                           SlirpHelperParentGoneFunc   gone,
                           gpointer                    user_data,
                           GError                    **error)
{
  pid_t self = getpid ();
  pid_t session = getsid (0);

  g_return_val_if_fail (parent->source == 0 && parent->pidfd < 0, FALSE);
  parent->gone = gone;
  parent->user_data = user_data;

  if (session == self)
    {
      /* setsid() in the helper itself (or in the child its parent forked
       * for it) is a detachment on purpose. */
      set_status (parent, SLIRP_HELPER_PARENT_DETACHED, 0,
                  g_strdup ("--exit-with-parent: the helper leads its own "
                            "session (daemonized): no parent to watch; "
                            "stop it with SIGTERM"));
      return TRUE;
    }
  /* Not is_running (started_by): an intermediate that is exiting right
   * now (a zombie) is still one. */
  if (session > 0 && started_by == session && started_by != 1
      && same_executable (started_by, parent_of (started_by)))
    {
      /* libvirt: the intermediate that called setsid() and forked us. It
       * exits by design, now or a little later. */
      set_status (parent, SLIRP_HELPER_PARENT_DETACHED, 0,
                  g_strdup_printf ("--exit-with-parent: started by the "
                                   "daemonizing process %d (session leader, "
                                   "a fork of %d): no parent to watch; stop "
                                   "it with SIGTERM", (int) started_by,
                                   (int) parent_of (started_by)));
      return TRUE;
    }
  if (session > 0 && started_by != session && !is_running (session))
    {
      /* Our session's leader is gone and was not our parent... or was,
       * and has exited already: libvirt's intermediate, usually. */
      set_status (parent, SLIRP_HELPER_PARENT_DETACHED, 0,
                  g_strdup_printf ("--exit-with-parent: the leader of the "
                                   "helper's session (%d) has exited, as a "
                                   "daemonizing parent does: no parent to "
                                   "watch; stop it with SIGTERM",
                                   (int) session));
      return TRUE;
    }
  if (started_by == 1 || getsid (started_by) != session)
    {
      /* Not in our session: not the process that forked us, which was,
       * but an adopter (PID 1 or a subreaper). */
      set_status (parent, SLIRP_HELPER_PARENT_GONE, started_by,
                  g_strdup_printf ("the parent process exited before the "
                                   "helper started (it was adopted by %d)",
                                   (int) started_by));
      return TRUE;
    }
  return watch_direct_parent (parent, started_by, error);
}

void
slirp_helper_parent_clear (SlirpHelperParent *parent)
{
  g_clear_handle_id (&parent->source, g_source_remove);
  close_pidfd (parent);
  g_clear_pointer (&parent->reason, g_free);
}
