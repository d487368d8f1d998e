/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* examples/slirp-helper as libvirt runs it: the test is the guest's NIC on
 * the other end of the helper's socket, and QEMU's Save and Load are
 * direct D-Bus calls. */
#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "slirp-guest.h"
#include "slirp-process.h"

#define REPLY_TIMEOUT_MSEC 5000
/* How long a gated helper is given to (wrongly) answer. */
#define SILENCE_MSEC 300

/* libslirp 4.7's state with no guestfwd: version, end of the socket
 * list, ip_id, 16 leases of (allocated, MAC). */
#define STATE_SIZE (4 + 1 + 2 + 16 * 8)

static const guint8 mac_a[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x0a };
static const guint8 mac_b[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x0b };

static TestBus *
new_bus (const char *extra_own)
{
  g_autoptr(GError) error = NULL;
  TestBus *bus = test_bus_new (extra_own, &error);

  g_assert_no_error (error);
  return bus;
}

static TestSlirp *
start_helper (TestBus            *bus,
              const char * const *args)
{
  g_autoptr(GError) error = NULL;
  TestSlirp *slirp = test_slirp_start (NULL,
                                       bus ? test_bus_get_address (bus) : NULL,
                                       "slirp-52:54:00:12:34:0a", args,
                                       &error);

  g_assert_no_error (error);
  return slirp;
}

static void
assert_offer (TestSlirp     *slirp,
              const guint8   mac[6],
              const char    *expected)
{
  g_autofree char *offered = test_dhcp_offer (slirp->peer_fd, mac,
                                              REPLY_TIMEOUT_MSEC, NULL);

  g_assert_cmpstr (offered, ==, expected);
}

static GBytes *
save (TestSlirp *slirp)
{
  g_autoptr(GError) error = NULL;
  GBytes *state = test_slirp_save (slirp, &error);

  g_assert_no_error (error);
  return state;
}

static void
load (TestSlirp *slirp,
      GBytes    *state)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_slirp_load (slirp, state, &error));
  g_assert_no_error (error);
}

/* --print-capabilities: JSON that libvirt parses, naming only what works,
 * and nothing started. */
static void
test_capabilities (void)
{
  const char *known[] = { "ipv4", "ipv6", "dbus-address", "migrate",
                          "exit-with-parent", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *features;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              test_slirp_helper_path (), "--print-capabilities",
                              NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));
  features = json_object_get_array_member (root, "features");
  g_assert_nonnull (features);
  for (guint i = 0; i < json_array_get_length (features); i++)
    {
      const char *name = json_array_get_string_element (features, i);

      g_assert_nonnull (name);
      g_assert_true (g_strv_contains (known, name));
      g_ptr_array_add (names, (gpointer) name);
    }
  g_ptr_array_add (names, NULL);
  for (guint i = 0; known[i] != NULL; i++)
    g_assert_true (g_strv_contains ((const char * const *) names->pdata,
                                    known[i]));
}

/* What libvirt treats as a failed start: a non-zero exit, and a word on
 * stderr. */
static void
test_usage_errors (void)
{
  const char *cases[][4] = {
    { "--bogus", "--fd=3" },
    { "--fd=3", "--dbus-address=unix:path=/nonexistent" },
    { "--fd=3", "--dbus-id=slirp" },
    { "--fd=3", "--dbus-incoming" },
    { "--net=10.0.2.0/24" },
    { "--fd=3", "--socket-path=/nonexistent/s" },
    { "--socket-path=/nonexistent/s" },
    { "--fd=3", "--net=10.0.2.0/33" },
    { "--fd=3", "--net=10.0.2.0/28" },
    { "--fd=3", "--net=10.0.2" },
    { "--fd=3", "--net6=fec0::/127" },
    { "--fd=3", "--net6=nonsense" },
    { "--fd=3", "stray" },
    { "--fd=0" },  /* not a socket */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autofree char *err = NULL;
      g_autofree char *shown = NULL;

      g_ptr_array_add (argv, (gpointer) test_slirp_helper_path ());
      for (guint j = 0; j < G_N_ELEMENTS (cases[i]) && cases[i][j]; j++)
        g_ptr_array_add (argv, (gpointer) cases[i][j]);
      g_ptr_array_add (argv, NULL);
      shown = g_strjoinv (" ", (char **) argv->pdata + 1);

      process = g_subprocess_newv ((const char * const *) argv->pdata,
                                   G_SUBPROCESS_FLAGS_STDIN_PIPE
                                   | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
      g_assert_no_error (error);
      if (g_test_verbose ())
        g_printerr ("# %s: %s", shown, err);
      if (g_subprocess_get_successful (process) || *err == '\0')
        g_error ("'%s' did not fail with a message", shown);
    }

  /* An Id QEMU would refuse is a usage error too: exit 2, saying why. */
  {
    const char *bad_ids[] = { "--dbus-id=", "--dbus-id=a,b" };

    for (guint i = 0; i < G_N_ELEMENTS (bad_ids); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GSubprocess) process = NULL;
        g_autofree char *err = NULL;

        process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                    &error, test_slirp_helper_path (),
                                    "--socket-path=/nonexistent/s",
                                    "--dbus-address=unix:path=/nonexistent",
                                    bad_ids[i], NULL);
        g_assert_no_error (error);
        g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err,
                                       &error);
        g_assert_no_error (error);
        g_assert_true (g_subprocess_get_if_exited (process));
        g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
        g_assert_nonnull (strstr (err, "--dbus-id"));
      }
  }
}

