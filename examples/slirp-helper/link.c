/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "slirp-helper/link.h"

/* Larger than any frame QEMU sends (its own buffer is 69632 bytes). */
#define FRAME_MAX (69632 + 1)
/* Frames handled per wake-up, so a flood does not starve D-Bus. */
#define FRAMES_PER_DISPATCH 64

struct _SlirpHelperLink
{
  int fd;
  int type;                 /* SOCK_DGRAM or SOCK_SEQPACKET */
  char *path;               /* bound by us (--socket-path), or NULL */
  struct sockaddr_un peer;  /* --socket-path: who to answer */
  socklen_t peer_len;       /* 0: nobody yet */

  SlirpHelperFrameFunc frame;
  SlirpHelperClosedFunc closed;
  gpointer user_data;

  GSource *reader;
  GSource *closed_idle;
  char *closed_reason;
  gboolean started;
  guint8 *buffer;
};

static SlirpHelperLink *
link_new (int                    fd,
          int                    type,
          SlirpHelperFrameFunc   frame,
          SlirpHelperClosedFunc  closed,
          gpointer               user_data)
{
  SlirpHelperLink *link = g_new0 (SlirpHelperLink, 1);

  link->fd = fd;
  link->type = type;
  link->frame = frame;
  link->closed = closed;
  link->user_data = user_data;
  link->buffer = g_malloc (FRAME_MAX);
  return link;
}

SlirpHelperLink *
slirp_helper_link_new_fd (int                    fd,
                          SlirpHelperFrameFunc   frame,
                          SlirpHelperClosedFunc  closed,
                          gpointer               user_data,
                          GError               **error)
{
  int type = 0;
  socklen_t len = sizeof type;

  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "--fd=%d is not a socket: %s", fd, g_strerror (errsv));
      return NULL;
    }
  /* A stream socket has no frame boundaries (QEMU's stream netdevs put a
   * length before each frame): refuse it rather than misread it. */
  if (type != SOCK_DGRAM && type != SOCK_SEQPACKET)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "--fd=%d is not a datagram socket: give the helper one "
                   "end of socketpair(AF_UNIX, SOCK_DGRAM)", fd);
      return NULL;
    }
  /* Every call passes MSG_DONTWAIT: the fd's own flags, shared with
   * whoever passed it, stay as they are. */
  return link_new (fd, type, frame, closed, user_data);
}

SlirpHelperLink *
slirp_helper_link_new_path (const char            *path,
                            SlirpHelperFrameFunc   frame,
                            SlirpHelperClosedFunc  closed,
                            gpointer               user_data,
                            GError               **error)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  SlirpHelperLink *link;
  int fd;

  if (strlen (path) >= sizeof address.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   "--socket-path=%s: longer than the %" G_GSIZE_FORMAT
                   " bytes a unix socket path may have", path,
                   sizeof address.sun_path - 1);
      return NULL;
    }
  strcpy (address.sun_path, path);

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &address, sizeof address) < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "--socket-path=%s: cannot bind a datagram socket there: "
                   "%s", path, g_strerror (errsv));
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  link = link_new (fd, SOCK_DGRAM, frame, closed, user_data);
  link->path = g_strdup (path);
  return link;
}

static gboolean
on_closed_idle (gpointer user_data)
{
  SlirpHelperLink *link = user_data;

  g_clear_pointer (&link->closed_idle, g_source_unref);
  link->closed (link->closed_reason, link->user_data);
  return G_SOURCE_REMOVE;
}

/* Errors may be seen inside libslirp's calls: report from the main loop,
 * once, so that the owner may tear everything down. */
