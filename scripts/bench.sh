#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the benchmarks and runs them all: every figure is a median, taken
# side by side with its baseline in the same run. Prints the tables; the
# raw outputs (results.json, results.txt) go to the build directory, never
# into the source tree: bench/RESULTS.md is the published record.
# Never part of the tests.
#
#   bash scripts/bench.sh            the full run (about two minutes on 2 cores)
#   bash scripts/bench.sh --quick    a few rounds, to try it
#   bash scripts/bench.sh --only=vm,memory
#
# BUILDDIR (default _build-bench) picks the build directory; OUTDIR
# (default $BUILDDIR/bench-results) where the raw outputs go.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

ensure_packages $BUILD_PACKAGES $RUN_PACKAGES $BENCH_PACKAGES

builddir=${BUILDDIR:-_build-bench}
outdir=${OUTDIR:-$builddir/bench-results}
# Python helpers need the typelib, hence introspection.
options=(-Dbench=true -Dtests=false -Dexamples=true -Dintrospection=enabled
         -Dbuildtype=release -Ddocs=false -Dslirp=disabled)
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "${options[@]}" >/dev/null
else
  meson configure "$builddir" "${options[@]}" >/dev/null
fi
# Only what the benchmark runs: the rest of the tree is not its business.
jobs=$(nproc 2>/dev/null || echo 2)
ninja -C "$builddir" -j"$jobs" bench/bench-vmstate1 bench/bench-helper \
  bench/bench-helper-raw bench/bench-helper-codegen >/dev/null
# The Python column needs the typelib; without it, that column is skipped.
if ! ninja -C "$builddir" -j"$jobs" libvmstate1/Vmstate1-1.0.typelib \
    >/dev/null 2>&1; then
  rm -f "$builddir/libvmstate1/Vmstate1-1.0.typelib"
  echo "(the typelib does not build: no Python helper figures)"
fi

mkdir -p "$outdir"
bench=("$builddir/bench/bench-vmstate1" --json="$outdir/results.json" "$@")

# dbus-broker needs systemd's journal socket and socket activation: give
# it a private /run/systemd (a tmpfs in a mount namespace of our own,
# where the benchmark binds a stand-in journal socket) and
# systemd-socket-activate. That takes root; without it, no broker figures.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  [ -d /run/systemd ] || mkdir -p /run/systemd
  # shellcheck disable=SC2016
  unshare -m --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 bench-run-systemd /run/systemd && exec "$@"' \
    sh "${bench[@]}" --broker | tee "$outdir/results.txt"
else
  echo "(not root: dbus-broker figures skipped)"
  "${bench[@]}" | tee "$outdir/results.txt"
fi
echo "(raw outputs: $outdir/results.json, $outdir/results.txt)"