static void
test_dhcp_default (void)
{
  g_autoptr(TestSlirp) slirp = start_helper (NULL, NULL);
  TestDhcpReply reply;
  g_autofree char *offered = NULL;

  offered = test_dhcp_offer (slirp->peer_fd, mac_a, REPLY_TIMEOUT_MSEC, &reply);
  g_assert_cmpstr (offered, ==, "10.0.2.15");
  g_assert_cmpuint (reply.type, ==, TEST_DHCP_OFFER);
  g_assert_cmpstr (reply.siaddr, ==, "10.0.2.2");
  g_assert_cmpstr (reply.server_id, ==, "10.0.2.2");
  g_assert_cmpstr (reply.router, ==, "10.0.2.2");
  g_assert_cmpstr (reply.dns, ==, "10.0.2.3");
  g_assert_cmpstr (reply.netmask, ==, "255.255.255.0");
  /* The same MAC keeps its lease; another gets the next one. */
  assert_offer (slirp, mac_a, "10.0.2.15");
  assert_offer (slirp, mac_b, "10.0.2.16");
  g_assert_cmpint (test_slirp_terminate (slirp), ==, 0);
}

typedef struct
{
  const char *net;
  const char *lease;
  const char *host;
  const char *dns;
  const char *netmask;
} NetCase;

/* Addresses follow --net as QEMU's -netdev user derives them. */
static void
test_dhcp_net (void)
{
  const NetCase cases[] = {
    { "192.168.100.0/24", "192.168.100.15", "192.168.100.2", "192.168.100.3",
      "255.255.255.0" },
    { "172.20.30.0", "172.20.30.15", "172.20.30.2", "172.20.30.3",
      "255.255.255.0" },
    { "10.1.0.0/16", "10.1.2.15", "10.1.2.2", "10.1.2.3", "255.255.0.0" },
    { "192.168.7.96/27", "192.168.7.111", "192.168.7.98", "192.168.7.99",
      "255.255.255.224" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *arg = g_strdup_printf ("--net=%s", cases[i].net);
      const char *args[] = { arg, NULL };
      g_autoptr(TestSlirp) slirp = start_helper (NULL, args);
      TestDhcpReply reply;
      g_autofree char *offered = NULL;

      offered = test_dhcp_offer (slirp->peer_fd, mac_a, REPLY_TIMEOUT_MSEC,
                                 &reply);
      g_assert_cmpstr (offered, ==, cases[i].lease);
      g_assert_cmpstr (reply.server_id, ==, cases[i].host);
      g_assert_cmpstr (reply.siaddr, ==, cases[i].host);
      g_assert_cmpstr (reply.router, ==, cases[i].host);
      g_assert_cmpstr (reply.dns, ==, cases[i].dns);
      g_assert_cmpstr (reply.netmask, ==, cases[i].netmask);
    }
}

/* Guest traffic NAT'd to a host socket and back: libslirp's sockets are
 * polled in the helper's main loop. The host's 127.0.0.1 is the guest's
 * 10.0.2.2. */
static void
test_nat_udp (void)
{
  g_autoptr(TestSlirp) slirp = start_helper (NULL, NULL);
  struct sockaddr_in host = { .sin_family = AF_INET };
  struct sockaddr_in from;
  socklen_t len = sizeof host;
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GBytes) answer = NULL;
  char buffer[64];
  char src[16];
  guint16 sport;
  ssize_t n;
  int fd;

  /* The guest's ARP entry comes with its lease. */
  assert_offer (slirp, mac_a, "10.0.2.15");

  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  host.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &host, sizeof host), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &host, &len), ==, 0);

  frame = test_udp_frame_new (mac_a, "10.0.2.15", 5555, "10.0.2.2",
                              ntohs (host.sin_port), "ping", 4);
  g_assert_cmpint (send (slirp->peer_fd, g_bytes_get_data (frame, NULL),
                         g_bytes_get_size (frame), 0), >, 0);

  len = sizeof from;
  g_assert_true (poll (&(struct pollfd) { .fd = fd, .events = POLLIN }, 1,
                       REPLY_TIMEOUT_MSEC) == 1);
  n = recvfrom (fd, buffer, sizeof buffer, 0, (struct sockaddr *) &from, &len);
  g_assert_cmpmem (buffer, n, "ping", 4);
  g_assert_cmpint (sendto (fd, "pong", 4, 0, (struct sockaddr *) &from, len),
                   ==, 4);

  answer = test_udp_wait (slirp->peer_fd, 5555, REPLY_TIMEOUT_MSEC, src,
                          &sport);
  g_assert_nonnull (answer);
  g_assert_cmpmem (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                   "pong", 4);
  g_assert_cmpstr (src, ==, "10.0.2.2");
  g_assert_cmpuint (sport, ==, ntohs (host.sin_port));
  close (fd);
}

