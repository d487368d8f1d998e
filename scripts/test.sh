#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the whole test suite: installs what is missing, builds with
# warnings as errors, runs every suite, then the unit, bus and QEMU
# suites again under valgrind and in an AddressSanitizer/UBSan build, and
# runs each libFuzzer target (the blob decoder, the migration-stream
# reader, the slirp helper's Load) for a minute.
# Its last line adds up meson's own counts of those runs:
# "N passed, N failed[, N skipped]". Under CI=true a skipped test is a
# failed one: everything a test needs is installable.
# Arguments go to the first meson test run (e.g. --suite qemu); with
# arguments, the valgrind and sanitizer runs are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

ensure_packages $BUILD_PACKAGES $RUN_PACKAGES $TEST_PACKAGES

jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0 status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# configure BUILDDIR MESON-OPTIONS...
configure () {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  # $build_target, when set, builds only that.
  ninja -C "$dir" -j"$jobs" ${build_target:-}
}

# run_tests TITLE BUILDDIR MESON-TEST-ARGS...: adds meson's counts.
run_tests () {
  local title=$1 dir=$2; shift 2
  echo
  echo "=== $title"
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "$@" 2>&1 \
    | tee "$log" || status=1
  count () { sed -n "s/^$1: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
  local ok xfail fail xpass skip timeout
  ok=$(count 'Ok'); xfail=$(count 'Expected Fail'); fail=$(count 'Fail')
  xpass=$(count 'Unexpected Pass'); skip=$(count 'Skipped')
  timeout=$(count 'Timeout')
  if [ -z "$ok" ]; then
    echo "meson test printed no summary: counted as one failure"
    failed=$(( failed + 1 )); status=1
    return
  fi
  passed=$(( passed + ok + ${xfail:-0} ))
  failed=$(( failed + ${fail:-0} + ${xpass:-0} + ${timeout:-0} ))
  skipped=$(( skipped + ${skip:-0} ))
}

configure _build-test -Dwerror=true -Ddocs=true -Dintrospection=enabled \
  -Dslirp=enabled
run_tests "all suites" _build-test "$@"

if [ $# -eq 0 ]; then
  run_tests "valgrind: unit, dbus and qemu suites" _build-test \
    --setup valgrind --suite unit --suite dbus --suite qemu --no-suite install
  # g-ir-scanner and ASan do not mix: no introspection in this build.
  configure _build-asan -Dwerror=true -Db_sanitize=address,undefined \
    -Dintrospection=disabled -Ddocs=false
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_tests "AddressSanitizer + UBSan: unit, dbus and qemu suites" \
    _build-asan --suite unit --suite dbus --suite qemu --no-suite install
  # libFuzzer, 60 s a target, from seed corpora that hold real QEMU
  # blobs and streams; only the fuzz targets are built with clang.
  CC=clang build_target="tests/fuzz/fuzz-states-decode tests/fuzz/fuzz-migration-read tests/fuzz-slirp/fuzz-slirp-load" \
    configure _build-fuzz -Dwerror=true \
    -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dintrospection=disabled -Ddocs=false -Dslirp=enabled
  run_tests "libFuzzer: blob decoder, migration-stream reader, slirp Load; 60 s each" \
    _build-fuzz --no-rebuild --suite fuzz
fi

echo
if [ "${CI:-}" = "true" ] && [ "$skipped" -gt 0 ]; then
  echo "CI: $skipped skipped test(s) count as failed: everything they need" \
       "is installable."
  failed=$(( failed + skipped )); skipped=0
fi
[ "$failed" -gt 0 ] && status=1
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
