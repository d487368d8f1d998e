# SPDX-License-Identifier: LGPL-2.1-or-later
"""gir: examples/gjs-helper.js (a Vmstate1.Helper subclass in gjs) answers
Save and Load, and migrates to and from the Python and C helpers."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmstate1test import (  # noqa: E402
    GLib, Gio, Vmstate1, Bus, Process, call_save, call_load, decode_blob,
    helper_argv, unique_name_of)


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
                         'org.qemu.VMState1.Error.Malformed')
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

    @unittest.skipUnless(hasattr(Vmstate1, 'save_all'),
                         'vmstate1_save_all() not in this typelib')
    def test_three_languages(self):
        # Each state moves to a helper written in another language.
        moves = {'js': 'python', 'py': 'c', 'c': 'gjs'}
        sources = {}
        for helper_id, kind in (('js', 'gjs'), ('py', 'python'), ('c', 'c')):
            sources[helper_id] = self.spawn(kind, helper_id, interval=20)[0]
        for process in sources.values():
            process.wait_for('counter=2')

        blob = Vmstate1.save_all(self.caller, None, None)
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
        self.assertTrue(Vmstate1.load_all(dest, blob, None, None))
        for helper_id, process in targets.items():
            self.assertEqual(process.wait_for('loaded counter='),
                             'loaded counter=%d, counting from here'
                             % saved[helper_id])


if __name__ == '__main__':
    unittest.main(verbosity=2)