/* A helper with MAC A leased; returns its saved state. */
static GBytes *
leased_state (TestBus    *bus,
              TestSlirp **out)
{
  g_autoptr(TestSlirp) slirp = start_helper (bus, NULL);
  GBytes *state;
  const guint8 *bytes;

  assert_offer (slirp, mac_a, "10.0.2.15");
  state = save (slirp);
  g_assert_cmpuint (g_bytes_get_size (state), ==, STATE_SIZE);
  bytes = g_bytes_get_data (state, NULL);
  /* Big-endian slirp_state_version(): 4 for libslirp 4.7. */
  g_assert_cmpmem (bytes, 4, ((guint8[]) { 0, 0, 0, 4 }), 4);
  if (out != NULL)
    *out = g_steal_pointer (&slirp);
  return state;
}

static void
test_migrate_lease (void)
{
  const char *incoming[] = { "--dbus-incoming", NULL };
  g_autoptr(TestBus) src_bus = new_bus (NULL);
  g_autoptr(TestBus) dst_bus = new_bus (NULL);
  g_autoptr(GBytes) state = leased_state (src_bus, NULL);
  g_autoptr(TestSlirp) dst = start_helper (dst_bus, incoming);
  g_autoptr(TestSlirp) control = start_helper (NULL, NULL);

  load (dst, state);
  assert_offer (dst, mac_b, "10.0.2.16");
  assert_offer (dst, mac_a, "10.0.2.15");
  /* Without the state, B would have had A's address. */
  assert_offer (control, mac_b, "10.0.2.15");
  g_assert_cmpint (test_slirp_terminate (dst), ==, 0);
}

/* --dbus-incoming: the guest's frames wait in the socket until a Load
 * succeeds, and are answered with the loaded state. */
static void
test_migrate_incoming_gate (void)
{
  const char *incoming[] = { "--dbus-incoming", NULL };
  g_autoptr(TestBus) src_bus = new_bus (NULL);
  g_autoptr(TestBus) dst_bus = new_bus (NULL);
  g_autoptr(GBytes) state = leased_state (src_bus, NULL);
  g_autoptr(TestSlirp) dst = start_helper (dst_bus, incoming);
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (state, 0,
                                                        STATE_SIZE - 1);
  g_autoptr(GError) error = NULL;
  TestDhcpReply reply;
  guint32 xid;

  xid = test_dhcp_send_discover (dst->peer_fd, mac_b);
  g_assert_false (test_dhcp_wait_reply (dst->peer_fd, mac_b, xid,
                                        SILENCE_MSEC, &reply));

  /* A failed Load keeps the gate shut. */
  g_assert_false (test_slirp_load (dst, truncated, &error));
  g_assert_nonnull (error);
  g_assert_false (test_dhcp_wait_reply (dst->peer_fd, mac_b, xid,
                                        SILENCE_MSEC, &reply));

  load (dst, state);
  g_assert_true (test_dhcp_wait_reply (dst->peer_fd, mac_b, xid,
                                       REPLY_TIMEOUT_MSEC, &reply));
  g_assert_cmpstr (reply.yiaddr, ==, "10.0.2.16");
}

