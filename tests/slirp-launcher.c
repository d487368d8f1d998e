/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starts a helper the way its parent may: as libvirt does
 * (virCommandDaemonize: a child that calls setsid(), forks the helper,
 * reports its pid and exits), or as a plain parent.
 *
 *   slirp-launcher MODE HELPER [ARG...]
 *
 *   daemon-early  the intermediate exits right after the fork, before
 *                 the helper's exec (libvirt's usual order)
 *   daemon-late   the intermediate exits 300 ms after the helper's exec
 *                 (libvirt under load: the helper's prctl came first)
 *   parent        the launcher is the helper's parent
 *   parent-gone   the helper's parent exits before the helper's exec
 *
 * The launcher first makes itself a session leader, so that the helper's
 * surroundings do not depend on who runs the test. It prints
 * "launcher: helper PID" on stdout (the helper shares that stdout), then
 * stays until its stdin closes: it is the process that started the helper
 * and stays around (libvirtd). Exit status 0, or 1 on a failure to set
 * up. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LATE_EXIT_NSEC (300 * 1000 * 1000L)

static void
die (const char *what)
{
  fprintf (stderr, "slirp-launcher: %s: %s\n", what, strerror (errno));
  _exit (1);
}


static void
report_pid (int fd,
            pid_t pid)
{
  if (write (fd, &pid, sizeof pid) != sizeof pid)
    die ("write");
}

/* Forks and execs the helper. @exec_fd is close-on-exec: its read end
 * sees EOF once the helper has exec'd. */
static pid_t
fork_helper (char   **argv,
             int      exec_fd[2])
{
  pid_t pid = fork ();

  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      close (exec_fd[0]);
      execv (argv[0], argv);
      die ("exec");
    }
  close (exec_fd[1]);
  return pid;
}

int
main (int    argc,
      char **argv)
{
  const char *mode;
  int pid_pipe[2];
  int exec_pipe[2];
  pid_t child, helper = 0;
  char c;

  if (argc < 3)
    {
      fprintf (stderr, "usage: slirp-launcher MODE HELPER [ARG...]\n");
      return 1;
    }
  mode = argv[1];
  setvbuf (stdout, NULL, _IOLBF, 0);
  /* Only fails when already a process group leader: fine either way. */
  (void) setsid ();
  if (pipe2 (pid_pipe, O_CLOEXEC) < 0 || pipe2 (exec_pipe, O_CLOEXEC) < 0)
    die ("pipe");

  if (strcmp (mode, "parent") == 0)
    {
      helper = fork_helper (argv + 2, exec_pipe);
    }
  else if (strcmp (mode, "daemon-early") == 0
           || strcmp (mode, "daemon-late") == 0
           || strcmp (mode, "parent-gone") == 0)
    {
      child = fork ();
      if (child < 0)
        die ("fork");
      if (child == 0)
        {
          /* The intermediate. */
          if (strcmp (mode, "parent-gone") != 0 && setsid () < 0)
            die ("setsid");
          close (pid_pipe[0]);
          helper = fork_helper (argv + 2, exec_pipe);
          report_pid (pid_pipe[1], helper);
          if (strcmp (mode, "daemon-late") == 0)
            {
              struct timespec late = { 0, LATE_EXIT_NSEC };

              /* EOF once the helper has exec'd. */
              while (read (exec_pipe[0], &c, 1) < 0 && errno == EINTR)
                ;
              nanosleep (&late, NULL);
            }
          _exit (0);
        }
      close (exec_pipe[1]);
      if (waitpid (child, NULL, 0) < 0)
        die ("waitpid");
      close (pid_pipe[1]);
      if (read (pid_pipe[0], &helper, sizeof helper) != sizeof helper)
        die ("read pid");
    }
  else
    {
      fprintf (stderr, "slirp-launcher: unknown mode '%s'\n", mode);
      return 1;
    }

  printf ("launcher: helper %d\n", (int) helper);
  /* Stay until told to go. */
  for (;;)
    {
      ssize_t n = read (STDIN_FILENO, &c, 1);

      if (n == 0 || (n < 0 && errno != EINTR))
        return 0;
    }
}
