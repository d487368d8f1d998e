#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the benchmarks and runs them all: every figure is a median, taken
# side by side with its baseline in the same run. Prints the tables and
# writes bench/results.json (and the printed text to bench/results.txt).
# Never part of the tests.
#
#   bash scripts/bench.sh            the full run (about a minute on 2 cores)
#   bash scripts/bench.sh --quick    a few rounds, to try it
#   bash scripts/bench.sh --only=save-all,memory
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

ensure_packages $BUILD_PACKAGES $RUN_PACKAGES $BENCH_PACKAGES

builddir=${BUILDDIR:-_build-bench}
# Python helpers need the typelib, hence introspection.
options=(-Dbench=true -Dtests=false -Dexamples=true -Dintrospection=enabled
         -Dbuildtype=release)
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "${options[@]}" >/dev/null
else
  meson configure "$builddir" "${options[@]}" >/dev/null
fi
ninja -C "$builddir" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

bench=("$builddir/bench/bench-vmstate1" --json=bench/results.json "$@")

# dbus-broker needs systemd's journal socket and socket activation: give
# it a private /run/systemd (a tmpfs in a mount namespace of our own,
# where the benchmark binds a stand-in journal socket) and
# systemd-socket-activate. That takes root; without it, no broker figures.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  [ -d /run/systemd ] || mkdir -p /run/systemd
  # shellcheck disable=SC2016
  unshare -m --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 bench-run-systemd /run/systemd && exec "$@"' \
    sh "${bench[@]}" --broker | tee bench/results.txt
else
  echo "(not root: dbus-broker figures skipped)"
  "${bench[@]}" | tee bench/results.txt
fi
echo "(JSON: bench/results.json; text: bench/results.txt)"
