# SPDX-License-Identifier: LGPL-2.1-or-later
"""gir: Vmstate1 from Python through the build tree's typelib, on a real
private dbus-daemon: a Helper subclass answers Save and Load, exceptions
reach the caller, Vmstate1.States reads and writes QEMU's blob, and a
Vmstate1.Vm drives helpers written in C and in Python."""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmstate1test import (  # noqa: E402
    ERROR_PREFIX, GLib, GObject, Gio, Vmstate1, Bus, Process, call_save,
    call_load, decode_blob, finish_async, helper_argv, log, make_states,
    states_dict, unique_name_of)


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
                         ERROR_PREFIX + 'LoadFailed')
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
                         ERROR_PREFIX + 'SaveFailed')
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
                         ERROR_PREFIX + 'LoadFailed')
        self.assertIn("Id 'value'", caught.exception.message)
        self.assertIn('uncaught exception', caught.exception.message)
        with self.assertRaises(GLib.Error) as caught:
            call_save(self.caller, name)
        self.assertEqual(remote_error(caught.exception),
                         ERROR_PREFIX + 'SaveFailed')
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


class TestHelperExport(BusTestCase):
    """0.2: exporting without blocking the main loop, unexport at once,
    the duplicate-Id check that timing cannot beat, access per caller."""

    def connection(self):
        connection = Vmstate1.connect(self.bus.address, None)
        self.addCleanup(connection.close_sync, None)
        return connection

    def export_async(self, helper, connection):
        return finish_async(
            lambda cb: helper.export_async(connection, None, cb),
            helper.export_finish)

    def test_export_async(self):
        connection = self.connection()
        helper = CounterHelper('async-export')
        self.addCleanup(helper.unexport)
        self.assertTrue(self.export_async(helper, connection))
        self.assertTrue(helper.props.exported)
        self.assertEqual(helper.get_connection(), connection)
        # In the queue once it has finished: a caller sees it at once.
        self.assertEqual(call_save(self.caller,
                                   connection.get_unique_name()).get_data(),
                         b'\x01python')

    def test_export_async_errors(self):
        first = CounterHelper('taken')
        self.addCleanup(first.unexport)
        self.assertTrue(self.export_async(first, self.connection()))
        second = CounterHelper('taken')
        with self.assertRaises(GLib.Error) as caught:
            self.export_async(second, self.connection())
        self.assertTrue(caught.exception.matches(
            Vmstate1.error_quark(), Vmstate1.Error.DUPLICATE_ID))
        self.assertIn("'taken'", caught.exception.message)
        self.assertFalse(second.props.exported)

        cancellable = Gio.Cancellable()
        cancellable.cancel()
        third = CounterHelper('cancelled')
        with self.assertRaises(GLib.Error) as caught:
            finish_async(
                lambda cb: third.export_async(self.connection(), cancellable,
                                              cb),
                third.export_finish)
        self.assertTrue(caught.exception.matches(
            Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
        self.assertFalse(third.props.exported)

    def test_duplicate_race(self):
        # Two helpers export one Id at the same moment, on two connections
        # of this process: exactly one wins, whatever the timing.
        for attempt in range(5):
            helper_id = 'race-%d' % attempt
            helpers = [CounterHelper(helper_id), CounterHelper(helper_id)]
            for helper in helpers:
                self.addCleanup(helper.unexport)
            connections = [self.connection(), self.connection()]
            loop = GLib.MainLoop()
            outcomes = {}

            def on_ready(helper, result, index):
                try:
                    outcomes[index] = helper.export_finish(result)
                except GLib.Error as e:
                    outcomes[index] = e
                if len(outcomes) == 2:
                    loop.quit()

            for index, helper in enumerate(helpers):
                helper.export_async(connections[index], None, on_ready,
                                    index)
            timer = GLib.timeout_add_seconds(30, loop.quit)
            loop.run()
            GLib.source_remove(timer)
            self.assertEqual(len(outcomes), 2)
            winners = [i for i, o in outcomes.items() if o is True]
            losers = [o for o in outcomes.values() if o is not True]
            self.assertEqual(len(winners), 1, outcomes)
            self.assertTrue(losers[0].matches(Vmstate1.error_quark(),
                                              Vmstate1.Error.DUPLICATE_ID),
                            losers[0].message)
            vm = Vmstate1.Vm.new(self.caller)
            vm.set_id_list([helper_id])
            listed = finish_async(lambda cb: vm.list_helpers_async(None, cb),
                                  vm.list_helpers_finish)
            self.assertEqual(
                [info.get_unique_name() for info in listed],
                [connections[winners[0]].get_unique_name()])

    def test_unexport_returns_at_once(self):
        helper, name = self.export('leaving')
        self.assertEqual(call_save(self.caller, name).get_data(),
                         b'\x01python')
        calls = []
        helper.connect('saved', lambda h: calls.append('saved'))
        started = time.monotonic()
        helper.unexport()
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertFalse(helper.props.exported)
        # No Save reaches it after unexport.
        helper.fail_save = AssertionError('Save after unexport')
        with self.assertRaises(GLib.Error):
            call_save(self.caller, name)
        self.assertEqual(calls, [])
        # The Id is free again, on another connection.
        again = CounterHelper('leaving')
        self.addCleanup(again.unexport)
        self.assertTrue(self.export_async(again, self.connection()))

    def test_access_per_caller(self):
        allowed = self.connection()
        helper = CounterHelper('guarded')
        helper.allow_bus_name(allowed.get_unique_name())
        connection = self.connection()
        helper.export(connection)
        self.addCleanup(helper.unexport)
        name = connection.get_unique_name()
        with self.assertRaises(GLib.Error) as caught:
            call_save(self.caller, name)
        log('refused caller got:', caught.exception.message)
        self.assertEqual(remote_error(caught.exception),
                         ERROR_PREFIX + 'AccessDenied')
        self.assertTrue(caught.exception.matches(
            Vmstate1.error_quark(), Vmstate1.Error.ACCESS_DENIED))
        with self.assertRaises(GLib.Error):
            call_load(self.caller, name, GLib.Bytes.new(b'\x01evil'))
        self.assertEqual(helper.loads, [])
        self.assertEqual(call_save(allowed, name).get_data(), b'\x01python')


class TestConnect(unittest.TestCase):

    def setUp(self):
        self.bus = Bus()
        self.addCleanup(self.bus.close)

    def test_connect_async(self):
        connection = finish_async(
            lambda cb: Vmstate1.connect_async(self.bus.address, None, cb),
            Vmstate1.connect_finish)
        self.addCleanup(connection.close_sync, None)
        self.assertIsInstance(connection, Gio.DBusConnection)
        self.assertTrue(connection.get_unique_name().startswith(':'))
        self.assertFalse(connection.is_closed())

    def test_connect_refused_keeps_gio_error(self):
        address = 'unix:path=' + os.path.join(self.bus.dir, 'nobody-here')
        with self.assertRaises(GLib.Error) as caught:
            finish_async(lambda cb: Vmstate1.connect_async(address, None, cb),
                         Vmstate1.connect_finish)
        log('connect to nothing:', caught.exception.message)
        self.assertEqual(caught.exception.domain, 'g-io-error-quark')
        self.assertIn('nobody-here', caught.exception.message)

    def test_connect_to_stopped_bus_times_out(self):
        # A dbus-daemon that accepts and never answers.
        pid = self.bus.daemon.pid
        os.kill(pid, signal.SIGSTOP)
        self.addCleanup(os.kill, pid, signal.SIGCONT)
        started = time.monotonic()
        for connect in ('async', 'sync'):
            with self.assertRaises(GLib.Error) as caught:
                if connect == 'async':
                    finish_async(
                        lambda cb: Vmstate1.connect_async(self.bus.address,
                                                          None, cb),
                        Vmstate1.connect_finish, timeout=60)
                else:
                    Vmstate1.connect(self.bus.address, None)
            log('%s connect to a stopped bus:' % connect,
                caught.exception.message)
            self.assertTrue(caught.exception.matches(
                Vmstate1.error_quark(), Vmstate1.Error.TIMED_OUT))
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed,
                                2 * Vmstate1.DEFAULT_TIMEOUT_MSEC / 1000 - 0.5)
        self.assertLess(elapsed, 2 * Vmstate1.DEFAULT_TIMEOUT_MSEC / 1000 + 10)


KNOWN = {'a': b'xy', 'bc': b''}
KNOWN_BLOB = bytes.fromhex('00000002' '00000001' '61' '00000002' '7879'
                           '00000002' '6263' '00000000')


class TestStates(unittest.TestCase):

    def test_encode_known_bytes(self):
        self.assertEqual(len(KNOWN_BLOB), 25)
        states = Vmstate1.States.new()
        # Added out of order: the blob is in Id order anyway.
        self.assertTrue(states.add('bc', GLib.Bytes.new(b'')))
        self.assertTrue(states.add('a', GLib.Bytes.new(b'xy')))
        self.assertEqual(states.get_length(), 2)
        self.assertEqual(states.dup_ids(), ['a', 'bc'])
        self.assertEqual(states.encode().get_data(), KNOWN_BLOB)
        self.assertEqual(decode_blob(states.encode()), KNOWN)
        self.assertEqual(Vmstate1.States.new().encode().get_data(),
                         b'\x00' * 4)

    def test_decode_known_bytes(self):
        states = Vmstate1.States.decode(GLib.Bytes.new(KNOWN_BLOB))
        self.assertIsInstance(states, Vmstate1.States)
        self.assertEqual(states.get_length(), 2)
        self.assertEqual(states_dict(states), KNOWN)
        self.assertEqual(states.lookup('a').get_data(), b'xy')
        self.assertEqual(states.lookup('bc').get_size(), 0)
        self.assertIsNone(states.lookup('nobody'))
        self.assertEqual(states.encode().get_data(), KNOWN_BLOB)

    def test_round_trip(self):
        source = {'slirp-52:54:00:12:34:56': b'\x01' + bytes(range(256)) * 3,
                  'counter': b'\x01\x00\x00\x00\x00\x00\x00\x00\x2a',
                  'a,b': b'\x02comma ok on the wire',
                  '\u00e9t\u00e9': b'\x01utf-8'}
        blob = make_states(source).encode()
        self.assertEqual(decode_blob(blob), source)
        self.assertEqual(states_dict(Vmstate1.States.decode(blob)), source)
        self.assertEqual(Vmstate1.States.decode(blob).dup_ids(),
                         sorted(source, key=lambda i: i.encode()))

    def test_decode_accepts_qemu_padding(self):
        # QEMU writes its buffer's allocated size: zeros follow the entries.
        for padding in (1, 39, 4096):
            states = Vmstate1.States.decode(
                GLib.Bytes.new(KNOWN_BLOB + b'\x00' * padding))
            self.assertEqual(states_dict(states), KNOWN)

    def test_decode_refuses_non_zero_trailing_byte(self):
        for trailing in (b'\x01', b'\x00\x00\x00\x07', b'\x00' * 30 + b'x'):
            with self.assertRaises(GLib.Error) as caught:
                Vmstate1.States.decode(GLib.Bytes.new(KNOWN_BLOB + trailing))
            log('trailing %r:' % trailing, caught.exception.message)
            self.assertTrue(caught.exception.matches(
                Vmstate1.error_quark(), Vmstate1.Error.MALFORMED))
            offset = len(KNOWN_BLOB) + len(trailing.rstrip(b'\x00')) - 1
            self.assertIn(str(offset), caught.exception.message)

    def test_decode_refuses_malformed(self):
        for blob in (b'', b'\x00\x00\x00\x01\x00',
                     KNOWN_BLOB[:-1],
                     # two entries with Id 'a'
                     bytes.fromhex('00000002' '00000001' '61' '00000000'
                                   '00000001' '61' '00000000'),
                     # an empty Id
                     bytes.fromhex('00000001' '00000000' '00000000'),
                     # an Id that is not UTF-8
                     bytes.fromhex('00000001' '00000001' 'ff' '00000000')):
            with self.assertRaises(GLib.Error) as caught:
                Vmstate1.States.decode(GLib.Bytes.new(blob))
            self.assertTrue(caught.exception.matches(
                Vmstate1.error_quark(), Vmstate1.Error.MALFORMED),
                caught.exception.message)

    def test_add_refuses(self):
        states = Vmstate1.States.new()
        states.add('x' * Vmstate1.ID_MAX_LEN, GLib.Bytes.new(b'\x01'))
        states.add('big', GLib.Bytes.new(b'\x00' * Vmstate1.DATA_MAX_SIZE))
        for helper_id, state, code in (
                ('', b'\x01', Vmstate1.Error.INVALID_ID),
                ('x' * (Vmstate1.ID_MAX_LEN + 1), b'\x01',
                 Vmstate1.Error.INVALID_ID),
                ('big', b'\x01', Vmstate1.Error.DUPLICATE_ID),
                ('huge', b'\x00' * (Vmstate1.DATA_MAX_SIZE + 1),
                 Vmstate1.Error.TOO_LARGE)):
            with self.assertRaises(GLib.Error) as caught:
                states.add(helper_id, GLib.Bytes.new(state))
            self.assertTrue(caught.exception.matches(Vmstate1.error_quark(),
                                                     code),
                            caught.exception.message)
        self.assertEqual(states.get_length(), 2)
        self.assertEqual(states.lookup('big').get_size(),
                         Vmstate1.DATA_MAX_SIZE)

    def test_states_outlive_blob(self):
        # 0.1 returned a GHashTable here, whose GBytes values PyGObject 3.42
        # freed twice; a boxed Vmstate1States needs no shadow function.
        import gc
        blob = GLib.Bytes.new(KNOWN_BLOB + b'\x00' * 7)
        states = Vmstate1.States.decode(blob)
        values = [states.lookup(i) for i in states.dup_ids()]
        del blob, states
        gc.collect()
        self.assertEqual([v.get_data() for v in values], [b'xy', b''])
        copy = make_states(KNOWN)
        self.assertEqual(GObject.type_name(copy.__gtype__),
                         'Vmstate1States')

    def test_no_shadow_or_removed_functions(self):
        for name in ('stream_encode', 'stream_decode',
                     'stream_decode_variant', 'list_helpers', 'save_all',
                     'save_all_full', 'load_all', 'load_all_full'):
            self.assertFalse(hasattr(Vmstate1, name), name)

    def test_version(self):
        self.assertEqual((Vmstate1.get_major_version(),
                          Vmstate1.get_minor_version(),
                          Vmstate1.get_micro_version()),
                         (Vmstate1.MAJOR_VERSION, Vmstate1.MINOR_VERSION,
                          Vmstate1.MICRO_VERSION))
        self.assertGreaterEqual((Vmstate1.MAJOR_VERSION,
                                 Vmstate1.MINOR_VERSION), (0, 2))


class TestErrorEnum(BusTestCase):

    NAMES = {'FAILED': 'Failed', 'INVALID_ID': 'InvalidId',
             'DUPLICATE_ID': 'DuplicateId', 'MISSING_ID': 'MissingId',
             'TOO_LARGE': 'TooLarge', 'MALFORMED': 'Malformed',
             'SAVE_FAILED': 'SaveFailed', 'LOAD_FAILED': 'LoadFailed',
             'ACCESS_DENIED': 'AccessDenied', 'TIMED_OUT': 'TimedOut'}

    def test_registered_enum(self):
        gtype = Vmstate1.Error.__gtype__
        self.assertEqual(gtype.name, 'Vmstate1Error')
        self.assertTrue(gtype.is_a(GObject.TYPE_ENUM))
        self.assertEqual(int(Vmstate1.Error.TIMED_OUT), 9)
        self.assertEqual(Vmstate1.Error.TIMED_OUT.value_nick, 'timed-out')
        self.assertEqual(Vmstate1.Error(5), Vmstate1.Error.MALFORMED)
        self.assertEqual(Vmstate1.Error.quark(), Vmstate1.error_quark())
        self.assertEqual(sorted(Vmstate1.Error.__enum_values__),
                         list(range(len(self.NAMES))))

    def test_dbus_names(self):
        # The domain is registered: a D-Bus error name maps to its code,
        # and no name is under QEMU's reserved org.qemu. prefix.
        Vmstate1.error_quark()
        for nick, suffix in self.NAMES.items():
            code = getattr(Vmstate1.Error, nick)
            error = Gio.DBusError.new_for_dbus_error(ERROR_PREFIX + suffix,
                                                     'test')
            self.assertTrue(error.matches(Vmstate1.error_quark(), code), nick)
            remote = Gio.DBusError.encode_gerror(GLib.Error.new_literal(
                Vmstate1.error_quark(), 'test', code))
            self.assertEqual(remote, ERROR_PREFIX + suffix)

    def test_every_code_crosses_the_bus(self):
        helper, name = self.export('codes')
        for nick, suffix in self.NAMES.items():
            code = getattr(Vmstate1.Error, nick)
            helper.fail_load = GLib.Error.new_literal(
                Vmstate1.error_quark(), 'because ' + nick, code)
            with self.assertRaises(GLib.Error) as caught:
                call_load(self.caller, name, GLib.Bytes.new(b'\x01'))
            self.assertEqual(remote_error(caught.exception),
                             ERROR_PREFIX + suffix)
            self.assertTrue(caught.exception.matches(Vmstate1.error_quark(),
                                                     code), nick)
            self.assertIn('because ' + nick, caught.exception.message)


def helper_ids(infos):
    return [info.get_id() for info in infos]


class TestVm(BusTestCase):
    """Vmstate1.Vm from Python: the QEMU side, synchronous with helpers in
    other processes, asynchronous with helpers of this process."""

    def vm(self, connection=None):
        return Vmstate1.Vm.new(connection or self.caller)

    def test_properties(self):
        vm = self.vm()
        self.assertEqual(vm.get_connection(), self.caller)
        self.assertEqual(vm.props.connection, self.caller)
        # NULL (every helper) by default. PyGObject 3.42 reads a NULL
        # string array as [], so Python cannot tell it from an empty list
        # (no helper) on reading: test_id_list_none checks the behaviour.
        self.assertIn(vm.get_id_list(), (None, []))
        self.assertEqual(vm.get_timeout_msec(), Vmstate1.DEFAULT_TIMEOUT_MSEC)
        self.assertEqual(vm.props.timeout_msec, Vmstate1.DEFAULT_TIMEOUT_MSEC)
        notified = []
        vm.connect('notify::id-list', lambda o, p: notified.append(p.name))
        vm.set_id_list(['b', 'a'])
        self.assertEqual(vm.get_id_list(), ['b', 'a'])
        self.assertEqual(vm.props.id_list, ['b', 'a'])
        vm.set_id_list(['b', 'a'])  # unchanged: no notification
        vm.props.id_list = ['c']
        self.assertEqual(vm.get_id_list(), ['c'])
        vm.set_id_list(None)
        self.assertIn(vm.props.id_list, (None, []))
        self.assertEqual(notified, ['id-list'] * 3)
        vm.props.timeout_msec = 250
        self.assertEqual(vm.get_timeout_msec(), 250)
        other = Vmstate1.Vm(connection=self.caller, timeout_msec=100,
                            id_list=['x'])
        self.assertEqual((other.get_timeout_msec(), other.get_id_list()),
                         (100, ['x']))

    def test_id_list_none(self):
        # None and [] differ: every helper, or none at all.
        self.spawn('c', 'alpha', interval=1000)
        vm = self.vm()
        vm.set_id_list([])
        self.assertEqual(vm.list_helpers(None), [])
        self.assertEqual(vm.save(None).get_length(), 0)
        vm.set_id_list(None)
        self.assertEqual(helper_ids(vm.list_helpers(None)), ['alpha'])
        vm.props.id_list = []
        self.assertEqual(vm.list_helpers(None), [])
        vm.props.id_list = None
        self.assertEqual(vm.save(None).dup_ids(), ['alpha'])

    def test_list_helpers(self):
        names = {}
        for helper_id in ('alpha', 'beta', 'gamma'):
            names[helper_id] = self.spawn('c', helper_id, interval=1000)[1]
        vm = self.vm()
        listed = vm.list_helpers(None)
        # In queue order: the order they started in.
        self.assertEqual(helper_ids(listed), ['alpha', 'beta', 'gamma'])
        for info in listed:
            self.assertIsInstance(info, Vmstate1.HelperInfo)
            self.assertEqual(info.get_unique_name(), names[info.get_id()])
        vm.set_id_list(['gamma', 'alpha'])
        self.assertEqual(helper_ids(vm.list_helpers(None)),
                         ['alpha', 'gamma'])
        vm.set_id_list([])
        self.assertEqual(vm.list_helpers(None), [])

    def test_save_and_load_c_helpers(self):
        sources = {}
        for helper_id in ('alpha', 'beta'):
            sources[helper_id] = self.spawn('c', helper_id, interval=20)[0]
        for process in sources.values():
            process.wait_for('counter=3')

        states = self.vm().save(None)
        self.assertIsInstance(states, Vmstate1.States)
        self.assertEqual(states.dup_ids(), ['alpha', 'beta'])
        saved = {}
        for helper_id, process in sources.items():
            line = process.wait_for('saved counter=')
            saved[helper_id] = int(line.split('=')[1])
            self.assertEqual(states.lookup(helper_id).get_data(),
                             b'\x01' + saved[helper_id].to_bytes(8, 'big'))

        # What QEMU writes in its stream, and what it reads back.
        blob = states.encode()
        self.assertEqual(sorted(decode_blob(blob)), ['alpha', 'beta'])

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

        self.assertTrue(self.vm(dest).load(Vmstate1.States.decode(blob),
                                           None))
        for helper_id, process in targets.items():
            line = process.wait_for('loaded counter=')
            self.assertEqual(line, 'loaded counter=%d, counting from here'
                             % saved[helper_id])

    def test_id_list(self):
        for helper_id in ('alpha', 'beta'):
            self.spawn('c', helper_id, interval=1000)
        vm = self.vm()
        vm.set_id_list(['beta'])
        self.assertEqual(vm.save(None).dup_ids(), ['beta'])
        vm.props.id_list = ['beta', 'gamma']
        for call in (lambda: vm.save(None), lambda: vm.list_helpers(None),
                     lambda: vm.load(make_states({'beta': b'\x01'}), None)):
            with self.assertRaises(GLib.Error) as caught:
                call()
            self.assertTrue(caught.exception.matches(
                Vmstate1.error_quark(), Vmstate1.Error.MISSING_ID))
            self.assertIn('gamma', caught.exception.message)

    def test_load_failure_names_the_id(self):
        process, _ = self.spawn('c', 'counter', incoming=True)
        with self.assertRaises(GLib.Error) as caught:
            self.vm().load(make_states({'counter': b'\x02bad'}), None)
        log('load failed with:', caught.exception.message)
        self.assertIn("'counter'", caught.exception.message)
        self.assertTrue(caught.exception.matches(Vmstate1.error_quark(),
                                                 Vmstate1.Error.MALFORMED))

    def test_async_with_python_helpers(self):
        # Helpers of this process answer while the _async calls run in a
        # GLib.MainLoop on the same main context.
        helper, name = self.export('py-async')
        vm = self.vm()
        listed = finish_async(lambda cb: vm.list_helpers_async(None, cb),
                              vm.list_helpers_finish)
        self.assertEqual([(i.get_id(), i.get_unique_name()) for i in listed],
                         [('py-async', name)])

        states = finish_async(lambda cb: vm.save_async(None, cb),
                              vm.save_finish)
        self.assertIsInstance(states, Vmstate1.States)
        self.assertEqual(states_dict(states), {'py-async': b'\x01python'})

        self.assertTrue(finish_async(
            lambda cb: vm.load_async(make_states({'py-async': b'\x01again'}),
                                     None, cb),
            vm.load_finish))
        self.assertEqual(helper.loads, [b'\x01again'])

        helper.fail_load = GLib.Error.new_literal(
            Gio.io_error_quark(), 'bad magic', Gio.IOErrorEnum.INVALID_DATA)
        with self.assertRaises(GLib.Error) as caught:
            finish_async(
                lambda cb: vm.load_async(states, None, cb), vm.load_finish)
        log('load_async failed with:', caught.exception.message)
        self.assertIn('py-async', caught.exception.message)
        self.assertIn('bad magic', caught.exception.message)
        self.assertTrue(caught.exception.matches(
            Vmstate1.error_quark(), Vmstate1.Error.LOAD_FAILED))

    def test_python_and_c_helpers_together(self):
        self.export('py')
        self.spawn('c', 'c', interval=1000)
        vm = self.vm()
        states = finish_async(lambda cb: vm.save_async(None, cb),
                              vm.save_finish)
        self.assertEqual(states.dup_ids(), ['c', 'py'])
        self.assertEqual(sorted(decode_blob(states.encode())), ['c', 'py'])

    def test_sees_the_bus_as_it_is(self):
        # A Vm remembers which connection has which Id, never stale: a
        # helper that unexports and re-exports another Id on the same
        # connection is seen as it is now.
        connection = Vmstate1.connect(self.bus.address, None)
        self.addCleanup(connection.close_sync, None)
        vm = self.vm()
        first = CounterHelper('before')
        first.export(connection)
        self.assertEqual(helper_ids(finish_async(
            lambda cb: vm.list_helpers_async(None, cb),
            vm.list_helpers_finish)), ['before'])
        first.unexport()
        second = CounterHelper('after')
        second.state = GLib.Bytes.new(b'\x01after')
        second.export(connection)
        self.addCleanup(second.unexport)
        states = finish_async(lambda cb: vm.save_async(None, cb),
                              vm.save_finish)
        self.assertEqual(states_dict(states), {'after': b'\x01after'})
        second.unexport()
        states = finish_async(lambda cb: vm.save_async(None, cb),
                              vm.save_finish)
        self.assertEqual(states.get_length(), 0)

    def test_timeout(self):
        class SilentHelper(Vmstate1.Helper):
            """Starts a Save and never finishes it."""

            def __init__(self, helper_id):
                super().__init__(id=helper_id)
                self.tasks = []

            def do_save_async(self, cancellable, callback, user_data):
                self.tasks.append(Gio.Task.new(self, cancellable, callback))

            def do_save_finish(self, result):
                return result.propagate_value()[1]

        helper, _ = self.export('silent', SilentHelper)
        vm = self.vm()
        vm.set_timeout_msec(300)
        started = time.monotonic()
        with self.assertRaises(GLib.Error) as caught:
            finish_async(lambda cb: vm.save_async(None, cb), vm.save_finish)
        elapsed = time.monotonic() - started
        log('silent helper: %s after %.2fs' % (caught.exception.message,
                                                elapsed))
        self.assertTrue(caught.exception.matches(Vmstate1.error_quark(),
                                                 Vmstate1.Error.TIMED_OUT))
        self.assertIn("'silent'", caught.exception.message)
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 5)
        # Finish the task it left, so that nothing is pending at the end.
        for task in helper.tasks:
            task.return_value(GObject.Value(GLib.Bytes,
                                            GLib.Bytes.new(b'\x01')))

    def test_cancel(self):
        self.export('py')
        vm = self.vm()
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as caught:
            finish_async(lambda cb: vm.save_async(cancellable, cb),
                         vm.save_finish)
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(),
                                                 Gio.IOErrorEnum.CANCELLED))


if __name__ == '__main__':
    unittest.main(verbosity=2)
