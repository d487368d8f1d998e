/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "slirp-helper/source.h"
#include "slirp-helper/stack.h"

struct _SlirpHelperStack
{
  Slirp *slirp;
  GSource *source;
  GList *timers;  /* SlirpHelperTimer, freed by libslirp or by us */
  SlirpHelperOutputFunc output;
  gpointer output_data;
};

/* libslirp 4.7 creates timers either way, depending on which callback it
 * finds first: both are set, as libslirp calls what it picks without a
 * NULL check. */
typedef struct
{
  SlirpHelperStack *stack;
  GSource *source;
  SlirpTimerCb cb;         /* timer_new */
  gpointer cb_opaque;
  SlirpTimerId id;         /* timer_new_opaque */
  gboolean by_id;
} SlirpHelperTimer;

static ssize_t
cb_send_packet (const void *buf,
                size_t      len,
                void       *opaque)
{
  SlirpHelperStack *stack = opaque;

  return stack->output (buf, len, stack->output_data);
}

static void
cb_guest_error (const char *msg,
                void       *opaque)
{
  /* The guest's doing, not ours: worth a line, not an alarm. */
  g_message ("libslirp: guest error: %s", msg);
}

static int64_t
cb_clock_get_ns (void *opaque)
{
  return g_get_monotonic_time () * 1000;
}

static SlirpHelperTimer *
timer_add (SlirpHelperStack *stack)
{
  SlirpHelperTimer *timer = g_new0 (SlirpHelperTimer, 1);

  timer->stack = stack;
  stack->timers = g_list_prepend (stack->timers, timer);
  return timer;
}

static void *
cb_timer_new (SlirpTimerCb  cb,
              void         *cb_opaque,
              void         *opaque)
{
  SlirpHelperTimer *timer = timer_add (opaque);

  timer->cb = cb;
  timer->cb_opaque = cb_opaque;
  return timer;
}

static void *
cb_timer_new_opaque (SlirpTimerId  id,
                     void         *cb_opaque,
                     void         *opaque)
{
  SlirpHelperTimer *timer = timer_add (opaque);

  timer->id = id;
  timer->by_id = TRUE;
  timer->cb_opaque = cb_opaque;
  return timer;
}

static void
timer_disarm (SlirpHelperTimer *timer)
{
  if (timer->source == NULL)
    return;
  g_source_destroy (timer->source);
  g_clear_pointer (&timer->source, g_source_unref);
}

static void
cb_timer_free (void *timer_ptr,
               void *opaque)
{
  SlirpHelperTimer *timer = timer_ptr;
  SlirpHelperStack *stack = opaque;

  timer_disarm (timer);
  stack->timers = g_list_remove (stack->timers, timer);
  g_free (timer);
}

static gboolean
on_timer (gpointer user_data)
{
  SlirpHelperTimer *timer = user_data;

  /* One-shot: libslirp re-arms it from the handler when it wants. */
  g_clear_pointer (&timer->source, g_source_unref);
  if (timer->by_id)
    slirp_handle_timer (timer->stack->slirp, timer->id, timer->cb_opaque);
  else
    timer->cb (timer->cb_opaque);
  return G_SOURCE_REMOVE;
}

static void
cb_timer_mod (void    *timer_ptr,
              int64_t  expire_time_ms,
              void    *opaque)
{
  SlirpHelperTimer *timer = timer_ptr;
  gint64 now_ms = g_get_monotonic_time () / 1000;
  gint64 delay = CLAMP (expire_time_ms - now_ms, 0, G_MAXUINT);

  timer_disarm (timer);
  timer->source = g_timeout_source_new (delay);
  g_source_set_callback (timer->source, on_timer, timer, NULL);
  g_source_set_static_name (timer->source, "libslirp timer");
  g_source_attach (timer->source, g_main_context_get_thread_default ());
}

static void
cb_register_poll (SlirpHelperStack *stack)
{
  /* Nothing to do: the source asks libslirp for its sockets before every
   * poll. */
}

#if SLIRP_CHECK_VERSION (4, 9, 0)
static void
cb_register_poll_socket (slirp_os_socket  fd,
                         void            *opaque)
{
  cb_register_poll (opaque);
}
#else
static void
cb_register_poll_fd (int   fd,
                     void *opaque)
{
  cb_register_poll (opaque);
}
#endif

static void
cb_notify (void *opaque)
{
  /* A socket may now take data: poll again with a fresh set. */
  g_main_context_wakeup (g_main_context_get_thread_default ());
}

static void
cb_init_completed (Slirp *slirp,
                   void  *opaque)
{
  SlirpHelperStack *stack = opaque;

  /* Timers created inside slirp_new() need the instance to fire. */
  stack->slirp = slirp;
}

static const SlirpCb callbacks = {
  .send_packet = cb_send_packet,
  .guest_error = cb_guest_error,
  .clock_get_ns = cb_clock_get_ns,
  .timer_new = cb_timer_new,
  .timer_free = cb_timer_free,
  .timer_mod = cb_timer_mod,
#if SLIRP_CHECK_VERSION (4, 9, 0)
  .register_poll_socket = cb_register_poll_socket,
  .unregister_poll_socket = cb_register_poll_socket,
#else
  .register_poll_fd = cb_register_poll_fd,
  .unregister_poll_fd = cb_register_poll_fd,
#endif
  .notify = cb_notify,
  .init_completed = cb_init_completed,
  .timer_new_opaque = cb_timer_new_opaque,
};

SlirpHelperStack *
slirp_helper_stack_new (const SlirpHelperNet   *net,
                        SlirpHelperOutputFunc   output,
                        gpointer                user_data,
                        GError                **error)
{
  g_autoptr(SlirpHelperStack) stack = g_new0 (SlirpHelperStack, 1);
  SlirpConfig config = {
    /* Version 4 is what libslirp 4.7 knows, and enough. */
    .version = 4,
    .in_enabled = TRUE,
    .vnetwork = net->network,
    .vnetmask = net->netmask,
    .vhost = net->host,
    .vdhcp_start = net->dhcp_start,
    .vnameserver = net->dns,
    .in6_enabled = net->ipv6,
    .vprefix_addr6 = net->prefix6,
    .vprefix_len = net->prefix6_len,
    .vhost6 = net->host6,
    .vnameserver6 = net->dns6,
  };

  stack->output = output;
  stack->output_data = user_data;
  stack->slirp = slirp_new (&config, &callbacks, stack);
  if (stack->slirp == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "libslirp refused the network configuration");
      return NULL;
    }
  stack->source = slirp_helper_source_new (stack->slirp);
  g_source_attach (stack->source, g_main_context_get_thread_default ());
  return g_steal_pointer (&stack);
}

Slirp *
slirp_helper_stack_get_slirp (SlirpHelperStack *stack)
{
  return stack->slirp;
}

void
slirp_helper_stack_input (SlirpHelperStack *stack,
                          const void       *frame,
                          gsize             size)
{
  slirp_input (stack->slirp, frame, (int) MIN (size, G_MAXINT));
}

void
slirp_helper_stack_free (SlirpHelperStack *stack)
{
  if (stack->source != NULL)
    {
      g_source_destroy (stack->source);
      g_source_unref (stack->source);
    }
  /* Frees libslirp's timers through cb_timer_free. */
  if (stack->slirp != NULL)
    slirp_cleanup (stack->slirp);
  while (stack->timers != NULL)
    cb_timer_free (stack->timers->data, stack);
  g_free (stack);
}
