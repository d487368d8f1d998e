/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "slirp-helper/log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define SYSLOG_SOCKET "/dev/log"
/* syslog(3)'s LOG_DAEMON, without pulling in its global state. */
#define FACILITY_DAEMON (3 << 3)
#define PRIORITY_ERR 3

typedef enum
{
  SINK_NONE,
  SINK_SYSLOG,
  SINK_JOURNAL,
} Sink;

static struct
{
  char *program;
  Sink sink;
  char *syslog_path;
  int syslog_fd;
  gboolean stderr_is_tty;
} log_state = { NULL, SINK_NONE, NULL, -1, FALSE };

/* The syslog priority GLib's journald writer gives each level. */
static int
level_priority (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return 3;
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return 4;
  if (level & G_LOG_LEVEL_MESSAGE)
    return 5;
  if (level & G_LOG_LEVEL_INFO)
    return 6;
  return 7;
}

static const char *
level_prefix (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error: ";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical: ";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning: ";
  return "";
}

/* Best effort: stderr may be a pipe nobody reads any more. */
static void
write_stderr (const char *line)
{
  gsize left = strlen (line);

  while (left > 0)
    {
      ssize_t n = write (STDERR_FILENO, line, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      line += n;
      left -= n;
    }
}

/* One RFC 3164 line, as syslog(3) sends it to /dev/log. */
static void
send_syslog (int         priority,
             const char *message)
{
  static const char months[12][4] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
  };
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_autofree char *line = NULL;
  time_t now = time (NULL);
  struct tm tm;

  if (strlen (log_state.syslog_path) >= sizeof addr.sun_path)
    return;
  strcpy (addr.sun_path, log_state.syslog_path);
  if (log_state.syslog_fd < 0)
    log_state.syslog_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (log_state.syslog_fd < 0)
    return;
  localtime_r (&now, &tm);
  line = g_strdup_printf ("<%d>%s %2d %02d:%02d:%02d %s[%d]: %s",
                          FACILITY_DAEMON | priority, months[tm.tm_mon],
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                          log_state.program, (int) getpid (), message);
  /* A full or absent log socket drops the line: never block, never die. */
  (void) sendto (log_state.syslog_fd, line, strlen (line),
                 MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &addr,
                 sizeof addr);
}

/* The journal gets the caller's own fields too (libvmstate1 adds
 * VMSTATE1_ID and others), with our MESSAGE and identifier. */
static void
send_journal (int              priority,
              const char      *message,
              const GLogField *fields,
              gsize            n_fields)
{
  g_autofree char *priority_str = g_strdup_printf ("%d", priority);
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (GLogField));
  const GLogField ours[] = {
    { "PRIORITY", priority_str, -1 },
    { "SYSLOG_IDENTIFIER", log_state.program, -1 },
    { "MESSAGE", message, -1 },
  };

  g_array_append_vals (all, ours, G_N_ELEMENTS (ours));
  for (gsize i = 0; i < n_fields; i++)
    {
      if (!g_str_equal (fields[i].key, "PRIORITY")
          && !g_str_equal (fields[i].key, "MESSAGE")
          && !g_str_equal (fields[i].key, "SYSLOG_IDENTIFIER"))
        g_array_append_val (all, fields[i]);
    }
  g_log_writer_journald (G_LOG_LEVEL_MESSAGE, (const GLogField *) all->data,
                         all->len, NULL);
}

static void
to_system_log (int              priority,
               const char      *message,
               const GLogField *fields,
               gsize            n_fields)
{
  switch (log_state.sink)
    {
    case SINK_SYSLOG:
      send_syslog (priority, message);
      break;
    case SINK_JOURNAL:
      send_journal (priority, message, fields, n_fields);
      break;
    case SINK_NONE:
      break;
    }
}

static GLogWriterOutput
write_log (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  const char *domain = NULL;
  const char *text = NULL;
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        text = fields[i].value;
    }
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (text == NULL)
    text = "(no message)";

  /* The helper's own domain is its name: say it once. */
  if (domain != NULL && !g_str_equal (domain, log_state.program))
    message = g_strdup_printf ("%s%s: %s", level_prefix (level), domain,
                               text);
  else
    message = g_strdup_printf ("%s%s", level_prefix (level), text);

  line = g_strdup_printf ("%s: %s\n", log_state.program, message);
  write_stderr (line);
  if (!log_state.stderr_is_tty)
    to_system_log (level_priority (level), message, fields, n_fields);
  return G_LOG_WRITER_HANDLED;
}

void
slirp_helper_log_init (const char *program)
{
  const char *socket_path = g_getenv (SLIRP_HELPER_LOG_SOCKET_ENV);

  g_free (log_state.program);
  log_state.program = g_strdup (program);
  log_state.stderr_is_tty = isatty (STDERR_FILENO);
  g_clear_pointer (&log_state.syslog_path, g_free);
  if (socket_path != NULL && *socket_path != '\0')
    {
      log_state.sink = SINK_SYSLOG;
      log_state.syslog_path = g_strdup (socket_path);
    }
  else if (g_file_test (JOURNAL_SOCKET, G_FILE_TEST_EXISTS))
    log_state.sink = SINK_JOURNAL;
  else if (g_file_test (SYSLOG_SOCKET, G_FILE_TEST_EXISTS))
    {
      log_state.sink = SINK_SYSLOG;
      log_state.syslog_path = g_strdup (SYSLOG_SOCKET);
    }
  else
    log_state.sink = SINK_NONE;
  g_log_set_writer_func (write_log, NULL, NULL);
}

void
slirp_helper_log_failure (const char *format,
                          ...)
{
  va_list args;
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strdup_printf ("%s: %s\n", log_state.program, message);
  write_stderr (line);
  if (!log_state.stderr_is_tty)
    to_system_log (PRIORITY_ERR, message, NULL, 0);
}
