/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "slirp-helper/source.h"

/* libslirp 4.9 renamed the poll API around a socket type (for Win64). */
#if SLIRP_CHECK_VERSION (4, 9, 0)
typedef slirp_os_socket SlirpHelperSocket;
#define slirp_helper_pollfds_fill slirp_pollfds_fill_socket
#else
typedef int SlirpHelperSocket;
#define slirp_helper_pollfds_fill slirp_pollfds_fill
#endif

typedef struct
{
  GSource source;
  Slirp *slirp;
  GArray *fds;          /* GPollFD, indexed as libslirp was told */
  gboolean registered;  /* fds are added to the source */
  gint64 deadline;      /* when libslirp's timers want a poll, or -1 */
} SlirpHelperSource;

static gushort
to_glib_events (int events)
{
  gushort out = 0;

  if (events & SLIRP_POLL_IN)
    out |= G_IO_IN;
  if (events & SLIRP_POLL_OUT)
    out |= G_IO_OUT;
  if (events & SLIRP_POLL_PRI)
    out |= G_IO_PRI;
  if (events & SLIRP_POLL_ERR)
    out |= G_IO_ERR;
  if (events & SLIRP_POLL_HUP)
    out |= G_IO_HUP;
  return out;
}

static int
to_slirp_events (gushort revents)
{
  int out = 0;

  if (revents & G_IO_IN)
    out |= SLIRP_POLL_IN;
  if (revents & G_IO_OUT)
    out |= SLIRP_POLL_OUT;
  if (revents & G_IO_PRI)
    out |= SLIRP_POLL_PRI;
  if (revents & G_IO_ERR)
    out |= SLIRP_POLL_ERR;
  if (revents & G_IO_HUP)
    out |= SLIRP_POLL_HUP;
  return out;
}

static int
add_poll (SlirpHelperSocket  fd,
          int                events,
          void              *opaque)
{
  SlirpHelperSource *self = opaque;
  GPollFD pfd = { .fd = fd, .events = to_glib_events (events) };

  g_array_append_val (self->fds, pfd);
  return self->fds->len - 1;
}

static int
get_revents (int   idx,
             void *opaque)
{
  SlirpHelperSource *self = opaque;

  if (idx < 0 || (guint) idx >= self->fds->len)
    return 0;
  return to_slirp_events (g_array_index (self->fds, GPollFD, idx).revents);
}

static void
unregister_fds (SlirpHelperSource *self)
{
  if (!self->registered)
    return;
  for (guint i = 0; i < self->fds->len; i++)
    g_source_remove_poll (&self->source,
                          &g_array_index (self->fds, GPollFD, i));
  self->registered = FALSE;
}

static gboolean
source_prepare (GSource *source,
                int     *timeout)
{
  SlirpHelperSource *self = (SlirpHelperSource *) source;
  guint32 slirp_timeout = G_MAXUINT32;
  gint64 now;

  /* libslirp's sockets come and go with the guest's connections: ask
   * again every time. The array is complete before any GPollFD pointer is
   * handed to GLib, so growing it moves nothing GLib holds. */
  unregister_fds (self);
  g_array_set_size (self->fds, 0);
  slirp_helper_pollfds_fill (self->slirp, &slirp_timeout, add_poll, self);
  for (guint i = 0; i < self->fds->len; i++)
    g_source_add_poll (source, &g_array_index (self->fds, GPollFD, i));
  self->registered = TRUE;

  /* Keep an earlier deadline: other sources waking the loop must not
   * push libslirp's TCP timers back for ever. */
  now = g_source_get_time (source);
  if (slirp_timeout != G_MAXUINT32)
    {
      gint64 due = now + slirp_timeout * G_GINT64_CONSTANT (1000);

      if (self->deadline < 0 || due < self->deadline)
        self->deadline = due;
    }
  if (self->deadline < 0)
    *timeout = -1;
  else
    *timeout = (int) CLAMP ((self->deadline - now + 999) / 1000, 0, G_MAXINT);
  return FALSE;
}

static gboolean
source_check (GSource *source)
{
  SlirpHelperSource *self = (SlirpHelperSource *) source;

  /* Only when there is something to do: a source ready at every
   * iteration would starve every source of lower priority. */
  for (guint i = 0; i < self->fds->len; i++)
    if (g_array_index (self->fds, GPollFD, i).revents != 0)
      return TRUE;
  return self->deadline >= 0 && g_source_get_time (source) >= self->deadline;
}

static gboolean
source_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  SlirpHelperSource *self = (SlirpHelperSource *) source;

  self->deadline = -1;
  slirp_pollfds_poll (self->slirp, 0, get_revents, self);
  return G_SOURCE_CONTINUE;
}

static void
source_finalize (GSource *source)
{
  SlirpHelperSource *self = (SlirpHelperSource *) source;

  g_array_unref (self->fds);
}

static GSourceFuncs source_funcs = {
  .prepare = source_prepare,
  .check = source_check,
  .dispatch = source_dispatch,
  .finalize = source_finalize,
};

GSource *
slirp_helper_source_new (Slirp *slirp)
{
  GSource *source = g_source_new (&source_funcs, sizeof (SlirpHelperSource));
  SlirpHelperSource *self = (SlirpHelperSource *) source;

  self->slirp = slirp;
  self->fds = g_array_new (FALSE, TRUE, sizeof (GPollFD));
  self->deadline = -1;
  g_source_set_static_name (source, "libslirp");
  return source;
}
