# SPDX-License-Identifier: LGPL-2.1-or-later
"""gir: Vmstate1 from Python through the build tree's typelib, on a real
private dbus-daemon: a Helper subclass answers Save and Load, exceptions
reach the caller, and the manager drives helpers written in C."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmstate1test import (  # noqa: E402
    GLib, GObject, Gio, Vmstate1, Bus, Process, call_save, call_load,
    decode_blob, finish_async, helper_argv, log, unique_name_of)


def remote_error(error):
    """The D-Bus error name of a GLib.Error from a call."""
    return Gio.DBusError.get_remote_error(error)


class CounterHelper(Vmstate1.Helper):
    """A Python helper whose behaviour each test sets."""

    def __init__(self, helper_id):
        super().__init__(id=helper_id)
        self.state = GLib.Bytes.new(b'\x01python')
        self.fail_save = None
        self.fail_load = None
        self.loads = []

    def do_save(self, cancellable):
        assert isinstance(cancellable, Gio.Cancellable)
        if self.fail_save is not None:
            raise self.fail_save
        return self.state

    def do_load(self, data, cancellable):
        assert isinstance(data, GLib.Bytes)
        if self.fail_load is not None:
            raise self.fail_load
        self.loads.append(data.get_data())
        self.state = data
        return True


class BusTestCase(unittest.TestCase):
    """A private bus, a caller connection (QEMU's role) and a Python
    helper exported on a connection of its own."""

    def setUp(self):
        self.bus = Bus()
        self.addCleanup(self.bus.close)
        self.caller = Vmstate1.connect(self.bus.address, None)
        self.addCleanup(self.caller.close_sync, None)

    def export(self, helper_id, cls=CounterHelper):
        connection = Vmstate1.connect(self.bus.address, None)
        self.addCleanup(connection.close_sync, None)
        helper = cls(helper_id)
        helper.export(connection)
        self.addCleanup(helper.unexport)
        return helper, connection.get_unique_name()

    def spawn(self, kind, helper_id, **kwargs):
        process = Process(helper_argv(kind, self.bus.address, helper_id,
                                      **kwargs), helper_id)
        self.addCleanup(process.stop)
        return process, unique_name_of(process.wait_for('ready:'))


class TestHelperSubclass(BusTestCase):

    def test_properties(self):
        helper = CounterHelper('props')
        self.assertEqual(helper.get_id(), 'props')
        self.assertEqual(helper.props.id, 'props')
        self.assertFalse(helper.props.exported)
        self.assertIsNone(helper.props.connection)
        connection = Vmstate1.connect(self.bus.address, None)
        self.addCleanup(connection.close_sync, None)
        helper.export(connection)
        self.assertTrue(helper.get_exported())
        self.assertEqual(helper.props.connection, connection)
        helper.unexport()
        self.assertFalse(helper.props.exported)

    def test_new_validates_id(self):
        helper = Vmstate1.Helper.new('fine')
        self.assertEqual(helper.get_id(), 'fine')
        for bad in ('', 'a,b', 'x' * 256):
            with self.assertRaises(GLib.Error) as caught:
                Vmstate1.Helper.new(bad)
            self.assertTrue(caught.exception.matches(
                Vmstate1.error_quark(), Vmstate1.Error.INVALID_ID))
        self.assertTrue(Vmstate1.id_validate('x' * 255))

    def test_save_and_load(self):
        helper, name = self.export('py')
        events = []
        helper.connect('saved', lambda h: events.append('saved'))
        helper.connect('loaded', lambda h: events.append('loaded'))

        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01python')
        call_load(self.caller, name, GLib.Bytes.new(b'\x01restored'))
        self.assertEqual(helper.loads, [b'\x01restored'])
        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01restored')
        self.assertEqual(events, ['saved', 'loaded', 'saved'])

    def test_largest_state(self):
        helper, name = self.export('big')
        big = bytes(range(256)) * (Vmstate1.DATA_MAX_SIZE // 256)
        helper.state = GLib.Bytes.new(big)
        saved = call_save(self.caller, name)
        self.assertEqual(saved.get_size(), Vmstate1.DATA_MAX_SIZE)
        self.assertEqual(saved.get_data(), big)
        call_load(self.caller, name, saved)
        self.assertEqual(helper.loads, [big])

    def test_empty_save_refused(self):
        helper, name = self.export('empty')
        helper.state = GLib.Bytes.new(b'')
        with self.assertRaises(GLib.Error) as caught:
            call_save(self.caller, name)
        self.assertIn('empty state', caught.exception.message)

    def test_gerror_in_load_reaches_caller(self):
        helper, name = self.export('gerror')
        helper.fail_load = GLib.Error.new_literal(
            Gio.io_error_quark(), 'bad magic', Gio.IOErrorEnum.INVALID_DATA)
        with self.assertRaises(GLib.Error) as caught:
            call_load(self.caller, name, GLib.Bytes.new(b'\x01xyz'))
        error = caught.exception
        log('caller got:', error.message)
        self.assertEqual(remote_error(error),
                         'org.qemu.VMState1.Error.LoadFailed')
        self.assertIn("Id 'gerror'", error.message)
        self.assertIn('bad magic', error.message)
        # The helper is unchanged and still answers.
        self.assertEqual(helper.loads, [])
        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01python')

    def test_gerror_in_save_reaches_caller(self):
        helper, name = self.export('gerror-save')
        helper.fail_save = GLib.Error.new_literal(
            Gio.io_error_quark(), 'disk on fire', Gio.IOErrorEnum.FAILED)
        with self.assertRaises(GLib.Error) as caught:
            call_save(self.caller, name)
        self.assertEqual(remote_error(caught.exception),
                         'org.qemu.VMState1.Error.SaveFailed')
        self.assertIn('disk on fire', caught.exception.message)

    def test_vmstate1_error_code_kept(self):
        helper, name = self.export('code')
        helper.fail_load = GLib.Error.new_literal(
            Vmstate1.error_quark(), 'wrong version', Vmstate1.Error.MALFORMED)
        with self.assertRaises(GLib.Error) as caught:
            call_load(self.caller, name, GLib.Bytes.new(b'\x02'))
        # Registered with D-Bus: a GLib peer gets domain and code back.
        self.assertTrue(caught.exception.matches(Vmstate1.error_quark(),
                                                 Vmstate1.Error.MALFORMED))
        self.assertIn('wrong version', caught.exception.message)

    def test_value_error_fails_cleanly(self):
        helper, name = self.export('value')
        helper.fail_load = ValueError('not a counter')
        helper.fail_save = ValueError('no state')
        # PyGObject prints the traceback; the call must still fail.
        with self.assertRaises(GLib.Error) as caught:
            call_load(self.caller, name, GLib.Bytes.new(b'\x01xyz'))
        log('caller got:', caught.exception.message)
        self.assertEqual(remote_error(caught.exception),
                         'org.qemu.VMState1.Error.LoadFailed')
        self.assertIn("Id 'value'", caught.exception.message)
        self.assertIn('uncaught exception', caught.exception.message)
        with self.assertRaises(GLib.Error) as caught:
            call_save(self.caller, name)
        self.assertEqual(remote_error(caught.exception),
                         'org.qemu.VMState1.Error.SaveFailed')
        self.assertIn('uncaught exception', caught.exception.message)
        # Still alive, state unchanged.
        helper.fail_save = None
        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01python')

    def test_save_returning_none_fails_cleanly(self):
        class NoneHelper(Vmstate1.Helper):
            def __init__(self, helper_id):
                super().__init__(id=helper_id)

            def do_save(self, cancellable):
                return None

            def do_load(self, data, cancellable):
                return False

        helper, name = self.export('none', NoneHelper)
        with self.assertRaises(GLib.Error) as caught:
            call_save(self.caller, name)
        self.assertIn('without saying why', caught.exception.message)
        with self.assertRaises(GLib.Error) as caught:
            call_load(self.caller, name, GLib.Bytes.new(b'\x01'))
        self.assertIn('without saying why', caught.exception.message)

    def test_async_vfuncs(self):
        # The asynchronous pair, for a helper that waits on I/O: here a
        # timeout stands for it. The C callback already carries its
        # user_data: give Gio.Task none of its own.
        class AsyncHelper(Vmstate1.Helper):
            def __init__(self, helper_id):
                super().__init__(id=helper_id)
                self.state = GLib.Bytes.new(b'\x01async')

            def do_save_async(self, cancellable, callback, user_data):
                task = Gio.Task.new(self, cancellable, callback)

                def later():
                    task.return_value(GObject.Value(GLib.Bytes, self.state))
                    return GLib.SOURCE_REMOVE
                GLib.timeout_add(20, later)

            def do_save_finish(self, result):
                return result.propagate_value()[1]

            def do_load_async(self, data, cancellable, callback, user_data):
                task = Gio.Task.new(self, cancellable, callback)

                def later():
                    if data.get_size() < 2:
                        task.return_error(GLib.Error.new_literal(
                            Gio.io_error_quark(), 'too short',
                            Gio.IOErrorEnum.INVALID_DATA))
                    else:
                        self.state = data
                        task.return_boolean(True)
                    return GLib.SOURCE_REMOVE
                GLib.timeout_add(20, later)

            def do_load_finish(self, result):
                return result.propagate_boolean()

        helper, name = self.export('async', AsyncHelper)
        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01async')
        call_load(self.caller, name, GLib.Bytes.new(b'\x01later'))
        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01later')
        with self.assertRaises(GLib.Error) as caught:
            call_load(self.caller, name, GLib.Bytes.new(b'\x01'))
        self.assertIn('too short', caught.exception.message)
        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01later')

    def test_one_id_per_connection(self):
        helper, _ = self.export('first')
        other = CounterHelper('second')
        with self.assertRaises(GLib.Error) as caught:
            other.export(helper.get_connection())
        self.assertIn('one place', caught.exception.message)

    def test_duplicate_id(self):
        self.export('twin')
        connection = Vmstate1.connect(self.bus.address, None)
        self.addCleanup(connection.close_sync, None)
        with self.assertRaises(GLib.Error) as caught:
            CounterHelper('twin').export(connection)
        self.assertTrue(caught.exception.matches(
            Vmstate1.error_quark(), Vmstate1.Error.DUPLICATE_ID))

    def test_c_only_api_is_skipped(self):
        # Two callbacks sharing one user_data do not bind: subclass.
        self.assertFalse(hasattr(Vmstate1, 'register'))
        self.assertFalse(hasattr(Vmstate1.Helper, 'set_handlers'))
        self.assertTrue(hasattr(Vmstate1, 'unregister'))


DECODE_CHILD = """
import gc, gi
gi.require_version('Vmstate1', '1.0')
from gi.repository import GLib, Vmstate1
blob = Vmstate1.stream_encode({'a': GLib.Bytes.new(b'\\x01ay'),
                               'b': GLib.Bytes.new(b'\\x01bee')})
for _ in range(3):
    states = Vmstate1.stream_decode(blob)
    values = {k: states.lookup_value(k, None).get_data_as_bytes()
              for k in states.keys()}
    del states
    gc.collect()
print({k: v.get_data() for k, v in sorted(values.items())})
"""


class TestStream(unittest.TestCase):

    def test_encode(self):
        states = {'b': GLib.Bytes.new(b'\x01bee'),
                  'a': GLib.Bytes.new(b'\x01ay')}
        blob = Vmstate1.stream_encode(states)
        # Sorted by Id, big-endian u32 lengths, no padding.
        self.assertEqual(blob.get_data(),
                         b'\x00\x00\x00\x02'
                         b'\x00\x00\x00\x01a\x00\x00\x00\x03\x01ay'
                         b'\x00\x00\x00\x01b\x00\x00\x00\x04\x01bee')
        self.assertEqual(decode_blob(blob), {'a': b'\x01ay', 'b': b'\x01bee'})
        self.assertEqual(
            Vmstate1.stream_decode(Vmstate1.stream_encode({})).unpack(), {})

    # Bindings get vmstate1_stream_decode_variant() under this name: PyGObject
    # 3.42 frees the GBytes values of a returned (transfer full) GHashTable
    # twice. Run in a child process so that a crash, should it come back,
    # cannot take this test process down.
    def test_decode_values(self):
        child = subprocess.run(
            [sys.executable, '-c', DECODE_CHILD], capture_output=True,
            text=True, timeout=30)
        log('decode child exit status %d: %s' % (child.returncode,
                                                 child.stderr.strip()))
        self.assertEqual(child.returncode, 0)
        self.assertEqual(child.stdout, "{'a': b'\\x01ay', 'b': b'\\x01bee'}\n")

    def test_malformed(self):
        with self.assertRaises(GLib.Error) as caught:
            Vmstate1.stream_decode(GLib.Bytes.new(b'\x00\x00\x00\x01\x00'))
        self.assertTrue(caught.exception.matches(
            Vmstate1.error_quark(), Vmstate1.Error.MALFORMED))

    def test_version(self):
        self.assertEqual((Vmstate1.get_major_version(),
                          Vmstate1.get_minor_version(),
                          Vmstate1.get_micro_version()),
                         (Vmstate1.MAJOR_VERSION, Vmstate1.MINOR_VERSION,
                          Vmstate1.MICRO_VERSION))


MANAGER = hasattr(Vmstate1, 'save_all')


@unittest.skipUnless(MANAGER, 'vmstate1_save_all() not in this typelib')
class TestManager(BusTestCase):
    """save_all / load_all from Python, with GLib.Bytes blobs."""

    def test_round_trip_c_helpers(self):
        sources = {}
        for helper_id in ('alpha', 'beta'):
            sources[helper_id] = self.spawn('c', helper_id, interval=20)[0]
        for process in sources.values():
            process.wait_for('counter=3')

        listed = Vmstate1.list_helpers(self.caller, None)
        self.assertEqual(sorted(listed), ['alpha', 'beta'])

        blob = Vmstate1.save_all(self.caller, None, None)
        self.assertIsInstance(blob, GLib.Bytes)
        states = decode_blob(blob)
        self.assertEqual(sorted(states), ['alpha', 'beta'])
        saved = {}
        for helper_id, process in sources.items():
            line = process.wait_for('saved counter=')
            saved[helper_id] = int(line.split('=')[1])
            self.assertEqual(states[helper_id],
                             b'\x01' + saved[helper_id].to_bytes(8, 'big'))

        # The destination: another bus, helpers waiting for their state.
        dest_bus = Bus()
        self.addCleanup(dest_bus.close)
        dest = Vmstate1.connect(dest_bus.address, None)
        self.addCleanup(dest.close_sync, None)
        targets = {}
        for helper_id in ('alpha', 'beta'):
            process = Process(helper_argv('c', dest_bus.address, helper_id,
                                          incoming=True, interval=20),
                              'dest-' + helper_id)
            self.addCleanup(process.stop)
            process.wait_for('ready:')
            targets[helper_id] = process

        self.assertTrue(Vmstate1.load_all(dest, blob, None, None))
        for helper_id, process in targets.items():
            line = process.wait_for('loaded counter=')
            self.assertEqual(line, 'loaded counter=%d, counting from here'
                             % saved[helper_id])

    def test_id_list(self):
        for helper_id in ('alpha', 'beta'):
            self.spawn('c', helper_id, interval=1000)
        blob = Vmstate1.save_all(self.caller, ['beta'], None)
        self.assertEqual(list(decode_blob(blob)), ['beta'])
        with self.assertRaises(GLib.Error) as caught:
            Vmstate1.save_all(self.caller, ['beta', 'gamma'], None)
        self.assertTrue(caught.exception.matches(
            Vmstate1.error_quark(), Vmstate1.Error.MISSING_ID))
        self.assertIn('gamma', caught.exception.message)

    def test_async_with_python_helpers(self):
        # Helpers of this process answer while the _async call runs on
        # the same main context.
        helper, _ = self.export('py-async')
        blob = finish_async(
            lambda cb: Vmstate1.save_all_async(self.caller, None, None, cb),
            Vmstate1.save_all_finish)
        self.assertEqual(decode_blob(blob)['py-async'], b'\x01python')

        new_blob = Vmstate1.stream_encode(
            {'py-async': GLib.Bytes.new(b'\x01again')})
        self.assertTrue(finish_async(
            lambda cb: Vmstate1.load_all_async(self.caller, new_blob, None,
                                               None, cb),
            Vmstate1.load_all_finish))
        self.assertEqual(helper.loads, [b'\x01again'])

        helper.fail_load = GLib.Error.new_literal(
            Gio.io_error_quark(), 'bad magic', Gio.IOErrorEnum.INVALID_DATA)
        with self.assertRaises(GLib.Error) as caught:
            finish_async(
                lambda cb: Vmstate1.load_all_async(self.caller, new_blob,
                                                   None, None, cb),
                Vmstate1.load_all_finish)
        log('load_all_async failed with:', caught.exception.message)
        self.assertIn('py-async', caught.exception.message)
        self.assertIn('bad magic', caught.exception.message)

    def test_python_and_c_helpers_together(self):
        self.export('py')
        process, _ = self.spawn('c', 'c', interval=1000)
        blob = finish_async(
            lambda cb: Vmstate1.save_all_async(self.caller, None, None, cb),
            Vmstate1.save_all_finish)
        self.assertEqual(sorted(decode_blob(blob)), ['c', 'py'])


if __name__ == '__main__':
    if not MANAGER:
        log('SKIP manager cases: Vmstate1.save_all is not in the typelib')
    unittest.main(verbosity=2)
