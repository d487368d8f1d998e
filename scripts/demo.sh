#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demonstration: installs what is missing, builds, and migrates
# helpers' state through a real QEMU on private buses it starts itself:
# first a counter helper, then the slirp helper's DHCP leases.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

ensure_packages $BUILD_PACKAGES $RUN_PACKAGES

builddir=${BUILDDIR:-_build-demo}
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" -Dtests=false -Dintrospection=disabled \
    -Dslirp=enabled >/dev/null
fi
ninja -C "$builddir" -j"$(nproc 2>/dev/null || echo 2)"

"$builddir/demo/vmstate1-demo" "$builddir/examples/counter-helper"
echo
"$builddir/demo/vmstate1-slirp-demo" "$builddir/examples/vmstate1-slirp-helper"
