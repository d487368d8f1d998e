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
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $missing
}
