# SPDX-License-Identifier: LGPL-2.1-or-later
"""qemu: examples/python-helper.py migrated by a real qemu-system-x86_64,
to and from the C counter helper (and the gjs one): the state QEMU saved
on the source arrives on the destination. Vmstate1.States reads it back
out of QEMU's migration stream, and a Vmstate1.Vm loads it."""

import os
import shlex
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmstate1test import (  # noqa: E402
    GLib, Gio, Vmstate1, Bus, Process, Qemu, finish_async, helper_argv, log)


def counter_state(value):
    return b'\x01' + value.to_bytes(8, 'big')


def read_migration(path, asynchronous=False):
    """Vmstate1.States.read_migration() of a file, or None (and a log
    line) when the library does not have it yet."""
    stream = Gio.File.new_for_path(path).read(None)
    try:
        if asynchronous:
            return finish_async(
                lambda cb: Vmstate1.States.read_migration_async(stream, None,
                                                                cb),
                Vmstate1.States.read_migration_finish)
        return Vmstate1.States.read_migration(stream, None)
    finally:
        stream.close(None)


PROGRAMS = {'c': 'counter-helper', 'python': 'python-helper.py',
            'gjs': 'gjs-helper.js'}


class TestQemuMigration(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix='vmstate1-gir-qemu-')
        self.addCleanup(self.dir.cleanup)
        self.outputs = []

    def tearDown(self):
        # The helpers' output, for the test log.
        for name, lines in self.outputs:
            print('--- %s' % name)
            for line in lines:
                print('    ' + line)
        sys.stdout.flush()

    def start_helper(self, kind, role, bus, **kwargs):
        name = '%s (%s)' % (PROGRAMS[kind], role)
        process = Process(helper_argv(kind, bus.address, 'counter', **kwargs),
                          name)
        self.addCleanup(process.stop)
        self.outputs.append((name, process.lines))
        process.wait_for('ready:')
        return process

    def start_qemu(self, bus, **kwargs):
        qemu = Qemu(bus.address, **kwargs)
        self.addCleanup(qemu.close)
        return qemu

    def migrate(self, source_kind, dest_kind):
        stream = os.path.join(self.dir.name, 'migration.bin')

        source_bus = Bus()
        self.addCleanup(source_bus.close)
        source = self.start_helper(source_kind, 'source', source_bus,
                                   interval=50)
        source.wait_for('counter=3')
        source_qemu = self.start_qemu(source_bus)
        status, error = source_qemu.migrate('exec:cat > ' +
                                            shlex.quote(stream))
        self.assertEqual(status, 'completed', error)
        saved = source.wait_for('saved counter=')
        value = int(saved.split('=')[1])
        self.assertGreaterEqual(value, 3)

        dest_bus = Bus()
        self.addCleanup(dest_bus.close)
        dest = self.start_helper(dest_kind, 'destination', dest_bus,
                                 incoming=True, interval=50)
        dest_qemu = self.start_qemu(dest_bus,
                                    incoming='exec:cat ' + shlex.quote(stream))
        status, error = dest_qemu.wait_migration()
        self.assertEqual(status, 'completed', error)
        self.assertEqual(dest.wait_for('loaded counter='),
                         'loaded counter=%d, counting from here' % value)
        # It resumes counting from the migrated value.
        self.assertEqual(dest.wait_for('counter='),
                         'counter=%d' % (value + 1))
        self.assertEqual(source.stop(), 0)
        self.assertEqual(dest.stop(), 0)
        return stream, value

    def test_python_to_c(self):
        self.migrate('python', 'c')

    def test_c_to_python(self):
        self.migrate('c', 'python')

    def test_python_to_python(self):
        self.migrate('python', 'python')

    def test_read_migration_then_load(self):
        # QEMU's own stream, read by the library, loaded by a Vm into a
        # helper that waits for it: the migration without the destination
        # QEMU.
        stream, value = self.migrate('python', 'python')
        for asynchronous in (False, True):
            try:
                states = read_migration(stream, asynchronous)
            except GLib.Error as e:
                if 'Could not locate' in e.message:
                    self.skipTest('vmstate1_states_read_migration() is not '
                                  'in the library yet: %s' % e.message)
                raise
            self.assertEqual(states.dup_ids(), ['counter'])
            self.assertEqual(states.lookup('counter').get_data(),
                             counter_state(value))

        bus = Bus()
        self.addCleanup(bus.close)
        dest = self.start_helper('python', 'destination of a Vm', bus,
                                 incoming=True, interval=50)
        connection = Vmstate1.connect(bus.address, None)
        self.addCleanup(connection.close_sync, None)
        vm = Vmstate1.Vm.new(connection)
        vm.set_id_list(['counter'])
        self.assertTrue(vm.load(states, None))
        self.assertEqual(dest.wait_for('loaded counter='),
                         'loaded counter=%d, counting from here' % value)

    def test_read_migration_of_a_stream_without_helpers(self):
        # A migration with no helper on the bus: QEMU writes the section
        # with no entries.
        stream = os.path.join(self.dir.name, 'empty.bin')
        bus = Bus()
        self.addCleanup(bus.close)
        qemu = self.start_qemu(bus)
        status, error = qemu.migrate('exec:cat > ' + shlex.quote(stream))
        if status != 'completed':
            # QEMU 7.2 fails a migration with no helper; nothing to read.
            log('QEMU did not migrate without helpers:', error)
            self.skipTest('QEMU refuses a migration with no helper')
        try:
            states = read_migration(stream)
        except GLib.Error as e:
            if 'Could not locate' in e.message:
                self.skipTest('vmstate1_states_read_migration() is not in '
                              'the library yet')
            raise
        self.assertEqual(states.get_length(), 0)

    def test_python_to_gjs(self):
        if not os.environ.get('VMSTATE1_GJS'):
            self.skipTest('gjs not found')
        self.migrate('python', 'gjs')


if __name__ == '__main__':
    unittest.main(verbosity=2)
