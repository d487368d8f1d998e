#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-docs.sh DOC-BUILDDIR MODULE MAIN-XML: the gtk-doc reference is
# complete (gtkdoc-check: nothing undocumented, incomplete, undeclared or
# unused) and every link in it resolves, to our symbols or to the GLib,
# GObject and GIO references installed on this system.
set -eu
builddir=$1 module=$2 main=$3
status=0

cd "$builddir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The coverage lines, for the log.
head -n 4 "$module-undocumented.txt"
sed -n '5,$p' "$module-undocumented.txt" | grep -v '^$' || true

DOC_MODULE=$module DOC_MAIN_SGML_FILE=$main BUILDDIR=$builddir \
  "${GTKDOC_CHECK:-gtkdoc-check}" || status=1

# Said outright, whatever gtkdoc-check's version counts: full coverage, no
# symbol in the sections file that no header declares (undeclared), and no
# doc comment for a symbol that no section lists (unused).
if ! head -n 1 "$module-undocumented.txt" \
     | grep -q '^100% symbol docs coverage'; then
  echo "coverage is not 100%"
  status=1
fi
for report in unused undeclared; do
  if [ -s "$module-$report.txt" ]; then
    echo "$module-$report.txt is not empty:"
    cat "$module-$report.txt"
    status=1
  fi
done

# A symbol that is declared, not documented and not in the sections file
# would escape gtkdoc-check: every declaration must be in a section.
symbols () { grep -v -e '^<' -e '^$' "$1" | sort -u; }
symbols "$module-decl-list.txt" >"$tmp/declared"
symbols "$module-sections.txt" >"$tmp/sectioned"
if [ -n "$(comm -23 "$tmp/declared" "$tmp/sectioned")" ]; then
  echo "declared in a public header but in no section of $module-sections.txt:"
  comm -23 "$tmp/declared" "$tmp/sectioned"
  status=1
fi

# Every symbol says since when it exists: the full index holds nothing
# that no per-version index (xml/api-index-X.Y.xml) holds.
linkends () {
  grep -o 'linkend="[^"]*"' "$@" | sed 's/.*linkend=//' | sort -u
}
linkends xml/api-index-full.xml >"$tmp/indexed"
linkends $(ls xml/api-index-*.xml \
           | grep -v -e '-full.xml' -e '-deprecated.xml') >"$tmp/versioned"
if [ -n "$(comm -23 "$tmp/indexed" "$tmp/versioned")" ]; then
  echo "documented without Since:"
  comm -23 "$tmp/indexed" "$tmp/versioned"
  status=1
fi

# gtkdoc-fixxref turns a link it cannot resolve into plain text with only
# a warning in the build log: build the HTML again aside and fail on one.
mkdir "$tmp/html"
cp "$module-sections.txt" "$tmp/"
(cd "$tmp/html" && gtkdoc-mkhtml --path="$builddir" "$module" \
  "$builddir/$main" >/dev/null 2>"$tmp/mkhtml.log") || {
  cat "$tmp/mkhtml.log"; exit 1; }
(cd "$tmp" && gtkdoc-fixxref --module="$module" --module-dir=html \
  >"$tmp/fixxref.log" 2>&1) || { cat "$tmp/fixxref.log"; exit 1; }
# A link fixxref resolved to a page that was never written (the
# per-version indexes, when the stylesheets drop an <index role=...>).
for page in $(grep -oh 'href="[^"/#:]*\.html' "$tmp"/html/*.html \
              | sed 's/^href="//' | sort -u); do
  if [ ! -e "$tmp/html/$page" ]; then
    echo "warning: a link to $page, which was not generated" \
      >>"$tmp/fixxref.log"
  fi
done
if grep -q 'warning' "$tmp/mkhtml.log" "$tmp/fixxref.log"; then
  echo "unresolved links or HTML warnings:"
  grep 'warning' "$tmp/mkhtml.log" "$tmp/fixxref.log"
  status=1
else
  echo "every link resolves"
fi
exit "$status"
