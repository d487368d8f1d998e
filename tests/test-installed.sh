#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs the build into a temporary root and builds programs against the
# installed libvmstate1.pc, as a user would: a .pc file nothing reads rots.
# Usage: test-installed.sh BUILD_DIR SOURCE_DIR PREFIX
set -eu
build=$1 source=$2 prefix=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

meson install -C "$build" --destdir "$root" --no-rebuild --quiet \
  --skip-subprojects >/dev/null
installed_pc=$(find "$root" -name libvmstate1.pc | head -n 1)
[ -n "$installed_pc" ] || { echo "libvmstate1.pc was not installed"; exit 1; }
# The installed file, moved under the temporary root (only our prefix:
# GLib's stays where Debian put it).
mkdir "$root/pc"
sed "s|^prefix=.*|prefix=$root$prefix|" "$installed_pc" > "$root/pc/libvmstate1.pc"
pc () { PKG_CONFIG_PATH=$root/pc pkg-config "$@" libvmstate1; }

echo "pkg-config: libvmstate1 $(pc --modversion)"
test -f "$root$prefix/include/libvmstate1/vmstate1.h"
libdir=$(pc --variable=libdir)

# The check program.
cc -Wall -Wextra -Werror -o "$root/check" "$source/tests/installed-check.c" \
  $(pc --cflags --libs)
LD_LIBRARY_PATH=$libdir "$root/check"

# The README's C example builds as printed.
sed -n '/^```c$/,/^```$/p' "$source/README.md" | sed '1d;$d' > "$root/readme.c"
test -s "$root/readme.c"
cc -Wall -Wextra -Werror -Wno-unused-parameter -o "$root/readme" \
  "$root/readme.c" $(pc --cflags --libs)
echo "README example builds"

# A sub-header is refused on its own: users include <vmstate1.h>.
printf '#include <vmstate1-helper.h>\nint main (void) { return 0; }\n' \
  > "$root/direct.c"
if cc -c -o "$root/direct.o" "$root/direct.c" $(pc --cflags) 2>/dev/null; then
  echo "including vmstate1-helper.h directly should fail"; exit 1
fi
echo "sub-headers refuse direct inclusion"
