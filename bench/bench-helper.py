#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The benchmark helper in Python, through GObject-Introspection: a
Vmstate1.Helper subclass whose do_save returns a GLib.Bytes made once and
whose do_load keeps what it was given.

    bench-helper.py --dbus-address=ADDR --dbus-id=ID --size=BYTES

Prints "ready NAME" once queued. Needs GI_TYPELIB_PATH and LD_LIBRARY_PATH
pointing at the build tree's libvmstate1 directory.
"""

import argparse
import os
import signal

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Vmstate1', '1.0')
from gi.repository import GLib, Vmstate1  # noqa: E402


class BenchHelper(Vmstate1.Helper):

    def __init__(self, helper_id, state):
        super().__init__(id=helper_id)
        self.state = state

    def do_save(self, cancellable):
        return self.state

    def do_load(self, data, cancellable):
        self.state = data
        return True


def main():
    parser = argparse.ArgumentParser(prog='bench-helper.py')
    parser.add_argument('--dbus-address', required=True)
    parser.add_argument('--dbus-id', default='python')
    parser.add_argument('--size', type=int, default=65536)
    args = parser.parse_args()

    loop = GLib.MainLoop()
    connection = Vmstate1.connect(args.dbus_address, None)
    helper = BenchHelper(args.dbus_id, GLib.Bytes.new(os.urandom(args.size)))
    helper.export(connection)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print('ready', connection.get_unique_name(), flush=True)
    loop.run()


if __name__ == '__main__':
    main()
