/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User-mode networking for one VM NIC, outside QEMU, with its state
 * migrated over org.qemu.VMState1: a drop-in for libvirt's slirp_helper
 * (qemu.conf), installed as <libexecdir>/vmstate1-slirp-helper.
 *
 *   vmstate1-slirp-helper --fd=3 --net=10.0.2.0/24 \
 *       --dbus-address=unix:path=/run/vm.bus --dbus-id=slirp-52:54:00:...
 *
 * QEMU gets the other end of the socket as -netdev socket,fd=N. On a
 * migration destination libvirt adds --dbus-incoming: the guest's frames
 * wait in the socket until QEMU's Load has restored the DHCP leases. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <vmstate1.h>

#include "slirp-helper/link.h"
#include "slirp-helper/log.h"
#include "slirp-helper/net.h"
#include "slirp-helper/parent.h"
#include "slirp-helper/stack.h"
#include "slirp-helper/state.h"

#define PROGRAM "vmstate1-slirp-helper"

/* What libvirt reads from --print-capabilities: only what works here. */
static const char capabilities[] =
  "{\n"
  "  \"features\": [\n"
  "    \"ipv4\",\n"
  "    \"ipv6\",\n"
  "    \"dbus-address\",\n"
  "    \"migrate\",\n"
  "    \"exit-with-parent\"\n"
  "  ]\n"
  "}\n";

typedef struct
{
  SlirpHelperNet net;
  SlirpHelperStack *stack;
  SlirpHelperLink *link;
  GDBusConnection *connection;
  Vmstate1Helper *vmstate;
  SlirpHelperParent parent;
  GMainLoop *loop;
  int exit_status;
} SlirpHelper;

static gssize
on_stack_output (const void *frame,
                 gsize       size,
                 gpointer    user_data)
{
  SlirpHelper *helper = user_data;

  return slirp_helper_link_send (helper->link, frame, size);
}

static void
on_frame (const guint8 *frame,
          gsize         size,
          gpointer      user_data)
{
  SlirpHelper *helper = user_data;

  slirp_helper_stack_input (helper->stack, frame, size);
}

static void
on_link_closed (const char *reason,
                gpointer    user_data)
{
  SlirpHelper *helper = user_data;

  /* QEMU is gone or dropped the netdev: nothing left to serve. */
  g_message ("%s; exiting", reason);
  g_main_loop_quit (helper->loop);
}

static GBytes *
on_save (gpointer   user_data,
         GError   **error)
{
  SlirpHelper *helper = user_data;
  Slirp *slirp = slirp_helper_stack_get_slirp (helper->stack);
  GBytes *state;

  state = slirp_helper_state_save (slirp);
  g_debug ("saved a version %d slirp state of %" G_GSIZE_FORMAT " bytes",
           slirp_state_version (), g_bytes_get_size (state));
  return state;
}

/* libslirp cannot undo a half-done load: fill a fresh instance and swap
 * it in only when the whole state was read. The running one keeps
 * serving until then, and on any error it is untouched. */
static gboolean
on_load (GBytes    *data,
         gpointer   user_data,
         GError   **error)
{
  SlirpHelper *helper = user_data;
  g_autoptr(SlirpHelperStack) fresh = NULL;

  fresh = slirp_helper_stack_new (&helper->net, on_stack_output, helper,
                                  error);
  if (fresh == NULL
      || !slirp_helper_state_load (slirp_helper_stack_get_slirp (fresh), data,
                                   error))
    {
      /* Said here, whatever level libvmstate1 logs refusals at: a
       * refused migration is what the host's admin looks for. */
      g_message ("refused an incoming state of %" G_GSIZE_FORMAT " bytes: %s",
                 g_bytes_get_size (data), (*error)->message);
      return FALSE;
    }

  /* The replaced instance's NAT connections end here: libslirp 4.7 does
   * not migrate them anyway. */
  g_clear_pointer (&helper->stack, slirp_helper_stack_free);
  helper->stack = g_steal_pointer (&fresh);
  return TRUE;
}

static void
on_loaded (Vmstate1Helper *vmstate,
           gpointer        user_data)
{
  SlirpHelper *helper = user_data;

  if (!slirp_helper_link_is_started (helper->link))
    {
      g_message ("incoming state loaded: serving the guest");
      slirp_helper_link_start (helper->link);
    }
}