static GBytes *
with_version (GBytes  *state,
              guint32  version)
{
  gsize size;
  guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (state), &size);
  guint32 be = GUINT32_TO_BE (version);

  memcpy (copy, &be, sizeof be);
  return g_bytes_new_take (copy, size);
}

static GBytes *
with_byte (GBytes *state,
           gsize   offset,
           guint8  value)
{
  gsize size;
  guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (state), &size);

  copy[offset] = value;
  return g_bytes_new_take (copy, size);
}

static GBytes *
with_trailer (GBytes *state)
{
  g_autoptr(GByteArray) copy = g_byte_array_new ();

  g_byte_array_append (copy, g_bytes_get_data (state, NULL),
                       g_bytes_get_size (state));
  g_byte_array_append (copy, (const guint8 *) "", 1);
  return g_byte_array_free_to_bytes (g_steal_pointer (&copy));
}

/* Every bad state is refused with a message that says why, and changes
 * nothing: the helper lives on with its leases as they were. */
static void
test_migrate_strict (void)
{
  g_autoptr(TestBus) bus = new_bus (NULL);
  g_autoptr(TestSlirp) slirp = NULL;
  g_autoptr(GBytes) state = leased_state (bus, &slirp);
  struct
  {
    GBytes *data;
    const char *message;
  } cases[] = {
    { with_version (state, 5), "version 5 is newer" },
    { with_version (state, G_MAXUINT32), "version 4294967295 is newer" },
    { with_version (state, 0), "version 0" },
    { g_bytes_new_from_bytes (state, 0, STATE_SIZE - 1), "truncated" },
    { g_bytes_new_from_bytes (state, 0, 5), "truncated" },
    { g_bytes_new_from_bytes (state, 0, 4), "truncated" },
    { g_bytes_new_from_bytes (state, 0, 3), "truncated" },
    { g_bytes_new (NULL, 0), "truncated" },
    { with_trailer (state), "1 trailing byte after" },
    { with_byte (state, 4, 42), "guestfwd" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (test_slirp_load (slirp, cases[i].data, &error));
      g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_LOAD_FAILED);
      if (g_test_verbose ())
        g_printerr ("# %s\n", error->message);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: '%s' does not say '%s'", i, error->message,
                 cases[i].message);
      g_bytes_unref (cases[i].data);
    }

  g_assert_true (test_slirp_is_running (slirp));
  assert_offer (slirp, mac_b, "10.0.2.16");
  assert_offer (slirp, mac_a, "10.0.2.15");
  g_assert_cmpint (test_slirp_terminate (slirp), ==, 0);
}

/* Save -> Load -> Save gives the same bytes; a second Load works too. */
static void
test_migrate_identical (void)
{
  const char *incoming[] = { "--dbus-incoming", NULL };
  g_autoptr(TestBus) src_bus = new_bus (NULL);
  g_autoptr(TestBus) dst_bus = new_bus (NULL);
  g_autoptr(GBytes) state = leased_state (src_bus, NULL);
  g_autoptr(TestSlirp) dst = start_helper (dst_bus, incoming);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) third = NULL;

  load (dst, state);
  again = save (dst);
  g_assert_true (g_bytes_equal (state, again));

  load (dst, state);
  third = save (dst);
  g_assert_true (g_bytes_equal (state, third));
  assert_offer (dst, mac_b, "10.0.2.16");
  g_assert_cmpint (test_slirp_terminate (dst), ==, 0);
}

