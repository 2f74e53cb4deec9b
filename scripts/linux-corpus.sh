#!/usr/bin/env bash
# Builds the Linux evaluation corpus of issue 6: every .c and .h under kernel/
# of Debian's linux-source-6.1, sorted by path (C locale) and concatenated;
# first 90% of the bytes train, next 5% validation, last 5% test.
# Writes runs/linux/{train,val,test}.c (or the folder given as $1).
set -euo pipefail

out="${1:-runs/linux}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && apt-get download linux-source-6.1 >/dev/null)
dpkg -x "$work"/linux-source-6.1_*.deb "$work/pkg"
tarball="$(ls "$work"/pkg/usr/src/linux-source-6.1.tar.*)"
tar -xf "$tarball" -C "$work" --wildcards 'linux-source-6.1/kernel/*'

all="$work/all.c"
(cd "$work/linux-source-6.1" && find kernel -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort | xargs cat) > "$all"

# Moves a byte offset forward past UTF-8 continuation bytes, so no split cuts a character in two.
char_boundary() {
  local offset=$1 byte
  while :; do
    byte=$(od -An -tu1 -j "$offset" -N1 "$all" | tr -d ' ')
    [[ -n "$byte" && "$byte" -ge 128 && "$byte" -lt 192 ]] || break
    offset=$((offset + 1))
  done
  echo "$offset"
}

total=$(stat -c %s "$all")
val_start=$(char_boundary $((total * 90 / 100)))
test_start=$(char_boundary $((total * 95 / 100)))

mkdir -p "$out"
head -c "$val_start" "$all" > "$out/train.c"
dd if="$all" of="$out/val.c" iflag=skip_bytes,count_bytes skip="$val_start" count="$((test_start - val_start))" status=none
tail -c +"$((test_start + 1))" "$all" > "$out/test.c"

files=$(cd "$work/linux-source-6.1" && find kernel -type f \( -name '*.c' -o -name '*.h' \) | wc -l)
echo "linux-source-6.1 kernel/: $files files, $total bytes"
for split in train val test; do
  printf '%-6s %10d bytes  %s\n' "$split" "$(stat -c %s "$out/$split.c")" "$out/$split.c"
done
