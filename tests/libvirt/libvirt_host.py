# SPDX-License-Identifier: LGPL-2.1-or-later
"""One libvirt "host": a libvirtd of its own, started by PID (no systemd)
in a mount namespace of its own, where /etc/libvirt, /run,
/var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt are
directories of the test. The machine's own configuration is never
touched: the bind mounts exist only inside the namespace, and go with
its last process."""

import os
import signal
import subprocess
import time

START_TIMEOUT = 20
STOP_TIMEOUT = 10
VIRSH_TIMEOUT = 90

# Inside the namespace: mount the host's directories, then become libvirtd.
NAMESPACE_SCRIPT = r'''
set -e
root=$1
mount --bind "$root/etc" /etc/libvirt
mount --bind "$root/run" /run
mount --bind "$root/lib" /var/lib/libvirt
mount --bind "$root/log" /var/log/libvirt
mount --bind "$root/cache" /var/cache/libvirt
exec /usr/sbin/libvirtd -f /etc/libvirt/libvirtd.conf
'''

# In a container dbus-daemon may fail to raise its fd limit and die of
# SIGPIPE writing that warning to the pipe libvirt has already closed.
DBUS_WRAPPER = '''#!/bin/sh
trap '' PIPE
exec /usr/bin/dbus-daemon "$@"
'''


def write_dbus_wrapper(path):
    with open(path, 'w') as f:
        f.write(DBUS_WRAPPER)
    os.chmod(path, 0o755)


class Host:
    def __init__(self, workdir, name, host_uuid, slirp_helper, dbus_daemon,
                 reaper):
        self.name = name
        self.reaper = reaper
        self.root = os.path.join(workdir, name)
        self.process = None
        for sub in ('etc', 'run', 'lib/qemu', 'log/qemu', 'cache/qemu'):
            os.makedirs(os.path.join(self.root, sub))
        with open(self.path('etc', 'qemu.conf'), 'w') as f:
            f.write(f'''slirp_helper = "{slirp_helper}"
dbus_daemon = "{dbus_daemon}"
security_driver = "none"
user = "root"
group = "root"
dynamic_ownership = 0
stdio_handler = "file"
cgroup_controllers = [ ]
''')
        with open(self.path('etc', 'libvirtd.conf'), 'w') as f:
            f.write(f'''host_uuid = "{host_uuid}"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
log_filters = "1:qemu.qemu_slirp 1:qemu.qemu_dbus 1:qemu.qemu_migration 3:*"
''')
        self.uri = ('qemu:///system?socket='
                    + self.path('run', 'libvirt', 'libvirt-sock'))

    def path(self, *parts):
        """The test's view of a path under this host's directories."""
        return os.path.join(self.root, *parts)

    def outside(self, inside):
        """The test's view of a path as libvirtd sees it."""
        for prefix, sub in (('/etc/libvirt', 'etc'), ('/run', 'run'),
                            ('/var/lib/libvirt', 'lib'),
                            ('/var/log/libvirt', 'log'),
                            ('/var/cache/libvirt', 'cache')):
            if inside == prefix or inside.startswith(prefix + '/'):
                return self.path(sub) + inside[len(prefix):]
        return inside

    def start(self):
        out = open(self.path('libvirtd.out'), 'w')
        self.process = self.reaper.spawn(
            ['unshare', '--mount', '--propagation', 'private',
             'sh', '-c', NAMESPACE_SCRIPT, 'sh', self.root],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'{self.name}: libvirtd exited with '
                                   f'{self.process.returncode}: '
                                   + self.log_tail('libvirtd.out'))
            if self.virsh('version', check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f'{self.name}: libvirtd not answering after '
                           f'{START_TIMEOUT} s')

    def virsh(self, *args, check=True):
        result = self.reaper.run_command(
            ['virsh', '-q', '-c', self.uri] + list(args), VIRSH_TIMEOUT)
        if check and result.returncode != 0:
            raise RuntimeError(f'{self.name}: virsh {" ".join(args)}: '
                               f'{result.stderr.strip()}')
        return result

    def pid_from(self, *parts):
        """A pid libvirt wrote under this host's /run, or None."""
        try:
            with open(self.path('run', *parts)) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def pidfiles(self):
        """Every pidfile libvirt keeps for QEMU, helpers and buses."""
        found = []
        base = self.path('run', 'libvirt', 'qemu')
        for sub in ('', 'slirp', 'dbus'):
            directory = os.path.join(base, sub)
            if os.path.isdir(directory):
                found += [os.path.join(directory, n)
                          for n in os.listdir(directory)
                          if n.endswith('.pid') and n != 'driver.pid']
        return found

    def log_tail(self, *parts, lines=15):
        try:
            with open(self.path(*parts), errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError:
            return ''

    def stop(self):
        """Destroys what runs, stops libvirtd by PID, then kills by PID
        whatever libvirt left running (it does not stop guests when it
        exits)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            running = self.virsh('list', '--name', check=False).stdout
            for name in running.split():
                self.virsh('destroy', name, check=False)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pidfile in self.pidfiles():
            try:
                with open(pidfile) as f:
                    pid = int(f.read().strip())
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass
        self.process = None