static gboolean
bus_has_helper (TestBus *bus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner;

  connection = vmstate1_connect (test_bus_get_address (bus), NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "NameHasOwner",
      g_variant_new ("(s)", VMSTATE1_BUS_NAME), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static void
test_exit_sigterm (void)
{
  g_autoptr(TestBus) bus = new_bus (NULL);
  g_autoptr(TestSlirp) slirp = start_helper (bus, NULL);

  g_assert_true (bus_has_helper (bus));
  g_assert_cmpint (test_slirp_terminate (slirp), ==, 0);
  g_assert_false (bus_has_helper (bus));
}

/* QEMU going away closes its end of the socketpair: a datagram socket
 * tells on the next frame sent to it. A gated helper makes that frame
 * come after the close. */
static void
test_exit_peer_closed (void)
{
  const char *incoming[] = { "--dbus-incoming", NULL };
  g_autoptr(TestBus) bus = new_bus (NULL);
  g_autoptr(TestSlirp) slirp = start_helper (bus, incoming);
  g_autoptr(GBytes) state = save (slirp);
  int fd;

  fd = test_slirp_steal_peer_fd (slirp);
  test_dhcp_send_discover (fd, mac_a);
  close (fd);
  load (slirp, state);
  g_assert_cmpint (test_slirp_wait_exit (slirp, REPLY_TIMEOUT_MSEC), ==, 0);
  g_assert_false (bus_has_helper (bus));
}

/* --exit-with-parent: when the process that started it ends, the helper
 * exits cleanly (it removes its socket). The parent here is a shell that
 * waits for its stdin to close; test-slirp-parent.c has the daemonized
 * cases. */
static void
test_exit_with_parent (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vmstate1-slirp-XXXXXX", &error);
  g_autofree char *helper_path = g_build_filename (dir, "helper.sock", NULL);
  const char *argv[] = {
    "sh", "-c", "\"$0\" --socket-path=\"$1\" --exit-with-parent & "
                "echo $! >&2; read _ || true",
    test_slirp_helper_path (), helper_path, NULL
  };
  g_autoptr(GSubprocess) parent = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autofree char *line = NULL;
  g_autofree char *pid_line = NULL;
  GPid pid;
  gint64 deadline;

  g_assert_no_error (error);
  parent = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (parent));
  /* The helper shares that stderr, and logs there as it starts: the
   * shell's line is the one that is a number. */
  do
    {
      g_free (pid_line);
      pid_line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (pid_line);
    }
  while (!g_ascii_string_to_signed (pid_line, 10, 1, G_MAXINT, NULL, NULL));
  pid = (GPid) g_ascii_strtoll (pid_line, NULL, 10);
  g_assert_cmpint (pid, >, 0);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (parent));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "ready:"));
  g_assert_false (test_pid_ended (pid));

  /* The parent ends... */
  g_assert_true (g_output_stream_close (g_subprocess_get_stdin_pipe (parent),
                                        NULL, &error));
  g_assert_true (g_subprocess_wait_check (parent, NULL, &error));
  /* ...and so does the helper, cleanly. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!test_pid_ended (pid) && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_true (test_pid_ended (pid));
  g_assert_false (g_file_test (helper_path, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

/* --socket-path, for use by hand: the helper answers whoever wrote. */
static void
test_socket_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vmstate1-slirp-XXXXXX", &error);
  g_autofree char *helper_path = g_build_filename (dir, "helper.sock", NULL);
  g_autofree char *guest_path = g_build_filename (dir, "guest.sock", NULL);
  g_autofree char *arg = g_strdup_printf ("--socket-path=%s", helper_path);
  const char *argv[] = { test_slirp_helper_path (), arg, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *offered = NULL;
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd;

  g_assert_no_error (error);
  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "ready:"));

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_strlcpy (address.sun_path, guest_path, sizeof address.sun_path);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address),
                   ==, 0);
  g_strlcpy (address.sun_path, helper_path, sizeof address.sun_path);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &address, sizeof address),
                   ==, 0);

  offered = test_dhcp_offer (fd, mac_a, REPLY_TIMEOUT_MSEC, NULL);
  g_assert_cmpstr (offered, ==, "10.0.2.15");

  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait_check (process, NULL, &error));
  g_assert_no_error (error);
  /* It removes what it bound. */
  g_assert_false (g_file_test (helper_path, G_FILE_TEST_EXISTS));
  close (fd);
  g_unlink (guest_path);
  g_rmdir (dir);
}

/* Debian's Rust libslirp-helper speaks the same state format: each loads
 * what the other saved. Its D-Bus name org.freedesktop.Slirp1_<pid>
 * needs the bus to allow that too. */
