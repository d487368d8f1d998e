/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Caller authorization: who may call a helper's Save and Load, checked
 * with the bus's credentials, on a real private dbus-daemon. */
#include <string.h>
#include <unistd.h>
#include <vmstate1.h>

#include "harness/test-bus.h"
#include "harness/test-log.h"
#include "harness/test-recorder.h"

#define PEER_PREFIX "org.example.Qemu"

typedef struct
{
  TestBusFixture base;
  TestRecorder *recorder;   /* owned by the helper */
  Vmstate1Helper *helper;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* A bus where a caller may own names under PEER_PREFIX. */
  fixture->base.bus = test_bus_new (PEER_PREFIX, &error);
  g_assert_no_error (error);
  fixture->base.caller = vmstate1_connect (
      test_bus_get_address (fixture->base.bus), NULL, &error);
  g_assert_no_error (error);
  fixture->recorder = test_recorder_new_text ("guarded state");
  fixture->helper = test_recorder_start (
      test_bus_get_address (fixture->base.bus), "guarded", fixture->recorder);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  test_recorder_stop (fixture->helper);
  test_bus_fixture_teardown (&fixture->base, data);
}

static const char *
helper_name (Fixture *fixture)
{
  return g_dbus_connection_get_unique_name (
      vmstate1_helper_get_connection (fixture->helper));
}

static gboolean
call (Fixture          *fixture,
      GDBusConnection  *connection,
      const char       *method,
      GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *parameters = NULL;

  if (g_str_equal (method, "Load"))
    parameters = g_variant_new ("(@ay)",
                                g_variant_new_bytestring ("replacement"));
  reply = test_call (connection, helper_name (fixture), VMSTATE1_OBJECT_PATH,
                     VMSTATE1_INTERFACE, method, parameters, NULL, 5000, error);
  return reply != NULL;
}

static void
assert_denied (Fixture         *fixture,
               GDBusConnection *connection,
               const char      *method)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *remote = NULL;

  test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO,
                         "Id 'guarded': caller * may not call *");
  g_assert_false (call (fixture, connection, method, &error));
  test_log_assert_expected ();
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.libvmstate1.Error.AccessDenied");
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_ACCESS_DENIED);
  if (strstr (error->message, method) == NULL
      || strstr (error->message,
                 g_dbus_connection_get_unique_name (connection)) == NULL)
    g_error ("'%s' does not name the caller and the method", error->message);
  /* Nothing changed. */
  g_assert_cmpuint (fixture->recorder->saves, ==, 0);
  g_assert_cmpuint (fixture->recorder->loads, ==, 0);
  g_assert_null (fixture->recorder->loaded);
}

static void
test_open_by_default (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (call (fixture, fixture->base.caller, "Save", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->recorder->saves, ==, 1);
}

static void
test_uid (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ours = g_strdup_printf ("uid %u", (guint) getuid ());
  guint32 other = getuid () == 4242 ? 4243 : 4242;

  vmstate1_helper_allow_uid (fixture->helper, other);
  assert_denied (fixture, fixture->base.caller, "Save");
  assert_denied (fixture, fixture->base.caller, "Load");

  /* The message says who called and what is allowed. */
  test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO, "*");
  g_assert_false (call (fixture, fixture->base.caller, "Save", &error));
  test_log_assert_expected ();
  g_assert_nonnull (strstr (error->message, ours));
  g_assert_nonnull (strstr (error->message, "allows only uid 424"));
  g_clear_error (&error);

  /* The Id stays readable: QEMU lists helpers before it calls them. */
  {
    g_autoptr(GVariant) id = test_call (fixture->base.caller, helper_name (fixture),
                                        VMSTATE1_OBJECT_PATH,
                                        "org.freedesktop.DBus.Properties",
                                        "Get",
                                        g_variant_new ("(ss)",
                                                       VMSTATE1_INTERFACE,
                                                       "Id"),
                                        NULL, 5000, &error);
    g_assert_no_error (error);
  }

  vmstate1_helper_allow_uid (fixture->helper, getuid ());
  g_assert_true (call (fixture, fixture->base.caller, "Load", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->recorder->loads, ==, 1);
}

static void
test_bus_name (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) qemu = NULL;
  g_autoptr(GDBusConnection) intruder = NULL;
  g_autoptr(GVariant) reply = NULL;

  qemu = vmstate1_connect (test_bus_get_address (fixture->base.bus), NULL, &error);
  intruder = vmstate1_connect (test_bus_get_address (fixture->base.bus), NULL,
                               &error);
  g_assert_no_error (error);

  /* By unique name. */
  vmstate1_helper_allow_bus_name (fixture->helper,
                                  g_dbus_connection_get_unique_name (fixture->base.caller));
  assert_denied (fixture, intruder, "Save");
  g_assert_true (call (fixture, fixture->base.caller, "Save", &error));
  g_assert_no_error (error);
  fixture->recorder->saves = 0;

  /* By well-known name: only while the caller owns it. */
  vmstate1_helper_allow_bus_name (fixture->helper, PEER_PREFIX ".Vm1");
  assert_denied (fixture, qemu, "Save");
  reply = test_call (qemu, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                     "org.freedesktop.DBus", "RequestName",
                     g_variant_new ("(su)", PEER_PREFIX ".Vm1", 4),
                     G_VARIANT_TYPE ("(u)"), 5000, &error);
  g_assert_no_error (error);
  g_assert_true (call (fixture, qemu, "Save", &error));
  g_assert_no_error (error);
  fixture->recorder->saves = 0;
  assert_denied (fixture, intruder, "Load");
}

/* A caller running as another user, as QEMU runs as its own user. */
static void
test_other_uid (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gboolean saved;

  if (!test_require_root ())
    return;

  vmstate1_helper_allow_uid (fixture->helper, 0);
  test_log_expect ("Vmstate1", G_LOG_LEVEL_INFO,
                         "Id 'guarded': caller * (uid 65534) may not call "
                         "Save; this helper allows only uid 0");
  saved = test_save_as_nobody (fixture->base.bus, helper_name (fixture),
                               &out, &err);
  test_log_assert_expected ();
  g_assert_false (saved);
  if (strstr (err, "org.libvmstate1.Error.AccessDenied") == NULL)
    g_error ("dbus-send as nobody was not denied: %s%s", out, err);
  g_assert_cmpuint (fixture->recorder->saves, ==, 0);

  /* Root, which the helper allows, still gets the state. */
  g_assert_true (call (fixture, fixture->base.caller, "Save", &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_log_init ();

#define ADD(path, func) \
  g_test_add ("/vmstate1/access/" path, Fixture, NULL, fixture_setup, func, \
              fixture_teardown)

  ADD ("open-by-default", test_open_by_default);
  ADD ("uid", test_uid);
  ADD ("bus-name", test_bus_name);
  ADD ("other-uid", test_other_uid);

#undef ADD

  return g_test_run ();
}
