#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The counter helper in Python: a counter that survives migration.

    python-helper.py --dbus-address=unix:path=/run/vm.bus --dbus-id=counter

Same options, output and state as examples/counter-helper.c, so that a
Python helper and a C helper migrate to each other. On a migration
destination start it with --dbus-incoming: it waits for QEMU's Load
before it starts counting, as libvirt's helpers do.

From a build tree, point GObject-Introspection at it:

    GI_TYPELIB_PATH=_build/libvmstate1 LD_LIBRARY_PATH=_build/libvmstate1 \\
        examples/python-helper.py --dbus-address=...
"""

import argparse
import signal
import struct
import sys

try:
    import gi
except ImportError:
    sys.exit('python-helper: %s has no PyGObject (gi): install it (Debian: '
             'python3-gi) or run this script with a python3 that has it, '
             'such as /usr/bin/python3' % sys.executable)

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
from gi.repository import GLib  # noqa: E402

try:
    gi.require_version('Vmstate1', '1.0')
    from gi.repository import Vmstate1  # noqa: E402
except (ValueError, ImportError) as e:
    sys.exit('python-helper: cannot load the Vmstate1 typelib (%s): install '
             'libvmstate1, or from a build tree set GI_TYPELIB_PATH and '
             'LD_LIBRARY_PATH to its libvmstate1 directory' % e)

# A format version byte then the value, big-endian, as the C helper: a
# version lets a later helper read an older state, and makes the state
# non-empty even at zero (QEMU cannot migrate an empty state).
STATE_VERSION = 1
STATE = struct.Struct('>BQ')


class CounterHelper(Vmstate1.Helper):
    """The state lives in the subclass; Save and Load are its vfuncs."""

    def __init__(self, helper_id, counting):
        super().__init__(id=helper_id)
        self.value = 0
        self.counting = counting

    def do_save(self, cancellable):
        # Called while the guest is paused: one pack, one GBytes.
        state = GLib.Bytes.new(STATE.pack(STATE_VERSION, self.value))
        print('saved counter=%d' % self.value)
        return state

    def do_load(self, data, cancellable):
        # Check the size before get_data() copies the bytes into Python.
        size = data.get_size()
        state = data.get_data() if size == STATE.size else b''
        if size != STATE.size or state[0] != STATE_VERSION:
            # A one-byte view, not a copy of a state up to 1 MiB.
            version = (GLib.Bytes.new_from_bytes(data, 0, 1).get_data()[0]
                       if size > 0 else -1)
            # A GLib.Error reaches QEMU (or a Vmstate1.Vm) as is.
            raise GLib.Error.new_literal(
                Vmstate1.error_quark(),
                'expected a version %d counter state of %d bytes, got %d '
                'bytes (version %d)' % (STATE_VERSION, STATE.size, size,
                                        version),
                Vmstate1.Error.MALFORMED)
        _, self.value = STATE.unpack(state)
        print('loaded counter=%d%s' % (
            self.value, '' if self.counting else ', counting from here'))
        self.counting = True
        return True

    def tick(self):
        if self.counting:
            self.value = (self.value + 1) & 0xFFFFFFFFFFFFFFFF  # as a u64
            print('counter=%d' % self.value)
        return GLib.SOURCE_CONTINUE


def main():
    # Line-buffered even into a pipe, as the C helper's setvbuf().
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        prog='python-helper',
        description='A counter that survives migration.')
    parser.add_argument('--dbus-address', metavar='ADDRESS',
                        help="D-Bus address of the VM's bus "
                        '(default: the session bus)')
    parser.add_argument('--dbus-id', metavar='ID', default='counter',
                        help='Id of this helper on the bus (default: counter)')
    parser.add_argument('--dbus-incoming', action='store_true',
                        help="Wait for an incoming migration's state before "
                        'counting')
    parser.add_argument('--interval', metavar='MSEC', type=int, default=1000,
                        help='Milliseconds between two counts '
                        '(default: 1000)')
    args = parser.parse_args()  # exits 2 on a usage error
    if args.interval <= 0:
        parser.error('--interval must be positive')

    loop = GLib.MainLoop()
    helper = CounterHelper(args.dbus_id, counting=not args.dbus_incoming)
    status = 0

    def fail(message):
        nonlocal status
        print('python-helper: %s' % message, file=sys.stderr)
        status = 1
        loop.quit()

    def on_bus_closed(connection, remote_peer_vanished, error):
        fail('the bus connection closed: %s'
             % (error.message if error else 'closed'))

    # Nothing blocks the main loop, start-up included: connect, then
    # export; "ready" once the bus has queued the helper, from when a
    # migration sees it.
    def on_exported(helper, result):
        try:
            helper.export_finish(result)
        except GLib.Error as e:
            fail(e.message)
            return
        connection = helper.get_connection()
        connection.connect('closed', on_bus_closed)
        GLib.timeout_add(args.interval, helper.tick)
        print("ready: Id '%s' on %s%s" % (
            args.dbus_id, connection.get_unique_name(),
            ', waiting for the incoming state' if args.dbus_incoming
            else ''))

    def on_connected(source, result):
        try:
            connection = Vmstate1.connect_finish(result)
        except GLib.Error as e:
            fail(e.message)
            return
        helper.export_async(connection, None, on_exported)

    Vmstate1.connect_async(args.dbus_address, None, on_connected)
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    loop.run()

    # Returns at once: no Save or Load reaches the helper after it.
    helper.unexport()
    return status


if __name__ == '__main__':
    sys.exit(main())
