# SPDX-License-Identifier: LGPL-2.1-or-later
"""A slirp helper's state, as a user reads it: Save called over the VM's
bus on the helper's unique name, and the state a save file carries.

The state (shared by ours and Debian's Rust helper): a 4-byte big-endian
libslirp state version, then libslirp's own state; with no guestfwd,
libslirp 4.7 writes a 0 (end of the guestfwd list), the IPv4 id counter
(u16) and 16 DHCP lease slots of (u16 allocated, 6-byte MAC). Slot i is
the address .15 + i of the network."""

import struct

from gi.repository import Gio, GLib

CALL_TIMEOUT_MSEC = 5000
LEASE_SLOTS = 16
FIRST_LEASE = 15


def connect(address):
    return Gio.DBusConnection.new_for_address_sync(
        address,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)


def _call(bus, dest, path, interface, method, args, reply_type):
    return bus.call_sync(dest, path, interface, method, args,
                         GLib.VariantType(reply_type) if reply_type else None,
                         Gio.DBusCallFlags.NONE, CALL_TIMEOUT_MSEC,
                         None).unpack()


def helpers(address):
    """{Id: bytes Save returned} of every helper on the bus at @address."""
    bus = connect(address)
    try:
        owners = _call(bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                       'org.freedesktop.DBus', 'ListQueuedOwners',
                       GLib.Variant('(s)', ('org.qemu.VMState1',)),
                       '(as)')[0]
        found = {}
        for owner in owners:
            helper_id = _call(bus, owner, '/org/qemu/VMState1',
                              'org.freedesktop.DBus.Properties', 'Get',
                              GLib.Variant('(ss)', ('org.qemu.VMState1',
                                                    'Id')), '(v)')[0]
            data = _call(bus, owner, '/org/qemu/VMState1',
                         'org.qemu.VMState1', 'Save', None, '(ay)')[0]
            found[helper_id] = bytes(data)
        return found
    finally:
        bus.close_sync(None)


def leases(state):
    """{MAC 'aa:bb:..': last byte of the address} from a helper's state."""
    version, = struct.unpack_from('>I', state, 0)
    if version != 4 or len(state) != 4 + 1 + 2 + LEASE_SLOTS * 8:
        raise ValueError(f'not a libslirp 4.7 state without guestfwd: '
                         f'version {version}, {len(state)} bytes')
    found = {}
    for slot in range(LEASE_SLOTS):
        allocated, mac = struct.unpack_from('>H6s', state, 7 + slot * 8)
        if allocated:
            found[':'.join(f'{b:02x}' for b in mac)] = FIRST_LEASE + slot
    return found


def in_save_file(path, helper_id):
    """The state a libvirt save file carries for @helper_id: QEMU's
    dbus-vmstate blob holds u32 len(id), id, u32 len(data), data."""
    with open(path, 'rb') as f:
        content = f.read()
    key = struct.pack('>I', len(helper_id)) + helper_id.encode()
    at = content.rfind(key)
    if at < 0:
        return None
    at += len(key)
    size, = struct.unpack_from('>I', content, at)
    return content[at + 4:at + 4 + size]
