#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demonstration: installs what is missing, builds, and migrates a
# helper's state through a real QEMU on private buses it starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

ensure_packages $BUILD_PACKAGES $RUN_PACKAGES

builddir=${BUILDDIR:-_build-demo}
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" -Dtests=false -Dintrospection=disabled \
    -Dslirp=auto >/dev/null
fi
ninja -C "$builddir" -j"$(nproc 2>/dev/null || echo 2)"

exec "$builddir/demo/vmstate1-demo" "$builddir/examples/counter-helper"
