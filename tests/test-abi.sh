#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library just built against the released ABI baseline: anything
# removed or changed incompatibly fails; additions pass.
#   test-abi.sh BASELINE LIBRARY HEADERS-DIR BUILD-HEADERS-DIR
set -u
baseline=$1 library=$2 headers=$3 built_headers=$4

if ! command -v abidiff >/dev/null 2>&1; then
  echo "abidiff not found: install abigail-tools" >&2
  exit 1
fi
abidiff --headers-dir2 "$headers" --headers-dir2 "$built_headers" \
  --drop-private-types "$baseline" "$library"
status=$?
# abidiff's exit status is a bit field: 1 error, 2 usage error,
# 4 an ABI change, 8 an incompatible ABI change.
if [ $((status & 3)) -ne 0 ]; then
  echo "abidiff failed to compare (status $status)" >&2
  exit 1
fi
if [ $((status & 8)) -ne 0 ]; then
  echo "Incompatible ABI change against $baseline: see above." >&2
  echo "0.2 and later only add to the ABI (abi/README.md)." >&2
  exit 1
fi
if [ $((status & 4)) -ne 0 ]; then
  echo "ABI grew compatibly against $baseline (additions only)."
else
  echo "ABI unchanged against $baseline."
fi
exit 0
