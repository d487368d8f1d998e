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

/* Every code, with the D-Bus name any peer (QEMU included) sees for it:
 * this project's namespace, not org.qemu. (QEMU reserves it). */
static const struct {
  Vmstate1Error code;
  const char *name;
  const char *value_name;
  const char *nick;
} error_codes[] = {
  { VMSTATE1_ERROR_FAILED, "org.libvmstate1.Error.Failed",
    "VMSTATE1_ERROR_FAILED", "failed" },
  { VMSTATE1_ERROR_INVALID_ID, "org.libvmstate1.Error.InvalidId",
    "VMSTATE1_ERROR_INVALID_ID", "invalid-id" },
  { VMSTATE1_ERROR_DUPLICATE_ID, "org.libvmstate1.Error.DuplicateId",
    "VMSTATE1_ERROR_DUPLICATE_ID", "duplicate-id" },
  { VMSTATE1_ERROR_MISSING_ID, "org.libvmstate1.Error.MissingId",
    "VMSTATE1_ERROR_MISSING_ID", "missing-id" },
  { VMSTATE1_ERROR_TOO_LARGE, "org.libvmstate1.Error.TooLarge",
    "VMSTATE1_ERROR_TOO_LARGE", "too-large" },
  { VMSTATE1_ERROR_MALFORMED, "org.libvmstate1.Error.Malformed",
    "VMSTATE1_ERROR_MALFORMED", "malformed" },
  { VMSTATE1_ERROR_SAVE_FAILED, "org.libvmstate1.Error.SaveFailed",
    "VMSTATE1_ERROR_SAVE_FAILED", "save-failed" },
  { VMSTATE1_ERROR_LOAD_FAILED, "org.libvmstate1.Error.LoadFailed",
    "VMSTATE1_ERROR_LOAD_FAILED", "load-failed" },
  { VMSTATE1_ERROR_ACCESS_DENIED, "org.libvmstate1.Error.AccessDenied",
    "VMSTATE1_ERROR_ACCESS_DENIED", "access-denied" },
  { VMSTATE1_ERROR_TIMED_OUT, "org.libvmstate1.Error.TimedOut",
    "VMSTATE1_ERROR_TIMED_OUT", "timed-out" },
};

static void
test_error_names (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_codes); i++)
    {
      g_autoptr(GError) error = g_error_new (VMSTATE1_ERROR,
                                             error_codes[i].code,
                                             "Id 'x': message %zu", i);
      g_autofree char *name = g_dbus_error_encode_gerror (error);
      g_autofree char *message = g_strdup_printf ("Id 'x': message %zu", i);
      g_autoptr(GError) back = NULL;
      g_autofree char *remote = NULL;

      g_assert_cmpstr (name, ==, error_codes[i].name);
      /* What a GLib peer rebuilds from the name and message on the wire. */
      back = g_dbus_error_new_for_dbus_error (name, message);
      g_assert_error (back, VMSTATE1_ERROR, (int) error_codes[i].code);
      g_assert_true (g_dbus_error_is_remote_error (back));
      remote = g_dbus_error_get_remote_error (back);
      g_assert_cmpstr (remote, ==, error_codes[i].name);
      g_dbus_error_strip_remote_error (back);
      g_assert_cmpstr (back->message, ==, message);
    }
}

/* VMSTATE1_TYPE_ERROR, or G_TYPE_INVALID where vmstate1-enum-types.h
 * lacks it: glib-mkenums splits "Vmstate1Error" at the digit and names
 * the type VMSTATE_TYPE_1_ERROR unless the enum says its underscore_name.
 * The tests then fail instead of the whole build. */
static GType
error_type (void)
{
#ifdef VMSTATE1_TYPE_ERROR
  g_assert_true (vmstate1_error_get_type () == VMSTATE1_TYPE_ERROR);
  return VMSTATE1_TYPE_ERROR;
#else
  g_test_fail_printf ("<vmstate1.h> declares no VMSTATE1_TYPE_ERROR "
                      "(vmstate1_error_get_type)");
  return G_TYPE_INVALID;
#endif
}

/* Every code the enum type knows has a D-Bus name of its own, and the
 * name comes back as that code: a code added without a name would cross
 * the bus as org.gtk.GDBus.UnmappedGError. */
static void
test_error_names_every_code (void)
{
  GType type = error_type ();
  g_autoptr(GEnumClass) klass = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash,
                                                       g_str_equal,
                                                       g_free, NULL);

  if (type == G_TYPE_INVALID)
    return;
  klass = g_type_class_ref (type);
  g_assert_cmpuint (klass->n_values, ==, G_N_ELEMENTS (error_codes));
  for (guint i = 0; i < klass->n_values; i++)
    {
      int code = klass->values[i].value;
      g_autoptr(GError) error = g_error_new_literal (VMSTATE1_ERROR, code,
                                                     "m");
      char *name = g_dbus_error_encode_gerror (error);
      g_autoptr(GError) back = g_dbus_error_new_for_dbus_error (name, "m");

      g_test_message ("%s -> %s", klass->values[i].value_name, name);
      g_assert_true (g_str_has_prefix (name, "org.libvmstate1.Error."));
      g_assert_true (g_dbus_is_interface_name (name));
      g_assert_error (back, VMSTATE1_ERROR, code);
      /* One name per code. */
      g_assert_false (g_hash_table_contains (names, name));
      g_hash_table_add (names, name);
    }
}

static void
test_error_enum_type (void)
{
  GType type = error_type ();
  g_autoptr(GEnumClass) klass = NULL;

  if (type == G_TYPE_INVALID)
    return;
  g_assert_true (G_TYPE_IS_ENUM (type));
  g_assert_cmpstr (g_type_name (type), ==, "Vmstate1Error");

  klass = g_type_class_ref (type);
  g_assert_cmpuint (klass->n_values, ==, G_N_ELEMENTS (error_codes));
  g_assert_cmpint (klass->minimum, ==, VMSTATE1_ERROR_FAILED);
  g_assert_cmpint (klass->maximum, ==, VMSTATE1_ERROR_TIMED_OUT);
  for (gsize i = 0; i < G_N_ELEMENTS (error_codes); i++)
    {
      GEnumValue *value = g_enum_get_value (klass, error_codes[i].code);

      g_assert_nonnull (value);
      g_assert_cmpstr (value->value_name, ==, error_codes[i].value_name);
      g_assert_cmpstr (value->value_nick, ==, error_codes[i].nick);
      g_assert_true (g_enum_get_value_by_nick (klass, error_codes[i].nick)
                     == value);
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
  g_test_add_func ("/vmstate1/error/dbus-names-every-code",
                   test_error_names_every_code);
  g_test_add_func ("/vmstate1/error/enum-type", test_error_enum_type);
  g_test_add_func ("/vmstate1/version", test_version);

  return g_test_run ();
}
