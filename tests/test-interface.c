/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: QEMU's Id rules and how errors cross the bus. */
#include <string.h>
#include <vmstate1.h>

static void
assert_invalid (const char *id,
                const char *expected_words)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (vmstate1_id_validate (id, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  if (strstr (error->message, expected_words) == NULL)
    g_error ("message '%s' does not say '%s'", error->message, expected_words);
}

static void
test_id_rules (void)
{
  g_autofree char *longest = g_strnfill (VMSTATE1_ID_MAX_LEN, 'a');
  g_autofree char *too_long = g_strnfill (VMSTATE1_ID_MAX_LEN + 1, 'a');
  g_autoptr(GError) error = NULL;

  g_assert_true (vmstate1_id_validate ("slirp-52:54:00:12:34:56", &error));
  g_assert_no_error (error);
  g_assert_true (vmstate1_id_validate ("x", NULL));
  g_assert_true (vmstate1_id_validate (longest, NULL));
  g_assert_true (vmstate1_id_validate ("état-ü", NULL));

  assert_invalid (NULL, "empty");
  assert_invalid ("", "empty");
  assert_invalid (too_long, "256 bytes");
  assert_invalid (too_long, "at most 255");
  assert_invalid ("bad\xff", "UTF-8");
  assert_invalid ("a,b", "contains ','");
}

static void
test_helper_new_checks_id (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Vmstate1Helper) helper = NULL;

  g_assert_null (vmstate1_helper_new ("a,b", &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_INVALID_ID);
  g_clear_error (&error);

  helper = vmstate1_helper_new ("ok", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vmstate1_helper_get_id (helper), ==, "ok");
  g_assert_false (vmstate1_helper_get_exported (helper));
  g_assert_null (vmstate1_helper_get_connection (helper));
}

static void
test_error_names (void)
{
  static const struct {
    Vmstate1Error code;
    const char *name;
  } expected[] = {
    { VMSTATE1_ERROR_FAILED, "org.qemu.VMState1.Error.Failed" },
    { VMSTATE1_ERROR_INVALID_ID, "org.qemu.VMState1.Error.InvalidId" },
    { VMSTATE1_ERROR_DUPLICATE_ID, "org.qemu.VMState1.Error.DuplicateId" },
    { VMSTATE1_ERROR_MISSING_ID, "org.qemu.VMState1.Error.MissingId" },
    { VMSTATE1_ERROR_TOO_LARGE, "org.qemu.VMState1.Error.TooLarge" },
    { VMSTATE1_ERROR_MALFORMED, "org.qemu.VMState1.Error.Malformed" },
    { VMSTATE1_ERROR_SAVE_FAILED, "org.qemu.VMState1.Error.SaveFailed" },
    { VMSTATE1_ERROR_LOAD_FAILED, "org.qemu.VMState1.Error.LoadFailed" },
    { VMSTATE1_ERROR_ACCESS_DENIED, "org.qemu.VMState1.Error.AccessDenied" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GError) error = g_error_new (VMSTATE1_ERROR, expected[i].code,
                                             "Id 'x': message %zu", i);
      g_autofree char *name = g_dbus_error_encode_gerror (error);
      g_autofree char *message = g_strdup_printf ("Id 'x': message %zu", i);
      g_autoptr(GError) back = NULL;

      g_assert_cmpstr (name, ==, expected[i].name);
      /* What a GLib peer rebuilds from the name and message on the wire. */
      back = g_dbus_error_new_for_dbus_error (name, message);
      g_assert_error (back, VMSTATE1_ERROR, (int) expected[i].code);
      g_assert_true (g_dbus_error_is_remote_error (back));
      g_dbus_error_strip_remote_error (back);
      g_assert_cmpstr (back->message, ==, message);
    }
}

static void
test_version (void)
{
  g_assert_cmpuint (vmstate1_get_major_version (), ==, VMSTATE1_MAJOR_VERSION);
  g_assert_cmpuint (vmstate1_get_minor_version (), ==, VMSTATE1_MINOR_VERSION);
  g_assert_cmpuint (vmstate1_get_micro_version (), ==, VMSTATE1_MICRO_VERSION);
  g_assert_true (VMSTATE1_CHECK_VERSION (0, 1, 0));
  g_assert_false (VMSTATE1_CHECK_VERSION (99, 0, 0));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vmstate1/interface/id-rules", test_id_rules);
  g_test_add_func ("/vmstate1/interface/helper-new-checks-id",
                   test_helper_new_checks_id);
  g_test_add_func ("/vmstate1/error/dbus-names", test_error_names);
  g_test_add_func ("/vmstate1/version", test_version);

  return g_test_run ();
}