static TestSlirp *
start_rust (TestBus            *bus,
            const char * const *args)
{
  g_autofree char *rust = test_slirp_find_rust_helper ();
  g_autoptr(GError) error = NULL;
  TestSlirp *slirp;

  slirp = test_slirp_start (rust, test_bus_get_address (bus),
                            "slirp-52:54:00:12:34:0a", args, &error);
  g_assert_no_error (error);
  return slirp;
}

static gboolean
skip_without_rust (void)
{
  g_autofree char *rust = test_slirp_find_rust_helper ();

  if (rust == NULL)
    {
      g_test_skip ("Debian's libslirp-helper is not installed");
      return TRUE;
    }
  return FALSE;
}

static void
test_rust_from_ours (void)
{
  const char *incoming[] = { "--dbus-incoming", NULL };
  g_autoptr(TestBus) src_bus = NULL;
  g_autoptr(TestBus) dst_bus = NULL;
  g_autoptr(GBytes) state = NULL;
  g_autoptr(TestSlirp) rust = NULL;

  if (skip_without_rust ())
    return;
  src_bus = new_bus (NULL);
  dst_bus = new_bus ("org.freedesktop");
  state = leased_state (src_bus, NULL);
  rust = start_rust (dst_bus, incoming);
  load (rust, state);
  assert_offer (rust, mac_b, "10.0.2.16");
  assert_offer (rust, mac_a, "10.0.2.15");
}

static void
test_rust_to_ours (void)
{
  const char *incoming[] = { "--dbus-incoming", NULL };
  g_autoptr(TestBus) src_bus = NULL;
  g_autoptr(TestBus) dst_bus = NULL;
  g_autoptr(GBytes) state = NULL;
  g_autoptr(TestSlirp) rust = NULL;
  g_autoptr(TestSlirp) ours = NULL;

  if (skip_without_rust ())
    return;
  src_bus = new_bus ("org.freedesktop");
  dst_bus = new_bus (NULL);
  rust = start_rust (src_bus, NULL);
  assert_offer (rust, mac_a, "10.0.2.15");
  state = save (rust);
  g_assert_cmpuint (g_bytes_get_size (state), ==, STATE_SIZE);
  g_assert_cmpmem (g_bytes_get_data (state, NULL), 4,
                   ((guint8[]) { 0, 0, 0, 4 }), 4);

  ours = start_helper (dst_bus, incoming);
  load (ours, state);
  assert_offer (ours, mac_b, "10.0.2.16");
  assert_offer (ours, mac_a, "10.0.2.15");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Registers the error domain, so that the helpers' errors map back. */
  g_assert_cmpuint (VMSTATE1_ERROR, !=, 0);

  g_test_add_func ("/vmstate1/slirp-helper/capabilities", test_capabilities);
  g_test_add_func ("/vmstate1/slirp-helper/usage-errors", test_usage_errors);
  g_test_add_func ("/vmstate1/slirp-helper/dhcp/default", test_dhcp_default);
  g_test_add_func ("/vmstate1/slirp-helper/dhcp/net", test_dhcp_net);
  g_test_add_func ("/vmstate1/slirp-helper/socket-path", test_socket_path);
  g_test_add_func ("/vmstate1/slirp-helper/nat/udp", test_nat_udp);
  g_test_add_func ("/vmstate1/slirp-helper/migrate/lease", test_migrate_lease);
  g_test_add_func ("/vmstate1/slirp-helper/migrate/incoming-gate",
                   test_migrate_incoming_gate);
  g_test_add_func ("/vmstate1/slirp-helper/migrate/strict",
                   test_migrate_strict);
  g_test_add_func ("/vmstate1/slirp-helper/migrate/identical",
                   test_migrate_identical);
  g_test_add_func ("/vmstate1/slirp-helper/exit/sigterm", test_exit_sigterm);
  g_test_add_func ("/vmstate1/slirp-helper/exit/with-parent",
                   test_exit_with_parent);
  g_test_add_func ("/vmstate1/slirp-helper/exit/peer-closed",
                   test_exit_peer_closed);
  g_test_add_func ("/vmstate1/slirp-helper/rust/from-ours",
                   test_rust_from_ours);
  g_test_add_func ("/vmstate1/slirp-helper/rust/to-ours", test_rust_to_ours);

  return g_test_run ();
}
