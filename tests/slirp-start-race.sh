#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# slirp-start-race.sh LAUNCHER HELPER MODE N: starts HELPER N times with
# --exit-with-parent through slirp-launcher MODE (daemon-early,
# daemon-late: libvirt's daemonizing) and counts how many were dead 1 s
# later. Not a registered test: the numbers in the libvirt-suite report
# (old helper, daemon-late: 20/20 died) came from it.
#   bash tests/slirp-start-race.sh _build/tests/slirp-launcher \
#       _build/examples/vmstate1-slirp-helper daemon-late 20
set -u
launcher=$1 helper=$2 mode=$3 runs=$4 died=0
for _ in $(seq "$runs"); do
  dir=$(mktemp -d)
  # The launcher stays (as libvirtd would) until its stdin closes, 3 s on.
  exec 5< <(sleep 3 | "$launcher" "$mode" "$helper" --exit-with-parent \
              --socket-path="$dir/s" 2>/dev/null)
  pid=
  while read -r -t 5 line <&5; do
    case $line in "launcher: helper "*) pid=${line##* }; break ;; esac
  done
  sleep 1
  if [ -n "$pid" ] && [ -d "/proc/$pid" ] \
      && ! grep -q ') Z' "/proc/$pid/stat" 2>/dev/null; then
    kill "$pid"
  else
    died=$((died + 1))
  fi
  exec 5<&-
  rm -rf "$dir"
done
echo "$mode: $died/$runs died at start"
