/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Any counter helper, whatever its language, run as libvirt runs one
 * (--dbus-address, --dbus-id) and driven as QEMU drives it, through a
 * Vmstate1Vm: its state is a version byte and a big-endian counter, it
 * loads a state it is given and goes on counting from there, and it
 * refuses a state it cannot read with the library's error.
 *   test-counter-contract --tap -- HELPER [ARGS...]  (or $VMSTATE1_CONTRACT_HELPER) */
#include <signal.h>
#include <string.h>
#include <vmstate1.h>

#include "harness/test-bus.h"

typedef TestBusFixture Fixture;

static char **helper_argv;

static guint64
counter_of (GBytes *state)
{
  gsize size;
  const guint8 *bytes = g_bytes_get_data (state, &size);
  guint64 value = 0;

  g_assert_cmpuint (size, ==, 9);
  g_assert_cmpuint (bytes[0], ==, 1);
  for (guint i = 1; i < 9; i++)
    value = (value << 8) | bytes[i];
  return value;
}

static GBytes *
counter_state (guint64 value)
{
  guint8 bytes[9] = { 1 };

  for (guint i = 0; i < 8; i++)
    bytes[1 + i] = (guint8) (value >> (56 - 8 * i));
  return g_bytes_new (bytes, sizeof bytes);
}

static void
test_contract (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(Vmstate1Vm) vm = vmstate1_vm_new (fixture->caller);
  g_autoptr(Vmstate1States) saved = NULL;
  g_autoptr(Vmstate1States) given = vmstate1_states_new ();
  g_autoptr(Vmstate1States) bad = vmstate1_states_new ();
  g_autoptr(Vmstate1States) after = NULL;
  g_autoptr(GBytes) state = counter_state (1000000);
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x09garbage", 8);

  for (guint i = 0; helper_argv[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (helper_argv[i]));
  g_ptr_array_add (argv, g_strdup_printf ("--dbus-address=%s",
                                          test_bus_get_address (fixture->bus)));
  g_ptr_array_add (argv, g_strdup ("--dbus-id=contract"));
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher,
                                          (const char * const *) argv->pdata,
                                          &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "ready: Id 'contract'"));

  saved = vmstate1_vm_save (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vmstate1_states_get_length (saved), ==, 1);
  g_assert_cmpuint (counter_of (vmstate1_states_lookup (saved, "contract")),
                    <, 1000000);

  g_assert_true (vmstate1_states_add (given, "contract", state, &error));
  g_assert_true (vmstate1_vm_load (vm, given, NULL, &error));
  g_assert_no_error (error);
  after = vmstate1_vm_save (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (counter_of (vmstate1_states_lookup (after, "contract")),
                    >=, 1000000);

  /* A state it cannot read: refused with the Id, and it keeps running. */
  g_assert_true (vmstate1_states_add (bad, "contract", garbage, &error));
  g_assert_false (vmstate1_vm_load (vm, bad, NULL, &error));
  g_assert_error (error, VMSTATE1_ERROR, VMSTATE1_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "Id 'contract'"));
  g_clear_error (&error);
  g_clear_pointer (&after, vmstate1_states_unref);
  after = vmstate1_vm_save (vm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (counter_of (vmstate1_states_lookup (after, "contract")),
                    >=, 1000000);

  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait_check (process, NULL, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      helper_argv = &argv[i + 1];
  if (helper_argv == NULL || helper_argv[0] == NULL)
    g_error ("usage: %s [GTEST-OPTIONS] -- HELPER [ARGS...]", argv[0]);

  g_test_add ("/vmstate1/contract/counter", Fixture, NULL,
              test_bus_fixture_setup, test_contract,
              test_bus_fixture_teardown);
  return g_test_run ();
}
