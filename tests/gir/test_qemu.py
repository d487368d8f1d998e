# SPDX-License-Identifier: LGPL-2.1-or-later
"""qemu: examples/python-helper.py migrated by a real qemu-system-x86_64,
to and from the C counter helper (and the gjs one): the state QEMU saved
on the source arrives on the destination."""

import os
import shlex
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmstate1test import Bus, Process, Qemu, helper_argv  # noqa: E402


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

    def test_python_to_c(self):
        self.migrate('python', 'c')

    def test_c_to_python(self):
        self.migrate('c', 'python')

    def test_python_to_python(self):
        self.migrate('python', 'python')

    def test_python_to_gjs(self):
        if not os.environ.get('VMSTATE1_GJS'):
            self.skipTest('gjs not found')
        self.migrate('python', 'gjs')


if __name__ == '__main__':
    unittest.main(verbosity=2)
