/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --exit-with-parent: which process the helper watches, and the watch.
 *
 * The helper ends when the process that started it, and stays around,
 * exits. What that process is depends on how the helper was started:
 *
 * - By a plain fork and exec (the helper is not a session leader and its
 *   parent is not the leader of the helper's session): the parent at
 *   start. It is watched through a pidfd, which tells when the parent
 *   process ends (PR_SET_PDEATHSIG would fire when the parent's forking
 *   *thread* ends). If that parent is already gone when the helper looks
 *   (it was reparented before main() ran, or between main()'s first line
 *   and the pidfd), the helper says so and exits at once: the usual
 *   window between fork and prctl is closed.
 *
 * - Daemonized (libvirt's virCommandDaemonize: the intermediate child
 *   calls setsid(), forks the helper, writes the pidfile and exits; or the
 *   helper leads a session of its own): the intermediate exits by design,
 *   before or after the helper's exec, and the process that forked it
 *   (libvirtd) cannot be identified when the intermediate is already gone,
 *   which is libvirt's usual case. So a daemonized helper watches nothing,
 *   whichever way the race went, and says so; it is stopped by SIGTERM
 *   (libvirt sends it from its pidfile). It is never killed because the
 *   intermediate exited.
 *
 * How "daemonized" is told apart from "the parent died": a daemonizing
 * intermediate leads the helper's session (it called setsid()) and is a
 * fork of its own parent that did not exec (same executable); once it is
 * gone, the helper's session has no leader left. A parent that died
 * before the helper looked left the helper adopted by PID 1 or a
 * subreaper, which is not in the helper's session. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef enum
{
  SLIRP_HELPER_PARENT_WATCHING,  /* @pid is watched */
  SLIRP_HELPER_PARENT_DETACHED,  /* daemonized: nothing to watch */
  SLIRP_HELPER_PARENT_GONE,      /* the parent had already exited */
} SlirpHelperParentStatus;

/* Called once, from the main loop, when the watched process exits. */
typedef void (*SlirpHelperParentGoneFunc) (const char *reason,
                                           gpointer    user_data);

typedef struct
{
  SlirpHelperParentStatus status;
  pid_t pid;          /* the watched process, or the one that is gone */
  char *reason;       /* one sentence for the log: what is watched, why */
  int pidfd;
  guint source;
  SlirpHelperParentGoneFunc gone;
  gpointer user_data;
} SlirpHelperParent;

#define SLIRP_HELPER_PARENT_INIT { 0, 0, NULL, -1, 0, NULL, NULL }

/* @started_by is getppid() read on main()'s first line. Decides what to
 * watch and starts watching it; FALSE only when the watch cannot be set
 * up at all. */
gboolean slirp_helper_parent_watch (SlirpHelperParent          *parent,
                                    pid_t                       started_by,
                                    SlirpHelperParentGoneFunc   gone,
                                    gpointer                    user_data,
                                    GError                    **error);
void     slirp_helper_parent_clear (SlirpHelperParent          *parent);

G_END_DECLS
