#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the whole test suite: installs what is missing, builds with
# warnings as errors, runs every suite. Its last line is meson's count:
# "N passed, N failed[, N skipped]". Under CI=true a skipped test is a
# failed one: everything a test needs is installable.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

ensure_packages $BUILD_PACKAGES $RUN_PACKAGES $TEST_PACKAGES

builddir=${BUILDDIR:-_build-test}
jobs=$(nproc 2>/dev/null || echo 2)
if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" -Dwerror=true -Ddocs=true \
    -Dintrospection=enabled -Dslirp=enabled >/dev/null
else
  meson setup "$builddir" -Dwerror=true -Ddocs=true \
    -Dintrospection=enabled -Dslirp=enabled
fi
ninja -C "$builddir" -j"$jobs"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
meson test -C "$builddir" --print-errorlogs --num-processes "$jobs" \
  "$@" 2>&1 | tee "$log" || status=$?

count () { sed -n "s/^$1: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
ok=$(count 'Ok'); xfail=$(count 'Expected Fail'); fail=$(count 'Fail')
xpass=$(count 'Unexpected Pass'); skipped=$(count 'Skipped')
timeout=$(count 'Timeout')
passed=$(( ${ok:-0} + ${xfail:-0} ))
failed=$(( ${fail:-0} + ${xpass:-0} + ${timeout:-0} ))
skipped=${skipped:-0}

if [ "${CI:-}" = "true" ] && [ "$skipped" -gt 0 ]; then
  echo "CI: $skipped skipped test(s) count as failed: everything they need" \
       "is installable."
  failed=$(( failed + skipped ))
  status=1
fi
[ "$failed" -gt 0 ] && status=1

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
