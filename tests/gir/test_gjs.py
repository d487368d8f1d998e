# SPDX-License-Identifier: LGPL-2.1-or-later
"""gir: examples/gjs-helper.js (a Vmstate1.Helper subclass in gjs, started
with connect_async and export_async) answers Save and Load and migrates to
and from the Python and C helpers; vm-test.js drives Vmstate1.Vm and
Vmstate1.States from gjs."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmstate1test import (  # noqa: E402
    ERROR_PREFIX, GLib, Gio, Vmstate1, Bus, Process, call_save, call_load,
    decode_blob, helper_argv, log, unique_name_of)

VM_TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'vm-test.js')


def counter_state(value):
    return GLib.Bytes.new(b'\x01' + value.to_bytes(8, 'big'))


class TestGjsHelper(unittest.TestCase):

    def setUp(self):
        self.bus = Bus()
        self.addCleanup(self.bus.close)
        self.caller = Vmstate1.connect(self.bus.address, None)
        self.addCleanup(self.caller.close_sync, None)

    def spawn(self, kind, helper_id, bus=None, **kwargs):
        bus = bus or self.bus
        process = Process(helper_argv(kind, bus.address, helper_id, **kwargs),
                          '%s %s' % (kind, helper_id))
        self.addCleanup(process.stop)
        return process, unique_name_of(process.wait_for('ready:'))

    def test_load_then_save(self):
        process, name = self.spawn('gjs', 'js', incoming=True, interval=20)
        # Past 2^53: the value is a u64, not a JS number.
        start = 2**64 - 100
        call_load(self.caller, name, counter_state(start))
        self.assertEqual(process.wait_for('loaded counter='),
                         'loaded counter=%d, counting from here' % start)
        process.wait_for('counter=%d' % (start + 3))

        state = call_save(self.caller, name).get_data()
        saved = int(process.wait_for('saved counter=').split('=')[1])
        self.assertGreaterEqual(saved, start + 3)
        self.assertEqual(state, b'\x01' + saved.to_bytes(8, 'big'))
        self.assertEqual(process.stop(), 0)

    def test_malformed_load(self):
        process, name = self.spawn('gjs', 'js', incoming=True)
        with self.assertRaises(GLib.Error) as caught:
            call_load(self.caller, name, GLib.Bytes.new(b'\x02abc'))
        self.assertEqual(Gio.DBusError.get_remote_error(caught.exception),
                         ERROR_PREFIX + 'Malformed')
        self.assertIn("Id 'js'", caught.exception.message)
        self.assertIn('got 4 bytes (version 2)', caught.exception.message)
        # Still waiting, still alive.
        call_load(self.caller, name, counter_state(7))
        process.wait_for('loaded counter=7, counting from here')

    def test_usage_errors(self):
        # Exit status 2 on a usage error, as the C helper.
        for kind in ('gjs', 'python'):
            for bad in (['--bogus'], ['--interval=0']):
                process = Process(helper_argv(kind, self.bus.address, 'x') +
                                  bad, '%s usage' % kind)
                self.assertEqual(process.process.wait(timeout=30), 2)
                process.stop()

    def test_start_failures(self):
        # connect_async and export_async failures end the helper with
        # status 1 and GLib's message, before any "ready" line.
        self.spawn('c', 'taken')
        for kind in ('gjs', 'python'):
            for argv, expected in (
                    (helper_argv(kind, self.bus.address, 'a,b'), "'a,b'"),
                    (helper_argv(kind, self.bus.address, 'taken'),
                     "'taken'"),
                    (helper_argv(kind, 'unix:path=/nonexistent/bus', 'x'),
                     '/nonexistent/bus')):
                process = Process(argv, '%s failure' % kind)
                self.assertEqual(process.process.wait(timeout=30), 1)
                process.stop()
                self.assertFalse([line for line in process.lines
                                  if line.startswith('ready:')])
                self.assertTrue([line for line in process.lines
                                 if expected in line], process.lines)

    def test_three_languages(self):
        # Each state moves to a helper written in another language.
        moves = {'js': 'python', 'py': 'c', 'c': 'gjs'}
        sources = {}
        for helper_id, kind in (('js', 'gjs'), ('py', 'python'), ('c', 'c')):
            sources[helper_id] = self.spawn(kind, helper_id, interval=20)[0]
        for process in sources.values():
            process.wait_for('counter=2')

        states = Vmstate1.Vm.new(self.caller).save(None)
        self.assertEqual(states.dup_ids(), ['c', 'js', 'py'])
        # Through QEMU's bytes, as a migration carries them.
        blob = states.encode()
        self.assertEqual(sorted(decode_blob(blob)), ['c', 'js', 'py'])
        saved = {helper_id: int(p.wait_for('saved counter=').split('=')[1])
                 for helper_id, p in sources.items()}

        dest_bus = Bus()
        self.addCleanup(dest_bus.close)
        dest = Vmstate1.connect(dest_bus.address, None)
        self.addCleanup(dest.close_sync, None)
        targets = {helper_id: self.spawn(kind, helper_id, bus=dest_bus,
                                         incoming=True)[0]
                   for helper_id, kind in moves.items()}
        self.assertTrue(Vmstate1.Vm.new(dest).load(
            Vmstate1.States.decode(blob), None))
        for helper_id, process in targets.items():
            self.assertEqual(process.wait_for('loaded counter='),
                             'loaded counter=%d, counting from here'
                             % saved[helper_id])


    def run_vm_test(self, *args):
        """Runs vm-test.js; returns its check lines after asserting that
        every one passed."""
        result = subprocess.run(
            [os.environ['VMSTATE1_GJS'], VM_TEST] + list(args),
            capture_output=True, text=True, timeout=120)
        for line in result.stdout.splitlines() + result.stderr.splitlines():
            log('vm-test.js: ' + line)
        lines = result.stdout.splitlines()
        failed = [line for line in lines if not line.startswith('ok - ')]
        self.assertEqual(failed, [])
        self.assertEqual(result.returncode, 0, result.stderr)
        return lines

    def test_states_in_gjs(self):
        lines = self.run_vm_test('states')
        self.assertIn('ok - encode known bytes', lines)
        self.assertIn('ok - decode refuses a non-zero trailing byte', lines)
        self.assertGreaterEqual(len(lines), 20)

    def test_vm_in_gjs(self):
        for helper_id in ('alpha', 'beta'):
            self.spawn('c', helper_id, interval=1000)
        lines = self.run_vm_test('vm', self.bus.address)
        self.assertIn('ok - save_async gives States', lines)
        self.assertIn('ok - export_async of a taken Id', lines)
        self.assertIn('ok - list after unexport', lines)


if __name__ == '__main__':
    unittest.main(verbosity=2)
