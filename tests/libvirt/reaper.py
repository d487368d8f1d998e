# SPDX-License-Identifier: LGPL-2.1-or-later
"""Makes the test the child subreaper of everything libvirt starts, and
reaps it.

libvirtd daemonizes QEMU, the helpers and the per-VM dbus-daemons: they
are reparented to the nearest subreaper, or PID 1. In a container PID 1
may be no init at all and never reap, leaving a zombie per process; and
libvirt, which waits for a killed helper to be gone, then waits for a
zombie. As subreaper the test reaps them as they end.

Processes the test starts itself go through spawn(), so that the reaper
never takes the exit status subprocess is waiting for."""

import ctypes
import os
import subprocess
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
INTERVAL = 0.05


class Reaper(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.lock = threading.Lock()
        self.own = set()
        self.stopping = threading.Event()
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), 'PR_SET_CHILD_SUBREAPER')

    def spawn(self, *args, **kwargs):
        with self.lock:
            process = subprocess.Popen(*args, **kwargs)
            self.own.add(process.pid)
        return process

    def run_command(self, args, timeout):
        """subprocess.run(capture_output=True, text=True), through spawn."""
        process = self.spawn(args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            raise
        finally:
            with self.lock:
                self.own.discard(process.pid)
        return subprocess.CompletedProcess(args, process.returncode, out, err)

    def reap(self):
        me = str(os.getpid())
        with self.lock:
            for name in os.listdir('/proc'):
                if not name.isdigit() or int(name) in self.own:
                    continue
                try:
                    with open(f'/proc/{name}/stat') as f:
                        fields = f.read().rsplit(')', 1)[1].split()
                except OSError:
                    continue
                if fields[0] == 'Z' and fields[1] == me:
                    try:
                        os.waitpid(int(name), os.WNOHANG)
                    except ChildProcessError:
                        pass

    def run(self):
        while not self.stopping.wait(INTERVAL):
            self.reap()

    def stop(self, linger=1.0):
        """Stops the thread; reaps for @linger seconds more, for what was
        just killed."""
        self.stopping.set()
        self.join()
        for _ in range(int(linger / INTERVAL)):
            self.reap()
            time.sleep(INTERVAL)