static void
on_bus_closed (GDBusConnection *connection,
               gboolean         remote_peer_vanished,
               GError          *error,
               gpointer         user_data)
{
  SlirpHelper *helper = user_data;

  if (!slirp_helper_link_is_started (helper->link))
    {
      /* Still waiting for a Load that can no longer come. */
      slirp_helper_log_failure ("the D-Bus connection closed before the "
                                "incoming state arrived");
      helper->exit_status = 1;
      g_main_loop_quit (helper->loop);
      return;
    }
  /* The guest's network need not die with the bus. */
  g_warning ("the D-Bus connection closed (%s): this VM can no longer be "
             "migrated", error ? error->message : "closed");
}

static void
on_parent_gone (const char *reason,
                gpointer    user_data)
{
  SlirpHelper *helper = user_data;

  g_message ("%s; exiting (--exit-with-parent)", reason);
  g_main_loop_quit (helper->loop);
}

static gboolean
on_terminate (gpointer user_data)
{
  SlirpHelper *helper = user_data;

  g_message ("asked to stop: exiting");
  g_main_loop_quit (helper->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
start_dbus (SlirpHelper  *helper,
            const char   *address,
            const char   *id,
            GError      **error)
{
  helper->connection = vmstate1_connect (address, NULL, error);
  if (helper->connection == NULL)
    return FALSE;
  helper->vmstate = vmstate1_helper_new (id, error);
  if (helper->vmstate == NULL)
    return FALSE;
  vmstate1_helper_set_handlers (helper->vmstate, on_save, on_load, helper,
                                NULL);
  g_signal_connect (helper->vmstate, "loaded", G_CALLBACK (on_loaded), helper);
  g_signal_connect (helper->connection, "closed", G_CALLBACK (on_bus_closed),
                    helper);
  return vmstate1_helper_export (helper->vmstate, helper->connection, error);
}

static void
stop_dbus (SlirpHelper *helper)
{
  /* A reply still queued (the Load that let the guest in, whose frames
   * then found QEMU gone) goes out before the connection closes. */
  if (helper->connection != NULL)
    g_dbus_connection_flush_sync (helper->connection, NULL, NULL);
  if (helper->vmstate != NULL)
    {
      /* Leaves org.qemu.VMState1's queue before the process goes. */
      vmstate1_helper_unexport (helper->vmstate);
      g_clear_object (&helper->vmstate);
    }
  if (helper->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (helper->connection, helper);
      g_dbus_connection_close_sync (helper->connection, NULL, NULL);
      g_clear_object (&helper->connection);
    }
}

static int
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  slirp_helper_log_failure ("%s (see --help)", message);
  return 2;
}

int
main (int    argc,
      char **argv)
{
  /* First: the later this is read, the longer the window in which the
   * parent can die unseen (see slirp-helper/parent.h). */
  pid_t started_by = getppid ();
  int fd = -1;
  g_autofree char *socket_path = NULL;
  g_autofree char *net4 = NULL;
  g_autofree char *net6 = NULL;
  g_autofree char *address = NULL;
  g_autofree char *id = NULL;
  gboolean incoming = FALSE;
  gboolean exit_with_parent = FALSE;
  gboolean print_capabilities = FALSE;
  GOptionEntry entries[] = {
    { "fd", 0, 0, G_OPTION_ARG_INT, &fd,
      "The helper's end of a socketpair(AF_UNIX, SOCK_DGRAM): one Ethernet "
      "frame per datagram", "N" },
    { "socket-path", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
      "Instead of --fd: bind a datagram socket at PATH and answer the last "
      "peer that wrote to it", "PATH" },
    { "net", 0, 0, G_OPTION_ARG_STRING, &net4,
      "IPv4 network (default 10.0.2.0/24): host .2, DNS .3, DHCP from .15",
      "A.B.C.D[/P]" },
    { "net6", 0, 0, G_OPTION_ARG_STRING, &net6,
      "IPv6 network (default fec0::/64): host ::2, DNS ::3", "ADDR[/P]" },
    { "dbus-address", 0, 0, G_OPTION_ARG_STRING, &address,
      "D-Bus address of the VM's bus, for migration (needs --dbus-id)",
      "ADDRESS" },
    { "dbus-id", 0, 0, G_OPTION_ARG_STRING, &id,
      "Id of this helper among the VM's helpers on the bus", "ID" },
    { "dbus-incoming", 0, 0, G_OPTION_ARG_NONE, &incoming,
      "Serve the guest only once an incoming migration's state is loaded",
      NULL },
    { "exit-with-parent", 0, 0, G_OPTION_ARG_NONE, &exit_with_parent,
      "Exit when the process that started the helper exits (a daemonized "
      "helper, as libvirt starts it, watches nothing)", NULL },
    { "print-capabilities", 0, 0, G_OPTION_ARG_NONE, &print_capabilities,
      "Print the supported features as JSON and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  SlirpHelper helper = { 0 };
  SlirpHelperParent parent_init = SLIRP_HELPER_PARENT_INIT;

  /* libvirt closes the pipe behind stdout and stderr once the helper has
   * started: a write there must fail, not kill the helper. */
  signal (SIGPIPE, SIG_IGN);
  slirp_helper_log_init (PROGRAM);
  setvbuf (stdout, NULL, _IOLBF, 0);
  options = g_option_context_new ("- user-mode networking for a VM, "
                                  "migratable over D-Bus");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_description (
      options,
      "Runs libslirp for one VM NIC, as libvirt's slirp_helper. Save and "
      "Load go through org.qemu.VMState1 on --dbus-address under Id "
      "--dbus-id; on a migration destination, --dbus-incoming holds the "
      "guest's frames until the state is loaded.\n");
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return usage_error ("%s", error->message);
  if (argc > 1)
    return usage_error ("unexpected argument '%s'", argv[1]);

  if (print_capabilities)
    {
      /* libvirt probes with this: start nothing. */
      fputs (capabilities, stdout);
      return 0;
    }

  if ((fd >= 0) == (socket_path != NULL))
    return usage_error ("give exactly one of --fd and --socket-path");
  if (address != NULL && id == NULL)
    return usage_error ("--dbus-address needs --dbus-id");
  if (id != NULL && address == NULL)
    return usage_error ("--dbus-id needs --dbus-address");
  if (incoming && address == NULL)
    return usage_error ("--dbus-incoming needs --dbus-address and --dbus-id");
  /* A bad Id is the caller's mistake, as any bad option: exit 2, before
   * anything starts. */
  if (id != NULL && !vmstate1_id_validate (id, &error))
    return usage_error ("--dbus-id: %s", error->message);

  slirp_helper_net_init (&helper.net);
  if ((net4 != NULL && !slirp_helper_net_set_ipv4 (&helper.net, net4, &error))
      || (net6 != NULL
          && !slirp_helper_net_set_ipv6 (&helper.net, net6, &error)))
    return usage_error ("%s", error->message);

  loop = g_main_loop_new (NULL, FALSE);
  helper.loop = loop;
  helper.parent = parent_init;
  if (exit_with_parent)
    {
      if (!slirp_helper_parent_watch (&helper.parent, started_by,
                                      on_parent_gone, &helper, &error))
        {
          slirp_helper_log_failure ("%s", error->message);
          return 1;
        }
      if (helper.parent.status == SLIRP_HELPER_PARENT_GONE)
        {
          g_message ("%s; exiting (--exit-with-parent)", helper.parent.reason);
          slirp_helper_parent_clear (&helper.parent);
          return 0;
        }
      g_message ("%s", helper.parent.reason);
    }
  if (socket_path != NULL)
    helper.link = slirp_helper_link_new_path (socket_path, on_frame,
                                              on_link_closed, &helper, &error);
  else
    helper.link = slirp_helper_link_new_fd (fd, on_frame, on_link_closed,
                                            &helper, &error);
  if (helper.link == NULL)
    {
      slirp_helper_log_failure ("%s", error->message);
      slirp_helper_parent_clear (&helper.parent);
      return 1;
    }
  helper.stack = slirp_helper_stack_new (&helper.net, on_stack_output, &helper,
                                         &error);
  if (helper.stack == NULL
      || (address != NULL && !start_dbus (&helper, address, id, &error)))
    {
      slirp_helper_log_failure ("%s", error->message);
      stop_dbus (&helper);
      g_clear_pointer (&helper.stack, slirp_helper_stack_free);
      slirp_helper_link_free (helper.link);
      slirp_helper_parent_clear (&helper.parent);
      return 1;
    }

  if (!incoming)
    slirp_helper_link_start (helper.link);
  g_unix_signal_add (SIGTERM, on_terminate, &helper);
  g_unix_signal_add (SIGINT, on_terminate, &helper);

  /* "ready:" on stdout is for whoever started it; the log keeps it. */
  g_message ("started: libslirp %s, host %s%s%s%s", slirp_version_string (),
             inet_ntoa (helper.net.host), id ? ", Id " : "", id ? id : "",
             incoming ? ", waiting for the incoming state" : "");
  g_print ("ready: libslirp %s, host %s%s%s%s\n", slirp_version_string (),
           inet_ntoa (helper.net.host), id ? ", Id " : "", id ? id : "",
           incoming ? ", waiting for the incoming state" : "");
  g_main_loop_run (loop);

  stop_dbus (&helper);
  g_clear_pointer (&helper.stack, slirp_helper_stack_free);
  slirp_helper_link_free (helper.link);
  slirp_helper_parent_clear (&helper.parent);
  return helper.exit_status;
}