static void
link_close (SlirpHelperLink *link,
            const char      *reason)
{
  if (link->closed_reason != NULL)
    return;
  link->closed_reason = g_strdup (reason);
  if (link->reader != NULL)
    {
      g_source_destroy (link->reader);
      g_clear_pointer (&link->reader, g_source_unref);
    }
  link->closed_idle = g_idle_source_new ();
  /* Not below the libslirp source, which may be busy. */
  g_source_set_priority (link->closed_idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (link->closed_idle, on_closed_idle, link, NULL);
  g_source_attach (link->closed_idle, g_main_context_get_thread_default ());
}

static gboolean
is_peer_gone (int errsv)
{
  return errsv == ECONNREFUSED || errsv == ECONNRESET || errsv == EPIPE
         || errsv == ENOTCONN;
}

static void
link_close_errno (SlirpHelperLink *link,
                  const char      *what,
                  int              errsv)
{
  g_autofree char *reason = g_strdup_printf ("%s: %s", what,
                                             g_strerror (errsv));

  link_close (link, reason);
}

static gboolean
on_readable (int           fd,
             GIOCondition  condition,
             gpointer      user_data)
{
  SlirpHelperLink *link = user_data;

  for (guint i = 0; i < FRAMES_PER_DISPATCH && link->closed_reason == NULL;
       i++)
    {
      struct sockaddr_un from;
      socklen_t from_len = sizeof from;
      ssize_t n;

      n = recvfrom (fd, link->buffer, FRAME_MAX, MSG_DONTWAIT | MSG_TRUNC,
                    (struct sockaddr *) &from, &from_len);
      if (n < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          if (errsv == EAGAIN || errsv == EWOULDBLOCK)
            break;
          if (link->path == NULL)
            link_close_errno (link, "reading from the guest's socket", errsv);
          else
            g_debug ("reading from %s: %s", link->path, g_strerror (errsv));
          break;
        }
      if (n == 0 && link->type == SOCK_SEQPACKET)
        {
          link_close (link, "the guest's socket was closed");
          break;
        }
      if (n > FRAME_MAX)
        {
          g_message ("dropped a %" G_GSSIZE_FORMAT "-byte frame: larger than "
                     "%d bytes", n, FRAME_MAX);
          continue;
        }
      /* A sender that bound no address cannot be answered. */
      if (link->path != NULL && from_len > sizeof (sa_family_t))
        {
          link->peer = from;
          link->peer_len = from_len;
        }
      if (n > 0)
        link->frame (link->buffer, n, link->user_data);
    }

  /* Hang-up with nothing left to read: a seqpacket peer closed. */
  if (link->closed_reason == NULL && (condition & (G_IO_HUP | G_IO_ERR))
      && link->path == NULL)
    {
      int pending = 0;
      socklen_t len = sizeof pending;

      getsockopt (fd, SOL_SOCKET, SO_ERROR, &pending, &len);
      if (pending != 0)
        link_close_errno (link, "the guest's socket", pending);
      else if (condition & G_IO_HUP)
        link_close (link, "the guest's socket hung up");
    }
  return link->closed_reason == NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void
slirp_helper_link_start (SlirpHelperLink *link)
{
  if (link->started || link->closed_reason != NULL)
    return;
  link->started = TRUE;
  link->reader = g_unix_fd_source_new (link->fd,
                                       G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (link->reader, G_SOURCE_FUNC (on_readable), link,
                         NULL);
  g_source_set_static_name (link->reader, "guest socket");
  g_source_attach (link->reader, g_main_context_get_thread_default ());
}

gboolean
slirp_helper_link_is_started (SlirpHelperLink *link)
{
  return link->started;
}

gssize
slirp_helper_link_send (SlirpHelperLink *link,
                        const void      *frame,
                        gsize            size)
{
  ssize_t n;
  int errsv;

  if (link->closed_reason != NULL)
    return 0;
  if (link->path != NULL && link->peer_len == 0)
    return 0;  /* nobody to send to yet */

  do
    {
      if (link->path != NULL)
        n = sendto (link->fd, frame, size, MSG_DONTWAIT | MSG_NOSIGNAL,
                    (struct sockaddr *) &link->peer, link->peer_len);
      else
        n = send (link->fd, frame, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  while (n < 0 && errno == EINTR);
  if (n >= 0)
    return n;

  errsv = errno;
  /* A full socket drops the frame, as a busy wire would: TCP resends. */
  if (errsv == EAGAIN || errsv == EWOULDBLOCK || errsv == ENOBUFS)
    return 0;
  if (link->path != NULL)
    {
      /* That peer left; the next one to write is answered. */
      g_debug ("sending to the last peer of %s: %s", link->path,
               g_strerror (errsv));
      link->peer_len = 0;
      return 0;
    }
  if (is_peer_gone (errsv))
    link_close_errno (link, "the guest's socket", errsv);
  else
    g_message ("dropped a %" G_GSIZE_FORMAT "-byte frame: %s", size,
               g_strerror (errsv));
  return 0;
}

void
slirp_helper_link_free (SlirpHelperLink *link)
{
  if (link->reader != NULL)
    {
      g_source_destroy (link->reader);
      g_source_unref (link->reader);
    }
  if (link->closed_idle != NULL)
    {
      g_source_destroy (link->closed_idle);
      g_source_unref (link->closed_idle);
    }
  if (link->fd >= 0)
    close (link->fd);
  if (link->path != NULL)
    g_unlink (link->path);
  g_free (link->path);
  g_free (link->closed_reason);
  g_free (link->buffer);
  g_free (link);
}
