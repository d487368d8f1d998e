# SPDX-License-Identifier: LGPL-2.1-or-later
"""vmstate1-slirp-helper as libvirt's slirp_helper, with real libvirt.

Three libvirt "hosts" (libvirt_host.py: each its own libvirtd, started
and stopped by PID, in its own mount namespace): A and B run our helper,
R runs Debian's Rust libslirp-helper. A diskless TCG guest boots iPXE
from its user-mode NIC, whose DHCP makes the lease. What is checked is
what a user would look at: the helper's and QEMU's command lines, the
guest's console, and the helper's state read with Save on the VM's bus.

Run by meson (suite libvirt) with $VMSTATE1_SLIRP_HELPER; as root. A
missing requirement skips, or fails under CI=true. TAP on stdout."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import libvirt_host  # noqa: E402
import reaper  # noqa: E402
import slirp_state  # noqa: E402

DOMAIN = 'vmstate1-lv'
MAC = '52:54:00:4c:56:01'
HELPER_ID = 'slirp-' + MAC
ADDRESS = '10.0.2.15'
DHCP_TIMEOUT = 60
EXIT_TIMEOUT = 10
RUST_RESTORE_TRIES = 5
IPXE_ROM = '/usr/lib/ipxe/qemu/efi-virtio.rom'

DOMAIN_XML = f'''<domain type='qemu'>
  <name>{DOMAIN}</name>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='network'/>
    <bios useserial='yes'/>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'>
      <mac address='{MAC}'/>
      <model type='virtio'/>
      <ip family='ipv4' address='10.0.2.0' prefix='24'/>
    </interface>
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/{DOMAIN}-console.log' append='on'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
'''


class Stop(Exception):
    """A signal (meson's timeout, ^C): clean up and fail."""


def on_signal(signum, frame):
    raise Stop(f'signal {signum}')


def rust_helper():
    """Where package libslirp-helper put its helper."""
    try:
        files = subprocess.run(['dpkg', '-L', 'libslirp-helper'],
                               capture_output=True, text=True).stdout
    except OSError:
        return None
    for path in files.split():
        if (os.path.basename(path) in ('libslirp-helper', 'slirp-helper')
                and os.path.isfile(path) and os.access(path, os.X_OK)):
            return path
    return None


def missing_requirements(ours, rust):
    missing = []
    if os.geteuid() != 0:
        missing.append('root (libvirtd, mount namespaces)')
    for program in ('libvirtd', 'virsh', 'unshare', 'qemu-system-x86_64',
                    'dbus-daemon', 'dpkg'):
        if shutil.which(program, path=os.environ.get('PATH', '')
                        + ':/usr/sbin:/sbin') is None:
            missing.append(program)
    if not os.path.exists(IPXE_ROM):
        missing.append(IPXE_ROM + ' (ipxe-qemu)')
    if not ours or not os.access(ours, os.X_OK):
        missing.append('$VMSTATE1_SLIRP_HELPER')
    if rust is None:
        missing.append('the Rust helper (libslirp-helper)')
    return missing


class Tap:
    def __init__(self):
        self.count = 0
        self.last = time.monotonic()

    def ok(self, description):
        self.count += 1
        now = time.monotonic()
        print(f'ok {self.count} - {description} ({now - self.last:.1f} s)',
              flush=True)
        self.last = now

    def note(self, text):
        for line in str(text).splitlines():
            print(f'# {line}', flush=True)


def cmdline(pid):
    with open(f'/proc/{pid}/cmdline', 'rb') as f:
        return [a.decode() for a in f.read().split(b'\0')[:-1]]


def running(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] not in ('Z', 'X')
    except OSError:
        return False


def wait_ended(pid, timeout=EXIT_TIMEOUT):
    deadline = time.monotonic() + timeout
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Guest:
    """The guest as seen on one host."""

    def __init__(self, host):
        self.host = host

    def helper(self):
        """(pid, argv) of the slirp helper libvirt started for the NIC."""
        pidfiles = glob.glob(self.host.path(
            'run', 'libvirt', 'qemu', 'slirp', f'*-{DOMAIN}-net0-slirp.pid'))
        check(len(pidfiles) == 1, f'{self.host.name}: slirp pidfiles: '
                                  f'{pidfiles}')
        with open(pidfiles[0]) as f:
            pid = int(f.read())
        check(running(pid), f'{self.host.name}: helper {pid} is not running')
        return pid, cmdline(pid)

    def qemu(self):
        pid = self.host.pid_from('libvirt', 'qemu', DOMAIN + '.pid')
        check(pid and running(pid), f'{self.host.name}: no QEMU')
        return pid, cmdline(pid)

    def bus_address(self, argv):
        option = [a for a in argv if a.startswith('--dbus-address=')]
        check(len(option) == 1, f'no single --dbus-address in {argv}')
        path = option[0][len('--dbus-address=unix:path='):]
        return 'unix:path=' + self.host.outside(path)

    def state(self):
        """The helper's state, by Save on the VM's bus."""
        pid, argv = self.helper()
        found = slirp_state.helpers(self.bus_address(argv))
        check(list(found) == [HELPER_ID],
              f'{self.host.name}: helpers on the bus: {list(found)}')
        return found[HELPER_ID]

    def domstate(self):
        return self.host.virsh('domstate', DOMAIN).stdout.strip()

    def console_addresses(self):
        try:
            with open(self.host.path('log', 'qemu', DOMAIN + '-console.log'),
                      errors='replace') as f:
                return re.findall(r'net0: (\d+\.\d+\.\d+\.\d+)/', f.read())
        except FileNotFoundError:
            return []

    def wait_dhcp(self, seen):
        """The address of the next DHCP after @seen console lines."""
        deadline = time.monotonic() + DHCP_TIMEOUT
        while time.monotonic() < deadline:
            addresses = self.console_addresses()
            if len(addresses) > seen:
                return addresses[seen]
            time.sleep(0.2)
        raise AssertionError(f'{self.host.name}: no DHCP lease on the '
                             f'console in {DHCP_TIMEOUT} s')

    def reset_and_wait_dhcp(self):
        seen = len(self.console_addresses())
        self.host.virsh('reset', DOMAIN)
        return self.wait_dhcp(seen)


def assert_lease(state, where):
    leases = slirp_state.leases(state)
    check(leases == {MAC: 15}, f'{where}: leases {leases}, expected '
                               f'{{{MAC}: .15}}')


def assert_incoming_helper(guest, binary, saved):
    """libvirt started @binary with --dbus-incoming, and while the guest
    has not run it holds exactly the saved bytes."""
    pid, argv = guest.helper()
    check(argv[0] == binary, f'helper {argv[0]}, expected {binary}')
    check('--dbus-incoming' in argv, f'no --dbus-incoming in {argv}')
    held = guest.state()
    check(held == saved, f'{guest.host.name}: the helper holds '
                         f'{held.hex()}, the save file {saved.hex()}')
    return pid


def save_to(guest, name):
    """virsh save to /var/lib/libvirt/NAME; the file's path here and the
    helper state it carries. The helper ends with the guest."""
    pid, _ = guest.helper()
    guest.host.virsh('save', DOMAIN, '/var/lib/libvirt/' + name)
    check(wait_ended(pid), f'{guest.host.name}: helper {pid} outlived the '
                           f'save')
    path = guest.host.path('lib', name)
    saved = slirp_state.in_save_file(path, HELPER_ID)
    check(saved is not None, f'no state for {HELPER_ID} in {path}')
    return path, saved


def restore_on_rust(tap, r, path):
    """virsh restore --paused on R. Debian's Rust helper arms
    PR_SET_PDEATHSIG under libvirt's daemonizing too (through
    slirp-launcher daemon-late it dies 10 times out of 10), so now and
    then it dies at start and QEMU finds no helper ("Required VMState Id
    are missing", about one restore in ten here): its bug, not what this
    test is about. A restore is tried up to RUST_RESTORE_TRIES times, and
    each failed try is shown."""
    for attempt in range(1, RUST_RESTORE_TRIES + 1):
        result = r.virsh('restore', '--paused', path, check=False)
        if result.returncode == 0:
            return
        tap.note(f'restore on R, try {attempt}: {result.stderr.strip()}')
        if 'Required VMState Id are missing' not in result.stderr:
            break
    raise AssertionError(f'R: virsh restore --paused {path} failed')


def run(tap, a, b, r, ours, rust):
    guest_a, guest_b, guest_r = Guest(a), Guest(b), Guest(r)

    # Start: what libvirt passes to the helper, and to QEMU.
    with open(a.path('domain.xml'), 'w') as f:
        f.write(DOMAIN_XML)
    a.virsh('define', a.path('domain.xml'))
    a.virsh('start', DOMAIN)
    helper_pid, argv = guest_a.helper()
    tap.note('helper: ' + ' '.join(argv))
    check(argv[0] == ours, f'helper {argv[0]}, expected {ours}')
    for expected in ('--net=10.0.2.0/24', f'--dbus-id={HELPER_ID}',
                     '--exit-with-parent'):
        check(expected in argv, f'no {expected} in {argv}')
    check(any(re.fullmatch(r'--fd=\d+', arg) for arg in argv),
          f'no --fd=N in {argv}')
    check(any(arg.startswith('--dbus-address=unix:path=/run/libvirt/qemu/'
                             'dbus/') for arg in argv),
          f'no per-VM --dbus-address in {argv}')
    check('--dbus-incoming' not in argv, f'--dbus-incoming in {argv}')
    tap.ok('libvirt starts our helper with --fd, --net (from <ip>), '
           '--dbus-id, --dbus-address, --exit-with-parent')

    _, qemu_argv = guest_a.qemu()
    objects = [json.loads(qemu_argv[i + 1]) for i, arg in enumerate(qemu_argv)
               if arg == '-object' and qemu_argv[i + 1].startswith('{')]
    vmstate = [o for o in objects if o.get('qom-type') == 'dbus-vmstate']
    tap.note(f'QEMU: -object {json.dumps(vmstate)}')
    check(len(vmstate) == 1, f'QEMU objects: {objects}')
    helper_bus = [arg.split('=', 1)[1] for arg in argv
                  if arg.startswith('--dbus-address=')][0]
    check(vmstate[0].get('addr') == helper_bus,
          f'QEMU is on {vmstate[0].get("addr")}, the helper on {helper_bus}')
    tap.ok('QEMU got -object dbus-vmstate on the helper\'s bus')

    address = guest_a.wait_dhcp(0)
    check(address == ADDRESS, f'the guest leased {address}')
    check(running(helper_pid), f'the helper {helper_pid} died')
    assert_lease(guest_a.state(), 'A')
    tap.ok(f'iPXE leased {ADDRESS} (console); the helper started by '
           f'libvirt is alive and its state holds the lease')

    # virsh save, restore --paused: the new helper holds the saved bytes.
    before = guest_a.state()
    path, saved = save_to(guest_a, 'lv.save')
    assert_lease(saved, 'the save file')
    tap.note(f'saved state: {saved.hex()}'
             + ('' if saved == before else f' (before: {before.hex()})'))
    seen = len(guest_a.console_addresses())
    a.virsh('restore', '--paused', '/var/lib/libvirt/lv.save')
    check(guest_a.domstate() == 'paused', guest_a.domstate())
    restored_pid = assert_incoming_helper(guest_a, ours, saved)
    check(restored_pid != helper_pid, 'the same helper process')
    check(len(guest_a.console_addresses()) == seen, 'the guest ran')
    tap.ok('virsh save, then restore --paused: a new helper with '
           '--dbus-incoming holds the saved bytes before the guest runs')

    a.virsh('resume', DOMAIN)
    address = guest_a.reset_and_wait_dhcp()
    check(address == ADDRESS, f'after resume the guest leased {address}')
    assert_lease(guest_a.state(), 'A after resume')
    tap.ok(f'after resume the guest gets {ADDRESS} again')

    # managedsave, then start.
    pid, _ = guest_a.helper()
    a.virsh('managedsave', DOMAIN)
    check(wait_ended(pid), 'the helper outlived managedsave')
    check(guest_a.domstate() == 'shut off', guest_a.domstate())
    managed = slirp_state.in_save_file(
        a.path('lib', 'qemu', 'save', DOMAIN + '.save'), HELPER_ID)
    check(managed is not None, 'no helper state in the managed save file')
    assert_lease(managed, 'the managed save file')
    a.virsh('start', DOMAIN)
    pid, argv = guest_a.helper()
    check('--dbus-incoming' in argv, f'no --dbus-incoming in {argv}')
    assert_lease(guest_a.state(), 'A after start')
    address = guest_a.reset_and_wait_dhcp()
    check(address == ADDRESS, f'after start the guest leased {address}')
    tap.ok('managedsave, then start: the helper got --dbus-incoming and '
           f'the lease, and the guest gets {ADDRESS}')

    # Live migration to B and back.
    for source, target in ((guest_a, guest_b), (guest_b, guest_a)):
        pid, _ = source.helper()
        started = time.monotonic()
        source.host.virsh('migrate', '--live', DOMAIN, target.host.uri,
                          'tcp://127.0.0.1')
        tap.note(f'{source.host.name} -> {target.host.name}: '
                 f'{time.monotonic() - started:.1f} s')
        check(wait_ended(pid), 'the source helper outlived the migration')
        check(target.domstate() == 'running', target.domstate())
        _, argv = target.helper()
        check('--dbus-incoming' in argv, f'no --dbus-incoming in {argv}')
        assert_lease(target.state(), target.host.name)
        address = target.reset_and_wait_dhcp()
        check(address == ADDRESS, f'on {target.host.name} the guest leased '
                                  f'{address}')
        tap.ok(f'live migration {source.host.name} -> {target.host.name}: '
               f'the destination helper got --dbus-incoming and the lease, '
               f'the guest gets {ADDRESS}')

    # Saved with ours, restored with Debian's Rust helper, and back.
    path, saved = save_to(guest_a, 'to-rust.save')
    restore_on_rust(tap, r, path)
    _, argv = guest_r.helper()
    tap.note('Rust helper: ' + ' '.join(argv))
    check(argv[0] == rust, f'helper {argv[0]}, expected {rust}')
    check('--dbus-incoming' in argv, f'no --dbus-incoming in {argv}')
    assert_lease(guest_r.state(), 'the Rust helper')
    r.virsh('resume', DOMAIN)
    address = guest_r.reset_and_wait_dhcp()
    check(address == ADDRESS, f'with the Rust helper the guest leased '
                              f'{address}')
    tap.ok('saved with ours, restored by the Rust helper: it holds the '
           f'lease and the guest gets {ADDRESS}')

    path, saved = save_to(guest_r, 'from-rust.save')
    assert_lease(saved, 'the Rust helper\'s save file')
    a.virsh('restore', '--paused', path)
    assert_incoming_helper(guest_a, ours, saved)
    a.virsh('resume', DOMAIN)
    address = guest_a.reset_and_wait_dhcp()
    check(address == ADDRESS, f'back on ours the guest leased {address}')
    tap.ok('saved with the Rust helper, restored by ours: it holds the '
           f'saved bytes and the guest gets {ADDRESS}')


def main():
    ours = os.environ.get('VMSTATE1_SLIRP_HELPER', '')
    rust = rust_helper()
    missing = missing_requirements(ours, rust)
    if missing:
        reason = 'missing: ' + ', '.join(missing)
        if os.environ.get('CI') == 'true':
            print('1..1')
            print(f'not ok 1 - {reason} (under CI=true everything this '
                  f'test needs is installable: a failure, not a skip)')
            return 1
        print(f'1..0 # SKIP {reason}')
        return 0

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    workdir = tempfile.mkdtemp(prefix='vmstate1-libvirt-')
    # virsh's own files, if any, stay in the work directory.
    os.environ['HOME'] = workdir
    os.environ['XDG_CONFIG_HOME'] = os.path.join(workdir, 'config')
    os.environ['XDG_CACHE_HOME'] = os.path.join(workdir, 'cache')
    wrapper = os.path.join(workdir, 'dbus-daemon')
    libvirt_host.write_dbus_wrapper(wrapper)
    reaping = reaper.Reaper()
    reaping.start()
    hosts = [
        libvirt_host.Host(workdir, 'A', '5f0c0c5e-7d1b-4d7e-9a51-0000000000a1',
                          ours, wrapper, reaping),
        libvirt_host.Host(workdir, 'B', '5f0c0c5e-7d1b-4d7e-9a51-0000000000b2',
                          ours, wrapper, reaping),
        libvirt_host.Host(workdir, 'R', '5f0c0c5e-7d1b-4d7e-9a51-0000000000c3',
                          rust, wrapper, reaping),
    ]
    tap = Tap()
    started = time.monotonic()
    status = 0
    try:
        for host in hosts:
            host.start()
        for host in hosts:
            host.wait_ready()
        run(tap, *hosts, ours, rust)
    except (Exception, Stop) as e:
        tap.count += 1
        first_line = (str(e).splitlines() or [type(e).__name__])[0]
        print(f'not ok {tap.count} - {first_line}', flush=True)
        tap.note(traceback.format_exc())
        for host in hosts:
            for log in (('libvirtd.out',), ('log', 'libvirtd.log'),
                        ('log', 'qemu', DOMAIN + '.log')):
                tail = host.log_tail(*log)
                if tail:
                    tap.note(f'--- {host.name}: {"/".join(log)}\n{tail}')
        status = 1
    finally:
        # Nothing interrupts the cleanup, not even meson's second signal.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        for host in hosts:
            try:
                host.stop()
            except Exception as e:  # keep stopping the others
                tap.note(f'stopping {host.name}: {e}')
        reaping.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    tap.note(f'{time.monotonic() - started:.1f} s')
    print(f'1..{tap.count}', flush=True)
    return status


if __name__ == '__main__':
    sys.exit(main())
