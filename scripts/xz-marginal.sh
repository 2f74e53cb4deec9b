#!/usr/bin/env bash
# xz -9e's marginal rate on a test text given a training text: what the
# compressor pays for test after it has read train, in bits and nats per
# character: (bytes(xz(train+test)) - bytes(xz(train))) * 8 / chars(test).
# Usage: scripts/xz-marginal.sh [train] [test]   (default runs/linux/{train,test}.c)
set -euo pipefail

train="${1:-runs/linux/train.c}"
test="${2:-runs/linux/test.c}"
# xz's window (64 MiB at -9) covers the whole of train, so test may refer back to any of it.
alone=$(xz -9e -T1 -c "$train" | wc -c)
both=$(cat "$train" "$test" | xz -9e -T1 -c | wc -c)
chars=$(LC_ALL=C.UTF-8 wc -m < "$test")
awk -v a="$alone" -v b="$both" -v n="$chars" 'BEGIN {
  bits = (b - a) * 8 / n
  printf "xz -9e marginal: %d bytes for %d chars: %.3f bits/char, %.3f nats/char\n", b - a, n, bits, bits * log(2)
}'
