#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-manpage.sh PROGRAM MANPAGE-XML [COMMAND...]: every command and
# long option the program's --help shows is in its man page, so the page
# cannot fall behind. The commands of its --help's "Commands:" section
# are checked too, given or not, so that a new one cannot be forgotten.
set -eu
tool=$1 page=$2
shift 2
status=0

listed=$("$tool" --help | sed -n '/^Commands:/,/^$/p' \
         | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p')
for command in $listed; do
  case " $* " in
    *" $command "*) ;;
    *) set -- "$@" "$command" ;;
  esac
done

for command in "" "$@"; do
  # shellcheck disable=SC2086
  help=$("$tool" $command --help)
  for option in $(printf '%s\n' "$help" | grep -o -e '--[a-z][a-z-]*' \
                  | grep -v -e '^--help' | sort -u); do
    if ! grep -q -e "$option\\b" "$page"; then
      echo "$page: '${command:-$(basename "$tool")}': $option is not documented"
      status=1
    fi
  done
  if [ -n "$command" ] && ! grep -q "<option>$command</option>" "$page"; then
    echo "$page: command '$command' is not documented"
    status=1
  fi
done
if [ "$status" -eq 0 ]; then
  echo "every command and option of $(basename "$tool") is in $(basename "$page")"
fi
exit "$status"
