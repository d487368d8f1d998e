# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by demo.sh and test.sh: installs the Debian packages that are
# missing, and nothing when all are there.

# What building the library, the examples and the demo needs.
BUILD_PACKAGES="gcc meson ninja-build pkg-config libglib2.0-dev
  libjson-glib-dev libslirp-dev"
# What running a helper migration needs: a bus and QEMU.
RUN_PACKAGES="dbus-daemon qemu-system-x86"
# What the whole test suite needs on top: bindings, docs, the Rust slirp
# helper to migrate with, and the checkers.
TEST_PACKAGES="gobject-introspection libgirepository1.0-dev python3-gi
  gir1.2-glib-2.0 gjs gtk-doc-tools docbook-xsl xsltproc
  libglib2.0-doc libslirp-helper
  valgrind clang libclang-rt-14-dev abigail-tools libsystemd-dev valac"
# What scripts/bench.sh needs on top: the Python helper's bindings, and
# dbus-broker with systemd-socket-activate to start it.
BENCH_PACKAGES="gobject-introspection libgirepository1.0-dev python3-gi
  gir1.2-glib-2.0 dbus-broker systemd"
# The libvirt suite's on top of the test packages: libvirtd, virsh, and
# the iPXE ROMs its guest boots from.
TEST_PACKAGES="$TEST_PACKAGES libvirt-daemon-system libvirt-clients ipxe-qemu"

missing_packages () {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null \
        | grep -q '^install ok installed$'; then
      printf '%s ' "$pkg"
    fi
  done
}

ensure_packages () {
  local missing
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "This is not a Debian system: install the equivalents of these" \
         "packages by hand: $*" >&2
    return 0
  fi
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0

  echo ">>> Installing missing Debian packages: $missing"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "These Debian packages are missing and you are not root" \
           "(and there is no sudo): $missing" >&2
      echo "Install them as root: apt-get install $missing" >&2
      exit 1
    fi
  fi
  # No package may start a service (libvirtd, virtlogd, dbus...): the
  # tests start what they need themselves, by PID. A policy-rc.d that
  # exits 101 tells invoke-rc.d so; it is removed afterwards only if it
  # was written here.
  local guard="" status=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    # shellcheck disable=SC2016
    printf '#!/bin/sh\n# Written by libvmstate1 scripts/deps.sh while it installs packages: start no service.\nexit 101\n' \
      | $sudo tee "$guard" >/dev/null
    $sudo chmod 755 "$guard"
    # shellcheck disable=SC2064
    trap "$sudo rm -f '$guard'" EXIT INT TERM
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q || status=$?
  if [ "$status" -eq 0 ]; then
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends $missing || status=$?
  fi
  if [ -n "$guard" ]; then
    $sudo rm -f "$guard"
    trap - EXIT INT TERM
  fi
  return "$status"
}
