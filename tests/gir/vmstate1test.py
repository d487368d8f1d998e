# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real processes for the binding tests: a private dbus-daemon, helper
processes, QEMU over QMP. The Python twin of tests/harness/."""

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
from gi.repository import GLib, GObject, Gio  # noqa: E402, F401

try:
    gi.require_version('Vmstate1', '1.0')
    from gi.repository import Vmstate1  # noqa: E402, F401
except (ValueError, ImportError) as e:
    sys.exit('Cannot load the Vmstate1 typelib (%s): set GI_TYPELIB_PATH '
             'and LD_LIBRARY_PATH to the build tree\'s libvmstate1 '
             'directory (meson test does)' % e)

OBJECT_PATH = '/org/qemu/VMState1'
INTERFACE = 'org.qemu.VMState1'
# 0.2: the library's D-Bus error names, out of QEMU's org.qemu. namespace.
ERROR_PREFIX = 'org.libvmstate1.Error.'

# The policy of tests/harness/test-bus.c: peers may own only
# org.qemu.VMState1, as on QEMU's own test bus.
BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <deny own="*"/>
    <allow own="org.qemu.VMState1"/>
  </policy>
  <limit name="max_message_size">4194304</limit>
</busconfig>
'''


def log(*args):
    """Test log lines; meson keeps stdout and stderr of exitcode tests."""
    print('#', *args, file=sys.stderr, flush=True)


class Bus:
    """A private dbus-daemon, killed on close()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='vmstate1-gir-bus-')
        config = os.path.join(self.dir, 'bus.conf')
        with open(config, 'w') as f:
            f.write(BUS_CONFIG.format(dir=self.dir))
        self.daemon = subprocess.Popen(
            ['dbus-daemon', '--config-file=' + config, '--nofork',
             '--print-address=1'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.daemon.stdout.readline().strip()
        if not self.address:
            self.close()
            raise RuntimeError('dbus-daemon printed no address')

    def close(self):
        if self.daemon.poll() is None:
            self.daemon.kill()
        self.daemon.wait()
        self.daemon.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_until(done, timeout=10.0, context=None):
    """Iterates the main context until done() or timeout; returns done()."""
    context = context or GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        context.iteration(False) or time.sleep(0.001)
    return done()


def call(connection, destination, method, parameters=None, reply_type=None,
         timeout=10.0):
    """A D-Bus call that iterates the main context while it waits, so that
    helpers of this process can answer. Raises GLib.Error."""
    results = []
    connection.call(destination, OBJECT_PATH, INTERFACE, method, parameters,
                    GLib.VariantType(reply_type) if reply_type else None,
                    Gio.DBusCallFlags.NONE, int(timeout * 1000), None,
                    lambda c, r: results.append(r))
    if not run_until(lambda: results, timeout + 5):
        raise TimeoutError('%s did not answer %s' % (destination, method))
    return connection.call_finish(results[0])


def call_save(connection, destination):
    reply = call(connection, destination, 'Save', None, '(ay)')
    return reply.get_child_value(0).get_data_as_bytes()


def call_load(connection, destination, data):
    array = GLib.Variant.new_from_bytes(GLib.VariantType('ay'), data, True)
    call(connection, destination, 'Load', GLib.Variant.new_tuple(array))


def decode_blob(blob):
    """The dbus-vmstate blob as a dict of Id -> bytes, in pure Python: an
    oracle independent of the library's decoder."""
    data = blob.get_data()
    (count,), offset, states = struct.unpack_from('>I', data), 4, {}
    for _ in range(count):
        (id_len,) = struct.unpack_from('>I', data, offset)
        helper_id = data[offset + 4:offset + 4 + id_len].decode()
        offset += 4 + id_len
        (size,) = struct.unpack_from('>I', data, offset)
        states[helper_id] = data[offset + 4:offset + 4 + size]
        offset += 4 + size
    return states


def states_dict(states):
    """A Vmstate1.States as a dict of Id -> bytes."""
    return {helper_id: states.lookup(helper_id).get_data()
            for helper_id in states.dup_ids()}


def make_states(states):
    """A Vmstate1.States from a dict of Id -> bytes."""
    result = Vmstate1.States.new()
    for helper_id, state in states.items():
        result.add(helper_id, GLib.Bytes.new(state))
    return result


def finish_async(start, finish, timeout=30.0):
    """Runs an _async/_finish pair to completion in a GLib.MainLoop on
    the default context: start(callback) begins the operation, and
    finish(result) is called with the GAsyncResult the callback got.
    Helpers of this process answer while it runs."""
    loop = GLib.MainLoop()
    results = []

    def on_ready(source, result, *data):
        results.append(result)
        loop.quit()

    def on_timeout():
        loop.quit()
        return GLib.SOURCE_REMOVE

    start(on_ready)
    timer = GLib.timeout_add(int(timeout * 1000), on_timeout)
    if not results:  # a callback that ran at once has quit no loop yet
        loop.run()
    if not results:
        raise TimeoutError('the asynchronous call did not finish in %gs'
                           % timeout)
    GLib.source_remove(timer)
    return finish(results[0])


class LineReader:
    """Lines from a pipe with a timeout. Not select() on a buffered file:
    a readline() may have buffered the next lines already, and select()
    would then wait for data that has arrived."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.buffer = b''
        self.eof = False

    def read_line(self, timeout):
        """The next line without its newline, or None at end of file or
        timeout."""
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buffer and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.pipe], [], [], left)
            if ready:
                chunk = os.read(self.pipe.fileno(), 65536)
                self.buffer += chunk
                self.eof = not chunk
        if b'\n' in self.buffer:
            line, self.buffer = self.buffer.split(b'\n', 1)
        elif self.buffer:
            line, self.buffer = self.buffer, b''
        else:
            return None
        return line.decode(errors='replace')

    def read_rest(self):
        """Everything left until end of file, as lines."""
        while not self.eof:
            chunk = os.read(self.pipe.fileno(), 65536)
            self.buffer += chunk
            self.eof = not chunk
        rest, self.buffer = self.buffer, b''
        return rest.decode(errors='replace').splitlines()


class Process:
    """A helper process whose output lines are kept, and logged."""

    def __init__(self, argv, name):
        self.name = name
        self.lines = []
        log('$', ' '.join(argv))
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            bufsize=0, start_new_session=True)
        self.reader = LineReader(self.process.stdout)

    def read_line(self, timeout=10.0):
        """The next output line, or None at end of output or timeout."""
        line = self.reader.read_line(timeout)
        if line is None:
            return None
        self.lines.append(line)
        log('%s: %s' % (self.name, line))
        return line

    def wait_for(self, prefix, timeout=10.0):
        """Reads lines until one starts with prefix; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.read_line(max(0.0, deadline - time.monotonic()))
            if line is None:
                break
            if line.startswith(prefix):
                return line
        raise AssertionError('%s printed no line starting with %r; it '
                             'printed:\n%s' % (self.name, prefix,
                                               '\n'.join(self.lines)))

    def stop(self):
        """SIGTERM, then reads what is left; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        rest = self.reader.read_rest()
        self.process.stdout.close()
        for line in rest:
            self.lines.append(line)
            log('%s: %s' % (self.name, line))
        return self.process.returncode


def unique_name_of(ready_line):
    """The unique bus name in 'ready: Id 'x' on :1.2...'."""
    return ready_line.split(' on ', 1)[1].split(',', 1)[0].strip()


class Qemu:
    """qemu-system-x86_64 -M none with a dbus-vmstate object, over QMP on
    stdio."""

    def __init__(self, bus_address, incoming=None, id_list=None):
        binary = os.environ.get('VMSTATE1_QEMU') or \
            shutil.which('qemu-system-x86_64')
        if binary is None:
            raise RuntimeError('qemu-system-x86_64 not found (install '
                               'qemu-system-x86, or set VMSTATE1_QEMU)')
        # QEMU's option syntax doubles a comma inside a value.
        obj = 'dbus-vmstate,id=dv,addr=' + bus_address.replace(',', ',,')
        if id_list is not None:
            obj += ',id-list=' + id_list.replace(',', ',,')
        argv = [binary, '-M', 'none', '-nodefaults', '-display', 'none',
                '-qmp', 'stdio', '-object', obj]
        if incoming:
            argv += ['-incoming', incoming]
        log('$', ' '.join(argv))
        self.stderr = tempfile.TemporaryFile(mode='w+')
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr, text=True, bufsize=1)
        self.reader = LineReader(self.process.stdout)
        greeting = self._read()
        if greeting is None or 'QMP' not in greeting:
            raise RuntimeError('QEMU sent no QMP greeting: ' +
                               self.stderr_text())
        self.execute('qmp_capabilities')

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read()

    def _read(self, timeout=60.0):
        line = self.reader.read_line(timeout)
        return json.loads(line) if line else None

    def execute(self, command, **arguments):
        """Runs a QMP command; returns its 'return', raises on 'error'."""
        message = {'execute': command}
        if arguments:
            message['arguments'] = arguments
        self.process.stdin.write(json.dumps(message) + '\n')
        self.process.stdin.flush()
        while True:
            reply = self._read()
            if reply is None:
                raise RuntimeError('QEMU did not answer %s; stderr:\n%s'
                                   % (command, self.stderr_text()))
            if 'return' in reply:
                return reply['return']
            if 'error' in reply:
                raise RuntimeError('QMP %s: %s' % (command,
                                                   reply['error']['desc']))
            # An event: not our reply.

    def wait_migration(self, timeout=60.0):
        """Polls query-migrate until the migration ends; returns the
        status and QEMU's error description."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return 'exited', self.stderr_text()
            try:
                info = self.execute('query-migrate')
            except RuntimeError:
                if self.process.poll() is not None:
                    return 'exited', self.stderr_text()
                raise
            status = info.get('status', 'none')
            if status in ('completed', 'failed', 'cancelled'):
                return status, info.get('error-desc')
            time.sleep(0.02)
        raise TimeoutError('the migration did not finish')

    def migrate(self, uri):
        self.execute('migrate', uri=uri)
        return self.wait_migration()

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write('{"execute": "quit"}\n')
                self.process.stdin.flush()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        text = self.stderr_text()
        if text:
            log('qemu stderr:', text.rstrip())
        self.stderr.close()


def helper_argv(kind, address, helper_id, incoming=False, interval=None):
    """The command line of a helper process: 'c' (the counter helper),
    'python' (examples/python-helper.py run by this interpreter) or 'gjs'
    (examples/gjs-helper.js)."""
    if kind == 'c':
        argv = [os.environ['VMSTATE1_COUNTER_HELPER']]
    elif kind == 'python':
        # Not the script's shebang: the python3 first on PATH may lack gi.
        argv = [sys.executable, os.environ['VMSTATE1_PYTHON_HELPER']]
    elif kind == 'gjs':
        argv = [os.environ['VMSTATE1_GJS'], os.environ['VMSTATE1_GJS_HELPER']]
    else:
        raise ValueError(kind)
    argv += ['--dbus-address=' + address, '--dbus-id=' + helper_id]
    if incoming:
        argv.append('--dbus-incoming')
    if interval is not None:
        argv.append('--interval=%d' % interval)
    return argv
