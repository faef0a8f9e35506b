#!/bin/bash
# Read by scripts/make-code-cache.mjs (never run): the constructs real scripts use, so that the shell
# parser and jailbuild's analysis of it compile what they need before the code cache is taken.
set -e
PATH=/usr/bin:/bin
: "${TMPDIR:=/tmp}"
name=${0##*/}
dir=$(dirname "$0")
usage() { echo "usage: $name [-v] FILE..." >&2; exit 2; }
case "$1" in
  -v|--verbose) verbose=1; shift ;;
  -h) usage ;;
  *) ;;
esac
for f in "$@"; do
  if [ -r "$f" ] && test -s "$f"; then
    n=$((n + 1))
    sed -e 's/a/b/' "$f" | grep -v '^#' | sort -u > "$TMPDIR/out.$$"
  elif [[ $f == *.gz ]]; then
    gzip -dc "$f" | wc -l
  fi
done
while read -r line; do printf '%s\n' "${line%% *}"; done < /etc/hostname
words=(one two three)
echo "${#words[@]} ${words[1]} `date +%s`"
cat <<END
$name ran in $dir
END
[ -n "$verbose" ] && exec /bin/ls -l "$TMPDIR" || true
. /dev/null
